// Package queue runs the publishing engine's jobs on River, a durable job queue kept in
// Octopost's own database (SQLite or PostgreSQL). Jobs are enqueued in the same
// transaction as the change to the post that calls for them, survive restarts, and each
// runs on one server instance at a time, whichever fetches it first. Each instance shows
// it is alive, and the jobs of an instance that dies are run again within seconds of its
// restart, or within about a minute by another instance (liveness.go).
//
// The service does not know River: it sees the service.Queue interface, which *Queue
// implements, one seam for every kind of job the service defines (service.Job: publishing,
// webhook delivery). Each kind has its stored form (its River args) and its worker, which
// calls back into the service to do the job. Enqueueing takes the driver's transaction
// from the store the service hands over (service.Store.DriverTx), never by asserting which
// store it is, so a store wrapped for tracing or metrics enqueues the same way:
//
//	svc := service.New(d, nil, nil, cfg)
//	q, err := queue.New(d, svc, queue.Options{}) // also svc.SetQueue(q, …)
//	…
//	err = q.Start(ctx)
//	defer q.Stop(shutdownCtx)
package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
)

// queueName is River's queue for every publishing job.
const queueName = "publishing"

// deliveryQueue is River's queue for webhook deliveries, with workers of its own, so that
// endpoints that are slow to answer (up to 15 s each) never hold up publishing.
const deliveryQueue = "webhooks"

// fetchCooldown is the least time between two fetches of jobs. River's default, 100 ms,
// left workers idle between the waves of a burst of posts due at once (a job takes
// some 60 ms); at 20 ms the burst went out about 10% sooner. An idle queue still
// fetches only at its poll interval.
const fetchCooldown = 20 * time.Millisecond

// Options tune the queue. The zero value is the production setting.
type Options struct {
	// Workers is how many jobs one instance runs at once. Default 100. A job mostly waits
	// on a platform, so workers are cheap (database connections are bounded by the
	// store's pool, not by this), and too few cap the rate: River fetches at most this
	// many jobs at a time, at most once per fetchCooldown. With 10 workers, 1,000 posts
	// due in the same second took 21 s to go out; with 100, 9 s, when a scheduled post
	// still took two jobs; it takes one now, and more workers only queue longer for the
	// database (BenchmarkScheduledBurst).
	Workers int
	// PollInterval is how often an instance looks for jobs that have come due: a scheduled
	// post goes out at most this long after its time. Default 250 ms.
	PollInterval time.Duration
	// JobTimeout bounds one run of a job: publishing a post, thread and all, to one
	// platform. A run that times out leaves its part in flight, which its next run
	// resolves. Default 5 minutes. It does not delay taking over the jobs of a dead
	// instance, which liveness does (liveness.go).
	JobTimeout time.Duration
	// MaxAttempts is how many times a job that fails internally (the database is
	// unreachable) is run before its platform is recorded as failed. Transient platform
	// failures are retried as Retry says and do not count. Default 10 (about 4 hours
	// with River's backoff).
	MaxAttempts int
	// StopTimeout is how long Stop lets running jobs finish before cancelling them.
	// Default 30 s.
	StopTimeout time.Duration
	// Retry is passed to the service: how transient platform failures are retried.
	Retry service.Retry
	// Logger receives River's logs; nil means slog.Default().
	Logger *slog.Logger
	// Instance is this instance's stable name, the same across its restarts and
	// different from every other instance's (InstanceName: OCTOPOST_INSTANCE_ID, or the
	// host and listen address). A restarted instance takes over
	// its own interrupted jobs sooner than another instance's. Default: the host name.
	Instance string
	// Heartbeat is how often the instance renews its liveness and looks for dead
	// instances; the margins of liveness.go scale with it. Default DefaultHeartbeat (2 s).
	Heartbeat time.Duration
	// Clock times the heartbeats; nil is the system clock. (River keeps its own time.)
	Clock service.Clock

	// manualLiveness leaves the heartbeat loop to the tests, which tick it by hand.
	manualLiveness bool
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 100
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 250 * time.Millisecond
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 5 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Instance == "" {
		o.Instance = InstanceName("", "")
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = DefaultHeartbeat
	}
	if o.Clock == nil {
		o.Clock = service.SystemClock{}
	}
	return o
}

// Queue is the service.Queue on River.
type Queue struct {
	backend
	riverDB        *sql.DB // River's own connection to a SQLite database; nil on PostgreSQL
	live           *liveness
	manualLiveness bool
}

var _ service.Queue = (*Queue)(nil)

// backend is River's client for the engine in use, behind what the queue needs of it.
type backend interface {
	insert(ctx context.Context, tx service.Store, params []river.InsertManyParams) error
	// cancelPost cancels the post's jobs that are waiting to run, in tx.
	cancelPost(ctx context.Context, tx service.Store, postID string) error
	// jobs lists every job of the post River still keeps, oldest first.
	jobs(ctx context.Context, postID string) ([]*rivertype.JobRow, error)
	start(ctx context.Context) error
	stop(ctx context.Context) error
	stopAndCancel(ctx context.Context) error
}

// New returns the queue for d's database, and connects svc to it (svc.SetQueue). River's
// tables must exist: run Migrate first. Start it to run jobs; without Start it still
// enqueues them, for another instance to run.
func New(d *db.DB, svc *service.Service, opts Options) (*Queue, error) {
	opts = opts.withDefaults()
	live, err := newLiveness(opts.Instance, opts.Heartbeat, opts.Clock, opts.Logger, svc)
	if err != nil {
		return nil, err
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, &worker{svc: svc}); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	if err := river.AddWorkerSafely(workers, &deliveryWorker{svc: svc}); err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	config := &river.Config{
		// The instance's id in attempted_by, by which liveness finds a dead one's jobs.
		ID: live.id,
		Queues: map[string]river.QueueConfig{
			queueName:     {MaxWorkers: opts.Workers},
			deliveryQueue: {MaxWorkers: opts.Workers},
		},
		Workers: workers,
		// Jobs due later are inserted available (see dueOnTime), so the poll is what
		// finds them when they come due.
		FetchPollInterval: opts.PollInterval,
		FetchCooldown:     min(opts.PollInterval, fetchCooldown),
		JobTimeout:        opts.JobTimeout,
		// Liveness takes over the jobs of a dead instance. River's rescuer remains for
		// jobs it cannot place (left running by an instance of an earlier version): a job
		// still running this long after it started was cancelled at its timeout a minute
		// ago, so its instance is gone, and River runs it again.
		RescueStuckJobsAfter: opts.JobTimeout + min(opts.JobTimeout, time.Minute),
		MaxAttempts:          opts.MaxAttempts,
		SoftStopTimeout:      opts.StopTimeout,
		Middleware:           []rivertype.Middleware{&dueOnTime{}, &guard{live: live}},
		Logger:               opts.Logger,
	}
	if err := addSweep(workers, config, svc, opts.Logger); err != nil { // queue_sweep.go
		return nil, fmt.Errorf("queue: %w", err)
	}
	q := &Queue{live: live, manualLiveness: opts.manualLiveness}
	switch d.Engine {
	case db.EngineSQLite:
		riverDB, err := openRiverSQLite(d.SQLite)
		if err != nil {
			return nil, err
		}
		client, err := river.NewClient(riversqlite.New(riverDB), config)
		if err != nil {
			riverDB.Close()
			return nil, fmt.Errorf("queue: %w", err)
		}
		q.backend = &engine[*sql.Tx]{client: client, argsMatch: sqliteArgsMatch}
		q.riverDB = riverDB
		live.reg = &riverRegistry[*sql.Tx]{instanceTable: sqliteInstances{d.SQLite}, client: client, lastAttemptBy: sqliteLastAttemptBy}
	case db.EnginePostgres:
		client, err := river.NewClient(riverpgxv5.New(d.Postgres), config)
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		q.backend = &engine[pgxTx]{client: client, argsMatch: postgresArgsMatch}
		live.reg = &riverRegistry[pgxTx]{instanceTable: postgresInstances{d.Postgres}, client: client, lastAttemptBy: postgresLastAttemptBy}
	default:
		return nil, fmt.Errorf("queue: unknown database engine %q", d.Engine)
	}
	svc.SetQueue(q, opts.Retry)
	return q, nil
}

// Start registers the instance as alive and runs jobs until Stop. ctx should live as
// long as the queue: cancelling it stops the queue at once, cancelling the jobs running.
func (q *Queue) Start(ctx context.Context) error {
	if err := q.live.start(ctx); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	if err := q.start(ctx); err != nil {
		return fmt.Errorf("queue: start: %w", err)
	}
	if !q.manualLiveness {
		q.live.run(ctx)
	}
	return nil
}

// Stop stops fetching jobs and waits for the running ones to finish; those still running
// after StopTimeout, or when ctx ends, are cancelled (a part they leave in flight is
// resolved by their next run). Then it leaves the liveness table and closes the queue's
// own database connection.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.stop(ctx)
	if err != nil && ctx.Err() != nil {
		// The caller cannot wait longer: cancel the running jobs, which then return
		// promptly, and wait briefly for them so they record what they know.
		hardCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = q.stopAndCancel(hardCtx)
	}
	// Only once no job of this instance still runs may the instance hand back what is
	// left and leave; otherwise it is taken over as a dead one after it exits.
	liveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err = errors.Join(err, q.live.stop(liveCtx, err == nil))
	if q.riverDB != nil {
		err = errors.Join(err, q.riverDB.Close())
	}
	if err != nil {
		return fmt.Errorf("queue: stop: %w", err)
	}
	return nil
}

// Enqueue adds jobs, of any kind, in tx's transaction (tx is a Store handed out by InTx,
// whose DriverTx the queue inserts through).
func (q *Queue) Enqueue(ctx context.Context, tx service.Store, jobs ...service.Job) error {
	params := make([]river.InsertManyParams, len(jobs))
	for i, j := range jobs {
		p, err := insertParams(j)
		if err != nil {
			return fmt.Errorf("queue: enqueue: %w", err)
		}
		params[i] = p
	}
	if err := q.insert(ctx, tx, params); err != nil {
		return fmt.Errorf("queue: enqueue: %w", err)
	}
	return nil
}

// insertParams maps each kind of job to its stored form, its River queue and priority.
func insertParams(j service.Job) (river.InsertManyParams, error) {
	switch j := j.(type) {
	case service.PublishJob:
		return river.InsertManyParams{
			Args:       argsOf(j),
			InsertOpts: &river.InsertOpts{Queue: queueName, ScheduledAt: j.RunAt, Priority: priorityOf(j)},
		}, nil
	case service.DeliveryJob:
		return river.InsertManyParams{Args: deliverArgsOf(j), InsertOpts: &river.InsertOpts{Queue: deliveryQueue}}, nil
	}
	return river.InsertManyParams{}, fmt.Errorf("unknown kind of job %q", service.KindOf(j))
}

// CancelPost cancels, in tx's transaction, the post's jobs waiting to run. A running job
// is left alone: the post's generation tells it that it has nothing to do.
func (q *Queue) CancelPost(ctx context.Context, tx service.Store, postID string) error {
	if err := q.cancelPost(ctx, tx, postID); err != nil {
		return fmt.Errorf("queue: cancel jobs of %s: %w", postID, err)
	}
	return nil
}

// priorityOf puts the jobs that call a platform ahead of the jobs that start scheduled
// posts (River runs priority 1 first): when many posts come due at once, the posts already
// started reach their platforms before the next ones are started, instead of every post
// being started before any is sent.
func priorityOf(j service.PublishJob) int {
	if j.Platform == "" {
		return 2
	}
	return 1
}

// Migrate creates or updates River's tables in d's database. Running it again is a no-op.
func Migrate(ctx context.Context, d *db.DB) error {
	switch d.Engine {
	case db.EngineSQLite:
		riverDB, err := openRiverSQLite(d.SQLite)
		if err != nil {
			return err
		}
		defer riverDB.Close()
		return migrateSQLite(ctx, riverDB)
	case db.EnginePostgres:
		return migratePostgres(ctx, d.Postgres)
	}
	return fmt.Errorf("queue: unknown database engine %q", d.Engine)
}

var errNotInTx = errors.New("the store is not in a transaction (call inside InTx)")

// jobID is how the service knows a job: River's id, which stays the same across its runs.
func jobID(id int64) string { return strconv.FormatInt(id, 10) }
