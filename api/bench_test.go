package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/pgtest"
	"github.com/octopost/octopost/metrics"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/apikey"
	"github.com/octopost/octopost/service/platform/platforms"
)

// TestMain stops the PostgreSQL container the benchmarks may have started.
func TestMain(m *testing.M) { pgtest.RunMain(m) }

// bareGetPost is the baseline for BenchmarkGetPost: the same two database reads as the full
// stack (key by hash, post by id and scope) and the same JSON out, with nothing else — no
// request id, access log, routing by spec, validation or generated server.
func bareGetPost(store service.Store) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/posts/{id}", func(w http.ResponseWriter, r *http.Request) {
		secret := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		k, err := store.GetAPIKeyByHash(r.Context(), apikey.Hash(secret))
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		p, err := store.GetPost(r.Context(), service.Scope{UserID: k.UserID, Mode: k.Mode}, r.PathValue("id"))
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(p)
	})
	return mux
}

// benchLimitEvery is how many requests the benchmark makes in each minute of its clock:
// half the pro tier's limit.
const benchLimitEvery = 500

// benchClock is the benchmark's clock, moved on by the loop (one goroutine).
type benchClock struct{ now time.Time }

func (c *benchClock) Now() time.Time          { return c.now }
func (c *benchClock) advance(d time.Duration) { c.now = c.now.Add(d) }

// BenchmarkGetPost measures GET /v1/posts/{id} through the full middleware stack and
// through the bare baseline, side by side on each engine. The target: stack throughput at
// least 70% of bare, i.e. stack-%-of-bare ≥ 70 (bare time / stack time per request).
//
// The stack counts every request against the rate limit, as serve's does (on PostgreSQL
// one upsert of the shared window per request, on SQLite a count in the process), under
// the pro tier; the clock moves on a minute every benchLimitEvery requests, so that the
// limit is never reached and the windows are mostly updated, as in steady use. The
// "-metrics" runs observe the stack as serve does with OCTOPOST_METRICS_ADDR set: every
// request counted and timed by operation, every key check counted (package metrics).
func BenchmarkGetPost(b *testing.B) {
	engines := map[string]func(b *testing.B) string{
		"sqlite":   func(b *testing.B) string { return "sqlite:" + filepath.Join(b.TempDir(), "bench.db") },
		"postgres": func(b *testing.B) string { return pgtest.New(b) },
	}
	for _, run := range []struct {
		engine  string
		metrics bool
	}{{"sqlite", false}, {"sqlite", true}, {"postgres", false}, {"postgres", true}} {
		engine, name := run.engine, run.engine
		if run.metrics {
			name += "-metrics"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			d, err := db.Open(ctx, engines[engine](b))
			require.NoError(b, err)
			b.Cleanup(func() { d.Close() })
			require.NoError(b, d.Migrate(ctx))
			clock := &benchClock{now: time.Now().UTC().Truncate(time.Microsecond)}
			config, options := service.Config{Platforms: platforms.All}, api.Options{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
			if run.metrics {
				ops, err := api.OperationIDs()
				require.NoError(b, err)
				m := metrics.New(metrics.Config{Operations: ops, Platforms: []service.Platform{"bluesky", "mastodon"}})
				config.Observer, options.Observer = m, m
			}
			svc := service.New(d, clock, nil, config)
			_, err = svc.CreateUser(ctx, "bench@example.com", "")
			require.NoError(b, err)
			_, key, err := svc.CreateAPIKey(ctx, "bench@example.com", "bench", service.ModeLive, nil)
			require.NoError(b, err)
			k, err := svc.Authenticate(ctx, key)
			require.NoError(b, err)
			post, err := svc.CreatePost(ctx, service.Scope{UserID: k.UserID, Mode: k.Mode}, service.PostInput{
				Content: "benchmark", Platforms: []service.Platform{"bluesky", "mastodon"},
			})
			require.NoError(b, err)
			limiter, err := svc.NewRateLimiter(service.RateLimitConfig{DefaultTier: service.TierPro})
			require.NoError(b, err)
			options.RateLimiter = limiter
			stack, err := api.NewHandler(svc, options)
			require.NoError(b, err)

			// The two handlers run alternately in one loop, so that whatever else the
			// machine is doing slows both alike; the ratio is the figure to read.
			bare := bareGetPost(d)
			var bareTime, stackTime time.Duration
			call := func(h http.Handler, limited bool) time.Duration {
				req := httptest.NewRequest(http.MethodGet, "/v1/posts/"+post.ID, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				rec := httptest.NewRecorder()
				start := time.Now()
				h.ServeHTTP(rec, req)
				elapsed := time.Since(start)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				if limited && rec.Header().Get("X-RateLimit-Limit") != "1000" {
					b.Fatalf("no rate-limit headers: %v", rec.Header())
				}
				return elapsed
			}
			calls := 0
			for b.Loop() {
				bareTime += call(bare, false)
				stackTime += call(stack, true)
				if calls++; calls%benchLimitEvery == 0 {
					clock.advance(time.Minute)
				}
			}
			n := float64(b.N)
			b.ReportMetric(float64(bareTime.Nanoseconds())/n, "bare-ns/op")
			b.ReportMetric(float64(stackTime.Nanoseconds())/n, "stack-ns/op")
			b.ReportMetric(100*float64(bareTime)/float64(stackTime), "stack-%-of-bare")
		})
	}
}
