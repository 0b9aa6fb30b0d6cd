package youtube

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/oauth"
)

const publicURL = "https://octopost.example.com"

// oauthClient is the OAuth flow of Spec pointed at f, as the server builds it from settings.
func oauthClient(t *testing.T, f *fake.YouTube, secret string) *oauth.Client {
	t.Helper()
	values := map[string]string{
		"OCTOPOST_YOUTUBE_CLIENT_ID":     f.ClientID,
		"OCTOPOST_YOUTUBE_CLIENT_SECRET": secret,
		"OCTOPOST_YOUTUBE_AUTH_URL":      f.URL + "/o/oauth2/v2/auth",
		"OCTOPOST_YOUTUBE_TOKEN_URL":     f.URL + "/token",
		"OCTOPOST_YOUTUBE_API_URL":       f.URL,
	}
	c, err := oauth.New(Spec, func(name string) string { return values[name] }, http.DefaultClient, publicURL)
	require.NoError(t, err)
	return c
}

// consent follows the authorization URL to the fake's consent and returns the callback's
// query.
func consent(t *testing.T, authURL string) url.Values {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authURL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, publicURL+"/oauth/youtube/callback", back.Scheme+"://"+back.Host+back.Path)
	return back.Query()
}

func requireKind(t *testing.T, err error, kind platform.Kind, secrets ...string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, pe.Error())
	for _, s := range secrets {
		require.NotContains(t, err.Error(), s, "a secret never appears in an error")
	}
	return pe
}

// The consent screen gets Google's parameters: PKCE S256, both scopes space-separated,
// offline access and a forced consent (else no refresh token).
func TestAuthorizationURL(t *testing.T) {
	t.Parallel()
	f := fake.NewYouTube(t)
	c := oauthClient(t, f, f.ClientSecret)
	u, err := url.Parse(c.AuthorizationURL("the-state", oauth.NewVerifier()))
	require.NoError(t, err)
	require.Equal(t, f.URL+"/o/oauth2/v2/auth", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	require.Equal(t, f.ClientID, q.Get("client_id"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "https://www.googleapis.com/auth/youtube.upload https://www.googleapis.com/auth/youtube.readonly", q.Get("scope"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("code_challenge"))
	require.Equal(t, "offline", q.Get("access_type"))
	require.Equal(t, "consent", q.Get("prompt"))
	require.Equal(t, publicURL+"/oauth/youtube/callback", q.Get("redirect_uri"))
	require.Equal(t, "the-state", q.Get("state"))
}

// The whole flow: consent, the exchange (client secret in the body, PKCE verifier), the
// channel as profile, and a refresh that keeps the refresh token Google did not rotate.
func TestConnectAndRefresh(t *testing.T) {
	t.Parallel()
	f := fake.NewYouTube(t)
	c := oauthClient(t, f, f.ClientSecret)
	state, _ := oauth.NewState()
	verifier := oauth.NewVerifier()
	back := consent(t, c.AuthorizationURL(state, verifier))
	require.Equal(t, state, back.Get("state"))

	// A wrong verifier is a refused code, which is then spent.
	_, err := c.Exchange(t.Context(), back.Get("code"), oauth.NewVerifier())
	requireKind(t, err, platform.Permanent, back.Get("code"))

	back = consent(t, c.AuthorizationURL(state, verifier))
	g, err := c.Exchange(t.Context(), back.Get("code"), verifier)
	require.NoError(t, err)
	require.NotEmpty(t, g.Access)
	require.NotEmpty(t, g.Refresh, "offline access gives a refresh token")
	require.False(t, g.Expiry.IsZero())
	require.Equal(t, 1, f.Exchanges())

	accounts, err := c.Accounts(t.Context(), g)
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	require.Equal(t, platform.Profile{
		UserID: f.Channel.ID, Username: "octoposter", DisplayName: f.Channel.Title, AvatarURL: f.Channel.AvatarURL,
	}, accounts[0].Profile)

	renewed, err := c.Refresh(t.Context(), g.Credentials())
	require.NoError(t, err)
	require.NotEqual(t, g.Access, renewed.Access)
	require.Equal(t, g.Refresh, renewed.Refresh, "Google did not rotate it: the old one is kept")
	issued, refused := f.Refreshes()
	require.Equal(t, 1, issued)
	require.Zero(t, refused)

	// A 503 during a refresh is Transient: the account stays connected.
	f.FailRefreshes(1)
	_, err = c.Refresh(t.Context(), g.Credentials())
	requireKind(t, err, platform.Transient, g.Refresh)

	// Revoked: invalid_grant, and only that, is TokenRejected.
	f.RevokeRefreshToken(g.Refresh)
	_, err = c.Refresh(t.Context(), g.Credentials())
	requireKind(t, err, platform.TokenRejected, g.Refresh)
	_, refused = f.Refreshes()
	require.Equal(t, 1, refused)
}

// A wrong client secret is the operator's app, not the account's.
func TestExchangeRefusedApp(t *testing.T) {
	t.Parallel()
	f := fake.NewYouTube(t)
	c := oauthClient(t, f, "not-the-secret")
	verifier := oauth.NewVerifier()
	back := consent(t, c.AuthorizationURL("s", verifier))
	_, err := c.Exchange(t.Context(), back.Get("code"), verifier)
	pe := requireKind(t, err, platform.InvalidCredentials, "not-the-secret")
	require.Contains(t, pe.Message, "OCTOPOST_YOUTUBE_CLIENT_ID")
}

// A Google account without a channel cannot upload: connecting it says to create one.
func TestProfileWithoutChannel(t *testing.T) {
	t.Parallel()
	f := fake.NewYouTube(t)
	f.Configure(func(f *fake.YouTube) { f.NoChannel = true })
	access, _ := f.IssueToken()
	_, err := Profile(t.Context(), http.DefaultClient, f.URL, access)
	pe := requireKind(t, err, platform.Permanent, access)
	require.True(t, strings.Contains(pe.Message, "no YouTube channel"), pe.Message)

	// A refused token is refused credentials when connecting.
	_, err = Profile(t.Context(), http.DefaultClient, f.URL, "ya29.not-a-token")
	requireKind(t, err, platform.InvalidCredentials, "ya29.not-a-token")
}

// A channel without a handle is named by its id.
func TestProfileWithoutHandle(t *testing.T) {
	t.Parallel()
	f := fake.NewYouTube(t)
	f.Configure(func(f *fake.YouTube) { f.Channel.CustomURL = "" })
	access, _ := f.IssueToken()
	p, err := Profile(t.Context(), http.DefaultClient, f.URL, access)
	require.NoError(t, err)
	require.Equal(t, f.Channel.ID, p.Username)
	require.Equal(t, f.Channel.ID, p.UserID)
}
