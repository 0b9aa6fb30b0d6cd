package queue

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
)

// everyFiveMinutes sets the scope's queue to a slot every 5 minutes, all day, in UTC.
func (b *testBundle) everyFiveMinutes(t *testing.T) {
	t.Helper()
	in := service.QueueSettingsInput{Timezone: "UTC", IntervalMinutes: 5}
	for day := range in.ActiveHours {
		in.ActiveHours[day] = []service.ClockRange{{Start: "00:00", End: "24:00"}}
	}
	_, err := b.svc.PutQueueSettings(b.ctx, b.scope, in)
	require.NoError(t, err)
}

func (b *testBundle) queuePost(t *testing.T, content string) service.Post {
	t.Helper()
	p, err := b.svc.CreatePost(b.ctx, b.scope, service.PostInput{
		Content: content, Platforms: []service.Platform{"discord"}, Queue: service.QueueQueued,
	})
	require.NoError(t, err)
	require.Equal(t, service.PostQueued, p.Status)
	return p
}

func (c *testClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// secondInstance is another server on b's database: its own service and River client,
// publishing through the same fake Discord, so that what both publish is counted once.
func secondInstance(t *testing.T, b *testBundle, clock service.Clock) (*service.Service, *Queue) {
	t.Helper()
	svc := service.New(b.d, clock, nil, service.Config{Platforms: platforms.All,
		Adapters: map[service.Platform]platform.Adapter{"discord": b.discord},
		Render:   renderer{},
	})
	q, err := New(b.d, svc, Options{Logger: testLogger(), Instance: "second"})
	require.NoError(t, err)
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), 10*time.Second)
		defer cancel()
		require.NoError(t, q.Stop(stopCtx))
	})
	return svc, q
}

// Two instances sweeping at the same moment, several sweeps each, on each slot: every
// slot publishes one post, the oldest, and every post goes out once.
func TestTwoInstancesSweepingTheSameSlotPublishOnePost(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		clock := &testClock{now: time.Now().UTC().Truncate(5 * time.Minute)}
		b := setup(t, d, clock, Options{Instance: "first"})
		svc2, q2 := secondInstance(t, b, clock)
		b.everyFiveMinutes(t)
		const slots = 4
		var posts []service.Post
		for i := range slots + 1 {
			posts = append(posts, b.queuePost(t, "Queued post "+string(rune('A'+i))))
		}

		for k := range slots {
			slot := clock.Now().Truncate(5 * time.Minute).Add(5 * time.Minute)
			clock.set(slot.Add(10 * time.Second))
			var mu sync.Mutex
			var fired []service.FiredSlot
			var wg sync.WaitGroup
			for _, svc := range []*service.Service{b.svc, svc2, b.svc, svc2, b.svc, svc2} {
				wg.Go(func() {
					f, err := svc.FireQueueSlots(b.ctx)
					require.NoError(t, err)
					mu.Lock()
					defer mu.Unlock()
					fired = append(fired, f...)
				})
			}
			wg.Wait()
			require.Equal(t, []service.FiredSlot{{Scope: b.scope, At: slot, PostID: posts[k].ID}}, fired, "slot %d", k)
		}
		left, err := d.ListQueue(b.ctx, b.scope, 10)
		require.NoError(t, err)
		require.Len(t, left, 1)
		require.Equal(t, posts[slots].ID, left[0].ID)

		// Both instances run the jobs: each post the slots started goes out once.
		b.start(t)
		require.NoError(t, q2.Start(b.ctx))
		for _, p := range posts[:slots] {
			b.waitForStatus(t, p.ID, service.PostPublished)
		}
		sent, _ := b.discord.published()
		var texts []string
		for _, s := range sent {
			texts = append(texts, s.Text)
		}
		require.ElementsMatch(t, []string{"Queued post A", "Queued post B", "Queued post C", "Queued post D"}, texts)
	})
}

// The sweep runs on its own: River's leader enqueues it when it starts (and every 15 s),
// and a post queued for a slot that has just passed goes out.
func TestTheSweepRunsAsAPeriodicJob(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		// Queued a minute before a slot, swept a minute after it: within its grace.
		slot := time.Now().UTC().Truncate(5 * time.Minute)
		clock := &testClock{now: slot.Add(-time.Minute)}
		b := setup(t, d, clock, Options{})
		b.everyFiveMinutes(t)
		p := b.queuePost(t, "Queued post")
		clock.set(slot.Add(time.Minute))
		b.start(t)
		got := b.waitForStatus(t, p.ID, service.PostPublished)
		require.Equal(t, service.QueueNone, got.Queue)
		sent, _ := b.discord.published()
		require.Len(t, sent, 1)
	})
}
