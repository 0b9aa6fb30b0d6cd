package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/apikey"
)

type cliBundle struct {
	dbPath string
}

func setupCLI(t *testing.T) *cliBundle {
	t.Helper()
	return &cliBundle{dbPath: filepath.Join(t.TempDir(), "octopost.db")}
}

// run executes one command against the bundle's database.
func (b *cliBundle) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	env := map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + b.dbPath}
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func (b *cliBundle) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := b.run(t, args...)
	require.Equal(t, 0, code, "stderr: %s", errOut)
	return out
}

func TestUsersAndKeys(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	userID := b.mustRun(t, "users", "create", "--email", "dev@example.com")
	require.Regexp(t, `^usr_[0-9A-Z]{26}\n$`, userID)

	out := b.mustRun(t, "keys", "create", "--user", "dev@example.com", "--name", "CI", "--mode", "test")
	require.Equal(t, 1, strings.Count(out, "\n"), "exactly one line")
	key := strings.TrimSpace(out)
	mode, err := apikey.Parse(key)
	require.NoError(t, err)
	require.Equal(t, apikey.Test, mode)

	out = b.mustRun(t, "keys", "create", "--user", "dev@example.com", "--name", "Server", "--mode", "live", "--permissions", "posts:read,posts:write", "--json")
	var created map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &created))
	require.ElementsMatch(t, []string{"id", "key", "name", "mode", "permissions"}, keysOf(created))
	require.Equal(t, "Server", created["name"])
	require.Equal(t, "live", created["mode"])
	require.Equal(t, []any{"posts:read", "posts:write"}, created["permissions"])
	require.True(t, strings.HasPrefix(created["key"].(string), "oct_live_"))

	list := b.mustRun(t, "keys", "list", "--user", "dev@example.com")
	require.Contains(t, list, "Server")
	require.Contains(t, list, "(full access)")
	require.NotContains(t, list, key, "never shows a secret")
	require.NotContains(t, list, created["key"].(string))

	out = b.mustRun(t, "keys", "list", "--user", "dev@example.com", "--json")
	require.NotContains(t, out, key)
	var keys []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &keys))
	require.Len(t, keys, 2)
	require.Equal(t, created["id"], keys[0]["id"], "newest first")
	require.NotContains(t, keys[0], "key")
	require.Regexp(t, `^oct_live_…`, keys[0]["hint"])
	require.Nil(t, keys[0]["revoked_at"])

	out = b.mustRun(t, "keys", "revoke", created["id"].(string))
	require.Contains(t, out, "revoked "+created["id"].(string))
	out = b.mustRun(t, "keys", "list", "--user", "dev@example.com", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &keys))
	require.NotNil(t, keys[0]["revoked_at"])
	// Revoking twice is harmless.
	b.mustRun(t, "keys", "revoke", created["id"].(string))

	require.Contains(t, b.mustRun(t, "migrate"), "migrations applied (sqlite)")
}

func keysOf(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

var keyPattern = regexp.MustCompile(`oct_(live|test)_\w+`)

func TestMistakesExitTwoAndWriteNothing(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	b.mustRun(t, "users", "create", "--email", "dev@example.com")
	countKeys := func() int {
		var keys []any
		require.NoError(t, json.Unmarshal([]byte(b.mustRun(t, "keys", "list", "--user", "dev@example.com", "--json")), &keys))
		return len(keys)
	}
	for name, args := range map[string][]string{
		"no command":          {},
		"unknown command":     {"frobnicate"},
		"unknown flag":        {"keys", "create", "--user", "dev@example.com", "--name", "n", "--mode", "live", "--colour", "red"},
		"bad mode":            {"keys", "create", "--user", "dev@example.com", "--name", "n", "--mode", "prod"},
		"missing name":        {"keys", "create", "--user", "dev@example.com", "--mode", "live"},
		"bad permission":      {"keys", "create", "--user", "dev@example.com", "--name", "n", "--mode", "live", "--permissions", "posts:read,posts:delete"},
		"unknown user":        {"keys", "create", "--user", "nobody@example.com", "--name", "n", "--mode", "live"},
		"list unknown user":   {"keys", "list", "--user", "nobody@example.com"},
		"revoke unknown key":  {"keys", "revoke", "key_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
		"revoke without id":   {"keys", "revoke"},
		"bad email":           {"users", "create", "--email", "not an email"},
		"duplicate user":      {"users", "create", "--email", "dev@example.com"},
		"stray argument":      {"users", "create", "--email", "x@example.com", "extra"},
		"keys without action": {"keys"},
	} {
		t.Run(name, func(t *testing.T) {
			code, out, errOut := b.run(t, args...)
			require.Equal(t, 2, code, "stdout: %s stderr: %s", out, errOut)
			require.Empty(t, out)
			require.NotEmpty(t, errOut)
			require.False(t, keyPattern.MatchString(errOut))
		})
	}
	require.Equal(t, 0, countKeys())
}

func TestFlagMistakesDoNotCreateTheDatabase(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	code, _, _ := b.run(t, "keys", "create", "--user", "dev@example.com", "--name", "n", "--mode", "prod")
	require.Equal(t, 2, code)
	_, err := os.Stat(b.dbPath)
	require.True(t, os.IsNotExist(err), "nothing written")
}

func TestBadDatabaseURL(t *testing.T) {
	t.Parallel()
	var errOut bytes.Buffer
	code := run(context.Background(), []string{"migrate"}, func(k string) string {
		if k == "OCTOPOST_DATABASE_URL" {
			return "mysql://localhost/octopost"
		}
		return ""
	}, &bytes.Buffer{}, &errOut)
	require.NotEqual(t, 0, code)
	require.Contains(t, errOut.String(), "postgres://")
}

func TestReadableDatabaseIsMadePrivateAndLoggedOnce(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	b.mustRun(t, "migrate")
	require.NoError(t, os.Chmod(b.dbPath, 0o644)) // as SQLite created it before the rule

	code, _, errOut := b.run(t, "migrate")
	require.Equal(t, 0, code, errOut)
	var warning struct {
		Level string   `json:"level"`
		Files []string `json:"files"`
	}
	require.NoError(t, json.Unmarshal([]byte(errOut), &warning), errOut)
	require.Equal(t, "WARN", warning.Level)
	require.Equal(t, []string{b.dbPath}, warning.Files)
	info, err := os.Stat(b.dbPath)
	require.NoError(t, err)
	require.Equal(t, "-rw-------", info.Mode().Perm().String())

	_, _, errOut = b.run(t, "migrate")
	require.Empty(t, errOut, "said once")
}
