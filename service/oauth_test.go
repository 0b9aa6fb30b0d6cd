package service_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/oauth"
	"github.com/octopost/octopost/service/platform/platforms"
)

const oauthPublicURL = "https://octopost.example.com"

// setupOAuth is the service with X's flow pointed at a fake X, and LinkedIn configured
// but, its profile read taken away, not connectable; other platforms have no client id.
func setupOAuth(t *testing.T) (*testBundle, *fake.TwitterOAuth) {
	t.Helper()
	x := fake.NewTwitterOAuth(t)
	values := map[string]string{
		"OCTOPOST_TWITTER_CLIENT_ID":     x.ClientID,
		"OCTOPOST_TWITTER_CLIENT_SECRET": x.ClientSecret,
		"OCTOPOST_TWITTER_AUTH_URL":      x.URL + "/i/oauth2/authorize",
		"OCTOPOST_TWITTER_TOKEN_URL":     x.URL + "/2/oauth2/token",
		"OCTOPOST_TWITTER_API_URL":       x.URL,
		"OCTOPOST_LINKEDIN_CLIENT_ID":    "linkedin-app",
	}
	b := setup(t, func(c *service.Config) {
		c.OAuth = service.OAuthConfig{
			PublicURL:       oauthPublicURL,
			RedirectOrigins: []string{"https://app.example.com"},
			Provider: func(p service.Platform) (service.OAuthProvider, error) {
				spec, _ := platforms.All.Lookup(string(p))
				if p == "linkedin" { // stands for a platform whose profile cannot be read yet
					flow := *spec.OAuth
					flow.Profile, flow.Accounts = nil, nil
					spec.OAuth = &flow
				}
				setting := func(name string) string {
					if v, ok := values[name]; ok {
						return v
					}
					for _, s := range spec.Settings {
						if s.Env == name {
							return s.Default
						}
					}
					return ""
				}
				return oauth.New(spec, setting, http.DefaultClient, oauthPublicURL)
			},
		}
	})
	return b, x
}

// consentTo follows the consent screen to the redirect back to the server and returns the
// callback the browser would make.
func consentTo(t *testing.T, authorizationURL string) service.OAuthCallback {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authorizationURL)
	require.NoError(t, err)
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/oauth/twitter/callback", back.Path)
	q := back.Query()
	return service.OAuthCallback{Platform: "twitter", State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
}

func TestOAuthConnectsAnXAccount(t *testing.T) {
	t.Parallel()
	b, x := setupOAuth(t)
	start, err := b.svc.StartOAuth(b.ctx, b.live, "twitter", new("https://app.example.com/connected?tab=x"))
	require.NoError(t, err)
	require.Equal(t, b.clock.now.Add(10*time.Minute), start.ExpiresAt)
	cb := consentTo(t, start.AuthorizationURL)

	out, err := b.svc.FinishOAuth(b.ctx, cb)
	require.NoError(t, err)
	require.Empty(t, out.Error, out.Message)
	require.Equal(t, "https://app.example.com/connected?tab=x", *out.RedirectURL)
	a := *out.Account
	require.Equal(t, b.live, a.Scope, "the account is the user's and mode's that started the flow")
	require.Equal(t, service.Platform("twitter"), a.Platform)
	require.Equal(t, x.User.Username, a.Username)
	require.Equal(t, x.User.ID, a.PlatformUserID)
	require.Equal(t, x.User.Name, a.DisplayName)
	require.Equal(t, x.User.ProfileImageURL, *a.AvatarURL)

	listed, err := b.svc.ListAccounts(b.ctx, b.live)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	creds, err := b.svc.AccountCredentials(b.ctx, listed[0])
	require.NoError(t, err)
	require.NotEmpty(t, creds["access_token"])
	require.NotEmpty(t, creds["refresh_token"])
	require.NotContains(t, string(listed[0].Credentials), creds["access_token"], "the tokens are stored sealed")
	for _, sc := range []service.Scope{b.test, b.other} {
		others, err := b.svc.ListAccounts(b.ctx, sc)
		require.NoError(t, err)
		require.Empty(t, others)
	}

	// The same callback again: the state is spent, nothing more is created and the
	// browser is not redirected anywhere on the word of the request.
	again, err := b.svc.FinishOAuth(b.ctx, cb)
	require.NoError(t, err)
	require.Equal(t, "invalid_state", again.Error)
	require.Nil(t, again.RedirectURL)
	require.Nil(t, again.Account)

	// Connecting the same X user again updates the account instead of adding one.
	start, err = b.svc.StartOAuth(b.ctx, b.live, "twitter", nil)
	require.NoError(t, err)
	out, err = b.svc.FinishOAuth(b.ctx, consentTo(t, start.AuthorizationURL))
	require.NoError(t, err)
	require.Equal(t, a.ID, out.Account.ID)
	require.Nil(t, out.RedirectURL, "no redirect_url: the callback shows a page")
	listed, err = b.svc.ListAccounts(b.ctx, b.live)
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, 2, x.Exchanges())
}

func TestOAuthStateExpiresAfterTenMinutes(t *testing.T) {
	t.Parallel()
	b, x := setupOAuth(t)
	start, err := b.svc.StartOAuth(b.ctx, b.live, "twitter", new(oauthPublicURL+"/done"))
	require.NoError(t, err)
	cb := consentTo(t, start.AuthorizationURL)
	b.clock.now = b.clock.now.Add(10*time.Minute + time.Second)
	out, err := b.svc.FinishOAuth(b.ctx, cb)
	require.NoError(t, err)
	require.Equal(t, "state_expired", out.Error)
	require.Equal(t, oauthPublicURL+"/done", *out.RedirectURL)
	require.Nil(t, out.Account)
	require.Zero(t, x.Exchanges(), "an expired state's code is never exchanged")
	listed, err := b.svc.ListAccounts(b.ctx, b.live)
	require.NoError(t, err)
	require.Empty(t, listed)
}

func TestOAuthCallbackFailuresCreateNothing(t *testing.T) {
	t.Parallel()
	b, x := setupOAuth(t)
	start := func() service.OAuthCallback {
		s, err := b.svc.StartOAuth(b.ctx, b.live, "twitter", nil)
		require.NoError(t, err)
		return consentTo(t, s.AuthorizationURL)
	}

	// A state made for X that comes back on another platform's callback.
	foreign := start()
	foreign.Platform = "linkedin"
	out, err := b.svc.FinishOAuth(b.ctx, foreign)
	require.NoError(t, err)
	require.Equal(t, "invalid_state", out.Error)

	// A state never made, and none at all.
	for _, state := range []string{"made-up-state", ""} {
		out, err = b.svc.FinishOAuth(b.ctx, service.OAuthCallback{Platform: "twitter", State: state, Code: "c"})
		require.NoError(t, err)
		require.Equal(t, "invalid_state", out.Error)
	}

	// A code X refuses (here: one already spent).
	cb := start()
	stale := start()
	stale.Code = cb.Code
	_, err = b.svc.FinishOAuth(b.ctx, cb)
	require.NoError(t, err)
	out, err = b.svc.FinishOAuth(b.ctx, stale)
	require.NoError(t, err)
	require.Equal(t, "exchange_failed", out.Error)
	require.Contains(t, out.Message, "X refused the authorization code")

	// The user refuses.
	x.Deny()
	denied := start()
	require.Equal(t, "access_denied", denied.Error)
	out, err = b.svc.FinishOAuth(b.ctx, denied)
	require.NoError(t, err)
	require.Equal(t, "access_denied", out.Error)
	require.Nil(t, out.Account)

	listed, err := b.svc.ListAccounts(b.ctx, b.live)
	require.NoError(t, err)
	require.Len(t, listed, 1, "only the one good callback made an account")
}

func TestOAuthRedirectURLMustBeAnAllowedOrigin(t *testing.T) {
	t.Parallel()
	b, _ := setupOAuth(t)
	for _, ok := range []string{
		"https://app.example.com/after", "https://APP.example.com:443/x", oauthPublicURL + "/welcome?x=1",
	} {
		_, err := b.svc.StartOAuth(b.ctx, b.live, "twitter", &ok)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{
		"https://evil.example/after", "http://app.example.com/after", "https://app.example.com.evil.example/",
		"https://app.example.com:8443/", "//app.example.com/", "javascript:alert(1)", "https://u:p@app.example.com/",
	} {
		_, err := b.svc.StartOAuth(b.ctx, b.live, "twitter", &bad)
		requireFields(t, err, "/redirect_url")
	}
}

func TestOAuthRefusesPlatformsItCannotConnect(t *testing.T) {
	t.Parallel()
	b, _ := setupOAuth(t)
	_, err := b.svc.StartOAuth(b.ctx, b.live, "youtube", nil)
	fields := requireFields(t, err, "/platform")
	require.Contains(t, fields[0].Message, "OCTOPOST_YOUTUBE_CLIENT_ID")

	_, err = b.svc.StartOAuth(b.ctx, b.live, "linkedin", nil)
	fields = requireFields(t, err, "/platform")
	require.Contains(t, fields[0].Message, "not supported yet")

	_, err = b.svc.StartOAuth(b.ctx, b.live, "mastodon", nil)
	fields = requireFields(t, err, "/platform")
	require.Contains(t, fields[0].Message, "POST /v1/accounts")

	_, err = b.svc.StartOAuth(b.ctx, b.live, "myspace", new("https://evil.example/"))
	requireFields(t, err, "/platform", "/redirect_url")

	// Test mode never holds real tokens: its accounts are sandbox ones.
	_, err = b.svc.StartOAuth(b.ctx, b.test, "twitter", nil)
	fields = requireFields(t, err, "/platform")
	require.Contains(t, fields[0].Message, "sandbox")
}
