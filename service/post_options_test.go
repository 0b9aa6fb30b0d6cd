package service_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// requireOptionProblems checks that err is a validation error naming exactly fields, in
// order, and returns its messages.
func requireOptionProblems(t *testing.T, err error, fields ...string) []string {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindValidation, se.Kind, "%v", err)
	var got, messages []string
	for _, f := range se.Fields {
		got = append(got, f.Field)
		messages = append(messages, f.Message)
	}
	require.Equal(t, fields, got, "%v", err)
	return messages
}

func TestPostOptionsMustBeForThePostsPlatforms(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t)
	mastodon := map[service.Platform]json.RawMessage{"mastodon": json.RawMessage(`{"visibility":"unlisted"}`)}

	_, err := b.svc.CreatePost(b.ctx, b.live, service.PostInput{
		Content: "hi", Platforms: []service.Platform{"bluesky"},
		PlatformOptions: map[service.Platform]json.RawMessage{"tiktok": json.RawMessage(`{}`), "mastodon": json.RawMessage(`{}`)},
	})
	messages := requireOptionProblems(t, err, "/platform_options/mastodon", "/platform_options/tiktok")
	require.Equal(t, []string{"mastodon is not one of this post's platforms", "tiktok is not one of this post's platforms"}, messages)

	// A preset's platforms are the post's: known at create.
	_, err = b.svc.CreatePost(b.ctx, b.live, service.PostInput{Content: "hi", PresetID: new("preset_sys_professional"), PlatformOptions: mastodon})
	requireOptionProblems(t, err, "/platform_options/mastodon")

	// Mastodon's own check runs too (the API's schema would have refused these first).
	_, err = b.svc.CreatePost(b.ctx, b.live, service.PostInput{
		Content: "hi", Platforms: []service.Platform{"mastodon"},
		PlatformOptions: map[service.Platform]json.RawMessage{"mastodon": json.RawMessage(`{"visibility":"followers","spoiler_text":"` + strings.Repeat("x", 501) + `"}`)},
	})
	requireOptionProblems(t, err, "/platform_options/mastodon/visibility", "/platform_options/mastodon/spoiler_text")

	p := b.createPost(t, b.live, service.PostInput{Platforms: []service.Platform{"mastodon", "bluesky"}, PlatformOptions: mastodon})
	require.Equal(t, mastodon, p.PlatformOptions)
	require.Equal(t, mastodon, b.post(t, b.live, p.ID).PlatformOptions, "stored as given")

	_, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{Platforms: service.Some([]service.Platform{"bluesky"})})
	requireOptionProblems(t, err, "/platform_options/mastodon")
	updated, err := b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{
		Platforms:       service.Some([]service.Platform{"bluesky"}),
		PlatformOptions: service.Some(map[service.Platform]json.RawMessage{}),
	})
	require.NoError(t, err)
	require.Nil(t, updated.PlatformOptions, "empty options are none")
	require.Equal(t, updated, b.post(t, b.live, p.ID))
}

func TestPublishCarriesEachPlatformsOptions(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "bluesky")
	opts := json.RawMessage(`{"visibility":"private","spoiler_text":"Episode 4"}`)
	p := b.createPost(t, b.live, service.PostInput{
		Content: "1/3", Platforms: []service.Platform{"mastodon", "bluesky"},
		Segments:        []service.Segment{{Content: "2/3"}, {Content: "3/3"}},
		PlatformOptions: map[service.Platform]json.RawMessage{"mastodon": opts},
	})
	b.publish(t, b.live, p.ID)
	b.runDue(t)
	require.Equal(t, service.PostPublished, b.post(t, b.live, p.ID).Status)

	toots := b.platforms["mastodon"].published()
	require.Len(t, toots, 3)
	for _, toot := range toots {
		require.JSONEq(t, string(opts), string(toot.Options), "every part of the thread: %s", toot.Text)
	}
	for _, post := range b.platforms["bluesky"].published() {
		require.Nil(t, post.Options, "a platform without an entry gets none")
	}
}

func TestPublishChecksImageLimits(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "bluesky", "discord", "tiktok")
	images := func(n int) []service.Image {
		out := make([]service.Image, n)
		for i := range out {
			out[i] = service.Image{URL: "https://cdn.example/" + string(rune('a'+i)) + ".png"}
		}
		return out
	}
	for _, sc := range []service.Scope{b.live, b.test} {
		if sc == b.test { // sandbox posts are checked the same
			for _, pl := range []service.Platform{"bluesky", "discord", "tiktok"} {
				b.connect(t, sc, pl, nil)
			}
		}
		// Bluesky takes 4 images, Discord 10; TikTok publishes the video alone, and the
		// images are for the other platforms.
		p := b.createPost(t, sc, service.PostInput{
			Platforms: []service.Platform{"bluesky", "discord", "tiktok"},
			Media:     service.Media{Images: images(5), Video: &service.Video{URL: "https://cdn.example/v.mp4"}},
		})
		_, err := b.svc.PublishPost(b.ctx, sc, p.ID)
		fields := requireProblems(t, err, problem{"/media/images", "bluesky"}, problem{"/media/video", "bluesky"})
		require.Equal(t, "bluesky: a post takes at most 4 images, not 5", fields[0].Message)

		thread := b.createPost(t, sc, service.PostInput{
			Platforms: []service.Platform{"bluesky", "discord"},
			Media:     service.Media{Images: images(4)},
			Segments:  []service.Segment{{Content: "more", Media: service.Media{Images: images(6)}}},
		})
		_, err = b.svc.PublishPost(b.ctx, sc, thread.ID)
		requireProblems(t, err, problem{"/segments/0/media/images", "bluesky"})

		fits := b.createPost(t, sc, service.PostInput{
			Platforms: []service.Platform{"bluesky", "discord"},
			Media:     service.Media{Images: images(4)},
		})
		b.publish(t, sc, fits.ID)
	}
}

// Options are checked again when a post is published: here a stored post's entry that
// Mastodon's Spec.Options refuses (written before a stricter check, say).
func TestPublishChecksTheOptions(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "discord")
	p := service.Post{
		ID: id.New(id.Post), Scope: b.live, Content: "hi", Platforms: []service.Platform{"mastodon", "discord"},
		Status: service.PostDraft, CreatedAt: b.clock.Now(), UpdatedAt: b.clock.Now(),
		PlatformOptions: map[service.Platform]json.RawMessage{"mastodon": json.RawMessage(`{"visibility":"secret"}`)},
	}
	require.NoError(t, b.store.CreatePost(b.ctx, p))

	_, err := b.svc.PublishPost(b.ctx, b.live, p.ID)
	fields := requireProblems(t, err, problem{"/platform_options/mastodon/visibility", "mastodon"})
	require.Equal(t, "mastodon: must be one of public, unlisted, private, direct", fields[0].Message)

	// And an update of anything checks them as well.
	_, err = b.svc.UpdatePost(b.ctx, b.live, p.ID, service.PostPatch{ScheduledFor: service.Some(new(b.clock.Now().Add(time.Hour)))})
	requireOptionProblems(t, err, "/platform_options/mastodon/visibility")
}

// A video goes only where the adapter publishes videos, and with images only where a post
// may carry both: elsewhere the post is refused up front, never sent without its video
// or some of its media.
func TestPublishChecksVideoSupport(t *testing.T) {
	t.Parallel()
	b := newPublishBundle(t, "mastodon", "twitter", "telegram")
	video := &service.Video{URL: "https://cdn.example/v.mp4"}
	image := []service.Image{{URL: "https://cdn.example/a.png"}}

	p := b.createPost(t, b.live, service.PostInput{
		Platforms: []service.Platform{"mastodon", "telegram"}, Media: service.Media{Video: video},
	})
	_, err := b.svc.PublishPost(b.ctx, b.live, p.ID)
	fields := requireProblems(t, err, problem{"/media/video", "mastodon"})
	require.Contains(t, fields[0].Message, "does not publish videos to Mastodon")

	both := b.createPost(t, b.live, service.PostInput{
		Platforms: []service.Platform{"twitter", "telegram"}, Media: service.Media{Video: video, Images: image},
	})
	_, err = b.svc.PublishPost(b.ctx, b.live, both.ID)
	fields = requireProblems(t, err, problem{"/media", "twitter"})
	require.Equal(t, "twitter: a post takes a video or images, not both", fields[0].Message)

	album := b.createPost(t, b.live, service.PostInput{
		Platforms: []service.Platform{"telegram"}, Media: service.Media{Video: video, Images: image},
	})
	b.publish(t, b.live, album.ID)
	b.runDue(t)
	require.True(t, b.post(t, b.live, album.ID).PlatformResults["telegram"].Success)
}
