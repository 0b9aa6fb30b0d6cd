package service_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

// overrides is platform_content giving each platform of entries its own text.
func overrides(entries map[service.Platform]string) map[service.Platform]service.PlatformContent {
	out := map[service.Platform]service.PlatformContent{}
	for pl, text := range entries {
		out[pl] = service.PlatformContent{Content: new(text)}
	}
	return out
}

func images(n int) []service.Image {
	out := make([]service.Image, n)
	for i := range out {
		out[i] = service.Image{URL: "https://cdn.example/" + strings.Repeat("i", i+1) + ".png"}
	}
	return out
}

// A platform's limit is checked on the text it will get: 400 characters fit Mastodon (500)
// and not X (280), and the post's own text, too long for X, is no problem on X once X has
// its own.
func TestPlatformContentIsCheckedAgainstEachPlatformsLimit(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "twitter", "mastodon", "discord")
	long := strings.Repeat("a", 400)
	p := b.createPost(t, b.live, service.PostInput{
		Content:         "Launch day",
		Platforms:       []service.Platform{"twitter", "mastodon", "discord"},
		PlatformContent: overrides(map[service.Platform]string{"twitter": long, "mastodon": long}),
	})
	_, err := b.svc.PublishPost(b.ctx, b.live, p.ID)
	fields := requireProblems(t, err, problem{"/platform_content/twitter/content", "twitter"})
	require.Contains(t, fields[0].Message, "280")
	require.Empty(t, b.queue.waiting())

	// The post's own text over X's limit, and X's own within it.
	p, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{
		Content:         service.Some(strings.Repeat("b", 300)),
		PlatformContent: service.Some(overrides(map[service.Platform]string{"twitter": "Launch day #octopost", "mastodon": long})),
	})
	require.NoError(t, err)
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	for pl, want := range map[service.Platform]string{
		"twitter": "Launch day #octopost", "mastodon": long, "discord": strings.Repeat("b", 300),
	} {
		posts := b.platforms[pl].published()
		require.Len(t, posts, 1, pl)
		require.Equal(t, want, posts[0].Text, pl)
	}
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

// An entry's media replaces the post's on its platform, an empty one sending none, and the
// platform's media rules apply to it, named by the entry's path.
func TestPlatformContentMediaIsCheckedAndSent(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "bluesky", "instagram", "discord", "mastodon")
	p := b.createPost(t, b.live, service.PostInput{
		Content:   "Photos from the launch",
		Platforms: []service.Platform{"bluesky", "instagram", "discord", "mastodon"},
		Media:     service.Media{Images: images(2)},
		PlatformContent: map[service.Platform]service.PlatformContent{
			"bluesky":   {Media: &service.Media{Images: images(5)}},                     // Bluesky takes 4
			"instagram": {Content: new("Launch, in pictures"), Media: &service.Media{}}, // Instagram needs media
			"discord":   {Media: &service.Media{}},
		},
	})
	_, err := b.svc.PublishPost(b.ctx, b.live, p.ID)
	requireProblems(t, err,
		problem{"/platform_content/bluesky/media/images", "bluesky"},
		problem{"/platform_content/instagram/media", "instagram"},
	)

	p, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{
		PlatformContent: service.Some(map[service.Platform]service.PlatformContent{
			"bluesky": {Media: &service.Media{Images: images(3)}},
			"discord": {Media: &service.Media{}},
		}),
	})
	require.NoError(t, err)
	require.NotContains(t, p.PlatformContent, service.Platform("instagram"), "the whole object is replaced")
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	for pl, want := range map[service.Platform]int{"bluesky": 3, "instagram": 2, "discord": 0, "mastodon": 2} {
		posts := b.platforms[pl].published()
		require.Len(t, posts, 1, pl)
		require.Len(t, posts[0].Images, want, pl)
		require.Equal(t, "Photos from the launch", posts[0].Text, "%s: only the media is its own", pl)
	}
}

// Keys must be among the post's platforms, a preset's once resolved; an update checks them
// against the post as updated, and {} removes every entry.
func TestPlatformContentKeysAreThePostsPlatforms(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	_, err := b.svc.CreatePost(b.ctx, b.live, service.PostInput{
		Content: "Hi", Platforms: []service.Platform{"mastodon"},
		PlatformContent: overrides(map[service.Platform]string{"tiktok": "x", "mastodon": "y", "bluesky": "z"}),
	})
	fields := requireFields(t, err, "/platform_content/bluesky", "/platform_content/tiktok")
	require.Equal(t, "tiktok is not one of this post's platforms", fields[1].Message)

	// The Professional preset's platforms are LinkedIn and X.
	p := b.createPost(t, b.live, service.PostInput{
		Content: "Hi", PresetID: new("preset_sys_professional"),
		PlatformContent: overrides(map[service.Platform]string{"linkedin": "A longer text for LinkedIn"}),
	})
	require.Equal(t, "A longer text for LinkedIn", *p.PlatformContent["linkedin"].Content)

	_, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{Platforms: service.Some([]service.Platform{"twitter"})})
	requireFields(t, err, "/platform_content/linkedin")

	p, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{
		Platforms:       service.Some([]service.Platform{"twitter"}),
		PlatformContent: service.Some(map[service.Platform]service.PlatformContent{}),
	})
	require.NoError(t, err)
	require.Nil(t, p.PlatformContent)
	require.Nil(t, b.post(t, b.live, p.ID).PlatformContent, "none, not an empty set")
}

// The preset's cross-link is appended to a platform's own text and left off when it would
// not fit that text's platform; {title} is the primary platform's text, the post the link
// leads to.
func TestCrossLinkIsAppendedToThePlatformsOwnText(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord", "slack")
	preset, err := b.svc.CreatePreset(b.ctx, b.live, service.PresetInput{
		Name: "Fediverse first", Platforms: []service.Platform{"mastodon", "discord", "slack"},
		PrimaryPlatform: new(service.Platform("mastodon")), CrossLinkEnabled: true,
		CrossLinkTemplate: new("{title} on {platform}: {link}"),
	})
	require.NoError(t, err)
	tooLongForALink := strings.Repeat("d", 1990) // Discord takes 2000
	p := b.createPost(t, b.live, service.PostInput{
		Content: "Big news", PresetID: &preset.ID,
		PlatformContent: overrides(map[service.Platform]string{
			"mastodon": "The whole story\nwith every detail",
			"slack":    "Short for Slack",
			"discord":  tooLongForALink,
		}),
	})
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Equal(t, "The whole story\nwith every detail", b.platforms["mastodon"].published()[0].Text)
	require.Equal(t, "Short for Slack\n\nThe whole story on Mastodon: https://mastodon.example/p/1", b.platforms["slack"].published()[0].Text)
	require.Equal(t, tooLongForALink, b.platforms["discord"].published()[0].Text)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)
}

// In a thread, an entry replaces the first message; the replies are the same everywhere.
func TestPlatformContentReplacesAThreadsFirstMessage(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "bluesky")
	p := b.createPost(t, b.live, service.PostInput{
		Content: "1/ The plan", Platforms: []service.Platform{"mastodon", "bluesky"},
		Segments:        []service.Segment{{Content: "2/ The details"}},
		PlatformContent: overrides(map[service.Platform]string{"mastodon": "1/ The plan, at length"}),
	})
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	texts := func(pl service.Platform) []string {
		var out []string
		for _, post := range b.platforms[pl].published() {
			out = append(out, post.Text)
		}
		return out
	}
	require.Equal(t, []string{"1/ The plan, at length", "2/ The details"}, texts("mastodon"))
	require.Equal(t, []string{"1/ The plan", "2/ The details"}, texts("bluesky"))
}
