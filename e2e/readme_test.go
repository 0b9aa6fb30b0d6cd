package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// readmeWalkthrough returns the shell block of the README's curl walk-through.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "## Walk-through with curl")
	require.True(t, ok, "README has no walk-through section")
	_, block, ok := strings.Cut(section, "```sh\n")
	require.True(t, ok)
	block, _, ok = strings.Cut(block, "```")
	require.True(t, ok)
	return block
}

// TestREADMEWalkthrough runs the README's curl walk-through as written, with two changes
// only: the binary is the one this run built (the walk-through builds it from the working
// tree), and the port is a free one rather than 8080.
func TestREADMEWalkthrough(t *testing.T) {
	t.Parallel()
	script := readmeWalkthrough(t)
	const build = "go build -o octopost ./cmd/octopost\n"
	require.Contains(t, script, build)
	script = strings.Replace(script, build, "cp \"$OCTOPOST_BINARY\" octopost\n", 1)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	script = strings.ReplaceAll(script, "localhost:8080", addr)

	dir := t.TempDir()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(environ(env{"OCTOPOST_ADDR": addr}), "OCTOPOST_BINARY="+binary)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	done := make(chan struct{})
	var out []byte
	go func() {
		out, err = cmd.CombinedOutput()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("walk-through did not finish in 60 s")
	}
	text := string(out)
	require.NoError(t, err, "output:\n%s", text)

	require.Regexp(t, `(?m)^usr_[0-9A-Z]{26}$`, text)
	require.Regexp(t, `(?m)^oct_test_[0-9A-Za-z]{49}$`, text)
	require.Contains(t, text, `"id":"preset_sys_all_platforms"`)
	require.Contains(t, text, `"content":"Hello from Octopost!"`)
	require.Contains(t, text, `"status":"scheduled"`)
	require.Contains(t, text, `"status":"draft"`)
	require.Contains(t, text, `"status":"published"`)
	require.Regexp(t, `"platform_results":\{"bluesky":\{"post_id":"at://[^"]+","post_url":"https://bsky\.app/profile/[^"]+","success":true\},"mastodon":\{"post_id":"[0-9]+","post_url":"https://[^"]+","success":true\}\}`, text)
	require.Contains(t, text, "HTTP/1.1 401 Unauthorized")
	require.Regexp(t, `(?i)WWW-Authenticate: Bearer realm="octopost"`, text)
	require.Contains(t, text, `{"code":"unauthorized","error":"Invalid or expired API key"}`)
	require.Contains(t, text, "HTTP/1.1 403 Forbidden")
	require.Contains(t, text, `{"code":"forbidden","error":"API key does not have permission for this action"}`)
	require.Contains(t, text, `"code":"validation_error"`)
	for _, field := range []string{`"field":"/content"`, `"field":"/platforms/0"`, `"field":"/colour"`} {
		require.Contains(t, text, field)
	}
	_, err = os.Stat(filepath.Join(dir, "octopost.db"))
	require.NoError(t, err, "the default SQLite database is in the working directory")
	logs, err := os.ReadFile(filepath.Join(dir, "octopost.log"))
	require.NoError(t, err)
	require.Contains(t, string(logs), `"msg":"stopped"`, "kill %1 shut the server down gracefully")
	requireNoSecrets(t, "server log", string(logs))
}
