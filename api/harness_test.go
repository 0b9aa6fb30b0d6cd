package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/api/apitest"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/queue"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/secretbox"
)

// fakeClock is a settable clock, so tests move time instead of sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeResolver answers DNS lookups from a table, so no test query leaves the machine.
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]net.IPAddr, len(addrs))
	for i, a := range addrs {
		out[i] = net.IPAddr{IP: net.ParseIP(a)}
	}
	return out, nil
}

var testResolver = fakeResolver{
	"hooks.example.com":    {"93.184.216.34"},
	"example.com":          {"93.184.216.34"}, // openapi.yaml's webhook example
	"internal.example.com": {"10.0.0.7"},
	"mixed.example.com":    {"93.184.216.34", "127.0.0.1"},
}

type testBundle struct {
	store   *db.DB
	svc     *service.Service
	clock   *fakeClock
	server  *httptest.Server
	email   string
	counter int
}

type setupOptions struct {
	api     api.Options
	service service.Config
	// runJobs starts the publishing queue, so that published posts go out.
	runJobs bool
	retry   service.Retry
}

func setup(t *testing.T) *testBundle { return setupWith(t, setupOptions{}) }

func setupWith(t *testing.T, opts setupOptions) *testBundle {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "octopost.db"))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	require.NoError(t, d.Migrate(ctx))
	clock := &fakeClock{now: time.Now().UTC().Truncate(time.Microsecond)}
	// Tests pass the platform adapters they need in opts.service; every server seals
	// credentials and renders events the way cmd/octopost's does.
	if opts.service.Secrets == nil {
		opts.service.Secrets = newSecretBox(t)
	}
	if opts.service.Render == nil {
		opts.service.Render = api.Renderer{}
	}
	if opts.service.Platforms == nil {
		opts.service.Platforms = platforms.All
	}
	svc := service.New(d, clock, testResolver, opts.service)
	if opts.api.Logger == nil {
		opts.api.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	// Scheduling and publishing enqueue jobs; only tests that publish run them.
	require.NoError(t, queue.Migrate(ctx, d))
	jobs, err := queue.New(d, svc, queue.Options{Logger: opts.api.Logger, PollInterval: 20 * time.Millisecond, Retry: opts.retry})
	require.NoError(t, err)
	if opts.runJobs {
		require.NoError(t, jobs.Start(ctx))
		t.Cleanup(func() { require.NoError(t, jobs.Stop(context.Background())) })
	}
	h, err := api.NewHandler(svc, opts.api)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := &testBundle{store: d, svc: svc, clock: clock, server: srv, email: "dev@example.com"}
	_, err = svc.CreateUser(ctx, b.email, "")
	require.NoError(t, err)
	return b
}

// key issues a key for the bundle's user.
func (b *testBundle) key(t *testing.T, mode service.Mode, perms ...service.Permission) string {
	t.Helper()
	b.counter++
	_, secret, err := b.svc.CreateAPIKey(context.Background(), b.email, "test key", mode, perms)
	require.NoError(t, err)
	return secret
}

// otherUserKey issues a key for a second user.
func (b *testBundle) otherUserKey(t *testing.T, mode service.Mode) string {
	t.Helper()
	ctx := context.Background()
	email := "other@example.com"
	if _, err := b.svc.CreateUser(ctx, email, ""); err != nil {
		require.ErrorContains(t, err, "already exists")
	}
	_, secret, err := b.svc.CreateAPIKey(ctx, email, "other", mode, nil)
	require.NoError(t, err)
	return secret
}

// client returns the generated client, authenticated with key, whose every response is
// validated against openapi.yaml.
func (b *testBundle) client(t *testing.T, key string) *oapi.ClientWithResponses {
	t.Helper()
	c, err := oapi.NewClientWithResponses(b.server.URL,
		oapi.WithHTTPClient(&http.Client{Transport: &apitest.ContractTransport{T: t}}),
		oapi.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			return nil
		}))
	require.NoError(t, err)
	return c
}

// response is a raw response, for the cases a typed client cannot send.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends a raw request; headers are "Name: value" strings. The response is validated
// against the contract like every other.
func (b *testBundle) do(t *testing.T, method, path, key, body string, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.server.URL+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Set(name, value)
	}
	c := &http.Client{Transport: &apitest.ContractTransport{T: t}}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out.body), "body: %s", raw)
	}
	return out
}

// requireError checks an error response's status, code and message exactly.
func requireError(t *testing.T, r response, status int, code, message string) {
	t.Helper()
	require.Equal(t, status, r.status, "body: %s", r.raw)
	require.Equal(t, code, r.body["code"], "body: %s", r.raw)
	require.Equal(t, message, r.body["error"], "body: %s", r.raw)
}

// requireFields checks a 422 names exactly these fields, in order.
func requireFields(t *testing.T, r response, fields ...string) {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.raw)
	require.Equal(t, "validation_error", r.body["code"], "body: %s", r.raw)
	details, _ := r.body["details"].(map[string]any)
	list, _ := details["errors"].([]any)
	var got []string
	for _, e := range list {
		got = append(got, e.(map[string]any)["field"].(string))
		require.NotEmpty(t, e.(map[string]any)["message"])
	}
	require.Equal(t, fields, got, "body: %s", r.raw)
}

func ptr[T any](v T) *T { return &v }

func newSecretBox(t *testing.T) *secretbox.Box {
	t.Helper()
	key, err := secretbox.ParseKey(secretbox.GenerateKey())
	require.NoError(t, err)
	box, err := secretbox.New(key)
	require.NoError(t, err)
	return box
}
