package instagram

// Instagram accounts (professional accounts: business or creator) connect through the
// Instagram API with Instagram Login: Meta's OAuth 2.0 authorization-code flow, without
// PKCE, in three legs that golang.org/x/oauth2 cannot follow, so the Exchange and Refresh
// hooks do them here:
//
//  1. the consent screen (www.instagram.com/oauth/authorize) asks for
//     instagram_business_basic and instagram_business_content_publish, comma-separated;
//  2. the token endpoint (POST api.instagram.com/oauth/access_token, a form with
//     client_id, client_secret, grant_type=authorization_code, redirect_uri and code)
//     answers {access_token, user_id, permissions} (user_id a JSON number; Meta's docs
//     also show it wrapped in data[], which is read too): a short-lived token, good for
//     an hour. Its refusals are not Graph errors but {error_type, code, error_message},
//     with code 400 for a refused code and a refused app alike: nothing structured tells
//     them apart, so both are Permanent, with a message naming both causes; a 401 is the
//     app (InvalidCredentials);
//  3. that token is traded at once for a long-lived one, GET {api}/access_token?
//     grant_type=ig_exchange_token&client_secret=…&access_token=…, on graph.instagram.com
//     (the API_URL setting: the token endpoint is another host), answering
//     {access_token, token_type, expires_in} (60 days).
//
// There is no refresh token: a long-lived token refreshes itself while it is valid, GET
// {api}/refresh_access_token?grant_type=ig_refresh_token&access_token=…, for another 60
// days. One past its expiry or revoked is refused with Graph's code 190: that alone is
// TokenRejected (connect again). On the Graph legs code 101 or a 401 is the operator's app
// (InvalidCredentials); a 5xx, a 429 or no answer is Transient everywhere.
//
// The profile is GET {api}/{version}/me?fields=user_id,username,name,profile_picture_url.
// user_id is the Instagram professional account's id, which the publishing paths take
// (the node's id is app-scoped); it is the platform user id and is kept in the
// credentials (KeyUserID).

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
	env             = "OCTOPOST_INSTAGRAM"
	defaultAuthURL  = "https://www.instagram.com/oauth/authorize"
	defaultTokenURL = "https://api.instagram.com/oauth/access_token"
	defaultAPIURL   = "https://graph.instagram.com"

	// SettingAPIURL is Instagram's Graph API base, without a version path (/v21.0/… is
	// appended).
	SettingAPIURL = env + platform.SettingAPIURL

	// KeyAccessToken is the credential holding the account's long-lived access token.
	KeyAccessToken = platform.KeyOAuthAccessToken
	// KeyUserID is the credential holding the account's Instagram user id.
	KeyUserID = "user_id"
)

var oauthFlow = &platform.OAuth{
	Env:      env,
	Scopes:   []string{"instagram_business_basic", "instagram_business_content_publish"},
	ScopeSep: ",",
	Profile:  Profile,
	Exchange: exchange,
	Refresh:  refresh,
}

// Profile returns the Instagram account whose access token this is: the adapter's own
// check of a token, so both ways of connecting read and classify it alike.
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
	// Data is the code exchange's answer as Meta's docs show it: the grant in a list.
	Data []tokenAnswer `json:"data"`
}

// exchange trades the callback's code for a short-lived token, and that for a long-lived
// one (the Exchange hook).
func exchange(ctx context.Context, client *http.Client, app platform.OAuthApp, code, _ string) (platform.Grant, error) {
	g := graph{client: client, now: time.Now}
	short, err := g.codeExchange(ctx, app, code)
	if err != nil {
		return platform.Grant{}, err
	}
	var long tokenAnswer
	err = g.token(ctx, strings.TrimSuffix(app.APIURL, "/")+"/access_token", url.Values{
		"grant_type": {"ig_exchange_token"}, "client_secret": {app.ClientSecret}, "access_token": {short.AccessToken},
	}, false, &long, short.AccessToken, app.ClientSecret)
	if err != nil {
		return platform.Grant{}, err
	}
	return grant(long, string(short.UserID))
}

// codeExchange is the first leg, on api.instagram.com.
func (g graph) codeExchange(ctx context.Context, app platform.OAuthApp, code string) (tokenAnswer, error) {
	secrets := []string{code, app.ClientSecret}
	resp, data, err := g.send(ctx, http.MethodPost, app.TokenURL, url.Values{
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"grant_type": {"authorization_code"}, "redirect_uri": {app.RedirectURI}, "code": {code},
	}, secrets)
	if err != nil {
		return tokenAnswer{}, err
	}
	status := resp.StatusCode
	var out tokenAnswer
	var refusal struct {
		ErrorType string `json:"error_type"`
		Code      int    `json:"code"`
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return tokenAnswer{}, platform.Errorf(platform.Transient, status, "Instagram's token endpoint failed")
	case status == http.StatusUnauthorized:
		return tokenAnswer{}, platform.Errorf(platform.InvalidCredentials, status, "Instagram refused this server's app credentials (%s)", env+platform.SettingClientID)
	case status < 200 || status > 299:
		_ = json.Unmarshal(data, &refusal)
		return tokenAnswer{}, platform.Errorf(platform.Permanent, status,
			"Instagram refused the code exchange (%s): the code was used or expired, or this server's app credentials (%s, %s) are wrong",
			cmpOr(refusal.ErrorType, "no error type"), env+platform.SettingClientID, env+platform.SettingClientSecret)
	case json.Unmarshal(data, &out) != nil:
		return tokenAnswer{}, platform.Errorf(platform.Transient, status, "Instagram's token endpoint sent an unreadable answer")
	}
	if out.AccessToken == "" && len(out.Data) > 0 {
		out = out.Data[0]
	}
	if out.AccessToken == "" || out.UserID == "" {
		return tokenAnswer{}, platform.Errorf(platform.Transient, status, "Instagram's token endpoint granted no token or named no user")
	}
	return out, nil
}

// refresh renews the account's long-lived token with itself (the Refresh hook).
func refresh(ctx context.Context, client *http.Client, app platform.OAuthApp, creds platform.Credentials) (platform.Grant, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Grant{}, platform.Errorf(platform.TokenRejected, 0, "Instagram: the account has no access token: connect it again")
	}
	g := graph{client: client, now: time.Now}
	var out tokenAnswer
	err := g.token(ctx, strings.TrimSuffix(app.APIURL, "/")+"/refresh_access_token", url.Values{
		"grant_type": {"ig_refresh_token"}, "access_token": {token},
	}, true, &out, token, app.ClientSecret)
	if err != nil {
		return platform.Grant{}, err
	}
	return grant(out, creds[KeyUserID])
}

// grant is a long-lived token answer as the account stores it.
func grant(a tokenAnswer, userID string) (platform.Grant, error) {
	if a.AccessToken == "" {
		return platform.Grant{}, platform.Errorf(platform.Transient, 0, "Instagram's token endpoint granted no access token")
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

// token GETs a Graph token endpoint (the full URL target) and classifies its refusal
// (see the top); isRefresh says whether a code 190 is the account's token dying.
func (g graph) token(ctx context.Context, target string, params url.Values, isRefresh bool, out *tokenAnswer, secrets ...string) error {
	resp, data, err := g.send(ctx, http.MethodGet, target, params, secrets)
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
		return platform.Errorf(platform.Transient, status, "Instagram's token endpoint failed")
	case code == 101 || status == http.StatusUnauthorized:
		return platform.Errorf(platform.InvalidCredentials, status, "Instagram refused this server's app credentials (%s)", env+platform.SettingClientID)
	case isRefresh && code == codeTokenInvalid:
		return platform.Errorf(platform.TokenRejected, status, "Instagram refused the account's token (expired or revoked): connect the account again")
	case isRefresh && (status < 200 || status > 299):
		return platform.Errorf(platform.Permanent, status, "Instagram refused to refresh the account's token (Graph error code %d)", code)
	case status < 200 || status > 299:
		return platform.Errorf(platform.Permanent, status, "Instagram refused to exchange the token (Graph error code %d)", code)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return platform.Errorf(platform.Transient, status, "Instagram's token endpoint sent an unreadable answer")
	}
	return nil
}
