package threads

// Threads accounts connect through Meta's OAuth 2.0 authorization-code flow, without
// PKCE, in three legs that golang.org/x/oauth2 cannot follow, so the Exchange and Refresh
// hooks do them here:
//
//  1. the consent screen (threads.net/oauth/authorize) asks for threads_basic and
//     threads_content_publish, comma-separated;
//  2. the token endpoint (POST graph.threads.net/oauth/access_token, a form with
//     client_id, client_secret, grant_type=authorization_code, redirect_uri and code)
//     answers {access_token, user_id}: a short-lived token, good for an hour, and the
//     Threads user id (a JSON number) the API paths take;
//  3. that token is traded at once for a long-lived one, GET {api}/access_token?
//     grant_type=th_exchange_token&client_secret=…&access_token=…, answering
//     {access_token, token_type, expires_in} (60 days).
//
// There is no refresh token: a long-lived token refreshes itself while it is still valid,
// GET {api}/refresh_access_token?grant_type=th_refresh_token&access_token=…, for another
// 60 days (the Refresh hook; the service calls it when the token nears its expiry or after
// a refusal). One past its expiry, or revoked, is refused with Graph's OAuthException code
// 190: that alone is TokenRejected (connect again). Elsewhere on the token endpoints, code
// 101 or a 401 is the operator's app (InvalidCredentials), a 5xx, 429 or no answer
// Transient, and any other refusal Permanent (a used or expired code).
//
// The token endpoint is the TOKEN_URL setting; the long-lived exchange and the refresh
// are on the API's host, so they use the API_URL setting. The profile is GET
// {api}/v1.0/me?fields=id,username,name,threads_profile_picture_url; the user id is kept
// in the credentials (KeyUserID) for the publishing paths.

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/metagraph"
)

const (
	env             = "OCTOPOST_THREADS"
	defaultAuthURL  = "https://threads.net/oauth/authorize"
	defaultTokenURL = "https://graph.threads.net/oauth/access_token"
	defaultAPIURL   = "https://graph.threads.net"

	// SettingAPIURL is Threads' Graph API base, without a version path (/v1.0/… is
	// appended).
	SettingAPIURL = env + platform.SettingAPIURL

	// KeyAccessToken is the credential holding the account's long-lived access token.
	KeyAccessToken = metagraph.KeyAccessToken
	// KeyUserID is the credential holding the account's Threads user id.
	KeyUserID = metagraph.KeyUserID
)

var oauthFlow = &platform.OAuth{
	Env:      env,
	Scopes:   []string{"threads_basic", "threads_content_publish"},
	ScopeSep: ",",
	Profile:  Profile,
	Exchange: exchange,
	Refresh:  refresh,
}

// Profile returns the Threads user whose access token this is: the adapter's own check of
// a token, so both ways of connecting read and classify it alike.
func Profile(ctx context.Context, client *http.Client, apiURL, accessToken string) (platform.Profile, error) {
	p, _, err := New(client, apiURL).Connect(ctx, platform.Credentials{KeyAccessToken: accessToken})
	return p, err
}

// exchange trades the callback's code for a short-lived token, and that for a long-lived
// one (the Exchange hook).
func exchange(ctx context.Context, client *http.Client, app platform.OAuthApp, code, _ string) (platform.Grant, error) {
	g := metagraph.Graph{HTTP: client, Now: time.Now, Rules: rules}
	short, err := g.Token(ctx, metagraph.TokenCall{
		Method: http.MethodPost, URL: app.TokenURL,
		Params: url.Values{
			"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
			"grant_type": {"authorization_code"}, "redirect_uri": {app.RedirectURI}, "code": {code},
		},
		Refused: "the authorization code", Secrets: []string{code, app.ClientSecret},
	})
	if err != nil {
		return platform.Grant{}, err
	}
	if short.AccessToken == "" || short.UserID == "" {
		return platform.Grant{}, platform.Errorf(platform.Transient, 0, "Threads' token endpoint granted no token or named no user")
	}
	long, err := g.LongLived(ctx, app, "th_exchange_token", short.AccessToken, "the authorization code")
	if err != nil {
		return platform.Grant{}, err
	}
	return g.Grant(long, KeyUserID, string(short.UserID))
}

// refresh renews the account's long-lived token with itself (the Refresh hook).
func refresh(ctx context.Context, client *http.Client, app platform.OAuthApp, creds platform.Credentials) (platform.Grant, error) {
	g := metagraph.Graph{HTTP: client, Now: time.Now, Rules: rules}
	out, err := g.Refresh(ctx, app, "th_refresh_token", creds[KeyAccessToken])
	if err != nil {
		return platform.Grant{}, err
	}
	return g.Grant(out, KeyUserID, creds[KeyUserID])
}
