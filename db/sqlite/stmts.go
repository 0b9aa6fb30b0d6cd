package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// stmtCache runs sqlc's queries as prepared statements, each prepared the first time it
// runs: SQLite spends about as long parsing and planning one of these statements as
// running it, and the reads are on every request's path. database/sql keeps each
// statement prepared on every connection that has run it.
type stmtCache struct {
	db    *sql.DB
	stmts sync.Map // query text → *sql.Stmt
}

func (c *stmtCache) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// close closes every prepared statement.
func (c *stmtCache) close() error {
	var errs []error
	c.stmts.Range(func(query, st any) bool {
		errs = append(errs, st.(*sql.Stmt).Close())
		c.stmts.Delete(query)
		return true
	})
	return errors.Join(errs...)
}

// poolStmts is the sqlitegen.DBTX for queries outside a transaction.
type poolStmts struct{ *stmtCache }

func (p poolStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p poolStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (p poolStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.prepared(ctx, query)
	if err != nil {
		// A *sql.Row cannot be made with an error, so let the pool fail the same way.
		return p.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p poolStmts) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.prepared(ctx, query)
}

// txStmts is the sqlitegen.DBTX for queries in a transaction: the pool's prepared
// statements, bound to the transaction's connection. A statement the pool has not
// prepared yet runs as text on the transaction, not prepared on the pool: that would
// need a second connection while this one holds the write lock, and with every
// connection inside a transaction that waits until the busy timeout fails someone. It is
// parsed once all the same: the connection keeps what it runs prepared, by query text
// (db.OpenSQLitePool, db/sqlitestmts.go).
type txStmts struct {
	*stmtCache
	tx *sql.Tx
}

func (t txStmts) stmt(ctx context.Context, query string) (*sql.Stmt, bool) {
	st, ok := t.stmts.Load(query)
	if !ok {
		return nil, false
	}
	return t.tx.StmtContext(ctx, st.(*sql.Stmt)), true
}

func (t txStmts) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := t.stmt(ctx, query); ok {
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

func (t txStmts) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := t.stmt(ctx, query); ok {
		return st.QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

func (t txStmts) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st, ok := t.stmt(ctx, query); ok {
		return st.QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

func (t txStmts) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmt(ctx, query); ok {
		return st, nil
	}
	return t.tx.PrepareContext(ctx, query)
}
