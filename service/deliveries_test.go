package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/delivery"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

// The delivery tests run the service on a real SQLite store with a fake clock, a fake
// queue whose delivery jobs the test runs by hand (runDeliveries), and receivers on
// 127.0.0.1 (AllowPrivateWebhooks), so that the whole three-day schedule runs at once.

// deliveryQueue keeps delivery jobs in memory, with when each is due.
type deliveryQueue struct {
	mu   sync.Mutex
	jobs []*dueDelivery
}

type dueDelivery struct {
	job  service.DeliveryJob
	due  time.Time
	done bool
}

func (q *deliveryQueue) Enqueue(_ context.Context, tx service.Store, jobs ...service.Job) error {
	if err := inTx(tx); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range jobs {
		dj, ok := j.(service.DeliveryJob)
		if !ok {
			return fmt.Errorf("deliveryQueue: unexpected kind of job %q", service.KindOf(j))
		}
		q.jobs = append(q.jobs, &dueDelivery{job: dj})
	}
	return nil
}

func (q *deliveryQueue) CancelPost(context.Context, service.Store, string) error { return nil }

func (q *deliveryQueue) next(now time.Time) *dueDelivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if !j.done && !j.due.After(now) {
			return j
		}
	}
	return nil
}

// nextDue returns when the earliest waiting job is due, and false when none waits.
func (q *deliveryQueue) nextDue() (time.Time, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	var first time.Time
	found := false
	for _, j := range q.jobs {
		if !j.done && (!found || j.due.Before(first)) {
			first, found = j.due, true
		}
	}
	return first, found
}

// receiver is a webhook endpoint on 127.0.0.1 that answers with the statuses scripted,
// then 200, and keeps every request.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	script   []int
	requests []received
}

type received struct {
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T, script ...int) *receiver {
	r := &receiver{script: script}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{header: req.Header.Clone(), body: body})
		status := http.StatusOK
		if len(r.script) > 0 {
			status, r.script = r.script[0], r.script[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) received() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

type deliveryBundle struct {
	ctx     context.Context
	svc     *service.Service
	store   service.Store
	clock   *pubClock
	queue   *deliveryQueue
	adapter *fakeAdapter
	live    service.Scope
	test    service.Scope
}

func newDeliveryBundle(t *testing.T) *deliveryBundle {
	t.Helper()
	d := newTestDB(t)
	b := &deliveryBundle{
		ctx: t.Context(), store: d, queue: &deliveryQueue{},
		clock:   &pubClock{now: time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)},
		adapter: &fakeAdapter{profile: platform.Profile{UserID: "1", Username: "alice", DisplayName: "Alice"}},
	}
	b.svc = service.New(d, b.clock, nil, service.Config{
		Platforms: platforms.All, Adapters: map[service.Platform]platform.Adapter{"mastodon": b.adapter},
		Secrets: newTestBox(t), Render: renderer{}, AllowPrivateWebhooks: true,
	})
	b.svc.SetQueue(b.queue, service.Retry{})
	user, err := b.svc.CreateUser(b.ctx, "owner@example.com", "")
	require.NoError(t, err)
	b.live = service.Scope{UserID: user.ID, Mode: service.ModeLive}
	b.test = service.Scope{UserID: user.ID, Mode: service.ModeTest}
	return b
}

func (b *deliveryBundle) webhook(t *testing.T, sc service.Scope, url string, events ...service.WebhookEvent) service.Webhook {
	t.Helper()
	w, err := b.svc.CreateWebhook(b.ctx, sc, service.WebhookInput{URL: url, Events: events, IsActive: true})
	require.NoError(t, err)
	return w
}

// connect records account.connected in sc (a live account, or a sandbox one in test mode).
func (b *deliveryBundle) connect(t *testing.T, sc service.Scope) service.Account {
	t.Helper()
	in := mastodonInput
	if sc.Mode == service.ModeTest {
		in = service.AccountInput{Platform: "mastodon"}
	}
	a, err := b.svc.ConnectAccount(b.ctx, sc, in)
	require.NoError(t, err)
	return a
}

// runDeliveries runs every delivery job due at the clock's time, as the queue would
// (snoozed for the time a failed attempt returns), and returns how many ran.
func (b *deliveryBundle) runDeliveries(t *testing.T) int {
	t.Helper()
	ran := 0
	for j := b.queue.next(b.clock.Now()); j != nil; j = b.queue.next(b.clock.Now()) {
		retryIn, err := b.svc.RunDeliveryJob(b.ctx, j.job)
		require.NoError(t, err)
		if retryIn > 0 {
			j.due = b.clock.Now().Add(retryIn)
		} else {
			j.done = true
		}
		ran++
	}
	return ran
}

// runAll runs the delivery jobs to the end of their schedules, moving the clock to each
// one's next attempt, and returns the waits it moved the clock by.
func (b *deliveryBundle) runAll(t *testing.T) []time.Duration {
	t.Helper()
	var waits []time.Duration
	for {
		b.runDeliveries(t)
		due, ok := b.queue.nextDue()
		if !ok {
			return waits
		}
		waits = append(waits, due.Sub(b.clock.Now()))
		b.clock.Advance(due.Sub(b.clock.Now()))
	}
}

func (b *deliveryBundle) deliveries(t *testing.T, w service.Webhook) []service.Delivery {
	t.Helper()
	page, err := b.svc.ListDeliveries(b.ctx, w.Scope, w.ID, 100, "")
	require.NoError(t, err)
	return page.Deliveries
}

func TestDeliveryIsSignedAndCarriesTheEvent(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	r := newReceiver(t)
	w := b.webhook(t, b.live, r.URL, "account.connected")
	a := b.connect(t, b.live)

	require.Equal(t, 1, b.runDeliveries(t))
	got := r.received()
	require.Len(t, got, 1)
	wh, err := standardwebhooks.NewWebhook(w.Secret)
	require.NoError(t, err)
	// The fake clock is months from the real one, which the library's tolerance checks.
	require.NoError(t, wh.VerifyIgnoringTimestamp(got[0].body, got[0].header))
	require.Equal(t, fmt.Sprint(b.clock.Now().Unix()), got[0].header.Get("webhook-timestamp"))

	var body struct {
		ID        string          `json:"id"`
		Type      string          `json:"type"`
		CreatedAt time.Time       `json:"created_at"`
		Data      json.RawMessage `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got[0].body, &body))
	events, err := b.store.ListEvents(b.ctx, b.live)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, events[0].ID, body.ID)
	require.Equal(t, events[0].ID, got[0].header.Get("webhook-id"))
	require.Equal(t, "account.connected", body.Type)
	require.True(t, events[0].CreatedAt.Equal(body.CreatedAt))
	require.JSONEq(t, string(events[0].Data), string(body.Data))
	require.Contains(t, string(body.Data), a.ID)

	list := b.deliveries(t, w)
	require.Len(t, list, 1)
	d := list[0]
	require.Equal(t, service.DeliveryDelivered, d.State)
	require.Equal(t, 1, d.Attempts)
	require.Equal(t, 200, *d.LastStatusCode)
	require.Nil(t, d.LastError)
	require.Nil(t, d.NextAttemptAt)
	require.Equal(t, events[0].ID, d.EventID)
	require.Equal(t, service.EventAccountConnected, d.EventType)
}

func TestDeliveryRetriesOnTheSchedule(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	r := newReceiver(t, 500, 503, 500)
	w := b.webhook(t, b.live, r.URL, "account.connected")
	b.connect(t, b.live)

	b.runDeliveries(t)
	d := b.deliveries(t, w)[0]
	require.Equal(t, service.DeliveryPending, d.State)
	require.Equal(t, 1, d.Attempts)
	require.Equal(t, 500, *d.LastStatusCode)
	require.Equal(t, "the endpoint answered HTTP 500", *d.LastError)
	require.Equal(t, b.clock.Now().Add(5*time.Second), *d.NextAttemptAt)

	b.clock.Advance(5*time.Second - time.Millisecond)
	require.Zero(t, b.runDeliveries(t), "not due yet")
	require.Equal(t, []time.Duration{time.Millisecond, 5 * time.Minute, 30 * time.Minute}, b.runAll(t))

	got := r.received()
	require.Len(t, got, 4, "delivered on the fourth attempt, and only once")
	for _, req := range got {
		require.Equal(t, got[0].header.Get("webhook-id"), req.header.Get("webhook-id"), "one event id across retries")
	}
	d = b.deliveries(t, w)[0]
	require.Equal(t, service.DeliveryDelivered, d.State)
	require.Equal(t, 4, d.Attempts)
	require.Equal(t, 200, *d.LastStatusCode)
	require.Nil(t, d.NextAttemptAt)
}

func TestDeliveryFailsForGoodWhenTheScheduleIsSpent(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	script := make([]int, 100)
	for i := range script {
		script[i] = 500
	}
	r := newReceiver(t, script...)
	w := b.webhook(t, b.live, r.URL, "account.connected")
	b.connect(t, b.live)

	waits := b.runAll(t)
	require.Equal(t, delivery.Schedule, waits)
	require.Len(t, r.received(), len(delivery.Schedule)+1)
	d := b.deliveries(t, w)[0]
	require.Equal(t, service.DeliveryFailed, d.State)
	require.Equal(t, len(delivery.Schedule)+1, d.Attempts)
	require.Nil(t, d.NextAttemptAt)

	stored, err := b.svc.GetWebhook(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	require.True(t, stored.IsActive, "one delivery failed for good does not disable the endpoint")
}

func TestGoneDisablesTheEndpoint(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	r := newReceiver(t, http.StatusGone)
	w := b.webhook(t, b.live, r.URL, "account.connected", "account.disconnected")
	a := b.connect(t, b.live)

	b.runDeliveries(t)
	d := b.deliveries(t, w)[0]
	require.Equal(t, service.DeliveryFailed, d.State)
	require.Equal(t, 410, *d.LastStatusCode)
	stored, err := b.svc.GetWebhook(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	require.False(t, stored.IsActive)
	require.Equal(t, new("the endpoint answered 410 Gone"), stored.DisabledReason)
	types := eventTypes(t, b, b.live)
	require.Equal(t, []service.EventType{service.EventAccountConnected, service.EventWebhookDisabled}, types)

	require.NoError(t, b.svc.DisconnectAccount(b.ctx, b.live, a.ID))
	require.Zero(t, b.runDeliveries(t))
	require.Len(t, b.deliveries(t, w), 1, "a disabled endpoint gets no more deliveries")
	require.Len(t, r.received(), 1)

	_, err = b.svc.SendTestEvent(b.ctx, b.live, w.ID)
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindConflict, se.Kind)

	// The owner repeating is_active false keeps Octopost's reason; enabling clears it.
	off := service.WebhookPatch{IsActive: service.Some(false)}
	patched, err := b.svc.UpdateWebhook(b.ctx, b.live, w.ID, off)
	require.NoError(t, err)
	require.Equal(t, new("the endpoint answered 410 Gone"), patched.DisabledReason)
	patched, err = b.svc.UpdateWebhook(b.ctx, b.live, w.ID, service.WebhookPatch{IsActive: service.Some(true)})
	require.NoError(t, err)
	require.True(t, patched.IsActive)
	require.Nil(t, patched.DisabledReason)
	stored, err = b.svc.GetWebhook(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	require.Nil(t, stored.DisabledReason, "cleared in the store too")
}

func TestConsecutiveFailuresDisableTheEndpoint(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	failing := true
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if failing {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	w := b.webhook(t, b.live, srv.URL, "account.connected")

	// One fewer than the limit fail for good, then one is delivered: the count restarts.
	for range service.WebhookFailureLimit - 1 {
		_, err := b.svc.SendTestEvent(b.ctx, b.live, w.ID)
		require.NoError(t, err)
	}
	b.runAll(t)
	mu.Lock()
	failing = false
	mu.Unlock()
	_, err := b.svc.SendTestEvent(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	b.runAll(t)
	mu.Lock()
	failing = true
	mu.Unlock()

	for range service.WebhookFailureLimit - 1 {
		_, err := b.svc.SendTestEvent(b.ctx, b.live, w.ID)
		require.NoError(t, err)
	}
	b.runAll(t)
	stored, err := b.svc.GetWebhook(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	require.True(t, stored.IsActive, "the delivered one reset the count")

	_, err = b.svc.SendTestEvent(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	b.runAll(t)
	stored, err = b.svc.GetWebhook(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	require.False(t, stored.IsActive, "%d deliveries in a row failed for good", service.WebhookFailureLimit)
	require.Equal(t, new(fmt.Sprintf("%d deliveries in a row failed", service.WebhookFailureLimit)), stored.DisabledReason)
	types := eventTypes(t, b, b.live)
	require.Equal(t, service.EventWebhookDisabled, types[len(types)-1])
	disabled := 0
	for _, typ := range types {
		if typ == service.EventWebhookDisabled {
			disabled++
		}
	}
	require.Equal(t, 1, disabled)

	// Re-enabled, it starts counting again from zero.
	_, err = b.svc.UpdateWebhook(b.ctx, b.live, w.ID, service.WebhookPatch{IsActive: service.Some(true)})
	require.NoError(t, err)
	_, err = b.svc.SendTestEvent(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	b.runAll(t)
	stored, err = b.svc.GetWebhook(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	require.True(t, stored.IsActive)
}

func TestTestModeEventsGoOnlyToTestModeEndpoints(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	liveR, testR := newReceiver(t), newReceiver(t)
	liveW := b.webhook(t, b.live, liveR.URL, "account.connected")
	testW := b.webhook(t, b.test, testR.URL, "account.connected")
	unsubscribed := newReceiver(t)
	b.webhook(t, b.test, unsubscribed.URL, "post.published")

	b.connect(t, b.test)
	b.runDeliveries(t)
	require.Len(t, testR.received(), 1)
	require.Empty(t, liveR.received())
	require.Empty(t, unsubscribed.received(), "not subscribed to account.connected")

	b.connect(t, b.live)
	b.runDeliveries(t)
	require.Len(t, liveR.received(), 1)
	require.Len(t, testR.received(), 1)
	require.Len(t, b.deliveries(t, liveW), 1)
	require.Len(t, b.deliveries(t, testW), 1)

	_, err := b.svc.ListDeliveries(b.ctx, b.live, testW.ID, 10, "")
	requireMissing(t, err, "Webhook")
}

// failingCommit is a store whose transactions that record an event roll back after fn
// succeeded: the change, its event, and its deliveries with it.
type failingCommit struct {
	service.Store
	sawEvent *bool
}

var errRolledBack = errors.New("rolled back")

func (s failingCommit) InTx(ctx context.Context, fn func(service.Store) error) error {
	return s.Store.InTx(ctx, func(tx service.Store) error {
		saw := false
		if err := fn(failingCommit{tx, &saw}); err != nil {
			return err
		}
		if saw {
			return errRolledBack
		}
		return nil
	})
}

func (s failingCommit) AddEvent(ctx context.Context, e service.Event) error {
	*s.sawEvent = true
	return s.Store.AddEvent(ctx, e)
}

func TestARolledBackChangeSendsNothing(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	r := newReceiver(t)
	w := b.webhook(t, b.live, r.URL, "account.connected")
	svc := service.New(failingCommit{Store: b.store}, b.clock, nil, service.Config{
		Platforms: platforms.All, Adapters: map[service.Platform]platform.Adapter{"mastodon": b.adapter},
		Secrets: newTestBox(t), Render: renderer{}, AllowPrivateWebhooks: true,
	})
	svc.SetQueue(b.queue, service.Retry{})

	_, err := svc.ConnectAccount(b.ctx, b.live, mastodonInput)
	require.ErrorIs(t, err, errRolledBack)
	// The fake queue is not transactional (River is: db/queue), so the job it kept runs,
	// and finds no delivery to make.
	require.Equal(t, 1, b.runDeliveries(t))
	require.Empty(t, r.received())
	require.Empty(t, b.deliveries(t, w))
	require.Empty(t, eventTypes(t, b, b.live))
}

func TestRotationSignsWithBothSecretsForADay(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	r := newReceiver(t)
	w := b.webhook(t, b.live, r.URL, "account.connected")
	rotated, err := b.svc.RotateWebhookSecret(b.ctx, b.live, w.ID)
	require.NoError(t, err)

	verifies := func(req received, secret string) bool {
		wh, err := standardwebhooks.NewWebhook(secret)
		require.NoError(t, err)
		return wh.VerifyIgnoringTimestamp(req.body, req.header) == nil
	}
	_, err = b.svc.SendTestEvent(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	b.runDeliveries(t)
	got := r.received()
	require.Len(t, got, 1)
	require.True(t, verifies(got[0], w.Secret), "the previous secret still signs")
	require.True(t, verifies(got[0], rotated.Secret), "the new secret signs")

	b.clock.Advance(24*time.Hour + time.Second)
	_, err = b.svc.SendTestEvent(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	b.runDeliveries(t)
	got = r.received()
	require.Len(t, got, 2)
	require.False(t, verifies(got[1], w.Secret), "a day later the previous secret no longer signs")
	require.True(t, verifies(got[1], rotated.Secret))
}

func TestResendAndTestEvents(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	r := newReceiver(t, http.StatusInternalServerError)
	w := b.webhook(t, b.live, r.URL, "post.published")

	sent, err := b.svc.SendTestEvent(b.ctx, b.live, w.ID)
	require.NoError(t, err)
	require.Equal(t, service.DeliveryPending, sent.State)
	require.Equal(t, service.EventWebhookTest, sent.EventType)
	b.runDeliveries(t)

	again, err := b.svc.ResendDelivery(b.ctx, b.live, w.ID, sent.ID)
	require.NoError(t, err)
	require.NotEqual(t, sent.ID, again.ID)
	require.Equal(t, sent.EventID, again.EventID)
	require.Equal(t, 0, again.Attempts)
	b.runDeliveries(t)
	got := r.received()
	require.Len(t, got, 2)
	require.Equal(t, got[0].header.Get("webhook-id"), got[1].header.Get("webhook-id"), "a resend keeps the event's id")
	var body struct {
		Type string `json:"type"`
		Data struct {
			WebhookID string `json:"webhook_id"`
		} `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got[1].body, &body))
	require.Equal(t, "webhook.test", body.Type)
	require.Equal(t, w.ID, body.Data.WebhookID)

	other := b.webhook(t, b.live, r.URL, "post.published")
	_, err = b.svc.ResendDelivery(b.ctx, b.live, other.ID, sent.ID)
	requireMissing(t, err, "Delivery")
	_, err = b.svc.SendTestEvent(b.ctx, b.live, "wh_01KN9KDSG0AAAAAAAAAAAAAAAA")
	requireMissing(t, err, "Webhook")

	// The log pages newest first, by cursor.
	page, err := b.svc.ListDeliveries(b.ctx, b.live, w.ID, 1, "")
	require.NoError(t, err)
	require.Equal(t, []string{again.ID}, deliveryIDs(page.Deliveries))
	require.NotEmpty(t, page.NextCursor)
	page, err = b.svc.ListDeliveries(b.ctx, b.live, w.ID, 1, page.NextCursor)
	require.NoError(t, err)
	require.Equal(t, []string{sent.ID}, deliveryIDs(page.Deliveries))
	require.Empty(t, page.NextCursor)
	_, err = b.svc.ListDeliveries(b.ctx, b.live, w.ID, 1, "bm90LWEtY3Vyc29y")
	requireFields(t, err, "cursor")
}

func TestADeletedEndpointsDeliveriesAreDropped(t *testing.T) {
	t.Parallel()
	b := newDeliveryBundle(t)
	r := newReceiver(t)
	w := b.webhook(t, b.live, r.URL, "account.connected")
	b.connect(t, b.live)
	require.NoError(t, b.svc.DeleteWebhook(b.ctx, b.live, w.ID))
	require.Equal(t, 1, b.runDeliveries(t))
	require.Empty(t, r.received())
}

func eventTypes(t *testing.T, b *deliveryBundle, sc service.Scope) []service.EventType {
	t.Helper()
	list, err := b.store.ListEvents(b.ctx, sc)
	require.NoError(t, err)
	out := make([]service.EventType, len(list))
	for i, e := range list {
		out[i] = e.Type
	}
	return out
}

func deliveryIDs(list []service.Delivery) []string {
	out := make([]string, len(list))
	for i, d := range list {
		out[i] = d.ID
	}
	return out
}

func requireMissing(t *testing.T, err error, resource string) {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindNotFound, se.Kind)
	require.Equal(t, resource+" not found", se.Message)
}
