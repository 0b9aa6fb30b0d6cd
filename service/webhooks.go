package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/secretbox"
)

// WebhookSecretOverlap is how long the previous secret keeps signing after a rotation.
const WebhookSecretOverlap = 24 * time.Hour

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

// Signing secrets are sealed at rest with the box that seals account credentials
// (Config.Secrets), so that a copy of the database alone cannot forge deliveries: the
// service seals the current and the previous secret before the store sees them and opens
// them after reading, and callers of the service only ever see plaintext.
//
// A sealed secret is sealedSecretPrefix and the box's output in base64. Rows written
// before sealing hold the plaintext secret (whsec_…): serve seals them when it starts,
// before it listens (SealWebhookSecrets), so none stays in plaintext. That needs the key,
// which is why it is not a migration. The database only ever returns the rows still to
// seal, a batch at a time, so a start with nothing left to seal costs one query. Reads
// still accept a plaintext secret, as a safety net only: a row that an older binary
// writes during a rolling upgrade, or that a backup from before brings back, keeps
// working until the next start or its next write seals it. After the first start of this
// version the fallback should no longer be needed.
const sealedSecretPrefix = "sealed:"

// WebhookSealBatch is how many webhooks SealWebhookSecrets seals per transaction: each
// transaction stays short, and memory bounded, however many webhooks there are.
const WebhookSealBatch = 100

// SealWebhookSecrets seals every webhook secret, and previous secret, that the database
// holds in plaintext, batch webhooks per transaction, and returns how many webhooks it
// sealed. It is idempotent: sealed secrets are never selected again.
//
// Several instances may run it at once on one PostgreSQL, alongside requests: each batch
// is read by id after the last one (keyset), and each webhook is written back with a
// compare-and-set on the secrets it read, so a webhook that another instance sealed, or
// that a request updated or rotated (which seals it too), in between is left as it now
// is and not counted. Every instance writes its batch in id order, so their row locks
// cannot deadlock.
func (s *Service) SealWebhookSecrets(ctx context.Context, batch int) (int, error) {
	if batch <= 0 {
		return 0, fmt.Errorf("service: seal webhook secrets: batch must be positive, not %d", batch)
	}
	sealed, after := 0, ""
	for {
		var rows []WebhookSecrets
		n := 0
		err := s.store.InTx(ctx, func(tx Store) error {
			var err error
			if rows, err = tx.ListUnsealedWebhookSecrets(ctx, sealedSecretPrefix, after, batch); err != nil {
				return err
			}
			for _, from := range rows {
				to, err := s.sealStoredSecrets(from)
				if err != nil {
					return err
				}
				err = tx.ReplaceWebhookSecrets(ctx, from, to)
				if errors.Is(err, ErrNotFound) {
					continue // changed (and so sealed) or deleted since it was read
				}
				if err != nil {
					return err
				}
				n++
			}
			return nil
		})
		if err != nil {
			return sealed, fmt.Errorf("service: seal webhook secrets: %w", err)
		}
		if len(rows) == 0 {
			return sealed, nil
		}
		sealed += n
		after = rows[len(rows)-1].WebhookID
	}
}

// sealStoredSecrets seals those of a webhook's stored secrets that are in plaintext.
func (s *Service) sealStoredSecrets(stored WebhookSecrets) (WebhookSecrets, error) {
	seal := func(v string) (string, error) {
		if strings.HasPrefix(v, sealedSecretPrefix) {
			return v, nil
		}
		return s.sealSecret(v)
	}
	out := WebhookSecrets{WebhookID: stored.WebhookID}
	var err error
	if out.Secret, err = seal(stored.Secret); err != nil {
		return WebhookSecrets{}, err
	}
	if stored.PreviousSecret != nil {
		previous, err := seal(*stored.PreviousSecret)
		if err != nil {
			return WebhookSecrets{}, err
		}
		out.PreviousSecret = &previous
	}
	return out, nil
}

func (s *Service) sealSecret(secret string) (string, error) {
	if s.config.Secrets == nil {
		return "", errors.New("service: no secret key is configured to seal webhook secrets")
	}
	return sealedSecretPrefix + base64.RawStdEncoding.EncodeToString(s.config.Secrets.Seal([]byte(secret))), nil
}

func (s *Service) openSecret(stored string) (string, error) {
	encoded, ok := strings.CutPrefix(stored, sealedSecretPrefix)
	if !ok {
		return stored, nil // a plaintext secret from before sealing
	}
	if s.config.Secrets == nil {
		return "", errors.New("service: no secret key is configured to open webhook secrets")
	}
	sealed, err := base64.RawStdEncoding.DecodeString(encoded)
	if err != nil {
		return "", fmt.Errorf("service: webhook secret: %w", secretbox.ErrOpen)
	}
	plaintext, err := s.config.Secrets.Open(sealed)
	if err != nil {
		return "", fmt.Errorf("service: webhook secret: %w", err)
	}
	return string(plaintext), nil
}

// sealWebhook returns w as the store keeps it: its secrets sealed.
func (s *Service) sealWebhook(w Webhook) (Webhook, error) {
	var err error
	if w.Secret, err = s.sealSecret(w.Secret); err != nil {
		return Webhook{}, err
	}
	if w.PreviousSecret != nil {
		previous, err := s.sealSecret(*w.PreviousSecret)
		if err != nil {
			return Webhook{}, err
		}
		w.PreviousSecret = &previous
	}
	return w, nil
}

// openWebhook turns a webhook as stored into what callers see: its secrets in plaintext.
func (s *Service) openWebhook(w Webhook) (Webhook, error) {
	var err error
	if w.Secret, err = s.openSecret(w.Secret); err != nil {
		return Webhook{}, err
	}
	if w.PreviousSecret != nil {
		previous, err := s.openSecret(*w.PreviousSecret)
		if err != nil {
			return Webhook{}, err
		}
		w.PreviousSecret = &previous
	}
	return w, nil
}

// webhookPolicy is where webhook deliveries may connect: public addresses on 443, 80 and
// the ports the operator lists, or anywhere with AllowPrivateWebhooks. URLs are checked
// against it when they are saved, and deliveries must dial through its Client, whose
// dialer checks the address actually dialled (DNS rebinding) with the same function.
func (s *Service) webhookPolicy() netpolicy.Policy {
	return netpolicy.Policy{
		AllowPrivate: s.config.AllowPrivateWebhooks,
		Ports:        append(slices.Clone(netpolicy.DefaultWebhookPorts), s.config.WebhookPorts...),
	}
}

// webhookLookupTimeout bounds the DNS lookup of a webhook's host when it is saved.
const webhookLookupTimeout = 5 * time.Second

// checkWebhookURL enforces https, an allowed port and a public destination, so that a
// webhook cannot be aimed at the server's own network (SSRF).
//
// A host that does not resolve now is accepted: some servers have no DNS for outside
// names at the moment a webhook is saved, and a delivery checks the address it dials
// anyway. A host that resolves to any refused address is refused. Messages never show
// what a name resolved to: that would map the server's network for the caller.
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
	policy := s.webhookPolicy()
	if policy.AllowPrivate {
		return
	}
	port := uint64(443)
	if p := u.Port(); p != "" {
		port, err = strconv.ParseUint(p, 10, 16)
	}
	if err != nil || policy.CheckPort(uint16(port)) != nil {
		problems.Add(field, "must use port %s", joinPorts(policy.Ports))
		return
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if !netpolicy.Public(addr) {
			problems.Add(field, "must point to a public address")
		}
		return
	}
	lookupCtx, cancel := context.WithTimeout(ctx, webhookLookupTimeout)
	defer cancel()
	// DNS names are case-insensitive and may end with the root's dot.
	resolved, err := s.resolver.LookupIPAddr(lookupCtx, strings.TrimSuffix(strings.ToLower(host), "."))
	if err != nil {
		return // checked when a delivery dials it
	}
	for _, r := range resolved {
		addr, ok := netip.AddrFromSlice(r.IP)
		if !ok || !netpolicy.Public(addr) {
			problems.Add(field, "must resolve only to public addresses: %s resolves to one that is not", host)
			return
		}
	}
}

// joinPorts lists ports for a message: "443 or 80", "443, 80 or 8443".
func joinPorts(ports []uint16) string {
	names := make([]string, len(ports))
	for i, p := range ports {
		names[i] = strconv.Itoa(int(p))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// ListWebhooks returns the scope's webhooks, newest first.
func (s *Service) ListWebhooks(ctx context.Context, scope Scope) ([]Webhook, error) {
	stored, err := s.store.ListWebhooks(ctx, scope)
	if err != nil {
		return nil, err
	}
	out := make([]Webhook, len(stored))
	for i, w := range stored {
		if out[i], err = s.openWebhook(w); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// GetWebhook returns one of the scope's webhooks.
func (s *Service) GetWebhook(ctx context.Context, scope Scope, webhookID string) (Webhook, error) {
	w, err := s.store.GetWebhook(ctx, scope, webhookID)
	if errors.Is(err, ErrNotFound) {
		return Webhook{}, NotFound("Webhook")
	}
	if err != nil {
		return Webhook{}, err
	}
	return s.openWebhook(w)
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
		IsActive: in.IsActive, DisabledReason: ownerReason(in.IsActive), CreatedAt: now, UpdatedAt: now,
	}
	sealed, err := s.sealWebhook(w)
	if err != nil {
		return Webhook{}, err
	}
	if err := s.store.CreateWebhook(ctx, sealed); err != nil {
		return Webhook{}, err
	}
	return w, nil
}

// DisabledByOwner is the DisabledReason of an endpoint its owner set inactive (through the
// API or the dashboard). It is a reason rather than null so that a disabled endpoint
// always says why, and an owner who disabled it is not sent looking for failed deliveries.
const DisabledByOwner = "disabled by its owner"

// ownerReason is the DisabledReason of an endpoint its owner set active or not: none
// while active (enabling clears whatever disabled it), DisabledByOwner otherwise.
func ownerReason(active bool) *string {
	if active {
		return nil
	}
	return new(DisabledByOwner)
}

// UpdateWebhook applies patch to one of the scope's webhooks. The secret is left alone.
// Setting is_active to what it already is changes nothing, so the reason Octopost
// disabled an endpoint survives an owner's PATCH that repeats is_active false.
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
		if patch.IsActive.Set && patch.IsActive.Value != w.IsActive {
			w.IsActive, w.DisabledReason = patch.IsActive.Value, ownerReason(patch.IsActive.Value)
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
		previous, expires := w.Secret, s.clock.Now().Add(WebhookSecretOverlap)
		w.PreviousSecret, w.PreviousSecretExpiresAt = &previous, &expires
		w.Secret = secret
		return nil
	})
}

func (s *Service) changeWebhook(ctx context.Context, scope Scope, webhookID string, change func(*Webhook) error) (Webhook, error) {
	var updated Webhook
	err := s.store.InTx(ctx, func(tx Store) error {
		stored, err := tx.GetWebhook(ctx, scope, webhookID)
		if errors.Is(err, ErrNotFound) {
			return NotFound("Webhook")
		}
		if err != nil {
			return err
		}
		w, err := s.openWebhook(stored)
		if err != nil {
			return err
		}
		if err := change(&w); err != nil {
			return err
		}
		w.UpdatedAt = s.clock.Now()
		// Every write seals, so a plaintext row not yet sealed at start is sealed here.
		sealed, err := s.sealWebhook(w)
		if err != nil {
			return err
		}
		if err := tx.UpdateWebhook(ctx, sealed); err != nil {
			return err
		}
		if !stored.IsActive && w.IsActive {
			// Re-enabled: its failures so far no longer count towards disabling it.
			if err := tx.ResetWebhookFailures(ctx, scope, webhookID); err != nil {
				return err
			}
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
