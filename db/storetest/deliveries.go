package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// addEvent adds an event of the scope to the outbox and returns it.
func (b *testBundle) addEvent(t *testing.T, sc service.Scope) service.Event {
	t.Helper()
	e := service.Event{
		ID: id.New(id.Event), Scope: sc, Type: service.EventPostPublished,
		Data: []byte(`{"post":{"id":"post_1"}}`), CreatedAt: b.now,
	}
	require.NoError(t, b.store.AddEvent(b.ctx, e))
	return e
}

func (b *testBundle) newDelivery(w service.Webhook, e service.Event) service.Delivery {
	return service.Delivery{
		ID: id.New(id.Delivery), WebhookID: w.ID, Scope: w.Scope, EventID: e.ID, EventType: e.Type,
		State: service.DeliveryPending, NextAttemptAt: new(b.now), CreatedAt: b.now, UpdatedAt: b.now,
	}
}

func (s *suite) deliveries(t *testing.T) {
	t.Run("RoundTripAndCompareAndSet", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		w := b.createWebhook(t, b.newWebhook(b.scope))
		e := b.addEvent(t, b.scope)
		got, err := b.store.GetEvent(b.ctx, b.scope, e.ID)
		require.NoError(t, err)
		require.Equal(t, e.ID, got.ID)
		require.JSONEq(t, string(e.Data), string(got.Data))
		require.True(t, e.CreatedAt.Equal(got.CreatedAt))
		_, err = b.store.GetEvent(b.ctx, b.testScope, e.ID)
		require.ErrorIs(t, err, service.ErrNotFound)

		d := b.newDelivery(w, e)
		require.NoError(t, b.store.CreateDelivery(b.ctx, d))
		stored, err := b.store.GetDelivery(b.ctx, b.scope, d.ID)
		require.NoError(t, err)
		require.Equal(t, d, stored)
		_, err = b.store.GetDelivery(b.ctx, b.other, d.ID)
		require.ErrorIs(t, err, service.ErrNotFound)

		next := d
		next.Attempts, next.LastStatusCode, next.LastError = 1, new(500), new("the endpoint answered HTTP 500")
		next.LastAttemptAt, next.NextAttemptAt, next.UpdatedAt = new(b.now), new(b.now.Add(5*time.Second)), b.now.Add(time.Second)
		require.NoError(t, b.store.UpdateDelivery(b.ctx, next, d))
		stored, err = b.store.GetDelivery(b.ctx, b.scope, d.ID)
		require.NoError(t, err)
		require.Equal(t, next, stored)
		// The same change again lost the race: d is no longer what is stored.
		require.ErrorIs(t, b.store.UpdateDelivery(b.ctx, next, d), service.ErrNotFound)

		done := next
		done.State, done.Attempts, done.LastStatusCode, done.LastError, done.NextAttemptAt = service.DeliveryDelivered, 2, new(200), nil, nil
		require.NoError(t, b.store.UpdateDelivery(b.ctx, done, next))
		stored, err = b.store.GetDelivery(b.ctx, b.scope, d.ID)
		require.NoError(t, err)
		require.Equal(t, done, stored)

		require.NoError(t, b.store.DeleteWebhook(b.ctx, b.scope, w.ID))
		_, err = b.store.GetDelivery(b.ctx, b.scope, d.ID)
		require.ErrorIs(t, err, service.ErrNotFound, "deleted with its webhook")
	})

	t.Run("ListPagesNewestFirstPerWebhook", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		w := b.createWebhook(t, b.newWebhook(b.scope))
		otherHook := b.createWebhook(t, b.newWebhook(b.scope))
		e := b.addEvent(t, b.scope)
		var ids []string
		for range 5 {
			d := b.newDelivery(w, e)
			require.NoError(t, b.store.CreateDelivery(b.ctx, d))
			ids = append([]string{d.ID}, ids...)
		}
		require.NoError(t, b.store.CreateDelivery(b.ctx, b.newDelivery(otherHook, e)))

		page, err := b.store.ListDeliveries(b.ctx, b.scope, w.ID, "", 3)
		require.NoError(t, err)
		require.Equal(t, ids[:3], deliveryIDs(page))
		page, err = b.store.ListDeliveries(b.ctx, b.scope, w.ID, ids[2], 3)
		require.NoError(t, err)
		require.Equal(t, ids[3:], deliveryIDs(page))
		page, err = b.store.ListDeliveries(b.ctx, b.testScope, w.ID, "", 10)
		require.NoError(t, err)
		require.Empty(t, page, "another mode sees none")
	})

	t.Run("FailuresCountAndDisableOnce", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)
		w := b.createWebhook(t, b.newWebhook(b.scope))
		for want := 1; want <= 3; want++ {
			n, err := b.store.AddWebhookFailure(b.ctx, b.scope, w.ID)
			require.NoError(t, err)
			require.Equal(t, want, n)
		}
		require.NoError(t, b.store.ResetWebhookFailures(b.ctx, b.scope, w.ID))
		n, err := b.store.AddWebhookFailure(b.ctx, b.scope, w.ID)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, err = b.store.AddWebhookFailure(b.ctx, b.other, w.ID)
		require.ErrorIs(t, err, service.ErrNotFound)

		changed, err := b.store.DisableWebhook(b.ctx, b.scope, w.ID, "5 deliveries in a row failed", b.now.Add(time.Hour))
		require.NoError(t, err)
		require.True(t, changed)
		changed, err = b.store.DisableWebhook(b.ctx, b.scope, w.ID, "the endpoint answered 410 Gone", b.now.Add(2*time.Hour))
		require.NoError(t, err)
		require.False(t, changed, "already disabled")
		// The first reason stays, like the first time.
		w.IsActive, w.UpdatedAt = false, b.now.Add(time.Hour)
		w.DisabledReason = new("5 deliveries in a row failed")
		b.requireWebhook(t, w)
	})
}

func deliveryIDs(list []service.Delivery) []string {
	out := make([]string, len(list))
	for i, d := range list {
		out[i] = d.ID
	}
	return out
}
