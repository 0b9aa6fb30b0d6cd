package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
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

// runEnv runs one command with env as its whole environment.
func runEnv(ctx context.Context, env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = run(ctx, args, func(k string) string { return env[k] }, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestHelpOnEveryCommand(t *testing.T) {
	t.Parallel()
	for synopsis, args := range map[string][]string{
		"serve":              {"serve"},
		"migrate":            {"migrate"},
		"users <":            {"users"},
		"users create":       {"users", "create"},
		"users set-tier":     {"users", "set-tier"},
		"users set-password": {"users", "set-password"},
		"keys <":             {"keys"},
		"keys create":        {"keys", "create"},
		"keys list":          {"keys", "list"},
		"keys revoke":        {"keys", "revoke"},
		"backup":             {"backup"},
		"version":            {"version"},
	} {
		for _, flag := range []string{"-h", "--help"} {
			t.Run(synopsis+" "+flag, func(t *testing.T) {
				t.Parallel()
				dbPath := filepath.Join(t.TempDir(), "octopost.db")
				code, out, errOut := runEnv(context.Background(), map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + dbPath},
					append(append([]string{}, args...), flag)...)
				require.Equal(t, 0, code, errOut)
				require.Empty(t, errOut)
				require.True(t, strings.HasPrefix(out, "usage: octopost "+synopsis), out)
				_, err := os.Stat(dbPath)
				require.True(t, os.IsNotExist(err), "help opens no database")
			})
		}
	}
}

func TestHelpNamesFlagsAndSettings(t *testing.T) {
	t.Parallel()
	_, out, _ := runEnv(context.Background(), nil, "keys", "create", "--help")
	for _, want := range []string{"-user", "-name", "-mode", "-permissions", "-json", "OCTOPOST_DATABASE_URL"} {
		require.Contains(t, out, want)
	}
	_, out, _ = runEnv(context.Background(), nil, "serve", "-h")
	for _, want := range []string{"OCTOPOST_ADDR", "OCTOPOST_SECRET_KEY", "OCTOPOST_LOG_FORMAT", "OCTOPOST_TWITTER_CLIENT_SECRET", "OCTOPOST_BLUESKY_URL"} {
		require.Contains(t, out, want)
	}
	_, out, _ = runEnv(context.Background(), nil, "keys", "--help")
	for _, want := range []string{"keys create", "keys list", "keys revoke"} {
		require.Contains(t, out, want)
	}
	// A help flag after the arguments asks for help too, and revokes nothing.
	code, out, _ := runEnv(context.Background(), nil, "keys", "revoke", "key_01ARZ3NDEKTSV4RRFFQ69G5FAV", "--help")
	require.Equal(t, 0, code)
	require.Contains(t, out, "usage: octopost keys revoke")
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		code, out, _ := runEnv(context.Background(), nil, args...)
		require.Equal(t, 0, code)
		require.Contains(t, out, "octopost keys create")
	}
	code, out, _ = runEnv(context.Background(), nil, "help", "keys", "list")
	require.Equal(t, 0, code)
	require.Contains(t, out, "usage: octopost keys list")
}

// mistakeStyle is the one shape of every usage error: what is wrong, after the command,
// then where to read more.
var mistakeStyle = regexp.MustCompile(`^(octopost(?: [a-z-]+)*): [^\n]+\nRun "(octopost(?: [a-z-]+)*) --help" for usage\.\n$`)

func TestEveryMistakeHasOneStyle(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	b.mustRun(t, "users", "create", "--email", "dev@example.com")
	for name, tc := range map[string]struct {
		args    []string
		env     map[string]string
		command string
	}{
		"no command":         {args: []string{}, command: "octopost"},
		"unknown command":    {args: []string{"frobnicate"}, command: "octopost"},
		"unknown group cmd":  {args: []string{"users", "delete"}, command: "octopost users"},
		"unknown flag":       {args: []string{"keys", "list", "--user", "dev@example.com", "--colour"}, command: "octopost keys list"},
		"bad mode":           {args: []string{"keys", "create", "--user", "dev@example.com", "--name", "n", "--mode", "prod"}, command: "octopost keys create"},
		"unknown user":       {args: []string{"keys", "list", "--user", "nobody@example.com"}, command: "octopost keys list"},
		"set-tier missing":   {args: []string{"users", "set-tier", "--email", "dev@example.com"}, command: "octopost users set-tier"},
		"version argument":   {args: []string{"version", "now"}, command: "octopost version"},
		"serve argument":     {args: []string{"serve", "now"}, command: "octopost serve"},
		"bad log format":     {args: []string{"serve"}, env: map[string]string{"OCTOPOST_LOG_FORMAT": "xml"}, command: "octopost serve"},
		"bad bool":           {args: []string{"serve"}, env: map[string]string{"OCTOPOST_REFUSE_TEST_KEYS": "maybe"}, command: "octopost serve"},
		"bad duration":       {args: []string{"serve"}, env: map[string]string{"OCTOPOST_JOB_TIMEOUT": "soon"}, command: "octopost serve"},
		"bad public url":     {args: []string{"serve"}, env: map[string]string{"OCTOPOST_PUBLIC_URL": "ftp://x"}, command: "octopost serve"},
		"bad tier setting":   {args: []string{"serve"}, env: map[string]string{"OCTOPOST_DEFAULT_TIER": "gold"}, command: "octopost serve"},
		"bad database url":   {args: []string{"migrate"}, env: map[string]string{"OCTOPOST_DATABASE_URL": "mysql://u:hunter2@localhost/o"}, command: "octopost migrate"},
		"empty sqlite path":  {args: []string{"migrate"}, env: map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:"}, command: "octopost migrate"},
		"bad secret key":     {args: []string{"serve"}, env: map[string]string{"OCTOPOST_SECRET_KEY": "short", "OCTOPOST_ADDR": "127.0.0.1:0"}, command: "octopost serve"},
		"bad webhook ports":  {args: []string{"serve"}, env: map[string]string{"OCTOPOST_WEBHOOK_PORTS": "http"}, command: "octopost serve"},
		"missing keys cmd":   {args: []string{"keys"}, command: "octopost keys"},
		"revoke two ids":     {args: []string{"keys", "revoke", "a", "b"}, command: "octopost keys revoke"},
		"unknown permission": {args: []string{"keys", "create", "--user", "dev@example.com", "--name", "n", "--mode", "live", "--permissions", "posts:delete"}, command: "octopost keys create"},
	} {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + b.dbPath}
			for k, v := range tc.env {
				env[k] = v
			}
			code, out, errOut := runEnv(context.Background(), env, tc.args...)
			require.Equal(t, 2, code, errOut)
			require.Empty(t, out)
			m := mistakeStyle.FindStringSubmatch(errOut)
			require.NotNil(t, m, errOut)
			require.Equal(t, tc.command, m[1])
			require.Equal(t, tc.command, m[2])
			require.NotContains(t, errOut, "hunter2")
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	code, out, errOut := runEnv(context.Background(), nil, "version")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `^octopost \S+\ncommit \S+( \(modified\))?\ngo\S+\n$`, out)
}

func TestServeLogsItsConfigurationWithSecretsRedacted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{
		"OCTOPOST_DATABASE_URL":           "sqlite:" + filepath.Join(dir, "octopost.db"),
		"OCTOPOST_ADDR":                   "127.0.0.1:0",
		"OCTOPOST_SECRET_KEY":             "MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=",
		"OCTOPOST_TWITTER_CLIENT_ID":      "client-id-1",
		"OCTOPOST_TWITTER_CLIENT_SECRET":  "client-secret-hunter2",
		"OCTOPOST_OAUTH_REDIRECT_ORIGINS": "https://app.example.com",
		"OCTOPOST_SHUTDOWN_DELAY":         "0",
	}
	// Stopped as soon as it listens: what it said on the way is the test.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &cancelOnLine{cancel: cancel, line: `"msg":"octopost listening"`}
	code := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, io.Discard, stderr)
	errOut := stderr.String()
	require.Equal(t, 0, code, errOut)
	require.NotContains(t, errOut, "client-secret-hunter2")
	require.NotContains(t, errOut, env["OCTOPOST_SECRET_KEY"])
	var configs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		var entry map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &entry), line)
		if entry["msg"] == "configuration" {
			configs = append(configs, entry)
		}
	}
	require.Len(t, configs, 1, "logged once")
	cfg := configs[0]
	require.Equal(t, "[redacted]", cfg["OCTOPOST_TWITTER_CLIENT_SECRET"])
	require.Equal(t, "[redacted]", cfg["OCTOPOST_SECRET_KEY"])
	require.Equal(t, "client-id-1", cfg["OCTOPOST_TWITTER_CLIENT_ID"])
	require.Equal(t, "127.0.0.1:0", cfg["OCTOPOST_ADDR"])
	require.Equal(t, "json", cfg["OCTOPOST_LOG_FORMAT"], "defaults are shown as they apply")
	require.Equal(t, "https://bsky.social", cfg["OCTOPOST_BLUESKY_URL"])
	require.Equal(t, "(unset)", cfg["OCTOPOST_LINKEDIN_CLIENT_SECRET"])
	require.Equal(t, "0", cfg["OCTOPOST_SHUTDOWN_DELAY"])
}

func TestDatabasePasswordIsRedacted(t *testing.T) {
	t.Parallel()
	env := map[string]string{"OCTOPOST_DATABASE_URL": "postgres://octopost:hunter2@db.example.com:5432/octopost?sslmode=require"}
	got := settingDatabaseURL.effective(func(k string) string { return env[k] })
	require.NotContains(t, got, "hunter2")
	require.Equal(t, "postgres://octopost:xxxxx@db.example.com:5432/octopost?sslmode=require", got)
}

func TestListenFailureIsLoggedInTheLogFormat(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	for _, format := range []string{"json", "text"} {
		t.Run(format, func(t *testing.T) {
			env := map[string]string{
				"OCTOPOST_DATABASE_URL": "sqlite:" + filepath.Join(t.TempDir(), "octopost.db"),
				"OCTOPOST_ADDR":         taken.Addr().String(),
				"OCTOPOST_LOG_FORMAT":   format,
			}
			code, _, errOut := runEnv(context.Background(), env, "serve")
			require.Equal(t, 1, code, errOut)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			last := lines[len(lines)-1]
			if format == "json" {
				var entry map[string]any
				require.NoError(t, json.Unmarshal([]byte(last), &entry), last)
				require.Equal(t, "ERROR", entry["level"])
				require.Contains(t, entry["error"], "address already in use")
			} else {
				require.Regexp(t, `^time=\S+ level=ERROR msg="octopost stopped" error=".*address already in use.*"$`, last)
			}
			for _, line := range lines {
				require.False(t, strings.HasPrefix(line, "octopost"), "every line is a log entry: %s", line)
			}
		})
	}
}

// cancelOnLine collects a log and calls cancel once a line containing line is written.
type cancelOnLine struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	cancel context.CancelFunc
	line   string
}

func (w *cancelOnLine) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.line)) {
		w.cancel()
	}
	return w.buf.Write(p)
}

func (w *cancelOnLine) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestServeSettingsAreAllDocumented keeps serve's --help and its configuration log whole:
// every OCTOPOST_ setting the command's code names is in serveSettings.
func TestServeSettingsAreAllDocumented(t *testing.T) {
	t.Parallel()
	documented := map[string]bool{}
	for _, s := range serveSettings() {
		documented[s.name] = true
	}
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	named := regexp.MustCompile(`"(OCTOPOST_[A-Z0-9_]+)"`)
	seen := 0
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, m := range named.FindAllStringSubmatch(string(src), -1) {
			seen++
			require.True(t, documented[m[1]], "%s names %s, which serveSettings (config.go) does not list", file, m[1])
		}
	}
	require.Greater(t, seen, 10)
}
