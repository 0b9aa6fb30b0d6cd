package service_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// The queue's sweep on the fake clock: FireQueueSlots is called by hand, as the job queue
// would every 15 seconds (db/queue runs it on River, on both databases, with two instances).

var newYork = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// nyTime is a wall-clock time in New York.
func nyTime(year int, month time.Month, day, hour, minute, sec int) time.Time {
	return time.Date(year, month, day, hour, minute, sec, 0, newYork)
}

func (c *pubClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t.UTC()
}

// setQueue gives sc's queue the ranges every day, in tz, every interval minutes.
func (b *pubBundle) setQueue(t *testing.T, sc service.Scope, tz string, interval int, ranges ...service.ClockRange) {
	t.Helper()
	in := service.QueueSettingsInput{Timezone: tz, IntervalMinutes: interval}
	for day := range in.ActiveHours {
		in.ActiveHours[day] = ranges
	}
	_, err := b.svc.PutQueueSettings(b.ctx, sc, in)
	require.NoError(t, err)
}

// queuePosts queues n posts of sc on platforms, a second apart, oldest first.
func (b *pubBundle) queuePosts(t *testing.T, sc service.Scope, n int, platforms ...service.Platform) []service.Post {
	t.Helper()
	out := make([]service.Post, n)
	for i := range out {
		out[i] = b.createPost(t, sc, service.PostInput{Platforms: platforms, Queue: service.QueueQueued})
		require.Equal(t, service.PostQueued, out[i].Status)
		b.clock.Advance(time.Second)
	}
	return out
}

// sweep runs one sweep at the clock's time.
func (b *pubBundle) sweep(t *testing.T) []service.FiredSlot {
	t.Helper()
	fired, err := b.svc.FireQueueSlots(b.ctx)
	require.NoError(t, err)
	return fired
}

// sweepAt sets the clock to at and sweeps.
func (b *pubBundle) sweepAt(t *testing.T, at time.Time) []service.FiredSlot {
	t.Helper()
	b.clock.Set(at)
	return b.sweep(t)
}

// queueIDs lists sc's approved queued posts, in order.
func (b *pubBundle) queueIDs(t *testing.T, sc service.Scope) []string {
	t.Helper()
	list, err := b.store.ListQueue(b.ctx, sc, 100)
	require.NoError(t, err)
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	return ids
}

func postIDs(posts []service.Post) []string {
	ids := make([]string, len(posts))
	for i, p := range posts {
		ids[i] = p.ID
	}
	return ids
}

// firedPosts lists the posts fired, in order.
func firedPosts(fired []service.FiredSlot) []string {
	var ids []string
	for _, f := range fired {
		ids = append(ids, f.PostID)
	}
	return ids
}

// The worked example: 09:00–20:00 in New York every 4 hours gives 09:00, 13:00 and 17:00.
var nineToEight = service.ClockRange{Start: "09:00", End: "20:00"}

func TestEachSlotPublishesOneQueuedPostOldestFirst(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	b.clock.Set(nyTime(2026, 4, 3, 8, 0, 0))
	posts := b.queuePosts(t, b.live, 3, "mastodon")

	require.Empty(t, b.sweep(t), "no slot in the last 5 minutes (yesterday's 17:00 is long gone)")

	slot := nyTime(2026, 4, 3, 9, 0, 0)
	fired := b.sweepAt(t, slot.Add(10*time.Second))
	require.Equal(t, []service.FiredSlot{{Scope: b.live, At: slot.UTC(), PostID: posts[0].ID}}, fired)
	require.Equal(t, time.UTC, fired[0].At.Location())
	for _, later := range []time.Duration{25 * time.Second, time.Minute, service.QueueSlotGrace} {
		require.Empty(t, b.sweepAt(t, slot.Add(later)), "the slot is used: %s after it", later)
	}

	// The post left the queue and publishes as PublishPost would have it: the same run,
	// the same event.
	started := b.post(t, b.live, posts[0].ID)
	require.Equal(t, service.PostPublishing, started.Status)
	require.Equal(t, service.QueueNone, started.Queue)
	require.Nil(t, started.QueuedAt)
	require.Nil(t, started.QueuePlace)
	require.Equal(t, postIDs(posts[1:]), b.queueIDs(t, b.live))
	require.Equal(t, 1, b.runDue(t))
	published := b.post(t, b.live, posts[0].ID)
	require.Equal(t, service.PostPublished, published.Status)
	require.True(t, published.PlatformResults["mastodon"].Success)
	types, _ := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostPublished}, types)

	// One post a slot, in order.
	require.Equal(t, []string{posts[1].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 3, 13, 0, 5))))
	require.Empty(t, b.sweepAt(t, nyTime(2026, 4, 3, 16, 59, 59)))
	require.Equal(t, []string{posts[2].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 3, 17, 0, 0))))
	require.Equal(t, 2, b.runDue(t))
	types, _ = b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostPublished, service.EventPostPublished, service.EventPostPublished}, types)
	require.Len(t, b.platforms["mastodon"].published(), 3)

	// An empty queue at a slot uses nothing. A post that enters the queue after a slot
	// waits for the next one, the time its expected_at says, rather than go out late at
	// the slot it missed; one queued at the very time of a slot takes it.
	require.Empty(t, b.sweepAt(t, nyTime(2026, 4, 4, 9, 0, 0)))
	b.clock.Set(nyTime(2026, 4, 4, 9, 1, 0))
	late := b.queuePosts(t, b.live, 2, "mastodon")
	require.Equal(t, nyTime(2026, 4, 4, 13, 0, 0).UTC(), b.post(t, b.live, late[0].ID).QueuePlace.ExpectedAt.UTC())
	require.Empty(t, b.sweepAt(t, nyTime(2026, 4, 4, 9, 4, 0)))
	require.Equal(t, []service.FiredSlot{{Scope: b.live, At: nyTime(2026, 4, 4, 13, 0, 0).UTC(), PostID: late[0].ID}},
		b.sweepAt(t, nyTime(2026, 4, 4, 13, 0, 0)))
	b.clock.Set(nyTime(2026, 4, 4, 17, 0, 0))
	onTime := b.queuePosts(t, b.live, 1, "mastodon")
	require.Equal(t, []string{late[1].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 4, 17, 0, 1))))
	require.Equal(t, []string{onTime[0].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 5, 9, 0, 0))))
}

func TestEachQueueHasItsOwnSlots(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.connect(t, b.other, "mastodon", nil)
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	// b.other keeps the defaults: every day 09:00–17:00 UTC, every hour.
	b.clock.Set(time.Date(2026, 4, 3, 12, 30, 0, 0, time.UTC))
	mine := b.queuePosts(t, b.live, 2, "mastodon")
	theirs := b.queuePosts(t, b.other, 2, "mastodon")

	// 13:00 UTC is 09:00 in New York: a slot of both queues, each fires its own.
	fired := b.sweepAt(t, time.Date(2026, 4, 3, 13, 0, 0, 0, time.UTC))
	require.ElementsMatch(t, []string{mine[0].ID, theirs[0].ID}, firedPosts(fired))
	// 14:00 UTC is a slot of the defaults only.
	require.Equal(t, []string{theirs[1].ID}, firedPosts(b.sweepAt(t, time.Date(2026, 4, 3, 14, 0, 0, 0, time.UTC))))
	require.Equal(t, postIDs(mine[1:]), b.queueIDs(t, b.live))
}

func TestCatchUpAfterDowntimeFiresAtMostTheLatestSlot(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	b.clock.Set(nyTime(2026, 4, 3, 8, 0, 0))
	posts := b.queuePosts(t, b.live, 5, "mastodon")

	// Down for three days (nine slots), back 3 minutes after a slot: that slot, and only
	// it, fires.
	fired := b.sweepAt(t, nyTime(2026, 4, 6, 13, 3, 0))
	require.Equal(t, []service.FiredSlot{{Scope: b.live, At: nyTime(2026, 4, 6, 13, 0, 0).UTC(), PostID: posts[0].ID}}, fired)
	// Then nothing until the next slot, swept every 15 seconds as the job queue does.
	for at := nyTime(2026, 4, 6, 13, 3, 15); at.Before(nyTime(2026, 4, 6, 17, 0, 0)); at = at.Add(15 * time.Second) {
		require.Empty(t, b.sweepAt(t, at), "at %s", at)
	}
	require.Equal(t, []string{posts[1].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 6, 17, 0, 10))))

	// Down for three more days, back 10 minutes after a slot: too late for it, and the
	// queue resumes at the next slot.
	require.Empty(t, b.sweepAt(t, nyTime(2026, 4, 9, 13, 10, 0)))
	require.Empty(t, b.sweepAt(t, nyTime(2026, 4, 9, 13, 0, 0).Add(service.QueueSlotGrace+time.Second)))
	require.Equal(t, []string{posts[2].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 9, 17, 0, 0))))
	require.Equal(t, postIDs(posts[3:]), b.queueIDs(t, b.live))
	// Exactly at the grace's end the slot still fires.
	require.Equal(t, []string{posts[3].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 10, 9, 0, 0).Add(service.QueueSlotGrace))))
}

func TestASlotClaimedElsewhereIsNotFiredAgain(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	b.clock.Set(nyTime(2026, 4, 3, 8, 0, 0))
	posts := b.queuePosts(t, b.live, 2, "mastodon")

	// Another instance fired the 09:00 slot (its post already out of the queue).
	slot := nyTime(2026, 4, 3, 9, 0, 0)
	claimed, err := b.store.ClaimQueueSlot(b.ctx, b.live, slot, "post_fired_elsewhere")
	require.NoError(t, err)
	require.True(t, claimed)

	require.Empty(t, b.sweepAt(t, slot.Add(20*time.Second)))
	require.Empty(t, b.sweepAt(t, slot.Add(4*time.Minute)))
	require.Equal(t, postIDs(posts), b.queueIDs(t, b.live))
	require.Empty(t, b.queue.waiting(), "nothing was started")
	require.Equal(t, []string{posts[0].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 3, 13, 0, 0))))
}

func TestAQueuedPostThatCannotPublishFailsAndUsesItsSlot(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon") // no Bluesky account
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	b.clock.Set(nyTime(2026, 4, 3, 8, 0, 0))
	blueskyOnly := b.queuePosts(t, b.live, 1, "bluesky")[0]
	both := b.queuePosts(t, b.live, 1, "mastodon", "bluesky")[0]
	next := b.queuePosts(t, b.live, 1, "mastodon")[0]

	// What PublishPost says of such a post, which its platform's result must say.
	draft := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"bluesky"}})
	_, err := b.svc.PublishPost(b.ctx, b.live, draft.ID)
	why := requireProblems(t, err, problem{"/platforms/0", "bluesky"})[0].Message

	require.Equal(t, []string{blueskyOnly.ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 3, 9, 0, 0))))
	failed := b.post(t, b.live, blueskyOnly.ID)
	require.Equal(t, service.PostFailed, failed.Status, "failed at once: no platform to publish")
	require.Equal(t, map[service.Platform]service.PlatformResult{"bluesky": {Error: why}}, failed.PlatformResults)
	require.Equal(t, service.QueueNone, failed.Queue)
	types, events := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostFailed}, types)
	status, _ := eventPost(t, events[0])
	require.Equal(t, "failed", status)
	// The slot is used; the queue goes on at the next one.
	require.Empty(t, b.sweepAt(t, nyTime(2026, 4, 3, 9, 1, 0)))
	require.Equal(t, postIDs([]service.Post{both, next}), b.queueIDs(t, b.live))

	// A platform that cannot publish fails; the others go ahead.
	require.Equal(t, []string{both.ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 3, 13, 0, 0))))
	require.Equal(t, 1, b.runDue(t))
	got := b.post(t, b.live, both.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.True(t, got.PlatformResults["mastodon"].Success)
	require.Equal(t, service.PlatformResult{Error: why}, got.PlatformResults["bluesky"])
	types, _ = b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostFailed, service.EventPostPublished}, types)

	require.Equal(t, []string{next.ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 3, 17, 0, 0))))
}

// Across the November change in New York (Sunday, November 1, 2026: 02:00 EDT becomes
// 01:00 EST) the slots stay at the same local times, and the local times that happen
// twice that night fire once, at their first occurrence. The clock walks minute by minute
// over three days, sweeping each minute.
func TestQueueFiresAtTheSameLocalTimesAcrossTheNovemberChange(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	// The worked example, and a slot at 01:00, a local time that happens twice on the
	// night of the change.
	b.setQueue(t, b.live, "America/New_York", 240, service.ClockRange{Start: "01:00", End: "02:00"}, nineToEight)
	b.clock.Set(nyTime(2026, 10, 30, 12, 0, 0))
	posts := b.queuePosts(t, b.live, 20, "mastodon")

	var got []string
	var fired []service.FiredSlot
	for at := nyTime(2026, 10, 31, 0, 0, 0); at.Before(nyTime(2026, 11, 3, 0, 0, 0)); at = at.Add(time.Minute) {
		for _, f := range b.sweepAt(t, at) {
			require.False(t, f.At.After(at))
			require.Less(t, at.Sub(f.At), time.Minute, "fired within a sweep of its slot")
			got = append(got, f.At.In(newYork).Format("Jan 2 15:04 MST"))
			fired = append(fired, f)
		}
	}
	require.Equal(t, []string{
		"Oct 31 01:00 EDT", "Oct 31 09:00 EDT", "Oct 31 13:00 EDT", "Oct 31 17:00 EDT",
		// 01:00 happens twice: the slot is at the first; 09:00 is 09:00, an hour later in UTC.
		"Nov 1 01:00 EDT", "Nov 1 09:00 EST", "Nov 1 13:00 EST", "Nov 1 17:00 EST",
		"Nov 2 01:00 EST", "Nov 2 09:00 EST", "Nov 2 13:00 EST", "Nov 2 17:00 EST",
	}, got)
	require.Equal(t, postIDs(posts[:len(got)]), firedPosts(fired), "oldest first")
}

func TestOldSlotClaimsAreDeletedAfterEightDays(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	b.clock.Set(nyTime(2026, 4, 3, 8, 0, 0))
	b.queuePosts(t, b.live, 1, "mastodon")
	slot := nyTime(2026, 4, 3, 9, 0, 0)
	require.Len(t, b.sweepAt(t, slot), 1)

	b.sweepAt(t, slot.Add(8*24*time.Hour)) // the queue is empty: the sweep still tidies
	claimed, err := b.store.ClaimQueueSlot(b.ctx, b.live, slot, "again")
	require.NoError(t, err)
	require.False(t, claimed, "kept for 8 days")

	b.sweepAt(t, slot.Add(8*24*time.Hour+time.Second))
	claimed, err = b.store.ClaimQueueSlot(b.ctx, b.live, slot, "again")
	require.NoError(t, err)
	require.True(t, claimed, "deleted after 8 days")
}

// A queue whose settings cannot be read (a zone the system no longer knows) is reported,
// and the other queues are still swept.
func TestOneQueuesFailureDoesNotStopTheSweep(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.connect(t, b.other, "mastodon", nil)
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	b.clock.Set(nyTime(2026, 4, 3, 8, 0, 0))
	broken := b.queuePosts(t, b.live, 1, "mastodon")
	theirs := b.queuePosts(t, b.other, 1, "mastodon")
	settings, err := b.store.GetQueueSettings(b.ctx, b.live)
	require.NoError(t, err)
	settings.Timezone = "Mars/Olympus_Mons"
	require.NoError(t, b.store.PutQueueSettings(b.ctx, b.live, settings))

	b.clock.Set(nyTime(2026, 4, 3, 9, 0, 0)) // 13:00 UTC: a slot of the other's defaults
	fired, err := b.svc.FireQueueSlots(b.ctx)
	require.ErrorContains(t, err, b.live.UserID)
	require.Equal(t, []string{theirs[0].ID}, firedPosts(fired))
	require.Equal(t, postIDs(broken), b.queueIDs(t, b.live))
}

// TestASlotMadeBySettingsSavedAfterItIsNotFired: settings saved at 09:02 whose range
// starts at 09:00 make a slot two minutes old, within the grace; nobody was told of it
// (the post's expected_at said 13:00), so the queue starts at 13:00.
func TestASlotMadeBySettingsSavedAfterItIsNotFired(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	b.clock.Set(nyTime(2026, 4, 3, 8, 0, 0))
	posts := b.queuePosts(t, b.live, 1, "mastodon")
	b.clock.Set(nyTime(2026, 4, 3, 9, 2, 0))
	b.setQueue(t, b.live, "America/New_York", 240, nineToEight)
	require.Equal(t, nyTime(2026, 4, 3, 13, 0, 0).UTC(), b.post(t, b.live, posts[0].ID).QueuePlace.ExpectedAt.UTC())

	require.Empty(t, b.sweepAt(t, nyTime(2026, 4, 3, 9, 3, 0)))
	require.Equal(t, []string{posts[0].ID}, firedPosts(b.sweepAt(t, nyTime(2026, 4, 3, 13, 0, 0))))
}
