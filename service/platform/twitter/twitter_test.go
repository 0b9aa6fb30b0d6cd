package twitter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
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

	t.Run("video and images", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{
			Text: "a video", VideoURL: "http://127.0.0.1:1/a.mp4", Images: []platform.Image{{URL: "http://127.0.0.1:1/a.png"}},
		})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Equal(t, "X: a post takes a video or images, not both; publish the video and the images in separate posts", pe.Message)
		require.Zero(t, b.fake.Calls("/2/media/upload")+b.fake.Calls("/2/media/upload/initialize")+b.fake.Calls("/2/tweets"),
			"refused before anything is uploaded")
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

// mp4Head is the start of an MP4 file: its ftyp box, which X's processing (and the fake's)
// looks for, and by which the adapter sniffs a video its server did not type.
var mp4Head = []byte("\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")

// videoBytes is a made-up video of size bytes, produced as it is read (no test holds a
// whole video either): mp4Head unless junk, then a repeating pattern.
type videoBytes struct {
	size, pos int64
	junk      bool
}

func (v *videoBytes) Read(p []byte) (int, error) {
	if v.pos >= v.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), v.size-v.pos))
	for i := range n {
		at := v.pos + int64(i)
		if !v.junk && at < int64(len(mp4Head)) {
			p[i] = mp4Head[at]
		} else {
			p[i] = byte(at % 251)
		}
	}
	v.pos += int64(n)
	return n, nil
}

// videoSum is the SHA-256 (hex) of the made-up video.
func videoSum(t *testing.T, size int64, junk bool) string {
	t.Helper()
	h := sha256.New()
	_, err := io.Copy(h, &videoBytes{size: size, junk: junk})
	require.NoError(t, err)
	return hex.EncodeToString(h.Sum(nil))
}

// videoHost serves a made-up video at /v.mp4 with contentType, announcing its length
// (Content-Length) when announce is set and else sending it chunked.
func videoHost(t *testing.T, size int64, contentType string, announce, junk bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v.mp4" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		if announce {
			w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		} else {
			w.(http.Flusher).Flush() // headers out before any length is known: chunked
		}
		_, _ = io.Copy(w, &videoBytes{size: size, junk: junk})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v.mp4"
}

// videoSetup is setup with STATUS polls that do not wait X's second.
func videoSetup(t *testing.T) *testBundle {
	t.Helper()
	b := setup(t)
	b.adapter.pollInterval = time.Millisecond
	return b
}

// A video is uploaded in 4 MiB segments, processed, and attached; a thread replies to it
// and from it like any tweet.
func TestPublishVideo(t *testing.T) {
	t.Parallel()
	b := videoSetup(t)
	ctx := context.Background()
	const size = 2*segmentBytes + 12345
	video := videoHost(t, size, "video/mp4", true, false)

	first, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "1/3 watch this"})
	require.NoError(t, err)
	second, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "2/3 the video", VideoURL: video, ReplyTo: &first, Root: &first})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "3/3 fin", ReplyTo: &second, Root: &first})
	require.NoError(t, err)

	tweets := b.fake.Tweets()
	require.Len(t, tweets, 3)
	require.Equal(t, second.ID, tweets[1].ID)
	require.Equal(t, first.ID, tweets[1].InReplyToTweetID)
	require.Equal(t, second.ID, tweets[2].InReplyToTweetID)
	require.Empty(t, tweets[0].Media)
	require.Empty(t, tweets[2].Media)
	require.Len(t, tweets[1].Media, 1)
	m := tweets[1].Media[0]
	require.Equal(t, "tweet_video", m.Category)
	require.Equal(t, "video/mp4", m.ContentType)
	require.Equal(t, "succeeded", m.State)
	require.Equal(t, size, m.Size)
	require.Equal(t, 3, m.Segments)
	require.Equal(t, videoSum(t, size, false), m.SHA256, "X got the video's bytes, in order")
	require.Equal(t, 1, b.fake.Calls("/2/media/upload/initialize"))
	require.Equal(t, 3, b.fake.Calls("/2/media/upload/"+m.ID+"/append"))
	require.Equal(t, 1, b.fake.Calls("/2/media/upload/"+m.ID+"/finalize"))
	require.Equal(t, 2, b.fake.Calls("/2/media/upload"), "STATUS polled until processed")
}

// A server that does not announce the video's length (chunked), nor its type: the video is
// sniffed, spooled to a temporary file for total_bytes, uploaded, and the file removed.
func TestPublishVideoUnannouncedLength(t *testing.T) {
	t.Parallel()
	b := videoSetup(t)
	b.adapter.spoolDir = t.TempDir()
	const size = segmentBytes + 1
	video := videoHost(t, size, "application/octet-stream", false, false)

	_, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "chunked", VideoURL: video})
	require.NoError(t, err)
	tweets := b.fake.Tweets()
	require.Len(t, tweets, 1)
	require.Len(t, tweets[0].Media, 1)
	require.Equal(t, size, tweets[0].Media[0].Size)
	require.Equal(t, 2, tweets[0].Media[0].Segments)
	require.Equal(t, "video/mp4", tweets[0].Media[0].ContentType, "sniffed from the bytes")
	require.Equal(t, videoSum(t, size, false), tweets[0].Media[0].SHA256)
	left, err := os.ReadDir(b.adapter.spoolDir)
	require.NoError(t, err)
	require.Empty(t, left, "the spooled copy is removed")
}

func TestPublishVideoFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("processing failed", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		video := videoHost(t, 1000, "video/mp4", true, true) // typed as MP4, but not one
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "broken", VideoURL: video})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Equal(t, "X could not process the video: Invalid or Unsupported media, Reason: UnsupportedMedia.", pe.Message)
		require.Empty(t, b.fake.Tweets())
	})

	t.Run("APPEND refused", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		video := videoHost(t, 3*segmentBytes, "video/mp4", true, false)
		b.fake.FailNextAppend(1, 1, http.StatusBadRequest)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "refused", VideoURL: video})
		pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, b.fake.Token)
		require.Equal(t, "X refused the post: Bad Request", pe.Message)
		require.Empty(t, b.fake.Tweets())
		require.Zero(t, b.fake.Calls("/2/media/upload"), "nothing after the refused segment")
	})

	t.Run("APPEND 503", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		video := videoHost(t, segmentBytes+10, "video/mp4", true, false)
		b.fake.FailNextAppend(0, 1, http.StatusServiceUnavailable)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "busy", VideoURL: video})
		requireKind(t, err, platform.Transient, http.StatusServiceUnavailable, b.fake.Token)
		require.Empty(t, b.fake.Tweets())
	})

	t.Run("still processing at the deadline", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		b.adapter.pollInterval = 5 * time.Millisecond
		b.adapter.pollMargin = 50 * time.Millisecond
		b.fake.SetVideoProcessing(1_000_000)
		video := videoHost(t, 1000, "video/mp4", true, false)
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		_, _, err := b.adapter.Publish(dctx, b.creds, platform.Post{Text: "slow", VideoURL: video})
		pe := requireKind(t, err, platform.Transient, 0, b.fake.Token)
		require.Contains(t, pe.Message, "X is still processing the video (")
		require.NoError(t, dctx.Err(), "given up before the deadline, not at it")
		require.Greater(t, b.fake.Calls("/2/media/upload"), 2, "polled meanwhile")
		require.Empty(t, b.fake.Tweets())
	})

	t.Run("no processing needed", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		b.fake.SetVideoProcessing(0)
		video := videoHost(t, 1000, "video/quicktime", true, false)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "quick", VideoURL: video})
		require.NoError(t, err)
		require.Zero(t, b.fake.Calls("/2/media/upload"), "no STATUS without processing_info")
		require.Equal(t, "video/quicktime", b.fake.Tweets()[0].Media[0].ContentType)
	})

	t.Run("not a video", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		images := fake.NewImages(t)
		page := images.Add("/page", "text/html", []byte("<html>hello</html>"))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: page})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "is not an MP4 or QuickTime (MOV) file")
		require.Zero(t, b.fake.Calls("/2/media/upload/initialize"))
	})

	t.Run("over 512 MB", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "video/mp4")
			w.Header().Set("Content-Length", strconv.Itoa(maxVideoBytes+1))
		}))
		t.Cleanup(srv.Close)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: srv.URL + "/big.mp4"})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "larger than the platform's limit")
		require.Zero(t, b.fake.Calls("/2/media/upload/initialize"))
	})

	t.Run("video gone", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		video := videoHost(t, 1000, "video/mp4", true, false)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: video + "x"})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "HTTP 404")
	})

	t.Run("video host breaks off", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "video/mp4")
			w.Header().Set("Content-Length", strconv.Itoa(3*segmentBytes))
			_, _ = io.Copy(w, &videoBytes{size: segmentBytes + 100}) // then hangs up
		}))
		t.Cleanup(srv.Close)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: srv.URL + "/v.mp4"})
		pe := requireKind(t, err, platform.Transient, 0, b.fake.Token)
		require.Contains(t, pe.Message, "could not fetch video")
		require.Empty(t, b.fake.Tweets())
		require.Zero(t, b.fake.Calls("/2/media/upload"), "never finalized")
	})
}

// A 64 MiB video costs the adapter its buffers, not its length: the whole publish (the
// fakes in this process included) allocates a small fraction of the video. Not parallel,
// so that no other test's allocations are counted.
func TestPublishVideoMemory(t *testing.T) {
	b := videoSetup(t)
	const size = 64 << 20
	video := videoHost(t, size, "video/mp4", true, false)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "big", VideoURL: video})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MiB video allocated %d KiB in total", size>>20, allocated>>10)
	require.Less(t, allocated, uint64(size/8), "the video is streamed, never held")
	m := b.fake.Tweets()[0].Media[0]
	require.Equal(t, size, m.Size)
	require.Equal(t, 16, m.Segments)
}

func TestSniffVideo(t *testing.T) {
	t.Parallel()
	require.Equal(t, "video/mp4", sniffVideo(mp4Head))
	require.Equal(t, "video/quicktime", sniffVideo([]byte("\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ")))
	require.Equal(t, "text/html", sniffVideo([]byte("<html>")))
	require.Equal(t, "text/plain", sniffVideo(nil))
}
