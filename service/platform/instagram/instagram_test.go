package instagram

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

type bundle struct {
	fake    *fake.Instagram
	adapter *Adapter
	creds   platform.Credentials
}

func setup(t *testing.T) *bundle {
	t.Helper()
	f := fake.NewInstagram(t)
	a := New(netpolicy.Client(true, 5*time.Second), f.URL)
	a.PollInterval = time.Millisecond
	return &bundle{fake: f, adapter: a, creds: platform.Credentials{KeyAccessToken: f.IssueToken(), KeyUserID: f.User.ID}}
}

func images(urls ...string) []platform.Image {
	out := make([]platform.Image, len(urls))
	for i, u := range urls {
		out[i] = platform.Image{URL: u, AltText: "alt " + u}
	}
	return out
}

func options(postType string) json.RawMessage {
	return json.RawMessage(`{"post_type":"` + postType + `"}`)
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := b.creds[KeyAccessToken]
	profile, creds, err := b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: token})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID: b.fake.User.ID, Username: b.fake.User.Username, DisplayName: b.fake.User.Name, AvatarURL: b.fake.User.PictureURL,
	}, profile, "the account is its user_id, not the node's app-scoped id")
	require.NotEqual(t, b.fake.AppScopedID, profile.UserID)
	require.Equal(t, b.creds, creds, "the user id is stored with the token")

	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: "not-a-token"})
	pe := requireErrKind(t, err, platform.InvalidCredentials, "not-a-token")
	require.Equal(t, http.StatusBadRequest, pe.Status)
	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{})
	requireErrKind(t, err, platform.InvalidCredentials)
	require.Equal(t, 2, b.fake.Calls("/v21.0/me"))
}

func TestPublishPostTypes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SetProcessing(3)
	publish := func(p platform.Post) platform.Ref {
		t.Helper()
		ref, _, err := b.adapter.Publish(t.Context(), b.creds, p)
		require.NoError(t, err)
		return ref
	}

	// The defaults: one image a feed post, a video a reel, several items a carousel.
	feed := publish(platform.Post{Text: "one image #octopost", Images: images("https://img.example/a.jpg")})
	reel := publish(platform.Post{Text: "a video", VideoURL: "https://img.example/v.mp4"})
	carousel := publish(platform.Post{Text: "three", Images: images("https://img.example/1.jpg", "https://img.example/2.jpg"), VideoURL: "https://img.example/v.mp4"})
	// Chosen by options.
	story := publish(platform.Post{Text: "not shown", Images: images("https://img.example/s.jpg"), Options: options(PostStory)})
	videoStory := publish(platform.Post{Text: "not shown", VideoURL: "https://img.example/s.mp4", Options: options(PostStory)})

	media := b.fake.Media()
	require.Len(t, media, 5)
	require.Equal(t, platform.Ref{ID: media[0].ID, URL: media[0].Permalink}, feed)
	require.True(t, strings.HasPrefix(feed.URL, "https://www.instagram.com/p/"), feed.URL)
	require.Equal(t, "", media[0].Container.MediaType, "a feed image is image_url alone")
	require.Equal(t, "https://img.example/a.jpg", media[0].Container.ImageURL)
	require.Equal(t, "one image #octopost", media[0].Container.Caption)

	require.True(t, strings.HasPrefix(reel.URL, "https://www.instagram.com/reel/"), reel.URL)
	require.Equal(t, "REELS", media[1].Container.MediaType)
	require.Equal(t, "https://img.example/v.mp4", media[1].Container.VideoURL)

	require.Equal(t, carousel.ID, media[2].ID)
	require.Equal(t, "CAROUSEL", media[2].Container.MediaType)
	require.Equal(t, "three", media[2].Container.Caption)
	require.Len(t, media[2].Items, 3)
	require.Equal(t, "https://img.example/1.jpg", media[2].Items[0].ImageURL)
	require.Equal(t, "https://img.example/2.jpg", media[2].Items[1].ImageURL)
	require.Equal(t, "VIDEO", media[2].Items[2].MediaType)
	for _, item := range media[2].Items {
		require.True(t, item.IsCarouselItem)
		require.False(t, item.HasCaption)
	}

	require.Equal(t, "STORIES", media[3].Container.MediaType)
	require.False(t, media[3].Container.HasCaption, "stories take no caption")
	require.Equal(t, "https://www.instagram.com/stories/octoposter/"+story.ID+"/", story.URL)
	require.Equal(t, "https://img.example/s.mp4", media[4].Container.VideoURL)
	require.Equal(t, "STORIES", media[4].Container.MediaType)
	require.Equal(t, media[4].ID, videoStory.ID)
}

func TestPublishRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for name, p := range map[string]platform.Post{
		"text only (a thread's segment without media)": {Text: "just words"},
		"feed with two images":                         {Text: "x", Images: images("https://i.example/1.jpg", "https://i.example/2.jpg"), Options: options(PostFeed)},
		"reel without a video":                         {Text: "x", Images: images("https://i.example/1.jpg"), Options: options(PostReel)},
		"reel with images too":                         {Text: "x", Images: images("https://i.example/1.jpg"), VideoURL: "https://i.example/v.mp4", Options: options(PostReel)},
		"carousel of one":                              {Text: "x", Images: images("https://i.example/1.jpg"), Options: options(PostCarousel)},
		"story of two":                                 {Text: "x", Images: images("https://i.example/1.jpg"), VideoURL: "https://i.example/v.mp4", Options: options(PostStory)},
		"eleven items":                                 {Text: "x", Images: images(strings.Split(strings.Repeat("https://i.example/x.jpg ", 11), " ")[:11]...)},
		"unknown option":                               {Text: "x", Images: images("https://i.example/1.jpg"), Options: json.RawMessage(`{"kind":"feed"}`)},
	} {
		_, _, err := b.adapter.Publish(t.Context(), b.creds, p)
		pe := requireErrKind(t, err, platform.Permanent)
		require.True(t, strings.HasPrefix(pe.Message, "Instagram: "), name+": "+pe.Message)
	}
	require.Zero(t, b.fake.Containers())
	require.Zero(t, b.fake.Calls("/v21.0/me"))
}

func TestPublishFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := b.creds[KeyAccessToken]
	post := func(p platform.Post) error {
		_, _, err := b.adapter.Publish(t.Context(), b.creds, p)
		return err
	}
	img := images("https://img.example/a.jpg")

	// Instagram's checks at container creation are Permanent, with its reason.
	pe := requireErrKind(t, post(platform.Post{Text: strings.Repeat("#tag ", 31), Images: img}), platform.Permanent, token)
	require.Contains(t, pe.Message, "30 hashtags")
	require.NoError(t, post(platform.Post{Text: strings.Repeat("#tag ", 30), Images: img}))

	// Media Instagram could not fetch: Permanent, with its status text.
	b.fake.FailMedia("https://img.example/broken.jpg", "the media could not be fetched")
	pe = requireErrKind(t, post(platform.Post{Text: "x", Images: images("https://img.example/broken.jpg")}), platform.Permanent, token)
	require.Contains(t, pe.Message, "could not be fetched")

	// Still processing when the wait runs out: Transient, nothing published.
	b.fake.SetProcessing(1000)
	slow := *b.adapter
	slow.MaxWait = 20 * time.Millisecond
	_, _, err := slow.Publish(t.Context(), b.creds, platform.Post{Text: "slow", VideoURL: "https://img.example/v.mp4"})
	requireErrKind(t, err, platform.Transient, token)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "slow", VideoURL: "https://img.example/v.mp4"})
	require.Error(t, err)
	require.Len(t, b.fake.Media(), 1)
	b.fake.SetProcessing(0)

	// A 5xx is Transient; a scripted 429 is Transient with Meta's estimate.
	b.fake.FailNext("/v21.0/"+b.fake.User.ID+"/media", 1, http.StatusInternalServerError)
	requireErrKind(t, post(platform.Post{Text: "outage", Images: img}), platform.Transient, token)
	b.fake.FailNext("/v21.0/"+b.fake.User.ID+"/media_publish", 1, http.StatusTooManyRequests)
	pe = requireErrKind(t, post(platform.Post{Text: "busy", Images: img}), platform.Transient, token)
	require.Equal(t, 5*time.Minute, pe.RetryAfter)

	// 50 API posts a day: code 9 (subcode 2207042), retried when the oldest leaves the window.
	b.fake.FillQuota(50 - len(b.fake.Media()))
	pe = requireErrKind(t, post(platform.Post{Text: "one too many", Images: img}), platform.Transient, token)
	require.Equal(t, http.StatusBadRequest, pe.Status)
	require.InDelta(t, (24 * time.Hour).Minutes(), pe.RetryAfter.Minutes(), 2)
	b.fake.Advance(24 * time.Hour)
	require.NoError(t, post(platform.Post{Text: "a day later", Images: img}))

	// An expired or missing token is TokenRejected.
	b.fake.Advance(61 * 24 * time.Hour)
	requireErrKind(t, post(platform.Post{Text: "expired", Images: img}), platform.TokenRejected, token)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{}, platform.Post{Text: "no token", Images: img})
	requireErrKind(t, err, platform.TokenRejected)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{KeyAccessToken: "unknown-token"}, platform.Post{Text: "no user id", Images: img})
	requireErrKind(t, err, platform.TokenRejected, "unknown-token")
}

func TestPublishReadsTheUserIDWhenMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref, creds, err := b.adapter.Publish(t.Context(), platform.Credentials{KeyAccessToken: b.creds[KeyAccessToken]},
		platform.Post{Text: "x", Images: images("https://img.example/a.jpg")})
	require.NoError(t, err)
	require.Equal(t, b.creds, creds, "the user id read is handed back to be stored")
	require.NotEmpty(t, ref.URL)
}

func TestOptions(t *testing.T) {
	t.Parallel()
	one := images("https://i.example/1.jpg")
	two := images("https://i.example/1.jpg", "https://i.example/2.jpg")
	video := "https://i.example/v.mp4"
	for _, c := range []struct {
		name, raw string
		post      platform.Post
		problem   string // the message's start; empty when accepted
	}{
		{"feed of one image", `{"post_type":"feed"}`, platform.Post{Images: one}, ""},
		{"feed of two", `{"post_type":"feed"}`, platform.Post{Images: two}, "a feed post is exactly one image"},
		{"feed of a video", `{"post_type":"feed"}`, platform.Post{VideoURL: video}, "a feed post is exactly one image"},
		{"carousel of two", `{"post_type":"carousel"}`, platform.Post{Images: two}, ""},
		{"carousel of an image and a video", `{"post_type":"carousel"}`, platform.Post{Images: one, VideoURL: video}, ""},
		{"carousel of one", `{"post_type":"carousel"}`, platform.Post{Images: one}, "a carousel takes 2 to 10"},
		{"reel", `{"post_type":"reel"}`, platform.Post{VideoURL: video}, ""},
		{"reel with an image", `{"post_type":"reel"}`, platform.Post{Images: one, VideoURL: video}, "a reel is a video alone"},
		{"reel without a video", `{"post_type":"reel"}`, platform.Post{Images: one}, "a reel is a video alone"},
		{"story of an image", `{"post_type":"story"}`, platform.Post{Images: one}, ""},
		{"story of a video", `{"post_type":"story"}`, platform.Post{VideoURL: video}, ""},
		{"story of two", `{"post_type":"story"}`, platform.Post{Images: two}, "a story is exactly one image or one video"},
		{"unknown type", `{"post_type":"igtv"}`, platform.Post{Images: one}, "must be one of feed, carousel, reel, story"},
		{"no type", `{}`, platform.Post{Images: two}, ""},
		{"null", `null`, platform.Post{Images: one}, ""},
		{"no media: left to the media rule", `{"post_type":"reel"}`, platform.Post{}, ""},
	} {
		problems := Spec.Options(json.RawMessage(c.raw), c.post)
		if c.problem == "" {
			require.Empty(t, problems, c.name)
			continue
		}
		require.Len(t, problems, 1, c.name)
		require.Equal(t, "/post_type", problems[0].Path, c.name)
		require.True(t, strings.HasPrefix(problems[0].Message, c.problem), "%s: %s", c.name, problems[0].Message)
	}
	problems := Spec.Options(json.RawMessage(`{"visibility":"public"}`), platform.Post{Images: one})
	require.Equal(t, []platform.OptionProblem{{Message: "must be an object with post_type"}}, problems)
}
