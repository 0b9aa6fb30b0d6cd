package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// Statements kept prepared on every SQLite connection
//
// SQLite spends about as long parsing and planning a statement as running it, and the
// SQLite driver prepares every statement it is handed as text afresh. database/sql keeps
// a statement prepared only on the connections its *sql.Stmt was prepared on, and a
// transaction runs on whichever connection it got: so the store's queries inside
// transactions, and every query of River's SQLite driver, which has no prepared
// statements at all, were parsed on each run. When a thousand scheduled posts come due
// at once this parsing, done while holding SQLite's one write lock, was a third of the
// burst's CPU time, most of it in River completing jobs one statement per job.
//
// So each connection keeps its own statements, by query text: running a query prepares
// it on the connection the first time and reuses it after. A statement whose rows are
// still open when the same query runs again on the connection (a query inside a loop over
// another's rows) is not shared: the second run gets a statement of its own, closed after
// use. A connection keeps at most maxConnStmts statements; queries beyond those run
// unprepared, as before.

// maxConnStmts bounds the statements one connection keeps. The store and River run a few
// dozen distinct queries; the bound is for query texts that are built per call.
const maxConnStmts = 256

// OpenSQLitePool opens a pool on the SQLite database at path, with Octopost's connection
// settings (SQLiteDSN), whose connections keep the statements they run prepared.
func OpenSQLitePool(path string) (*sql.DB, error) {
	base, err := sqlite.NewConnector(SQLiteDSN(path))
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(stmtConnector{base}), nil
}

// stmtConnector opens SQLite connections that keep their statements.
type stmtConnector struct{ driver.Connector }

func (c stmtConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStmtConn(conn)
}

// sqliteConn is what every connection of the SQLite driver implements, and so what a
// wrapper must forward for database/sql to use it fully (see sqlite.NewConnector).
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is a SQLite connection that keeps the statements it runs. database/sql uses a
// connection from one goroutine at a time, so it needs no lock.
type stmtConn struct {
	sqliteConn
	stmts map[string]*connStmt
}

// connStmt is a statement kept by a connection; busy while rows read from it are open.
type connStmt struct {
	stmt driver.Stmt
	busy bool
}

// sqliteStmt is what every statement of the SQLite driver implements.
type sqliteStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

func newStmtConn(conn driver.Conn) (driver.Conn, error) {
	c, ok := conn.(sqliteConn)
	if !ok {
		conn.Close()
		return nil, errors.New("db: the SQLite driver's connection lacks the methods database/sql needs")
	}
	return &stmtConn{sqliteConn: c, stmts: map[string]*connStmt{}}, nil
}

// Unwrap returns the driver's own connection (sqlite.Limit looks through wrappers so).
func (c *stmtConn) Unwrap() driver.Conn { return c.sqliteConn }

// acquire returns a prepared statement for query, and release, to call once the
// statement's results are done with.
func (c *stmtConn) acquire(ctx context.Context, query string) (st sqliteStmt, release func() error, err error) {
	if cs, ok := c.stmts[query]; ok && !cs.busy {
		cs.busy = true
		return cs.stmt.(sqliteStmt), func() error { cs.busy = false; return nil }, nil
	}
	ds, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	st, ok := ds.(sqliteStmt)
	if !ok {
		ds.Close()
		return nil, nil, errors.New("db: the SQLite driver's statement lacks the methods database/sql needs")
	}
	if _, taken := c.stmts[query]; taken || len(c.stmts) >= maxConnStmts {
		return st, st.Close, nil
	}
	cs := &connStmt{stmt: st, busy: true}
	c.stmts[query] = cs
	return st, func() error { cs.busy = false; return nil }, nil
}

func (c *stmtConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, release, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(ctx, args)
	return res, errors.Join(err, release())
}

func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, release, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args)
	if err != nil {
		return nil, errors.Join(err, release())
	}
	r, ok := rows.(sqliteRows)
	if !ok {
		return nil, errors.Join(errors.New("db: the SQLite driver's rows lack the methods database/sql uses"), rows.Close(), release())
	}
	return &stmtRows{sqliteRows: r, release: release}, nil
}

// PrepareContext returns a statement that runs through the connection's kept statement
// for query, which it prepares now, so that a query that does not compile fails here.
func (c *stmtConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, release, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	n := st.NumInput()
	if err := release(); err != nil {
		return nil, err
	}
	return &boundStmt{conn: c, query: query, numInput: n}, nil
}

func (c *stmtConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *stmtConn) Close() error {
	var errs []error
	for query, cs := range c.stmts {
		errs = append(errs, cs.stmt.Close())
		delete(c.stmts, query)
	}
	return errors.Join(append(errs, c.sqliteConn.Close())...)
}

// sqliteRows is what the rows of the SQLite driver implement.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// stmtRows releases its statement when closed.
type stmtRows struct {
	sqliteRows
	release func() error
}

func (r *stmtRows) Close() error {
	err := r.sqliteRows.Close()
	if r.release != nil {
		err = errors.Join(err, r.release())
		r.release = nil
	}
	return err
}

// boundStmt is a database/sql statement on a stmtConn: closing it leaves the kept
// statement to the connection.
type boundStmt struct {
	conn     *stmtConn
	query    string
	numInput int
}

func (s *boundStmt) Close() error  { return nil }
func (s *boundStmt) NumInput() int { return s.numInput }

func (s *boundStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.conn.ExecContext(ctx, s.query, args)
}

func (s *boundStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.conn.QueryContext(ctx, s.query, args)
}

func (s *boundStmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.ExecContext(context.Background(), namedValues(args))
}

func (s *boundStmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.QueryContext(context.Background(), namedValues(args))
}

func namedValues(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, v := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}
