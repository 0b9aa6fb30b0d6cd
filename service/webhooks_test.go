package service_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/secretbox"
)

// fakeDNS answers lookups from a table, so that no test query leaves the machine. A host
// not in it does not resolve; "dns-down.example" fails as an unreachable resolver does.
type fakeDNS map[string][]string

func (f fakeDNS) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	if host == "dns-down.example" {
		return nil, &net.DNSError{Err: "i/o timeout", Name: host, Server: "10.9.8.7:53", IsTimeout: true}
	}
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, Server: "10.9.8.7:53", IsNotFound: true}
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: net.ParseIP(a)}
	}
	return out, nil
}

var webhookDNS = fakeDNS{
	"hooks.example.com":     {"93.184.216.34", "2606:2800:220:1::1"},
	"internal.example.com":  {"10.0.0.7"},
	"mixed.example.com":     {"93.184.216.34", "127.0.0.1"},
	"nat64-meta.example":    {"64:ff9b::a9fe:a9fe"},
	"nat64-public.example":  {"64:ff9b::5db8:d822"},
	"sixtofour.example":     {"2002:a00:1::1"},
	"compat.example":        {"::127.0.0.1"},
	"mapped.example":        {"::ffff:169.254.169.254"},
	"carrier-nat.example":   {"100.64.1.2"},
	"ietf.example":          {"192.0.0.9"},
	"unique-local.example":  {"fd12:3456::1"},
	"documentation.example": {"2001:db8::10"},
}

type webhookBundle struct {
	ctx   context.Context
	store *db.DB
	svc   *service.Service
	box   *secretbox.Box
	scope service.Scope
}

func setupWebhooks(t *testing.T, configure ...func(*service.Config)) *webhookBundle {
	t.Helper()
	ctx := t.Context()
	d := newTestDB(t)
	box := newTestBox(t)
	config := service.Config{Secrets: box}
	for _, c := range configure {
		c(&config)
	}
	svc := service.New(d, nil, webhookDNS, config)
	user, err := svc.CreateUser(ctx, "hooks@example.com", "")
	require.NoError(t, err)
	return &webhookBundle{ctx: ctx, store: d, svc: svc, box: box, scope: service.Scope{UserID: user.ID, Mode: service.ModeLive}}
}

func (b *webhookBundle) create(url string) (service.Webhook, error) {
	return b.svc.CreateWebhook(b.ctx, b.scope, service.WebhookInput{
		URL: url, Events: []service.WebhookEvent{"post.published"}, IsActive: true,
	})
}

// requireURLProblem asserts err is a 422 on /url and returns its message.
func requireURLProblem(t *testing.T, err error, context string) string {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se, context)
	require.Equal(t, service.KindValidation, se.Kind, context)
	require.Len(t, se.Fields, 1, context)
	require.Equal(t, "/url", se.Fields[0].Field, context)
	return se.Fields[0].Message
}

// Issue 6 item 8: IPv6 forms that embed an IPv4 address, and IANA's other special-purpose
// ranges, were accepted as webhook destinations, literally or through DNS.
func TestWebhookURLRefusesSpecialPurposeAddresses(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	for _, url := range []string{
		"https://[::127.0.0.1]/x",            // IPv4-compatible loopback
		"https://[::ffff:127.0.0.1]/x",       // IPv4-mapped loopback
		"https://[::ffff:a9fe:a9fe]/x",       // IPv4-mapped metadata
		"https://[64:ff9b::127.0.0.1]/x",     // NAT64, loopback inside
		"https://[64:ff9b::a9fe:a9fe]/x",     // NAT64, 169.254.169.254 inside
		"https://[64:ff9b::10.1.2.3]/x",      // NAT64, private inside
		"https://[2002:a00:1::1]/x",          // 6to4, 10.0.0.1 inside
		"https://[2002:7f00:1::1]/x",         // 6to4, 127.0.0.1 inside
		"https://[2001::1]/x",                // Teredo
		"https://[fd00::1]/x",                // unique local
		"https://[fe80::1%25eth0]/x",         // link-local with a zone
		"https://100.64.0.1/x",               // carrier-grade NAT
		"https://192.0.0.9/x",                // IETF protocol assignments
		"https://198.18.0.1/x",               // benchmarking
		"https://0.0.0.0/x",                  // this network
		"https://169.254.169.254/latest",     // metadata
		"https://internal.example.com/x",     // resolves to 10.0.0.7
		"https://mixed.example.com/x",        // one of its addresses is loopback
		"https://nat64-meta.example/x",       // resolves to NAT64 of the metadata address
		"https://sixtofour.example/x",        // resolves to 6to4 of 10.0.0.1
		"https://compat.example/x",           // resolves to ::127.0.0.1
		"https://mapped.example/x",           // resolves to ::ffff:169.254.169.254
		"https://carrier-nat.example/x",      // resolves to 100.64.1.2
		"https://ietf.example/x",             // resolves to 192.0.0.9
		"https://unique-local.example/x",     // resolves to fd12:3456::1
		"https://documentation.example/x",    // resolves to 2001:db8::10
		"https://internal.example.com:443/x", // the port does not change the address rule
		"https://INTERNAL.example.com./x",    // nor the spelling of the name
	} {
		_, err := b.create(url)
		msg := requireURLProblem(t, err, url)
		require.Contains(t, msg, "public address", url)
		// The address a name resolves to is the server's network layout: never shown.
		for _, addr := range []string{"10.0.0.7", "127.0.0.1", "64:ff9b", "2002:", "100.64.1.2", "fd12"} {
			if !strings.Contains(url, addr) {
				require.NotContains(t, msg, addr, url)
			}
		}
	}

	for _, url := range []string{
		"https://hooks.example.com/x",
		"https://nat64-public.example/x", // NAT64 of a public address: how IPv6-only networks reach IPv4
		"https://93.184.216.34/x",
		"https://[2606:2800:220:1::1]/x",
		"https://[::ffff:93.184.216.34]/x",
	} {
		_, err := b.create(url)
		require.NoError(t, err, url)
	}

	w, err := b.create("https://hooks.example.com/x")
	require.NoError(t, err)
	_, err = b.svc.UpdateWebhook(b.ctx, b.scope, w.ID, service.WebhookPatch{URL: service.Optional[string]{Set: true, Value: "https://[64:ff9b::a9fe:a9fe]/x"}})
	requireURLProblem(t, err, "update")
}

// A webhook URL uses port 443 or 80, or one the operator lists (OCTOPOST_WEBHOOK_PORTS):
// anything else could reach a service that happens to listen on a public address.
func TestWebhookURLPorts(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	for _, url := range []string{
		"https://hooks.example.com/x", "https://hooks.example.com:443/x", "https://hooks.example.com:80/x",
		"https://93.184.216.34:443/x",
	} {
		_, err := b.create(url)
		require.NoError(t, err, url)
	}
	for _, url := range []string{
		"https://hooks.example.com:8443/x", "https://93.184.216.34:22/x", "https://hooks.example.com:0/x",
		"https://hooks.example.com:99999/x", "https://nowhere.example.com:6379/x",
	} {
		_, err := b.create(url)
		msg := requireURLProblem(t, err, url)
		require.Contains(t, msg, "port", url)
	}

	more := setupWebhooks(t, func(c *service.Config) { c.WebhookPorts = []uint16{8443} })
	_, err := more.create("https://hooks.example.com:8443/x")
	require.NoError(t, err, "a port the operator lists")
	_, err = more.create("https://hooks.example.com/x")
	require.NoError(t, err, "443 still")
	_, err = more.create("https://hooks.example.com:9443/x")
	require.Contains(t, requireURLProblem(t, err, "9443"), "8443", "the message lists the ports allowed")
	_, err = more.create("https://internal.example.com:8443/x")
	requireURLProblem(t, err, "a listed port does not lift the address rule")
}

// The private-network switch lifts the address and the port rules: local receivers on
// 127.0.0.1 listen on random ports.
func TestWebhookURLPrivateSwitchLiftsPorts(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t, func(c *service.Config) { c.AllowPrivateWebhooks = true })
	for _, url := range []string{"http://127.0.0.1:39123/hook", "http://[::1]:8080/hook", "https://internal.example.com:9000/x"} {
		_, err := b.create(url)
		require.NoError(t, err, url)
	}
}

// A host that does not resolve when the webhook is saved is accepted: some networks have
// no DNS for the server, and the address is checked again when a delivery dials it.
func TestWebhookURLThatDoesNotResolveIsAccepted(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	for _, url := range []string{"https://nowhere.example.com/x", "https://dns-down.example/x"} {
		w, err := b.create(url)
		require.NoError(t, err, url)
		require.Equal(t, url, w.URL)
	}
}

// Issue 6 item 9: webhook signing secrets are sealed with the credentials box before the
// store sees them; the API's behaviour does not change.
func TestWebhookSecretsAreSealedAtRest(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	w, err := b.create("https://hooks.example.com/x")
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(w.Secret, "whsec_"), "the caller gets the secret itself")
	secret := w.Secret

	row, err := b.store.GetWebhook(b.ctx, b.scope, w.ID) // the row as stored
	require.NoError(t, err)
	require.NotContains(t, row.Secret, secret)
	require.NotContains(t, row.Secret, secret[6:])
	require.False(t, strings.HasPrefix(row.Secret, "whsec_"))

	got, err := b.svc.GetWebhook(b.ctx, b.scope, w.ID)
	require.NoError(t, err)
	require.Equal(t, secret, got.Secret, "opened after reading")
	require.Equal(t, "whsec_****"+secret[len(secret)-4:], service.MaskSecret(got.Secret), "the mask ends with the secret's own last four")
	list, err := b.svc.ListWebhooks(b.ctx, b.scope)
	require.NoError(t, err)
	require.Equal(t, secret, list[0].Secret)

	rotated, err := b.svc.RotateWebhookSecret(b.ctx, b.scope, w.ID)
	require.NoError(t, err)
	require.NotEqual(t, secret, rotated.Secret)
	require.Equal(t, secret, *rotated.PreviousSecret)
	row, err = b.store.GetWebhook(b.ctx, b.scope, w.ID)
	require.NoError(t, err)
	require.NotContains(t, row.Secret, rotated.Secret[6:])
	require.NotNil(t, row.PreviousSecret)
	require.NotContains(t, *row.PreviousSecret, secret[6:], "the previous secret is sealed too")
	got, err = b.svc.GetWebhook(b.ctx, b.scope, w.ID)
	require.NoError(t, err)
	require.Equal(t, rotated.Secret, got.Secret)
	require.Equal(t, secret, *got.PreviousSecret)

	updated, err := b.svc.UpdateWebhook(b.ctx, b.scope, w.ID, service.WebhookPatch{IsActive: service.Optional[bool]{Set: true, Value: false}})
	require.NoError(t, err)
	require.Equal(t, rotated.Secret, updated.Secret)
	require.Equal(t, secret, *updated.PreviousSecret)
}

// An endpoint its owner sets inactive says so, from creation or a PATCH; enabling it
// clears the reason.
func TestWebhookDisabledByItsOwnerSaysSo(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	off, err := b.svc.CreateWebhook(b.ctx, b.scope, service.WebhookInput{
		URL: "https://hooks.example.com/x", Events: []service.WebhookEvent{"post.published"}, IsActive: false,
	})
	require.NoError(t, err)
	require.Equal(t, new(service.DisabledByOwner), off.DisabledReason)
	stored, err := b.svc.GetWebhook(b.ctx, b.scope, off.ID)
	require.NoError(t, err)
	require.Equal(t, new(service.DisabledByOwner), stored.DisabledReason)

	on, err := b.create("https://hooks.example.com/y")
	require.NoError(t, err)
	require.Nil(t, on.DisabledReason)
	patch := func(id string, active bool) service.Webhook {
		t.Helper()
		w, err := b.svc.UpdateWebhook(b.ctx, b.scope, id, service.WebhookPatch{IsActive: service.Some(active)})
		require.NoError(t, err)
		got, err := b.svc.GetWebhook(b.ctx, b.scope, id)
		require.NoError(t, err)
		require.Equal(t, w.DisabledReason, got.DisabledReason, "as stored")
		return w
	}
	require.Equal(t, new(service.DisabledByOwner), patch(on.ID, false).DisabledReason)
	require.Nil(t, patch(on.ID, true).DisabledReason)
	require.Nil(t, patch(off.ID, true).DisabledReason)
}

// Rows written before secrets were sealed hold the plaintext whsec_ secret: they are read
// as they are, and sealed by the next write to the webhook.
func TestWebhookPlaintextSecretsStillWork(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	now := time.Now().UTC().Truncate(time.Second)
	legacy := "whsec_" + strings.Repeat("QUJD", 10) + "QUI="
	previous := "whsec_" + strings.Repeat("WFla", 10) + "WFk="
	expires := now.Add(time.Hour)
	require.NoError(t, b.store.CreateWebhook(b.ctx, service.Webhook{
		ID: "wh_01LEGACY0000000000000000000", Scope: b.scope, URL: "https://hooks.example.com/x",
		Events: []service.WebhookEvent{"post.published"}, Secret: legacy, IsActive: true,
		PreviousSecret: &previous, PreviousSecretExpiresAt: &expires, CreatedAt: now, UpdatedAt: now,
	}))

	got, err := b.svc.GetWebhook(b.ctx, b.scope, "wh_01LEGACY0000000000000000000")
	require.NoError(t, err)
	require.Equal(t, legacy, got.Secret)
	require.Equal(t, previous, *got.PreviousSecret)

	_, err = b.svc.UpdateWebhook(b.ctx, b.scope, got.ID, service.WebhookPatch{IsActive: service.Optional[bool]{Set: true, Value: false}})
	require.NoError(t, err)
	row, err := b.store.GetWebhook(b.ctx, b.scope, got.ID)
	require.NoError(t, err)
	require.NotContains(t, row.Secret, legacy[6:], "sealed by the next write")
	require.NotContains(t, *row.PreviousSecret, previous[6:])
	got, err = b.svc.GetWebhook(b.ctx, b.scope, got.ID)
	require.NoError(t, err)
	require.Equal(t, legacy, got.Secret)
	require.Equal(t, previous, *got.PreviousSecret)
}

func TestWebhookSecretsNeedTheKey(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	w, err := b.create("https://hooks.example.com/x")
	require.NoError(t, err)

	other := setupWebhooks(t)
	withOtherKey := service.New(b.store, nil, webhookDNS, service.Config{Secrets: other.box})
	_, err = withOtherKey.GetWebhook(b.ctx, b.scope, w.ID)
	require.ErrorIs(t, err, secretbox.ErrOpen)

	noKey := service.New(b.store, nil, webhookDNS, service.Config{})
	_, err = noKey.CreateWebhook(b.ctx, b.scope, service.WebhookInput{URL: "https://hooks.example.com/y", Events: []service.WebhookEvent{"post.published"}})
	require.Error(t, err)
	var se *service.Error
	require.False(t, errors.As(err, &se), "a server without a key is a 500, not the caller's mistake")
}

// Sealing at start needs the key only when something is left in plaintext: a server
// without one fails (a 500-class error, not the caller's) and writes nothing.
func TestWebhookSealingAtStartNeedsTheKey(t *testing.T) {
	t.Parallel()
	b := setupWebhooks(t)
	noKey := service.New(b.store, nil, webhookDNS, service.Config{})
	sealed, err := noKey.SealWebhookSecrets(b.ctx, service.WebhookSealBatch)
	require.NoError(t, err, "nothing to seal")
	require.Zero(t, sealed)

	now := time.Now().UTC().Truncate(time.Second)
	legacy := "whsec_" + strings.Repeat("QUJD", 10) + "QUI="
	require.NoError(t, b.store.CreateWebhook(b.ctx, service.Webhook{
		ID: "wh_01LEGACY0000000000000000000", Scope: b.scope, URL: "https://hooks.example.com/x",
		Events: []service.WebhookEvent{"post.published"}, Secret: legacy, IsActive: true, CreatedAt: now, UpdatedAt: now,
	}))
	_, err = noKey.SealWebhookSecrets(b.ctx, service.WebhookSealBatch)
	require.Error(t, err)
	var se *service.Error
	require.False(t, errors.As(err, &se))
	row, err := b.store.GetWebhook(b.ctx, b.scope, "wh_01LEGACY0000000000000000000")
	require.NoError(t, err)
	require.Equal(t, legacy, row.Secret, "left as it was")

	_, err = b.svc.SealWebhookSecrets(b.ctx, 0)
	require.Error(t, err, "a batch of nothing would never end")
	sealed, err = b.svc.SealWebhookSecrets(b.ctx, service.WebhookSealBatch)
	require.NoError(t, err)
	require.Equal(t, 1, sealed)
}
