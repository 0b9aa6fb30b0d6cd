package tiktok

// TikTok's accounts connect through Login Kit's OAuth 2.0 authorization-code flow, which
// departs from RFC 6749 in ways golang.org/x/oauth2 cannot follow, so both token grants
// are hooks here rather than the standard steps:
//
//   - the consent screen (www.tiktok.com/v2/auth/authorize/) names the app by client_key,
//     not client_id (OAuth.ClientIDParam), and takes its scopes comma-separated; a web app
//     uses no PKCE (TikTok takes it from mobile and desktop apps only);
//   - the token endpoint (POST open.tiktokapis.com/v2/oauth/token/) wants a form with
//     client_key and client_secret in the body, and answers {access_token, expires_in,
//     open_id, refresh_token, refresh_expires_in, scope, token_type}, or a refusal
//     {error, error_description, log_id}. The refusal's status is not to be relied on
//     (TikTok has answered some with 200), so the error field decides, whatever the status.
//
// Access tokens live 24 hours, refresh tokens 365 days. A refresh (grant_type=
// refresh_token) may answer with a new refresh token: it is stored every time (the
// service does so with whatever the hook returns); where none comes back the old one stays.
//
// A failure is classified by TikTok's error code, never its text: invalid_grant on a
// refresh is the only TokenRejected (the refresh token expired or the user removed the
// app: connect again); invalid_grant on an exchange is a refused code (Permanent);
// invalid_client or unauthorized_client, or a 401, is the operator's app
// (InvalidCredentials); a 5xx, a 429 or no answer is Transient; anything else Permanent.
//
// The profile is read in two calls, because the username is not in user.info.basic (it
// needs user.info.profile, a scope Octopost does not ask for): GET /v2/user/info/ with
// fields=open_id,avatar_url,display_name, then POST /v2/post/publish/creator_info/query/
// (video.publish) for creator_username, which is also the handle in the post URLs. The
// platform user id is open_id, TikTok's id of the user for this app.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

const (
	env             = "OCTOPOST_TIKTOK"
	defaultAuthURL  = "https://www.tiktok.com/v2/auth/authorize/"
	defaultTokenURL = "https://open.tiktokapis.com/v2/oauth/token/"
	defaultAPIURL   = "https://open.tiktokapis.com"

	// SettingAPIURL is TikTok's API base, without a version path (/v2/… is appended).
	SettingAPIURL = env + platform.SettingAPIURL

	// KeyOpenID is the credential holding the account's open_id, as the token endpoint
	// named it.
	KeyOpenID = "open_id"
)

var oauthFlow = &platform.OAuth{
	Env:           env,
	Scopes:        []string{"user.info.basic", "video.publish"},
	ScopeSep:      ",",
	ClientIDParam: "client_key",
	Profile:       Profile,
	Exchange:      exchange,
	Refresh:       refresh,
}

// Profile returns the TikTok user whose access token this is: the adapter's own check of a
// token, so both ways of connecting read and classify it alike.
func Profile(ctx context.Context, client *http.Client, apiURL, accessToken string) (platform.Profile, error) {
	p, _, err := New(client, apiURL).Connect(ctx, platform.Credentials{KeyAccessToken: accessToken})
	return p, err
}

// tokenAnswer is the token endpoint's answer: a grant, or a refusal.
type tokenAnswer struct {
	AccessToken      string `json:"access_token"`
	ExpiresIn        int64  `json:"expires_in"`
	OpenID           string `json:"open_id"`
	RefreshToken     string `json:"refresh_token"`
	RefreshExpiresIn int64  `json:"refresh_expires_in"`
	Scope            string `json:"scope"`
	TokenType        string `json:"token_type"`

	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	LogID            string `json:"log_id"`
}

// exchange trades the callback's code for tokens (the Exchange hook).
func exchange(ctx context.Context, client *http.Client, app platform.OAuthApp, code, _ string) (platform.Grant, error) {
	form := url.Values{
		"client_key":    {app.ClientID},
		"client_secret": {app.ClientSecret},
		"code":          {code},
		"grant_type":    {"authorization_code"},
		"redirect_uri":  {app.RedirectURI},
	}
	g, err := tokenRequest(ctx, client, app, form, false, code)
	if err != nil {
		return platform.Grant{}, err
	}
	if g.Extra[KeyOpenID] == "" {
		return platform.Grant{}, platform.Errorf(platform.Transient, 0, "TikTok's token endpoint named no open_id")
	}
	return g, nil
}

// refresh renews an account's access token with its refresh token (the Refresh hook).
func refresh(ctx context.Context, client *http.Client, app platform.OAuthApp, creds platform.Credentials) (platform.Grant, error) {
	old := creds[platform.KeyOAuthRefreshToken]
	if old == "" {
		return platform.Grant{}, platform.Errorf(platform.TokenRejected, 0, "TikTok: the account has no refresh token: connect it again")
	}
	form := url.Values{
		"client_key":    {app.ClientID},
		"client_secret": {app.ClientSecret},
		"grant_type":    {"refresh_token"},
		"refresh_token": {old},
	}
	g, err := tokenRequest(ctx, client, app, form, true, old)
	if err != nil {
		return platform.Grant{}, err
	}
	if g.Refresh == "" {
		g.Refresh = old // not rotated this time: the old one stays good
	}
	if g.Extra[KeyOpenID] == "" {
		g.Extra[KeyOpenID] = creds[KeyOpenID]
	}
	return g, nil
}

// tokenRequest posts form to the token endpoint and reads its grant; isRefresh says which
// grant it is, for the classification of a refusal. secret is the code or refresh token,
// kept out of every message.
func tokenRequest(ctx context.Context, client *http.Client, app platform.OAuthApp, form url.Values, isRefresh bool, secret string) (platform.Grant, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, app.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return platform.Grant{}, platform.Errorf(platform.Permanent, 0, "TikTok: the token URL (%s) is not valid", env+platform.SettingTokenURL)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return platform.Grant{}, platform.TransportError(ctx, "TikTok's token endpoint", err, secret, app.ClientSecret)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return platform.Grant{}, platform.TransportError(ctx, "TikTok's token endpoint", err, secret, app.ClientSecret)
	}
	var out tokenAnswer
	decoded := json.Unmarshal(data, &out) == nil
	status := resp.StatusCode
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return platform.Grant{}, platform.Errorf(platform.Transient, status, "TikTok's token endpoint failed")
	case !decoded && status >= 200 && status <= 299:
		return platform.Grant{}, platform.Errorf(platform.Transient, status, "TikTok's token endpoint sent an unreadable answer")
	case out.Error != "" || status < 200 || status > 299:
		return platform.Grant{}, tokenRefusal(status, out.Error, isRefresh)
	case out.AccessToken == "":
		return platform.Grant{}, platform.Errorf(platform.Transient, status, "TikTok's token endpoint granted no access token")
	}
	g := platform.Grant{Access: out.AccessToken, Refresh: out.RefreshToken, Extra: platform.Credentials{}}
	if out.ExpiresIn > 0 {
		g.Expiry = time.Now().Add(time.Duration(out.ExpiresIn) * time.Second)
	}
	if out.OpenID != "" {
		g.Extra[KeyOpenID] = out.OpenID
	}
	return g, nil
}

// tokenRefusal classifies the token endpoint's refusal by its error code (see the top).
func tokenRefusal(status int, code string, isRefresh bool) error {
	switch {
	case code == "invalid_client" || code == "unauthorized_client" || status == http.StatusUnauthorized:
		return platform.Errorf(platform.InvalidCredentials, status, "TikTok refused this server's app credentials (%s)", env+platform.SettingClientID)
	case isRefresh && code == "invalid_grant":
		return platform.Errorf(platform.TokenRejected, status, "TikTok refused the account's refresh token: connect the account again")
	case isRefresh:
		return platform.Errorf(platform.Permanent, status, "TikTok refused to refresh the account's token (%s)", orUnknown(code))
	}
	return platform.Errorf(platform.Permanent, status, "TikTok refused the authorization code (%s)", orUnknown(code))
}

func orUnknown(code string) string {
	if code == "" {
		return "no error code"
	}
	return code
}
