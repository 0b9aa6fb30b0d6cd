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
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
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
	KeyAccessToken = platform.KeyOAuthAccessToken
	// KeyUserID is the credential holding the account's Threads user id.
	KeyUserID = "user_id"
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

// tokenAnswer is what the token endpoints grant.
type tokenAnswer struct {
	AccessToken string  `json:"access_token"`
	UserID      graphID `json:"user_id"`
	TokenType   string  `json:"token_type"`
	ExpiresIn   int64   `json:"expires_in"`
}

// exchange trades the callback's code for a short-lived token, and that for a long-lived
// one (the Exchange hook).
func exchange(ctx context.Context, client *http.Client, app platform.OAuthApp, code, _ string) (platform.Grant, error) {
	g := graph{client: client, now: time.Now}
	var short tokenAnswer
	err := g.token(ctx, http.MethodPost, app.TokenURL, url.Values{
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"grant_type": {"authorization_code"}, "redirect_uri": {app.RedirectURI}, "code": {code},
	}, false, &short, code, app.ClientSecret)
	if err != nil {
		return platform.Grant{}, err
	}
	if short.AccessToken == "" || short.UserID == "" {
		return platform.Grant{}, platform.Errorf(platform.Transient, 0, "Threads' token endpoint granted no token or named no user")
	}
	var long tokenAnswer
	err = g.token(ctx, http.MethodGet, strings.TrimSuffix(app.APIURL, "/")+"/access_token", url.Values{
		"grant_type": {"th_exchange_token"}, "client_secret": {app.ClientSecret}, "access_token": {short.AccessToken},
	}, false, &long, short.AccessToken, app.ClientSecret)
	if err != nil {
		return platform.Grant{}, err
	}
	return grant(long, string(short.UserID))
}

// refresh renews the account's long-lived token with itself (the Refresh hook).
func refresh(ctx context.Context, client *http.Client, app platform.OAuthApp, creds platform.Credentials) (platform.Grant, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Grant{}, platform.Errorf(platform.TokenRejected, 0, "Threads: the account has no access token: connect it again")
	}
	g := graph{client: client, now: time.Now}
	var out tokenAnswer
	err := g.token(ctx, http.MethodGet, strings.TrimSuffix(app.APIURL, "/")+"/refresh_access_token", url.Values{
		"grant_type": {"th_refresh_token"}, "access_token": {token},
	}, true, &out, token, app.ClientSecret)
	if err != nil {
		return platform.Grant{}, err
	}
	return grant(out, creds[KeyUserID])
}

// grant is a long-lived token answer as the account stores it.
func grant(a tokenAnswer, userID string) (platform.Grant, error) {
	if a.AccessToken == "" {
		return platform.Grant{}, platform.Errorf(platform.Transient, 0, "Threads' token endpoint granted no access token")
	}
	g := platform.Grant{Access: a.AccessToken, Extra: platform.Credentials{}}
	if a.ExpiresIn > 0 {
		g.Expiry = time.Now().Add(time.Duration(a.ExpiresIn) * time.Second)
	}
	if userID != "" {
		g.Extra[KeyUserID] = userID
	}
	return g, nil
}

// token calls a token endpoint (the full URL target) and classifies its refusal (see the
// top); isRefresh says whether a code 190 is the account's token dying.
func (g graph) token(ctx context.Context, method, target string, params url.Values, isRefresh bool, out *tokenAnswer, secrets ...string) error {
	resp, data, err := g.send(ctx, method, target, params, secrets)
	if err != nil {
		return err
	}
	status := resp.StatusCode
	var ge graphError
	code := 0
	if json.Unmarshal(data, &ge) == nil && ge.Error != nil {
		code = ge.Error.Code
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || isRateLimit(code):
		return platform.Errorf(platform.Transient, status, "Threads' token endpoint failed")
	case code == 101 || status == http.StatusUnauthorized:
		return platform.Errorf(platform.InvalidCredentials, status, "Threads refused this server's app credentials (%s)", env+platform.SettingClientID)
	case isRefresh && code == codeTokenInvalid:
		return platform.Errorf(platform.TokenRejected, status, "Threads refused the account's token (expired or revoked): connect the account again")
	case isRefresh && (status < 200 || status > 299):
		return platform.Errorf(platform.Permanent, status, "Threads refused to refresh the account's token (Graph error code %d)", code)
	case status < 200 || status > 299:
		return platform.Errorf(platform.Permanent, status, "Threads refused the authorization code (Graph error code %d)", code)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return platform.Errorf(platform.Transient, status, "Threads' token endpoint sent an unreadable answer")
	}
	return nil
}
