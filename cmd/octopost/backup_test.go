package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/secretbox"
)

// servedDatabase is a SQLite database with a user, as serve leaves it, and its key file.
func servedDatabase(t *testing.T) (databaseURL, dir string) {
	t.Helper()
	dir = t.TempDir()
	databaseURL = "sqlite:" + filepath.Join(dir, "octopost.db")
	env := map[string]string{"OCTOPOST_DATABASE_URL": databaseURL}
	code, _, errOut := runEnv(context.Background(), env, "users", "create", "--email", "dev@example.com")
	require.Equal(t, 0, code, errOut)
	_, _, err := secretbox.LoadOrCreateKeyFile(secretKeyFile(databaseURL))
	require.NoError(t, err)
	return databaseURL, dir
}

func TestBackupCopiesTheDatabaseAndItsKey(t *testing.T) {
	t.Parallel()
	databaseURL, dir := servedDatabase(t)
	to := filepath.Join(t.TempDir(), "backup.db")
	code, out, errOut := runEnv(context.Background(), map[string]string{"OCTOPOST_DATABASE_URL": databaseURL}, "backup", "--to", to)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "backed up "+filepath.Join(dir, "octopost.db")+" to "+to)
	require.Contains(t, errOut, "warning: "+to+".key is secret")
	require.Contains(t, errOut, "untrusted storage")

	for _, path := range []string{to, to + ".key"} {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), path)
	}
	key, err := os.ReadFile(to + ".key")
	require.NoError(t, err)
	original, err := os.ReadFile(secretKeyFile(databaseURL))
	require.NoError(t, err)
	require.Equal(t, original, key)

	// The copy is a database with the user in it.
	code, _, errOut = runEnv(context.Background(), map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + to}, "users", "create", "--email", "dev@example.com")
	require.Equal(t, 2, code, "the user is already there: %s", errOut)
}

func TestBackupWithTheKeyInTheEnvironmentSaysToKeepIt(t *testing.T) {
	t.Parallel()
	databaseURL, _ := servedDatabase(t)
	to := filepath.Join(t.TempDir(), "backup.db")
	code, _, errOut := runEnv(context.Background(), map[string]string{"OCTOPOST_DATABASE_URL": databaseURL, "OCTOPOST_SECRET_KEY": secretbox.GenerateKey()}, "backup", "--to", to)
	require.Equal(t, 0, code, errOut)
	require.Contains(t, errOut, "keep that key with this backup")
	_, err := os.Stat(to + ".key")
	require.ErrorIs(t, err, os.ErrNotExist, "no key file to copy")
}

func TestBackupMistakes(t *testing.T) {
	t.Parallel()
	databaseURL, _ := servedDatabase(t)
	existing := filepath.Join(t.TempDir(), "taken.db")
	require.NoError(t, os.WriteFile(existing, []byte("keep me"), 0o600))
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		says string
	}{
		"no --to":       {env: map[string]string{"OCTOPOST_DATABASE_URL": databaseURL}, args: nil, says: "--to is required"},
		"existing --to": {env: map[string]string{"OCTOPOST_DATABASE_URL": databaseURL}, args: []string{"--to", existing}, says: "never overwrites"},
		"no database": {env: map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "none.db")},
			args: []string{"--to", filepath.Join(t.TempDir(), "b.db")}, says: "no SQLite database at"},
		"postgres": {env: map[string]string{"OCTOPOST_DATABASE_URL": "postgres://octopost:hunter2@127.0.0.1:1/octopost"},
			args: []string{"--to", filepath.Join(t.TempDir(), "b.db")}, says: "pg_dump"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runEnv(context.Background(), tc.env, append([]string{"backup"}, tc.args...)...)
			require.Equal(t, 2, code, errOut)
			require.Empty(t, out)
			require.Regexp(t, mistakeStyle, errOut)
			require.Contains(t, errOut, tc.says)
			require.NotContains(t, errOut, "hunter2")
		})
	}
	kept, err := os.ReadFile(existing)
	require.NoError(t, err)
	require.Equal(t, "keep me", string(kept))
	if _, err := os.Stat(existing + ".key"); !os.IsNotExist(err) {
		t.Fatalf("a refused backup wrote %s.key", existing)
	}
}
