package service_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/slots"
)

// The queue's tests run on the publishing bundle: its clock starts on Friday 2026-04-03 at
// 12:00 UTC, which is 08:00 in New York (EDT, UTC-4).

// everyDay is input with the same range every day.
func everyDay(tz string, start, end string, interval int) service.QueueSettingsInput {
	in := service.QueueSettingsInput{Timezone: tz, IntervalMinutes: interval}
	for day := range in.ActiveHours {
		in.ActiveHours[day] = []service.ClockRange{{Start: start, End: end}}
	}
	return in
}

// workedExample is the issue's: 9 AM to 8 PM in New York, every 4 hours.
var workedExample = everyDay("America/New_York", "09:00", "20:00", 240)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func (b *pubBundle) queued(t *testing.T, state service.QueueState) service.Post {
	t.Helper()
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"bluesky"}, Queue: state})
	require.Equal(t, service.PostQueued, p.Status)
	require.Equal(t, state, p.Queue)
	b.clock.Advance(time.Second) // queued_at apart, as posts queued by people are
	return p
}

// requirePlaces checks the place of each post as GetPost reads it now: a position from 1
// and its expected time, in order.
func (b *pubBundle) requirePlaces(t *testing.T, posts []service.Post, expected ...string) {
	t.Helper()
	require.Len(t, expected, len(posts))
	for i, p := range posts {
		got := b.post(t, b.live, p.ID)
		require.Equal(t, service.QueueQueued, got.Queue, "post %d", i)
		require.NotNil(t, got.QueuePlace, "post %d", i)
		require.Equal(t, i+1, got.QueuePlace.Position, "post %d", i)
		require.NotNil(t, got.QueuePlace.ExpectedAt, "post %d", i)
		require.Equal(t, utc(expected[i]), *got.QueuePlace.ExpectedAt, "post %d", i)
	}
}

func TestQueueSettingsAreTheDefaultsUntilSet(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)

	got, err := b.svc.QueueSettings(b.ctx, b.live)
	require.NoError(t, err)
	require.Equal(t, service.DefaultQueueSettings(), got)
	require.Nil(t, got.UpdatedAt)
	require.Equal(t, "UTC", got.Timezone)
	require.Equal(t, 60, got.IntervalMinutes)
	for day := range got.Week {
		require.Equal(t, []slots.Range{{Start: 9 * 60, End: 17 * 60}}, got.Week[day], "every day from 09:00 to 17:00")
	}

	// The defaults publish: a post queued on Friday at 12:00 UTC goes at 13:00 UTC.
	p := b.queued(t, service.QueueQueued)
	require.Equal(t, &service.QueuePlace{Position: 1, ExpectedAt: new(utc("2026-04-03T13:00:00Z"))}, p.QueuePlace)

	put, err := b.svc.PutQueueSettings(b.ctx, b.live, workedExample)
	require.NoError(t, err)
	require.Equal(t, "America/New_York", put.Timezone)
	require.Equal(t, 240, put.IntervalMinutes)
	require.Equal(t, []slots.Range{{Start: 9 * 60, End: 20 * 60}}, put.Week[time.Monday])
	require.Equal(t, new(b.clock.Now()), put.UpdatedAt)

	got, err = b.svc.QueueSettings(b.ctx, b.live)
	require.NoError(t, err)
	require.Equal(t, put, got)

	// Per user and mode: the test mode and the other user keep the defaults.
	for _, sc := range []service.Scope{b.test, b.other} {
		got, err := b.svc.QueueSettings(b.ctx, sc)
		require.NoError(t, err)
		require.Equal(t, service.DefaultQueueSettings(), got)
	}
}

func TestQueueSettingsProblemsNameTheirFields(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)

	for _, tc := range []struct {
		name   string
		change func(in *service.QueueSettingsInput)
		fields []string
	}{
		{"UnknownZone", func(in *service.QueueSettingsInput) { in.Timezone = "Mars/Olympus_Mons" }, []string{"/timezone"}},
		{"LocalIsNotAZone", func(in *service.QueueSettingsInput) { in.Timezone = "Local" }, []string{"/timezone"}},
		{"NotAClock", func(in *service.QueueSettingsInput) {
			in.ActiveHours[time.Monday] = []service.ClockRange{{Start: "25:00", End: "9:00"}}
		}, []string{"/active_hours/monday/0/start", "/active_hours/monday/0/end"}},
		{"NotAClockAndABadInterval", func(in *service.QueueSettingsInput) {
			in.ActiveHours[time.Friday] = []service.ClockRange{{Start: "09:00", End: "24:30"}}
			in.IntervalMinutes = 4
		}, []string{"/active_hours/friday/0/end", "/interval_minutes"}},
		{"IntervalTooLong", func(in *service.QueueSettingsInput) { in.IntervalMinutes = 1441 }, []string{"/interval_minutes"}},
		{"EmptyWeek", func(in *service.QueueSettingsInput) { in.ActiveHours = [7][]service.ClockRange{} }, []string{"/active_hours"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := everyDay("Europe/Paris", "09:00", "17:00", 60)
			tc.change(&in)
			_, err := b.svc.PutQueueSettings(b.ctx, b.live, in)
			requireFields(t, err, tc.fields...)
		})
	}

	// The slot rules are package slots': each of its problems comes back under its field.
	in := everyDay("Europe/Paris", "09:00", "17:00", 60)
	in.ActiveHours[time.Tuesday] = []service.ClockRange{{Start: "12:00", End: "10:00"}}
	in.ActiveHours[time.Sunday] = []service.ClockRange{{Start: "09:00", End: "12:00"}, {Start: "11:00", End: "13:00"}}
	_, err := b.svc.PutQueueSettings(b.ctx, b.live, in)
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Len(t, se.Fields, 2, "%v", err)
	fields := se.Fields[0].Field + " " + se.Fields[1].Field
	require.Regexp(t, `/active_hours/sunday/1/(start|end)\b`, fields)
	require.Regexp(t, `/active_hours/tuesday/0/(start|end)\b`, fields)

	// Nothing was stored.
	got, err := b.svc.QueueSettings(b.ctx, b.live)
	require.NoError(t, err)
	require.Nil(t, got.UpdatedAt)
}

// TestQueuedPostsExpectTheWorkedExamplesSlots: 9 AM to 8 PM in New York every 4 hours is
// 9 AM, 1 PM and 5 PM there, one queued post a slot, oldest first.
func TestQueuedPostsExpectTheWorkedExamplesSlots(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	_, err := b.svc.PutQueueSettings(b.ctx, b.live, workedExample)
	require.NoError(t, err)

	var posts []service.Post
	for range 4 {
		posts = append(posts, b.queued(t, service.QueueQueued))
	}
	b.requirePlaces(t, posts,
		"2026-04-03T13:00:00Z", // Friday 9 AM EDT
		"2026-04-03T17:00:00Z", // 1 PM
		"2026-04-03T21:00:00Z", // 5 PM
		"2026-04-04T13:00:00Z", // Saturday 9 AM
	)

	// The times move with the clock: after Friday's 9 AM, the first post expects 1 PM.
	b.clock.Advance(2 * time.Hour) // 10:00 EDT
	b.requirePlaces(t, posts,
		"2026-04-03T17:00:00Z", "2026-04-03T21:00:00Z", "2026-04-04T13:00:00Z", "2026-04-04T17:00:00Z")

	// And with the settings, at once.
	_, err = b.svc.PutQueueSettings(b.ctx, b.live, everyDay("UTC", "18:00", "19:00", 30))
	require.NoError(t, err)
	b.requirePlaces(t, posts,
		"2026-04-03T18:00:00Z", "2026-04-03T18:30:00Z", "2026-04-04T18:00:00Z", "2026-04-04T18:30:00Z")
}

func TestPendingPostsWaitAndApprovalRestoresTheirPlace(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)

	first := b.queued(t, service.QueueQueued)
	pending := b.queued(t, service.QueuePending)
	third := b.queued(t, service.QueueQueued)
	require.Nil(t, pending.QueuePlace, "a pending post holds no slot")

	// While pending, the posts after it move up.
	b.requirePlaces(t, []service.Post{first, third}, "2026-04-03T13:00:00Z", "2026-04-03T14:00:00Z")
	got := b.post(t, b.live, pending.ID)
	require.Equal(t, service.QueuePending, got.Queue)
	require.Nil(t, got.QueuePlace)

	approved, err := b.svc.ApprovePost(b.ctx, b.live, pending.ID)
	require.NoError(t, err)
	require.Equal(t, service.QueueQueued, approved.Queue)
	require.Equal(t, service.PostQueued, approved.Status)
	require.Equal(t, pending.QueuedAt, approved.QueuedAt, "queued_at is kept")
	require.Equal(t, 2, approved.QueuePlace.Position, "back at its original place, not at the end")
	b.requirePlaces(t, []service.Post{first, pending, third},
		"2026-04-03T13:00:00Z", "2026-04-03T14:00:00Z", "2026-04-03T15:00:00Z")

	// Approving anything but a pending post is a conflict.
	for _, postID := range []string{pending.ID, first.ID, b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"bluesky"}}).ID} {
		_, err := b.svc.ApprovePost(b.ctx, b.live, postID)
		var se *service.Error
		require.ErrorAs(t, err, &se)
		require.Equal(t, service.KindConflict, se.Kind)
	}
	_, err = b.svc.ApprovePost(b.ctx, b.other, first.ID)
	requireKind(t, err, service.KindNotFound)
	_, err = b.svc.ApprovePost(b.ctx, b.live, id.New(id.Post))
	requireKind(t, err, service.KindNotFound)

	// Approval through an update does the same: unapprove the first, approve it again.
	unapproved, err := b.svc.UpdatePost(b.ctx, b.live, first.ID, service.PostPatch{Queue: service.Some(service.QueuePending)})
	require.NoError(t, err)
	require.Equal(t, service.QueuePending, unapproved.Queue)
	require.Nil(t, unapproved.QueuePlace)
	b.requirePlaces(t, []service.Post{pending, third}, "2026-04-03T13:00:00Z", "2026-04-03T14:00:00Z")
	reapproved, err := b.svc.UpdatePost(b.ctx, b.live, first.ID, service.PostPatch{Queue: service.Some(service.QueueQueued)})
	require.NoError(t, err)
	require.Equal(t, 1, reapproved.QueuePlace.Position)
}

func TestLeavingTheQueueFreesThePlace(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "bluesky")

	var posts []service.Post
	for range 5 {
		posts = append(posts, b.queued(t, service.QueueQueued))
	}
	a, c, d, e, f := posts[0], posts[1], posts[2], posts[3], posts[4]

	// Deleted: the others move up a slot each.
	require.NoError(t, b.svc.DeletePost(b.ctx, b.live, a.ID))
	b.requirePlaces(t, []service.Post{c, d, e, f},
		"2026-04-03T13:00:00Z", "2026-04-03T14:00:00Z", "2026-04-03T15:00:00Z", "2026-04-03T16:00:00Z")

	// Edited into a schedule: it leaves the queue, and its job is enqueued.
	at := b.clock.Now().Add(48 * time.Hour)
	scheduled, err := b.svc.UpdatePost(b.ctx, b.live, c.ID, service.PostPatch{ScheduledFor: service.Some(&at)})
	require.NoError(t, err)
	require.Equal(t, service.PostScheduled, scheduled.Status)
	require.Equal(t, service.QueueNone, scheduled.Queue)
	require.Nil(t, scheduled.QueuedAt)
	require.Nil(t, scheduled.QueuePlace)
	require.Len(t, b.queue.waiting(), 1)
	b.requirePlaces(t, []service.Post{d, e, f}, "2026-04-03T13:00:00Z", "2026-04-03T14:00:00Z", "2026-04-03T15:00:00Z")

	// Published now: it leaves the queue as it starts publishing.
	published := b.publish(t, b.live, d.ID)
	require.Equal(t, service.QueueNone, published.Queue)
	require.Nil(t, published.QueuedAt)
	b.requirePlaces(t, []service.Post{e, f}, "2026-04-03T13:00:00Z", "2026-04-03T14:00:00Z")

	// Unapproved: it keeps its status, and its place for later, but holds no slot.
	_, err = b.svc.UpdatePost(b.ctx, b.live, e.ID, service.PostPatch{Queue: service.Some(service.QueuePending)})
	require.NoError(t, err)
	b.requirePlaces(t, []service.Post{f}, "2026-04-03T13:00:00Z")

	// The queued and pending posts are listed by status.
	queued := service.PostQueued
	page, err := b.svc.ListPosts(b.ctx, b.live, &queued, nil, 0, "")
	require.NoError(t, err)
	require.Len(t, page.Posts, 2)
	require.Equal(t, f.ID, page.Posts[0].ID, "newest first")
	require.Equal(t, &service.QueuePlace{Position: 1, ExpectedAt: new(utc("2026-04-03T13:00:00Z"))}, page.Posts[0].QueuePlace)
	require.Equal(t, e.ID, page.Posts[1].ID)
	require.Equal(t, service.QueuePending, page.Posts[1].Queue)
	require.Nil(t, page.Posts[1].QueuePlace)
}

func TestPostsEnterTheQueueFromADraftOrASchedule(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "bluesky")

	draft := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"bluesky"}})
	require.Nil(t, draft.QueuePlace)
	at := b.clock.Now().Add(time.Hour)
	scheduled := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"bluesky"}, ScheduledFor: &at})
	require.Len(t, b.queue.waiting(), 1)

	b.clock.Advance(time.Minute)
	queued, err := b.svc.UpdatePost(b.ctx, b.live, draft.ID, service.PostPatch{Queue: service.Some(service.QueueQueued)})
	require.NoError(t, err)
	require.Equal(t, service.PostQueued, queued.Status)
	require.Equal(t, new(b.clock.Now()), queued.QueuedAt, "queued_at: when it entered the queue")
	require.Equal(t, 1, queued.QueuePlace.Position)

	b.clock.Advance(time.Minute)
	fromSchedule, err := b.svc.UpdatePost(b.ctx, b.live, scheduled.ID, service.PostPatch{Queue: service.Some(service.QueuePending)})
	require.NoError(t, err)
	require.Equal(t, service.PostQueued, fromSchedule.Status)
	require.Equal(t, service.QueuePending, fromSchedule.Queue)
	require.Nil(t, fromSchedule.ScheduledFor)
	require.Empty(t, b.queue.waiting(), "the schedule's job is cancelled")

	// scheduled_for: null with queue_status is no conflict.
	other := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"bluesky"}})
	p, err := b.svc.UpdatePost(b.ctx, b.live, other.ID, service.PostPatch{
		Queue: service.Some(service.QueueQueued), ScheduledFor: service.Some[*time.Time](nil),
	})
	require.NoError(t, err)
	require.Equal(t, service.PostQueued, p.Status)

	// A queue_status with a time is a 422 on create and on update.
	later := b.clock.Now().Add(time.Hour)
	_, err = b.svc.CreatePost(b.ctx, b.live, service.PostInput{Content: "x", Platforms: []service.Platform{"bluesky"}, ScheduledFor: &later, Queue: service.QueueQueued})
	requireFields(t, err, "/queue_status")
	_, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{Queue: service.Some(service.QueueQueued), ScheduledFor: service.Some(&later)})
	requireFields(t, err, "/queue_status")
	require.Equal(t, service.PostQueued, b.post(t, b.live, p.ID).Status, "unchanged")

	// A published or failed post does not go back into the queue.
	published := b.publish(t, b.live, draft.ID)
	b.runDue(t)
	require.Equal(t, service.PostPublished, b.post(t, b.live, published.ID).Status)
	_, err = b.svc.UpdatePost(b.ctx, b.live, published.ID, service.PostPatch{Queue: service.Some(service.QueueQueued)})
	requireKind(t, err, service.KindConflict)
}

func TestTheQueueHoldsAtMostQueueMaxPosts(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)

	// QueueMax - 1 posts straight into the store, queued and pending; the service adds the last.
	now := b.clock.Now()
	require.NoError(t, b.store.InTx(b.ctx, func(tx service.Store) error {
		for i := range service.QueueMax - 1 {
			state := service.QueueQueued
			if i%2 == 1 {
				state = service.QueuePending
			}
			err := tx.CreatePost(b.ctx, service.Post{
				ID: id.New(id.Post), Scope: b.live, Content: "x", Platforms: []service.Platform{"bluesky"},
				Status: service.PostQueued, Queue: state, QueuedAt: &now, CreatedAt: now, UpdatedAt: now,
			})
			if err != nil {
				return err
			}
		}
		return nil
	}))
	last := b.queued(t, service.QueuePending)

	_, err := b.svc.CreatePost(b.ctx, b.live, service.PostInput{Content: "x", Platforms: []service.Platform{"bluesky"}, Queue: service.QueueQueued})
	requireFields(t, err, "/queue_status")
	draft := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"bluesky"}})
	_, err = b.svc.UpdatePost(b.ctx, b.live, draft.ID, service.PostPatch{Queue: service.Some(service.QueueQueued)})
	requireFields(t, err, "/queue_status")

	// Changing state inside the full queue is no new entry; another scope has its own.
	_, err = b.svc.ApprovePost(b.ctx, b.live, last.ID)
	require.NoError(t, err)
	_, err = b.svc.CreatePost(b.ctx, b.test, service.PostInput{Content: "x", Platforms: []service.Platform{"bluesky"}, Queue: service.QueueQueued})
	require.NoError(t, err)

	// Leaving frees a place.
	require.NoError(t, b.svc.DeletePost(b.ctx, b.live, last.ID))
	_, err = b.svc.UpdatePost(b.ctx, b.live, draft.ID, service.PostPatch{Queue: service.Some(service.QueueQueued)})
	require.NoError(t, err)
}

func TestPreviewPairsTheNextSlotsWithTheQueue(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	_, err := b.svc.PutQueueSettings(b.ctx, b.live, workedExample)
	require.NoError(t, err)

	empty, err := b.svc.PreviewQueue(b.ctx, b.live, 0)
	require.NoError(t, err)
	require.Equal(t, "America/New_York", empty.Timezone)
	require.Len(t, empty.Slots, 10, "ten by default")
	for _, s := range empty.Slots {
		require.Nil(t, s.Post, "an empty queue fills no slot")
	}

	first := b.queued(t, service.QueueQueued)
	b.queued(t, service.QueuePending)
	second := b.queued(t, service.QueueQueued)

	preview, err := b.svc.PreviewQueue(b.ctx, b.live, 4)
	require.NoError(t, err)
	var at []time.Time
	var filled []string
	for _, s := range preview.Slots {
		at = append(at, s.At)
		if s.Post != nil {
			filled = append(filled, s.Post.ID)
		}
	}
	require.Equal(t, []time.Time{
		utc("2026-04-03T13:00:00Z"), utc("2026-04-03T17:00:00Z"), utc("2026-04-03T21:00:00Z"), utc("2026-04-04T13:00:00Z"),
	}, at)
	require.Equal(t, []string{first.ID, second.ID}, filled, "the approved posts, oldest first")
	require.Equal(t, &service.QueuePlace{Position: 2, ExpectedAt: new(utc("2026-04-03T17:00:00Z"))}, preview.Slots[1].Post.QueuePlace)

	for _, limit := range []int{-1, 101} {
		_, err := b.svc.PreviewQueue(b.ctx, b.live, limit)
		requireFields(t, err, "limit")
	}
	preview, err = b.svc.PreviewQueue(b.ctx, b.live, 100)
	require.NoError(t, err)
	require.Len(t, preview.Slots, 100)
}

// TestExpectedTimesKeepTheLocalTimeAcrossDST: the worked example's queue on the weekend
// New York leaves daylight saving time (Sunday 2026-11-01, 02:00 EDT → 01:00 EST): the
// slots stay at 9 AM, 1 PM and 5 PM local, so their UTC times move by an hour.
func TestExpectedTimesKeepTheLocalTimeAcrossDST(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	b.clock.mu.Lock()
	b.clock.now = utc("2026-10-31T12:00:00Z") // Saturday, 08:00 EDT
	b.clock.mu.Unlock()
	_, err := b.svc.PutQueueSettings(b.ctx, b.live, workedExample)
	require.NoError(t, err)

	var posts []service.Post
	for range 6 {
		posts = append(posts, b.queued(t, service.QueueQueued))
	}
	b.requirePlaces(t, posts,
		"2026-10-31T13:00:00Z", "2026-10-31T17:00:00Z", "2026-10-31T21:00:00Z", // EDT, UTC-4
		"2026-11-01T14:00:00Z", "2026-11-01T18:00:00Z", "2026-11-01T22:00:00Z", // EST, UTC-5
	)
}

func TestLoadZone(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"", "Local", "Mars/Base", "../../etc/passwd"} {
		_, err := service.LoadZone(name)
		require.Error(t, err, "%q", name)
	}
	ny, err := service.LoadZone("America/New_York")
	require.NoError(t, err)
	require.Equal(t, "America/New_York", ny.String())
	again, err := service.LoadZone("America/New_York")
	require.NoError(t, err)
	require.Same(t, ny, again, "loaded once, then kept")
}
