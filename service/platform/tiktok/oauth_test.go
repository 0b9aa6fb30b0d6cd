package tiktok

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/oauth"
)

const publicURL = "https://octopost.example.com"

// client is the OAuth flow of Spec pointed at f, as the server builds it from settings.
func client(t *testing.T, f *fake.TikTok, tokenURL string) *oauth.Client {
	t.Helper()
	values := map[string]string{
		"OCTOPOST_TIKTOK_CLIENT_ID":     f.ClientKey,
		"OCTOPOST_TIKTOK_CLIENT_SECRET": f.ClientSecret,
		"OCTOPOST_TIKTOK_AUTH_URL":      f.URL + "/v2/auth/authorize/",
		"OCTOPOST_TIKTOK_TOKEN_URL":     tokenURL,
		"OCTOPOST_TIKTOK_API_URL":       f.URL,
	}
	c, err := oauth.New(Spec, func(name string) string { return values[name] }, http.DefaultClient, publicURL)
	require.NoError(t, err)
	return c
}

// connect runs the consent and the exchange against f and returns the grant.
func connect(t *testing.T, f *fake.TikTok, c *oauth.Client) oauth.Token {
	t.Helper()
	state, _ := oauth.NewState()
	authURL := c.AuthorizationURL(state, oauth.NewVerifier())
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, publicURL+"/oauth/tiktok/callback", back.Scheme+"://"+back.Host+back.Path)
	require.Equal(t, state, back.Query().Get("state"))
	g, err := c.Exchange(t.Context(), back.Query().Get("code"), "")
	require.NoError(t, err)
	return g
}

func requireErrKind(t *testing.T, err error, kind platform.Kind, secrets ...string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, pe.Error())
	for _, s := range secrets {
		require.NotContains(t, err.Error(), s, "a secret never appears in an error")
	}
	return pe
}

func TestAuthorizationURL(t *testing.T) {
	t.Parallel()
	f := fake.NewTikTok(t)
	c := client(t, f, f.URL+"/v2/oauth/token/")
	u, err := url.Parse(c.AuthorizationURL("the-state", oauth.NewVerifier()))
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, f.URL+"/v2/auth/authorize/", u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, f.ClientKey, q.Get("client_key"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "user.info.basic,video.publish", q.Get("scope"))
	require.Equal(t, publicURL+"/oauth/tiktok/callback", q.Get("redirect_uri"))
	require.Equal(t, "the-state", q.Get("state"))
	require.Empty(t, q.Get("code_challenge"), "TikTok's web flow takes no PKCE")
}

func TestExchangeProfileAndRefresh(t *testing.T) {
	t.Parallel()
	f := fake.NewTikTok(t)
	c := client(t, f, f.URL+"/v2/oauth/token/")
	before := time.Now()
	g := connect(t, f, c)
	require.NotEmpty(t, g.Access)
	require.NotEmpty(t, g.Refresh)
	require.Equal(t, f.OpenID, g.Extra[KeyOpenID])
	require.WithinDuration(t, before.Add(24*time.Hour), g.Expiry, time.Minute, "TikTok's access tokens live 24 hours")
	creds := g.Credentials()
	require.Equal(t, strconv.FormatInt(g.Expiry.Unix(), 10), creds[platform.KeyOAuthExpiresAt])
	require.Equal(t, 1, f.Exchanges())

	accounts, err := c.Accounts(t.Context(), g)
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	require.Equal(t, platform.Profile{
		UserID: f.OpenID, Username: f.Username, DisplayName: f.DisplayName, AvatarURL: f.AvatarURL,
	}, accounts[0].Profile)

	// A refresh rotates the refresh token: the new one is returned, the old one dies.
	require.True(t, oauth.Refreshable(Spec, creds))
	next, err := c.Refresh(t.Context(), creds)
	require.NoError(t, err)
	require.NotEqual(t, g.Access, next.Access)
	require.NotEqual(t, g.Refresh, next.Refresh)
	require.Equal(t, f.OpenID, next.Extra[KeyOpenID])
	_, err = c.Profile(t.Context(), next.Access)
	require.NoError(t, err, "the new access token works")

	_, err = c.Refresh(t.Context(), creds)
	pe := requireErrKind(t, err, platform.TokenRejected, g.Refresh)
	require.Equal(t, http.StatusBadRequest, pe.Status)
	issued, refused := f.Refreshes()
	require.Equal(t, 1, issued)
	require.Equal(t, 1, refused)

	// An outage is Transient, and the refresh token survives it.
	f.FailRefreshes(1)
	_, err = c.Refresh(t.Context(), next.Credentials())
	requireErrKind(t, err, platform.Transient, next.Refresh)
	_, err = c.Refresh(t.Context(), next.Credentials())
	require.NoError(t, err)

	// A revoked refresh token is TokenRejected.
	_, refreshToken := f.IssueToken()
	f.RevokeRefreshToken(refreshToken)
	_, err = c.Refresh(t.Context(), platform.Credentials{platform.KeyOAuthAccessToken: "a", platform.KeyOAuthRefreshToken: refreshToken})
	requireErrKind(t, err, platform.TokenRejected, refreshToken)
}

func TestExchangeRefusals(t *testing.T) {
	t.Parallel()
	f := fake.NewTikTok(t)
	c := client(t, f, f.URL+"/v2/oauth/token/")

	_, err := c.Exchange(t.Context(), "not-a-code", "")
	pe := requireErrKind(t, err, platform.Permanent, "not-a-code")
	require.Contains(t, pe.Message, "refused the authorization code")

	wrongSecret := f.ClientSecret
	f.Configure(func(f *fake.TikTok) { f.ClientSecret = "rotated" })
	_, err = c.Exchange(t.Context(), "not-a-code", "")
	requireErrKind(t, err, platform.InvalidCredentials, wrongSecret)
	f.Configure(func(f *fake.TikTok) { f.ClientSecret = wrongSecret })

	// A consent the user denied never reaches the token endpoint; the consent screen
	// says so in its redirect.
	f.Deny()
	state, _ := oauth.NewState()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(c.AuthorizationURL(state, ""))
	require.NoError(t, err)
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "access_denied", back.Query().Get("error"))
	require.Empty(t, back.Query().Get("code"))
}

// TikTok may refuse with HTTP 200: the error field decides, and a 5xx or an unreadable
// grant is Transient.
func TestTokenEndpointAnswers(t *testing.T) {
	t.Parallel()
	f := fake.NewTikTok(t)
	answers := map[string]struct {
		status int
		body   string
		kind   platform.Kind
	}{
		"invalid_grant with 200": {http.StatusOK, `{"error":"invalid_grant","error_description":"Refresh token is invalid or expired.","log_id":"X"}`, platform.TokenRejected},
		"invalid_client":         {http.StatusOK, `{"error":"invalid_client","error_description":"Client key or secret is incorrect.","log_id":"X"}`, platform.InvalidCredentials},
		"invalid_request":        {http.StatusBadRequest, `{"error":"invalid_request","error_description":"The request parameters are malformed.","log_id":"X"}`, platform.Permanent},
		"500":                    {http.StatusInternalServerError, `{"error":"server_error"}`, platform.Transient},
		"429":                    {http.StatusTooManyRequests, ``, platform.Transient},
		"html":                   {http.StatusOK, `<html>`, platform.Transient},
		"no token":               {http.StatusOK, `{"open_id":"x"}`, platform.Transient},
	}
	for name, a := range answers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.NoError(t, r.ParseForm())
				require.Equal(t, "refresh_token", r.PostForm.Get("grant_type"))
				require.Equal(t, "the-refresh-token", r.PostForm.Get("refresh_token"))
				require.Equal(t, f.ClientKey, r.PostForm.Get("client_key"))
				require.Equal(t, f.ClientSecret, r.PostForm.Get("client_secret"))
				w.WriteHeader(a.status)
				_, _ = w.Write([]byte(a.body))
			}))
			t.Cleanup(srv.Close)
			c := client(t, f, srv.URL)
			_, err := c.Refresh(t.Context(), platform.Credentials{
				platform.KeyOAuthAccessToken: "a", platform.KeyOAuthRefreshToken: "the-refresh-token",
			})
			requireErrKind(t, err, a.kind, "the-refresh-token", f.ClientSecret)
		})
	}

	// Not rotated: the old refresh token stays, and so does the open_id.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"act.new","expires_in":86400,"scope":"user.info.basic,video.publish","token_type":"Bearer"}`))
	}))
	t.Cleanup(srv.Close)
	g, err := client(t, f, srv.URL).Refresh(t.Context(), platform.Credentials{
		platform.KeyOAuthAccessToken: "a", platform.KeyOAuthRefreshToken: "kept", KeyOpenID: "oid",
	})
	require.NoError(t, err)
	require.Equal(t, "act.new", g.Access)
	require.Equal(t, "kept", g.Refresh)
	require.Equal(t, "oid", g.Extra[KeyOpenID])

	// Without a refresh token there is nothing to refresh with: connect again.
	_, err = client(t, f, srv.URL).Refresh(t.Context(), platform.Credentials{platform.KeyOAuthAccessToken: "a"})
	requireErrKind(t, err, platform.TokenRejected)
}
