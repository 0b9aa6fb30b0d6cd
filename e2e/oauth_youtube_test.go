package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectYouTube connects a YouTube channel through OAuth with the built binary,
// against the fake Google on 127.0.0.1: the authorization URL (PKCE, both scopes, offline
// access, forced consent), the consent, the callback (the code exchanged with the secret in
// the body), the account listed with the channel, a video streamed through the resumable
// upload with the post's options (the session keeping less than a chunk once, as YouTube
// may), a rejected access token refreshed (Google keeps the refresh token), the app
// revoked (invalid_grant: the account is inactive), and a reconnect of the same channel
// updating its account rather than adding one.
func TestOAuthConnectYouTube(t *testing.T) {
	t.Parallel()
	yt := fake.NewYouTube(t)
	host := fake.NewImages(t)
	clip := make([]byte, 1<<20+1000) // one 8 MiB chunk holds it; the session keeps less once
	copy(clip, "\x00\x00\x00\x18ftypmp42")
	for i := 12; i < len(clip); i++ {
		clip[i] = byte(i * 7)
	}
	video := host.Add("/launch.mp4", "video/mp4", clip)
	e := oauthEnv(t, "YOUTUBE", yt.ClientID, yt.ClientSecret, yt.URL+"/o/oauth2/v2/auth", yt.URL+"/token", yt.URL)
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))

	connectYouTube := func() string {
		t.Helper()
		conn := connectOAuth(t, c, srv, "youtube")
		authURL := conn.AuthURL
		q := authURL.Query()
		require.Equal(t, yt.URL+"/o/oauth2/v2/auth", authURL.Scheme+"://"+authURL.Host+authURL.Path)
		require.Equal(t, yt.ClientID, q.Get("client_id"))
		require.Equal(t, "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly", q.Get("scope"))
		require.Equal(t, "offline", q.Get("access_type"))
		require.Equal(t, "consent", q.Get("prompt"))
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		return conn.AccountID()
	}

	accountID := connectYouTube()
	accounts := accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	a := accounts["youtube"]
	require.Equal(t, accountID, a.Id)
	require.Equal(t, yt.Channel.ID, a.PlatformUserId)
	require.Equal(t, "octoposter", a.Username, "the channel's handle without its @")
	require.Equal(t, yt.Channel.Title, a.DisplayName)
	require.Equal(t, nullable.NewNullableWithValue(yt.Channel.AvatarURL), a.AvatarUrl)
	require.True(t, a.IsActive)

	post := func(text string, options *oapi.PlatformOptions) oapi.Post {
		t.Helper()
		p := createPost(t, c, oapi.CreatePostRequest{
			Content: text, Platforms: &[]oapi.Platform{"youtube"}, PlatformOptions: options,
			Media: &oapi.Media{Video: nullable.NewNullableWithValue(oapi.Video{Url: video})},
		})
		publish(t, c, p.Id)
		return waitSettled(t, c, p.Id, publishTimeout)
	}

	// A video with a chosen title and privacy; the session keeps 256 KiB less than the
	// chunk, and the rest is sent again.
	yt.KeepShort(1)
	unlisted := oapi.YouTubeOptionsPrivacyStatus("unlisted")
	p := post("Launch day\nThe whole story. #launch #octopost", &oapi.PlatformOptions{
		Youtube: &oapi.YouTubeOptions{Title: ptr("Launch day, the video"), PrivacyStatus: &unlisted},
	})
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	videos := yt.Videos()
	require.Len(t, videos, 1)
	v := videos[0]
	require.Equal(t, "Launch day, the video", v.Title)
	require.Equal(t, "Launch day\nThe whole story. #launch #octopost", v.Description)
	require.Equal(t, []string{"launch", "octopost"}, v.Tags)
	require.Equal(t, "unlisted", v.PrivacyStatus)
	require.Equal(t, int64(len(clip)), v.Size)
	sum := sha256.Sum256(clip)
	require.Equal(t, hex.EncodeToString(sum[:]), v.SHA256)
	require.Equal(t, 2, v.Chunks, "the chunk, then what the session did not keep")
	result := p.PlatformResults["youtube"]
	require.Equal(t, v.ID, *result.PostId)
	require.Equal(t, "https://www.youtube.com/watch?v="+v.ID, *result.PostUrl)

	// The access token dies early: the publish refreshes it and goes on.
	yt.RevokeToken(strings.TrimPrefix(v.Authorization, "Bearer "))
	p = post("Second video", nil)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	issued, refused := yt.Refreshes()
	require.Equal(t, 1, issued)
	require.Zero(t, refused)
	videos = yt.Videos()
	require.Len(t, videos, 2)
	require.NotEqual(t, videos[0].Authorization, videos[1].Authorization)
	require.Equal(t, "Second video", videos[1].Title)
	require.Equal(t, "public", videos[1].PrivacyStatus)

	// The user removes the app: the refresh is refused with invalid_grant, and the account
	// is inactive until it connects again.
	yt.RevokeApp()
	p = post("Third video, never published", nil)
	require.Equal(t, oapi.PostStatus("failed"), p.Status, "results: %+v", p.PlatformResults)
	_, refused = yt.Refreshes()
	require.Equal(t, 1, refused)
	require.False(t, accountsByPlatform(t, c)["youtube"].IsActive)

	// The same channel connected again: its account is updated and active, not doubled.
	require.Equal(t, accountID, connectYouTube())
	accounts = accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	require.True(t, accounts["youtube"].IsActive)
	require.Equal(t, 2, yt.Exchanges())
	p = post("Fourth video, after reconnecting", nil)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	require.Len(t, yt.Videos(), 3)
}
