package queue

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		require.NoError(t, Migrate(t.Context(), d))
	})
}

func TestSchedulingEnqueuesAJobDueAtScheduledFor(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now().UTC().Truncate(time.Millisecond)}
		b := setup(t, d, clock, Options{})
		at := clock.Now().Add(time.Hour)
		p := b.createPost(t, &at)

		jobs, err := b.queue.jobs(b.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		job := jobs[0]
		require.Equal(t, "octopost_publish", job.Kind)
		require.Equal(t, queueName, job.Queue)
		require.True(t, at.Equal(job.ScheduledAt), "scheduled at %s, want %s", job.ScheduledAt, at)
		// Available, not scheduled: the next poll after its time fetches it (dueOnTime).
		require.Equal(t, rivertype.JobStateAvailable, job.State)
		require.JSONEq(t, `{"user_id": "`+b.scope.UserID+`", "mode": "live", "post_id": "`+p.ID+`", "generation": 1}`,
			string(job.EncodedArgs))
	})
}

func TestReschedulingAndDeletingCancelTheJob(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now().UTC().Truncate(time.Millisecond)}
		b := setup(t, d, clock, Options{})
		first := clock.Now().Add(time.Hour)
		p := b.createPost(t, &first)
		other := b.createPost(t, &first)

		later := first.Add(time.Hour)
		_, err := b.svc.UpdatePost(b.ctx, b.scope, p.ID, service.PostPatch{ScheduledFor: service.Some(&later)})
		require.NoError(t, err)
		jobs, err := b.queue.jobs(b.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, jobs, 2)
		require.Equal(t, rivertype.JobStateCancelled, jobs[0].State)
		require.Equal(t, rivertype.JobStateAvailable, jobs[1].State)
		require.True(t, later.Equal(jobs[1].ScheduledAt))

		require.NoError(t, b.svc.DeletePost(b.ctx, b.scope, p.ID))
		jobs, err = b.queue.jobs(b.ctx, p.ID)
		require.NoError(t, err)
		require.Equal(t, rivertype.JobStateCancelled, jobs[1].State)

		// Another post's job is untouched.
		jobs, err = b.queue.jobs(b.ctx, other.ID)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		require.Equal(t, rivertype.JobStateAvailable, jobs[0].State)
	})
}

func TestEnqueueIsPartOfTheTransaction(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, realClock{}, Options{})
		p := b.createPost(t, nil)
		job := service.PublishJob{Scope: b.scope, PostID: p.ID, Generation: 1, Platform: "discord"}

		errStop := errors.New("stop")
		err := d.InTx(b.ctx, func(tx service.Store) error {
			require.NoError(t, b.queue.Enqueue(b.ctx, tx, job))
			return errStop
		})
		require.ErrorIs(t, err, errStop)
		jobs, err := b.queue.jobs(b.ctx, p.ID)
		require.NoError(t, err)
		require.Empty(t, jobs, "rolled back with the transaction")

		require.ErrorContains(t, b.queue.Enqueue(b.ctx, d, job), "not in a transaction")
		require.ErrorContains(t, b.queue.CancelPost(b.ctx, d, p.ID), "not in a transaction")
	})
}

func TestAPostGoesOutThroughRiver(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, realClock{}, Options{})
		b.start(t)
		p := b.createPost(t, nil)

		started, err := b.svc.PublishPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)
		require.Equal(t, service.PostPublishing, started.Status)

		got := b.waitForStatus(t, p.ID, service.PostPublished)
		require.Equal(t, map[service.Platform]service.PlatformResult{
			"discord": {Success: true, PostID: "1", PostURL: "https://discord.example/m/1"},
		}, got.PlatformResults)
		posts, _ := b.discord.published()
		require.Len(t, posts, 1)
		require.Equal(t, "Hello from the queue", posts[0].Text)

		b.requireCompleted(t, p.ID)
	})
}

func TestAScheduledPostGoesOutWithinASecond(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, realClock{}, Options{})
		b.start(t)
		at := realClock{}.Now().Add(1500 * time.Millisecond)
		p := b.createPost(t, &at)

		got := b.waitForStatus(t, p.ID, service.PostPublished)
		_, sent := b.discord.published()
		require.Len(t, sent, 1)
		require.False(t, sent[0].Before(at.Add(-time.Millisecond)), "sent at %s, before its time %s", sent[0], at)
		require.Less(t, sent[0].Sub(at), time.Second, "sent %s after its time", sent[0].Sub(at))
		require.Equal(t, *got.ScheduledFor, at)
	})
}

func TestAnOverdueJobRunsAtStart(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		// Scheduled while the server was up; the server was down when it came due.
		clock := &testClock{now: time.Now().UTC().Add(-time.Hour)}
		b := setup(t, d, clock, Options{})
		at := clock.Now().Add(time.Minute)
		p := b.createPost(t, &at)

		clock.mu.Lock()
		clock.now = time.Now().UTC()
		clock.mu.Unlock()
		b.start(t)
		b.waitForStatus(t, p.ID, service.PostPublished)
	})
}

func TestATransientFailureIsSnoozedAndRetried(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, realClock{}, Options{
			Retry: service.Retry{MaxTries: 3, Backoff: []time.Duration{100 * time.Millisecond}},
		})
		b.discord.script = []error{&platform.Error{Kind: platform.Transient, Status: 429, Message: "You are being rate limited."}}
		b.start(t)
		p := b.createPost(t, nil)
		_, err := b.svc.PublishPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)

		b.waitForStatus(t, p.ID, service.PostPublished)
		b.requireCompleted(t, p.ID)
		posts, _ := b.discord.published()
		require.Len(t, posts, 1)
	})
}

func TestTheLastAttemptGivesUp(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now().UTC().Truncate(time.Millisecond)}
		b := setup(t, d, clock, Options{})
		// A post publishing without its attempts: the job fails internally every time.
		p := service.Post{
			ID: "post_01JQ8Z7X4T9M2K5V6W3N0P1R8S", Scope: b.scope, Content: "x", Platforms: []service.Platform{"discord"},
			Status: service.PostPublishing, CreatedAt: clock.Now(), UpdatedAt: clock.Now(), Generation: 1,
		}
		require.NoError(t, d.CreatePost(b.ctx, p))
		w := &worker{svc: b.svc}
		job := &river.Job[publishArgs]{
			JobRow: &rivertype.JobRow{ID: 7, Attempt: 1, MaxAttempts: 2},
			Args:   publishArgs{UserID: b.scope.UserID, Mode: b.scope.Mode, PostID: p.ID, Generation: 1, Platform: "discord"},
		}

		require.ErrorContains(t, w.Work(b.ctx, job), "0 attempts for 1 parts")
		got, err := b.svc.GetPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)
		require.Equal(t, service.PostPublishing, got.Status, "River will try again")

		job.Attempt = 2
		require.Error(t, w.Work(b.ctx, job))
		got, err = b.svc.GetPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)
		require.Equal(t, service.PostFailed, got.Status)
		require.Contains(t, got.PlatformResults["discord"].Error, "an internal error stopped publishing")
	})
}

func TestTwoInstancesPublishEachPostOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		// Two services, each with its own River client, on one database: two instances.
		// Two workers each keep SQLite's transactions within its store's pool.
		a := setup(t, d, realClock{}, Options{Workers: 2})
		b := &testBundle{ctx: a.ctx, d: d, scope: a.scope, discord: a.discord}
		b.svc = service.New(d, realClock{}, nil, service.Config{Platforms: platforms.All,
			Adapters: map[service.Platform]platform.Adapter{"discord": a.discord}, Render: renderer{},
		})
		q, err := New(d, b.svc, Options{Workers: 2, Logger: testLogger()})
		require.NoError(t, err)
		b.queue = q
		t.Cleanup(func() { require.NoError(t, q.Stop(context.WithoutCancel(a.ctx))) })
		a.start(t)
		b.start(t)

		const posts = 12
		ids := make([]string, posts)
		for i := range ids {
			p := a.createPost(t, nil)
			ids[i] = p.ID
			publisher := a.svc
			if i%2 == 1 {
				publisher = b.svc
			}
			_, err := publisher.PublishPost(a.ctx, a.scope, p.ID)
			require.NoError(t, err)
		}
		for _, postID := range ids {
			a.waitForStatus(t, postID, service.PostPublished)
		}
		sent, _ := a.discord.published()
		require.Len(t, sent, posts, "each post once")
		keys := map[string]bool{}
		for _, p := range sent {
			require.False(t, keys[p.IdempotencyKey], "%s sent twice", p.IdempotencyKey)
			keys[p.IdempotencyKey] = true
		}
	})
}

// tracingStore wraps a store as a tracing or metrics layer would: it passes every call
// through, and hands fn its own wrapper of the transaction's store. Enqueueing must still
// find the transaction, which the store hands over explicitly (DriverTx), not by type.
type tracingStore struct {
	service.Store
	calls *atomic.Int64
}

func (s tracingStore) InTx(ctx context.Context, fn func(service.Store) error) error {
	s.calls.Add(1)
	return s.Store.InTx(ctx, func(tx service.Store) error { return fn(tracingStore{tx, s.calls}) })
}

func TestEnqueueThroughAWrappedStore(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, realClock{}, Options{})
		p := b.createPost(t, nil)
		wrapped := tracingStore{Store: d, calls: &atomic.Int64{}}
		job := service.PublishJob{Scope: b.scope, PostID: p.ID, Generation: 1, Platform: "discord"}

		require.NoError(t, wrapped.InTx(b.ctx, func(tx service.Store) error {
			require.IsType(t, tracingStore{}, tx)
			return b.queue.Enqueue(b.ctx, tx, job)
		}))
		require.EqualValues(t, 1, wrapped.calls.Load())
		jobs, err := b.queue.jobs(b.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, jobs, 1, "enqueued in the wrapped store's transaction")

		require.NoError(t, wrapped.InTx(b.ctx, func(tx service.Store) error {
			return b.queue.CancelPost(b.ctx, tx, p.ID)
		}))
		jobs, err = b.queue.jobs(b.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		require.Equal(t, rivertype.JobStateCancelled, jobs[0].State, "cancelled through the wrapper")

		require.ErrorContains(t, b.queue.Enqueue(b.ctx, wrapped, job), "not in a transaction")
	})
}

// TestAWholeServiceRunsOnAWrappedStore publishes a post end to end with the service
// itself on a wrapped store: every transaction it opens enqueues through the wrapper.
func TestAWholeServiceRunsOnAWrappedStore(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		calls := &atomic.Int64{}
		b := setupOn(t, d, tracingStore{Store: d, calls: calls}, realClock{}, Options{})
		b.start(t)
		p := b.createPost(t, nil)
		_, err := b.svc.PublishPost(b.ctx, b.scope, p.ID)
		require.NoError(t, err)
		b.waitForStatus(t, p.ID, service.PostPublished)
		require.Positive(t, calls.Load())
	})
}
