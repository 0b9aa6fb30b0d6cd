package e2e

import (
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectLinkedIn connects a LinkedIn account through OAuth with the built
// binary, against the fake LinkedIn on 127.0.0.1: the authorization URL (space-separated
// scopes, no PKCE), the consent, the callback (the code exchanged with the secret in the
// body), the account listed with the member's userinfo, a post with an image published
// through the Posts API (its little text escaped, the image streamed to LinkedIn's upload
// URL), a video uploaded in parts, a rejected access token refreshed (an app approved for refresh tokens; LinkedIn
// does not rotate them), the app revoked (invalid_grant: the account is inactive), and a
// reconnect of the same member updating its account rather than adding one.
func TestOAuthConnectLinkedIn(t *testing.T) {
	t.Parallel()
	li := fake.NewLinkedIn(t)
	li.RefreshTokens = true
	li.VideoPartSize = 64 << 10 // a small video in several parts
	li.VideoProcessingPolls = 0 // processed by the first status read
	images := fake.NewImages(t)
	picture := images.Add("/launch.png", "image/png", fake.PNG(8, 8))
	clip := make([]byte, 100<<10) // an MP4 as far as its ftyp box goes
	copy(clip, "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	video := images.Add("/launch.mp4", "video/mp4", clip)
	e := oauthEnv(t, "LINKEDIN", li.ClientID, li.ClientSecret, li.URL+"/oauth/v2/authorization", li.URL+"/oauth/v2/accessToken", li.URL)
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))

	connectLinkedIn := func() string {
		t.Helper()
		conn := connectOAuth(t, c, srv, "linkedin")
		authURL := conn.AuthURL
		require.Equal(t, li.URL+"/oauth/v2/authorization", authURL.Scheme+"://"+authURL.Host+authURL.Path)
		require.Equal(t, li.ClientID, authURL.Query().Get("client_id"))
		require.Equal(t, "openid profile w_member_social", authURL.Query().Get("scope"))
		require.Equal(t, oauthPublicURL+"/oauth/linkedin/callback", authURL.Query().Get("redirect_uri"))
		require.Empty(t, authURL.Query().Get("code_challenge"))
		return conn.AccountID()
	}

	accountID := connectLinkedIn()
	accounts := accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	a := accounts["linkedin"]
	require.Equal(t, accountID, a.Id)
	require.Equal(t, li.Member.Sub, a.PlatformUserId)
	require.Equal(t, li.PersonURN(), a.Username, "LinkedIn has no handle: the member's URN")
	require.Equal(t, li.Member.Name, a.DisplayName)
	require.Equal(t, nullable.NewNullableWithValue(li.Member.Picture), a.AvatarUrl)
	require.True(t, a.IsActive)

	post := func(text string, media *oapi.Media) oapi.Post {
		t.Helper()
		p := createPost(t, c, oapi.CreatePostRequest{Content: text, Platforms: &[]oapi.Platform{"linkedin"}, Media: media})
		publish(t, c, p.Id)
		return waitSettled(t, c, p.Id, publishTimeout)
	}

	// A post with an image and little text's reserved characters, as the member wrote it.
	const text = "Launch (v2) #octopost @team <3"
	p := post(text, &oapi.Media{Images: &[]oapi.Image{{Url: picture, AltText: nullable.NewNullableWithValue("our logo")}}})
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	posts := li.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, text, posts[0].Text, "shown whole: the reserved characters were escaped")
	require.Equal(t, li.PersonURN(), posts[0].Author)
	require.Equal(t, "PUBLIC", posts[0].Visibility)
	require.Len(t, posts[0].Images, 1)
	require.Equal(t, "our logo", posts[0].Images[0].AltText)
	require.Equal(t, len(fake.PNG(8, 8)), posts[0].Images[0].Size)
	result := p.PlatformResults["linkedin"]
	require.Equal(t, posts[0].URN, *result.PostId)
	require.Equal(t, "https://www.linkedin.com/feed/update/"+posts[0].URN, *result.PostUrl)

	// A video, streamed to LinkedIn in parts and named once processed.
	p = post("Launch video", &oapi.Media{Video: nullable.NewNullableWithValue(oapi.Video{Url: video})})
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	videos := li.Videos()
	require.Len(t, videos, 1)
	require.Equal(t, int64(len(clip)), videos[0].Received)
	require.Equal(t, 2, videos[0].Parts)
	posts = li.Posts()
	require.Len(t, posts, 2)
	require.Equal(t, videos[0].URN, posts[1].Video)

	// The access token dies early: the publish refreshes it and goes on.
	li.RevokeToken(strings.TrimPrefix(posts[0].Authorization, "Bearer "))
	p = post("Second post", nil)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	issued, refused := li.Refreshes()
	require.Equal(t, 1, issued)
	require.Zero(t, refused)
	posts = li.Posts()
	require.Len(t, posts, 3)
	require.NotEqual(t, posts[0].Authorization, posts[2].Authorization)

	// The member removes the app: the refresh is refused with invalid_grant, and the
	// account is inactive until it connects again.
	li.RevokeApp()
	p = post("Third post, never published", nil)
	require.Equal(t, oapi.PostStatus("failed"), p.Status, "results: %+v", p.PlatformResults)
	_, refused = li.Refreshes()
	require.Equal(t, 1, refused)
	require.False(t, accountsByPlatform(t, c)["linkedin"].IsActive)

	// The same member connected again: its account is updated and active, not doubled.
	require.Equal(t, accountID, connectLinkedIn())
	accounts = accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	require.True(t, accounts["linkedin"].IsActive)
	require.Equal(t, 2, li.Exchanges())
	p = post("Fourth post, after reconnecting", nil)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	require.Len(t, li.Posts(), 4)
}
