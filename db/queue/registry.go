package queue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	pggen "github.com/octopost/octopost/gen/postgres"
	sqlitegen "github.com/octopost/octopost/gen/sqlite"
)

// Predicates for River's JobList matching the jobs last attempted by @instance: River
// appends each attempt's client id to attempted_by, a text[] on PostgreSQL and a JSON
// array on SQLite.
const (
	postgresLastAttemptBy = `attempted_by[array_length(attempted_by, 1)] = @instance::text`
	sqliteLastAttemptBy   = `attempted_by ->> '$[#-1]' = @instance`
)

// handBackBatch bounds the jobs one takeover lists: an instance runs at most Workers
// jobs at once, so one batch holds them all.
const handBackBatch = 10000

// instanceTable is the liveness table on one engine, whose transactions are TTx.
type instanceTable[TTx any] interface {
	register(ctx context.Context, id, name string, at time.Time) error
	renew(ctx context.Context, id string, at time.Time) (bool, error)
	dead(ctx context.Context, self, name string, deadBefore, ownDeadBefore time.Time) ([]instanceRow, error)
	inTx(ctx context.Context, f func(tx TTx) error) error
	// remove removes the row in tx if its heartbeat is still row's.
	remove(ctx context.Context, tx TTx, row instanceRow) (bool, error)
}

// riverRegistry is the registry on River's client for one engine.
type riverRegistry[TTx any] struct {
	instanceTable[TTx]
	client        *river.Client[TTx]
	lastAttemptBy string
}

func (r *riverRegistry[TTx]) takeOver(ctx context.Context, dead instanceRow, why string) ([]*rivertype.JobRow, error) {
	var handedBack []*rivertype.JobRow
	err := r.inTx(ctx, func(tx TTx) error {
		handedBack = nil
		removed, err := r.remove(ctx, tx, dead)
		if err != nil || !removed {
			return err
		}
		running := river.NewJobListParams().States(rivertype.JobStateRunning).
			Where(r.lastAttemptBy, river.NamedArgs{"instance": dead.id}).First(handBackBatch)
		res, err := r.client.JobListTx(ctx, tx, running)
		if err != nil {
			return err
		}
		exec := r.client.Driver().UnwrapExecutor(tx)
		for _, job := range res.Jobs {
			params, err := handBackParams(job, why)
			if err != nil {
				return err
			}
			if _, err := exec.JobRescueMany(ctx, params); err != nil {
				return fmt.Errorf("handing back job %d: %w", job.ID, err)
			}
			handedBack = append(handedBack, job)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("queue: taking over instance %s: %w", dead.id, err)
	}
	return handedBack, nil
}

// sqliteInstances keeps times as milliseconds since the epoch.
type sqliteInstances struct{ pool *sql.DB }

func (s sqliteInstances) register(ctx context.Context, id, name string, at time.Time) error {
	return sqlitegen.New(s.pool).RegisterQueueInstance(ctx, sqlitegen.RegisterQueueInstanceParams{
		ID: id, Name: name, StartedAt: at.UnixMilli(), HeartbeatAt: at.UnixMilli(),
	})
}

func (s sqliteInstances) renew(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := sqlitegen.New(s.pool).RenewQueueInstance(ctx, sqlitegen.RenewQueueInstanceParams{ID: id, HeartbeatAt: at.UnixMilli()})
	return n > 0, err
}

func (s sqliteInstances) dead(ctx context.Context, self, name string, deadBefore, ownDeadBefore time.Time) ([]instanceRow, error) {
	rows, err := sqlitegen.New(s.pool).ListDeadQueueInstances(ctx, sqlitegen.ListDeadQueueInstancesParams{
		Self: self, Name: name, DeadBefore: deadBefore.UnixMilli(), OwnDeadBefore: ownDeadBefore.UnixMilli(),
	})
	out := make([]instanceRow, len(rows))
	for i, r := range rows {
		out[i] = instanceRow{id: r.ID, name: r.Name, heartbeatAt: time.UnixMilli(r.HeartbeatAt).UTC()}
	}
	return out, err
}

func (s sqliteInstances) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func (s sqliteInstances) remove(ctx context.Context, tx *sql.Tx, row instanceRow) (bool, error) {
	n, err := sqlitegen.New(tx).RemoveQueueInstance(ctx, sqlitegen.RemoveQueueInstanceParams{
		ID: row.id, HeartbeatAt: row.heartbeatAt.UnixMilli(),
	})
	return n > 0, err
}

type postgresInstances struct{ pool *pgxpool.Pool }

func (p postgresInstances) register(ctx context.Context, id, name string, at time.Time) error {
	return pggen.New(p.pool).RegisterQueueInstance(ctx, pggen.RegisterQueueInstanceParams{
		ID: id, Name: name, StartedAt: at, HeartbeatAt: at,
	})
}

func (p postgresInstances) renew(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := pggen.New(p.pool).RenewQueueInstance(ctx, pggen.RenewQueueInstanceParams{ID: id, HeartbeatAt: at})
	return n > 0, err
}

func (p postgresInstances) dead(ctx context.Context, self, name string, deadBefore, ownDeadBefore time.Time) ([]instanceRow, error) {
	rows, err := pggen.New(p.pool).ListDeadQueueInstances(ctx, pggen.ListDeadQueueInstancesParams{
		Self: self, Name: name, DeadBefore: deadBefore, OwnDeadBefore: ownDeadBefore,
	})
	out := make([]instanceRow, len(rows))
	for i, r := range rows {
		out[i] = instanceRow{id: r.ID, name: r.Name, heartbeatAt: r.HeartbeatAt}
	}
	return out, err
}

func (p postgresInstances) inTx(ctx context.Context, f func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, p.pool, f)
}

func (p postgresInstances) remove(ctx context.Context, tx pgx.Tx, row instanceRow) (bool, error) {
	n, err := pggen.New(tx).RemoveQueueInstance(ctx, pggen.RemoveQueueInstanceParams{ID: row.id, HeartbeatAt: row.heartbeatAt})
	return n > 0, err
}
