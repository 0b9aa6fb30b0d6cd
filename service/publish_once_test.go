package service_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

const outcomeUnknown = "the outcome of the earlier attempt is unknown; not retried to avoid a duplicate post"

// crashMidCall runs job so that it dies the way a process does between the platform
// publishing the post and the job recording it: the platform has the post, and the part
// is left in flight.
func (b *pubBundle) crashMidCall(t *testing.T, job service.PublishJob) {
	t.Helper()
	b.crashMidCallTo(t, job, job.Platform)
}

// crashMidCallTo is crashMidCall for a job that calls pl, such as a scheduled post's due
// job, which publishes its first platform itself.
func (b *pubBundle) crashMidCallTo(t *testing.T, job service.PublishJob, pl service.Platform) {
	t.Helper()
	f := b.platforms[pl]
	ctx, cancel := context.WithCancel(b.ctx)
	defer cancel()
	f.mu.Lock()
	f.during, f.after = cancel, context.Canceled
	f.mu.Unlock()
	_, err := b.svc.RunPublishJob(ctx, job)
	require.ErrorIs(t, err, context.Canceled)
}

func TestACrashMidCallIsResentOnlyWhereThePlatformDeduplicates(t *testing.T) {
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
			p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon"}})
			b.publish(t, b.live, p.ID)
			job := b.queue.waiting()[0]

			b.crashMidCall(t, job)
			a := b.attempts(t, p, "mastodon")[0]
			require.Equal(t, service.AttemptInFlight, a.State)
			require.Equal(t, job.ID, a.Owner)
			require.Equal(t, p.ID+":mastodon:0", a.IdempotencyKey)
			require.Len(t, masto.published(), 1, "the platform has the post")

			// The queue runs the job again, as River does after a crash.
			b.clock.Advance(10 * time.Minute)
			b.runDue(t)
			got := b.post(t, b.live, p.ID)
			require.Len(t, masto.published(), 1, "exactly one post on the platform")
			if tc.idempotent {
				require.Equal(t, 2, masto.callCount(), "sent again, with the same key")
				require.Equal(t, masto.calls[0].IdempotencyKey, masto.calls[1].IdempotencyKey)
				require.Equal(t, service.PostPublished, got.Status)
				require.Equal(t, "mastodon-1", got.PlatformResults["mastodon"].PostID)
				require.Equal(t, service.AttemptDone, b.attempts(t, p, "mastodon")[0].State)
				return
			}
			require.Equal(t, 1, masto.callCount(), "not sent again")
			require.Equal(t, service.PostFailed, got.Status)
			require.Equal(t, service.PlatformResult{Error: outcomeUnknown}, got.PlatformResults["mastodon"])
			a = b.attempts(t, p, "mastodon")[0]
			require.Equal(t, service.AttemptFailed, a.State)
			require.Equal(t, outcomeUnknown, a.Error)
		})
	}
}

// windowed is an idempotent platform that remembers keys for an hour, as Mastodon does.
type windowed struct{ *fakePlatform }

func (windowed) IdempotencyWindow() time.Duration { return time.Hour }

func TestACrashIsNotResentOnceThePlatformHasForgottenTheKey(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	masto := b.platforms["mastodon"]
	masto.idempotent = true
	svc := service.New(b.store, b.clock, nil, service.Config{Platforms: platforms.All,
		Adapters: map[service.Platform]platform.Adapter{"mastodon": windowed{masto}}, Secrets: b.box, Render: pubRenderer{},
	})
	svc.SetQueue(b.queue, retry)
	b.svc = svc
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon"}})
	b.publish(t, b.live, p.ID)
	b.crashMidCall(t, b.queue.waiting()[0])

	b.clock.Advance(2 * time.Hour) // the server was down
	b.runDue(t)
	require.Equal(t, 1, masto.callCount())
	require.Equal(t, outcomeUnknown, b.post(t, b.live, p.ID).PlatformResults["mastodon"].Error)
}

func TestTwoJobsNeverSendTheSamePart(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	disc := b.platforms["discord"]
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}})
	b.publish(t, b.live, p.ID)
	job := b.queue.waiting()[0]
	duplicate := job
	duplicate.ID = "another-job"

	// While the job is mid-call, a duplicate of it (another instance, a bug) runs.
	var duplicateErr error
	disc.mu.Lock()
	disc.during = func() { _, duplicateErr = b.svc.RunPublishJob(b.ctx, duplicate) }
	disc.mu.Unlock()
	_, err := b.svc.RunPublishJob(b.ctx, job)
	require.NoError(t, err)
	require.ErrorContains(t, duplicateErr, "in flight in job "+job.ID, "it is retried later, not sent")

	// Run later, it finds the platform finished.
	retryIn, err := b.svc.RunPublishJob(b.ctx, duplicate)
	require.NoError(t, err)
	require.Zero(t, retryIn)
	require.Equal(t, 1, disc.callCount())
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

func TestRacingClaimsHaveOneWinner(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}})
	b.publish(t, b.live, p.ID)
	job := b.queue.waiting()[0]

	const jobs = 3 // within the SQLite pool (see TestConcurrentPlatformJobsSettleThePostOnce)
	errs := make(chan error, jobs)
	for i := range jobs {
		j := job
		j.ID = job.ID + "-copy-" + string(rune('a'+i))
		go func() {
			_, err := b.svc.RunPublishJob(b.ctx, j)
			errs <- err
		}()
	}
	for range jobs {
		if err := <-errs; err != nil {
			require.NotErrorIs(t, err, context.Canceled)
		}
	}
	require.Equal(t, 1, b.platforms["discord"].callCount())
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

func TestAJobOfAnEarlierRunDoesNothing(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord", "slack")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord", "slack"}})
	b.platforms["discord"].fail(permanent("Invalid Form Body"))
	b.publish(t, b.live, p.ID)
	firstRun := b.queue.waiting()
	b.runDue(t)

	b.publish(t, b.live, p.ID)
	for _, j := range firstRun {
		retryIn, err := b.svc.RunPublishJob(b.ctx, j)
		require.NoError(t, err)
		require.Zero(t, retryIn)
	}
	require.Equal(t, 1, b.platforms["discord"].callCount(), "the old job did not send")
	require.Equal(t, 1, b.platforms["slack"].callCount())
	require.Equal(t, service.PostPublishing, b.post(t, b.live, p.ID).Status)
}

func TestGivingUpAJobEndsItsPlatform(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon", "discord"}})
	b.publish(t, b.live, p.ID)
	jobs := b.queue.waiting()
	b.crashMidCall(t, jobs[0])

	// River ran out of attempts for internal errors on the mastodon job.
	require.NoError(t, b.svc.GiveUpPublishJob(b.ctx, jobs[0], errors.New("database is locked")))
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PlatformResult{Error: outcomeUnknown}, got.PlatformResults["mastodon"])
	require.Equal(t, service.PostPublishing, got.Status, "discord is still going")
	require.Equal(t, service.AttemptFailed, b.attempts(t, p, "mastodon")[0].State)

	require.NoError(t, b.svc.GiveUpPublishJob(b.ctx, jobs[1], errors.New("database is locked")))
	got = b.post(t, b.live, p.ID)
	require.Equal(t, service.PostFailed, got.Status)
	require.Contains(t, got.PlatformResults["discord"].Error, "an internal error stopped publishing")
	require.NotContains(t, got.PlatformResults["discord"].Error, "database", "the cause is not shown")
	require.Zero(t, b.platforms["discord"].callCount())
}

func TestGivingUpAScheduledStart(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	at := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}, ScheduledFor: &at})
	job := b.queue.waiting()[0]

	require.NoError(t, b.svc.GiveUpPublishJob(b.ctx, job, errors.New("database is locked")))
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostFailed, got.Status)
	require.Contains(t, got.PlatformResults["discord"].Error, "an internal error stopped publishing")
	types, _ := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostScheduled, service.EventPostFailed}, types)
}
