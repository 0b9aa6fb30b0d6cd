package youtube

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

// testChunk is the chunk size in tests: small videos still go in several chunks.
const testChunk = 2 * chunkUnit

type bundle struct {
	fake    *fake.YouTube
	adapter *Adapter
	creds   platform.Credentials
	token   string
}

func setup(t *testing.T) bundle {
	t.Helper()
	f := fake.NewYouTube(t)
	a := New(&http.Client{Timeout: 30 * time.Second}, f.URL)
	a.chunkSize, a.retryWait = testChunk, time.Millisecond
	access, _ := f.IssueToken()
	return bundle{fake: f, adapter: a, creds: platform.Credentials{KeyAccessToken: access}, token: access}
}

// video returns n bytes of a made-up video.
func video(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x00\x00\x00\x18ftypmp42")
	for i := 12; i < n; i++ {
		b[i] = byte(i*31 + i>>9)
	}
	return b
}

// videoHost serves body at /v.mp4, announcing its length or not (chunked).
func videoHost(t *testing.T, body []byte, announce bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v.mp4" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "video/mp4")
		if announce {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 32<<10)
			_, _ = w.Write(rest[:n])
			if f, ok := w.(http.Flusher); ok && !announce {
				f.Flush()
			}
			rest = rest[n:]
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v.mp4"
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// A video goes up in chunks with its metadata: the title is the first line, the
// description the text, the tags its hashtags; every byte arrives once, in order, whether
// or not its length was announced, and whatever its size against the chunk's.
func TestPublishVideo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		size     int
		announce bool
		chunks   int
	}{
		{"announced, several chunks", 5*chunkUnit + 1234, true, 3},
		{"unannounced, several chunks", 5*chunkUnit + 1234, false, 3},
		{"unannounced, exact chunks", 2 * testChunk, false, 2},
		{"announced, exact chunks", 2 * testChunk, true, 2},
		{"small", 1000, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			body := video(tc.size)
			text := "Launch day\nOur new thing, at last. #launch #Octopost #launch #octopost_2"
			ref, creds, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: text, VideoURL: videoHost(t, body, tc.announce)})
			require.NoError(t, err)
			require.Nil(t, creds)
			videos := b.fake.Videos()
			require.Len(t, videos, 1)
			v := videos[0]
			require.Equal(t, platform.Ref{ID: v.ID, URL: "https://www.youtube.com/watch?v=" + v.ID}, ref)
			require.Len(t, v.ID, 11)
			require.Equal(t, "Launch day", v.Title)
			require.Equal(t, text, v.Description)
			require.Equal(t, []string{"launch", "Octopost", "octopost_2"}, v.Tags)
			require.Equal(t, "public", v.PrivacyStatus)
			require.False(t, v.MadeForKids)
			require.Equal(t, "video/mp4", v.ContentType)
			if tc.announce {
				require.Equal(t, int64(tc.size), v.Announced)
			} else {
				require.Equal(t, int64(-1), v.Announced)
			}
			require.Equal(t, int64(tc.size), v.Size)
			require.Equal(t, sum(body), v.SHA256)
			require.Equal(t, tc.chunks, v.Chunks)
			require.Equal(t, "Bearer "+b.token, v.Authorization)
		})
	}
}

// The options' title and privacy replace the defaults; without a title, a long first
// line is cut to 100 characters.
func TestPublishOptionsAndTitle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := videoHost(t, video(1000), true)
	_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{
		Text: "first line", VideoURL: src, Options: json.RawMessage(`{"title":"  Chosen title ","privacy_status":"unlisted"}`),
	})
	require.NoError(t, err)
	long := strings.Repeat("é", 120)
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: long + "\nmore", VideoURL: src})
	require.NoError(t, err)
	videos := b.fake.Videos()
	require.Len(t, videos, 2)
	require.Equal(t, "Chosen title", videos[0].Title)
	require.Equal(t, "unlisted", videos[0].PrivacyStatus)
	require.Equal(t, strings.Repeat("é", 100), videos[1].Title)
	require.Equal(t, "public", videos[1].PrivacyStatus)
}

// What YouTube would refuse is refused before anything is fetched or uploaded.
func TestPublishRefusedBeforeUpload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := videoHost(t, video(1000), true)
	for name, p := range map[string]platform.Post{
		"angle brackets":   {Text: "a <b> title", VideoURL: src},
		"no video":         {Text: "title"},
		"empty first line": {Text: "\nbody", VideoURL: src},
		"long description": {Text: "t\n" + strings.Repeat("x", 5000), VideoURL: src},
		"bad option":       {Text: "t", VideoURL: src, Options: json.RawMessage(`{"title":"<x>"}`)},
	} {
		_, _, err := b.adapter.Publish(t.Context(), b.creds, p)
		requireKind(t, err, platform.Permanent)
		require.Zero(t, b.fake.Started(), name)
	}
}

// The session keeps less than a chunk (YouTube's quirk): the rest is sent again, and the
// video arrives whole.
func TestUploadResendsWhatWasNotKept(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.adapter.chunkSize = 4 * chunkUnit
	body := video(8 * chunkUnit)
	b.fake.KeepShort(2)
	_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, body, false)})
	require.NoError(t, err)
	v := b.fake.Videos()[0]
	require.Equal(t, int64(len(body)), v.Size)
	require.Equal(t, sum(body), v.SHA256)
	// Two chunks would do; the first two kept 3 of their 4 units each, and the unit not
	// kept went first in the next chunk, filled up again.
	require.Equal(t, 3, v.Chunks)
}

// A chunk that fails with a 503 after part of it arrived: the upload asks the session
// where it stands and goes on from there.
func TestUploadResumesAfterFailedChunk(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.adapter.chunkSize = 4 * chunkUnit
	body := video(10 * chunkUnit)
	b.fake.FailChunks(2)
	_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, body, true)})
	require.NoError(t, err)
	v := b.fake.Videos()[0]
	require.Equal(t, sum(body), v.SHA256)
	require.Equal(t, 1, b.fake.Started())
}

// A chunk that keeps failing fails the publish Transient after a few tries; a session
// that expired is Transient too, and the retry starts a new one.
func TestUploadGivesUp(t *testing.T) {
	t.Parallel()
	b := setup(t)
	src := videoHost(t, video(3*chunkUnit), true)
	b.fake.FailNext("chunk", 100, fake.YouTubeFailure{Status: http.StatusServiceUnavailable, Reason: "backendError"})
	_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: src})
	pe := requireKind(t, err, platform.Transient, b.token, "upload_id")
	require.Equal(t, http.StatusServiceUnavailable, pe.Status)
	require.Equal(t, chunkTries, b.fake.Calls("/upload/youtube/v3/videos")-1, "the start, then chunkTries PUTs")

	// The session is gone (expired, or dropped by YouTube): Transient, not retried in
	// place, and the next publish starts a new session.
	b = setup(t)
	b.fake.FailNext("chunk", 1, fake.YouTubeFailure{Status: http.StatusNotFound, Reason: "notFound"})
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: src})
	requireKind(t, err, platform.Transient, b.token, "upload_id")
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: src})
	require.NoError(t, err)
	require.Equal(t, 2, b.fake.Started())
	require.Len(t, b.fake.Videos(), 1)

	// ExpireSessions: every session started so far answers 404.
	b = setup(t)
	b.fake.FailChunks(1) // the first chunk fails after half of it was kept…
	b.adapter.retryWait = 50 * time.Millisecond
	go func() {
		time.Sleep(10 * time.Millisecond)
		b.fake.ExpireSessions() // …and the session is gone when asked where it stands
	}()
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: src})
	pe = requireKind(t, err, platform.Transient, "upload_id")
	require.Equal(t, http.StatusNotFound, pe.Status)
}

// Google's errors, classified by status and reason.
func TestPublishErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		route      string
		failure    fake.YouTubeFailure
		kind       platform.Kind
		retryAfter time.Duration
	}{
		{"insert", fake.YouTubeFailure{Status: 403, Reason: "quotaExceeded"}, platform.Permanent, 0},
		{"insert", fake.YouTubeFailure{Status: 403, Reason: "uploadLimitExceeded"}, platform.Permanent, 0},
		{"insert", fake.YouTubeFailure{Status: 403, Reason: "rateLimitExceeded", RetryAfter: "30"}, platform.Transient, 30 * time.Second},
		{"insert", fake.YouTubeFailure{Status: 429, Reason: "rateLimitExceeded"}, platform.Transient, 0},
		{"insert", fake.YouTubeFailure{Status: 400, Reason: "invalidTitle"}, platform.Permanent, 0},
		{"insert", fake.YouTubeFailure{Status: 400, Reason: "invalidDescription"}, platform.Permanent, 0},
		{"insert", fake.YouTubeFailure{Status: 403, Reason: "forbidden"}, platform.Permanent, 0},
		{"insert", fake.YouTubeFailure{Status: 500, Reason: "backendError"}, platform.Transient, 0},
		{"insert", fake.YouTubeFailure{Status: 401, Reason: "youtubeSignupRequired"}, platform.Permanent, 0},
		{"chunk", fake.YouTubeFailure{Status: 401, Reason: "authError"}, platform.TokenRejected, 0},
		{"chunk", fake.YouTubeFailure{Status: 403, Reason: "quotaExceeded"}, platform.Permanent, 0},
	} {
		t.Run(tc.route+" "+strconv.Itoa(tc.failure.Status)+" "+tc.failure.Reason, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.fake.FailNext(tc.route, 1, tc.failure)
			_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, video(1000), true)})
			pe := requireKind(t, err, tc.kind, b.token)
			require.Equal(t, tc.failure.Status, pe.Status)
			require.Equal(t, tc.retryAfter, pe.RetryAfter)
			if tc.failure.Reason == "quotaExceeded" {
				require.Contains(t, pe.Message, "midnight Pacific time")
			}
			require.Empty(t, b.fake.Videos())
		})
	}
}

// An expired or revoked access token is TokenRejected, for the service to refresh it.
func TestPublishTokenRejected(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.RevokeToken(b.token)
	_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, video(1000), true)})
	requireKind(t, err, platform.TokenRejected, b.token)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{}, platform.Post{Text: "t", VideoURL: "https://v.example/v.mp4"})
	requireKind(t, err, platform.TokenRejected)
}

// The video's URL is the user's: fetched through the SSRF-safe client, a private address
// is refused (Permanent), and so is one that is not there.
func TestPublishVideoSource(t *testing.T) {
	t.Parallel()
	b := setup(t)
	strict := New(fake.StrictClient(10*time.Second, b.fake.URL), b.fake.URL)
	_, _, err := strict.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, video(1000), true)})
	pe := requireKind(t, err, platform.Permanent)
	require.ErrorIs(t, pe, netpolicy.ErrNotPublic)
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, nil, true) + "/missing"})
	requireKind(t, err, platform.Permanent)
	_, _, err = b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, nil, false)})
	requireKind(t, err, platform.Permanent)
	require.Zero(t, b.fake.Started())
}

// Connect reads the channel with the token.
func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)
	p, creds, err := b.adapter.Connect(t.Context(), b.creds)
	require.NoError(t, err)
	require.Equal(t, b.creds, creds)
	require.Equal(t, b.fake.Channel.ID, p.UserID)
	require.Equal(t, "octoposter", p.Username)
	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{})
	requireKind(t, err, platform.InvalidCredentials)
	b.fake.FailNext("channels", 1, fake.YouTubeFailure{Status: 503, Reason: "backendError"})
	_, _, err = b.adapter.Connect(t.Context(), b.creds)
	requireKind(t, err, platform.Transient)
}

// Tags are the hashtags, without repeats, within YouTube's 500 characters.
func TestTags(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"go", "Été_2026"}, Tags("#go and #Go, not C# nor https://x.example/#frag, but #Été_2026"))
	require.Nil(t, Tags("no tags"))
	var text []string
	for i := range 60 {
		text = append(text, "#"+strings.Repeat(string(rune('a'+i%26)), 9)+strconv.Itoa(i))
	}
	tags := Tags(strings.Join(text, " "))
	total := len(tags) - 1
	for _, tag := range tags {
		total += len(tag)
	}
	require.LessOrEqual(t, total, 500)
	require.Greater(t, total, 480, "as many as fit")
}

// Spec.Options checks the entry's shape, title and privacy.
func TestOptions(t *testing.T) {
	t.Parallel()
	ok := []string{`{}`, `null`, `{"title":"A title"}`, `{"privacy_status":"private"}`, `{"title":"` + strings.Repeat("ü", 100) + `","privacy_status":"unlisted"}`}
	for _, raw := range ok {
		require.Empty(t, Spec.Options(json.RawMessage(raw), platform.Post{}), raw)
	}
	for raw, path := range map[string]string{
		`{"title":""}`:    "/title",
		`{"title":"   "}`: "/title",
		`{"title":"` + strings.Repeat("a", 101) + `"}`: "/title",
		`{"title":"a <b>"}`:                            "/title",
		`{"title":"two\nlines"}`:                       "/title",
		`{"privacy_status":"friends"}`:                 "/privacy_status",
		`{"visibility":"public"}`:                      "",
		`[]`:                                           "",
	} {
		problems := Spec.Options(json.RawMessage(raw), platform.Post{})
		require.Len(t, problems, 1, raw)
		require.Equal(t, path, problems[0].Path, raw)
		require.NotEmpty(t, problems[0].Message)
	}
}

// loseAnswer passes requests on, but the first PUT that carries bytes gets no answer (a
// timeout) after the session received them.
type loseAnswer struct {
	next http.RoundTripper
	lost bool
}

func (l *loseAnswer) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := l.next.RoundTrip(req)
	if err != nil || l.lost || req.Method != http.MethodPut || req.ContentLength == 0 {
		return resp, err
	}
	l.lost = true
	resp.Body.Close()
	return nil, os.ErrDeadlineExceeded
}

// A chunk whose answer is lost (a timeout) is not sent again blindly: the session is asked
// where it stands, and the upload goes on after what it kept.
func TestUploadResumesAfterTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.adapter.client = &http.Client{Timeout: 30 * time.Second, Transport: &loseAnswer{next: http.DefaultTransport}}
	body := video(5 * chunkUnit)
	_, _, err := b.adapter.Publish(t.Context(), b.creds, platform.Post{Text: "t", VideoURL: videoHost(t, body, true)})
	require.NoError(t, err)
	v := b.fake.Videos()[0]
	require.Equal(t, sum(body), v.SHA256)
	require.Equal(t, 3, v.Chunks, "the first chunk was kept: not sent twice")
}
