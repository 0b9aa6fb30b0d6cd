package service_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/pgtest"
	"github.com/octopost/octopost/service"
)

// TestMain stops the PostgreSQL container the two-instance tests start.
func TestMain(m *testing.M) { pgtest.RunMain(m) }

// limiterSetup is a service on a fresh SQLite database at a fixed time 20 seconds into an
// hour, with one user and one key.
func limiterSetup(t *testing.T, tier service.Tier) (*service.RateLimiter, *clock, service.APIKey) {
	t.Helper()
	c := &clock{now: time.Date(2026, 4, 3, 12, 0, 20, 0, time.UTC)}
	svc := service.New(newTestDB(t), c, nil, service.Config{})
	_, err := svc.CreateUser(t.Context(), "dev@example.com", "")
	require.NoError(t, err)
	k, _, err := svc.CreateAPIKey(t.Context(), "dev@example.com", "k", service.ModeLive, nil)
	require.NoError(t, err)
	l, err := svc.NewRateLimiter(service.RateLimitConfig{DefaultTier: tier})
	require.NoError(t, err)
	return l, c, k
}

func TestRateLimiterMinuteWindow(t *testing.T) {
	t.Parallel()
	l, c, k := limiterSetup(t, service.TierFree)
	reset := time.Date(2026, 4, 3, 12, 1, 0, 0, time.UTC)
	for i := 1; i <= 60; i++ {
		d, err := l.Allow(t.Context(), k, false)
		require.NoError(t, err)
		require.Equal(t, service.RateDecision{Limited: true, Allowed: true, Limit: 60, Remaining: 60 - i, Reset: reset}, d)
	}
	c.now = c.now.Add(39*time.Second + time.Millisecond) // 0.999 s before the reset
	d, err := l.Allow(t.Context(), k, false)
	require.NoError(t, err)
	require.Equal(t, service.RateDecision{Limited: true, Limit: 60, Remaining: 0, Reset: reset, RetryAfter: 1}, d,
		"refused; Retry-After rounds up and is at least 1")

	c.now = reset
	d, err = l.Allow(t.Context(), k, false)
	require.NoError(t, err)
	require.True(t, d.Allowed)
	require.Equal(t, 59, d.Remaining)
}

func TestRateLimiterPublishHour(t *testing.T) {
	t.Parallel()
	l, c, k := limiterSetup(t, service.TierStarter)
	hour := time.Date(2026, 4, 3, 13, 0, 0, 0, time.UTC)
	for i := 1; i <= 60; i++ {
		d, err := l.Allow(t.Context(), k, true)
		require.NoError(t, err)
		require.True(t, d.Allowed, "publish %d", i)
		c.now = c.now.Add(30 * time.Second)
	}
	d, err := l.Allow(t.Context(), k, true)
	require.NoError(t, err)
	require.False(t, d.Allowed)
	require.Equal(t, 60, d.Limit)
	require.Equal(t, hour, d.Reset)
	require.Equal(t, int(hour.Sub(c.now).Seconds()), d.RetryAfter)

	d, err = l.Allow(t.Context(), k, false)
	require.NoError(t, err)
	require.True(t, d.Allowed, "other requests are under the minute's limit only")
	require.Equal(t, 300, d.Limit)
}

func TestRateLimiterUnlimitedCountsNothing(t *testing.T) {
	t.Parallel()
	l, _, k := limiterSetup(t, service.TierUnlimited)
	for range 2000 {
		d, err := l.Allow(t.Context(), k, true)
		require.NoError(t, err)
		require.Equal(t, service.RateDecision{Allowed: true}, d)
	}
}

func TestRateLimitConfig(t *testing.T) {
	t.Parallel()
	svc := service.New(newTestDB(t), nil, nil, service.Config{})
	_, err := svc.NewRateLimiter(service.RateLimitConfig{DefaultTier: "gold"})
	require.Error(t, err)
	_, err = service.ParseTier("gold")
	require.Error(t, err)
	for _, tier := range service.Tiers {
		got, err := service.ParseTier(string(tier))
		require.NoError(t, err)
		require.Equal(t, tier, got)
	}
	_, err = svc.SetUserTier(t.Context(), "nobody@example.com", service.TierPro)
	require.Error(t, err)
}

// TestRateLimiterInstancesShareTheLimit runs two limiters, as two server instances would,
// over one database: on PostgreSQL two connection pools, on SQLite one store (one
// process). Together, with requests racing on both, they admit no more than the limit,
// and at most a reservation less one per instance fewer.
func TestRateLimiterInstancesShareTheLimit(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T) (*db.DB, *db.DB){
		"SQLite": func(t *testing.T) (*db.DB, *db.DB) { d := newTestDB(t); return d, d },
		"Postgres": func(t *testing.T) (*db.DB, *db.DB) {
			url := pgtest.New(t)
			var out [2]*db.DB
			for i := range out {
				d, err := db.Open(t.Context(), url)
				require.NoError(t, err)
				t.Cleanup(func() { d.Close() })
				require.NoError(t, d.Migrate(t.Context()))
				out[i] = d
			}
			return out[0], out[1]
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d1, d2 := open(t)
			fixed := &clock{now: time.Date(2026, 4, 3, 12, 0, 20, 0, time.UTC)} // read only: safe to share
			svc1 := service.New(d1, fixed, nil, service.Config{})
			svc2 := service.New(d2, fixed, nil, service.Config{})
			_, err := svc1.CreateUser(t.Context(), "dev@example.com", "")
			require.NoError(t, err)
			k, _, err := svc1.CreateAPIKey(t.Context(), "dev@example.com", "k", service.ModeLive, nil)
			require.NoError(t, err)

			const limit, sent = 1000, 1300 // pro: reservations of 10
			var admitted atomic.Int64
			var wg sync.WaitGroup
			work := make(chan struct{}, sent)
			for range sent {
				work <- struct{}{}
			}
			close(work)
			for _, svc := range []*service.Service{svc1, svc2} {
				l, err := svc.NewRateLimiter(service.RateLimitConfig{DefaultTier: service.TierPro})
				require.NoError(t, err)
				for range 4 {
					wg.Go(func() {
						for range work {
							d, err := l.Allow(context.Background(), k, false)
							if err != nil {
								t.Error(err)
								return
							}
							if d.Allowed {
								admitted.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			require.LessOrEqual(t, admitted.Load(), int64(limit))
			require.GreaterOrEqual(t, admitted.Load(), int64(limit-2*9))
		})
	}
}
