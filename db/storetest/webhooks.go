package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// newWebhook returns an active webhook of the scope with only the required fields set.
func (b *testBundle) newWebhook(sc service.Scope) service.Webhook {
	return service.Webhook{
		ID:        id.New(id.Webhook),
		Scope:     sc,
		URL:       "https://hooks.example.com/octopost",
		Events:    []service.WebhookEvent{"post.published"},
		Secret:    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		IsActive:  true,
		CreatedAt: b.now,
		UpdatedAt: b.now,
	}
}

// fullWebhook returns a webhook of the scope with every field set, just after a rotation.
func (b *testBundle) fullWebhook(sc service.Scope) service.Webhook {
	w := b.newWebhook(sc)
	w.URL = "https://hooks.example.com/octopost?tenant=7"
	w.Events = append([]service.WebhookEvent(nil), service.WebhookEvents...)
	w.Secret = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	w.IsActive = false
	w.DisabledReason = new("the endpoint answered 410 Gone — «stop»")
	w.PreviousSecret = new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	w.PreviousSecretExpiresAt = new(b.now.Add(24 * time.Hour))
	w.UpdatedAt = b.now.Add(time.Minute)
	return w
}

func (b *testBundle) createWebhook(t *testing.T, w service.Webhook) service.Webhook {
	t.Helper()
	require.NoError(t, b.store.CreateWebhook(b.ctx, w))
	return w
}

func (b *testBundle) requireWebhook(t *testing.T, want service.Webhook) {
	t.Helper()
	got, err := b.store.GetWebhook(b.ctx, want.Scope, want.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func (s *suite) webhooks(t *testing.T) {
	t.Run("RoundTripEveryField", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		w := b.fullWebhook(b.scope)
		w.CreatedAt = b.now.In(zone)
		w.PreviousSecretExpiresAt = new(w.PreviousSecretExpiresAt.In(zone))
		b.createWebhook(t, w)

		want := b.fullWebhook(b.scope)
		want.ID = w.ID
		b.requireWebhook(t, want)

		got, err := b.store.GetWebhook(b.ctx, b.scope, w.ID)
		require.NoError(t, err)
		requireUTC(t, &got.CreatedAt, &got.UpdatedAt, got.PreviousSecretExpiresAt)
	})

	t.Run("RoundTripMinimal", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		w := b.createWebhook(t, b.newWebhook(b.testScope))
		b.requireWebhook(t, w)
	})

	t.Run("OtherScopesDoNotSeeIt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		w := b.createWebhook(t, b.newWebhook(b.scope))
		for _, sc := range []service.Scope{b.testScope, b.other} {
			_, err := b.store.GetWebhook(b.ctx, sc, w.ID)
			require.ErrorIs(t, err, service.ErrNotFound)

			changed := w
			changed.Scope = sc
			changed.URL = "https://attacker.example.com"
			require.ErrorIs(t, b.store.UpdateWebhook(b.ctx, changed), service.ErrNotFound)
			require.ErrorIs(t, b.store.DeleteWebhook(b.ctx, sc, w.ID), service.ErrNotFound)

			list, err := b.store.ListWebhooks(b.ctx, sc)
			require.NoError(t, err)
			require.Empty(t, list)
		}
		b.requireWebhook(t, w)
	})

	t.Run("ListNewestFirst", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		first := b.createWebhook(t, b.fullWebhook(b.scope))
		b.createWebhook(t, b.newWebhook(b.testScope))
		second := b.createWebhook(t, b.newWebhook(b.scope))
		b.createWebhook(t, b.newWebhook(b.other))
		third := b.createWebhook(t, b.newWebhook(b.scope))

		got, err := b.store.ListWebhooks(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, []service.Webhook{third, second, first}, got)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		w := b.createWebhook(t, b.newWebhook(b.scope))
		updated := b.fullWebhook(b.scope)
		updated.ID = w.ID
		updated.CreatedAt = b.now.Add(time.Hour) // ignored
		require.NoError(t, b.store.UpdateWebhook(b.ctx, updated))

		want := updated
		want.CreatedAt = w.CreatedAt
		b.requireWebhook(t, want)

		// Back again: the previous secret is cleared.
		w.UpdatedAt = b.now.Add(2 * time.Hour)
		require.NoError(t, b.store.UpdateWebhook(b.ctx, w))
		b.requireWebhook(t, w)

		require.ErrorIs(t, b.store.UpdateWebhook(b.ctx, b.newWebhook(b.scope)), service.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		w := b.createWebhook(t, b.newWebhook(b.scope))
		require.NoError(t, b.store.DeleteWebhook(b.ctx, b.scope, w.ID))
		_, err := b.store.GetWebhook(b.ctx, b.scope, w.ID)
		require.ErrorIs(t, err, service.ErrNotFound)
		require.ErrorIs(t, b.store.DeleteWebhook(b.ctx, b.scope, w.ID), service.ErrNotFound)
	})
}
