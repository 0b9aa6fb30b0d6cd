package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/linkedin"
	"github.com/octopost/octopost/service/platform/oauth"
	"github.com/octopost/octopost/service/platform/tiktok"
	"github.com/octopost/octopost/service/platform/twitter"
)

const publicURL = "https://octopost.example.com"

// settings returns a setting function: the given values, else the spec's defaults.
func settings(spec platform.Spec, values map[string]string) func(string) string {
	return func(name string) string {
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
}

func xClient(t *testing.T, x *fake.TwitterOAuth) *oauth.Client {
	t.Helper()
	c, err := oauth.New(twitter.Spec, settings(twitter.Spec, map[string]string{
		"OCTOPOST_TWITTER_CLIENT_ID":     x.ClientID,
		"OCTOPOST_TWITTER_CLIENT_SECRET": x.ClientSecret,
		"OCTOPOST_TWITTER_AUTH_URL":      x.URL + "/i/oauth2/authorize",
		"OCTOPOST_TWITTER_TOKEN_URL":     x.URL + "/2/oauth2/token",
		"OCTOPOST_TWITTER_API_URL":       x.URL,
	}), http.DefaultClient, publicURL+"/")
	require.NoError(t, err)
	return c
}

// consent follows the consent screen as a browser would, up to the redirect back to us,
// and returns that redirect's query.
func consent(t *testing.T, authorizationURL string) url.Values {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(authorizationURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, publicURL+"/oauth/twitter/callback", back.Scheme+"://"+back.Host+back.Path)
	return back.Query()
}

func TestAuthorizationURLCarriesPKCEAndTheApp(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	c := xClient(t, x)
	state, hash := oauth.NewState()
	require.Equal(t, oauth.HashState(state), hash)
	require.NotEqual(t, state, hash)
	verifier := oauth.NewVerifier()
	u, err := url.Parse(c.AuthorizationURL(state, verifier))
	require.NoError(t, err)
	q := u.Query()
	require.Equal(t, x.URL+"/i/oauth2/authorize", u.Scheme+"://"+u.Host+u.Path)
	require.Equal(t, x.ClientID, q.Get("client_id"))
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, publicURL+"/oauth/twitter/callback", q.Get("redirect_uri"))
	require.Equal(t, "tweet.read tweet.write users.read offline.access media.write", q.Get("scope"))
	require.Equal(t, state, q.Get("state"))
	sum := sha256.Sum256([]byte(verifier))
	require.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), q.Get("code_challenge"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotContains(t, u.RawQuery, x.ClientSecret)
}

func TestStatesAndVerifiersAreFresh(t *testing.T) {
	t.Parallel()
	a, _ := oauth.NewState()
	b, _ := oauth.NewState()
	require.NotEqual(t, a, b)
	require.GreaterOrEqual(t, len(a), 43)
	require.NotEqual(t, oauth.NewVerifier(), oauth.NewVerifier())
}

// The whole flow against the fake X: consent, the code exchanged with Basic auth and the
// verifier, then the profile read with the token.
func TestXConnectsEndToEnd(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	c := xClient(t, x)
	state, _ := oauth.NewState()
	verifier := oauth.NewVerifier()
	back := consent(t, c.AuthorizationURL(state, verifier))
	require.Equal(t, state, back.Get("state"))
	tok, err := c.Exchange(context.Background(), back.Get("code"), verifier)
	require.NoError(t, err)
	require.NotEmpty(t, tok.Access)
	require.NotEmpty(t, tok.Refresh, "offline.access gets a refresh token")
	require.False(t, tok.Expiry.IsZero())
	creds := tok.Credentials()
	require.Equal(t, tok.Access, creds["access_token"])
	require.Equal(t, tok.Refresh, creds["refresh_token"])
	require.NotEmpty(t, creds["expires_at"])

	p, err := c.Profile(context.Background(), tok.Access)
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID: x.User.ID, Username: x.User.Username, DisplayName: x.User.Name, AvatarURL: x.User.ProfileImageURL,
	}, p)

	// The code was used: a replay is refused, permanently.
	_, err = c.Exchange(context.Background(), back.Get("code"), verifier)
	require.Equal(t, platform.Permanent, platform.KindOf(err))
	require.Equal(t, 1, x.Exchanges())

	// A token X does not know is refused as credentials, as when a token is connected.
	_, err = c.Profile(context.Background(), "not-a-token")
	require.Equal(t, platform.InvalidCredentials, platform.KindOf(err))
}

func TestXRefusesAWrongVerifierOrSecret(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	c := xClient(t, x)
	state, _ := oauth.NewState()
	back := consent(t, c.AuthorizationURL(state, oauth.NewVerifier()))
	_, err := c.Exchange(context.Background(), back.Get("code"), oauth.NewVerifier())
	require.Equal(t, platform.Permanent, platform.KindOf(err))

	wrong, err := oauth.New(twitter.Spec, settings(twitter.Spec, map[string]string{
		"OCTOPOST_TWITTER_CLIENT_ID":     x.ClientID,
		"OCTOPOST_TWITTER_CLIENT_SECRET": "not-the-secret",
		"OCTOPOST_TWITTER_TOKEN_URL":     x.URL + "/2/oauth2/token",
	}), http.DefaultClient, publicURL)
	require.NoError(t, err)
	verifier := oauth.NewVerifier()
	back = consent(t, c.AuthorizationURL(state, verifier))
	_, err = wrong.Exchange(context.Background(), back.Get("code"), verifier)
	require.Equal(t, platform.InvalidCredentials, platform.KindOf(err))
	require.Zero(t, x.Exchanges())
}

func TestDeniedConsentComesBackAsAnError(t *testing.T) {
	t.Parallel()
	x := fake.NewTwitterOAuth(t)
	x.Deny()
	state, _ := oauth.NewState()
	back := consent(t, xClient(t, x).AuthorizationURL(state, oauth.NewVerifier()))
	require.Equal(t, "access_denied", back.Get("error"))
	require.Empty(t, back.Get("code"))
	require.Equal(t, state, back.Get("state"))
}

// A token endpoint that fails or does not answer is transient: the user may try again.
func TestTokenEndpointFailureIsTransient(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"title":"Service Unavailable"}`))
	}))
	t.Cleanup(down.Close)
	c, err := oauth.New(twitter.Spec, settings(twitter.Spec, map[string]string{
		"OCTOPOST_TWITTER_CLIENT_ID": "id", "OCTOPOST_TWITTER_TOKEN_URL": down.URL,
	}), http.DefaultClient, publicURL)
	require.NoError(t, err)
	_, err = c.Exchange(context.Background(), "code", oauth.NewVerifier())
	require.Equal(t, platform.Transient, platform.KindOf(err))

	down.Close()
	_, err = c.Exchange(context.Background(), "code", oauth.NewVerifier())
	require.Equal(t, platform.Transient, platform.KindOf(err))
}

func TestNotConfiguredNamesTheSetting(t *testing.T) {
	t.Parallel()
	_, err := oauth.New(twitter.Spec, settings(twitter.Spec, nil), http.DefaultClient, publicURL)
	var nc *oauth.NotConfiguredError
	require.ErrorAs(t, err, &nc)
	require.Equal(t, "OCTOPOST_TWITTER_CLIENT_ID", nc.Setting)

	// A configured platform whose profile cannot be read yet is refused, never faked
	// (LinkedIn with its profile read taken away stands for one).
	unreadable := linkedin.Spec
	flow := *unreadable.OAuth
	flow.Profile, flow.Accounts = nil, nil
	unreadable.OAuth = &flow
	_, err = oauth.New(unreadable, settings(unreadable, map[string]string{"OCTOPOST_LINKEDIN_CLIENT_ID": "id"}),
		http.DefaultClient, publicURL)
	require.ErrorIs(t, err, oauth.ErrNotSupported)
}

// The other platforms' descriptions give their own consent screens what they expect:
// TikTok's client_key and comma-separated scopes.
func TestTikTokAuthorizationURLShape(t *testing.T) {
	t.Parallel()
	spec := tiktok.Spec
	o := *spec.OAuth
	o.Profile = func(context.Context, *http.Client, string, string) (platform.Profile, error) {
		return platform.Profile{}, nil
	}
	spec.OAuth = &o
	c, err := oauth.New(spec, settings(spec, map[string]string{"OCTOPOST_TIKTOK_CLIENT_ID": "awkey"}), http.DefaultClient, publicURL)
	require.NoError(t, err)
	u, err := url.Parse(c.AuthorizationURL("st", oauth.NewVerifier()))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(u.String(), "https://www.tiktok.com/v2/auth/authorize/?"))
	require.Equal(t, "awkey", u.Query().Get("client_key"))
	require.Equal(t, "user.info.basic,video.publish", u.Query().Get("scope"))
	require.Empty(t, u.Query().Get("code_challenge"), "TikTok's web flow takes no PKCE")
}
