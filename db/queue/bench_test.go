package queue

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/db/pgtest"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/mastodon"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/secretbox"
)

// Burst parameters: how many posts come due in the same second, and how long the
// platform takes to answer each.
const (
	burstPosts   = 1000
	burstLatency = 50 * time.Millisecond
)

// BenchmarkScheduledBurst schedules burstPosts posts for the same second T on a live
// Mastodon account (the fake instance over HTTP, answering every call in burstLatency),
// with the queue running as `octopost serve` runs it (default Options), and measures:
//
//   - burst-s: from T until the last post is published (its published_at); target ≤ 2 s
//     (100 workers at 50 ms a call could do it in 0.5 s: the rest is the database);
//   - delay-p50-ms, delay-p99-ms, delay-max-ms: each post's scheduling delay, from its
//     scheduled_for to the start of its call to the platform; target p99 < 1 s;
//   - published-p99-ms: the same, to its published_at.
//
// The burst is the unit: run it once with -benchtime 1x (scripts/bench.sh). Timings are
// reported, never asserted; what is checked is that every post went out exactly once.
func BenchmarkScheduledBurst(b *testing.B) {
	engines := []struct {
		name string
		url  func(b *testing.B) string
	}{
		{"sqlite", func(b *testing.B) string { return "sqlite:" + filepath.Join(b.TempDir(), "octopost.db") }},
		{"postgres", func(b *testing.B) string { return pgtest.New(b) }},
	}
	// burst: every post due in the same second. steady: posts due one after another, as
	// a server usually sees them, where the delay is the scheduler's own latency.
	scenarios := []struct {
		name   string
		posts  int
		spread time.Duration // between one post's time and the next's
	}{{"burst", burstPosts, 0}, {"steady", 200, 50 * time.Millisecond}}
	for _, e := range engines {
		for _, sc := range scenarios {
			b.Run(e.name+"/"+sc.name, func(b *testing.B) {
				ctx := context.Background()
				d, err := db.Open(ctx, e.url(b))
				require.NoError(b, err)
				b.Cleanup(func() { require.NoError(b, d.Close()) })
				require.NoError(b, d.Migrate(ctx))
				require.NoError(b, Migrate(ctx, d))

				instance := fake.NewMastodon(b)
				instance.SetDelay(burstLatency)
				adapter := &timedAdapter{Adapter: mastodon.New(netpolicy.Client(true, 30*time.Second))}
				svc := service.New(d, nil, nil, service.Config{Platforms: platforms.All,
					Adapters:                  map[service.Platform]platform.Adapter{"mastodon": adapter},
					Secrets:                   benchSecrets(b),
					Render:                    renderer{},
					AllowInsecurePlatformURLs: true,
				})
				q, err := New(d, svc, Options{Logger: testLogger()})
				require.NoError(b, err)
				// The server is up before the posts are scheduled, as in production.
				require.NoError(b, q.Start(ctx))
				b.Cleanup(func() {
					stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					require.NoError(b, q.Stop(stopCtx))
				})

				var burst, sinceT time.Duration
				var toCall, toPublished []time.Duration
				round := 0
				for b.Loop() {
					round++
					r := newBurstRound(b, ctx, svc, instance, adapter, round, sc.posts, sc.spread)
					time.Sleep(time.Until(r.at))
					r.waitForCalls(b)
					sinceT += time.Since(r.at)
					bt, calls, published := r.collect(b, ctx, instance)
					burst += bt
					toCall = append(toCall, calls...)
					toPublished = append(toPublished, published...)
				}
				// Each round's setup (creating the posts, waiting for T) is not the burst:
				// ns/op is only the time from T until the platform had answered every post.
				n := float64(b.N)
				b.ReportMetric(float64(sinceT.Nanoseconds())/n, "ns/op")
				b.ReportMetric(burst.Seconds()/n, "burst-s")
				slices.Sort(toCall)
				slices.Sort(toPublished)
				b.ReportMetric(ms(percentile(toCall, 50)), "delay-p50-ms")
				b.ReportMetric(ms(percentile(toCall, 99)), "delay-p99-ms")
				b.ReportMetric(ms(toCall[len(toCall)-1]), "delay-max-ms")
				b.ReportMetric(ms(percentile(toPublished, 99)), "published-p99-ms")
			})
		}
	}
}

// burstRound is one burst: burstPosts posts of one user, all scheduled for at.
type burstRound struct {
	svc     *service.Service
	adapter *timedAdapter
	scope   service.Scope
	at      time.Time            // when the first post is due
	due     map[string]time.Time // post ID → its scheduled_for
	ids     []string
}

// newBurstRound connects a fresh user's live account to instance and schedules the posts
// for the first whole second that leaves time to create them all.
func newBurstRound(b *testing.B, ctx context.Context, svc *service.Service, instance *fake.Mastodon, adapter *timedAdapter, round, n int, spread time.Duration) *burstRound {
	b.Helper()
	user, err := svc.CreateUser(ctx, fmt.Sprintf("burst%d@example.com", round), "")
	require.NoError(b, err)
	r := &burstRound{svc: svc, adapter: adapter, scope: service.Scope{UserID: user.ID, Mode: service.ModeLive}}
	_, err = svc.ConnectAccount(ctx, r.scope, service.AccountInput{Platform: "mastodon", Credentials: platform.Credentials{
		"instance_url": instance.URL, "access_token": instance.Token,
	}})
	require.NoError(b, err)

	// Creating a post takes a few milliseconds (more on SQLite while the queue polls):
	// time a few, scheduled out of the way an hour later, to choose T.
	start := time.Now()
	later := start.Add(time.Hour)
	const probe = 20
	for range probe {
		r.create(b, ctx, later)
	}
	perPost := time.Since(start) / probe
	r.at = time.Now().Add(2*time.Second + 2*perPost*time.Duration(n)).Truncate(time.Second).Add(time.Second)

	adapter.reset(n)
	r.ids = make([]string, n)
	r.due = make(map[string]time.Time, n)
	for i := range r.ids {
		due := r.at.Add(time.Duration(i) * spread)
		r.ids[i] = r.create(b, ctx, due)
		r.due[r.ids[i]] = due
	}
	require.True(b, time.Now().Before(r.at), "creating the posts ran past their time %s: the benchmark needs more lead", r.at)
	return r
}

func (r *burstRound) create(b *testing.B, ctx context.Context, at time.Time) string {
	p, err := r.svc.CreatePost(ctx, r.scope, service.PostInput{
		Content: "Hello from the burst", Platforms: []service.Platform{"mastodon"}, ScheduledFor: &at,
	})
	require.NoError(b, err)
	require.Equal(b, service.PostScheduled, p.Status)
	return p.ID
}

// waitForCalls waits until the platform has answered every post of the round.
func (r *burstRound) waitForCalls(b *testing.B) {
	b.Helper()
	select {
	case <-r.adapter.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("the platform answered %d of %d posts in 5 minutes", r.adapter.answered(), len(r.ids))
	}
}

// collect waits until every post of the round is published, checks each went out exactly
// once, and returns the time from T to the last published_at, and each post's delays to
// its call to the platform and to its published_at.
func (r *burstRound) collect(b *testing.B, ctx context.Context, instance *fake.Mastodon) (burst time.Duration, toCall, toPublished []time.Duration) {
	b.Helper()
	pending := slices.Clone(r.ids)
	deadline := time.Now().Add(time.Minute)
	var last time.Time
	for len(pending) > 0 {
		require.True(b, time.Now().Before(deadline), "%d posts still not published a minute after their last call", len(pending))
		var still []string
		for _, postID := range pending {
			p, err := r.svc.GetPost(ctx, r.scope, postID)
			require.NoError(b, err)
			switch p.Status {
			case service.PostPublished:
				require.True(b, p.PlatformResults["mastodon"].Success)
				require.True(b, p.ScheduledFor.Equal(r.due[postID]))
				if p.PublishedAt.After(last) {
					last = *p.PublishedAt
				}
				toPublished = append(toPublished, p.PublishedAt.Sub(r.due[postID]))
			case service.PostPublishing, service.PostScheduled:
				still = append(still, postID)
			default:
				b.Fatalf("post %s is %s: %+v", postID, p.Status, p.PlatformResults)
			}
		}
		pending = still
		if len(pending) > 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}

	// Exactly once: one call per post, and one status per post on the instance.
	calls := r.adapter.firstCalls()
	require.Len(b, calls, len(r.ids))
	require.Equal(b, len(r.ids), r.adapter.answered(), "calls to the platform")
	statuses := map[string]int{}
	for _, s := range instance.Statuses() {
		postID, _, _ := strings.Cut(s.IdempotencyKey, ":")
		statuses[postID]++
	}
	for _, postID := range r.ids {
		require.Equal(b, 1, statuses[postID], "statuses of post %s", postID)
		at, ok := calls[postID]
		require.True(b, ok, "post %s was never sent", postID)
		toCall = append(toCall, at.Sub(r.due[postID]))
	}
	return last.Sub(r.at), toCall, toPublished
}

// timedAdapter is the Mastodon adapter, recording when each post's first call to the
// platform started and closing done once want calls have returned.
type timedAdapter struct {
	*mastodon.Adapter

	mu    sync.Mutex
	first map[string]time.Time // post ID → start of its first call
	calls int
	want  int
	done  chan struct{}
}

func (a *timedAdapter) reset(want int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.first, a.calls, a.want, a.done = map[string]time.Time{}, 0, want, make(chan struct{})
}

func (a *timedAdapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	postID, _, _ := strings.Cut(p.IdempotencyKey, ":")
	a.mu.Lock()
	if _, ok := a.first[postID]; !ok {
		a.first[postID] = time.Now()
	}
	a.mu.Unlock()
	ref, refreshed, err := a.Adapter.Publish(ctx, creds, p)
	a.mu.Lock()
	a.calls++
	if a.calls == a.want {
		close(a.done)
	}
	a.mu.Unlock()
	return ref, refreshed, err
}

func (a *timedAdapter) firstCalls() map[string]time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.first)
}

func (a *timedAdapter) answered() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls
}

func benchSecrets(b *testing.B) *secretbox.Box {
	b.Helper()
	key, err := secretbox.ParseKey(secretbox.GenerateKey())
	require.NoError(b, err)
	box, err := secretbox.New(key)
	require.NoError(b, err)
	return box
}

// percentile returns the p-th percentile of sorted, by the nearest-rank method.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (len(sorted)*p + 99) / 100
	return sorted[max(rank, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
