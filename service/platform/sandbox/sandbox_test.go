package sandbox_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/platform/sandbox"
)

// spec is the registry's Spec of a platform, which carries its sandbox identity.
func spec(t *testing.T, id string) platform.Spec {
	t.Helper()
	s, ok := platforms.All.Lookup(id)
	require.True(t, ok, id)
	return s
}

// shapes are what each platform's ids and URLs look like.
var shapes = map[string]struct{ id, url string }{
	"twitter":   {`^1\d{18}$`, `^https://x\.com/i/status/1\d{18}$`},
	"bluesky":   {`^at://did:plc:[a-z2-7]{24}/app\.bsky\.feed\.post/[2-7a-j][2-7a-z]{12}$`, `^https://bsky\.app/profile/sandbox\.bsky\.social/post/[2-7a-j][2-7a-z]{12}$`},
	"mastodon":  {`^11\d{16}$`, `^https://mastodon\.example/@sandbox/11\d{16}$`},
	"linkedin":  {`^urn:li:share:7\d{18}$`, `^https://www\.linkedin\.com/feed/update/urn:li:share:7\d{18}$`},
	"threads":   {`^1\d{16}$`, `^https://www\.threads\.net/@sandbox/post/[\w-]{11}$`},
	"instagram": {`^1\d{16}$`, `^https://www\.instagram\.com/p/[\w-]{11}/$`},
	"facebook":  {`^\d{15}_1\d{16}$`, `^https://www\.facebook\.com/\d{15}/posts/1\d{16}$`},
	"tiktok":    {`^7\d{18}$`, `^https://www\.tiktok\.com/@sandbox/video/7\d{18}$`},
	"youtube":   {`^[\w-]{11}$`, `^https://www\.youtube\.com/watch\?v=[\w-]{11}$`},
	"discord":   {`^1\d{18}$`, `^https://discord\.com/channels/\d{19}/\d{19}/1\d{18}$`},
	"slack":     {`^17\d{8}\.\d{6}$`, `^https://sandbox\.slack\.com/archives/C0SANDBOX01/p17\d{14}$`},
	"telegram":  {`^[1-9]\d{0,5}$`, `^https://t\.me/sandbox_channel/[1-9]\d{0,5}$`},
}

func TestPublishShapesAndDeterminism(t *testing.T) {
	t.Parallel()
	require.Len(t, shapes, 12)
	ctx := context.Background()
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a, err := sandbox.New(spec(t, name), "")
			require.NoError(t, err)
			require.True(t, platform.IsIdempotent(a))
			post := platform.Post{Text: "hello", IdempotencyKey: "post_01:" + name + ":0"}

			ref, creds, err := a.Publish(ctx, nil, post)
			require.NoError(t, err)
			require.Nil(t, creds)
			require.Regexp(t, regexp.MustCompile(shape.id), ref.ID)
			require.Regexp(t, regexp.MustCompile(shape.url), ref.URL)
			if name == "bluesky" {
				require.Regexp(t, `^bafyrei[a-z2-7]{52}$`, ref.CID)
			} else {
				require.Empty(t, ref.CID)
			}

			again, _, err := a.Publish(ctx, nil, post)
			require.NoError(t, err)
			require.Equal(t, ref, again, "a retry gets the same id")

			other, _, err := a.Publish(ctx, nil, platform.Post{Text: "hello", IdempotencyKey: "post_01:" + name + ":1"})
			require.NoError(t, err)
			require.NotEqual(t, ref.ID, other.ID)
		})
	}
}

func TestPublishWithoutKeyIsUnique(t *testing.T) {
	t.Parallel()
	a, err := sandbox.New(spec(t, "mastodon"), sandbox.SimulateNone)
	require.NoError(t, err)
	one, _, err := a.Publish(context.Background(), nil, platform.Post{Text: "x"})
	require.NoError(t, err)
	two, _, err := a.Publish(context.Background(), nil, platform.Post{Text: "x"})
	require.NoError(t, err)
	require.NotEqual(t, one.ID, two.ID)
}

func TestSimulate(t *testing.T) {
	t.Parallel()
	for simulate, want := range map[string]*platform.Error{
		sandbox.SimulateTokenExpired: {Kind: platform.TokenRejected, Status: http.StatusUnauthorized},
		sandbox.SimulateRateLimited:  {Kind: platform.Transient, Status: http.StatusTooManyRequests, RetryAfter: sandbox.RateLimitRetryAfter},
		sandbox.SimulateServerError:  {Kind: platform.Transient, Status: http.StatusInternalServerError},
		sandbox.SimulateNone:         nil,
		"":                           nil,
	} {
		a, err := sandbox.New(spec(t, "linkedin"), simulate)
		require.NoError(t, err)

		profile, _, err := a.Connect(context.Background(), nil)
		require.NoError(t, err, "connecting always works: simulate is about publishing")
		require.NotEmpty(t, profile.UserID)

		_, _, err = a.Publish(context.Background(), nil, platform.Post{Text: "hi", IdempotencyKey: "k"})
		if want == nil {
			require.NoError(t, err, simulate)
			continue
		}
		var pe *platform.Error
		require.ErrorAs(t, err, &pe, simulate)
		require.Equal(t, want.Kind, pe.Kind, simulate)
		require.Equal(t, want.Status, pe.Status, simulate)
		require.Equal(t, want.RetryAfter, pe.RetryAfter, simulate)
		require.Contains(t, pe.Message, "simulated")
	}
	require.Equal(t, 30*time.Second, sandbox.RateLimitRetryAfter)
}

func TestConnect(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]struct{ userID, username, display string }{
		"twitter":  {`^\d{19}$`, `^sandbox_twitter_\d{6}$`, "Sandbox X"},
		"bluesky":  {`^did:plc:[a-z2-7]{24}$`, `^sandbox-\d{6}\.bsky\.social$`, "Sandbox Bluesky"},
		"mastodon": {`^\d{18}$`, `^sandbox_\d{6}@mastodon\.example$`, "Sandbox Mastodon"},
		"youtube":  {`^UC[\w-]{22}$`, `^sandbox_youtube_\d{6}$`, "Sandbox YouTube"},
		"telegram": {`^-100\d{10}$`, `^sandbox_telegram_\d{6}$`, "Sandbox Telegram"},
	} {
		a, err := sandbox.New(spec(t, name), sandbox.SimulateNone)
		require.NoError(t, err)
		p, creds, err := a.Connect(context.Background(), platform.Credentials{"ignored": "x"})
		require.NoError(t, err)
		require.Nil(t, creds, "sandbox accounts store no credentials")
		require.Regexp(t, want.userID, p.UserID)
		require.Regexp(t, want.username, p.Username)
		require.Equal(t, want.display, p.DisplayName)
		require.Empty(t, p.AvatarURL)

		q, _, err := a.Connect(context.Background(), nil)
		require.NoError(t, err)
		require.NotEqual(t, p.UserID, q.UserID, "two sandbox accounts are told apart")
	}
}

func TestNewRejectsUnknownValues(t *testing.T) {
	t.Parallel()
	_, err := sandbox.New(platform.Spec{ID: "myspace"}, "")
	require.ErrorContains(t, err, `unknown platform "myspace"`)
	_, err = sandbox.New(spec(t, "twitter"), "explode")
	require.ErrorContains(t, err, `unknown simulate value "explode"`)
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	a, err := sandbox.New(spec(t, "slack"), "")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = a.Publish(ctx, nil, platform.Post{Text: "x", IdempotencyKey: "k"})
	require.ErrorIs(t, err, context.Canceled)
	_, _, err = a.Connect(ctx, nil)
	require.ErrorIs(t, err, context.Canceled)
}

// A sandbox account keeps one identity: where a platform's post ids or URLs name the
// account, a post published through it names the handle and id Connect gave it.
func TestPostsNameTheirAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, names := range map[string]func(p platform.Profile, ref platform.Ref) []string{
		"bluesky": func(p platform.Profile, ref platform.Ref) []string {
			return []string{"at://" + p.UserID + "/app.bsky.feed.post/", "https://bsky.app/profile/" + p.Username + "/post/"}
		},
		"mastodon": func(p platform.Profile, ref platform.Ref) []string {
			user, _, _ := strings.Cut(p.Username, "@")
			return []string{"https://mastodon.example/@" + user + "/" + ref.ID}
		},
		"threads": func(p platform.Profile, _ platform.Ref) []string {
			return []string{"https://www.threads.net/@" + p.Username + "/post/"}
		},
		"tiktok": func(p platform.Profile, ref platform.Ref) []string {
			return []string{"https://www.tiktok.com/@" + p.Username + "/video/" + ref.ID}
		},
		"facebook": func(p platform.Profile, _ platform.Ref) []string {
			return []string{"https://www.facebook.com/" + p.UserID + "/posts/", p.UserID + "_"}
		},
		"telegram": func(p platform.Profile, ref platform.Ref) []string {
			return []string{"https://t.me/" + p.Username + "/" + ref.ID}
		},
	} {
		a, err := sandbox.New(spec(t, name), "")
		require.NoError(t, err)
		profile, _, err := a.Connect(ctx, nil)
		require.NoError(t, err)
		ref, _, err := a.As(profile).Publish(ctx, nil, platform.Post{Text: "hi", IdempotencyKey: "k"})
		require.NoError(t, err)
		for _, want := range names(profile, ref) {
			require.Contains(t, ref.ID+" "+ref.URL, want, name)
		}
		other, _, err := a.Connect(ctx, nil)
		require.NoError(t, err)
		theirs, _, err := a.As(other).Publish(ctx, nil, platform.Post{Text: "hi", IdempotencyKey: "k"})
		require.NoError(t, err)
		require.NotEqual(t, ref.URL, theirs.URL, "%s: another account's post is at its own address", name)
	}
}
