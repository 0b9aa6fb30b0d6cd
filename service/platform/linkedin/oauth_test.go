package linkedin

import (
	"context"
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

// oauthClient is the generic flow (package platform/oauth) with LinkedIn's Spec, its
// settings pointed at f.
func oauthClient(t *testing.T, f *fake.LinkedIn, secret string) *oauth.Client {
	t.Helper()
	values := map[string]string{
		"OCTOPOST_LINKEDIN_CLIENT_ID":     f.ClientID,
		"OCTOPOST_LINKEDIN_CLIENT_SECRET": secret,
		"OCTOPOST_LINKEDIN_AUTH_URL":      f.URL + "/oauth/v2/authorization",
		"OCTOPOST_LINKEDIN_TOKEN_URL":     f.URL + "/oauth/v2/accessToken",
		"OCTOPOST_LINKEDIN_API_URL":       f.URL,
	}
	c, err := oauth.New(Spec, func(name string) string { return values[name] }, http.DefaultClient, publicURL)
	require.NoError(t, err)
	return c
}

// consent follows the consent screen as a browser would and returns the query of the
// redirect back to Octopost's callback.
func consent(t *testing.T, c *oauth.Client, state string) url.Values {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(c.AuthorizationURL(state, oauth.NewVerifier()))
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, publicURL+"/oauth/linkedin/callback", back.Scheme+"://"+back.Host+back.Path)
	require.Equal(t, state, back.Query().Get("state"))
	return back.Query()
}

func TestAuthorizationURL(t *testing.T) {
	t.Parallel()
	f := fake.NewLinkedIn(t)
	c := oauthClient(t, f, f.ClientSecret)
	u, err := url.Parse(c.AuthorizationURL("the-state", oauth.NewVerifier()))
	require.NoError(t, err)
	require.Equal(t, f.URL+"/oauth/v2/authorization", u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, url.Values{
		"client_id":     {f.ClientID},
		"redirect_uri":  {publicURL + "/oauth/linkedin/callback"},
		"response_type": {"code"},
		"scope":         {"openid profile w_member_social"},
		"state":         {"the-state"},
	}, u.Query(), "no PKCE: LinkedIn takes none from web apps")

	// The real endpoints are the settings' defaults.
	def := map[string]string{}
	for _, s := range Spec.Settings {
		def[s.Env] = s.Default
	}
	require.Equal(t, "https://www.linkedin.com/oauth/v2/authorization", def["OCTOPOST_LINKEDIN_AUTH_URL"])
	require.Equal(t, "https://www.linkedin.com/oauth/v2/accessToken", def["OCTOPOST_LINKEDIN_TOKEN_URL"])
	require.Equal(t, "https://api.linkedin.com", def["OCTOPOST_LINKEDIN_API_URL"])
}

// The code is exchanged with the secret in the form body; the grant lasts 60 days and,
// for an app without programmatic refresh tokens, has none. The account is the member
// userinfo names, with the member id kept next to the tokens.
func TestExchangeAndAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewLinkedIn(t)
	c := oauthClient(t, f, f.ClientSecret)

	back := consent(t, c, "s1")
	before := time.Now()
	g, err := c.Exchange(ctx, back.Get("code"), "")
	require.NoError(t, err)
	require.NotEmpty(t, g.Access)
	require.Empty(t, g.Refresh, "refresh tokens only for approved apps")
	require.WithinDuration(t, before.Add(60*24*time.Hour), g.Expiry, time.Minute)

	accounts, err := c.Accounts(ctx, g)
	require.NoError(t, err)
	require.Len(t, accounts, 1)
	require.Equal(t, platform.Profile{
		UserID: f.Member.Sub, Username: "urn:li:person:" + f.Member.Sub, DisplayName: f.Member.Name, AvatarURL: f.Member.Picture,
	}, accounts[0].Profile)
	creds := accounts[0].Grant.Credentials()
	require.Equal(t, g.Access, creds[platform.KeyOAuthAccessToken])
	require.Equal(t, f.Member.Sub, creds[KeyPersonID])
	require.Equal(t, strconv.FormatInt(g.Expiry.Unix(), 10), creds[platform.KeyOAuthExpiresAt])
	require.False(t, oauth.Refreshable(Spec, creds), "without a refresh token the account is used until LinkedIn answers 401")

	// The stored credentials publish.
	_, _, err = New(http.DefaultClient, f.URL).Publish(ctx, creds, platform.Post{Text: "connected through OAuth"})
	require.NoError(t, err)
	posts := f.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, "Bearer "+g.Access, posts[0].Authorization)

	// A code works once.
	_, err = c.Exchange(ctx, back.Get("code"), "")
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.Permanent, pe.Kind)
	require.Equal(t, http.StatusBadRequest, pe.Status)
	require.Equal(t, 1, f.Exchanges())
}

func TestExchangeFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewLinkedIn(t)

	// The app's secret refused: the operator's to fix.
	bad := oauthClient(t, f, "not-the-secret")
	_, err := bad.Exchange(ctx, consent(t, bad, "s").Get("code"), "")
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.InvalidCredentials, pe.Kind)
	require.Equal(t, http.StatusUnauthorized, pe.Status)
	require.Contains(t, pe.Message, "OCTOPOST_LINKEDIN_CLIENT_ID")

	// A token endpoint that is down.
	c := oauthClient(t, f, f.ClientSecret)
	code := consent(t, c, "s").Get("code")
	f.FailNext("/oauth/v2/accessToken", 1, http.StatusServiceUnavailable)
	_, err = c.Exchange(ctx, code, "")
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.Transient, pe.Kind)

	// The member refuses consent.
	f.Deny()
	back := consent(t, c, "s2")
	require.Equal(t, "user_cancelled_authorize", back.Get("error"))
	require.Empty(t, back.Get("code"))
}

// An app approved for programmatic refresh tokens gets one; the standard refresh grant
// renews the access token and LinkedIn hands the same refresh token back. Only
// invalid_grant (expired or revoked) is a dead token; a 503 is retried.
func TestRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := fake.NewLinkedIn(t)
	f.RefreshTokens = true
	c := oauthClient(t, f, f.ClientSecret)

	g, err := c.Exchange(ctx, consent(t, c, "s").Get("code"), "")
	require.NoError(t, err)
	require.NotEmpty(t, g.Refresh)
	accounts, err := c.Accounts(ctx, g)
	require.NoError(t, err)
	creds := accounts[0].Grant.Credentials()
	require.True(t, oauth.Refreshable(Spec, creds))

	next, err := c.Refresh(ctx, creds)
	require.NoError(t, err)
	require.NotEqual(t, g.Access, next.Access)
	require.Equal(t, g.Refresh, next.Refresh, "LinkedIn does not rotate refresh tokens")
	require.WithinDuration(t, time.Now().Add(60*24*time.Hour), next.Expiry, time.Minute)
	issued, _ := f.Refreshes()
	require.Equal(t, 1, issued)

	// The new access token publishes with the member id kept from the consent.
	renewed := platform.Credentials{}
	for k, v := range creds {
		renewed[k] = v
	}
	for k, v := range next.Credentials() {
		renewed[k] = v
	}
	_, _, err = New(http.DefaultClient, f.URL).Publish(ctx, renewed, platform.Post{Text: "after a refresh"})
	require.NoError(t, err)

	f.FailRefreshes(1)
	_, err = c.Refresh(ctx, creds)
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.Transient, pe.Kind, "a 503 does not disconnect the account")

	f.RevokeRefreshToken(g.Refresh)
	_, err = c.Refresh(ctx, creds)
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.TokenRejected, pe.Kind)
	require.Equal(t, http.StatusBadRequest, pe.Status)
	_, refused := f.Refreshes()
	require.Equal(t, 1, refused)

	// A year after the consent the refresh token has expired: invalid_grant too.
	expiring := f.IssueRefreshToken()
	f.SetNow(func() time.Time { return time.Now().Add(366 * 24 * time.Hour) })
	_, err = c.Refresh(ctx, platform.Credentials{platform.KeyOAuthRefreshToken: expiring})
	require.ErrorAs(t, err, &pe)
	require.Equal(t, platform.TokenRejected, pe.Kind)
}

// A token LinkedIn refuses at the profile read (revoked between the exchange and the
// read) connects nothing.
func TestAccountsWithARevokedToken(t *testing.T) {
	t.Parallel()
	f := fake.NewLinkedIn(t)
	c := oauthClient(t, f, f.ClientSecret)
	_, err := c.Accounts(context.Background(), platform.Grant{Access: "revoked"})
	require.Equal(t, platform.InvalidCredentials, platform.KindOf(err))
}
