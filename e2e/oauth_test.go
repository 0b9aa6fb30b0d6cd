package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectX connects an X account through OAuth with the built binary, against
// the fake X on 127.0.0.1: the authorization URL from POST /v1/accounts/connect, the
// consent (the fake consents at once), the callback, the account listed with the X
// user's profile, and a post published through it with the token the exchange gave. The server's public URL is a name of its own: requests to it are sent to
// the server's real address, as a reverse proxy in front of it would.
func TestOAuthConnectX(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	api := fake.NewTwitter(t) // X's API: the profile and the tweets
	x.OnToken = api.AcceptToken
	const public = "https://octopost.example.com"
	e := pgEnv(t)
	e["OCTOPOST_PLATFORMS_ALLOW_PRIVATE"] = "true"
	e["OCTOPOST_PUBLIC_URL"] = public
	e["OCTOPOST_OAUTH_REDIRECT_ORIGINS"] = "https://app.example.com"
	e["OCTOPOST_TWITTER_CLIENT_ID"] = x.ClientID
	e["OCTOPOST_TWITTER_CLIENT_SECRET"] = x.ClientSecret
	e["OCTOPOST_TWITTER_AUTH_URL"] = x.URL + "/i/oauth2/authorize"
	e["OCTOPOST_TWITTER_TOKEN_URL"] = x.URL + "/2/oauth2/token"
	e["OCTOPOST_TWITTER_API_URL"] = api.URL
	srv := startServer(t, e)
	c := client(t, srv, liveKey(t, e))

	// Not configured, and an open redirect: refused before anything is stored.
	refused, err := c.ConnectOAuthAccountWithResponse(t.Context(), nil, oapi.ConnectOAuthRequest{Platform: "linkedin"})
	requireStatus(t, http.StatusUnprocessableEntity, refused, err)
	require.Contains(t, (*refused.JSON422.Details.Errors)[0].Message, "OCTOPOST_LINKEDIN_CLIENT_ID")
	refused, err = c.ConnectOAuthAccountWithResponse(t.Context(), nil, oapi.ConnectOAuthRequest{
		Platform: "twitter", RedirectUrl: ptr("https://evil.example/collect"),
	})
	requireStatus(t, http.StatusUnprocessableEntity, refused, err)
	require.Equal(t, "/redirect_url", (*refused.JSON422.Details.Errors)[0].Field)

	resp, err := c.ConnectOAuthAccountWithResponse(t.Context(), nil, oapi.ConnectOAuthRequest{
		Platform: "twitter", RedirectUrl: ptr("https://app.example.com/accounts"),
	})
	requireStatus(t, http.StatusCreated, resp, err)
	authURL := resp.JSON201.AuthorizationUrl
	require.True(t, strings.HasPrefix(authURL, x.URL+"/i/oauth2/authorize?"), authURL)

	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	consent, err := browser.Get(authURL)
	require.NoError(t, err)
	consent.Body.Close()
	back := consent.Header.Get("Location")
	require.True(t, strings.HasPrefix(back, public+"/oauth/twitter/callback?"), back)

	landed, err := browser.Get(srv.url + strings.TrimPrefix(back, public))
	require.NoError(t, err)
	landed.Body.Close()
	require.Equal(t, http.StatusSeeOther, landed.StatusCode)
	done, err := url.Parse(landed.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "app.example.com", done.Host)
	accountID := done.Query().Get("account_id")
	require.NotEmpty(t, accountID, done.String())

	accounts := accountsByPlatform(t, c)
	require.Len(t, accounts, 1)
	a := accounts["twitter"]
	require.Equal(t, accountID, a.Id)
	require.Equal(t, api.Username, a.Username)
	require.Equal(t, api.UserID, a.PlatformUserId)
	require.Equal(t, api.Name, a.DisplayName)
	require.True(t, a.IsActive)

	// The account publishes, with the access token the exchange gave.
	p := createPost(t, c, oapi.CreatePostRequest{Content: "Hello X, from Octopost", Platforms: &[]oapi.Platform{"twitter"}})
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)
	tweets := api.Tweets()
	require.Len(t, tweets, 1)
	require.Equal(t, "Hello X, from Octopost", tweets[0].Text)
	require.Equal(t, api.UserID, tweets[0].AuthorID)

	// The callback replayed: the state is spent.
	replayed, err := browser.Get(srv.url + strings.TrimPrefix(back, public))
	require.NoError(t, err)
	replayed.Body.Close()
	require.Equal(t, http.StatusBadRequest, replayed.StatusCode)
	require.Len(t, accountsByPlatform(t, c), 1)
	require.Equal(t, 1, x.Exchanges())
}
