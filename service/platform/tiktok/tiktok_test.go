package tiktok

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

const video = "https://videos.example.com/clips/launch.mp4"

type testBundle struct {
	fake    *fake.TikTok
	adapter *Adapter
	creds   platform.Credentials
	token   string
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	f := fake.NewTikTok(t)
	access, refresh := f.IssueToken()
	a := New(netpolicy.Client(true, 5*time.Second), f.URL)
	a.pollInterval, a.maxWait = 5*time.Millisecond, 2*time.Second
	return &testBundle{
		fake: f, adapter: a, token: access,
		creds: platform.Credentials{KeyAccessToken: access, platform.KeyOAuthRefreshToken: refresh, KeyOpenID: f.OpenID},
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

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)

	profile, creds, err := b.adapter.Connect(t.Context(), b.creds)
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID: b.fake.OpenID, Username: b.fake.Username, DisplayName: b.fake.DisplayName, AvatarURL: b.fake.AvatarURL,
	}, profile)
	require.Equal(t, b.creds, creds)

	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{KeyAccessToken: "act.not-the-token"})
	pe := requireErrKind(t, err, platform.InvalidCredentials, "act.not-the-token")
	require.Equal(t, http.StatusUnauthorized, pe.Status)

	_, _, err = b.adapter.Connect(t.Context(), platform.Credentials{})
	requireErrKind(t, err, platform.InvalidCredentials)
	require.Equal(t, 2, b.fake.Calls("/v2/user/info/"), "a missing token is refused before any request")
}

func TestPublishPublicByDefault(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.fake.Configure(func(f *fake.TikTok) { f.Processing = 3 })

	ref, err := b.publish(t, platform.Post{
		Text: "Launch day 🚀 #octopost", VideoURL: video, IdempotencyKey: "k",
		Images: []platform.Image{{URL: "https://images.example.com/a.png"}}, // for the other platforms
	})
	require.NoError(t, err)
	videos := b.fake.Videos()
	require.Len(t, videos, 1)
	v := videos[0]
	require.Equal(t, "PUBLISH_COMPLETE", v.Status)
	require.Equal(t, platform.Ref{ID: v.PostID, URL: "https://www.tiktok.com/@" + b.fake.Username + "/video/" + v.PostID}, ref)
	require.Len(t, ref.ID, 19)
	require.Equal(t, "Launch day 🚀 #octopost", v.Title)
	require.Equal(t, PrivacyPublic, v.PrivacyLevel)
	require.False(t, v.DisableComment || v.DisableDuet || v.DisableStitch)
	require.Equal(t, video, v.VideoURL)
	require.Equal(t, "Bearer "+b.token, v.Authorization)
	require.Equal(t, 1, b.fake.Calls("/v2/post/publish/creator_info/query/"), "creator info is read before each post")
	require.Equal(t, 4, b.fake.Calls("/v2/post/publish/status/fetch/"), "polled until published")
}

func TestPublishOptions(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// Private: no public id, so the Ref is the publish id, without a URL.
	ref, err := b.publish(t, platform.Post{
		Text: "just for me", VideoURL: video,
		Options: json.RawMessage(`{"privacy_level": "SELF_ONLY", "disable_comment": true, "disable_stitch": true}`),
	})
	require.NoError(t, err)
	v := b.fake.Videos()[0]
	require.Equal(t, platform.Ref{ID: v.PublishID}, ref)
	require.Equal(t, PrivacySelfOnly, v.PrivacyLevel)
	require.True(t, v.DisableComment)
	require.False(t, v.DisableDuet)
	require.True(t, v.DisableStitch)

	// The creator's own settings win.
	b.fake.Configure(func(f *fake.TikTok) { f.DuetDisabled = true })
	_, err = b.publish(t, platform.Post{Text: "friends", VideoURL: video, Options: json.RawMessage(`{"privacy_level": "MUTUAL_FOLLOW_FRIENDS"}`)})
	require.NoError(t, err)
	v = b.fake.Videos()[1]
	require.Equal(t, PrivacyFriends, v.PrivacyLevel)
	require.True(t, v.DisableDuet, "the creator turned duets off")
	require.False(t, v.DisableComment)

	// A private account offers no public level: a level it allows must be asked for.
	b.fake.Configure(func(f *fake.TikTok) { f.PrivacyOptions = []string{PrivacyFollowers, PrivacySelfOnly} })
	_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video})
	pe := requireErrKind(t, err, platform.Permanent)
	require.Contains(t, pe.Message, "platform_options.tiktok.privacy_level")
	require.Contains(t, pe.Message, "FOLLOWER_OF_CREATOR, SELF_ONLY")
	_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video, Options: json.RawMessage(`{"privacy_level": "PUBLIC_TO_EVERYONE"}`)})
	pe = requireErrKind(t, err, platform.Permanent)
	require.Contains(t, pe.Message, "PUBLIC_TO_EVERYONE is not allowed")
	require.Contains(t, pe.Message, "FOLLOWER_OF_CREATOR, SELF_ONLY")
	require.Len(t, b.fake.Videos(), 2, "refused before any init")
	_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video, Options: json.RawMessage(`{"privacy_level": "FOLLOWER_OF_CREATOR"}`)})
	require.NoError(t, err)

	_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video, Options: json.RawMessage(`{"privacy": "SELF_ONLY"}`)})
	requireErrKind(t, err, platform.Permanent)
}

// TikTok takes no replies: a thread's segment, with its own video, is a video of its own.
func TestPublishSegmentStandsAlone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first, err := b.publish(t, platform.Post{Text: "part 1", VideoURL: video})
	require.NoError(t, err)
	second, err := b.publish(t, platform.Post{Text: "part 2", VideoURL: video + "?part=2", ReplyTo: &first, Root: &first})
	require.NoError(t, err)
	require.NotEqual(t, first.ID, second.ID)
	videos := b.fake.Videos()
	require.Len(t, videos, 2)
	require.Equal(t, "part 2", videos[1].Title, "nothing of the first part in the second")
	require.Equal(t, video+"?part=2", videos[1].VideoURL)
}

func TestSpecOptions(t *testing.T) {
	t.Parallel()
	post := platform.Post{VideoURL: video}
	require.Empty(t, Spec.Options(json.RawMessage(`{}`), post))
	require.Empty(t, Spec.Options(json.RawMessage(`{"privacy_level": "SELF_ONLY", "disable_comment": true, "disable_duet": false, "disable_stitch": true}`), post))
	require.Equal(t, []platform.OptionProblem{{Path: "/privacy_level",
		Message: "must be one of PUBLIC_TO_EVERYONE, MUTUAL_FOLLOW_FRIENDS, FOLLOWER_OF_CREATOR, SELF_ONLY"}},
		Spec.Options(json.RawMessage(`{"privacy_level": "public"}`), post))
	require.Len(t, Spec.Options(json.RawMessage(`{"disable_comment": "yes"}`), post), 1)
	require.Equal(t, 0, Spec.MaxImages)
	require.False(t, Spec.Replies)
}

func TestPublishRefusedBeforeAnyCall(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.publish(t, platform.Post{Text: "no video"})
	require.Contains(t, requireErrKind(t, err, platform.Permanent).Message, "needs a video")
	_, err = b.publish(t, platform.Post{Text: strings.Repeat("é", 2201), VideoURL: video})
	requireErrKind(t, err, platform.Permanent)
	_, _, err = b.adapter.Publish(t.Context(), platform.Credentials{}, platform.Post{Text: "x", VideoURL: video})
	requireErrKind(t, err, platform.TokenRejected)
	require.Equal(t, 0, b.fake.Calls("/v2/post/publish/creator_info/query/"))

	// 2200 characters is TikTok's limit, and fine.
	_, err = b.publish(t, platform.Post{Text: strings.Repeat("é", 2200), VideoURL: video})
	require.NoError(t, err)
}

func TestPublishRefusals(t *testing.T) {
	t.Parallel()

	t.Run("unaudited app", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.Configure(func(f *fake.TikTok) { f.Audited = false })
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		pe := requireErrKind(t, err, platform.Permanent)
		require.Equal(t, http.StatusForbidden, pe.Status)
		require.Contains(t, pe.Message, "unaudited_client_can_only_post_to_private_accounts")
		_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video, Options: json.RawMessage(`{"privacy_level": "SELF_ONLY"}`)})
		require.NoError(t, err, "an unaudited app may post privately")
	})
	t.Run("unverified video domain", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: "https://elsewhere.example.net/v.mp4"})
		pe := requireErrKind(t, err, platform.Permanent)
		require.Contains(t, pe.Message, "url_ownership_unverified")
		require.Contains(t, pe.Message, "not verified")
	})
	t.Run("failed processing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailPublish("file_format_check_failed")
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		pe := requireErrKind(t, err, platform.Permanent)
		require.Equal(t, "TikTok could not publish the video: file_format_check_failed", pe.Message)
	})
	t.Run("spam risk", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/v2/post/publish/video/init/", 1, http.StatusForbidden)
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		pe := requireErrKind(t, err, platform.Permanent)
		require.Contains(t, pe.Message, "spam_risk_too_many_posts")
	})
	t.Run("token rejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RevokeToken(b.token)
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		pe := requireErrKind(t, err, platform.TokenRejected, b.token)
		require.Equal(t, http.StatusUnauthorized, pe.Status)
		require.Empty(t, b.fake.Videos())
	})
	t.Run("server error before init", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/v2/post/publish/creator_info/query/", 1, http.StatusInternalServerError)
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		requireErrKind(t, err, platform.Transient)
		b.fake.FailNext("/v2/post/publish/video/init/", 1, http.StatusServiceUnavailable)
		_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video})
		requireErrKind(t, err, platform.Transient)
		require.Empty(t, b.fake.Videos())
		_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video})
		require.NoError(t, err)
	})
}

// TikTok allows 6 inits a minute per token and says nothing of when to retry: the
// adapter waits out the window.
func TestPublishRateLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	var clock atomic.Int64
	clock.Store(now.UnixNano())
	b.fake.SetNow(func() time.Time { return time.Unix(0, clock.Load()) })
	for range 6 {
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		require.NoError(t, err)
	}
	_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
	pe := requireErrKind(t, err, platform.Transient)
	require.Equal(t, http.StatusTooManyRequests, pe.Status)
	require.Equal(t, time.Minute, pe.RetryAfter)
	require.Len(t, b.fake.Videos(), 6)

	clock.Store(now.Add(time.Minute).UnixNano())
	_, err = b.publish(t, platform.Post{Text: "x", VideoURL: video})
	require.NoError(t, err)
}

// Once TikTok has the video, no failure is Transient: a retry would init again and post
// the video twice.
func TestPublishNeverPostsTwice(t *testing.T) {
	t.Parallel()

	t.Run("status hiccup", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/v2/post/publish/status/fetch/", 2, http.StatusInternalServerError)
		ref, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		require.NoError(t, err, "a failed status read is asked again")
		require.NotEmpty(t, ref.URL)
	})
	t.Run("still processing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.Configure(func(f *fake.TikTok) { f.Processing = 1 << 20 })
		b.adapter.maxWait = 100 * time.Millisecond
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		pe := requireErrKind(t, err, platform.Permanent)
		require.Contains(t, pe.Message, b.fake.Videos()[0].PublishID)
		require.Contains(t, pe.Message, "still processing")
	})
	t.Run("context deadline", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.Configure(func(f *fake.TikTok) { f.Processing = 1 << 20 })
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: video})
		requireErrKind(t, err, platform.Permanent)
		require.Less(t, time.Since(start), 300*time.Millisecond, "it stops before the deadline")
	})
	t.Run("status keeps failing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.adapter.maxWait = 100 * time.Millisecond
		b.fake.FailNext("/v2/post/publish/status/fetch/", 1<<20, http.StatusBadGateway)
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		pe := requireErrKind(t, err, platform.Permanent)
		require.Contains(t, pe.Message, "could not be read")
	})
	t.Run("token rejected while polling", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/v2/post/publish/status/fetch/", 1, http.StatusUnauthorized)
		_, err := b.publish(t, platform.Post{Text: "x", VideoURL: video})
		requireErrKind(t, err, platform.Permanent)
		require.Len(t, b.fake.Videos(), 1)
	})
	t.Run("init sent, no answer", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var inits atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v2/post/publish/video/init/" {
				inits.Add(1)
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close() // the request arrived; the answer never comes
				}
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data": {"creator_username": "c", "privacy_level_options": ["PUBLIC_TO_EVERYONE"]}, "error": {"code": "ok"}}`))
		}))
		t.Cleanup(srv.Close)
		a := New(netpolicy.Client(true, 5*time.Second), srv.URL)
		_, _, err := a.Publish(t.Context(), b.creds, platform.Post{Text: "x", VideoURL: video})
		pe := requireErrKind(t, err, platform.Permanent, b.token)
		require.Contains(t, pe.Message, "check the account before publishing again")
		require.Equal(t, int32(1), inits.Load())
	})
	t.Run("nothing sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nobody listens: nothing can have been posted
		a := New(netpolicy.Client(true, 5*time.Second), srv.URL)
		_, _, err := a.Publish(t.Context(), b.creds, platform.Post{Text: "x", VideoURL: video})
		requireErrKind(t, err, platform.Transient, b.token)
	})
	require.False(t, platform.IsIdempotent(New(nil, "")), "TikTok has no idempotency key")
}
