package api_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/oauth"
	"github.com/octopost/octopost/service/platform/platforms"
)

// oauthPublicURL is the server's public URL in these tests; requests to it are sent to
// the test server, as a reverse proxy would.
const oauthPublicURL = "http://localhost:8080"

// xOAuth is the OAuth configuration of a server whose X app is on the fake X.
func xOAuth(x *fake.TwitterOAuth) service.OAuthConfig {
	values := map[string]string{
		"OCTOPOST_TWITTER_CLIENT_ID":     x.ClientID,
		"OCTOPOST_TWITTER_CLIENT_SECRET": x.ClientSecret,
		"OCTOPOST_TWITTER_AUTH_URL":      x.URL + "/i/oauth2/authorize",
		"OCTOPOST_TWITTER_TOKEN_URL":     x.URL + "/2/oauth2/token",
		"OCTOPOST_TWITTER_API_URL":       x.URL,
	}
	return service.OAuthConfig{
		PublicURL:       oauthPublicURL,
		RedirectOrigins: []string{"https://app.example.com"},
		Provider: func(p service.Platform) (service.OAuthProvider, error) {
			spec, _ := platforms.All.Lookup(string(p))
			return oauth.New(spec, func(name string) string {
				if v, ok := values[name]; ok {
					return v
				}
				for _, s := range spec.Settings {
					if s.Env == name {
						return s.Default
					}
				}
				return ""
			}, http.DefaultClient, oauthPublicURL)
		},
	}
}

// browser follows no redirect, so each hop can be checked. The callback is not part of
// the contract (see api/oauth.go), so its answers are checked here, not by the contract.
var browser = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// callback sends the browser back from the consent screen at authorizationURL to the test
// server, and returns the server's answer and its body.
func callback(t *testing.T, b *testBundle, authorizationURL string) (*http.Response, string) {
	t.Helper()
	resp, err := browser.Get(authorizationURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back := resp.Header.Get("Location")
	require.True(t, strings.HasPrefix(back, oauthPublicURL+"/oauth/twitter/callback?"), back)
	return get(t, b.server.URL+strings.TrimPrefix(back, oauthPublicURL))
}

func get(t *testing.T, u string) (*http.Response, string) {
	t.Helper()
	resp, err := browser.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(body)
}

func TestOAuthConnectFlow(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	b := setupWith(t, setupOptions{service: service.Config{OAuth: xOAuth(x)}})
	live := b.key(t, service.ModeLive)

	r := b.do(t, http.MethodPost, "/v1/accounts/connect", live, `{"platform": "twitter", "redirect_url": "https://app.example.com/done?from=octopost"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	authURL, err := url.Parse(r.body["authorization_url"].(string))
	require.NoError(t, err)
	q := authURL.Query()
	require.Equal(t, x.ClientID, q.Get("client_id"))
	require.Equal(t, oauthPublicURL+"/oauth/twitter/callback", q.Get("redirect_uri"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("state"))
	require.NotEmpty(t, r.body["expires_at"])

	resp, _ := callback(t, b, authURL.String())
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	done, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "https://app.example.com/done", done.Scheme+"://"+done.Host+done.Path)
	require.Equal(t, "octopost", done.Query().Get("from"))
	accountID := done.Query().Get("account_id")
	require.True(t, strings.HasPrefix(accountID, "acc_"), accountID)

	r = b.do(t, http.MethodGet, "/v1/accounts/"+accountID, live, "")
	require.Equal(t, http.StatusOK, r.status, string(r.raw))
	require.Equal(t, "twitter", r.body["platform"])
	require.Equal(t, x.User.Username, r.body["username"])
	require.Equal(t, x.User.ID, r.body["platform_user_id"])
	require.NotContains(t, string(r.raw), "token")

	// The same callback again: the state is spent; a page says so, nothing redirects.
	resp, body := get(t, b.server.URL+"/oauth/twitter/callback?"+authURLCallbackQuery(t, authURL))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Location"))
	require.Contains(t, body, "start connecting again")
}

// authURLCallbackQuery is a callback query for the state in authURL, with a made-up code.
func authURLCallbackQuery(t *testing.T, authURL *url.URL) string {
	t.Helper()
	return url.Values{"state": {authURL.Query().Get("state")}, "code": {"spent"}}.Encode()
}

func TestOAuthConnectWithoutRedirectShowsAPage(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	b := setupWith(t, setupOptions{service: service.Config{OAuth: xOAuth(x)}})
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodPost, "/v1/accounts/connect", live, `{"platform": "twitter"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	resp, body := callback(t, b, r.body["authorization_url"].(string))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
	require.Contains(t, body, "@"+x.User.Username)
}

func TestOAuthDeniedConsentRedirectsWithTheError(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	x.Deny()
	b := setupWith(t, setupOptions{service: service.Config{OAuth: xOAuth(x)}})
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodPost, "/v1/accounts/connect", live, `{"platform": "twitter", "redirect_url": "`+oauthPublicURL+`/after"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.raw))
	resp, _ := callback(t, b, r.body["authorization_url"].(string))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	after, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, oauthPublicURL+"/after", after.Scheme+"://"+after.Host+after.Path)
	require.Equal(t, "access_denied", after.Query().Get("error"))
	require.NotEmpty(t, after.Query().Get("error_description"))
	require.Empty(t, after.Query().Get("account_id"))
	r = b.do(t, http.MethodGet, "/v1/accounts", live, "")
	require.Equal(t, http.StatusOK, r.status)
	require.Empty(t, r.body["accounts"])
}

func TestOAuthConnectRefusals(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	b := setupWith(t, setupOptions{service: service.Config{OAuth: xOAuth(x)}})
	live := b.key(t, service.ModeLive)

	// Test keys make sandbox accounts with POST /v1/accounts: this operation is live-only.
	r := b.do(t, http.MethodPost, "/v1/accounts/connect", b.key(t, service.ModeTest), `{"platform": "twitter"}`)
	require.Equal(t, http.StatusUnauthorized, r.status, string(r.raw))

	// No open redirect.
	r = b.do(t, http.MethodPost, "/v1/accounts/connect", live, `{"platform": "twitter", "redirect_url": "https://evil.example/steal"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.raw))
	require.Contains(t, string(r.raw), `"field":"/redirect_url"`)

	// A platform without a client id names the setting to set.
	r = b.do(t, http.MethodPost, "/v1/accounts/connect", live, `{"platform": "youtube"}`)
	require.Equal(t, http.StatusUnprocessableEntity, r.status, string(r.raw))
	require.Contains(t, string(r.raw), `"field":"/platform"`)
	require.Contains(t, string(r.raw), "OCTOPOST_YOUTUBE_CLIENT_ID")

	// The callback of an unknown state shows a page; a provider's error never reaches an
	// account either.
	resp, body := get(t, b.server.URL+"/oauth/twitter/callback?state=forged&code=abc")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Empty(t, resp.Header.Get("Location"))
	require.NotContains(t, body, "<script")
	resp, _ = get(t, b.server.URL+"/oauth/twitter/callback?error=access_denied&state=%3Cscript%3E")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
