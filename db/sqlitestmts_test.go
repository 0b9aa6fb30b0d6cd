package db_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"modernc.org/sqlite"

	"github.com/octopost/octopost/db"
)

// openKeeping opens a one-connection pool on a fresh database file, with a table t of
// three rows.
func openKeeping(t testing.TB) *sql.DB {
	t.Helper()
	pool, err := db.OpenSQLitePool(filepath.Join(t.TempDir(), "stmts.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, pool.Close()) })
	pool.SetMaxOpenConns(1)
	_, err = pool.Exec(`CREATE TABLE t (x INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)`)
	require.NoError(t, err)
	return pool
}

// statementMemory is the heap SQLite's connection uses for prepared statements now.
func statementMemory(t *testing.T, pool *sql.DB) int {
	t.Helper()
	conn, err := pool.Conn(t.Context())
	require.NoError(t, err)
	defer conn.Close()
	var used int
	require.NoError(t, conn.Raw(func(dc any) error {
		for {
			u, ok := dc.(interface{ Unwrap() driver.Conn })
			if !ok {
				break
			}
			dc = u.Unwrap()
		}
		var err error
		used, _, err = dc.(sqlite.DBStatus).Status(sqlite.DBStatusStmtUsed, false)
		return err
	}))
	return used
}

func TestAConnectionKeepsTheStatementsItRuns(t *testing.T) {
	t.Parallel()
	pool := openKeeping(t)
	require.Zero(t, statementMemory(t, pool), "nothing prepared yet")

	// As the store and River run their queries: as text, inside a transaction.
	for range 3 {
		tx, err := pool.BeginTx(t.Context(), nil)
		require.NoError(t, err)
		var n int
		require.NoError(t, tx.QueryRowContext(t.Context(), `SELECT count(*) FROM t WHERE x > ?`, 1).Scan(&n))
		require.Equal(t, 2, n)
		require.NoError(t, tx.Commit())
	}
	require.NotZero(t, statementMemory(t, pool), "the statement stays prepared after the transaction")
}

func TestTheSameQueryInsideItsOwnRows(t *testing.T) {
	t.Parallel()
	pool := openKeeping(t)
	const query = `SELECT x FROM t WHERE x >= ? ORDER BY x`
	tx, err := pool.BeginTx(t.Context(), nil)
	require.NoError(t, err)
	defer tx.Rollback()

	rows, err := tx.QueryContext(t.Context(), query, 1)
	require.NoError(t, err)
	var outer, inner []int
	for rows.Next() {
		var x int
		require.NoError(t, rows.Scan(&x))
		outer = append(outer, x)
		// The kept statement is busy with rows: this run gets one of its own.
		var first int
		require.NoError(t, tx.QueryRowContext(t.Context(), query, x).Scan(&first))
		inner = append(inner, first)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.Equal(t, []int{1, 2, 3}, outer)
	require.Equal(t, []int{1, 2, 3}, inner)

	// And the kept statement is free again.
	var n int
	require.NoError(t, tx.QueryRowContext(t.Context(), `SELECT count(*) FROM (`+query+`)`, 2).Scan(&n))
	require.Equal(t, 2, n)
}

func TestAKeptStatementReportsErrorsAndRunsAgain(t *testing.T) {
	t.Parallel()
	pool := openKeeping(t)
	ctx := context.Background()
	_, err := pool.ExecContext(ctx, `INSERT INTO t VALUES (?)`, 1)
	require.ErrorContains(t, err, "UNIQUE")
	_, err = pool.ExecContext(ctx, `INSERT INTO t VALUES (?)`, 4)
	require.NoError(t, err)
	_, err = pool.ExecContext(ctx, `SELECT nope FROM t`)
	require.Error(t, err)

	st, err := pool.PrepareContext(ctx, `SELECT count(*) FROM t WHERE x <= ?`)
	require.NoError(t, err)
	var n int
	require.NoError(t, st.QueryRowContext(ctx, 2).Scan(&n))
	require.Equal(t, 2, n)
	require.NoError(t, st.Close())
	require.NoError(t, pool.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE x <= ?`, 4).Scan(&n))
	require.Equal(t, 4, n, "closing a database/sql statement leaves the connection's")
}

// BenchmarkQueryInTransaction runs a store-like read in a transaction, on a pool that
// keeps statements and on a plain one, which parses the query each time.
func BenchmarkQueryInTransaction(b *testing.B) {
	plain := func(b *testing.B) *sql.DB {
		pool, err := sql.Open("sqlite", db.SQLiteDSN(filepath.Join(b.TempDir(), "plain.db")))
		require.NoError(b, err)
		b.Cleanup(func() { pool.Close() })
		pool.SetMaxOpenConns(1)
		_, err = pool.Exec(`CREATE TABLE t (x INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)`)
		require.NoError(b, err)
		return pool
	}
	for _, bc := range []struct {
		name string
		open func(b *testing.B) *sql.DB
	}{{"kept", func(b *testing.B) *sql.DB { return openKeeping(b) }}, {"unprepared", plain}} {
		b.Run(bc.name, func(b *testing.B) {
			pool := bc.open(b)
			const query = `SELECT x, x * 2 FROM t WHERE x = ? AND x IN (SELECT x FROM t WHERE x > 0) ORDER BY x LIMIT 1`
			for b.Loop() {
				tx, err := pool.Begin()
				require.NoError(b, err)
				var x, y int
				require.NoError(b, tx.QueryRow(query, 2).Scan(&x, &y))
				require.NoError(b, tx.Commit())
			}
		})
	}
}
