package mastodon

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
)

type testBundle struct {
	fake    *fake.Mastodon
	images  *fake.Images
	adapter *Adapter
	creds   platform.Credentials
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	m := fake.NewMastodon(t)
	a := New(netpolicy.Client(true, 5*time.Second))
	a.pollInterval = time.Millisecond
	return &testBundle{
		fake:    m,
		images:  fake.NewImages(t),
		adapter: a,
		creds:   platform.Credentials{KeyInstanceURL: m.URL, KeyAccessToken: m.Token, KeyMaxCharacters: "500"},
	}
}

func requireKind(t *testing.T, err error, kind platform.Kind, status int) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, pe.Error())
	require.Equal(t, status, pe.Status)
	return pe
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SetMaxCharacters(1000)

	profile, creds, err := b.adapter.Connect(context.Background(), platform.Credentials{
		KeyInstanceURL: b.fake.URL + "/", KeyAccessToken: b.fake.Token,
	})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID:      "109302345678901234",
		Username:    "alice@mastodon.test",
		DisplayName: "Alice Example",
		AvatarURL:   b.fake.URL + "/system/accounts/avatars/alice.png",
	}, profile)
	require.Equal(t, platform.Credentials{
		KeyInstanceURL: b.fake.URL, KeyAccessToken: b.fake.Token, KeyMaxCharacters: "1000",
	}, creds)
}

func TestConnectOldInstanceDefaultsTo500(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SetMaxCharacters(0) // no /api/v2/instance

	profile, creds, err := b.adapter.Connect(context.Background(), b.creds)
	require.NoError(t, err)
	require.Equal(t, "500", creds[KeyMaxCharacters])
	host := strings.TrimPrefix(b.fake.URL, "http://")
	require.Equal(t, "alice@"+host, profile.Username, "without the instance's domain, the URL's host names it")
}

func TestConnectRejectsBadCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t)

	_, _, err := b.adapter.Connect(context.Background(), platform.Credentials{KeyInstanceURL: b.fake.URL, KeyAccessToken: "wrong"})
	pe := requireKind(t, err, platform.InvalidCredentials, http.StatusUnauthorized)
	require.Equal(t, "Mastodon rejected the access token", pe.Message)
	require.NotContains(t, pe.Error(), "wrong", "the token never appears in an error")

	_, _, err = b.adapter.Connect(context.Background(), platform.Credentials{KeyInstanceURL: b.fake.URL})
	requireKind(t, err, platform.InvalidCredentials, 0)

	for _, raw := range []string{"", "mastodon.social", "ftp://mastodon.social", "https://mastodon.social/api",
		"https://user:pw@mastodon.social", "https://mastodon.social?x=1", "https:///nohost"} {
		_, _, err := b.adapter.Connect(context.Background(), platform.Credentials{KeyInstanceURL: raw, KeyAccessToken: b.fake.Token})
		pe := requireKind(t, err, platform.InvalidCredentials, 0)
		require.Contains(t, pe.Message, "instance_url", raw)
	}
	require.Equal(t, 1, b.fake.Calls("/api/v1/accounts/verify_credentials"), "bad input is refused before any request")
}

func TestConnectOutageIsTransient(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.FailNext("/api/v2/instance", 1, http.StatusServiceUnavailable)

	_, _, err := b.adapter.Connect(context.Background(), b.creds)
	requireKind(t, err, platform.Transient, http.StatusServiceUnavailable)
}

func TestPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ref, creds, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "Hello, fediverse", IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.Nil(t, creds, "a token never changes on publish")
	statuses := b.fake.Statuses()
	require.Len(t, statuses, 1)
	require.Equal(t, platform.Ref{ID: statuses[0].ID, URL: b.fake.URL + "/@alice/" + statuses[0].ID}, ref)
	require.Equal(t, "Hello, fediverse", statuses[0].Text)
	require.Equal(t, "public", statuses[0].Visibility)
	require.Equal(t, "k1", statuses[0].IdempotencyKey)
	require.Empty(t, statuses[0].InReplyToID)
}

func TestPublishIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	post := platform.Post{Text: "once", IdempotencyKey: "post_1:mastodon:0"}

	first, _, err := b.adapter.Publish(context.Background(), b.creds, post)
	require.NoError(t, err)
	again, _, err := b.adapter.Publish(context.Background(), b.creds, post)
	require.NoError(t, err)
	require.Equal(t, first, again)
	require.Len(t, b.fake.Statuses(), 1, "the same key does not post twice")
	require.Equal(t, 2, b.fake.Calls("/api/v1/statuses"))

	post.IdempotencyKey = "post_2:mastodon:0"
	other, _, err := b.adapter.Publish(context.Background(), b.creds, post)
	require.NoError(t, err)
	require.NotEqual(t, first.ID, other.ID)
	require.Len(t, b.fake.Statuses(), 2)
}

// A publish whose answer never arrives (a timeout, a crash) has still posted; the retry
// with the same key must find that status, not post another.
func TestPublishRetryAfterTimeoutDoesNotDuplicate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	slow := New(netpolicy.Client(true, 100*time.Millisecond))
	b.fake.SetDelay(time.Second)
	post := platform.Post{Text: "slow", IdempotencyKey: "post_3:mastodon:0"}

	_, _, err := slow.Publish(context.Background(), b.creds, post)
	require.Error(t, err)
	require.Equal(t, platform.Transient, platform.KindOf(err))
	require.Len(t, b.fake.Statuses(), 1, "the platform posted before the client gave up")

	b.fake.SetDelay(0)
	ref, _, err := b.adapter.Publish(context.Background(), b.creds, post)
	require.NoError(t, err)
	require.Equal(t, b.fake.Statuses()[0].ID, ref.ID)
	require.Len(t, b.fake.Statuses(), 1)
}

func TestPublishThread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	root, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "1/2", IdempotencyKey: "t:0"})
	require.NoError(t, err)
	reply, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{
		Text: "2/2", ReplyTo: &root, Root: &root, IdempotencyKey: "t:1",
	})
	require.NoError(t, err)
	statuses := b.fake.Statuses()
	require.Len(t, statuses, 2)
	require.Equal(t, reply.ID, statuses[1].ID)
	require.Equal(t, root.ID, statuses[1].InReplyToID)

	_, _, err = b.adapter.Publish(context.Background(), b.creds, platform.Post{
		Text: "orphan", ReplyTo: &platform.Ref{ID: "1"}, IdempotencyKey: "t:2",
	})
	pe := requireKind(t, err, platform.Permanent, http.StatusNotFound)
	require.Equal(t, "Record not found", pe.Message)
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("over the limit", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: strings.Repeat("a", 501), IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Permanent, http.StatusUnprocessableEntity)
		require.Equal(t, "Validation failed: Text character limit of 500 exceeded", pe.Message)
		require.Empty(t, b.fake.Statuses())

		// Mastodon counts a URL as 23 characters, however long.
		long := strings.Repeat("b", 470) + " https://example.com/" + strings.Repeat("p", 100)
		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: long, IdempotencyKey: "k2"})
		require.NoError(t, err)
	})

	t.Run("token revoked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RevokeToken()
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi", IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized)
		require.Equal(t, "Mastodon rejected the access token", pe.Message)
	})

	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/api/v1/statuses", 1, http.StatusTooManyRequests)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi", IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests)
		require.InDelta(t, 30*time.Second, pe.RetryAfter, float64(2*time.Second), "from X-RateLimit-Reset")

		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi", IdempotencyKey: "k"})
		require.NoError(t, err, "the next request goes through")
	})

	for _, code := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.fake.FailNext("", 1, code)
			_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi", IdempotencyKey: "k"})
			requireKind(t, err, platform.Transient, code)
		})
	}

	t.Run("other 4xx", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/api/v1/statuses", 1, http.StatusForbidden)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi", IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Permanent, http.StatusForbidden)
		require.Equal(t, "Forbidden", pe.Message)
	})

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := platform.Credentials{KeyInstanceURL: "http://127.0.0.1:1", KeyAccessToken: "t"}
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "hi", IdempotencyKey: "k"})
		require.Error(t, err)
		require.Equal(t, platform.Transient, platform.KindOf(err))
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := b.adapter.Publish(cctx, b.creds, platform.Post{Text: "hi", IdempotencyKey: "k"})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestPublishImages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.SetMediaProcessing(2)
	png := b.images.Add("/a.png", "image/png", fake.PNG(4, 4))
	sniffed := b.images.Add("/b", "", fake.PNG(2, 2)) // no Content-Type: sniffed

	_, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{
		Text:           "with pictures",
		Images:         []platform.Image{{URL: png, AltText: "a tiny square"}, {URL: sniffed}},
		IdempotencyKey: "k",
	})
	require.NoError(t, err)
	statuses := b.fake.Statuses()
	require.Len(t, statuses, 1)
	require.Len(t, statuses[0].Media, 2)
	require.Equal(t, "a tiny square", statuses[0].Media[0].Description)
	require.Equal(t, "image/png", statuses[0].Media[0].ContentType)
	require.Equal(t, len(fake.PNG(4, 4)), statuses[0].Media[0].Size)
	require.Empty(t, statuses[0].Media[1].Description)
	require.Equal(t, "image/png", statuses[0].Media[1].ContentType)
	for _, m := range statuses[0].Media {
		require.Equal(t, 3, b.fake.Calls("/api/v1/media/"+m.ID), "two 206 answers, then 200")
	}
}

func TestPublishImageFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("still processing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.adapter.maxPolls = 3
		b.fake.SetMediaProcessing(10)
		img := b.images.Add("/a.png", "image/png", fake.PNG(4, 4))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: img}}, IdempotencyKey: "k"})
		requireKind(t, err, platform.Transient, 0)
		require.Empty(t, b.fake.Statuses())
	})

	t.Run("image missing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: b.images.URL + "/gone.png"}}, IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Permanent, 0)
		require.Contains(t, pe.Message, "HTTP 404")
	})

	t.Run("not an image", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		page := b.images.Add("/page", "text/html", []byte("<html>hello</html>"))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: page}}, IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Permanent, 0)
		require.Contains(t, pe.Message, "is not an image")
	})

	t.Run("upload refused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		img := b.images.Add("/a.png", "image/png", fake.PNG(4, 4))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{
			Text: "x", Images: []platform.Image{{URL: img, AltText: strings.Repeat("d", 1501)}}, IdempotencyKey: "k",
		})
		pe := requireKind(t, err, platform.Permanent, http.StatusUnprocessableEntity)
		require.Equal(t, "Validation failed: Description is too long (maximum is 1500 characters)", pe.Message)
	})
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := New(http.DefaultClient)
	a.now = func() time.Time { return now }
	for name, tc := range map[string]struct {
		header http.Header
		want   time.Duration
	}{
		"ISO reset":          {http.Header{"X-Ratelimit-Reset": {"2026-05-01T12:05:00.000000Z"}}, 5 * time.Minute},
		"reset in the past":  {http.Header{"X-Ratelimit-Reset": {"2026-05-01T11:59:00.000Z"}}, 0},
		"Retry-After secs":   {http.Header{"Retry-After": {"120"}}, 2 * time.Minute},
		"Retry-After date":   {http.Header{"Retry-After": {"Fri, 01 May 2026 12:00:30 GMT"}}, 30 * time.Second},
		"reset wins":         {http.Header{"X-Ratelimit-Reset": {"2026-05-01T12:00:10Z"}, "Retry-After": {"120"}}, 10 * time.Second},
		"garbage":            {http.Header{"X-Ratelimit-Reset": {"soon"}, "Retry-After": {"later"}}, 0},
		"nothing said":       {http.Header{}, 0},
		"bad reset, good RA": {http.Header{"X-Ratelimit-Reset": {"soon"}, "Retry-After": {"7"}}, 7 * time.Second},
	} {
		require.Equal(t, tc.want, a.retryAfter(tc.header), name)
	}
}

func TestConnectToSomethingElse(t *testing.T) {
	t.Parallel()
	srv := fake.NewImages(t) // a web server that is not Mastodon: every path answers 404
	a := New(netpolicy.Client(true, 5*time.Second))
	_, _, err := a.Connect(context.Background(), platform.Credentials{KeyInstanceURL: srv.URL, KeyAccessToken: "t"})
	pe := requireKind(t, err, platform.InvalidCredentials, http.StatusNotFound)
	require.Equal(t, "instance_url does not serve the Mastodon API", pe.Message)
}

func TestIdempotencyWindow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.True(t, platform.IsIdempotent(b.adapter))
	require.Equal(t, 50*time.Minute, b.adapter.IdempotencyWindow())

	// Past the window Mastodon has forgotten the key, and a repeat posts again: that is
	// why the engine must not resend a publish older than the window.
	post := platform.Post{Text: "late", IdempotencyKey: "k"}
	_, _, err := b.adapter.Publish(context.Background(), b.creds, post)
	require.NoError(t, err)
	b.fake.ForgetIdempotencyKeys()
	_, _, err = b.adapter.Publish(context.Background(), b.creds, post)
	require.NoError(t, err)
	require.Len(t, b.fake.Statuses(), 2)
}

// A private address is refused on every attempt, so it is Permanent: recorded at once,
// not retried for an hour (issue 6 item 7b). The message names what failed without the
// URL's credentials or query.
func TestPrivateAddressesArePermanent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("image URL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		a := New(fake.StrictClient(5*time.Second, b.fake.URL))
		img := b.images.Add("/a.png", "image/png", fake.PNG(2, 2))
		port := img[strings.LastIndex(img, ":")+1 : strings.Index(img, "/a.png")]
		for _, raw := range []string{
			strings.Replace(img, "http://", "http://alice:hunter2@", 1) + "?signature=s3cr3t#frag",
			"http://[::ffff:127.0.0.1]:" + port + "/a.png?signature=s3cr3t",
		} {
			_, _, err := a.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: raw}}, IdempotencyKey: "k"})
			pe := requireKind(t, err, platform.Permanent, 0)
			require.ErrorIs(t, err, netpolicy.ErrNotPublic)
			require.Contains(t, pe.Message, "/a.png")
			for _, secret := range []string{"hunter2", "s3cr3t", "frag", b.fake.Token} {
				require.NotContains(t, err.Error(), secret, raw)
			}
		}
		require.Zero(t, b.images.Requests(), "the image host was never reached")
		require.Zero(t, b.fake.Calls("/api/v2/media"))
		require.Empty(t, b.fake.Statuses())
	})
	t.Run("instance URL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		a := New(netpolicy.Client(false, 5*time.Second))
		_, _, err := a.Publish(ctx, b.creds, platform.Post{Text: "x", IdempotencyKey: "k"})
		requireKind(t, err, platform.Permanent, 0)
		require.ErrorIs(t, err, netpolicy.ErrNotPublic)
		require.NotContains(t, err.Error(), b.fake.Token)

		_, _, err = a.Connect(ctx, b.creds)
		require.ErrorIs(t, err, netpolicy.ErrNotPublic, "the service answers \"must point to a public address\"")
		require.NotEqual(t, platform.Transient, platform.KindOf(err))
		// IPv6 spellings of loopback and metadata addresses are refused when dialled too
		// (the dialer refuses them before any packet leaves).
		for _, instance := range []string{"http://[::127.0.0.1]:1", "http://[64:ff9b::a9fe:a9fe]", "http://[2002:a00:1::1]"} {
			creds := platform.Credentials{KeyInstanceURL: instance, KeyAccessToken: b.fake.Token}
			_, _, err := a.Publish(ctx, creds, platform.Post{Text: "x", IdempotencyKey: "k"})
			requireKind(t, err, platform.Permanent, 0)
			require.ErrorIs(t, err, netpolicy.ErrNotPublic, instance)
		}
		require.Zero(t, b.fake.Calls("/api/v1/accounts/verify_credentials")+b.fake.Calls("/api/v1/statuses"))
	})
}
