package service_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

// The due job of a scheduled post starts the run and publishes the first platform itself
// (publish.go): these tests hold it to that, and to exactly-once on every path it takes.

// txCounter is a Store that counts the transactions begun through it: every transaction
// of the store writes (SQLite's are BEGIN IMMEDIATE), so this counts write transactions.
type txCounter struct {
	service.Store
	n atomic.Int64
}

func (c *txCounter) InTx(ctx context.Context, fn func(service.Store) error) error {
	c.n.Add(1)
	return c.Store.InTx(ctx, fn)
}

// countTx makes b's service run on a store that counts its transactions.
func (b *pubBundle) countTx() *txCounter {
	c := &txCounter{Store: b.store}
	adapters := map[service.Platform]platform.Adapter{}
	for pl, f := range b.platforms {
		adapters[pl] = f
	}
	b.svc = service.New(c, b.clock, nil, service.Config{Platforms: platforms.All, Adapters: adapters, Secrets: b.box, Render: pubRenderer{}})
	b.svc.SetQueue(b.queue, retry)
	return c
}

// scheduleAndWait schedules a post an hour ahead and moves the clock to its time. It
// returns the post and its due job.
func (b *pubBundle) scheduleAndWait(t *testing.T, in service.PostInput) (service.Post, service.PublishJob) {
	t.Helper()
	at := b.clock.Now().Add(time.Hour)
	in.ScheduledFor = &at
	p := b.createPost(t, b.live, in)
	waiting := b.queue.waiting()
	require.Len(t, waiting, 1)
	b.clock.Advance(time.Hour)
	return p, waiting[0]
}

func TestAScheduledPostCostsOneJobAndTwoWriteTransactions(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	count := b.countTx()
	p, due := b.scheduleAndWait(t, service.PostInput{Platforms: []service.Platform{"discord"}})

	before := count.n.Load()
	retryIn, err := b.svc.RunPublishJob(b.ctx, due)
	require.NoError(t, err)
	require.Zero(t, retryIn)
	// Starting the run and claiming the part, then the platform's answer: when many
	// posts come due at once, these transactions are what they queue for.
	require.Equal(t, int64(2), count.n.Load()-before, "write transactions from due to published")
	require.Len(t, b.queue.all(), 1, "no job but the due one")
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Len(t, b.platforms["discord"].published(), 1)
	a := b.attempts(t, p, "discord")[0]
	require.Equal(t, service.AttemptDone, a.State)
	require.Equal(t, due.ID, a.Owner, "the due job sent it")
	require.Equal(t, 1, a.Tries)
}

func TestADueJobKeepsTheFirstPlatformAndEnqueuesTheOthers(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	p, due := b.scheduleAndWait(t, service.PostInput{Platforms: []service.Platform{"mastodon", "discord"}})

	_, err := b.svc.RunPublishJob(b.ctx, due)
	require.NoError(t, err)
	require.Len(t, b.platforms["mastodon"].published(), 1, "published by the due job")
	require.Zero(t, b.platforms["discord"].callCount())
	waiting := b.queue.waiting()
	require.Len(t, waiting, 2, "the due job (still running here) and discord's")
	require.Equal(t, service.PublishJob{Scope: b.live, PostID: p.ID, Generation: 2, Platform: "discord", ID: "job-2"}, waiting[1])
	require.Equal(t, service.PostPublishing, b.post(t, b.live, p.ID).Status)

	b.runDue(t)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.True(t, got.PlatformResults["mastodon"].Success)
	require.True(t, got.PlatformResults["discord"].Success)
	require.Len(t, b.platforms["mastodon"].published(), 1, "the due job, run again by runDue, did not send twice")
	require.Len(t, b.platforms["discord"].published(), 1)
}

func TestADueJobWithACrossLinkEnqueuesThePrimary(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	preset, err := b.svc.CreatePreset(b.ctx, b.live, service.PresetInput{
		Name: "Fediverse first", Platforms: []service.Platform{"discord", "mastodon"},
		PrimaryPlatform: new(service.Platform("mastodon")), CrossLinkEnabled: true,
		CrossLinkTemplate: new("On {platform}: {link}"),
	})
	require.NoError(t, err)
	_, due := b.scheduleAndWait(t, service.PostInput{PresetID: &preset.ID})

	_, err = b.svc.RunPublishJob(b.ctx, due)
	require.NoError(t, err)
	require.Zero(t, b.platforms["mastodon"].callCount()+b.platforms["discord"].callCount(),
		"the primary, which the others wait for, goes out in its own job")
	waiting := b.queue.waiting()
	require.Len(t, waiting, 2)
	require.Equal(t, service.Platform("mastodon"), waiting[1].Platform)
	require.Equal(t, []service.Platform{"discord"}, waiting[1].Then)

	b.runDue(t)
	require.Equal(t, "Hello from Octopost\n\nOn Mastodon: https://mastodon.example/p/1", b.platforms["discord"].published()[0].Text)
}

func TestADueJobRunAgainAfterACrashCarriesOnAsItsPlatform(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		idempotent bool
	}{
		{"Idempotent", true},
		{"NotIdempotent", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newPublishBundle(t, "mastodon")
			masto := b.platforms["mastodon"]
			masto.idempotent = tc.idempotent
			p, due := b.scheduleAndWait(t, service.PostInput{Platforms: []service.Platform{"mastodon"}})

			b.crashMidCallTo(t, due, "mastodon")
			a := b.attempts(t, p, "mastodon")[0]
			require.Equal(t, service.AttemptInFlight, a.State)
			require.Equal(t, due.ID, a.Owner)
			require.Len(t, masto.published(), 1, "the platform has the post")

			b.clock.Advance(10 * time.Minute)
			require.Equal(t, 1, b.runDue(t), "only the due job, run again")
			got := b.post(t, b.live, p.ID)
			require.Len(t, masto.published(), 1, "exactly one post on the platform")
			if tc.idempotent {
				require.Equal(t, 2, masto.callCount(), "sent again, with the same key")
				require.Equal(t, masto.calls[0].IdempotencyKey, masto.calls[1].IdempotencyKey)
				require.Equal(t, service.PostPublished, got.Status)
				return
			}
			require.Equal(t, 1, masto.callCount(), "not sent again")
			require.Equal(t, service.PostFailed, got.Status)
			require.Equal(t, service.PlatformResult{Error: outcomeUnknown}, got.PlatformResults["mastodon"])
		})
	}
}

func TestADueJobRetriesItsPlatformAfterATransientFailure(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.platforms["mastodon"].fail(transient("Service Unavailable", 0))
	p, due := b.scheduleAndWait(t, service.PostInput{Platforms: []service.Platform{"mastodon"}})

	retryIn, err := b.svc.RunPublishJob(b.ctx, due)
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, retryIn)
	a := b.attempts(t, p, "mastodon")[0]
	require.Equal(t, service.AttemptPending, a.State)
	require.Equal(t, due.ID, a.Owner)

	retryIn, err = b.svc.RunPublishJob(b.ctx, due)
	require.NoError(t, err)
	require.Zero(t, retryIn)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
	require.Equal(t, 2, b.attempts(t, p, "mastodon")[0].Tries)
	require.Len(t, b.platforms["mastodon"].published(), 1)
	require.Len(t, b.queue.all(), 1)
}

func TestGivingUpAStartedDueJobEndsItsPlatform(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord", "slack")
	p, due := b.scheduleAndWait(t, service.PostInput{Platforms: []service.Platform{"discord", "slack"}})
	b.crashMidCallTo(t, due, "discord")

	// River ran out of attempts for internal errors on the due job.
	require.NoError(t, b.svc.GiveUpPublishJob(b.ctx, due, errors.New("database is locked")))
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PlatformResult{Error: outcomeUnknown}, got.PlatformResults["discord"])
	require.Equal(t, service.PostPublishing, got.Status, "slack is still going")
	b.runDue(t)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
	require.Len(t, b.platforms["discord"].published(), 1)
}
