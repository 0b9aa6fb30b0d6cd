package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/sqlite"
)

func TestBackupCopiesACommittedDatabaseIntoANewPrivateFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	src, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "live.db"))
	require.NoError(t, err)
	defer src.Close()
	_, err = src.SQLite.ExecContext(ctx, "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')")
	require.NoError(t, err)

	to := filepath.Join(dir, "copy.db")
	require.NoError(t, sqlite.Backup(ctx, src.SQLite, to))
	info, err := os.Stat(to)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())

	copied, err := db.Open(ctx, "sqlite:"+to)
	require.NoError(t, err)
	defer copied.Close()
	var v string
	require.NoError(t, copied.SQLite.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v))
	require.Equal(t, "kept", v)

	// Never over an existing file, which is left as it was.
	require.ErrorIs(t, sqlite.Backup(ctx, src.SQLite, to), os.ErrExist)
	require.NoError(t, copied.SQLite.QueryRowContext(ctx, "SELECT v FROM t").Scan(&v))
}
