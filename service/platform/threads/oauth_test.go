package threads

import (
	"net/http"
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
func client(t *testing.T, f *fake.Threads, secret string) *oauth.Client {
	t.Helper()
	values := map[string]string{
		"OCTOPOST_THREADS_CLIENT_ID":     f.ClientID,
		"OCTOPOST_THREADS_CLIENT_SECRET": secret,
		"OCTOPOST_THREADS_AUTH_URL":      f.URL + "/oauth/authorize",
		"OCTOPOST_THREADS_TOKEN_URL":     f.URL + "/oauth/access_token",
		"OCTOPOST_THREADS_API_URL":       f.URL,
	}
	c, err := oauth.New(Spec, func(name string) string { return values[name] }, http.DefaultClient, publicURL)
	require.NoError(t, err)
	return c
}

// consent runs the consent screen against f and returns the code it sent back.
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
	require.Equal(t, publicURL+"/oauth/threads/callback", back.Scheme+"://"+back.Host+back.Path)
	require.Equal(t, state, back.Query().Get("state"))
	return back.Query().Get("code")
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
	f := fake.NewThreads(t)
	c := client(t, f, f.ClientSecret)
	u, err := url.Parse(c.AuthorizationURL("the-state", oauth.NewVerifier()))
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, f.URL+"/oauth/authorize", u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, f.ClientID, q.Get("client_id"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "threads_basic,threads_content_publish", q.Get("scope"))
	require.Equal(t, publicURL+"/oauth/threads/callback", q.Get("redirect_uri"))
	require.Equal(t, "the-state", q.Get("state"))
	require.Empty(t, q.Get("code_challenge"), "Threads takes no PKCE")
}

func TestExchangeProfileAndRefresh(t *testing.T) {
	t.Parallel()
	f := fake.NewThreads(t)
	c := client(t, f, f.ClientSecret)
	before := time.Now()
	g, err := c.Exchange(t.Context(), consent(t, c), "")
	require.NoError(t, err)
	require.NotEmpty(t, g.Access)
	require.Empty(t, g.Refresh, "Threads has no refresh token")
	require.Equal(t, f.User.ID, g.Extra[KeyUserID], "the user id (a JSON number) is kept for the API paths")
	require.WithinDuration(t, before.Add(60*24*time.Hour), g.Expiry, time.Minute, "the short-lived token was traded for a 60-day one")
	require.Equal(t, 1, f.Exchanges())
	creds := g.Credentials()
	require.Equal(t, strconv.FormatInt(g.Expiry.Unix(), 10), creds[platform.KeyOAuthExpiresAt])

	accounts, err := c.Accounts(t.Context(), g)
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	require.Equal(t, platform.Profile{
		UserID: f.User.ID, Username: f.User.Username, DisplayName: f.User.Name, AvatarURL: f.User.PictureURL,
	}, accounts[0].Profile)

	// The long-lived token refreshes itself: refreshable without a refresh token.
	require.True(t, oauth.Refreshable(Spec, creds))
	f.Advance(50 * 24 * time.Hour)
	next, err := c.Refresh(t.Context(), creds)
	require.NoError(t, err)
	require.NotEqual(t, g.Access, next.Access)
	require.Equal(t, f.User.ID, next.Extra[KeyUserID])
	require.WithinDuration(t, time.Now().Add(60*24*time.Hour), next.Expiry, time.Minute)
	f.Advance(20 * 24 * time.Hour) // the first token has expired, the new one has not
	_, err = c.Profile(t.Context(), next.Access)
	require.NoError(t, err, "the refreshed token works")

	// Past its expiry a token cannot refresh itself: Graph's code 190, TokenRejected.
	_, err = c.Refresh(t.Context(), creds)
	pe := requireErrKind(t, err, platform.TokenRejected, g.Access)
	require.Equal(t, http.StatusBadRequest, pe.Status)

	// A revoked one neither.
	f.RevokeToken(next.Access)
	_, err = c.Refresh(t.Context(), next.Credentials())
	requireErrKind(t, err, platform.TokenRejected, next.Access)
	issued, refused := f.Refreshes()
	require.Equal(t, 1, issued)
	require.Equal(t, 2, refused)

	// An outage is Transient, and the token survives it.
	live := f.IssueToken()
	// A token younger than a day cannot refresh yet: refused, but not a dead token, so
	// the account stays connected.
	_, err = c.Refresh(t.Context(), platform.Credentials{KeyAccessToken: live, KeyUserID: f.User.ID})
	requireErrKind(t, err, platform.Permanent, live)
	f.Advance(25 * time.Hour)
	f.FailNext("/refresh_access_token", 1, http.StatusServiceUnavailable)
	_, err = c.Refresh(t.Context(), platform.Credentials{KeyAccessToken: live, KeyUserID: f.User.ID})
	requireErrKind(t, err, platform.Transient, live)
	_, err = c.Refresh(t.Context(), platform.Credentials{KeyAccessToken: live, KeyUserID: f.User.ID})
	require.NoError(t, err)
	f.FailNext("/refresh_access_token", 1, http.StatusTooManyRequests)
	_, err = c.Refresh(t.Context(), platform.Credentials{KeyAccessToken: live, KeyUserID: f.User.ID})
	requireErrKind(t, err, platform.Transient, live)
}

func TestExchangeRefusals(t *testing.T) {
	t.Parallel()
	f := fake.NewThreads(t)

	// A wrong app secret: the operator's to fix.
	wrong := client(t, f, "not-the-secret")
	_, err := wrong.Exchange(t.Context(), consent(t, wrong), "")
	requireErrKind(t, err, platform.InvalidCredentials, "not-the-secret")

	// A code used twice: refused, Permanent.
	c := client(t, f, f.ClientSecret)
	code := consent(t, c)
	_, err = c.Exchange(t.Context(), code, "")
	require.NoError(t, err)
	_, err = c.Exchange(t.Context(), code, "")
	requireErrKind(t, err, platform.Permanent, code)

	// An outage of either leg is Transient.
	f.FailNext("/oauth/access_token", 1, http.StatusInternalServerError)
	_, err = c.Exchange(t.Context(), consent(t, c), "")
	requireErrKind(t, err, platform.Transient)
	f.FailNext("/access_token", 1, http.StatusBadGateway)
	_, err = c.Exchange(t.Context(), consent(t, c), "")
	requireErrKind(t, err, platform.Transient)
	require.Equal(t, 1, f.Exchanges())

	// A token endpoint that does not answer is Transient.
	dead := fake.NewThreads(t)
	values := map[string]string{
		"OCTOPOST_THREADS_CLIENT_ID": f.ClientID, "OCTOPOST_THREADS_CLIENT_SECRET": f.ClientSecret,
		"OCTOPOST_THREADS_TOKEN_URL": "http://127.0.0.1:1/oauth/access_token", "OCTOPOST_THREADS_API_URL": dead.URL,
	}
	unreachable, err := oauth.New(Spec, func(name string) string { return values[name] }, http.DefaultClient, publicURL)
	require.NoError(t, err)
	_, err = unreachable.Exchange(t.Context(), "some-code", "")
	requireErrKind(t, err, platform.Transient, "some-code", f.ClientSecret)
}
