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
	"cmp"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/metagraph"
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
	KeyAccessToken = metagraph.KeyAccessToken
	// KeyUserID is the credential holding the account's Instagram user id.
	KeyUserID = metagraph.KeyUserID
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

// exchange trades the callback's code for a short-lived token, and that for a long-lived
// one (the Exchange hook).
func exchange(ctx context.Context, client *http.Client, app platform.OAuthApp, code, _ string) (platform.Grant, error) {
	g := metagraph.Graph{HTTP: client, Now: time.Now, Rules: rules}
	short, err := codeExchange(ctx, g, app, code)
	if err != nil {
		return platform.Grant{}, err
	}
	long, err := g.LongLived(ctx, app, "ig_exchange_token", short.AccessToken, "to exchange the token")
	if err != nil {
		return platform.Grant{}, err
	}
	return g.Grant(long, KeyUserID, string(short.UserID))
}

// codeExchange is the first leg, on api.instagram.com.
func codeExchange(ctx context.Context, g metagraph.Graph, app platform.OAuthApp, code string) (metagraph.Token, error) {
	secrets := []string{code, app.ClientSecret}
	resp, data, err := g.Send(ctx, http.MethodPost, app.TokenURL, url.Values{
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"grant_type": {"authorization_code"}, "redirect_uri": {app.RedirectURI}, "code": {code},
	}, secrets)
	if err != nil {
		return metagraph.Token{}, err
	}
	status := resp.StatusCode
	var out metagraph.Token
	var refusal struct {
		ErrorType string `json:"error_type"`
		Code      int    `json:"code"`
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return metagraph.Token{}, platform.Errorf(platform.Transient, status, "Instagram's token endpoint failed")
	case status == http.StatusUnauthorized:
		return metagraph.Token{}, platform.Errorf(platform.InvalidCredentials, status, "Instagram refused this server's app credentials (%s)", env+platform.SettingClientID)
	case status < 200 || status > 299:
		_ = json.Unmarshal(data, &refusal)
		return metagraph.Token{}, platform.Errorf(platform.Permanent, status,
			"Instagram refused the code exchange (%s): the code was used or expired, or this server's app credentials (%s, %s) are wrong",
			cmp.Or(refusal.ErrorType, "no error type"), env+platform.SettingClientID, env+platform.SettingClientSecret)
	case json.Unmarshal(data, &out) != nil:
		return metagraph.Token{}, platform.Errorf(platform.Transient, status, "Instagram's token endpoint sent an unreadable answer")
	}
	if out.AccessToken == "" && len(out.Data) > 0 {
		out = out.Data[0]
	}
	if out.AccessToken == "" || out.UserID == "" {
		return metagraph.Token{}, platform.Errorf(platform.Transient, status, "Instagram's token endpoint granted no token or named no user")
	}
	return out, nil
}

// refresh renews the account's long-lived token with itself (the Refresh hook).
func refresh(ctx context.Context, client *http.Client, app platform.OAuthApp, creds platform.Credentials) (platform.Grant, error) {
	g := metagraph.Graph{HTTP: client, Now: time.Now, Rules: rules}
	out, err := g.Refresh(ctx, app, "ig_refresh_token", creds[KeyAccessToken])
	if err != nil {
		return platform.Grant{}, err
	}
	return g.Grant(out, KeyUserID, creds[KeyUserID])
}
