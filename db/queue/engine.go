package queue

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/octopost/octopost/service"
)

type pgxTx = pgx.Tx

// engine is the backend on River's client for one database driver, whose transactions
// are TTx.
type engine[TTx any] struct {
	client *river.Client[TTx]
	// argsMatch is a River JobListParams.Where predicate matching the jobs whose
	// post_id argument is @post_id: JSON is queried differently on each engine.
	argsMatch string
}

// Predicates for engine.argsMatch. PostgreSQL's containment test can use River's GIN
// index on args; SQLite has no index to use either way.
const (
	postgresArgsMatch = `args @> jsonb_build_object('post_id', @post_id::text)`
	sqliteArgsMatch   = `args ->> '$.post_id' = @post_id`
)

// waitingStates are the states of a job that has not started running.
var waitingStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStateScheduled,
	rivertype.JobStateRetryable, rivertype.JobStatePending,
}

// cancelBatch is how many jobs cancelPost lists at a time.
const cancelBatch = 100

// txOf returns the driver's transaction of a Store handed out by InTx, which the store
// hands over explicitly (service.Store.DriverTx): the queue never asks which store it is,
// so a store wrapped for tracing or metrics enqueues as well.
func (e *engine[TTx]) txOf(st service.Store) (TTx, error) {
	tx, ok := st.DriverTx().(TTx)
	if !ok {
		var none TTx
		return none, errNotInTx
	}
	return tx, nil
}

func (e *engine[TTx]) insert(ctx context.Context, st service.Store, params []river.InsertManyParams) error {
	tx, err := e.txOf(st)
	if err != nil {
		return err
	}
	_, err = e.client.InsertManyTx(ctx, tx, params)
	return err
}

func (e *engine[TTx]) cancelPost(ctx context.Context, st service.Store, postID string) error {
	tx, err := e.txOf(st)
	if err != nil {
		return err
	}
	waiting := e.postJobs(postID).States(waitingStates...).First(cancelBatch)
	for {
		res, err := e.client.JobListTx(ctx, tx, waiting)
		if err != nil {
			return err
		}
		for _, j := range res.Jobs {
			if _, err := e.client.JobCancelTx(ctx, tx, j.ID); err != nil {
				return err
			}
		}
		// A cancelled job is no longer waiting, so listing again yields the next batch.
		if len(res.Jobs) < cancelBatch {
			return nil
		}
	}
}

func (e *engine[TTx]) jobs(ctx context.Context, postID string) ([]*rivertype.JobRow, error) {
	res, err := e.client.JobList(ctx, e.postJobs(postID).First(10000))
	if err != nil {
		return nil, err
	}
	return res.Jobs, nil
}

func (e *engine[TTx]) postJobs(postID string) *river.JobListParams {
	return river.NewJobListParams().Kinds(publishArgs{}.Kind()).
		Where(e.argsMatch, river.NamedArgs{"post_id": postID})
}

func (e *engine[TTx]) start(ctx context.Context) error         { return e.client.Start(ctx) }
func (e *engine[TTx]) stop(ctx context.Context) error          { return e.client.Stop(ctx) }
func (e *engine[TTx]) stopAndCancel(ctx context.Context) error { return e.client.StopAndCancel(ctx) }

// dueOnTime is River insert middleware that makes a publishing job due later fetchable
// the moment it comes due. River inserts such a job as scheduled, and its scheduler, a
// maintenance service that runs every 5 s (not configurable), makes it available: a post
// could go out 5 s late. A job inserted available with a future scheduled_at is fetched
// by the first poll after that time instead, since fetching skips jobs not yet due; River
// itself inserts short retries and snoozes this way.
type dueOnTime struct{ river.MiddlewareDefaults }

func (*dueOnTime) InsertMany(ctx context.Context, manyParams []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	for _, p := range manyParams {
		if p.Kind == (publishArgs{}).Kind() && p.State == rivertype.JobStateScheduled {
			p.State = rivertype.JobStateAvailable
		}
	}
	return doInner(ctx)
}
