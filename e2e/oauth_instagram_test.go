package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectInstagram connects an Instagram professional account through Instagram
// Login with the built binary, against the fake Instagram on 127.0.0.1: the authorization
// URL, the consent, the callback (whose code exchange ends in a long-lived token), the
// account listed with the profile, a carousel published through the container flow, a
// story chosen by platform_options, a post type its media do not fit refused, a text-only
// segment refused before anything is sent, and a reconnect that updates the account
// instead of adding one.
func TestOAuthConnectInstagram(t *testing.T) {
	t.Parallel()
	ig := fake.NewInstagram(t)
	e := oauthEnv(t, "INSTAGRAM", ig.ClientID, ig.ClientSecret, ig.URL+"/oauth/authorize", ig.URL+"/oauth/access_token", ig.URL)
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))

	connectOnce := func() string {
		conn := connectOAuth(t, c, srv, "instagram")
		authURL := conn.AuthURL.String()
		require.True(t, strings.HasPrefix(authURL, ig.URL+"/oauth/authorize?"), authURL)
		return conn.AccountID()
	}

	accountID := connectOnce()
	require.Equal(t, 1, ig.Exchanges(), "the short-lived token was traded for a long-lived one")
	accounts := accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	a := accounts["instagram"]
	require.Equal(t, accountID, a.Id)
	require.Equal(t, ig.User.Username, a.Username)
	require.Equal(t, ig.User.ID, a.PlatformUserId, "the professional account's user_id, not the app-scoped id")
	require.Equal(t, ig.User.Name, a.DisplayName)
	require.True(t, a.IsActive)

	// Two images: a carousel, by default.
	two := &oapi.Media{Images: &[]oapi.Image{{Url: "https://img.example/1.jpg"}, {Url: "https://img.example/2.jpg"}}}
	p := createPost(t, c, oapi.CreatePostRequest{Content: "Hello Instagram, from Octopost", Platforms: &[]oapi.Platform{"instagram"}, Media: two})
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	media := ig.Media()
	require.Len(t, media, 1)
	require.Equal(t, "CAROUSEL", media[0].Container.MediaType)
	require.Equal(t, "Hello Instagram, from Octopost", media[0].Container.Caption)
	require.Len(t, media[0].Items, 2)
	result := requireSuccess(t, p, "instagram", media[0].ID)
	require.Equal(t, media[0].Permalink, deref(result.PostUrl))

	// A story, chosen by platform_options.
	story := oapi.Story
	one := &oapi.Media{Images: &[]oapi.Image{{Url: "https://img.example/story.jpg"}}}
	p = createPost(t, c, oapi.CreatePostRequest{
		Content: "A story", Platforms: &[]oapi.Platform{"instagram"}, Media: one,
		PlatformOptions: &oapi.PlatformOptions{Instagram: &oapi.InstagramOptions{PostType: &story}},
	})
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	media = ig.Media()
	require.Len(t, media, 2)
	require.Equal(t, "STORIES", media[1].Container.MediaType)

	// A post type its media do not fit is refused when the post is created.
	reel := oapi.Reel
	bad, err := c.CreatePostWithResponse(t.Context(), nil, oapi.CreatePostRequest{
		Content: "not a reel", Platforms: &[]oapi.Platform{"instagram"}, Media: one,
		PlatformOptions: &oapi.PlatformOptions{Instagram: &oapi.InstagramOptions{PostType: &reel}},
	})
	requireStatus(t, http.StatusUnprocessableEntity, bad, err)
	require.Equal(t, "/platform_options/instagram/post_type", (*bad.JSON422.Details.Errors)[0].Field)

	// A segment without media cannot be an Instagram post: publishing it is refused
	// before anything is sent, never dropped when it is sent.
	p = createPost(t, c, oapi.CreatePostRequest{
		Content: "with media", Platforms: &[]oapi.Platform{"instagram"}, Media: one,
		Segments: &[]oapi.Segment{{Content: "words alone"}},
	})
	refused, err := c.PublishPostWithResponse(t.Context(), p.Id, nil)
	requireStatus(t, http.StatusUnprocessableEntity, refused, err)
	require.Equal(t, "/segments/0/media", (*refused.JSON422.Details.Errors)[0].Field)
	require.Len(t, ig.Media(), 2)

	// Connecting the same Instagram account again updates it: no second row.
	require.Equal(t, accountID, connectOnce())
	require.Len(t, accountsByPlatform(t, c), 1)
	require.Equal(t, 2, ig.Exchanges())
}
