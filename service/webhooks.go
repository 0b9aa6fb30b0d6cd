package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/netip"
	"net/url"
	"time"

	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/netpolicy"
)

// secretOverlap is how long the previous secret keeps signing after a rotation.
const secretOverlap = 24 * time.Hour

// WebhookInput is a new webhook as the caller sent it.
type WebhookInput struct {
	URL      string
	Events   []WebhookEvent
	IsActive bool
}

// WebhookPatch is a partial update of a webhook: only the fields that are Set change.
type WebhookPatch struct {
	URL      Optional[string]
	Events   Optional[[]WebhookEvent]
	IsActive Optional[bool]
}

// MaskSecret hides all of a webhook secret but its last four characters.
func MaskSecret(secret string) string {
	if len(secret) < 4 {
		return "whsec_****"
	}
	return "whsec_****" + secret[len(secret)-4:]
}

// newWebhookSecret returns a Standard Webhooks secret: whsec_ and 32 random bytes in base64.
func newWebhookSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// checkWebhookURL enforces https and a public destination, so that a webhook cannot be
// aimed at the server's own network (SSRF). Deliveries check the address again when they
// connect, which defeats DNS rebinding.
func (s *Service) checkWebhookURL(ctx context.Context, problems *Problems, field, raw string) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || !u.IsAbs() {
		problems.Add(field, "must be an absolute URL")
		return
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && s.config.AllowPrivateWebhooks:
	default:
		problems.Add(field, "must use https")
		return
	}
	if u.User != nil {
		problems.Add(field, "must not contain credentials")
		return
	}
	if s.config.AllowPrivateWebhooks {
		return
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		resolved, err := s.resolver.LookupIPAddr(ctx, host)
		if err != nil || len(resolved) == 0 {
			problems.Add(field, "host %s does not resolve", host)
			return
		}
		for _, r := range resolved {
			if a, ok := netip.AddrFromSlice(r.IP); ok {
				addrs = append(addrs, a)
			}
		}
	}
	for _, a := range addrs {
		if !netpolicy.Public(a) {
			problems.Add(field, "must resolve to a public address, not %s", a)
			return
		}
	}
}

// ListWebhooks returns the scope's webhooks, newest first.
func (s *Service) ListWebhooks(ctx context.Context, scope Scope) ([]Webhook, error) {
	return s.store.ListWebhooks(ctx, scope)
}

// GetWebhook returns one of the scope's webhooks.
func (s *Service) GetWebhook(ctx context.Context, scope Scope, webhookID string) (Webhook, error) {
	w, err := s.store.GetWebhook(ctx, scope, webhookID)
	if errors.Is(err, ErrNotFound) {
		return Webhook{}, NotFound("Webhook")
	}
	return w, err
}

// CreateWebhook registers an endpoint with a fresh signing secret.
func (s *Service) CreateWebhook(ctx context.Context, scope Scope, in WebhookInput) (Webhook, error) {
	var problems Problems
	s.checkWebhookURL(ctx, &problems, "/url", in.URL)
	if err := problems.Err(); err != nil {
		return Webhook{}, err
	}
	secret, err := newWebhookSecret()
	if err != nil {
		return Webhook{}, err
	}
	now := s.clock.Now()
	w := Webhook{
		ID: id.New(id.Webhook), Scope: scope, URL: in.URL, Events: in.Events, Secret: secret,
		IsActive: in.IsActive, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.store.CreateWebhook(ctx, w); err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// UpdateWebhook applies patch to one of the scope's webhooks. The secret is left alone.
func (s *Service) UpdateWebhook(ctx context.Context, scope Scope, webhookID string, patch WebhookPatch) (Webhook, error) {
	var problems Problems
	if patch.URL.Set {
		s.checkWebhookURL(ctx, &problems, "/url", patch.URL.Value)
	}
	if err := problems.Err(); err != nil {
		return Webhook{}, err
	}
	return s.changeWebhook(ctx, scope, webhookID, func(w *Webhook) error {
		if patch.URL.Set {
			w.URL = patch.URL.Value
		}
		if patch.Events.Set {
			w.Events = patch.Events.Value
		}
		if patch.IsActive.Set {
			w.IsActive = patch.IsActive.Value
		}
		return nil
	})
}

// RotateWebhookSecret replaces the signing secret; the old one keeps signing for 24 hours.
func (s *Service) RotateWebhookSecret(ctx context.Context, scope Scope, webhookID string) (Webhook, error) {
	secret, err := newWebhookSecret()
	if err != nil {
		return Webhook{}, err
	}
	return s.changeWebhook(ctx, scope, webhookID, func(w *Webhook) error {
		previous, expires := w.Secret, s.clock.Now().Add(secretOverlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt = &previous, &expires
		w.Secret = secret
		return nil
	})
}

func (s *Service) changeWebhook(ctx context.Context, scope Scope, webhookID string, change func(*Webhook) error) (Webhook, error) {
	var updated Webhook
	err := s.store.InTx(ctx, func(tx Store) error {
		w, err := tx.GetWebhook(ctx, scope, webhookID)
		if errors.Is(err, ErrNotFound) {
			return NotFound("Webhook")
		}
		if err != nil {
			return err
		}
		if err := change(&w); err != nil {
			return err
		}
		w.UpdatedAt = s.clock.Now()
		if err := tx.UpdateWebhook(ctx, w); err != nil {
			return err
		}
		updated = w
		return nil
	})
	return updated, err
}

// DeleteWebhook removes one of the scope's webhooks.
func (s *Service) DeleteWebhook(ctx context.Context, scope Scope, webhookID string) error {
	err := s.store.DeleteWebhook(ctx, scope, webhookID)
	if errors.Is(err, ErrNotFound) {
		return NotFound("Webhook")
	}
	return err
}
