package queue

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/secretbox"
)

// TestADeliveryIsRetriedThroughRiver runs a webhook delivery on River on each engine: the
// receiver answers 500, the job is snoozed until the schedule's first retry (5 s), and
// the retry delivers.
func TestADeliveryIsRetriedThroughRiver(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		ctx := t.Context()
		key, err := secretbox.ParseKey(secretbox.GenerateKey())
		require.NoError(t, err)
		box, err := secretbox.New(key)
		require.NoError(t, err)
		svc := service.New(d, realClock{}, nil, service.Config{
			Platforms: platforms.All, Secrets: box, Render: renderer{}, AllowPrivateWebhooks: true,
		})
		q, err := New(d, svc, Options{Logger: testLogger()})
		require.NoError(t, err)
		require.NoError(t, q.Start(context.WithoutCancel(ctx)))
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			require.NoError(t, q.Stop(stopCtx))
		})

		var calls atomic.Int64
		receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) == 1 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		}))
		t.Cleanup(receiver.Close)
		user, err := svc.CreateUser(ctx, "owner@example.com", "")
		require.NoError(t, err)
		scope := service.Scope{UserID: user.ID, Mode: service.ModeLive}
		w, err := svc.CreateWebhook(ctx, scope, service.WebhookInput{URL: receiver.URL, Events: []service.WebhookEvent{"post.published"}, IsActive: true})
		require.NoError(t, err)

		sent, err := svc.SendTestEvent(ctx, scope, w.ID)
		require.NoError(t, err)
		var got service.Delivery
		require.Eventually(t, func() bool {
			page, err := svc.ListDeliveries(ctx, scope, w.ID, 10, "")
			require.NoError(t, err)
			got = page.Deliveries[0]
			return got.State == service.DeliveryDelivered
		}, 30*time.Second, 20*time.Millisecond, "never delivered: %+v", got)
		require.Equal(t, sent.ID, got.ID)
		require.Equal(t, 2, got.Attempts)
		require.EqualValues(t, 2, calls.Load())
	})
}
