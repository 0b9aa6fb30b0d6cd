package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectFacebook connects a Facebook user's Pages through OAuth with the built
// binary, against the fake Facebook on 127.0.0.1: the authorization URL (comma-separated
// scopes), the consent, the callback (the code exchange and the long-lived token
// exchange), one account per Page the user may post to (account_id and account_ids on the
// redirect), a post published on a Page with its never-expiring Page token, a revoked Page
// token making its account inactive, and a reconnect updating both accounts (active again)
// rather than adding any.
func TestOAuthConnectFacebook(t *testing.T) {
	t.Parallel()
	fb := fake.NewFacebook(t)
	e := oauthEnv(t, "FACEBOOK", fb.ClientID, fb.ClientSecret, fb.URL+"/v21.0/dialog/oauth", fb.URL+"/v21.0/oauth/access_token", fb.URL)
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))

	connectFacebook := func() (first string, all []string) {
		t.Helper()
		conn := connectOAuth(t, c, srv, "facebook")
		authURL := conn.AuthURL
		require.Equal(t, fb.URL+"/v21.0/dialog/oauth", authURL.Scheme+"://"+authURL.Host+authURL.Path)
		require.Equal(t, fb.ClientID, authURL.Query().Get("client_id"))
		require.Equal(t, "pages_show_list,pages_manage_posts,pages_read_engagement", authURL.Query().Get("scope"))
		first = conn.AccountID()
		all = strings.Split(conn.Done.Get("account_ids"), ",")
		require.Equal(t, first, all[0])
		return first, all
	}
	facebookAccounts := func() map[string]oapi.Account { // by Page id
		t.Helper()
		resp, err := c.ListAccountsWithResponse(t.Context())
		requireStatus(t, http.StatusOK, resp, err)
		out := map[string]oapi.Account{}
		for _, a := range resp.JSON200.Accounts {
			require.Equal(t, oapi.Platform("facebook"), a.Platform)
			out[a.PlatformUserId] = a
		}
		return out
	}

	_, ids := connectFacebook()
	require.Len(t, ids, 2, "the two Pages the user may post to; not the one they only moderate")
	accounts := facebookAccounts()
	require.Len(t, accounts, 2)
	for _, page := range fb.Pages[:2] {
		a, ok := accounts[page.ID]
		require.True(t, ok, page.Name)
		require.Contains(t, ids, a.Id)
		require.Equal(t, page.ID, a.Username)
		require.Equal(t, page.Name, a.DisplayName)
		require.Equal(t, nullable.NewNullableWithValue(page.PictureURL), a.AvatarUrl)
		require.True(t, a.IsActive)
	}
	codes, long := fb.Exchanges()
	require.Equal(t, 1, codes)
	require.Equal(t, 1, long)

	post := func(text string) oapi.Post {
		t.Helper()
		p := createPost(t, c, oapi.CreatePostRequest{Content: text, Platforms: &[]oapi.Platform{"facebook"}})
		publish(t, c, p.Id)
		return waitSettled(t, c, p.Id, publishTimeout)
	}

	// A post goes out on one of the Pages, with that Page's own token.
	p := post("Hello Facebook, from Octopost: https://octopost.example.com/hello")
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	posts := fb.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, "Hello Facebook, from Octopost: https://octopost.example.com/hello", posts[0].Message)
	require.Equal(t, "https://octopost.example.com/hello", posts[0].Link)
	require.True(t, posts[0].LongLived, "a Page token made from the long-lived user token")
	used := posts[0].PageID
	require.Contains(t, []string{fb.Pages[0].ID, fb.Pages[1].ID}, used)
	result := p.PlatformResults["facebook"]
	require.Equal(t, posts[0].ID, *result.PostId)
	require.Equal(t, "https://www.facebook.com/"+used+"/posts/"+strings.TrimPrefix(posts[0].ID, used+"_"), *result.PostUrl)

	// That Page's token revoked: the post fails, its account is made inactive (a Page token
	// has nothing to refresh it with), and the next post goes out on the other Page.
	fb.RevokeToken(strings.TrimPrefix(posts[0].Authorization, "Bearer "))
	p = post("Second post")
	require.Equal(t, oapi.PostStatus("failed"), p.Status, "results: %+v", p.PlatformResults)
	accounts = facebookAccounts()
	require.False(t, accounts[used].IsActive)
	p = post("Third post")
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	posts = fb.Posts()
	require.Len(t, posts, 2)
	require.NotEqual(t, used, posts[1].PageID)

	// The user connects again: the same two accounts, updated and active, none added.
	_, again := connectFacebook()
	slices.Sort(ids)
	slices.Sort(again)
	require.Equal(t, ids, again)
	accounts = facebookAccounts()
	require.Len(t, accounts, 2)
	for _, a := range accounts {
		require.True(t, a.IsActive, a.DisplayName)
	}
	codes, long = fb.Exchanges()
	require.Equal(t, 2, codes)
	require.Equal(t, 2, long)
	p = post("Fourth post, after reconnecting")
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	require.Len(t, fb.Posts(), 3)
}
