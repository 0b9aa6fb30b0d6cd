package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/secretbox"
)

// The sealing at start of webhook secrets written in plaintext before they were sealed
// (service.Service.SealWebhookSecrets): the two store methods it needs, then the whole
// step through the service on this engine, several instances at once included.

// plaintextWebhook is a webhook as rows were written before secrets were sealed: its
// secret, and previous secret when previous is set, in plaintext, made from n.
func (b *testBundle) plaintextWebhook(t *testing.T, sc service.Scope, n int, previous bool) service.Webhook {
	t.Helper()
	w := b.newWebhook(sc)
	w.Secret = fmt.Sprintf("whsec_%040dCURR", n)
	if previous {
		w.PreviousSecret = new(fmt.Sprintf("whsec_%040dPREV", n))
		w.PreviousSecretExpiresAt = new(b.now.Add(24 * time.Hour))
	}
	return b.createWebhook(t, w)
}

// sealingService is the service as serve builds it over this store, with a secrets box.
// Private webhook URLs are allowed so that creating one never looks a name up.
func sealingService(t *testing.T, store service.Store) (*service.Service, *secretbox.Box) {
	t.Helper()
	key, err := secretbox.ParseKey(secretbox.GenerateKey())
	require.NoError(t, err)
	box, err := secretbox.New(key)
	require.NoError(t, err)
	return service.New(store, nil, nil, service.Config{Secrets: box, AllowPrivateWebhooks: true}), box
}

// requireSealed fails unless the webhook's stored secrets show nothing of want's and the
// service opens them to exactly want (so the API shows the same mask as before).
func (b *testBundle) requireSealed(t *testing.T, svc *service.Service, want service.Webhook) {
	t.Helper()
	row, err := b.store.GetWebhook(b.ctx, want.Scope, want.ID)
	require.NoError(t, err)
	require.NotContains(t, row.Secret, want.Secret[len("whsec_"):], "the stored secret is sealed")
	if want.PreviousSecret != nil {
		require.NotNil(t, row.PreviousSecret)
		require.NotContains(t, *row.PreviousSecret, (*want.PreviousSecret)[len("whsec_"):], "the previous secret is sealed")
	}
	got, err := svc.GetWebhook(b.ctx, want.Scope, want.ID)
	require.NoError(t, err)
	require.Equal(t, want, got, "the same webhook through the service, updated_at included")
	require.Equal(t, service.MaskSecret(want.Secret), service.MaskSecret(got.Secret))
}

// storedWebhooks reads the webhooks as stored, for comparing two runs.
func (b *testBundle) storedWebhooks(t *testing.T, ws []service.Webhook) []service.Webhook {
	t.Helper()
	out := make([]service.Webhook, len(ws))
	for i, w := range ws {
		var err error
		out[i], err = b.store.GetWebhook(b.ctx, w.Scope, w.ID)
		require.NoError(t, err)
	}
	return out
}

func (s *suite) webhookSecrets(t *testing.T) {
	const prefix = "sealed:"

	t.Run("ListUnsealedByIDAcrossScopes", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		plain := b.plaintextWebhook(t, b.scope, 1, false)
		sealed := b.newWebhook(b.scope)
		sealed.Secret, sealed.PreviousSecret = prefix+"current", new(prefix+"previous")
		b.createWebhook(t, sealed)
		previousOnly := b.newWebhook(b.testScope) // sealed, but its previous secret is not
		previousOnly.Secret, previousOnly.PreviousSecret = prefix+"current", new("whsec_old")
		b.createWebhook(t, previousOnly)
		other := b.plaintextWebhook(t, b.other, 2, true)
		test := b.plaintextWebhook(t, b.testScope, 3, true)
		secrets := func(w service.Webhook) service.WebhookSecrets {
			return service.WebhookSecrets{WebhookID: w.ID, Secret: w.Secret, PreviousSecret: w.PreviousSecret}
		}

		first, err := b.store.ListUnsealedWebhookSecrets(b.ctx, prefix, "", 2)
		require.NoError(t, err)
		require.Equal(t, []service.WebhookSecrets{secrets(plain), secrets(previousOnly)}, first)
		rest, err := b.store.ListUnsealedWebhookSecrets(b.ctx, prefix, previousOnly.ID, 2)
		require.NoError(t, err)
		require.Equal(t, []service.WebhookSecrets{secrets(other), secrets(test)}, rest)
		none, err := b.store.ListUnsealedWebhookSecrets(b.ctx, prefix, test.ID, 2)
		require.NoError(t, err)
		require.Empty(t, none)
		all, err := b.store.ListUnsealedWebhookSecrets(b.ctx, prefix, "", 100)
		require.NoError(t, err)
		require.Len(t, all, 4, "the sealed webhook is never listed")
	})

	t.Run("ReplaceIsACompareAndSet", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		w := b.plaintextWebhook(t, b.scope, 1, true)
		from := service.WebhookSecrets{WebhookID: w.ID, Secret: w.Secret, PreviousSecret: w.PreviousSecret}
		to := service.WebhookSecrets{WebhookID: w.ID, Secret: prefix + "a", PreviousSecret: new(prefix + "b")}

		stale := from
		stale.Secret = "whsec_rotated"
		require.ErrorIs(t, b.store.ReplaceWebhookSecrets(b.ctx, stale, to), service.ErrNotFound)
		stale = from
		stale.PreviousSecret = nil
		require.ErrorIs(t, b.store.ReplaceWebhookSecrets(b.ctx, stale, to), service.ErrNotFound)
		stale = from
		stale.WebhookID = id.New(id.Webhook)
		require.ErrorIs(t, b.store.ReplaceWebhookSecrets(b.ctx, stale, to), service.ErrNotFound)
		b.requireWebhook(t, w)

		require.NoError(t, b.store.ReplaceWebhookSecrets(b.ctx, from, to))
		want := w
		want.Secret, want.PreviousSecret = to.Secret, to.PreviousSecret
		b.requireWebhook(t, want)
		require.ErrorIs(t, b.store.ReplaceWebhookSecrets(b.ctx, from, to), service.ErrNotFound, "a second time: already replaced")

		// No previous secret: NULL matches NULL.
		n := b.plaintextWebhook(t, b.other, 2, false)
		from = service.WebhookSecrets{WebhookID: n.ID, Secret: n.Secret}
		require.NoError(t, b.store.ReplaceWebhookSecrets(b.ctx, from, service.WebhookSecrets{WebhookID: n.ID, Secret: prefix + "c"}))
		want = n
		want.Secret = prefix + "c"
		b.requireWebhook(t, want)
	})

	// A database with rows from before sealing: one step seals them all, in several
	// batches; the API shows the same secrets; a second start changes nothing.
	t.Run("SealingAtStart", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		svc, _ := sealingService(t, b.store)

		var legacy []service.Webhook
		for i, sc := range []service.Scope{b.scope, b.testScope, b.other, b.scope, b.other} {
			legacy = append(legacy, b.plaintextWebhook(t, sc, i, i%2 == 0))
		}
		fresh, err := svc.CreateWebhook(b.ctx, b.scope, service.WebhookInput{
			URL: "https://127.0.0.1/hook", Events: []service.WebhookEvent{"post.published"}, IsActive: true,
		})
		require.NoError(t, err)
		freshRow, err := b.store.GetWebhook(b.ctx, b.scope, fresh.ID)
		require.NoError(t, err)

		sealed, err := svc.SealWebhookSecrets(b.ctx, 2)
		require.NoError(t, err)
		require.Equal(t, len(legacy), sealed)
		for _, w := range legacy {
			b.requireSealed(t, svc, w)
		}
		b.requireWebhook(t, freshRow) // already sealed: untouched
		rows, err := b.store.ListUnsealedWebhookSecrets(b.ctx, prefix, "", 100)
		require.NoError(t, err)
		require.Empty(t, rows)

		before := b.storedWebhooks(t, legacy)
		again, err := svc.SealWebhookSecrets(b.ctx, 2)
		require.NoError(t, err)
		require.Zero(t, again, "a second start seals nothing")
		require.Equal(t, before, b.storedWebhooks(t, legacy), "and writes nothing")
	})

	// Several instances starting at once on one database: every webhook is sealed exactly
	// once (the counts add up), and every one still opens to its own secret.
	t.Run("ConcurrentSealing", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		svc, box := sealingService(t, b.store)

		var legacy []service.Webhook
		for i := range 12 {
			legacy = append(legacy, b.plaintextWebhook(t, []service.Scope{b.scope, b.other, b.testScope}[i%3], i, i%2 == 1))
		}
		const instances = 4
		counts := make([]int, instances)
		errs := make([]error, instances)
		var wg sync.WaitGroup
		for i := range instances {
			instance := service.New(b.store, nil, nil, service.Config{Secrets: box})
			wg.Go(func() { counts[i], errs[i] = instance.SealWebhookSecrets(b.ctx, 3) })
		}
		wg.Wait()
		total := 0
		for i := range instances {
			require.NoError(t, errs[i])
			total += counts[i]
		}
		require.Equal(t, len(legacy), total)
		for _, w := range legacy {
			b.requireSealed(t, svc, w)
		}
	})

	// A webhook rotated between the sealing's read and its write keeps the new secret:
	// the compare-and-set leaves it alone, and it is not counted.
	t.Run("SealingLeavesARacingRotationAlone", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		_, box := sealingService(t, b.store)

		first := b.plaintextWebhook(t, b.scope, 1, false)
		second := b.plaintextWebhook(t, b.scope, 2, true)
		var rotated service.Webhook
		racing := &rotateAfterList{Store: b.store, rotate: func(tx service.Store) {
			var err error
			rotated, err = service.New(tx, nil, nil, service.Config{Secrets: box}).RotateWebhookSecret(b.ctx, b.scope, first.ID)
			require.NoError(t, err)
		}}
		svc := service.New(racing, nil, nil, service.Config{Secrets: box})

		sealed, err := svc.SealWebhookSecrets(b.ctx, 10)
		require.NoError(t, err)
		require.Equal(t, 1, sealed, "only the webhook nobody changed")
		got, err := svc.GetWebhook(b.ctx, b.scope, first.ID)
		require.NoError(t, err)
		require.Equal(t, rotated.Secret, got.Secret, "the rotation's secret survives")
		require.Equal(t, first.Secret, *got.PreviousSecret)
		b.requireSealed(t, svc, second)
	})
}

// rotateAfterList is a store whose first listing of unsealed secrets is followed, in the
// same transaction, by a request rotating a secret it listed: what another connection
// committing between the sealing's read and its write looks like to the write.
type rotateAfterList struct {
	service.Store
	once   sync.Once
	rotate func(tx service.Store)
}

func (r *rotateAfterList) InTx(ctx context.Context, fn func(service.Store) error) error {
	return r.Store.InTx(ctx, func(tx service.Store) error {
		return fn(&rotateAfterList{Store: tx, rotate: func(inner service.Store) { r.once.Do(func() { r.rotate(inner) }) }})
	})
}

func (r *rotateAfterList) ListUnsealedWebhookSecrets(ctx context.Context, prefix, afterID string, limit int) ([]service.WebhookSecrets, error) {
	rows, err := r.Store.ListUnsealedWebhookSecrets(ctx, prefix, afterID, limit)
	if err == nil && len(rows) > 0 {
		r.rotate(r.Store)
	}
	return rows, err
}
