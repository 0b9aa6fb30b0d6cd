package dashboard

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/queue"
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

// bench is a server as `octopost serve` mounts it (the dashboard under /dashboard, the
// API beside it) over a real service and a temporary SQLite database, with a fake clock.
type bench struct {
	store *db.DB
	svc   *service.Service
	clock *fakeClock
	dash  *Dashboard
	srv   *httptest.Server
}

type benchOptions struct {
	service   service.Config
	dashboard Options
	tls       bool        // serve over https (httptest's TLS server)
	runJobs   bool        // run the publishing queue, so that published posts go out
	spec      *openapi3.T // the contract the dashboard reads its limits from; nil: openapi.yaml
}

// testPassword is long enough for PasswordMinLength.
const testPassword = "correct horse battery staple"

func newBench(t *testing.T, opts benchOptions) *bench {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "octopost.db"))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	require.NoError(t, d.Migrate(ctx))
	clock := &fakeClock{now: time.Now().UTC().Truncate(time.Microsecond)}
	if opts.service.Secrets == nil {
		key := make([]byte, 32)
		for i := range key {
			key[i] = byte(i + 1)
		}
		box, err := secretbox.New(key)
		require.NoError(t, err)
		opts.service.Secrets = box
	}
	if opts.service.Render == nil {
		opts.service.Render = api.Renderer{}
	}
	if opts.service.Platforms == nil {
		opts.service.Platforms = platforms.All
	}
	if opts.dashboard.Platforms == nil {
		opts.dashboard.Platforms = opts.service.Platforms
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.dashboard.Logger == nil {
		opts.dashboard.Logger = logger
	}
	svc := service.New(d, clock, nil, opts.service)
	require.NoError(t, queue.Migrate(ctx, d))
	jobs, err := queue.New(d, svc, queue.Options{Logger: logger, PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	if opts.runJobs {
		require.NoError(t, jobs.Start(ctx))
		t.Cleanup(func() { require.NoError(t, jobs.Stop(context.Background())) })
	}
	dash, err := New(svc, opts.dashboard)
	if opts.spec != nil {
		dash, err = newWithSpec(svc, opts.dashboard, opts.spec)
	}
	require.NoError(t, err)
	// Mounted as serve mounts it: the dashboard's pages beside the API, in its stack.
	mux, err := api.NewHandler(svc, api.Options{Logger: logger, Pages: dash})
	require.NoError(t, err)
	b := &bench{store: d, svc: svc, clock: clock, dash: dash}
	if opts.tls {
		b.srv = httptest.NewTLSServer(mux)
	} else {
		b.srv = httptest.NewServer(mux)
	}
	t.Cleanup(b.srv.Close)
	return b
}

// browser is a client with its own cookies that does not follow redirects, so tests see
// each 303 and where it goes.
func (b *bench) browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := b.srv.Client()
	return &http.Client{
		Transport: c.Transport, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// user makes a user with testPassword and returns a browser signed in as them. The first
// user is made through the first-run setup, the others as the CLI makes them.
func (b *bench) user(t *testing.T, email string) (service.User, *http.Client) {
	t.Helper()
	ctx := context.Background()
	has, err := b.svc.HasUsers(ctx)
	require.NoError(t, err)
	var u service.User
	if has {
		u, err = b.svc.CreateUser(ctx, email, testPassword)
	} else {
		u, err = b.svc.SetupFirstUser(ctx, email, testPassword)
	}
	require.NoError(t, err)
	_, token, err := b.svc.SignIn(ctx, email, testPassword, "127.0.0.1", "bench")
	require.NoError(t, err)
	c := b.browser(t)
	base, err := url.Parse(b.srv.URL + Prefix)
	require.NoError(t, err)
	c.Jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: token, Path: Prefix}})
	return u, c
}

// setZone makes the browser report zone as its time zone, as app.js does.
func (b *bench) setZone(t *testing.T, c *http.Client, zone string) {
	t.Helper()
	base, err := url.Parse(b.srv.URL + Prefix)
	require.NoError(t, err)
	c.Jar.SetCookies(base, []*http.Cookie{{Name: tzCookie, Value: url.QueryEscape(zone), Path: Prefix}})
}

// get fetches path and returns the response with its body read.
func (b *bench) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(b.srv.URL + path)
	require.NoError(t, err)
	return resp, readBody(t, resp)
}

// post sends a form to path as a browser on the dashboard's own page would.
func (b *bench) post(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+path, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", b.srv.URL)
	resp, err := c.Do(req)
	require.NoError(t, err)
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// requireRedirect checks that resp is a 303 to path (on this server).
func requireRedirect(t *testing.T, resp *http.Response, path string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, path, resp.Header.Get("Location"))
}
