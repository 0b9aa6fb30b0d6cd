package service_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/apikey"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

// recordingObserver records what the service tells its Observer.
type recordingObserver struct {
	mu       sync.Mutex
	attempts []string // "platform outcome"
	delays   []string // "platform delay"
	keys     []service.KeyCheckResult
}

func (o *recordingObserver) PublishAttempt(pl service.Platform, outcome service.PublishOutcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.attempts = append(o.attempts, string(pl)+" "+string(outcome))
}

func (o *recordingObserver) SchedulingDelay(pl service.Platform, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.delays = append(o.delays, string(pl)+" "+d.String())
}

func (o *recordingObserver) KeyCheck(r service.KeyCheckResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.keys = append(o.keys, r)
}

// observedBundle is newPublishBundle's service, rebuilt with obs as its Observer.
func observedBundle(t *testing.T, obs service.Observer, connected ...service.Platform) *pubBundle {
	t.Helper()
	b := newPublishBundle(t, connected...)
	adapters := map[service.Platform]platform.Adapter{}
	for p, f := range b.platforms {
		adapters[p] = f
	}
	b.svc = service.New(b.store, b.clock, nil, service.Config{
		Platforms: platforms.All, Adapters: adapters, Secrets: b.box, Render: pubRenderer{}, Observer: obs,
	})
	b.svc.SetQueue(b.queue, retry)
	return b
}

// TestObserverSeesEverySendAndTheFirstSendsDelay: a post published now is due when it was
// published, not when it was created; its first send to each platform reports how late it
// started, a retry does not report it again, and every send reports its outcome.
func TestObserverSeesEverySendAndTheFirstSendsDelay(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	b := observedBundle(t, obs, "mastodon", "discord", "slack", "telegram")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon", "discord", "slack", "telegram"}})
	b.clock.Advance(time.Minute)
	b.platforms["discord"].fail(transient("busy", 0))
	b.platforms["slack"].fail(permanent("too long"))
	b.platforms["telegram"].fail(&platform.Error{Kind: platform.TokenRejected, Status: 401, Message: "revoked"})
	b.publish(t, b.live, p.ID)

	b.clock.Advance(time.Second)
	b.runDue(t)
	b.clock.Advance(10 * time.Second)
	b.runDue(t)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status, "published where it could be")

	require.ElementsMatch(t, []string{
		"mastodon success", "discord retry", "discord success", "slack failure", "telegram token_rejected",
	}, obs.attempts)
	require.ElementsMatch(t, []string{"mastodon 1s", "discord 1s", "slack 1s", "telegram 1s"}, obs.delays)
}

// TestObserverSeesAScheduledPostsDelayFromItsScheduledTime.
func TestObserverSeesAScheduledPostsDelayFromItsScheduledTime(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	b := observedBundle(t, obs, "mastodon")
	at := b.clock.Now().Add(time.Hour)
	b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon"}, ScheduledFor: &at})

	b.clock.Advance(time.Hour + 3*time.Second)
	b.runDue(t)
	require.Equal(t, []string{"mastodon success"}, obs.attempts)
	require.Equal(t, []string{"mastodon 3s"}, obs.delays)
}

// TestObserverSeesEveryKeyCheck: each way a key check ends is reported once.
func TestObserverSeesEveryKeyCheck(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	ctx := t.Context()
	svc := service.New(newTestDB(t), &pubClock{now: time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)}, nil, service.Config{Observer: obs})
	_, err := svc.CreateUser(ctx, "dev@example.com", "")
	require.NoError(t, err)
	k, secret, err := svc.CreateAPIKey(ctx, "dev@example.com", "k", service.ModeLive, nil)
	require.NoError(t, err)

	_, err = svc.Authenticate(ctx, secret)
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, "not a key")
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	stranger, err := apikey.Generate(apikey.Live)
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, stranger.Secret)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	_, err = svc.RevokeAPIKey(ctx, k.ID)
	require.NoError(t, err)
	_, err = svc.Authenticate(ctx, secret)
	require.ErrorIs(t, err, service.ErrUnauthenticated)

	require.Equal(t, []service.KeyCheckResult{service.KeyValid, service.KeyMalformed, service.KeyUnknown, service.KeyRevoked}, obs.keys)
}
