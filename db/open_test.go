//go:build unix

package db_test

import (
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
)

// sqliteFiles are the database file and the two SQLite keeps beside it in WAL mode.
func sqliteFiles(path string) []string { return []string{path, path + "-wal", path + "-shm"} }

func requireMode(t *testing.T, want fs.FileMode, files ...string) {
	t.Helper()
	for _, name := range files {
		info, err := os.Stat(name)
		require.NoError(t, err)
		require.Equal(t, want.String(), info.Mode().Perm().String(), name)
	}
}

// Not parallel: it sets the process's umask to a permissive 022, as on most machines,
// under which SQLite on its own creates 0644 files. Parallel tests wait for it to end.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	t.Cleanup(func() { syscall.Umask(old) })

	path := filepath.Join(t.TempDir(), "octopost.db")
	d, err := db.Open(t.Context(), "sqlite:"+path)
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Migrate(t.Context())) // writes: the -wal and -shm files exist now
	require.Empty(t, d.Tightened)
	requireMode(t, 0o600, sqliteFiles(path)...)
}

func TestSQLiteFilesLeftReadableAreTightened(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "octopost.db")
	// A database made before the rule, still open in WAL mode: all three files exist.
	old, err := sql.Open("sqlite", db.SQLiteDSN(path))
	require.NoError(t, err)
	defer old.Close()
	_, err = old.ExecContext(t.Context(), "CREATE TABLE t (x); INSERT INTO t VALUES (1)")
	require.NoError(t, err)
	for _, name := range sqliteFiles(path) {
		require.NoError(t, os.Chmod(name, 0o644))
	}

	d, err := db.Open(t.Context(), "sqlite:"+path)
	require.NoError(t, err)
	require.Equal(t, sqliteFiles(path), d.Tightened)
	requireMode(t, 0o600, sqliteFiles(path)...)
	var x int
	require.NoError(t, d.SQLite.QueryRowContext(t.Context(), "SELECT x FROM t").Scan(&x))
	require.Equal(t, 1, x, "the data is untouched")
	require.NoError(t, d.Close())

	// Tightened once: the next open has nothing to report.
	again, err := db.Open(t.Context(), "sqlite:"+path)
	require.NoError(t, err)
	defer again.Close()
	require.Empty(t, again.Tightened)
	requireMode(t, 0o600, path)
}
