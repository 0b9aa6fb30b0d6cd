package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/pgtest"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

func TestMain(m *testing.M) { pgtest.RunMain(m) }

// engines opens a fresh, migrated database (Octopost's tables and River's) on each engine.
var engines = []struct {
	name string
	open func(t *testing.T) *db.DB
}{
	{"SQLite", func(t *testing.T) *db.DB {
		return openMigrated(t, "sqlite:"+filepath.Join(t.TempDir(), "octopost.db"))
	}},
	{"PostgreSQL", func(t *testing.T) *db.DB { return openMigrated(t, pgtest.New(t)) }},
}

func openMigrated(t *testing.T, url string) *db.DB {
	t.Helper()
	d, err := db.Open(t.Context(), url)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	require.NoError(t, d.Migrate(t.Context()))
	require.NoError(t, Migrate(t.Context(), d))
	return d
}

// forEachEngine runs test on each engine, in parallel.
func forEachEngine(t *testing.T, test func(t *testing.T, d *db.DB)) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			test(t, e.open(t))
		})
	}
}

// testClock is a settable clock; it starts at the real time, which River's own clock
// keeps to.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// realClock is the system clock, for the tests that wait for River to run a job on time.
type realClock struct{}

func (realClock) Now() time.Time { return service.SystemClock{}.Now() }

// fakeAdapter publishes into memory, failing the calls the test scripts, and records
// when each post arrived.
type fakeAdapter struct {
	mu     sync.Mutex
	script []error
	posts  []platform.Post
	at     []time.Time
}

func (f *fakeAdapter) Connect(context.Context, platform.Credentials) (platform.Profile, platform.Credentials, error) {
	return platform.Profile{}, nil, errors.New("fakeAdapter only publishes")
}

func (f *fakeAdapter) Publish(_ context.Context, _ platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			return platform.Ref{}, nil, err
		}
	}
	f.posts = append(f.posts, p)
	f.at = append(f.at, time.Now())
	n := len(f.posts)
	return platform.Ref{ID: fmt.Sprint(n), URL: fmt.Sprintf("https://discord.example/m/%d", n)}, nil, nil
}

func (f *fakeAdapter) published() ([]platform.Post, []time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]platform.Post(nil), f.posts...), append([]time.Time(nil), f.at...)
}

type renderer struct{}

func (renderer) Account(a service.Account) any { return map[string]any{"id": a.ID} }
func (renderer) Post(p service.Post) any       { return map[string]any{"id": p.ID, "status": p.Status} }

type testBundle struct {
	ctx     context.Context
	d       *db.DB
	svc     *service.Service
	queue   *Queue
	discord *fakeAdapter
	scope   service.Scope
}

// setup returns a service and its queue (not started) on d, with a live Discord account.
func setup(t *testing.T, d *db.DB, clock service.Clock, opts Options) *testBundle {
	t.Helper()
	return setupOn(t, d, d, clock, opts)
}

// setupOn is setup with the service on store, d's store or a wrapper of it.
func setupOn(t *testing.T, d *db.DB, store service.Store, clock service.Clock, opts Options) *testBundle {
	t.Helper()
	ctx := t.Context()
	b := &testBundle{ctx: ctx, d: d, discord: &fakeAdapter{}}
	b.svc = service.New(store, clock, nil, service.Config{Platforms: platforms.All,
		Adapters: map[service.Platform]platform.Adapter{"discord": b.discord},
		Render:   renderer{},
	})
	opts.Logger = testLogger()
	q, err := New(d, b.svc, opts)
	require.NoError(t, err)
	b.queue = q
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		require.NoError(t, q.Stop(stopCtx))
	})

	user, err := b.svc.CreateUser(ctx, "owner@example.com", "")
	require.NoError(t, err)
	b.scope = service.Scope{UserID: user.ID, Mode: service.ModeLive}
	require.NoError(t, d.CreateAccount(ctx, service.Account{
		ID: id.New(id.Account), Scope: b.scope, Platform: "discord", PlatformUserID: "1",
		Username: "hook", DisplayName: "Hook", IsActive: true, ConnectedAt: clock.Now(),
	}))
	return b
}

func (b *testBundle) start(t *testing.T) {
	t.Helper()
	require.NoError(t, b.queue.Start(context.WithoutCancel(b.ctx)))
}

func (b *testBundle) createPost(t *testing.T, at *time.Time) service.Post {
	t.Helper()
	p, err := b.svc.CreatePost(b.ctx, b.scope, service.PostInput{
		Content: "Hello from the queue", Platforms: []service.Platform{"discord"}, ScheduledFor: at,
	})
	require.NoError(t, err)
	return p
}

// waitForStatus waits, for at most 10 s, until the post has status.
func (b *testBundle) waitForStatus(t *testing.T, postID string, status service.PostStatus) service.Post {
	t.Helper()
	var p service.Post
	require.Eventually(t, func() bool {
		var err error
		p, err = b.svc.GetPost(b.ctx, b.scope, postID)
		require.NoError(t, err)
		return p.Status == status
	}, 10*time.Second, 10*time.Millisecond, "post %s never became %s", postID, status)
	return p
}

// requireCompleted waits until the post has one job, and River has completed it: River
// records a job's completion shortly after the job returns.
func (b *testBundle) requireCompleted(t *testing.T, postID string) {
	t.Helper()
	require.Eventually(t, func() bool {
		jobs, err := b.queue.jobs(b.ctx, postID)
		require.NoError(t, err)
		return len(jobs) == 1 && jobs[0].State == rivertype.JobStateCompleted
	}, 5*time.Second, 10*time.Millisecond, "the post's one job never completed")
}

// testLogger shows River's warnings and errors, which go test prints when a test fails.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
