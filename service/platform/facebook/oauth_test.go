package facebook

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
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

// client is the OAuth flow of Spec pointed at f, as the server builds it from settings;
// tokenURL may put something in front of f's token endpoint.
func client(t *testing.T, f *fake.Facebook, tokenURL, public string) *oauth.Client {
	t.Helper()
	values := map[string]string{
		"OCTOPOST_FACEBOOK_CLIENT_ID":     f.ClientID,
		"OCTOPOST_FACEBOOK_CLIENT_SECRET": f.ClientSecret,
		"OCTOPOST_FACEBOOK_AUTH_URL":      f.URL + "/v21.0/dialog/oauth",
		"OCTOPOST_FACEBOOK_TOKEN_URL":     tokenURL,
		"OCTOPOST_FACEBOOK_API_URL":       f.URL,
	}
	c, err := oauth.New(Spec, func(name string) string { return values[name] }, http.DefaultClient, public)
	require.NoError(t, err)
	return c
}

// consent runs the consent dialog against f and returns the callback's code.
func consent(t *testing.T, c *oauth.Client) string {
	t.Helper()
	state, _ := oauth.NewState()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(c.AuthorizationURL(state, oauth.NewVerifier()))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, c.RedirectURI(), back.Scheme+"://"+back.Host+back.Path)
	require.Equal(t, state, back.Query().Get("state"))
	require.NotEmpty(t, back.Query().Get("code"))
	return back.Query().Get("code")
}

func TestAuthorizationURL(t *testing.T) {
	t.Parallel()
	f := fake.NewFacebook(t)
	c := client(t, f, f.URL+"/v21.0/oauth/access_token", publicURL)
	u, err := url.Parse(c.AuthorizationURL("the-state", oauth.NewVerifier()))
	require.NoError(t, err)
	require.Equal(t, f.URL+"/v21.0/dialog/oauth", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	require.Equal(t, f.ClientID, q.Get("client_id"))
	require.Equal(t, publicURL+"/oauth/facebook/callback", q.Get("redirect_uri"))
	require.Equal(t, "pages_show_list,pages_manage_posts,pages_read_engagement", q.Get("scope"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "the-state", q.Get("state"))
	require.Empty(t, q.Get("code_challenge"), "no PKCE")

	require.Equal(t, []platform.Setting{
		{Env: "OCTOPOST_FACEBOOK_CLIENT_ID"}, {Env: "OCTOPOST_FACEBOOK_CLIENT_SECRET"},
		{Env: "OCTOPOST_FACEBOOK_AUTH_URL", Default: "https://www.facebook.com/v21.0/dialog/oauth"},
		{Env: "OCTOPOST_FACEBOOK_TOKEN_URL", Default: "https://graph.facebook.com/v21.0/oauth/access_token"},
		{Env: "OCTOPOST_FACEBOOK_API_URL", Default: "https://graph.facebook.com"},
	}, Spec.Settings)
}

func TestConnectEachPage(t *testing.T) {
	t.Parallel()
	f := fake.NewFacebook(t)
	c := client(t, f, f.URL+"/v21.0/oauth/access_token", publicURL)

	g, err := c.Exchange(t.Context(), consent(t, c), "")
	require.NoError(t, err)
	codes, long := f.Exchanges()
	require.Equal(t, 1, codes)
	require.Equal(t, 1, long, "the short-lived user token is traded for a long-lived one at once")
	require.WithinDuration(t, time.Now().Add(60*24*time.Hour), g.Expiry, 24*time.Hour)

	connected, err := c.Accounts(t.Context(), g)
	require.NoError(t, err)
	require.Len(t, connected, 2, "the Pages the user may post to; not the one they only moderate")
	for i, page := range f.Pages[:2] {
		a := connected[i]
		require.Equal(t, platform.Profile{UserID: page.ID, Username: page.ID, DisplayName: page.Name, AvatarURL: page.PictureURL}, a.Profile)
		require.NotEqual(t, g.Access, a.Grant.Access, "each Page publishes with its own token")
		require.True(t, a.Grant.Expiry.IsZero(), "a Page token from a long-lived user token does not expire")
		require.Empty(t, a.Grant.Refresh)
		creds := a.Grant.Credentials()
		require.Equal(t, platform.Credentials{KeyAccessToken: a.Grant.Access, KeyPageID: page.ID}, creds)
		require.False(t, oauth.Refreshable(Spec, creds), "nothing to refresh")

		// The Page's token checks out as the Page, and publishes on it.
		p, err := c.Profile(t.Context(), a.Grant.Access)
		require.NoError(t, err)
		require.Equal(t, a.Profile, p)
		ref, _, err := New(http.DefaultClient, f.URL).Publish(t.Context(), creds, platform.Post{Text: "Hello from " + page.Name})
		require.NoError(t, err)
		require.Equal(t, postURL(ref.ID), ref.URL)
	}
	posts := f.Posts()
	require.Len(t, posts, 2)
	require.Equal(t, f.Pages[1].ID, posts[1].PageID)
	require.True(t, posts[0].LongLived && posts[1].LongLived, "published with never-expiring Page tokens")

	// The code was spent.
	_, err = c.Exchange(t.Context(), "AQ-not-a-code", "")
	requireErrKind(t, err, platform.Permanent, f.ClientSecret, "AQ-not-a-code")
}

func TestAccountsPaging(t *testing.T) {
	t.Parallel()
	f := fake.NewFacebook(t)
	pages := func(n int) []fake.FacebookPage {
		out := make([]fake.FacebookPage, n)
		for i := range out {
			out[i] = fake.FacebookPage{ID: strconv.Itoa(200000000000000 + i), Name: "Page " + strconv.Itoa(i), Tasks: []string{"CREATE_CONTENT"}}
		}
		return out
	}
	f.Configure(func(f *fake.Facebook) { f.Pages = pages(250) })
	c := client(t, f, f.URL+"/v21.0/oauth/access_token", publicURL)
	g, err := c.Exchange(t.Context(), consent(t, c), "")
	require.NoError(t, err)

	connected, err := c.Accounts(t.Context(), g)
	require.NoError(t, err)
	require.Len(t, connected, 250)
	require.Equal(t, "200000000000249", connected[249].Profile.UserID)
	require.Equal(t, 1, f.Calls("/v21.0/me/accounts"))
	require.Equal(t, 2, f.Calls("/v21.0/"+f.User.ID+"/accounts"), "paging.next, followed")

	// A user with more Pages than that: the first thousand, in a bounded number of reads.
	f.Configure(func(f *fake.Facebook) { f.Pages = pages(1234) })
	connected, err = c.Accounts(t.Context(), g)
	require.NoError(t, err)
	require.Len(t, connected, accountsPerPage*maxAccountPages)
	require.Equal(t, 2, f.Calls("/v21.0/me/accounts"))
	require.Equal(t, 2+maxAccountPages-1, f.Calls("/v21.0/"+f.User.ID+"/accounts"))

	// No Page to post to: no account (the callback then says no_accounts).
	f.Configure(func(f *fake.Facebook) {
		f.Pages = []fake.FacebookPage{{ID: "1", Name: "Read only", Tasks: []string{"ANALYZE"}}}
	})
	connected, err = c.Accounts(t.Context(), g)
	require.NoError(t, err)
	require.Empty(t, connected)

	// A user token revoked meanwhile, or Facebook failing.
	f.FailNext("/v21.0/me/accounts", 1, 2)
	_, err = c.Accounts(t.Context(), g)
	requireErrKind(t, err, platform.Transient, g.Access)
	f.RevokeToken(g.Access)
	_, err = c.Accounts(t.Context(), g)
	requireErrKind(t, err, platform.TokenRejected, g.Access)
}

func TestRebase(t *testing.T) {
	t.Parallel()
	a := New(http.DefaultClient, "https://graph-proxy.example.com/")
	require.Equal(t, "https://graph-proxy.example.com/v21.0/1016/accounts?after=QVFI&limit=100",
		a.rebase("https://graph.facebook.com/v21.0/1016/accounts?access_token=EAA-user&limit=100&after=QVFI"),
		"Facebook's next link, on the configured base and without the token")
	require.Empty(t, a.rebase(""))
	require.Empty(t, a.rebase("::not a URL"))
}

func TestExchangeRefusals(t *testing.T) {
	t.Parallel()
	f := fake.NewFacebook(t)
	tokenURL := f.URL + "/v21.0/oauth/access_token"

	wrong := func(change func(values map[string]string)) *oauth.Client {
		values := map[string]string{
			"OCTOPOST_FACEBOOK_CLIENT_ID": f.ClientID, "OCTOPOST_FACEBOOK_CLIENT_SECRET": f.ClientSecret,
			"OCTOPOST_FACEBOOK_AUTH_URL": f.URL + "/v21.0/dialog/oauth", "OCTOPOST_FACEBOOK_TOKEN_URL": tokenURL,
			"OCTOPOST_FACEBOOK_API_URL": f.URL,
		}
		change(values)
		c, err := oauth.New(Spec, func(name string) string { return values[name] }, http.DefaultClient, publicURL)
		require.NoError(t, err)
		return c
	}
	good := client(t, f, tokenURL, publicURL)

	// A wrong app secret (code 1 with a 400), an unknown app (101): the operator's to fix.
	_, err := wrong(func(v map[string]string) { v["OCTOPOST_FACEBOOK_CLIENT_SECRET"] = "not-the-secret" }).Exchange(t.Context(), consent(t, good), "")
	requireErrKind(t, err, platform.InvalidCredentials, "not-the-secret")
	_, err = wrong(func(v map[string]string) { v["OCTOPOST_FACEBOOK_CLIENT_ID"] = "999" }).Exchange(t.Context(), consent(t, good), "")
	requireErrKind(t, err, platform.InvalidCredentials, f.ClientSecret)

	// A code for another redirect_uri, a spent code: refused codes.
	code := consent(t, good)
	_, err = client(t, f, tokenURL, "https://elsewhere.example.com").Exchange(t.Context(), code, "")
	pe := requireErrKind(t, err, platform.Permanent, code, f.ClientSecret)
	require.Contains(t, pe.Message, "36008")
	_, err = good.Exchange(t.Context(), code, "")
	pe = requireErrKind(t, err, platform.Permanent, code)
	require.Contains(t, pe.Message, "36009")

	// Facebook failing or throttling: Transient.
	f.FailNext("/v21.0/oauth/access_token", 1, 2)
	_, err = good.Exchange(t.Context(), consent(t, good), "")
	requireErrKind(t, err, platform.Transient)
	f.FailNext("/v21.0/oauth/access_token", 1, 4)
	_, err = good.Exchange(t.Context(), consent(t, good), "")
	requireErrKind(t, err, platform.Transient)
	f.FailStatus("/v21.0/oauth/access_token", 1, http.StatusServiceUnavailable)
	_, err = good.Exchange(t.Context(), consent(t, good), "")
	requireErrKind(t, err, platform.Transient)

	// The second step, the long-lived exchange, failing after the first succeeded.
	target, err := url.Parse(f.URL)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("grant_type") == "fb_exchange_token" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"error":{"message":"An unexpected error has occurred.","type":"OAuthException","code":2,"fbtrace_id":"Ax"}}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	viaFront := client(t, f, front.URL+"/v21.0/oauth/access_token", publicURL)
	before, _ := f.Exchanges()
	_, err = viaFront.Exchange(t.Context(), consent(t, viaFront), "")
	requireErrKind(t, err, platform.Transient, f.ClientSecret)
	after, long := f.Exchanges()
	require.Equal(t, before+1, after, "the code was exchanged; the long-lived step failed")
	require.Zero(t, long)
}

func TestTokenEndpointUnreachable(t *testing.T) {
	t.Parallel()
	f := fake.NewFacebook(t)
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c := client(t, f, srv.URL+"/v21.0/oauth/access_token", publicURL)
	_, err := c.Exchange(t.Context(), "AQ-the-code", "")
	requireErrKind(t, err, platform.Transient, "AQ-the-code", f.ClientSecret)
}
