package service_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
)

func TestPublishPostGoesOutOnEveryPlatform(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	p := b.createPost(t, b.live, service.PostInput{Content: "Launch day", Platforms: []service.Platform{"mastodon", "discord"}})

	started := b.publish(t, b.live, p.ID)
	require.Equal(t, p.Generation+1, started.Generation)
	require.Empty(t, started.PlatformResults)
	require.Equal(t, started, b.post(t, b.live, p.ID), "the post returned is the post stored")
	jobs := b.queue.waiting()
	require.Len(t, jobs, 2)
	for i, pl := range []service.Platform{"mastodon", "discord"} {
		require.Equal(t, pl, jobs[i].Platform)
		require.Equal(t, started.Generation, jobs[i].Generation)
		require.True(t, jobs[i].RunAt.IsZero(), "due now")
	}

	b.clock.Advance(time.Second)
	require.Equal(t, 2, b.runDue(t))

	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Equal(t, map[service.Platform]service.PlatformResult{
		"mastodon": {Success: true, PostID: "mastodon-1", PostURL: "https://mastodon.example/p/1"},
		"discord":  {Success: true, PostID: "discord-1", PostURL: "https://discord.example/p/1"},
	}, got.PlatformResults)
	require.Equal(t, b.clock.Now(), *got.PublishedAt)
	for _, pl := range []service.Platform{"mastodon", "discord"} {
		posts := b.platforms[pl].published()
		require.Len(t, posts, 1)
		require.Equal(t, "Launch day", posts[0].Text)
		require.Equal(t, p.ID+":"+string(pl)+":0", posts[0].IdempotencyKey)
	}

	types, events := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostPublished}, types)
	status, results := eventPost(t, events[0])
	require.Equal(t, "published", status)
	require.Len(t, results, 2)

	accounts, err := b.svc.ListAccounts(b.ctx, b.live)
	require.NoError(t, err)
	for _, a := range accounts {
		require.Equal(t, b.clock.Now(), *a.LastUsedAt, a.Platform)
	}
}

func TestPublishPostChecksEveryPlatformFirst(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord", "instagram", "tiktok", "bluesky")
	b.connect(t, b.live, "mastodon", platform.Credentials{"access_token": "t", "max_characters": "20"})

	p := b.createPost(t, b.live, service.PostInput{
		Content:   strings.Repeat("a", 2001),
		Platforms: []service.Platform{"discord", "twitter", "instagram", "tiktok", "mastodon", "bluesky"},
		Media:     service.Media{Images: []service.Image{{URL: "https://cdn.example/a.png"}}},
		Segments:  []service.Segment{{Content: strings.Repeat("b", 301)}},
	})
	before := b.post(t, b.live, p.ID)
	_, err := b.svc.PublishPost(b.ctx, b.live, p.ID)
	fields := requireProblems(t, err,
		problem{"/content", "discord"}, // 2001 characters; the segment fits
		problem{"/platforms/1", "twitter"},
		problem{"/segments/0/media", "instagram"},
		problem{"/media", "tiktok"}, // an image is not a video
		problem{"/segments/0/media", "tiktok"},
		problem{"/content", "mastodon"}, // over the instance's own limit
		problem{"/segments/0/content", "mastodon"},
		problem{"/content", "bluesky"}, // 300 graphemes
		problem{"/segments/0/content", "bluesky"},
	)
	require.Contains(t, fields[1].Message, "no active twitter account")
	require.Contains(t, fields[5].Message, "limit of 20")

	require.Equal(t, before, b.post(t, b.live, p.ID), "nothing changed")
	require.Empty(t, b.queue.waiting())
}

func TestPublishPostConflicts(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}})

	_, err := b.svc.PublishPost(b.ctx, b.other, p.ID)
	require.EqualError(t, err, "Post not found")
	_, err = b.svc.PublishPost(b.ctx, b.test, p.ID)
	require.EqualError(t, err, "Post not found")
	_, err = b.svc.PublishPost(b.ctx, b.live, "post_01JQ8Z7X4T9M2K5V6W3N0P1R8S")
	require.EqualError(t, err, "Post not found")

	b.publish(t, b.live, p.ID)
	_, err = b.svc.PublishPost(b.ctx, b.live, p.ID)
	requireConflict(t, err, "Post is already being published")

	b.runDue(t)
	_, err = b.svc.PublishPost(b.ctx, b.live, p.ID)
	requireConflict(t, err, "Post has already been published")
	require.Len(t, b.platforms["discord"].published(), 1)
}

func requireConflict(t *testing.T, err error, message string) {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindConflict, se.Kind)
	require.Equal(t, message, se.Message)
}

func TestPartialFailureIsPublishedAndRepublishRetriesOnlyTheFailed(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord", "slack")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon", "discord", "slack"}})
	b.platforms["discord"].fail(permanent("Invalid Form Body"))

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Equal(t, service.PlatformResult{Error: "Invalid Form Body (HTTP 422)"}, got.PlatformResults["discord"])
	require.True(t, got.PlatformResults["mastodon"].Success)
	require.True(t, got.PlatformResults["slack"].Success)
	require.Equal(t, 1, b.platforms["discord"].callCount(), "a permanent failure is not retried")
	firstPublishedAt := *got.PublishedAt

	b.clock.Advance(time.Hour)
	again := b.publish(t, b.live, p.ID)
	require.Equal(t, got.Generation+1, again.Generation)
	require.NotContains(t, again.PlatformResults, "discord", "the old failure is cleared while it is retried")
	require.Equal(t, got.PlatformResults["mastodon"], again.PlatformResults["mastodon"])
	waiting := b.queue.waiting()
	require.Len(t, waiting, 1)
	require.Equal(t, service.Platform("discord"), waiting[0].Platform)

	b.runDue(t)
	got = b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.True(t, got.PlatformResults["discord"].Success)
	require.Equal(t, firstPublishedAt, *got.PublishedAt, "published_at is when it first went out")
	require.Len(t, b.platforms["mastodon"].published(), 1)
	require.Len(t, b.platforms["slack"].published(), 1)
	require.Len(t, b.platforms["discord"].published(), 1)

	types, _ := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostPublished, service.EventPostPublished}, types)
}

func TestAllPlatformsFailing(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon", "discord"}})
	b.platforms["mastodon"].fail(permanent("Validation failed: Text character limit of 500 exceeded"))
	b.platforms["discord"].fail(permanent("Cannot send an empty message"))

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostFailed, got.Status)
	require.Nil(t, got.PublishedAt)
	types, events := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostFailed}, types)
	status, results := eventPost(t, events[0])
	require.Equal(t, "failed", status)
	require.False(t, results["mastodon"].Success)

	// A failed post can be published again, and now succeeds.
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

func TestTransientFailuresAreRetriedWithBackoff(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon"}})
	b.platforms["mastodon"].fail(transient("Service Unavailable", 0), transient("Too Many Requests", time.Minute))

	b.publish(t, b.live, p.ID)
	job := b.queue.waiting()[0]
	retryIn, err := b.svc.RunPublishJob(b.ctx, job)
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, retryIn, "the first backoff")
	a := b.attempts(t, p, "mastodon")[0]
	require.Equal(t, service.AttemptPending, a.State)
	require.Equal(t, 1, a.Tries)
	require.Equal(t, "Service Unavailable (HTTP 503)", a.Error)
	require.Equal(t, service.PostPublishing, b.post(t, b.live, p.ID).Status)

	retryIn, err = b.svc.RunPublishJob(b.ctx, job)
	require.NoError(t, err)
	require.Equal(t, time.Minute, retryIn, "the platform's Retry-After, longer than the backoff")

	retryIn, err = b.svc.RunPublishJob(b.ctx, job)
	require.NoError(t, err)
	require.Zero(t, retryIn)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Equal(t, 3, b.attempts(t, p, "mastodon")[0].Tries)
	require.Len(t, b.platforms["mastodon"].published(), 1)
}

func TestTransientFailuresGiveUpAfterMaxTries(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon"}})
	b.platforms["mastodon"].fail(transient("Bad Gateway", 0), transient("Bad Gateway", 0), transient("Bad Gateway", 0))

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Equal(t, service.PostPublishing, b.post(t, b.live, p.ID).Status)
	b.clock.Advance(10 * time.Second)
	b.runDue(t)
	b.clock.Advance(20 * time.Second)
	b.runDue(t)

	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostFailed, got.Status)
	require.Equal(t, "Bad Gateway (HTTP 503) (gave up after 3 tries)", got.PlatformResults["mastodon"].Error)
	require.Equal(t, 3, b.platforms["mastodon"].callCount())
}

func TestRejectedTokenDeactivatesTheAccount(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon"}})
	b.platforms["mastodon"].fail(&platform.Error{Kind: platform.TokenRejected, Status: 401, Message: "The access token is invalid"})

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostFailed, got.Status)
	require.Equal(t, "The access token is invalid (HTTP 401)", got.PlatformResults["mastodon"].Error)

	accounts, err := b.svc.ListAccounts(b.ctx, b.live)
	require.NoError(t, err)
	require.False(t, accounts[0].IsActive)
	types, events := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventAccountDisconnected, service.EventPostFailed}, types)
	require.Contains(t, string(events[0].Data), "The access token is invalid")

	// The platform has no active account now: publishing again is refused up front.
	_, err = b.svc.PublishPost(b.ctx, b.live, p.ID)
	requireProblems(t, err, problem{"/platforms/0", "mastodon"})
}

func TestThreadsAreReplyChainsWhereThePlatformHasReplies(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "telegram", "discord")
	p := b.createPost(t, b.live, service.PostInput{
		Content:   "1/3 the thread",
		Platforms: []service.Platform{"telegram", "discord"},
		Segments: []service.Segment{
			{Content: "2/3", Media: service.Media{Images: []service.Image{{URL: "https://cdn.example/a.png", AltText: new("a cat")}}}},
			{Content: "3/3", Media: service.Media{Video: &service.Video{URL: "https://cdn.example/v.mp4"}}},
		},
	})
	b.publish(t, b.live, p.ID)
	b.runDue(t)

	tg := b.platforms["telegram"].published()
	require.Len(t, tg, 3)
	require.Equal(t, []string{"1/3 the thread", "2/3", "3/3"}, []string{tg[0].Text, tg[1].Text, tg[2].Text})
	require.Nil(t, tg[0].ReplyTo)
	require.Equal(t, "telegram-1", tg[1].ReplyTo.ID)
	require.Equal(t, "telegram-1", tg[1].Root.ID)
	require.Equal(t, "telegram-2", tg[2].ReplyTo.ID)
	require.Equal(t, "telegram-1", tg[2].Root.ID)
	require.Equal(t, []platform.Image{{URL: "https://cdn.example/a.png", AltText: "a cat"}}, tg[1].Images)
	require.Equal(t, "https://cdn.example/v.mp4", tg[2].VideoURL)
	require.Equal(t, p.ID+":telegram:2", tg[2].IdempotencyKey)

	disc := b.platforms["discord"].published()
	require.Len(t, disc, 3, "one message per part, in order")
	for _, m := range disc {
		require.Nil(t, m.ReplyTo)
		require.Nil(t, m.Root)
	}
	require.Equal(t, "3/3", disc[2].Text)

	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PlatformResult{Success: true, PostID: "telegram-1", PostURL: "https://telegram.example/p/1"},
		got.PlatformResults["telegram"], "the result is the thread's first post")
}

func TestAThreadResumesWhereItStopped(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon")
	p := b.createPost(t, b.live, service.PostInput{
		Platforms: []service.Platform{"mastodon"},
		Segments:  []service.Segment{{Content: "second"}, {Content: "third"}},
	})
	masto := b.platforms["mastodon"]
	masto.fail(nil, permanent("Validation failed"))

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostFailed, got.Status)
	require.Len(t, masto.published(), 1)

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	got = b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	posts := masto.published()
	require.Len(t, posts, 3, "the first part is not sent again")
	require.Equal(t, "second", posts[1].Text)
	require.Equal(t, "mastodon-1", posts[1].ReplyTo.ID)
	require.Equal(t, "mastodon-2", posts[2].ReplyTo.ID)
	require.Equal(t, "mastodon-1", got.PlatformResults["mastodon"].PostID)
}

func TestCrossLinkingPublishesThePrimaryFirst(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord", "slack")
	preset, err := b.svc.CreatePreset(b.ctx, b.live, service.PresetInput{
		Name: "Fediverse first", Platforms: []service.Platform{"mastodon", "discord", "slack"},
		PrimaryPlatform: new(service.Platform("mastodon")), CrossLinkEnabled: true,
		CrossLinkTemplate: new("{title} ({excerpt}) is on {platform}: {link}"),
	})
	require.NoError(t, err)
	content := "Big news\nWe shipped the thing that everyone has been asking for since the very first day, and it is fast."
	p := b.createPost(t, b.live, service.PostInput{Content: content, PresetID: &preset.ID})

	b.publish(t, b.live, p.ID)
	waiting := b.queue.waiting()
	require.Len(t, waiting, 1, "only the primary starts")
	require.Equal(t, service.Platform("mastodon"), waiting[0].Platform)
	require.Equal(t, []service.Platform{"discord", "slack"}, waiting[0].Then)

	b.runDue(t)
	require.Equal(t, content, b.platforms["mastodon"].published()[0].Text)
	link := "Big news (Big news We shipped the thing that everyone has been asking for since the very first day, and it is…)" +
		" is on Mastodon: https://mastodon.example/p/1"
	for _, pl := range []service.Platform{"discord", "slack"} {
		posts := b.platforms[pl].published()
		require.Len(t, posts, 1)
		require.Equal(t, content+"\n\n"+link, posts[0].Text, pl)
	}
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

func TestCrossLinkingWithoutAPrimaryPost(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	preset, err := b.svc.CreatePreset(b.ctx, b.live, service.PresetInput{
		Name: "Fediverse first", Platforms: []service.Platform{"mastodon", "discord"},
		PrimaryPlatform: new(service.Platform("mastodon")), CrossLinkEnabled: true,
	})
	require.NoError(t, err)
	p := b.createPost(t, b.live, service.PostInput{Content: "No link today", PresetID: &preset.ID})
	b.platforms["mastodon"].fail(permanent("Validation failed"))

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Equal(t, "No link today", b.platforms["discord"].published()[0].Text, "the others go out without the link")
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.False(t, got.PlatformResults["mastodon"].Success)

	// Retrying the primary alone does not post the others again.
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Len(t, b.platforms["discord"].published(), 1)
	require.Len(t, b.platforms["mastodon"].published(), 1)
}

func TestCrossLinkLeftOffWhenItWouldNotFit(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	b.connect(t, b.live, "mastodon", platform.Credentials{"max_characters": "5000"})
	preset, err := b.svc.CreatePreset(b.ctx, b.live, service.PresetInput{
		Name: "p", Platforms: []service.Platform{"mastodon", "discord"},
		PrimaryPlatform: new(service.Platform("mastodon")), CrossLinkEnabled: true,
	})
	require.NoError(t, err)
	content := strings.Repeat("x", 1990) // Discord allows 2000: no room for the link
	p := b.createPost(t, b.live, service.PostInput{Content: content, PresetID: &preset.ID})

	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Equal(t, content, b.platforms["discord"].published()[0].Text)
	require.True(t, b.post(t, b.live, p.ID).PlatformResults["discord"].Success)
}

func TestTestModePublishesToTheSandbox(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	for _, pl := range []service.Platform{"twitter", "instagram"} {
		b.connect(t, b.test, pl, nil)
	}
	p := b.createPost(t, b.test, service.PostInput{
		Platforms: []service.Platform{"twitter", "instagram"},
		Media:     service.Media{Images: []service.Image{{URL: "https://cdn.example/a.png"}}},
	})
	b.publish(t, b.test, p.ID)
	b.runDue(t)

	got := b.post(t, b.test, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.True(t, strings.HasPrefix(got.PlatformResults["twitter"].PostURL, "https://x.com/i/status/"))
	require.True(t, strings.HasPrefix(got.PlatformResults["instagram"].PostURL, "https://www.instagram.com/p/"))
	for _, f := range b.platforms {
		require.Zero(t, f.callCount(), "test mode never reaches a live adapter")
	}
}

// A sandbox account's posts are at its own address: the handle and id it was given when it
// connected, not a fixed sandbox identity.
func TestTestModePostsNameTheAccount(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	bluesky := b.connect(t, b.test, "bluesky", nil)
	tiktok := b.connect(t, b.test, "tiktok", nil)
	text := b.createPost(t, b.test, service.PostInput{Platforms: []service.Platform{"bluesky"}})
	video := b.createPost(t, b.test, service.PostInput{
		Platforms: []service.Platform{"tiktok"},
		Media:     service.Media{Video: &service.Video{URL: "https://cdn.example/v.mp4"}},
	})
	b.publish(t, b.test, text.ID)
	b.publish(t, b.test, video.ID)
	b.runDue(t)

	got := b.post(t, b.test, text.ID).PlatformResults
	require.True(t, strings.HasPrefix(got["bluesky"].PostID, "at://"+bluesky.PlatformUserID+"/"), got["bluesky"].PostID)
	require.True(t, strings.HasPrefix(got["bluesky"].PostURL, "https://bsky.app/profile/"+bluesky.Username+"/post/"), got["bluesky"].PostURL)
	got = b.post(t, b.test, video.ID).PlatformResults
	require.Equal(t, "https://www.tiktok.com/@"+tiktok.Username+"/video/"+got["tiktok"].PostID, got["tiktok"].PostURL)
}

func TestTestModeSimulatedFailures(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	for pl, sim := range map[service.Platform]service.Simulate{
		"mastodon": service.SimulateTokenExpired, "bluesky": service.SimulateRateLimited, "discord": service.SimulateNone,
	} {
		a := b.connect(t, b.test, pl, nil)
		a.Simulate = sim
		require.NoError(t, b.store.UpdateAccount(b.ctx, a))
	}
	p := b.createPost(t, b.test, service.PostInput{Platforms: []service.Platform{"mastodon", "bluesky", "discord"}})
	b.publish(t, b.test, p.ID)
	jobs := b.queue.waiting()

	retryIn, err := b.svc.RunPublishJob(b.ctx, jobs[1])
	require.NoError(t, err)
	require.Equal(t, 30*time.Second, retryIn, "the sandbox's Retry-After")

	b.runDue(t)
	b.clock.Advance(time.Hour)
	b.runDue(t)
	got := b.post(t, b.test, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Contains(t, got.PlatformResults["mastodon"].Error, "expired")
	require.Contains(t, got.PlatformResults["bluesky"].Error, "gave up after 3 tries")
	require.True(t, got.PlatformResults["discord"].Success)
	types, _ := b.events(t, b.test)
	require.Equal(t, []service.EventType{service.EventAccountDisconnected, service.EventPostPublished}, types)
	liveTypes, _ := b.events(t, b.live)
	require.Empty(t, liveTypes)
}

func TestConcurrentPlatformJobsSettleThePostOnce(t *testing.T) {
	t.Parallel()
	// Three jobs: the SQLite store's pool has four connections, and a transaction that
	// prepares a statement for the first time borrows another one.
	b := newPublishBundle(t, "mastodon", "discord", "slack")
	platforms := []service.Platform{"mastodon", "discord", "slack"}
	p := b.createPost(t, b.live, service.PostInput{Platforms: platforms})
	b.publish(t, b.live, p.ID)

	jobs := b.queue.waiting()
	errs := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() {
			_, err := b.svc.RunPublishJob(b.ctx, j)
			errs <- err
		}()
	}
	for range jobs {
		require.NoError(t, <-errs)
	}
	got := b.post(t, b.live, p.ID)
	require.Equal(t, service.PostPublished, got.Status)
	require.Len(t, got.PlatformResults, len(platforms))
	types, _ := b.events(t, b.live)
	require.Equal(t, []service.EventType{service.EventPostPublished}, types)
}

func TestAnAccountsLastUseIsWrittenAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "discord")
	lastUsed := func() time.Time {
		accounts, err := b.svc.ListAccounts(b.ctx, b.live)
		require.NoError(t, err)
		require.Len(t, accounts, 1)
		require.NotNil(t, accounts[0].LastUsedAt)
		return *accounts[0].LastUsedAt
	}
	publish := func() {
		p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"discord"}})
		b.publish(t, b.live, p.ID)
		b.runDue(t)
		require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
	}

	publish()
	first := b.clock.Now()
	require.Equal(t, first, lastUsed())
	// A burst of posts through one account writes its row once, not once per post.
	b.clock.Advance(59 * time.Second)
	publish()
	require.Equal(t, first, lastUsed(), "used again within the minute: not written")
	b.clock.Advance(time.Second)
	publish()
	require.Equal(t, b.clock.Now(), lastUsed(), "a minute later: written")
}
