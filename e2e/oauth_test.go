package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/platform/fake"
)

// TestOAuthConnectX connects an X account through OAuth with the built binary, against
// the fake X on 127.0.0.1: the authorization URL from POST /v1/accounts/connect, the
// consent (the fake consents at once), the callback, the account listed with the X
// user's profile, a post published through it with the token the exchange gave, and the
// callback replayed (its state spent). The connect mechanics are in oauth_helpers_test.go.
func TestOAuthConnectX(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	api := fake.NewTwitter(t) // X's API: the profile and the tweets
	x.OnToken = api.AcceptToken
	e := oauthEnv(t, "TWITTER", x.ClientID, x.ClientSecret, x.URL+"/i/oauth2/authorize", x.URL+"/2/oauth2/token", api.URL)
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

	conn := connectOAuth(t, c, srv, "twitter")
	require.True(t, strings.HasPrefix(conn.AuthURL.String(), x.URL+"/i/oauth2/authorize?"), conn.AuthURL.String())
	accountID := conn.AccountID()

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
	replayed, err := oauthBrowser.Get(conn.Callback)
	require.NoError(t, err)
	replayed.Body.Close()
	require.Equal(t, http.StatusBadRequest, replayed.StatusCode)
	require.Len(t, accountsByPlatform(t, c), 1)
	require.Equal(t, 1, x.Exchanges())
}
