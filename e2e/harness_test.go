package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api/apitest"
	"github.com/octopost/octopost/db/pgtest"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/apikey"
	"github.com/octopost/octopost/service/secretbox"
)

const (
	// readyTimeout bounds how long a server may take to answer its first request.
	readyTimeout = 20 * time.Second
	// stopTimeout bounds a graceful shutdown (the server's own grace is 15 s).
	stopTimeout = 20 * time.Second
	// cliTimeout bounds one CLI command.
	cliTimeout = 30 * time.Second
)

// secretPatterns match what must never reach a log: API keys and webhook secrets.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`oct_(live|test)_[0-9A-Za-z]{20,}`),
	regexp.MustCompile(`whsec_[A-Za-z0-9+/]{20,}`),
}

// env is the Octopost configuration of a child process (OCTOPOST_* variables).
type env map[string]string

// pgEnv returns the configuration for a brand-new PostgreSQL database, dropped when t ends.
func pgEnv(t *testing.T) env {
	t.Helper()
	// Instances sharing a PostgreSQL database share its credentials key.
	return env{"OCTOPOST_DATABASE_URL": pgtest.New(t), "OCTOPOST_SECRET_KEY": secretbox.GenerateKey()}
}

// environ is the test process's environment without any OCTOPOST_* setting of the
// developer's, plus e: a child sees exactly the configuration the test gives it.
func environ(e env) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCTOPOST_") {
			out = append(out, kv)
		}
	}
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

// syncBuffer collects a child's output from the goroutines exec starts to copy it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one `octopost serve` child process.
type server struct {
	url       string // http://127.0.0.1:PORT
	cmd       *exec.Cmd
	logs      *syncBuffer // stdout and stderr, interleaved
	exited    chan struct{}
	transport *http.Transport // this server's connections, closed when it stops
	stopOnce  sync.Once
	stopLogs  string
	killed    bool // by kill: stop then expects the process gone, not a graceful exit
}

// startServer runs `octopost serve` with the configuration e in a fresh working directory
// and waits until it answers HTTP. The server is stopped with SIGTERM when t ends, and
// must then exit 0 without a secret in its logs.
func startServer(t *testing.T, e env) *server {
	t.Helper()
	return startServerIn(t, t.TempDir(), e)
}

// startServerIn is startServer in the working directory dir.
func startServerIn(t *testing.T, dir string, e env) *server {
	t.Helper()
	return startServers(t, dir, 1, e)[0]
}

// startServers starts n servers on one configuration at the same moment (all processes
// are started before any is waited for), then waits until each answers.
func startServers(t *testing.T, dir string, n int, e env) []*server {
	t.Helper()
	servers := make([]*server, n)
	for i := range servers {
		servers[i] = launch(t, dir, e)
	}
	for _, s := range servers {
		if err := s.waitReady(t); err != nil {
			t.Fatalf("server did not come up: %v\nlogs:\n%s", err, s.logs.String())
		}
	}
	return servers
}

// launch starts one server process and registers its stop with t.
func launch(t *testing.T, dir string, e env) *server {
	t.Helper()
	cfg := env{}
	for k, v := range e {
		cfg[k] = v
	}
	if _, ok := cfg["OCTOPOST_ADDR"]; !ok {
		// Port 0: the kernel picks a free port as the server binds, and the server logs
		// the address it got, so no two servers can race for a port.
		cfg["OCTOPOST_ADDR"] = "127.0.0.1:0"
	}
	if _, ok := cfg["OCTOPOST_DEFAULT_TIER"]; !ok {
		// The suites poll and walk through many requests a minute with one key; only the
		// rate-limit tests (ratelimit_test.go) run under a tier's limits.
		cfg["OCTOPOST_DEFAULT_TIER"] = "unlimited"
	}
	if _, ok := cfg["OCTOPOST_SHUTDOWN_DELAY"]; !ok {
		// No load balancer watches these servers' readiness: they drain at once when
		// stopped. The shutdown test keeps the production delay.
		cfg["OCTOPOST_SHUTDOWN_DELAY"] = "0"
	}
	s := &server{
		logs:      &syncBuffer{},
		exited:    make(chan struct{}),
		transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4},
	}
	s.cmd = exec.Command(binary, "serve")
	s.cmd.Dir = dir
	s.cmd.Env = environ(cfg)
	s.cmd.Stdout = s.logs
	s.cmd.Stderr = s.logs
	s.cmd.SysProcAttr = childAttr()
	require.NoError(t, s.cmd.Start(), "start octopost serve")
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// listeningAddr finds the address in the server's "octopost listening" log line (JSON, the
// default, or text format).
var listeningAddr = regexp.MustCompile(`octopost listening"?.*?\baddr"?[:=]"?([0-9.]+:[0-9]+)`)

// waitReady waits until the server has bound its address and answers GET /v1/posts with
// 401 (no key), through the contract check like every other request.
func (s *server) waitReady(t *testing.T) error {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	probe := &http.Client{Transport: &apitest.ContractTransport{T: t, Base: s.transport}, Timeout: 2 * time.Second}
	var lastErr error
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("octopost serve exited early (%v)", s.cmd.ProcessState)
		default:
		}
		if s.url == "" {
			if m := listeningAddr.FindStringSubmatch(s.logs.String()); m != nil {
				s.url = "http://" + m[1]
			}
		}
		if s.url != "" {
			resp, err := probe.Get(s.url + "/v1/posts")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusUnauthorized {
					return nil
				}
				return fmt.Errorf("GET /v1/posts without a key answered %d, want 401", resp.StatusCode)
			}
			lastErr = err
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.url == "" {
		return fmt.Errorf("no \"octopost listening\" log line within %s", readyTimeout)
	}
	return fmt.Errorf("no answer from %s within %s: %v", s.url, readyTimeout, lastErr)
}

// stop sends SIGTERM, waits for the process, and checks it shut down gracefully (exit 0)
// without writing a secret to its logs. It returns the logs; calling it again only
// returns them.
func (s *server) stop(t *testing.T) string {
	t.Helper()
	s.stopOnce.Do(func() {
		defer s.transport.CloseIdleConnections()
		alreadyExited := false
		select {
		case <-s.exited:
			alreadyExited = true
		default:
			if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("SIGTERM octopost serve: %v", err)
			}
		}
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
			t.Errorf("octopost serve did not stop within %s of SIGTERM; killed\nlogs:\n%s", stopTimeout, s.logs.String())
		}
		s.stopLogs = s.logs.String()
		switch {
		case s.killed:
			// Killed on purpose (kill): there was no graceful shutdown to check.
		case alreadyExited && t.Failed():
			// The failure is reported already (a server that would not start).
		case alreadyExited:
			t.Errorf("octopost serve exited (%v) before the test ended\nlogs:\n%s", s.cmd.ProcessState, s.stopLogs)
		case s.cmd.ProcessState.ExitCode() != 0:
			t.Errorf("octopost serve exited with %v after SIGTERM, want 0 (graceful shutdown)\nlogs:\n%s", s.cmd.ProcessState, s.stopLogs)
		}
		requireNoSecrets(t, "octopost serve logs", s.stopLogs)
	})
	return s.stopLogs
}

// kill ends the server with SIGKILL, as a crash or an OOM kill would: no graceful
// shutdown, no job finished or released. It returns once the process is gone. Its logs
// are still checked for secrets when the test ends.
func (s *server) kill(t *testing.T) {
	t.Helper()
	s.killed = true
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatalf("SIGKILL octopost serve: %v", err)
	}
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		t.Fatalf("octopost serve did not exit within %s of SIGKILL", stopTimeout)
	}
	s.transport.CloseIdleConnections()
}

// requireNoSecrets fails t when text holds something shaped like an API key or a webhook
// secret. The match itself is not printed, only where it is.
func requireNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	for _, re := range secretPatterns {
		for _, loc := range re.FindAllStringIndex(text, -1) {
			lineStart := strings.LastIndexByte(text[:loc[0]], '\n') + 1
			t.Errorf("%s contain a secret (pattern %s) at byte %d, on the line starting %q",
				what, re, loc[0], truncate(text[lineStart:loc[0]], 200))
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// cli runs an operator command against the database of e, in a fresh working directory,
// and returns its stdout. A non-zero exit fails the test with the command's stderr.
func cli(t *testing.T, e env, args ...string) string {
	t.Helper()
	return cliIn(t, t.TempDir(), e, args...)
}

// cliIn is cli in the working directory dir.
func cliIn(t *testing.T, dir string, e env, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = environ(e)
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Run(); err != nil {
		t.Fatalf("octopost %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// apiKey is a key as `octopost keys create --json` prints it.
type apiKey struct {
	ID          string   `json:"id"`
	Key         string   `json:"key"`
	Name        string   `json:"name"`
	Mode        string   `json:"mode"`
	Permissions []string `json:"permissions"`
}

// createUser adds a user through the CLI.
func createUser(t *testing.T, dir string, e env, email string) {
	t.Helper()
	out := cliIn(t, dir, e, "users", "create", "--email", email)
	require.Regexp(t, `^usr_[0-9A-Z]{26}\n$`, out)
}

// createKey issues a key through the CLI (--json) and returns it.
func createKey(t *testing.T, dir string, e env, email, mode string, permissions ...string) apiKey {
	t.Helper()
	args := []string{"keys", "create", "--user", email, "--name", mode + " key", "--mode", mode, "--json"}
	if len(permissions) > 0 {
		args = append(args, "--permissions", strings.Join(permissions, ","))
	}
	out := cliIn(t, dir, e, args...)
	var k apiKey
	require.NoError(t, json.Unmarshal([]byte(out), &k), "keys create --json printed %q", out)
	require.Regexp(t, `^key_[0-9A-Z]{26}$`, k.ID)
	require.True(t, strings.HasPrefix(k.Key, "oct_"+mode+"_"), "a %s key", mode)
	require.Equal(t, mode, k.Mode)
	return k
}

// revokeKey revokes a key through the CLI, as a separate process.
func revokeKey(t *testing.T, e env, keyID string) {
	t.Helper()
	require.Contains(t, cli(t, e, "keys", "revoke", keyID), "revoked "+keyID)
}

// client returns the generated client for srv, authenticated with key (none when empty),
// whose every response is validated against openapi.yaml.
func client(t *testing.T, srv *server, key string) *oapi.ClientWithResponses {
	t.Helper()
	c, err := oapi.NewClientWithResponses(srv.url,
		oapi.WithHTTPClient(contractClient(t, srv)),
		oapi.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			return nil
		}))
	require.NoError(t, err)
	return c
}

func contractClient(t *testing.T, srv *server) *http.Client {
	return &http.Client{
		Transport: &apitest.ContractTransport{T: t, Base: srv.transport},
		Timeout:   15 * time.Second,
	}
}

// response is a raw response, for what the typed client cannot send or check.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a raw request through the contract check. body is sent as application/json
// unless a Content-Type header is given; headers are "Name: value" strings.
func do(t *testing.T, srv *server, method, path, key string, body io.Reader, headers ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.url+path, body)
	require.NoError(t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	resp, err := contractClient(t, srv).Do(req)
	require.NoError(t, err, "%s %s", method, path)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out.body), "%s %s: body is not JSON: %s", method, path, raw)
	}
	return out
}

// get sends a raw GET.
func get(t *testing.T, srv *server, path, key string, headers ...string) response {
	t.Helper()
	return do(t, srv, http.MethodGet, path, key, nil, headers...)
}

// send sends a raw request with a JSON body given as a string.
func send(t *testing.T, srv *server, method, path, key, body string, headers ...string) response {
	t.Helper()
	return do(t, srv, method, path, key, strings.NewReader(body), headers...)
}

const (
	unauthorizedBody = `{"error": "Invalid or expired API key", "code": "unauthorized"}`
	forbiddenBody    = `{"error": "API key does not have permission for this action", "code": "forbidden"}`
)

// requireUnauthorized checks the contract's 401, word for word.
func requireUnauthorized(t *testing.T, r response) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.status, "body: %s", r.raw)
	require.JSONEq(t, unauthorizedBody, string(r.raw))
	require.Equal(t, `Bearer realm="octopost"`, r.header.Get("WWW-Authenticate"))
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.NotEmpty(t, r.header.Get("X-Request-Id"))
}

// requireForbidden checks the contract's 403 for a missing permission, word for word.
func requireForbidden(t *testing.T, r response) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, r.status, "body: %s", r.raw)
	require.JSONEq(t, forbiddenBody, string(r.raw))
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
}

// requireError checks an error response's status, code and message.
func requireError(t *testing.T, r response, status int, code, message string) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.raw)
	require.Equal(t, code, r.body["code"], "body: %s", r.raw)
	require.Equal(t, message, r.body["error"], "body: %s", r.raw)
	require.NotEmpty(t, r.header.Get("X-Request-Id"))
}

// requireStatus checks a generated client's response status, showing the body on failure.
func requireStatus(t *testing.T, want int, resp interface {
	StatusCode() int
	GetBody() []byte
}, err error) {
	t.Helper()
	require.NoError(t, err)
	require.Equal(t, want, resp.StatusCode(), "body: %s", resp.GetBody())
}

func ptr[T any](v T) *T { return &v }

// TestSecretPatterns keeps the log scan honest: it must catch real keys and webhook
// secrets, and not the masked forms the API and CLI show.
func TestSecretPatterns(t *testing.T) {
	t.Parallel()
	matches := func(s string) bool {
		for _, re := range secretPatterns {
			if re.MatchString(s) {
				return true
			}
		}
		return false
	}
	for _, mode := range []apikey.Mode{apikey.Live, apikey.Test} {
		k, err := apikey.Generate(mode)
		require.NoError(t, err)
		require.True(t, matches(`{"msg":"x","key":"`+k.Secret+`"}`), "a %s key", mode)
		require.False(t, matches(apikey.Hint(k.Secret)), "a key's hint")
	}
	require.True(t, matches(`secret=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw+/7q3Jm5x0A=`))
	require.False(t, matches(`"secret":"whsec_****x0A="`), "a masked secret")
}
