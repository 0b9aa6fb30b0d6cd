package twitter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

type testBundle struct {
	fake    *fake.Twitter
	adapter *Adapter
	creds   platform.Credentials
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	x := fake.NewTwitter(t)
	return &testBundle{
		fake:    x,
		adapter: New(netpolicy.Client(true, 5*time.Second), x.URL),
		creds:   platform.Credentials{KeyAccessToken: x.Token, "refresh_token": "x-refresh"},
	}
}

// requireKind checks err's classification, and that it never names the token.
func requireKind(t *testing.T, err error, kind platform.Kind, status int, token string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, pe.Error())
	require.Equal(t, status, pe.Status)
	require.NotContains(t, err.Error(), token, "the token never appears in an error")
	return pe
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)

	profile, creds, err := b.adapter.Connect(context.Background(), b.creds)
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID: b.fake.UserID, Username: b.fake.Username, DisplayName: b.fake.Name,
		AvatarURL: "https://pbs.twimg.com/profile_images/1/octopost_normal.png",
	}, profile)
	require.Equal(t, b.creds, creds)

	_, _, err = b.adapter.Connect(context.Background(), platform.Credentials{KeyAccessToken: "not-the-token"})
	pe := requireKind(t, err, platform.InvalidCredentials, http.StatusUnauthorized, "not-the-token")
	require.Equal(t, "X rejected the access token", pe.Message)

	_, _, err = b.adapter.Connect(context.Background(), platform.Credentials{})
	requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token)
	require.Equal(t, 2, b.fake.Calls("/2/users/me"), "a missing token is refused before any request")
}

func TestPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ref, creds, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "Hello from Octopost", IdempotencyKey: "k"})
	require.NoError(t, err)
	require.Nil(t, creds, "publishing never changes the credentials")
	tweets := b.fake.Tweets()
	require.Len(t, tweets, 1)
	require.Equal(t, platform.Ref{ID: tweets[0].ID, URL: "https://x.com/i/status/" + tweets[0].ID}, ref)
	require.Len(t, ref.ID, 19)
	require.Equal(t, "Hello from Octopost", tweets[0].Text)
	require.Empty(t, tweets[0].InReplyToTweetID)
	require.Equal(t, "Bearer "+b.fake.Token, tweets[0].Authorization)
}

// A thread is a reply chain: each part replies to the one before it.
func TestPublishThread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	var refs []platform.Ref
	for i, text := range []string{"1/3 a thread", "2/3 goes on", "3/3 and ends"} {
		p := platform.Post{Text: text, IdempotencyKey: "t:" + text}
		if i > 0 {
			p.ReplyTo, p.Root = &refs[i-1], &refs[0]
		}
		ref, _, err := b.adapter.Publish(ctx, b.creds, p)
		require.NoError(t, err)
		refs = append(refs, ref)
	}
	tweets := b.fake.Tweets()
	require.Len(t, tweets, 3)
	require.Empty(t, tweets[0].InReplyToTweetID)
	require.Equal(t, refs[0].ID, tweets[1].InReplyToTweetID)
	require.Equal(t, refs[1].ID, tweets[2].InReplyToTweetID, "the previous part, not the root")

	// A reply to a tweet that is gone is refused for good.
	_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "orphan", ReplyTo: &platform.Ref{ID: "1"}})
	pe := requireKind(t, err, platform.Permanent, http.StatusForbidden, b.fake.Token)
	require.Equal(t, "X refused the post: You attempted to reply to a Tweet that is deleted or not visible to you.", pe.Message)
}

// X refuses the same text twice from one user with a 403: permanent, never retried, and
// the message says why.
func TestPublishDuplicateIsPermanent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "same words"})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "same words"})
	pe := requireKind(t, err, platform.Permanent, http.StatusForbidden, b.fake.Token)
	require.Equal(t, "X refused the post: You are not allowed to create a Tweet with duplicate content.", pe.Message)
	require.Zero(t, pe.RetryAfter)
	require.Len(t, b.fake.Tweets(), 1)
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("token rejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RevokeToken(b.fake.Token)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized, b.fake.Token)
		require.Equal(t, "X rejected the access token", pe.Message)

		_, _, err = b.adapter.Publish(ctx, platform.Credentials{}, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, 0, b.fake.Token)
	})

	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		now := time.Date(2026, 12, 3, 8, 0, 0, 0, time.UTC)
		b.fake.SetNow(func() time.Time { return now })
		b.adapter.now = func() time.Time { return now.Add(10 * time.Second) }
		b.fake.FailNext("/2/tweets", 1, http.StatusTooManyRequests)

		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests, b.fake.Token)
		require.Equal(t, 15*time.Minute-10*time.Second, pe.RetryAfter, "until x-rate-limit-reset")

		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		require.NoError(t, err, "the next request goes through")
	})

	for _, code := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.fake.FailNext("", 1, code)
			_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
			pe := requireKind(t, err, platform.Transient, code, b.fake.Token)
			require.Equal(t, "X error: "+http.StatusText(code), pe.Message)
			require.Empty(t, b.fake.Tweets())
		})
	}

	t.Run("other 4xx", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		// Over 280 weighted characters (a CJK character weighs 2): X's 400, errors[] first.
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: strings.Repeat("字", 141)})
		pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
		require.Equal(t, "X refused the post: The text of your Tweet is too long.", pe.Message)

		b.fake.FailNext("/2/tweets", 1, http.StatusNotFound)
		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe = requireKind(t, err, platform.Permanent, http.StatusNotFound, b.fake.Token)
		require.Equal(t, "X refused the post: Not Found", pe.Message)
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.SetDelay(2 * time.Second)
		slow := New(netpolicy.Client(true, 100*time.Millisecond), b.fake.URL)
		_, _, err := slow.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		requireKind(t, err, platform.Transient, 0, b.fake.Token)
	})

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		a := New(netpolicy.Client(true, 5*time.Second), "http://127.0.0.1:1")
		_, _, err := a.Publish(ctx, platform.Credentials{KeyAccessToken: "secret-token"}, platform.Post{Text: "hi"})
		requireKind(t, err, platform.Transient, 0, "secret-token")
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := b.adapter.Publish(cctx, b.creds, platform.Post{Text: "hi"})
		require.ErrorIs(t, err, context.Canceled)
		require.NotContains(t, err.Error(), b.fake.Token)
	})
}

// X's API at a private address (a misconfigured OCTOPOST_TWITTER_API_URL) is refused by
// the production client on every attempt: Permanent, and nothing is sent.
func TestPrivateAddressIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := New(netpolicy.Client(false, 5*time.Second), b.fake.URL)

	_, _, err := a.Publish(context.Background(), b.creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, 0, b.fake.Token)
	require.ErrorIs(t, err, netpolicy.ErrNotPublic)

	_, _, err = a.Connect(context.Background(), b.creds)
	require.ErrorIs(t, err, netpolicy.ErrNotPublic)
	require.Equal(t, platform.Permanent, platform.KindOf(err))
	require.Zero(t, b.fake.Calls("/2/tweets")+b.fake.Calls("/2/users/me"))
}

// Images are fetched, uploaded with their alt text and attached by id.
func TestPublishImages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	images := fake.NewImages(t)
	png := images.Add("/a.png", "image/png", fake.PNG(4, 4))
	sniffed := images.Add("/b", "", fake.PNG(2, 2)) // no Content-Type: sniffed

	_, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{
		Text:   "with pictures",
		Images: []platform.Image{{URL: png, AltText: "a tiny square"}, {URL: sniffed}},
	})
	require.NoError(t, err)
	tweets := b.fake.Tweets()
	require.Len(t, tweets, 1)
	require.Len(t, tweets[0].Media, 2)
	require.Equal(t, "a tiny square", tweets[0].Media[0].AltText)
	require.Equal(t, "image/png", tweets[0].Media[0].ContentType)
	require.Equal(t, "tweet_image", tweets[0].Media[0].Category)
	require.Equal(t, len(fake.PNG(4, 4)), tweets[0].Media[0].Size)
	require.Empty(t, tweets[0].Media[1].AltText)
	require.Equal(t, 2, b.fake.Calls("/2/media/upload"))
	require.Equal(t, 1, b.fake.Calls("/2/media/metadata"), "only the image with alt text")
}

func TestPublishMediaFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("video", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "a video", VideoURL: "http://127.0.0.1:1/a.mp4"})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "a video are not supported yet")
		require.Zero(t, b.fake.Calls("/2/tweets"), "never published without it")
	})

	t.Run("five images", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		img := platform.Image{URL: "http://127.0.0.1:1/a.png"}
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{img, img, img, img, img}})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Equal(t, "X: a post takes at most 4 images, not 5", pe.Message)
		require.Zero(t, b.fake.Calls("/2/media/upload"))
	})

	t.Run("image missing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: images.URL + "/gone.png"}}})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "HTTP 404")
		require.Empty(t, b.fake.Tweets())
	})

	t.Run("not an image", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		page := images.Add("/page", "text/html", []byte("<html>hello</html>"))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: page}}})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "is not an image")
	})

	t.Run("alt text refused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		img := images.Add("/a.png", "image/png", fake.PNG(4, 4))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: img, AltText: strings.Repeat("d", 1001)}}})
		pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
		require.Equal(t, "X refused the post: Alt text must be at most 1000 characters.", pe.Message)
		require.Empty(t, b.fake.Tweets())
	})

	t.Run("image at a private address", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		img := images.Add("/a.png", "image/png", fake.PNG(4, 4))
		a := New(fake.StrictClient(5*time.Second, b.fake.URL), b.fake.URL)
		_, _, err := a.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: img}}})
		requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.ErrorIs(t, err, netpolicy.ErrNotPublic)
		require.Zero(t, images.Requests(), "the image host was never reached")
		require.Zero(t, b.fake.Calls("/2/media/upload"))
	})
}

// Whatever answers in X's place, its words never carry the token into an error, and an
// answer that cannot be read after a 201 is not retried (the tweet likely exists).
func TestAnswersFromSomethingElse(t *testing.T) {
	t.Parallel()
	const token = "leaky-token-0123456789"
	var status int
	var body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	a := New(netpolicy.Client(true, 5*time.Second), srv.URL)
	creds := platform.Credentials{KeyAccessToken: token}

	status, body = http.StatusBadRequest, `{"errors":[{"message":"bad header: Bearer `+token+`"}]}`
	_, _, err := a.Publish(context.Background(), creds, platform.Post{Text: "hi"})
	pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, token)
	require.Equal(t, "X refused the post: bad header: Bearer [redacted]", pe.Message)

	status, body = http.StatusBadGateway, `<html>proxy error</html>`
	_, _, err = a.Publish(context.Background(), creds, platform.Post{Text: "hi"})
	pe = requireKind(t, err, platform.Transient, http.StatusBadGateway, token)
	require.Equal(t, "X error: Bad Gateway", pe.Message)

	status, body = http.StatusCreated, `{"data":`
	_, _, err = a.Publish(context.Background(), creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, http.StatusCreated, token)

	status, body = http.StatusCreated, `{"data":{}}`
	_, _, err = a.Publish(context.Background(), creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, http.StatusCreated, token)

	status, body = http.StatusFound, ``
	_, _, err = a.Publish(context.Background(), creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, http.StatusFound, token)
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := New(http.DefaultClient, "")
	a.now = func() time.Time { return now }
	epoch := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).Unix(), 10) }
	for name, tc := range map[string]struct {
		header http.Header
		want   time.Duration
	}{
		"reset":              {http.Header{"X-Rate-Limit-Reset": {epoch(5 * time.Minute)}}, 5 * time.Minute},
		"reset in the past":  {http.Header{"X-Rate-Limit-Reset": {epoch(-time.Minute)}}, 0},
		"Retry-After secs":   {http.Header{"Retry-After": {"120"}}, 2 * time.Minute},
		"Retry-After date":   {http.Header{"Retry-After": {"Fri, 01 May 2026 12:00:30 GMT"}}, 30 * time.Second},
		"reset wins":         {http.Header{"X-Rate-Limit-Reset": {epoch(10 * time.Second)}, "Retry-After": {"120"}}, 10 * time.Second},
		"garbage":            {http.Header{"X-Rate-Limit-Reset": {"soon"}, "Retry-After": {"later"}}, 0},
		"nothing said":       {http.Header{}, 0},
		"bad reset, good RA": {http.Header{"X-Rate-Limit-Reset": {"soon"}, "Retry-After": {"7"}}, 7 * time.Second},
	} {
		require.Equal(t, tc.want, a.retryAfter(tc.header), name)
	}
}

func TestDefaultAPIBase(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://api.x.com", New(nil, "").api)
	require.Equal(t, "http://127.0.0.1:9", New(nil, "http://127.0.0.1:9/").api)
}
