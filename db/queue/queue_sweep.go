package queue

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/octopost/octopost/service"
)

// The queue's sweep
//
// Queued posts go out at the slots of their user's queue (service/queue_fire.go). The
// sweep that fires the slots, service.FireQueueSlots, runs as a River job every
// sweepEvery, enqueued by River's periodic job scheduler, which only the elected leader
// of the instances sharing the database runs: one sweep every 15 seconds for the whole
// deployment, whatever the number of instances, run by whichever instance fetches it.
// A new leader (the old one stopped) enqueues one at once (RunOnStart).
//
// Nothing depends on there being one sweep at a time: a slot is claimed in the
// transaction that starts its post, so two sweeps racing (a leader handing over, a job
// run late next to the following one) still publish one post a slot. The job is
// therefore never retried (a failed sweep is followed by the next one within
// sweepEvery) and unique per period, so that sweeps a stalled queue could not run do
// not pile up. It has a River queue of its own with one worker, so a burst of
// publishing jobs never delays it.

// sweepEvery is how often the queue's slots are swept: a queued post goes out at most
// about this long after its slot.
const sweepEvery = 15 * time.Second

// sweepQueue is River's queue for the sweep.
const sweepQueue = "queue_slots"

// sweepTimeout bounds one sweep: a sweep that takes longer is overtaken by the next ones.
const sweepTimeout = time.Minute

// sweepArgs are the sweep's River job: it has no arguments.
type sweepArgs struct{}

// Kind names the job in River's table; it must never change while jobs of it exist.
func (sweepArgs) Kind() string { return "octopost_queue_sweep" }

// sweepWorker runs the sweep through the service.
type sweepWorker struct {
	river.WorkerDefaults[sweepArgs]
	svc *service.Service
	log *slog.Logger
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[sweepArgs]) error {
	fired, err := w.svc.FireQueueSlots(ctx)
	for _, f := range fired {
		w.log.InfoContext(ctx, "queue: a slot published a queued post", "user_id", f.Scope.UserID,
			"mode", f.Scope.Mode, "slot", f.At, "post_id", f.PostID)
	}
	return err
}

func (w *sweepWorker) Timeout(*river.Job[sweepArgs]) time.Duration { return sweepTimeout }

// addSweep registers the sweep's worker, its queue and its periodic job in config.
func addSweep(workers *river.Workers, config *river.Config, svc *service.Service, log *slog.Logger) error {
	if err := river.AddWorkerSafely(workers, &sweepWorker{svc: svc, log: log}); err != nil {
		return err
	}
	config.Queues[sweepQueue] = river.QueueConfig{MaxWorkers: 1}
	config.PeriodicJobs = append(config.PeriodicJobs, river.NewPeriodicJob(
		river.PeriodicInterval(sweepEvery),
		func() (river.JobArgs, *river.InsertOpts) {
			return sweepArgs{}, &river.InsertOpts{
				Queue:       sweepQueue,
				MaxAttempts: 1,
				UniqueOpts:  river.UniqueOpts{ByPeriod: sweepEvery},
			}
		},
		&river.PeriodicJobOpts{ID: sweepArgs{}.Kind(), RunOnStart: true},
	))
	return nil
}
