package threads

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/metagraph"
)

type bundle struct {
	fake    *fake.Threads
	adapter *Adapter
	creds   platform.Credentials
}

func setup(t *testing.T) *bundle {
	t.Helper()
	f := fake.NewThreads(t)
	a := New(netpolicy.Client(true, 5*time.Second), f.URL)
	a.PollInterval = time.Millisecond
	return &bundle{fake: f, adapter: a, creds: platform.Credentials{KeyAccessToken: f.IssueToken(), KeyUserID: f.User.ID}}
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := b.creds[KeyAccessToken]
	profile, creds, err := b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: token})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID: b.fake.User.ID, Username: b.fake.User.Username, DisplayName: b.fake.User.Name, AvatarURL: b.fake.User.PictureURL,
	}, profile)
	require.Equal(t, b.creds, creds, "the user id is stored with the token")

	// Graph refuses a bad token with a 400 and code 190: still the token's fault.
	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: "not-a-token"})
	pe := requireErrKind(t, err, platform.InvalidCredentials, "not-a-token")
	require.Equal(t, http.StatusBadRequest, pe.Status)

	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{})
	requireErrKind(t, err, platform.InvalidCredentials)
	require.Equal(t, 2, b.fake.Calls("/v1.0/me"), "a missing token is refused before any request")
}

func TestPublishText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ref, creds, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "Hello from Octopost 😀"})
	require.NoError(t, err)
	require.Nil(t, creds, "publishing does not change the credentials")
	posts := b.fake.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, platform.Ref{ID: posts[0].ID, URL: posts[0].Permalink}, ref)
	require.True(t, strings.HasPrefix(ref.URL, "https://www.threads.net/@octoposter/post/"), ref.URL)
	require.Equal(t, "TEXT", posts[0].Container.MediaType)
	require.Equal(t, "Hello from Octopost 😀", posts[0].Container.Text)
	require.Empty(t, posts[0].Container.ReplyToID)

	// Credentials without the user id (an account connected with a token alone) read it
	// first, and hand it back to be stored.
	_, creds, err = b.adapter.Publish(t.Context(), platform.Credentials{KeyAccessToken: b.creds[KeyAccessToken]}, platform.Post{Text: "again"})
	require.NoError(t, err)
	require.Equal(t, b.creds, creds)
}

func TestPublishThread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "1/3"})
	require.NoError(t, err)
	second, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "2/3", ReplyTo: &first, Root: &first})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{
		Text: "3/3", ReplyTo: &second, Root: &first, Images: []platform.Image{{URL: "https://img.example/a.png"}},
	})
	require.NoError(t, err)
	posts := b.fake.Posts()
	require.Len(t, posts, 3)
	require.Equal(t, first.ID, posts[1].Container.ReplyToID, "each part replies to the previous one")
	require.Equal(t, second.ID, posts[2].Container.ReplyToID)
	require.Equal(t, "IMAGE", posts[2].Container.MediaType)

	// A reply to a post that is gone is refused by Threads at container creation.
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "4", ReplyTo: &platform.Ref{ID: "404"}})
	requireErrKind(t, err, platform.Permanent, b.creds[KeyAccessToken])
}

func TestPublishMedia(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SetProcessing(3) // three status reads before the media are processed

	_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{
		Text: "one image", Images: []platform.Image{{URL: "https://img.example/a.png", AltText: "an octopus"}},
	})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "a video", VideoURL: "https://img.example/v.mp4"})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{
		Text:     "a carousel",
		Images:   []platform.Image{{URL: "https://img.example/1.png", AltText: "first"}, {URL: "https://img.example/2.png"}},
		VideoURL: "https://img.example/v.mp4",
	})
	require.NoError(t, err)

	posts := b.fake.Posts()
	require.Len(t, posts, 3)
	require.Equal(t, "IMAGE", posts[0].Container.MediaType)
	require.Equal(t, "https://img.example/a.png", posts[0].Container.ImageURL)
	require.Equal(t, "an octopus", posts[0].Container.AltText)
	require.Equal(t, "VIDEO", posts[1].Container.MediaType)
	require.Equal(t, "https://img.example/v.mp4", posts[1].Container.VideoURL)

	carousel := posts[2]
	require.Equal(t, "CAROUSEL", carousel.Container.MediaType)
	require.Equal(t, "a carousel", carousel.Container.Text)
	require.Len(t, carousel.Items, 3)
	require.Equal(t, "https://img.example/1.png", carousel.Items[0].ImageURL)
	require.Equal(t, "first", carousel.Items[0].AltText)
	require.Equal(t, "https://img.example/2.png", carousel.Items[1].ImageURL)
	require.Equal(t, "VIDEO", carousel.Items[2].MediaType)
	for _, item := range carousel.Items {
		require.True(t, item.IsCarouselItem)
		require.Empty(t, item.Text, "a carousel's text is on the carousel")
	}

	// More than 20 items is refused before any call.
	calls := b.fake.Containers()
	many := make([]platform.Image, 21)
	for i := range many {
		many[i] = platform.Image{URL: "https://img.example/x.png"}
	}
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "too many", Images: many})
	requireErrKind(t, err, platform.Permanent)
	require.Equal(t, calls, b.fake.Containers())
}

func TestPublishFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	token := b.creds[KeyAccessToken]
	post := func(p platform.Post) error {
		_, _, err := b.adapter.Publish(t.Context(), b.creds, p)
		return err
	}

	// Threads' checks at container creation are Permanent, with Threads' reason.
	links := "https://a.example https://b.example https://c.example https://d.example https://e.example https://f.example"
	pe := requireErrKind(t, post(platform.Post{Text: links}), platform.Permanent, token)
	require.Contains(t, pe.Message, "5 links")
	require.NoError(t, post(platform.Post{Text: strings.Repeat("😀", 125)}))
	requireErrKind(t, post(platform.Post{Text: strings.Repeat("😀", 126)}), platform.Permanent, token)

	// Media Threads could not process: Permanent, with its reason.
	b.fake.FailMedia("https://img.example/broken.png", "The image could not be downloaded")
	pe = requireErrKind(t, post(platform.Post{Text: "x", Images: []platform.Image{{URL: "https://img.example/broken.png"}}}), platform.Permanent, token)
	require.Contains(t, pe.Message, "could not be downloaded")

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
	require.Len(t, b.fake.Posts(), 1)
	b.fake.SetProcessing(0)

	// A 5xx is Transient; a scripted rate limit is Transient with Meta's estimate.
	b.fake.FailNext("/v1.0/"+b.fake.User.ID+"/threads", 1, http.StatusServiceUnavailable)
	requireErrKind(t, post(platform.Post{Text: "outage"}), platform.Transient, token)
	b.fake.FailNext("/v1.0/"+b.fake.User.ID+"/threads_publish", 1, http.StatusTooManyRequests)
	pe = requireErrKind(t, post(platform.Post{Text: "busy"}), platform.Transient, token)
	require.Equal(t, 5*time.Minute, pe.RetryAfter)

	// 250 posts a day per profile: a Graph rate-limit error (400, code 4), retried when
	// the oldest post leaves the 24-hour window.
	b.fake.FillQuota(250 - len(b.fake.Posts()))
	pe = requireErrKind(t, post(platform.Post{Text: "one too many"}), platform.Transient, token)
	require.Equal(t, http.StatusBadRequest, pe.Status)
	require.InDelta(t, (24 * time.Hour).Minutes(), pe.RetryAfter.Minutes(), 2)
	b.fake.Advance(24 * time.Hour)
	require.NoError(t, post(platform.Post{Text: "a day later"}))

	// A revoked or expired token is TokenRejected, whatever the step.
	b.fake.Advance(61 * 24 * time.Hour)
	pe = requireErrKind(t, post(platform.Post{Text: "expired"}), platform.TokenRejected, token)
	require.Equal(t, http.StatusBadRequest, pe.Status)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{}, platform.Post{Text: "no token"})
	requireErrKind(t, err, platform.TokenRejected)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{KeyAccessToken: "unknown-token"}, platform.Post{Text: "no user id"})
	requireErrKind(t, err, platform.TokenRejected, "unknown-token")
}

func TestPublishedWithoutPermalink(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The permalink read fails after the post is published: the post is there, so the
	// publish succeeds with the id alone rather than failing into a second post.
	first, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "first"})
	require.NoError(t, err)
	require.NotEmpty(t, first.URL)
	noPermalink := *b.adapter
	var published string
	transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet && r.URL.Query().Get("fields") == "permalink" {
			published = strings.TrimPrefix(r.URL.Path, "/v1.0/")
			return nil, http.ErrHandlerTimeout
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	noPermalink.Graph.HTTP = &http.Client{Transport: transport}
	ref, _, err := noPermalink.Publish(t.Context(), b.creds, platform.Post{Text: "second"})
	require.NoError(t, err)
	require.Equal(t, platform.Ref{ID: published}, ref)
	require.Len(t, b.fake.Posts(), 2)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestRetryAfterHeaders(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	h := http.Header{}
	h.Set("X-Business-Use-Case-Usage", `{"1":[{"type":"x","estimated_time_to_regain_access":3},{"estimated_time_to_regain_access":7}]}`)
	require.Equal(t, 7*time.Minute, metagraph.RetryAfter(h, now, false))
	h = http.Header{}
	h.Set("Retry-After", "42")
	require.Equal(t, 42*time.Second, metagraph.RetryAfter(h, now, false))
	require.Zero(t, metagraph.RetryAfter(http.Header{}, now, false))
}
