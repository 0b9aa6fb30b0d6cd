package e2e

// The OAuth connect tests (oauth_test.go for X, oauth_<platform>_test.go for the others)
// each run the built server against one platform's fake, and share the mechanics here:
//
//   - oauthEnv: the server's configuration for one platform's app, its three URLs on the
//     fake. The server's public URL is a name of its own (oauthPublicURL), so the
//     callback URL the server registers is not its real address: the test's browser
//     sends requests for it to the server's real address, as a reverse proxy in front of
//     it would. The app's origin is allowed as a redirect_url.
//   - connectOAuth: the dance a user's browser does. POST /v1/accounts/connect gives the
//     authorization URL; a GET of it on the fake is the consent (the fakes consent at
//     once) and redirects to the server's callback; the callback exchanges the code and
//     redirects (303) to the app with account_id (and account_ids when one consent
//     connects several accounts). The browser follows no redirect by itself, so that
//     each hop is checked where it happens.
//
// Only the mechanics are shared: what each platform's authorization URL must carry, the
// profile its account shows, and what publishing, refreshing and reconnecting do there
// stay in its own test.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

const (
	// oauthPublicURL is OCTOPOST_PUBLIC_URL in the OAuth tests: never dialled, replaced
	// by the server's real address wherever the browser is sent to it.
	oauthPublicURL = "https://octopost.example.com"
	// oauthAppURL is the app's page the connect requests name as redirect_url.
	oauthAppURL = "https://app.example.com/accounts"
)

// oauthEnv returns the configuration of a server with a fresh PostgreSQL database and
// the app of one platform (prefix as in its settings: OCTOPOST_<prefix>_CLIENT_ID...) on
// its fake at 127.0.0.1, which OCTOPOST_PLATFORMS_ALLOW_PRIVATE lets the server dial.
func oauthEnv(t *testing.T, prefix, clientID, secret, authURL, tokenURL, apiURL string) env {
	t.Helper()
	e := pgEnv(t)
	e["OCTOPOST_PLATFORMS_ALLOW_PRIVATE"] = "true"
	e["OCTOPOST_PUBLIC_URL"] = oauthPublicURL
	e["OCTOPOST_OAUTH_REDIRECT_ORIGINS"] = "https://app.example.com"
	e["OCTOPOST_"+prefix+"_CLIENT_ID"] = clientID
	e["OCTOPOST_"+prefix+"_CLIENT_SECRET"] = secret
	e["OCTOPOST_"+prefix+"_AUTH_URL"] = authURL
	e["OCTOPOST_"+prefix+"_TOKEN_URL"] = tokenURL
	e["OCTOPOST_"+prefix+"_API_URL"] = apiURL
	return e
}

// oauthBrowser is the user's browser: it follows no redirect, so that each one is seen.
var oauthBrowser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// oauthConnection is what one connect dance saw.
type oauthConnection struct {
	AuthURL  *url.URL   // the authorization URL the connect request answered with
	Callback string     // the callback the consent redirected to, on the server's real address
	Done     url.Values // the query of the server's final redirect to the app
}

// AccountID is the account the callback connected (the first, when it connected several).
func (o oauthConnection) AccountID() string { return o.Done.Get("account_id") }

// connectOAuth connects an account of platform through the server srv (c its API
// client) and checks each hop every platform shares: the authorization URL given, the
// consent sending the browser to the platform's callback on the public URL, and the
// callback redirecting to the app with an account_id.
func connectOAuth(t *testing.T, c *oapi.ClientWithResponses, srv *server, platform oapi.Platform) oauthConnection {
	t.Helper()
	resp, err := c.ConnectOAuthAccountWithResponse(t.Context(), nil, oapi.ConnectOAuthRequest{
		Platform: platform, RedirectUrl: ptr(oauthAppURL),
	})
	requireStatus(t, http.StatusCreated, resp, err)
	authURL, err := url.Parse(resp.JSON201.AuthorizationUrl)
	require.NoError(t, err)

	consent, err := oauthBrowser.Get(authURL.String())
	require.NoError(t, err)
	consent.Body.Close()
	back := consent.Header.Get("Location")
	require.True(t, strings.HasPrefix(back, oauthPublicURL+"/oauth/"+string(platform)+"/callback?"), back)
	callback := srv.url + strings.TrimPrefix(back, oauthPublicURL)

	landed, err := oauthBrowser.Get(callback)
	require.NoError(t, err)
	landed.Body.Close()
	require.Equal(t, http.StatusSeeOther, landed.StatusCode)
	done, err := url.Parse(landed.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "app.example.com", done.Host)
	require.NotEmpty(t, done.Query().Get("account_id"), done.String())
	return oauthConnection{AuthURL: authURL, Callback: callback, Done: done.Query()}
}
