package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

const beat = DefaultHeartbeat

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// liveBundle is an instance whose liveness the test ticks by hand, on a settable clock.
func liveBundle(t *testing.T, d *db.DB, clock *testClock, name string, opts Options) *testBundle {
	t.Helper()
	opts.Instance, opts.Clock, opts.manualLiveness = name, clock, true
	return setup(t, d, clock, opts)
}

// crashedInstance registers an instance of name that then dies, and makes it fetch the
// jobs available now, as River does: they stay running under its id.
func crashedInstance(t *testing.T, b *testBundle, name string, clock *testClock) (id string, jobs []*rivertype.JobRow) {
	t.Helper()
	id = name + "/crashed"
	require.NoError(t, b.queue.live.reg.register(b.ctx, id, name, clock.Now().UTC().Truncate(time.Millisecond)))
	params := &riverdriver.JobGetAvailableParams{ClientID: id, MaxAttemptedBy: 100, MaxToLock: 100, Queue: queueName}
	var res *riverdriver.JobGetAvailableResult
	var err error
	switch e := b.queue.backend.(type) {
	case *engine[*sql.Tx]:
		res, err = e.client.Driver().GetExecutor().JobGetAvailable(b.ctx, params)
	case *engine[pgxTx]:
		res, err = e.client.Driver().GetExecutor().JobGetAvailable(b.ctx, params)
	default:
		t.Fatalf("unknown backend %T", b.queue.backend)
	}
	require.NoError(t, err)
	require.NotEmpty(t, res.Jobs)
	for _, j := range res.Jobs {
		require.Equal(t, id, j.AttemptedBy[len(j.AttemptedBy)-1])
	}
	return id, res.Jobs
}

// publishNow creates a post and starts publishing it: its job is available.
func (b *testBundle) publishNow(t *testing.T) service.Post {
	t.Helper()
	p := b.createPost(t, nil)
	_, err := b.svc.PublishPost(b.ctx, b.scope, p.ID)
	require.NoError(t, err)
	return p
}

// requireStillPublishing checks that nothing has been sent and the post waits.
func (b *testBundle) requireStillPublishing(t *testing.T, postID string) {
	t.Helper()
	p, err := b.svc.GetPost(b.ctx, b.scope, postID)
	require.NoError(t, err)
	require.Equal(t, service.PostPublishing, p.Status)
	sent, _ := b.discord.published()
	require.Empty(t, sent)
}

func TestARestartedInstanceResumesItsInterruptedJobs(t *testing.T) {
	t.Parallel()
	// The same name: the restarted process knows the crashed one as its earlier self.
	requireTakenOverAfter(t, "host :8080", "host :8080", ownDeadAfterBeats)
}

func TestAnotherInstanceTakesOverADeadOne(t *testing.T) {
	t.Parallel()
	// Another name: 30 s after its last heartbeat, where a restart of its own would have
	// resumed it after 12 s.
	requireTakenOverAfter(t, "host-b :8080", "host-a :8080", deadAfterBeats)
}

// requireTakenOverAfter crashes an instance named crashedName mid-publish and starts one
// named name: the post must still be publishing after beats heartbeats of the crashed one's
// silence, and be handed back and published once just after.
func requireTakenOverAfter(t *testing.T, name, crashedName string, beats int) {
	t.Helper()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now()}
		b := liveBundle(t, d, clock, name, Options{})
		p := b.publishNow(t)
		crashed, _ := crashedInstance(t, b, crashedName, clock)

		b.start(t)
		for range beats {
			b.queue.live.tick(b.ctx)
			clock.add(beat)
		}
		b.queue.live.tick(b.ctx)
		b.requireStillPublishing(t, p.ID)

		clock.add(time.Millisecond)
		b.queue.live.tick(b.ctx)
		b.waitForStatus(t, p.ID, service.PostPublished)
		sent, _ := b.discord.published()
		require.Len(t, sent, 1)
		requireHandedBack(t, b, p.ID, crashed)
	})
}

// requireHandedBack checks that the post's job was run again after being handed back from
// the dead instance, whose row is gone.
func requireHandedBack(t *testing.T, b *testBundle, postID, dead string) {
	t.Helper()
	var job *rivertype.JobRow
	require.Eventually(t, func() bool {
		jobs, err := b.queue.jobs(b.ctx, postID)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		job = jobs[0]
		return job.State == rivertype.JobStateCompleted
	}, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{dead, b.queue.live.id}, job.AttemptedBy)
	require.Len(t, job.Errors, 1)
	require.Contains(t, job.Errors[0].Error, "handed back: instance "+dead+" stopped")
	require.NotContains(t, registered(t, b), dead, "the dead instance's row is removed")
}

// blockingAdapter publishes when released, and records a cancelled call.
type blockingAdapter struct {
	fakeAdapter
	started  chan struct{}
	release  chan struct{}
	mu       sync.Mutex
	canceled error
}

func newBlockingAdapter() *blockingAdapter {
	return &blockingAdapter{started: make(chan struct{}, 10), release: make(chan struct{})}
}

func (a *blockingAdapter) Publish(ctx context.Context, c platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	a.started <- struct{}{}
	select {
	case <-a.release:
		// Like Mastodon: a repeated key gets the post it published the first time.
		sent, _ := a.published()
		for i, s := range sent {
			if s.IdempotencyKey == p.IdempotencyKey {
				return platform.Ref{ID: fmt.Sprint(i + 1), URL: fmt.Sprintf("https://discord.example/m/%d", i+1)}, nil, nil
			}
		}
		return a.fakeAdapter.Publish(ctx, c, p)
	case <-ctx.Done():
		a.mu.Lock()
		a.canceled = context.Cause(ctx)
		a.mu.Unlock()
		return platform.Ref{}, nil, ctx.Err()
	}
}

func (a *blockingAdapter) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-a.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the job never called the platform")
	}
}

// Idempotent: a part in flight is sent again, with its key, rather than reported unknown.
func (a *blockingAdapter) Idempotent() bool { return true }

func (a *blockingAdapter) cancelCause() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.canceled
}

// peer is another instance on first's database, for first's user, publishing through
// adapter.
func peer(t *testing.T, first *testBundle, clock *testClock, name string, adapter platform.Adapter) *testBundle {
	t.Helper()
	b := *first
	b.svc = service.New(first.d, clock, nil, service.Config{Platforms: platforms.All,
		Adapters: map[service.Platform]platform.Adapter{"discord": adapter}, Render: renderer{},
	})
	q, err := New(first.d, b.svc, Options{Instance: name, Clock: clock, manualLiveness: true, Logger: testLogger()})
	require.NoError(t, err)
	b.queue = q
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(first.ctx), 10*time.Second)
		defer cancel()
		require.NoError(t, q.Stop(stopCtx))
	})
	return &b
}

// registered lists the ids in the liveness table.
func registered(t *testing.T, b *testBundle) []string {
	t.Helper()
	rows, err := b.queue.live.reg.dead(b.ctx, "nobody", "", b.queue.live.clock.Now().Add(time.Hour), time.Time{})
	require.NoError(t, err)
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.id)
	}
	return ids
}

func TestALiveInstanceKeepsItsSlowJob(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now()}
		other := liveBundle(t, d, clock, "host-b :8080", Options{})
		adapter := newBlockingAdapter()
		slow := peer(t, other, clock, "host-a :8080", adapter)
		p := slow.publishNow(t)
		slow.start(t)
		adapter.waitStarted(t)
		other.start(t) // now, so that the job is the slow instance's

		// Minutes pass on the platform call; the instance keeps renewing its row.
		for range 3 * deadAfterBeats {
			clock.add(beat)
			slow.queue.live.tick(slow.ctx)
			other.queue.live.tick(other.ctx)
		}
		other.requireStillPublishing(t, p.ID)
		close(adapter.release)
		slow.waitForStatus(t, p.ID, service.PostPublished)
		require.NoError(t, adapter.cancelCause())
		sent, _ := adapter.published()
		require.Len(t, sent, 1)
		jobs, err := slow.queue.jobs(slow.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		require.Equal(t, []string{slow.queue.live.id}, jobs[0].AttemptedBy, "run once, by its instance")
		require.Empty(t, jobs[0].Errors)
	})
}

func TestAnInstanceTakenForDeadStopsItsJobs(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now()}
		sweeper := liveBundle(t, d, clock, "host-b :8080", Options{})
		adapter := newBlockingAdapter()
		paused := peer(t, sweeper, clock, "host-a :8080", adapter)
		p := paused.publishNow(t)
		paused.start(t)
		adapter.waitStarted(t)

		// The instance is paused (its heartbeat stops) longer than the others wait; another
		// instance, which runs no jobs here, takes it for dead and hands its job back.
		require.NoError(t, sweeper.queue.live.start(sweeper.ctx))
		clock.add(deadAfterBeats*beat + time.Millisecond)
		sweeper.queue.live.tick(sweeper.ctx)
		jobs, err := paused.queue.jobs(paused.ctx, p.ID)
		require.NoError(t, err)
		require.Len(t, jobs[0].Errors, 1)
		require.Contains(t, jobs[0].Errors[0].Error, "handed back: instance "+paused.queue.live.id)

		// Resumed, it finds its lease long over and its row gone: it stops the job it was
		// running (and snoozes the job if it fetches it again first), and registers again.
		// (In the normal course its fence would have stopped the job 24 s earlier; see
		// TestTheLeaseEndsAfterThreeMissedHeartbeats.)
		paused.queue.live.tick(paused.ctx)
		require.Eventually(t, func() bool { return errors.Is(adapter.cancelCause(), errLeaseLost) },
			5*time.Second, 10*time.Millisecond)
		alive, err := paused.queue.live.reg.renew(paused.ctx, paused.queue.live.id, clock.Now())
		require.NoError(t, err)
		require.True(t, alive, "registered again")

		// The job runs again, here, and the post goes out once.
		close(adapter.release)
		paused.waitForStatus(t, p.ID, service.PostPublished)
		sent, _ := adapter.published()
		require.Len(t, sent, 1)
	})
}

// fakeRegistry fails renewals while told to.
type fakeRegistry struct {
	mu   sync.Mutex
	fail bool
}

func (f *fakeRegistry) setFailing(fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
}

func (f *fakeRegistry) register(context.Context, string, string, time.Time) error { return nil }

func (f *fakeRegistry) renew(context.Context, string, time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return false, errors.New("the database is unreachable")
	}
	return true, nil
}

func (f *fakeRegistry) dead(context.Context, string, string, time.Time, time.Time) ([]instanceRow, error) {
	return nil, nil
}

func (f *fakeRegistry) takeOver(context.Context, instanceRow, string) ([]*rivertype.JobRow, error) {
	return nil, nil
}

func TestTheLeaseEndsAfterThreeMissedHeartbeats(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: time.Now()}
	live, err := newLiveness("host", beat, clock, testLogger(), nil)
	require.NoError(t, err)
	reg := &fakeRegistry{}
	live.reg = reg
	require.NoError(t, live.start(t.Context()))
	g := &guard{live: live}
	job := &rivertype.JobRow{ID: 1, Kind: publishArgs{}.Kind(), Attempt: 1, MaxAttempts: 10}

	// A job running under the lease.
	running := make(chan error, 1)
	go func() {
		running <- g.Work(t.Context(), job, func(ctx context.Context) error {
			<-ctx.Done()
			return context.Cause(ctx)
		})
	}()

	reg.setFailing(true)
	for range fenceAfterBeats - 1 {
		clock.add(beat)
		live.tick(t.Context())
	}
	clock.add(beat - time.Millisecond)
	live.tick(t.Context())
	select {
	case err := <-running:
		t.Fatalf("the job stopped before the lease ended: %v", err)
	case <-time.After(50 * time.Millisecond):
	}

	// 6 s without a renewal: the job is stopped, and a job fetched now is snoozed.
	clock.add(time.Millisecond)
	live.tick(t.Context())
	require.ErrorIs(t, <-running, errLeaseLost)
	ran := false
	err = g.Work(t.Context(), job, func(context.Context) error { ran = true; return nil })
	var snooze *river.JobSnoozeError
	require.ErrorAs(t, err, &snooze)
	require.False(t, ran)

	// Renewed: jobs run again.
	reg.setFailing(false)
	clock.add(beat)
	live.tick(t.Context())
	require.NoError(t, g.Work(t.Context(), job, func(ctx context.Context) error { ran = true; return ctx.Err() }))
	require.True(t, ran)
}

func TestAJobInterruptedOnEveryAttemptIsGivenUp(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now()}
		b := liveBundle(t, d, clock, "host :8080", Options{MaxAttempts: 1})
		p := b.publishNow(t)
		crashedInstance(t, b, "host :8080", clock) // its one attempt

		b.start(t)
		clock.add(ownDeadAfterBeats*beat + time.Millisecond)
		b.queue.live.tick(b.ctx)
		got := b.waitForStatus(t, p.ID, service.PostFailed)
		require.Contains(t, got.PlatformResults["discord"].Error, "an internal error stopped publishing")
		sent, _ := b.discord.published()
		require.Empty(t, sent)
	})
}

func TestAGracefulStopLeavesTheTable(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now()}
		b := liveBundle(t, d, clock, "host :8080", Options{})
		b.start(t)
		id := b.queue.live.id
		require.Contains(t, registered(t, b), id)
		require.NoError(t, b.queue.Stop(b.ctx))
		require.NotContains(t, registered(t, b), id, "a stopped instance leaves no row behind")
	})
}
