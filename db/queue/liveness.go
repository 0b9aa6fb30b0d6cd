package queue

// Taking over the jobs of an instance that died
//
// River marks a job running when an instance fetches it, and records the instance's
// client id as the last entry of the job's attempted_by. If the instance dies (SIGKILL,
// a lost machine), the job stays running, and River's own rescuer only runs it again once
// it has been running longer than RescueStuckJobsAfter: a bound it must set past the
// longest a live job may take, since it cannot tell a dead instance from a slow job. So
// each instance also says, in the queue_instances table, that it is alive:
//
//   - Every instance has a row, keyed by its River client id: its stable name (Instance:
//     OCTOPOST_INSTANCE_ID, or the host and listen address), a slash, and a random part
//     new with each process. The row is added before River starts, so every job the
//     instance runs belongs to a registered instance, and it is renewed (heartbeat_at)
//     every Heartbeat, 2 s by default.
//   - Every Heartbeat, every instance also looks for instances that stopped renewing
//     (idempotent: whichever instance gets there first does the work) and takes each one
//     over in one transaction: its row is removed, by a compare-and-set on the heartbeat
//     it saw, and the jobs still running under its id are made available at once.
//   - Another process of the same name stopped renewing more than 6 heartbeats ago
//     (12 s) is dead: an instance restarted after a crash resumes its own interrupted
//     work within seconds. Any other instance is dead after 15 heartbeats (30 s): a
//     stalled database or a paused machine should not cost live instances their jobs,
//     and the rest of a dead instance's work is taken over within about a minute.
//   - A live job is never taken from a live instance. An instance whose heartbeat has not
//     been renewed for 3 heartbeats (6 s), well before anyone may declare it dead, cancels
//     the jobs it is running (their parts in flight are resolved by their next run, as
//     after a crash) and snoozes the ones it fetches until it renews again; if it finds
//     its row gone, it was declared dead and its jobs handed back: it stops its running
//     jobs at once and registers again. A slow job on a live instance is never touched:
//     the instance keeps renewing however long the job runs.
//   - A graceful stop lets River finish or cancel the running jobs, hands back any left
//     running and removes the row. A stop that could not end its jobs leaves the row, and
//     the instance is taken over like a crashed one once the process has exited.
//
// Heartbeats are times from the instances' clocks, which must agree to within a few
// seconds (NTP): the margins above are several seconds wide. Jobs left running by an
// instance of an earlier version, which has no row, are still run again by River's
// rescuer, after RescueStuckJobsAfter.
//
// Handing jobs back changes River's rows. River's driver has the operation (JobRescueMany,
// the one its rescuer uses: state, scheduled_at and an error entry, only while the job is
// still running and has not been attempted since) and its client lists the jobs (JobList
// with a predicate on attempted_by); both run in the transaction that removes the row.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"

	"github.com/octopost/octopost/service"
)

// DefaultHeartbeat is how often an instance renews its liveness and looks for dead ones.
const DefaultHeartbeat = 2 * time.Second

// The liveness margins, in heartbeats (see the top of this file).
const (
	fenceAfterBeats   = 3  // an instance stops its own jobs
	ownDeadAfterBeats = 6  // an earlier process of the same name is dead
	deadAfterBeats    = 15 // any other instance is dead
)

// errLeaseLost cancels the jobs of an instance that could not show it is alive.
var errLeaseLost = errors.New("queue: this instance could not renew its liveness; its jobs are stopped for another run")

// InstanceName is the instance's name: setting (OCTOPOST_INSTANCE_ID) if it is set, or
// else the host name and the listen address addr (which may be empty): two processes on
// one host cannot listen on one address at once, and a process restarted with the same
// settings gets the same name.
func InstanceName(setting, addr string) string {
	if setting != "" {
		return setting
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	if addr == "" {
		return host
	}
	return host + " " + addr
}

// instanceRow is an instance as the liveness table has it.
type instanceRow struct {
	id, name    string
	heartbeatAt time.Time
}

// registry is the liveness table and the takeover on one engine.
type registry interface {
	register(ctx context.Context, id, name string, at time.Time) error
	// renew reports false if the instance's row is gone: it was declared dead.
	renew(ctx context.Context, id string, at time.Time) (bool, error)
	// dead lists the instances other than self that stopped renewing before deadBefore,
	// and those named name that stopped before ownDeadBefore.
	dead(ctx context.Context, self, name string, deadBefore, ownDeadBefore time.Time) ([]instanceRow, error)
	// takeOver removes the instance's row, if its heartbeat is still the one given, and
	// makes the jobs running under its id available, in one transaction. It returns
	// the jobs handed back (none if the row had changed).
	takeOver(ctx context.Context, dead instanceRow, why string) ([]*rivertype.JobRow, error)
}

// liveness keeps one instance's row alive, fences its jobs when it cannot, and takes
// over dead instances.
type liveness struct {
	id, name string
	every    time.Duration
	clock    service.Clock
	log      *slog.Logger
	reg      registry
	svc      *service.Service

	mu         sync.Mutex
	lastBeat   time.Time          // the heartbeat last written
	validUntil time.Time          // the instance may run jobs until then
	lease      context.Context    // ends when the instance stops its jobs
	endLease   context.CancelFunc // nil while fenced

	stopLoop context.CancelFunc
	done     chan struct{}
}

func newLiveness(name string, every time.Duration, clock service.Clock, log *slog.Logger, svc *service.Service) (*liveness, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("queue: instance id: %w", err)
	}
	// River's client id is at most 100 characters.
	if len(name) > 80 {
		name = name[:80]
	}
	return &liveness{id: name + "/" + hex.EncodeToString(b[:]), name: name, every: every, clock: clock, log: log, svc: svc}, nil
}

// now reads the clock to the millisecond, which both engines store exactly, so that a
// heartbeat read back compares equal to the one written.
func (l *liveness) now() time.Time { return l.clock.Now().UTC().Truncate(time.Millisecond) }

// start registers the instance; run the loop after River has started.
func (l *liveness) start(ctx context.Context) error {
	now := l.now()
	if err := l.reg.register(ctx, l.id, l.name, now); err != nil {
		return fmt.Errorf("registering instance %s: %w", l.id, err)
	}
	l.renewed(now)
	return nil
}

// run ticks every heartbeat until stop, the first tick at once.
func (l *liveness) run(ctx context.Context) {
	ctx, l.stopLoop = context.WithCancel(ctx)
	l.done = make(chan struct{})
	go func() {
		defer close(l.done)
		ticker := time.NewTicker(l.every)
		defer ticker.Stop()
		for {
			l.tick(ctx)
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
}

// stop ends the loop. After a clean stop of River (no job of this instance still runs),
// it hands back any job left marked running and removes the row; otherwise the row is
// left, for the instance to be taken over once the process has exited.
func (l *liveness) stop(ctx context.Context, clean bool) error {
	if l.stopLoop != nil {
		l.stopLoop()
		<-l.done
	}
	l.mu.Lock()
	self := instanceRow{id: l.id, name: l.name, heartbeatAt: l.lastBeat}
	if l.endLease != nil {
		l.endLease()
		l.endLease = nil
	}
	l.mu.Unlock()
	if !clean {
		return nil
	}
	_, err := l.reg.takeOver(ctx, self, "its instance stopped")
	return err
}

// tick renews the instance's row, fences its jobs if it cannot, and takes over the
// instances that are dead.
func (l *liveness) tick(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	now := l.now()
	renewCtx, cancel := context.WithTimeout(ctx, l.every/2)
	alive, err := l.reg.renew(renewCtx, l.id, now)
	cancel()
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return
		}
		l.log.WarnContext(ctx, "queue: renewing this instance's liveness failed", "instance", l.id, "error", err.Error())
		l.fenceIfExpired(now)
	case !alive:
		// Declared dead, its running jobs handed back: whatever still runs here must stop.
		l.log.ErrorContext(ctx, "queue: this instance was taken for dead by another; stopping its jobs and registering again",
			"instance", l.id)
		l.fence()
		if err := l.reg.register(ctx, l.id, l.name, now); err != nil {
			l.log.WarnContext(ctx, "queue: registering this instance again failed", "instance", l.id, "error", err.Error())
			return
		}
		l.renewed(now)
	default:
		l.renewed(now)
	}
	l.sweep(ctx, now)
}

// sweep takes over the instances that stopped renewing.
func (l *liveness) sweep(ctx context.Context, now time.Time) {
	dead, err := l.reg.dead(ctx, l.id, l.name,
		now.Add(-deadAfterBeats*l.every), now.Add(-ownDeadAfterBeats*l.every))
	if err != nil {
		if ctx.Err() == nil {
			l.log.WarnContext(ctx, "queue: looking for dead instances failed", "error", err.Error())
		}
		return
	}
	for _, d := range dead {
		jobs, err := l.reg.takeOver(ctx, d, fmt.Sprintf("instance %s stopped (no heartbeat since %s)",
			d.id, d.heartbeatAt.Format(time.RFC3339Nano)))
		if err != nil {
			if ctx.Err() == nil {
				l.log.WarnContext(ctx, "queue: taking over a dead instance failed", "dead_instance", d.id, "error", err.Error())
			}
			continue
		}
		ids := make([]int64, len(jobs))
		for i, j := range jobs {
			ids[i] = j.ID
		}
		l.log.InfoContext(ctx, "queue: took over a dead instance", "instance", l.id, "dead_instance", d.id,
			"last_heartbeat", d.heartbeatAt, "jobs_handed_back", ids)
	}
}

// renewed records a heartbeat written at now: the instance may run jobs until the fence.
func (l *liveness) renewed(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lastBeat = now
	l.validUntil = now.Add(fenceAfterBeats * l.every)
	if l.endLease == nil {
		l.lease, l.endLease = context.WithCancel(context.Background())
	}
}

func (l *liveness) fenceIfExpired(now time.Time) {
	l.mu.Lock()
	expired := !now.Before(l.validUntil)
	l.mu.Unlock()
	if expired {
		l.fence()
	}
}

// fence stops the instance's running jobs, and makes it snooze the ones it fetches, until
// it renews its row again.
func (l *liveness) fence() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.endLease != nil {
		l.log.Warn("queue: stopping this instance's running jobs until it renews its liveness", "instance", l.id)
		l.endLease()
		l.endLease = nil
	}
}

// current returns the lease a job may run under, or false while the instance is fenced.
// A lease past its end fences the instance at once, without waiting for the next tick:
// a process that was paused (its heartbeat with it) must not start the jobs it fetches
// on waking, which may be the very ones handed back from it meanwhile.
func (l *liveness) current() (context.Context, bool) {
	l.fenceIfExpired(l.now())
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.endLease == nil {
		return nil, false
	}
	return l.lease, true
}

// guard is River worker middleware that runs a job only under the instance's lease: the
// job's context ends when the instance fences its jobs. A job fetched while fenced is
// snoozed (which does not count as an attempt). A job handed back after its last attempt
// (see rescuedPastLastAttempt) is given up instead of run.
type guard struct {
	river.MiddlewareDefaults
	live *liveness
}

func (g *guard) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	lease, ok := g.live.current()
	if !ok {
		return river.JobSnooze(g.live.every)
	}
	if job.Attempt > max(job.MaxAttempts, 1) && job.Kind == (publishArgs{}).Kind() {
		return g.giveUp(ctx, job)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(lease, func() { cancel(errLeaseLost) })
	defer stop()
	return doInner(ctx)
}

// giveUp ends a job whose instances died during every one of its attempts: River's
// rescuer would discard it; the service records its platform as failed, so that the post
// does not stay publishing.
func (g *guard) giveUp(ctx context.Context, job *rivertype.JobRow) error {
	var args publishArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		return fmt.Errorf("queue: decoding job %d: %w", job.ID, err)
	}
	cause := fmt.Errorf("job %d was interrupted on each of its %d attempts", job.ID, job.MaxAttempts)
	g.live.log.ErrorContext(ctx, "queue: giving up a job", "job", job.ID, "error", cause.Error())
	return g.live.svc.GiveUpPublishJob(ctx, args.job(job.ID), cause)
}

// handBackParams are River's rescue of one job, made available at once. StuckHorizon
// makes it a compare-and-set: the job must still be running and not attempted since it
// was listed (attempted_at is stored to the millisecond on SQLite, the microsecond on
// PostgreSQL, and a new attempt cannot come within a millisecond of the one listed, which
// has been running for seconds).
func handBackParams(job *rivertype.JobRow, why string) (*riverdriver.JobRescueManyParams, error) {
	now := time.Now().UTC() // River's clock: the job is due now by River's fetch
	errData, err := json.Marshal(rivertype.AttemptError{At: now, Attempt: job.Attempt, Error: "handed back: " + why})
	if err != nil {
		return nil, err
	}
	attempted := now
	if job.AttemptedAt != nil {
		attempted = *job.AttemptedAt
	}
	return &riverdriver.JobRescueManyParams{
		ID:           []int64{job.ID},
		Error:        [][]byte{errData},
		FinalizedAt:  []*time.Time{nil},
		ScheduledAt:  []time.Time{now},
		State:        []string{string(rivertype.JobStateAvailable)},
		StuckHorizon: attempted.Add(time.Millisecond),
	}, nil
}
