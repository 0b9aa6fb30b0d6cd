package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/octopost/octopost/service"
)

// Transactions in few round trips
//
// Every statement is a round trip to the database, and in a burst of posts due at once
// the round trips are what the posts wait for (some 0.6 ms each on a busy machine, where
// the statement itself takes a fraction of that). A transaction here therefore sends its
// statements in as few round trips as their results allow, as one pgx batch each:
//
//   - BEGIN is not sent on its own: it goes with the transaction's first statement, and a
//     transaction that runs no statement sends nothing at all;
//   - the writes whose only result is success or failure (UpdatePost, UpdateAttempt,
//     UpdateAccount, AddEvent) are held back and go with the transaction's next statement,
//     or with its COMMIT;
//   - every other statement (a read, or a write whose outcome the caller branches on, such
//     as CreateAttempt's ErrDuplicate) goes at once, with whatever is held back before it.
//
// Statements run in the order they were made, so a read sees the writes before it. A
// held-back write that fails fails the transaction: the statement it went with, and every
// later one, returns its error, and so does InTx, which rolls back — even if fn ignored
// it. So that a write that changed nothing fails too (a post gone, a compare-and-set lost),
// the held-back UPDATEs are written to fail when no row matched (db/queries/postgres): sent
// with the COMMIT, such a failure aborts the transaction and the COMMIT rolls it back.
//
// A scheduled post's due job, for example, costs 7 round trips from due to published
// instead of 13 (TestAScheduledPostCostsFewRoundTrips).

// divisionByZero is the SQLSTATE the held-back UPDATEs fail with when no row matched.
const divisionByZero = "22012"

// pipeTx is one transaction on a connection of the pool, sending its statements as the
// package doc says. It is the pgx.Tx the job queue enqueues through, and the DBTX of the
// store's queries inside the transaction. It is not safe for concurrent use, as no pgx
// transaction is.
type pipeTx struct {
	conn   *pgxpool.Conn
	begun  bool        // BEGIN has been sent
	tx     pgx.Tx      // pgx's transaction begun then, for what this type does not do itself
	held   []heldWrite // writes not sent yet, in order
	failed error       // the failure of a held-back write: the transaction's outcome
	closed bool        // committed or rolled back, and the connection released
}

// heldWrite is a write held back until the transaction's next statement.
type heldWrite struct {
	sql  string
	args []any
}

var _ pgx.Tx = (*pipeTx)(nil)

func begin(ctx context.Context, pool *pgxpool.Pool) (*pipeTx, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	return &pipeTx{conn: conn}, nil
}

// hold queues a write to be sent with the transaction's next statement.
func (t *pipeTx) hold(sql string, args []any) error {
	switch {
	case t.closed:
		return pgx.ErrTxClosed
	case t.failed != nil:
		return t.failed
	}
	t.held = append(t.held, heldWrite{sql: sql, args: args})
	return nil
}

// send sends BEGIN if it has not been, the held-back writes, and then sql, as one batch,
// and returns the batch positioned at sql's result. With nothing to send before sql, it
// returns nil: the caller runs sql on the connection directly.
func (t *pipeTx) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	switch {
	case t.closed:
		return nil, pgx.ErrTxClosed
	case t.failed != nil:
		return nil, t.failed
	case t.begun && len(t.held) == 0:
		return nil, nil
	}
	b := &pgx.Batch{}
	first := !t.begun
	if first {
		b.BeginTx(pgx.TxOptions{})
	}
	for _, w := range t.held {
		b.Queue(w.sql, w.args...)
	}
	b.Queue(sql, args...)
	held := t.held
	t.begun, t.held = true, nil
	br := t.conn.SendBatch(ctx, b)
	if first {
		t.tx = br.Tx()
		if _, err := br.Exec(); err != nil {
			return nil, errors.Join(fmt.Errorf("begin: %w", err), br.Close())
		}
	}
	for _, w := range held {
		if _, err := br.Exec(); err != nil {
			t.failed = heldErr(w.sql, err)
			_ = br.Close() // the statements after it failed too, with the transaction aborted
			return nil, t.failed
		}
	}
	return br, nil
}

// heldErr is the error of a held-back write, as its Store method would have returned it.
func heldErr(sql string, err error) error {
	// sqlc starts every query with "-- name: <Name> :<kind>".
	op, _, _ := strings.Cut(strings.TrimPrefix(sql, "-- name: "), " ")
	return checkedErr(op, err)
}

// checkedErr maps the failure of an UPDATE written to fail when no row matched to
// service.ErrNotFound, and the others as writeErr does.
func checkedErr(op string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == divisionByZero {
		return fmt.Errorf("%s: %w", op, service.ErrNotFound)
	}
	return writeErr(op, err)
}

func (t *pipeTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br, err := t.send(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	if br == nil {
		return t.conn.Exec(ctx, sql, args...)
	}
	tag, err := br.Exec()
	return tag, errors.Join(err, br.Close())
}

func (t *pipeTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br, err := t.send(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	if br == nil {
		return t.conn.Query(ctx, sql, args...)
	}
	rows, err := br.Query()
	if err != nil {
		return nil, errors.Join(err, br.Close())
	}
	return &batchRows{Rows: rows, batch: br}, nil
}

func (t *pipeTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := t.Query(ctx, sql, args...)
	return &batchRow{rows: rows, err: err}
}

// Commit sends what is held back with the COMMIT, in one round trip; when a held-back
// write fails, the COMMIT rolls back and Commit returns that write's error.
func (t *pipeTx) Commit(ctx context.Context) error {
	if t.closed {
		return pgx.ErrTxClosed
	}
	if t.failed != nil {
		return errors.Join(t.failed, t.Rollback(ctx))
	}
	if !t.begun && len(t.held) == 0 {
		t.release()
		return nil // nothing was sent: nothing to commit
	}
	tag, err := t.Exec(ctx, "commit")
	if t.failed != nil {
		// The batch stopped at the failed write, before the COMMIT.
		return errors.Join(t.failed, t.Rollback(ctx))
	}
	if err == nil && tag.String() == "ROLLBACK" {
		err = pgx.ErrTxCommitRollback
	}
	t.release()
	return err
}

// Rollback ends the transaction without sending what is held back. Like pgx's, it is a
// no-op once the transaction has ended.
func (t *pipeTx) Rollback(ctx context.Context) error {
	if t.closed {
		return nil
	}
	t.held = nil
	var err error
	if t.begun {
		_, err = t.conn.Exec(ctx, "rollback")
	}
	t.release()
	return err
}

// release hands the connection back to the pool, which closes it if it is still in a
// transaction (a COMMIT or ROLLBACK that did not get through).
func (t *pipeTx) release() {
	t.closed = true
	t.conn.Release()
}

// flush sends BEGIN and what is held back, for a caller about to use the connection
// outside this type (CopyFrom, SendBatch, Prepare).
func (t *pipeTx) flush(ctx context.Context) error {
	if t.begun && len(t.held) == 0 && !t.closed && t.failed == nil {
		return nil
	}
	_, err := t.Exec(ctx, "select 1")
	return err
}

func (t *pipeTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := t.flush(ctx); err != nil {
		return 0, err
	}
	return t.conn.CopyFrom(ctx, table, columns, src)
}

func (t *pipeTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if err := t.flush(ctx); err != nil {
		return failedBatch{err: err}
	}
	return t.conn.SendBatch(ctx, b)
}

func (t *pipeTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.conn.Conn().Prepare(ctx, name, sql)
}

// Begin begins a nested transaction (a savepoint), through pgx's transaction.
func (t *pipeTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := t.flush(ctx); err != nil {
		return nil, err
	}
	return t.tx.Begin(ctx)
}

// LargeObjects are pgx's over the transaction, which must have sent a statement first:
// Octopost stores none, and this takes no context to send BEGIN with.
func (t *pipeTx) LargeObjects() pgx.LargeObjects {
	if t.tx == nil {
		panic("postgres: LargeObjects before the transaction's first statement")
	}
	return t.tx.LargeObjects()
}

func (t *pipeTx) Conn() *pgx.Conn { return t.conn.Conn() }

// batchRows are a query's rows read from a batch: closing them closes the batch.
type batchRows struct {
	pgx.Rows
	batch pgx.BatchResults
	err   error // closing the batch
}

func (r *batchRows) Close() {
	r.Rows.Close()
	if r.batch != nil {
		r.err = r.batch.Close()
		r.batch = nil
	}
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// batchRow is QueryRow's row over Query's rows, as pgx's own is.
type batchRow struct {
	rows pgx.Rows
	err  error
}

func (r *batchRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// failedBatch is the BatchResults of a batch that could not be sent.
type failedBatch struct{ err error }

func (b failedBatch) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, b.err }
func (b failedBatch) Query() (pgx.Rows, error)         { return nil, b.err }
func (b failedBatch) QueryRow() pgx.Row                { return &batchRow{err: b.err} }
func (b failedBatch) Close() error                     { return b.err }
func (b failedBatch) Tx() pgx.Tx                       { return nil }

// heldWrites is the DBTX of the queries whose writes a transaction holds back: Exec
// queues the statement; the rest goes straight to the transaction.
type heldWrites struct{ *pipeTx }

func (h heldWrites) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, h.hold(sql, args)
}
