package e2e

import (
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectTikTok connects a TikTok account through OAuth with the built binary,
// against the fake TikTok on 127.0.0.1: the authorization URL (client_key, comma-separated
// scopes), the consent, the callback (TikTok's own code exchange), the account listed
// with the creator's profile, a video published by URL through creator info, init and
// status polling, a rejected access token refreshed (TikTok rotates the refresh token),
// and a reconnect of the same creator updating its account rather than adding one.
func TestOAuthConnectTikTok(t *testing.T) {
	t.Parallel()
	tt := fake.NewTikTok(t)
	tt.Configure(func(f *fake.TikTok) { f.Processing = 0 }) // published at the first poll
	e := oauthEnv(t, "TIKTOK", tt.ClientKey, tt.ClientSecret, tt.URL+"/v2/auth/authorize/", tt.URL+"/v2/oauth/token/", tt.URL)
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))

	connectTikTok := func() string {
		t.Helper()
		conn := connectOAuth(t, c, srv, "tiktok")
		authURL := conn.AuthURL
		require.Equal(t, tt.URL+"/v2/auth/authorize/", authURL.Scheme+"://"+authURL.Host+authURL.Path)
		require.Equal(t, tt.ClientKey, authURL.Query().Get("client_key"))
		require.Equal(t, "user.info.basic,video.publish", authURL.Query().Get("scope"))
		return conn.AccountID()
	}

	accountID := connectTikTok()
	accounts := accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	a := accounts["tiktok"]
	require.Equal(t, accountID, a.Id)
	require.Equal(t, tt.OpenID, a.PlatformUserId)
	require.Equal(t, tt.Username, a.Username)
	require.Equal(t, tt.DisplayName, a.DisplayName)
	require.Equal(t, nullable.NewNullableWithValue(tt.AvatarURL), a.AvatarUrl)
	require.True(t, a.IsActive)

	// A video, published by URL with the access token the exchange gave.
	const clip = "https://videos.example.com/clips/launch.mp4"
	post := func(text string) oapi.Post {
		t.Helper()
		video := nullable.NewNullableWithValue(oapi.Video{Url: clip})
		p := createPost(t, c, oapi.CreatePostRequest{
			Content: text, Platforms: &[]oapi.Platform{"tiktok"}, Media: &oapi.Media{Video: video},
		})
		publish(t, c, p.Id)
		return waitSettled(t, c, p.Id, publishTimeout)
	}
	p := post("Launch day, from Octopost")
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	videos := tt.Videos()
	require.Len(t, videos, 1)
	require.Equal(t, "Launch day, from Octopost", videos[0].Title)
	require.Equal(t, clip, videos[0].VideoURL)
	require.Equal(t, "PUBLIC_TO_EVERYONE", videos[0].PrivacyLevel)
	result := p.PlatformResults["tiktok"]
	require.Equal(t, videos[0].PostID, *result.PostId)
	require.Equal(t, "https://www.tiktok.com/@"+tt.Username+"/video/"+videos[0].PostID, *result.PostUrl)

	// The access token dies early: the publish refreshes it (a rotated refresh token)
	// and goes on.
	tt.RevokeToken(strings.TrimPrefix(videos[0].Authorization, "Bearer "))
	p = post("Second video")
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	issued, refused := tt.Refreshes()
	require.Equal(t, 1, issued)
	require.Zero(t, refused)
	videos = tt.Videos()
	require.Len(t, videos, 2)
	require.NotEqual(t, videos[0].Authorization, videos[1].Authorization)

	// The same creator connected again: its account is updated, not doubled.
	require.Equal(t, accountID, connectTikTok())
	accounts = accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	require.True(t, accounts["tiktok"].IsActive)
	require.Equal(t, 2, tt.Exchanges())
	p = post("Third video, after reconnecting")
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
}
