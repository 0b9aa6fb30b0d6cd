package facebook

// A Facebook user connects the Pages they manage through Facebook Login's authorization-
// code flow (no PKCE for a web app; scopes comma-separated: pages_show_list to list the
// Pages, pages_manage_posts to post, pages_read_engagement to read them). Facebook departs
// from RFC 6749 in two steps, both hooks here:
//
//   - Exchange: the token endpoint is a GET, GET {token URL}?client_id&client_secret&
//     redirect_uri&code → {access_token, token_type, expires_in}, a short-lived user token
//     (about two hours), which is traded at once for a long-lived one (60 days):
//     GET {token URL}?grant_type=fb_exchange_token&client_id&client_secret&
//     fb_exchange_token=… → the same shape.
//   - Accounts: one consent connects every Page the user may post to. GET
//     {api}/v21.0/me/accounts?fields=id,name,access_token,picture{url},tasks with the
//     long-lived user token lists them, 100 at a time (paging.next, followed on the
//     configured API base, at most maxAccountPages pages, so 1000 Pages); each Page whose
//     tasks include CREATE_CONTENT becomes an account, with the Page's own token as its
//     grant and its id as page_id. A Page token made from a long-lived user token does not
//     expire, so it has no expiry and there is no refresh (no Refresh hook, nothing for the
//     service to refresh); a revoked one is TokenRejected when publishing, and the user
//     connects again. The user token itself is not stored. A user with no such Page ends the
//     callback with no_accounts (the service's).
//
// The account's user id is the Page's id, its username the Page's id too (pageProfile),
// its display name the Page's name, its avatar the Page's picture.
//
// The token endpoint's refusals are Graph errors {error: {message, type, code,
// error_subcode}}, classified by code: 101 (an unknown client id), or 1 answered with a 4xx
// (Facebook's "Error validating client secret") is the operator's app, InvalidCredentials;
// 100 (the code is expired, used, or for another redirect_uri: subcodes 36007, 36009,
// 36008) and anything else Permanent; a 5xx, a 429, a rate-limit code or no answer
// Transient.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/metagraph"
)

const (
	env             = "OCTOPOST_FACEBOOK"
	defaultAuthURL  = "https://www.facebook.com/v21.0/dialog/oauth"
	defaultTokenURL = "https://graph.facebook.com/v21.0/oauth/access_token"
	defaultAPIURL   = "https://graph.facebook.com"

	// SettingAPIURL is the Graph API's base, without a version path (/v21.0/… is appended).
	SettingAPIURL = env + platform.SettingAPIURL
)

// The user's Pages are read 100 at a time, at most maxAccountPages times.
const (
	accountsPerPage = 100
	maxAccountPages = 10
)

// taskCreateContent is the Page task that lets a user post as the Page.
const taskCreateContent = "CREATE_CONTENT"

var oauthFlow = &platform.OAuth{
	Env:      env,
	Scopes:   []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement"},
	ScopeSep: ",",
	Profile:  Profile,
	Exchange: exchange,
	Accounts: accounts,
}

// Profile returns the Page a Page token speaks for: the adapter's own check of a token.
func Profile(ctx context.Context, client *http.Client, apiURL, accessToken string) (platform.Profile, error) {
	p, _, err := New(client, apiURL).Connect(ctx, platform.Credentials{KeyAccessToken: accessToken})
	return p, err
}

// tokenAnswer is the token endpoint's grant.
type tokenAnswer struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// exchange trades the callback's code for a short-lived user token, and that for a
// long-lived one (the Exchange hook).
func exchange(ctx context.Context, client *http.Client, app platform.OAuthApp, code, _ string) (platform.Grant, error) {
	short, err := tokenGet(ctx, client, app, url.Values{
		"client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"redirect_uri": {app.RedirectURI}, "code": {code},
	}, "the authorization code", code)
	if err != nil {
		return platform.Grant{}, err
	}
	long, err := tokenGet(ctx, client, app, url.Values{
		"grant_type": {"fb_exchange_token"}, "client_id": {app.ClientID}, "client_secret": {app.ClientSecret},
		"fb_exchange_token": {short.AccessToken},
	}, "the user token", short.AccessToken)
	if err != nil {
		return platform.Grant{}, err
	}
	g := platform.Grant{Access: long.AccessToken}
	if long.ExpiresIn > 0 {
		g.Expiry = time.Now().Add(time.Duration(long.ExpiresIn) * time.Second)
	}
	return g, nil
}

// tokenGet asks the token endpoint for a token with query; what names what is traded (for
// a refusal's message), secret is it, kept out of every message with the app's secret.
func tokenGet(ctx context.Context, client *http.Client, app platform.OAuthApp, query url.Values, what, secret string) (tokenAnswer, error) {
	u, err := url.Parse(app.TokenURL)
	if err != nil || u.Host == "" {
		return tokenAnswer{}, platform.Errorf(platform.Permanent, 0, "Facebook: the token URL (%s) is not valid", env+platform.SettingTokenURL)
	}
	u.RawQuery = ""
	g := metagraph.Graph{HTTP: client, Now: time.Now, Rules: tokenRules}
	resp, data, err := g.Send(ctx, http.MethodGet, u.String(), query, []string{secret, app.ClientSecret})
	if err != nil {
		return tokenAnswer{}, err
	}
	status := resp.StatusCode
	if status < 200 || status > 299 {
		return tokenAnswer{}, tokenRefusal(status, data, what)
	}
	var out tokenAnswer
	if json.Unmarshal(data, &out) != nil {
		return tokenAnswer{}, platform.Errorf(platform.Transient, status, "Facebook's token endpoint sent an unreadable answer")
	}
	if out.AccessToken == "" {
		return tokenAnswer{}, platform.Errorf(platform.Transient, status, "Facebook's token endpoint granted no access token")
	}
	return out, nil
}

// tokenRules name the token endpoint in a transport failure's message.
var tokenRules = func() *metagraph.Rules { r := *rules; r.Name = "Facebook's token endpoint"; return &r }()

// tokenRefusal classifies the token endpoint's refusal (see the top).
func tokenRefusal(status int, body []byte, what string) error {
	e, ok := metagraph.Decode(body)
	ok = ok && e.Code != 0
	code := e.Code
	detail := "no error code"
	if ok {
		detail = "code " + strconv.Itoa(code)
		if e.Subcode != 0 {
			detail += ", subcode " + strconv.Itoa(e.Subcode)
		}
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || rules.RateLimited(code) || code == 2:
		return platform.Errorf(platform.Transient, status, "Facebook's token endpoint failed (%s)", detail)
	case code == 101 || (code == 1 && status < 500) || (!ok && status == http.StatusUnauthorized):
		return platform.Errorf(platform.InvalidCredentials, status, "Facebook refused this server's app credentials (%s, %s)", env+platform.SettingClientID, env+platform.SettingClientSecret)
	}
	return platform.Errorf(platform.Permanent, status, "Facebook refused %s (%s)", what, detail)
}

// pageEntry is one of the user's Pages in /me/accounts.
type pageEntry struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	AccessToken string   `json:"access_token"`
	Picture     picture  `json:"picture"`
	Tasks       []string `json:"tasks"`
}

// accounts lists the Pages the user token may post to, each with its Page token (the
// Accounts hook).
func accounts(ctx context.Context, client *http.Client, apiURL string, g platform.Grant) ([]platform.Connected, error) {
	a := New(client, apiURL)
	target := a.graph.Base + graphVersion + "/me/accounts?" + url.Values{
		"fields": {"id,name,access_token,picture{url},tasks"},
		"limit":  {strconv.Itoa(accountsPerPage)},
	}.Encode()
	var out []platform.Connected
	for range maxAccountPages {
		var list struct {
			Data   []pageEntry `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := a.get(ctx, target, g.Access, &list); err != nil {
			return nil, err
		}
		for _, p := range list.Data {
			if p.ID == "" || p.AccessToken == "" || !slices.Contains(p.Tasks, taskCreateContent) {
				continue // a Page the user may not post to: not an account
			}
			out = append(out, platform.Connected{
				Profile: pageProfile(p.ID, p.Name, p.Picture),
				Grant:   platform.Grant{Access: p.AccessToken, Extra: platform.Credentials{KeyPageID: p.ID}},
			})
		}
		next := a.rebase(list.Paging.Next)
		if next == "" || len(list.Data) == 0 {
			break
		}
		target = next
	}
	return out, nil
}

// rebase returns Facebook's paging.next on the configured API base: only its path and
// query are kept, so the user token never goes to a host the answer named, and without an
// access_token parameter (the token goes in the header, never a URL).
func (a *Adapter) rebase(next string) string {
	if next == "" {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	q := u.Query()
	q.Del("access_token")
	return a.graph.Base + u.EscapedPath() + "?" + q.Encode()
}
