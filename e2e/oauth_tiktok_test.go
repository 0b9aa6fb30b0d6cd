package e2e

import (
	"net/http"
	"net/url"
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
	const public = "https://octopost.example.com"
	e := pgEnv(t)
	e["OCTOPOST_PLATFORMS_ALLOW_PRIVATE"] = "true"
	e["OCTOPOST_PUBLIC_URL"] = public
	e["OCTOPOST_OAUTH_REDIRECT_ORIGINS"] = "https://app.example.com"
	e["OCTOPOST_TIKTOK_CLIENT_ID"] = tt.ClientKey
	e["OCTOPOST_TIKTOK_CLIENT_SECRET"] = tt.ClientSecret
	e["OCTOPOST_TIKTOK_AUTH_URL"] = tt.URL + "/v2/auth/authorize/"
	e["OCTOPOST_TIKTOK_TOKEN_URL"] = tt.URL + "/v2/oauth/token/"
	e["OCTOPOST_TIKTOK_API_URL"] = tt.URL
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	connectTikTok := func() string {
		t.Helper()
		resp, err := c.ConnectOAuthAccountWithResponse(t.Context(), nil, oapi.ConnectOAuthRequest{
			Platform: "tiktok", RedirectUrl: ptr("https://app.example.com/accounts"),
		})
		requireStatus(t, http.StatusCreated, resp, err)
		authURL, err := url.Parse(resp.JSON201.AuthorizationUrl)
		require.NoError(t, err)
		require.Equal(t, tt.URL+"/v2/auth/authorize/", authURL.Scheme+"://"+authURL.Host+authURL.Path)
		require.Equal(t, tt.ClientKey, authURL.Query().Get("client_key"))
		require.Equal(t, "user.info.basic,video.publish", authURL.Query().Get("scope"))

		consent, err := browser.Get(authURL.String())
		require.NoError(t, err)
		consent.Body.Close()
		back := consent.Header.Get("Location")
		require.True(t, strings.HasPrefix(back, public+"/oauth/tiktok/callback?"), back)
		landed, err := browser.Get(srv.url + strings.TrimPrefix(back, public))
		require.NoError(t, err)
		landed.Body.Close()
		require.Equal(t, http.StatusSeeOther, landed.StatusCode)
		done, err := url.Parse(landed.Header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, "app.example.com", done.Host)
		id := done.Query().Get("account_id")
		require.NotEmpty(t, id, done.String())
		return id
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
