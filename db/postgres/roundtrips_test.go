package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/pgtest"
	"github.com/octopost/octopost/db/postgres"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/secretbox"
)

// A burst of scheduled posts on PostgreSQL is bound by round trips to the database (each
// some 0.6 ms on a busy machine, README Performance): these tests count them, on the
// wire, for the path every scheduled post takes.

// wireCounter counts the round trips of a pool's connections: pgconn writes each request
// (one statement, or a whole batch or pipeline) in one write and then waits for the answer,
// so a write is a round trip.
type wireCounter struct{ writes atomic.Int64 }

type countedConn struct {
	net.Conn
	c *wireCounter
}

func (c countedConn) Write(b []byte) (int, error) {
	c.c.writes.Add(1)
	return c.Conn.Write(b)
}

// countedPool opens a pool on dsn whose round trips c counts. The connection is opened,
// and its first statements prepared, before the test counts anything: a pool of one
// connection, warmed by the caller.
func countedPool(t *testing.T, dsn string, c *wireCounter, tracer pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	require.NoError(t, err)
	cfg.MaxConns = 1
	cfg.ConnConfig.Tracer = tracer
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countedConn{Conn: conn, c: c}, nil
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	require.NoError(t, err)
	t.Cleanup(pool.Close)
	return pool
}

// statementLog records the SQL of every statement, for a failing count to show.
type statementLog struct {
	mu  sync.Mutex
	sql []string
}

func (l *statementLog) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, d.SQL)
	return ctx
}

func (l *statementLog) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (l *statementLog) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, "(batch:)")
	return ctx
}

func (l *statementLog) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sql = append(l.sql, d.SQL)
}

func (l *statementLog) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// recordingQueue is a service.Queue that keeps the jobs it is given.
type recordingQueue struct {
	mu   sync.Mutex
	jobs []service.PublishJob
}

func (q *recordingQueue) Enqueue(_ context.Context, _ service.Store, jobs ...service.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, job := range jobs {
		j, ok := job.(service.PublishJob)
		if !ok {
			continue // only publishing is measured here
		}
		j.ID = fmt.Sprint("job-", len(q.jobs)+1)
		q.jobs = append(q.jobs, j)
	}
	return nil
}

func (q *recordingQueue) CancelPost(context.Context, service.Store, string) error { return nil }

// instantPlatform publishes every post at once.
type instantPlatform struct{ n atomic.Int64 }

func (p *instantPlatform) Connect(context.Context, platform.Credentials) (platform.Profile, platform.Credentials, error) {
	return platform.Profile{}, nil, nil
}

func (p *instantPlatform) Publish(context.Context, platform.Credentials, platform.Post) (platform.Ref, platform.Credentials, error) {
	n := p.n.Add(1)
	return platform.Ref{ID: fmt.Sprint(n), URL: fmt.Sprint("https://discord.example/", n)}, nil, nil
}

type plainRenderer struct{}

func (plainRenderer) Account(a service.Account) any { return map[string]any{"id": a.ID} }
func (plainRenderer) Post(p service.Post) any       { return map[string]any{"id": p.ID, "status": p.Status} }

func TestAScheduledPostCostsFewRoundTrips(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dsn := pgtest.New(t)
	d, err := db.Open(ctx, dsn)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	require.NoError(t, d.Migrate(ctx))

	var wire wireCounter
	log := &statementLog{}
	pool := countedPool(t, dsn, &wire, log)
	store := postgres.New(pool)

	key, err := secretbox.ParseKey(secretbox.GenerateKey())
	require.NoError(t, err)
	box, err := secretbox.New(key)
	require.NoError(t, err)
	queue := &recordingQueue{}
	discord := &instantPlatform{}
	svc := service.New(store, nil, nil, service.Config{Platforms: platforms.All,
		Adapters: map[service.Platform]platform.Adapter{"discord": discord},
		Secrets:  box, Render: plainRenderer{},
	})
	svc.SetQueue(queue, service.DefaultRetry)

	user, err := svc.CreateUser(ctx, "burst@example.com", "")
	require.NoError(t, err)
	scope := service.Scope{UserID: user.ID, Mode: service.ModeLive}
	creds, err := json.Marshal(platform.Credentials{"webhook_url": "https://discord.example/api/webhooks/1/x"})
	require.NoError(t, err)
	now := time.Now()
	require.NoError(t, store.CreateAccount(ctx, service.Account{
		ID: id.New(id.Account), Scope: scope, Platform: "discord", PlatformUserID: "u", Username: "alice",
		IsActive: true, ConnectedAt: now, LastUsedAt: &now, Credentials: box.Seal(creds),
	}))

	// Two posts: the first warms the connection (its statements get prepared), the
	// second is counted.
	publish := func() int64 {
		at := time.Now().Add(time.Hour)
		p, err := svc.CreatePost(ctx, scope, service.PostInput{
			Content: "Hello", Platforms: []service.Platform{"discord"}, ScheduledFor: &at,
		})
		require.NoError(t, err)
		queue.mu.Lock()
		due := queue.jobs[len(queue.jobs)-1]
		queue.mu.Unlock()
		log.mu.Lock()
		log.sql = nil
		log.mu.Unlock()
		before := wire.writes.Load()
		retryIn, err := svc.RunPublishJob(ctx, due)
		require.NoError(t, err)
		require.Zero(t, retryIn)
		n := wire.writes.Load() - before
		got, err := svc.GetPost(ctx, scope, p.ID)
		require.NoError(t, err)
		require.Equal(t, service.PostPublished, got.Status)
		return n
	}
	publish()
	n := publish()
	log.mu.Lock()
	defer log.mu.Unlock()
	// Starting the run: BEGIN with reading the post, the account, claiming the part, and
	// the post's update with the COMMIT. Recording the answer: BEGIN with reading the
	// post, then the part's answer and the event with reading the webhooks the event goes
	// to (its deliveries are made in the same transaction: service/deliveries.go), and the
	// post's update with the COMMIT.
	require.EqualValues(t, 7, n, "round trips from due to published; the statements: %q", log.sql)
}
