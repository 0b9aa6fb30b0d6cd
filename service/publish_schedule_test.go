package service_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
)

func TestASchedulePublishesAtItsTime(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	at := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon", "discord"}, ScheduledFor: &at})
	require.Equal(t, service.PostScheduled, p.Status)
	require.Equal(t, int64(1), p.Generation)
	require.Equal(t, []service.PublishJob{{Scope: b.live, PostID: p.ID, Generation: 1, RunAt: at, ID: "job-1"}}, b.queue.waiting())
	types, events := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostScheduled}, types)
	status, _ := eventPost(t, events[0])
	require.Equal(t, "scheduled", status)

	b.clock.Advance(time.Hour - time.Millisecond)
	require.Zero(t, b.runDue(t), "not due yet")
	b.clock.Advance(time.Millisecond)
	require.Equal(t, 2, b.runDue(t), "the due job publishes mastodon itself; discord has its own job")

	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Equal(t, at, *got.PublishedAt)
	require.Equal(t, at, *got.ScheduledFor)
	require.Len(t, b.platforms["mastodon"].published(), 1)
	require.Len(t, b.platforms["discord"].published(), 1)
	types, _ = b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostScheduled, service.EventPostPublished}, types)
}

func TestReschedulingRetiresTheOldJob(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	first := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}, ScheduledFor: &first})
	firstJob := b.queue.waiting()[0]

	later := first.Add(time.Hour)
	p, err := b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{ScheduledFor: service.Some(&later)})
	require.NoError(t, err)
	require.Equal(t, int64(2), p.Generation)
	waiting := b.queue.waiting()
	require.Len(t, waiting, 1, "the first job is cancelled")
	require.Equal(t, later, waiting[0].RunAt)
	require.Equal(t, int64(2), waiting[0].Generation)
	laterJob := waiting[0]

	// Should the cancelled job fire anyway, it finds a generation not its own.
	b.clock.Advance(time.Hour)
	b.requireNoOp(t, firstJob, p)

	// Unscheduling makes a draft, and retires the second job the same way.
	p, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{ScheduledFor: service.Some[*time.Time](nil)})
	require.NoError(t, err)
	require.Equal(t, service.PostDraft, p.Status)
	require.Empty(t, b.queue.waiting())
	b.clock.Advance(time.Hour)
	b.requireNoOp(t, laterJob, p)

	// Scheduling again for the first time does not revive the first job either.
	b.clock.Advance(-2 * time.Hour)
	p, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{ScheduledFor: service.Some(&first)})
	require.NoError(t, err)
	require.Equal(t, int64(4), p.Generation)
	b.clock.Advance(time.Hour)
	b.requireNoOp(t, firstJob, p)

	require.Equal(t, 1, b.runDue(t), "the due job starts the run and publishes")
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
	require.Len(t, b.platforms["discord"].published(), 1)
	types, _ := b.events(t, b.live)
	require.Equal(t, []service.EventType{
		service.EventPostScheduled, service.EventPostScheduled, service.EventPostScheduled, service.EventPostPublished,
	}, types)
}

// requireNoOp runs job and checks that it changed nothing: p is still as it was, and
// nothing was sent or enqueued.
func (b *pubBundle) requireNoOp(t *testing.T, job service.PublishJob, p service.Post) {
	t.Helper()
	jobs := len(b.queue.all())
	retryIn, err := b.svc.RunPublishJob(b.ctx, job)
	require.NoError(t, err)
	require.Zero(t, retryIn)
	got, err := b.svc.GetPost(b.ctx, p.Scope, p.ID)
	if err == nil {
		require.Equal(t, p.Status, got.Status)
		require.Equal(t, p.Generation, got.Generation)
		require.Empty(t, b.attempts(t, p, "discord"))
	}
	require.Len(t, b.queue.all(), jobs)
	require.Zero(t, b.platforms["discord"].callCount())
}

func TestChangingAScheduledPostKeepsItsJob(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	at := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}, ScheduledFor: &at})

	same := at
	p, err := b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{
		Content: service.Some("Edited before it goes out"), ScheduledFor: service.Some(&same),
	})
	require.NoError(t, err)
	require.Equal(t, int64(1), p.Generation)
	require.Len(t, b.queue.all(), 1)

	b.clock.Advance(time.Hour)
	b.runDue(t)
	require.Equal(t, "Edited before it goes out", b.platforms["discord"].published()[0].Text)
}

func TestDeletingAScheduledPostCancelsItsJob(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	at := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}, ScheduledFor: &at})
	job := b.queue.waiting()[0]

	require.NoError(t, b.svc.DeletePost(b.ctx, b.live, p.ID))
	require.Empty(t, b.queue.waiting())
	b.clock.Advance(time.Hour)
	b.requireNoOp(t, job, p)
}

func TestPublishingEarlyRetiresTheSchedule(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	at := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}, ScheduledFor: &at})
	startJob := b.queue.waiting()[0]

	started := b.publish(t, b.live, p.ID)
	require.Equal(t, int64(2), started.Generation)
	waiting := b.queue.waiting()
	require.Len(t, waiting, 1)
	require.Equal(t, service.Platform("discord"), waiting[0].Platform)

	_, err := b.svc.RunPublishJob(b.ctx, startJob)
	require.NoError(t, err)
	require.Equal(t, started, b.post(t, b.live, p.ID), "the schedule's job does nothing")

	b.runDue(t)
	b.clock.Advance(time.Hour)
	_, err = b.svc.RunPublishJob(b.ctx, startJob)
	require.NoError(t, err)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Len(t, b.platforms["discord"].published(), 1)
}

func TestAScheduledPostGoesOutWhereItCan(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	at := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"twitter", "discord"}, ScheduledFor: &at})

	b.clock.Advance(time.Hour)
	b.runDue(t)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Equal(t, service.PlatformResult{Error: "twitter: no active twitter account is connected"}, got.PlatformResults["twitter"])
	require.True(t, got.PlatformResults["discord"].Success)
}

func TestAScheduledPostThatCannotGoOutAnywhereFails(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	at := b.clock.Now().Add(time.Hour)
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"twitter"}, ScheduledFor: &at})

	b.clock.Advance(time.Hour)
	require.Equal(t, 1, b.runDue(t))
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostFailed, got.Status)
	require.Equal(t, int64(2), got.Generation)
	types, _ := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostScheduled, service.EventPostFailed}, types)
}

func TestSchedulingAFailedPostAgain(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}})
	b.platforms["discord"].fail(permanent("Cannot send an empty message"))
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Equal(t, service.PostFailed, b.post(t, b.live, p.ID).Status)

	at := b.clock.Now().Add(time.Minute)
	p, err := b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{ScheduledFor: service.Some(&at)})
	require.NoError(t, err)
	require.Equal(t, service.PostScheduled, p.Status)
	b.clock.Advance(time.Minute)
	b.runDue(t)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

func TestSchedulingNeedsAQueue(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	svc := service.New(b.store, b.clock, nil, service.Config{Platforms: platforms.All, Render: pubRenderer{}})
	at := b.clock.Now().Add(time.Hour)
	_, err := svc.CreatePost(b.ctx, b.live, service.PostInput{Content: "x", Platforms: []service.Platform{"discord"}, ScheduledFor: &at})
	require.ErrorContains(t, err, "no publishing queue")
	page, err := svc.ListPosts(b.ctx, b.live, nil, nil, 0, "")
	require.NoError(t, err)
	require.Empty(t, page.Posts, "the post is not stored without its job")
}
