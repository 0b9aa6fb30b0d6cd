package facebook

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/metagraph"
)

type testBundle struct {
	fake    *fake.Facebook
	adapter *Adapter
	page    fake.FacebookPage
	token   string
	creds   platform.Credentials
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	f := fake.NewFacebook(t)
	page := f.Pages[0]
	token := f.PageToken(page.ID)
	return &testBundle{
		fake: f, adapter: New(netpolicy.Client(true, 5*time.Second), f.URL), page: page, token: token,
		creds: platform.Credentials{KeyAccessToken: token, KeyPageID: page.ID},
	}
}

func (b *testBundle) publish(t *testing.T, p platform.Post) (platform.Ref, error) {
	t.Helper()
	ref, creds, err := b.adapter.Publish(t.Context(), b.creds, p)
	require.Nil(t, creds, "publishing never changes the credentials")
	if err != nil {
		requireErrKind(t, err, platform.KindOf(err), b.token)
	}
	return ref, err
}

func requireErrKind(t *testing.T, err error, kind platform.Kind, secrets ...string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, pe.Error())
	for _, s := range secrets {
		require.NotContains(t, err.Error(), s, "a secret never appears in an error")
	}
	return pe
}

// postURL is a post's public URL from its "<page>_<post>" id.
func postURL(id string) string {
	page, post, _ := strings.Cut(id, "_")
	return "https://www.facebook.com/" + page + "/posts/" + post
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)

	profile, creds, err := b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: b.token})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID: b.page.ID, Username: b.page.ID, DisplayName: b.page.Name, AvatarURL: b.page.PictureURL,
	}, profile)
	require.Equal(t, b.creds, creds, "the Page's id is stored with its token")

	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: b.token, KeyPageID: b.fake.Pages[1].ID})
	requireErrKind(t, err, platform.InvalidCredentials, b.token)

	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: "EAA-not-a-token"})
	pe := requireErrKind(t, err, platform.InvalidCredentials, "EAA-not-a-token")
	require.Equal(t, http.StatusBadRequest, pe.Status, "Facebook answers a dead token with 400 and code 190")

	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{})
	requireErrKind(t, err, platform.InvalidCredentials)
	require.Equal(t, 3, b.fake.Calls("/v21.0/me"), "a missing token is refused before any request")

	b.fake.FailNext("/v21.0/me", 1, 2)
	_, _, err = b.adapter.Connect(t.Context(), b.creds)
	requireErrKind(t, err, platform.Transient, b.token)
}

func TestPublishText(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ref, err := b.publish(t, platform.Post{Text: "Octopost 2.0 is out (read https://octopost.example.com/blog/2-0).", IdempotencyKey: "k1"})
	require.NoError(t, err)
	ref2, err := b.publish(t, platform.Post{Text: "No link here", IdempotencyKey: "k2"})
	require.NoError(t, err)

	posts := b.fake.Posts()
	require.Len(t, posts, 2)
	require.Equal(t, "feed", posts[0].Edge)
	require.Equal(t, b.page.ID, posts[0].PageID)
	require.Equal(t, "Octopost 2.0 is out (read https://octopost.example.com/blog/2-0).", posts[0].Message)
	require.Equal(t, "https://octopost.example.com/blog/2-0", posts[0].Link, "the first URL is the post's link, without the sentence around it")
	require.Equal(t, "Bearer "+b.token, posts[0].Authorization, "the Page token, in the header")
	require.Equal(t, platform.Ref{ID: posts[0].ID, URL: postURL(posts[0].ID)}, ref)
	require.True(t, strings.HasPrefix(ref.ID, b.page.ID+"_"), ref.ID)

	require.Empty(t, posts[1].Link)
	require.Equal(t, "No link here", posts[1].Message)
	require.Equal(t, platform.Ref{ID: posts[1].ID, URL: postURL(posts[1].ID)}, ref2)
}

func TestPublishThreadAsSeparatePosts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.False(t, Spec.Replies)

	first, err := b.publish(t, platform.Post{Text: "Part one"})
	require.NoError(t, err)
	second, err := b.publish(t, platform.Post{Text: "Part two", ReplyTo: &first, Root: &first})
	require.NoError(t, err)
	require.NotEqual(t, first.ID, second.ID)

	posts := b.fake.Posts()
	require.Len(t, posts, 2)
	require.Equal(t, []string{"Part one", "Part two"}, []string{posts[0].Message, posts[1].Message})
	require.Equal(t, "feed", posts[1].Edge, "a later part is a post of its own on the Page")
}

func TestPublishOneImage(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ref, err := b.publish(t, platform.Post{
		Text:   "A photo",
		Images: []platform.Image{{URL: "https://images.example.com/a.png", AltText: "An octopus at a desk"}},
	})
	require.NoError(t, err)
	posts := b.fake.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, "photos", posts[0].Edge)
	require.Equal(t, "A photo", posts[0].Message)
	require.Len(t, posts[0].Photos, 1)
	require.Equal(t, "https://images.example.com/a.png", posts[0].Photos[0].URL)
	require.Equal(t, "An octopus at a desk", posts[0].Photos[0].AltText)
	require.Equal(t, platform.Ref{ID: posts[0].ID, URL: postURL(posts[0].ID)}, ref, "the photo post's post_id, not the photo's id")
}

func TestPublishSeveralImages(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ref, err := b.publish(t, platform.Post{
		Text: "Three photos, see https://octopost.example.com",
		Images: []platform.Image{
			{URL: "https://images.example.com/1.png", AltText: "one"},
			{URL: "https://images.example.com/2.png"},
			{URL: "https://images.example.com/3.png", AltText: "three"},
		},
	})
	require.NoError(t, err)
	require.Equal(t, 3, b.fake.Calls("/v21.0/"+b.page.ID+"/photos"))
	posts := b.fake.Posts()
	require.Len(t, posts, 1, "the photos are unpublished until the post attaches them")
	require.Equal(t, "feed", posts[0].Edge)
	require.Equal(t, "Three photos, see https://octopost.example.com", posts[0].Message)
	require.Empty(t, posts[0].Link, "a post with photos has no link")
	require.Len(t, posts[0].Photos, 3)
	for i, want := range []string{"1", "2", "3"} {
		require.Equal(t, "https://images.example.com/"+want+".png", posts[0].Photos[i].URL, "in order")
	}
	require.Equal(t, "one", posts[0].Photos[0].AltText)
	require.Empty(t, posts[0].Photos[1].AltText)
	require.Zero(t, b.fake.UnattachedPhotos())
	require.Equal(t, platform.Ref{ID: posts[0].ID, URL: postURL(posts[0].ID)}, ref)

	// A refused upload midway publishes nothing; the photo already uploaded stays
	// unpublished, which no one sees.
	_, err = b.publish(t, platform.Post{Images: []platform.Image{{URL: "https://images.example.com/4.png"}, {URL: "ftp://images.example.com/5.png"}}})
	requireErrKind(t, err, platform.Permanent)
	require.Len(t, b.fake.Posts(), 1)
	require.Equal(t, 1, b.fake.UnattachedPhotos())
	require.Equal(t, 5, b.fake.Calls("/v21.0/"+b.page.ID+"/photos"))
	require.Equal(t, 1, b.fake.Calls("/v21.0/"+b.page.ID+"/feed"))
}

func TestPublishVideo(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ref, err := b.publish(t, platform.Post{Text: "Launch video", VideoURL: "https://videos.example.com/launch.mp4"})
	require.NoError(t, err)
	posts := b.fake.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, "videos", posts[0].Edge)
	require.Equal(t, "https://videos.example.com/launch.mp4", posts[0].VideoURL)
	require.Equal(t, "Launch video", posts[0].Message, "the text is the video's description")
	require.Equal(t, platform.Ref{ID: posts[0].ID, URL: "https://www.facebook.com/" + b.page.ID + "/videos/" + posts[0].ID}, ref)
}

func TestPublishRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	images := func(n int) []platform.Image {
		out := make([]platform.Image, n)
		for i := range out {
			out[i] = platform.Image{URL: "https://images.example.com/x.png"}
		}
		return out
	}

	_, err := b.publish(t, platform.Post{Text: "both", VideoURL: "https://videos.example.com/v.mp4", Images: images(1)})
	requireErrKind(t, err, platform.Permanent)
	_, err = b.publish(t, platform.Post{Text: "too many", Images: images(Spec.MaxImages + 1)})
	requireErrKind(t, err, platform.Permanent)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{KeyAccessToken: b.token}, platform.Post{Text: "no page"})
	requireErrKind(t, err, platform.TokenRejected, b.token)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{KeyPageID: b.page.ID}, platform.Post{Text: "no token"})
	requireErrKind(t, err, platform.TokenRejected)

	for _, path := range []string{"/feed", "/photos", "/videos"} {
		require.Zero(t, b.fake.Calls("/v21.0/"+b.page.ID+path), path)
	}
}

func TestPublishFailures(t *testing.T) {
	t.Parallel()
	feed := func(b *testBundle) string { return "/v21.0/" + b.page.ID + "/feed" }
	for _, tc := range []struct {
		name       string
		script     func(b *testBundle)
		kind       platform.Kind
		retryAfter time.Duration
	}{
		{"revoked token (190)", func(b *testBundle) { b.fake.RevokeToken(b.token) }, platform.TokenRejected, 0},
		{"scripted 190", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 190) }, platform.TokenRejected, 0},
		{"bare 401", func(b *testBundle) { b.fake.FailStatus(feed(b), 1, http.StatusUnauthorized) }, platform.TokenRejected, 0},
		{"app rate limit (4)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 4) }, platform.Transient, 0},
		{"user rate limit (17)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 17) }, platform.Transient, 0},
		{"call rate limit (613)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 613) }, platform.Transient, 0},
		{"Page rate limit (32)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 32) }, platform.Transient, 5 * time.Minute},
		{"business use case limit (80001)", func(b *testBundle) {
			b.fake.Configure(func(f *fake.Facebook) { f.RegainMinutes = 17 })
			b.fake.FailNext(feed(b), 1, 80001)
		}, platform.Transient, 17 * time.Minute},
		{"unknown error (1)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 1) }, platform.Transient, 0},
		{"service error (2)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 2) }, platform.Transient, 0},
		{"bare 502", func(b *testBundle) { b.fake.FailStatus(feed(b), 1, http.StatusBadGateway) }, platform.Transient, 0},
		{"bare 429 from a proxy", func(b *testBundle) { b.fake.FailStatus(feed(b), 1, http.StatusTooManyRequests) }, platform.Transient, 0},
		{"duplicate (506)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 506) }, platform.Permanent, 0},
		{"bad parameter (100)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 100) }, platform.Permanent, 0},
		{"policy block (368)", func(b *testBundle) { b.fake.FailNext(feed(b), 1, 368) }, platform.Permanent, 0},
		{"bare 404", func(b *testBundle) { b.fake.FailStatus(feed(b), 1, http.StatusNotFound) }, platform.Permanent, 0},
		{"another Page's token (200)", func(b *testBundle) {
			b.token = b.fake.PageToken(b.fake.Pages[1].ID)
			b.creds[KeyAccessToken] = b.token
		}, platform.Permanent, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			tc.script(b)
			_, err := b.publish(t, platform.Post{Text: "Hello"})
			pe := requireErrKind(t, err, tc.kind, b.token)
			require.Equal(t, tc.retryAfter, pe.RetryAfter)
			require.Empty(t, b.fake.Posts())
		})
	}
}

func TestPublishDuplicateText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.publish(t, platform.Post{Text: "Same words"})
	require.NoError(t, err)
	_, err = b.publish(t, platform.Post{Text: "Same words"})
	pe := requireErrKind(t, err, platform.Permanent, b.token)
	require.Contains(t, pe.Message, "506")
	require.Len(t, b.fake.Posts(), 1)
}

func TestPublishUnreachable(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	a := New(netpolicy.Client(true, 2*time.Second), srv.URL)
	_, _, err := a.Publish(t.Context(), platform.Credentials{KeyAccessToken: "EAA-secret", KeyPageID: "1"}, platform.Post{Text: "x"})
	requireErrKind(t, err, platform.Transient, "EAA-secret")
}

func TestPublishUnreadableAnswer(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>ok</html>"))
	}))
	t.Cleanup(srv.Close)
	a := New(netpolicy.Client(true, 2*time.Second), srv.URL)
	_, _, err := a.Publish(t.Context(), platform.Credentials{KeyAccessToken: "EAA-secret", KeyPageID: "1"}, platform.Post{Text: "x"})
	requireErrKind(t, err, platform.Permanent, "EAA-secret") // the post may exist: never retried
}

func TestRetryAfterFromProxy(t *testing.T) {
	t.Parallel()
	h := http.Header{}
	h.Set("Retry-After", "42")
	require.Equal(t, 42*time.Second, metagraph.RetryAfter(h, time.Now, true))
	h.Set("X-Page-Usage", `{"call_count":100,"estimated_time_to_regain_access":3}`)
	require.Equal(t, 3*time.Minute, metagraph.RetryAfter(h, time.Now, true), "Facebook's own estimate first")
	h.Set("X-Business-Use-Case-Usage", `{"1":[{"estimated_time_to_regain_access":1}],"2":[{"estimated_time_to_regain_access":9}]}`)
	require.Equal(t, 9*time.Minute, metagraph.RetryAfter(h, time.Now, true), "the longest estimate")
}

func TestFirstURL(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]string{
		"no link":                  "",
		"see https://a.example/x.": "https://a.example/x",
		"(https://a.example/x) and http://b.example":  "https://a.example/x",
		"wiki https://a.example/Go_(language) rocks":  "https://a.example/Go_(language)",
		"quote:https://a.example/q?x=1&y=2!":          "https://a.example/q?x=1&y=2",
		"http://first.example then https://second.ex": "http://first.example",
		"https:// broken then https://ok.example":     "https://ok.example",
	} {
		require.Equal(t, want, firstURL(text), text)
	}
}
