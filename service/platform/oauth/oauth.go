// Package oauth is the client side of the OAuth 2.0 authorization-code flow, the same for
// every platform whose Spec has an OAuth description (platform.OAuth): it builds the
// consent screen's URL, exchanges the code the platform sends back for tokens, reads the
// profile of the account with them, and later refreshes them (Refresh; the service stores
// and serializes refreshes, service/oauth_refresh.go). golang.org/x/oauth2 does the wire work (PKCE S256,
// client authentication in the header or the body, the token answer's forms); this
// package adds what is Octopost's: the settings a platform is configured by, the state
// that ties a callback to the request that started it, and errors classified the
// platform way (package platform), so a caller branches on kinds and never on text.
//
// The state is 32 random bytes. Only its SHA-256 is stored, so a database reader cannot
// forge a callback; the PKCE verifier is stored sealed with it (it must reach the token
// endpoint, and only there).
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/octopost/octopost/service/platform"
)

// NotConfiguredError is returned for a platform whose app this server has no client id
// for: the operator has to register an app and set the named setting.
type NotConfiguredError struct {
	Platform string
	Setting  string // e.g. OCTOPOST_TWITTER_CLIENT_ID
}

func (e *NotConfiguredError) Error() string {
	return e.Platform + " is not configured on this server: " + e.Setting + " is not set"
}

// ErrNotSupported is returned for a platform whose profile Octopost cannot read yet:
// connecting it would make an account without knowing whose it is.
var ErrNotSupported = errors.New("oauth: connecting this platform is not supported yet")

// Client runs one platform's flow with the operator's app.
type Client struct {
	spec   platform.Spec
	config oauth2.Config
	apiURL string
	http   *http.Client
}

// CallbackPath is where a platform sends the user back, under the server's public URL.
func CallbackPath(platformID string) string { return "/oauth/" + platformID + "/callback" }

// New returns spec's client, configured by setting (the operator's values or the
// defaults), whose callback is under publicURL. It returns a *NotConfiguredError when no
// client id is set, and ErrNotSupported for a platform without an OAuth flow or whose
// profile cannot be read yet.
func New(spec platform.Spec, setting func(name string) string, client *http.Client, publicURL string) (*Client, error) {
	o := spec.OAuth
	if o == nil {
		return nil, ErrNotSupported
	}
	id := setting(o.Env + platform.SettingClientID)
	if id == "" {
		return nil, &NotConfiguredError{Platform: spec.Name, Setting: o.Env + platform.SettingClientID}
	}
	if o.Profile == nil && o.Accounts == nil {
		return nil, ErrNotSupported
	}
	style := oauth2.AuthStyleInParams
	if o.BasicAuth {
		style = oauth2.AuthStyleInHeader
	}
	scopes := o.Scopes
	if o.ScopeSep != "" {
		scopes = []string{strings.Join(o.Scopes, o.ScopeSep)}
	}
	return &Client{
		spec: spec,
		config: oauth2.Config{
			ClientID:     id,
			ClientSecret: setting(o.Env + platform.SettingClientSecret),
			Endpoint: oauth2.Endpoint{
				AuthURL: setting(o.Env + platform.SettingAuthURL), TokenURL: setting(o.Env + platform.SettingTokenURL),
				AuthStyle: style,
			},
			RedirectURL: strings.TrimRight(publicURL, "/") + CallbackPath(spec.ID),
			Scopes:      scopes,
		},
		apiURL: setting(o.Env + platform.SettingAPIURL),
		http:   client,
	}, nil
}

// RedirectURI is the callback URL the platform sends the user back to.
func (c *Client) RedirectURI() string { return c.config.RedirectURL }

// NewState returns a fresh state for the consent screen and the hash to store for it.
func NewState() (state, hash string) {
	state = rand.Text() + rand.Text() // 2 × 26 base32 characters: 260 random bits
	return state, HashState(state)
}

// HashState is what is stored for a state: its SHA-256, in hex.
func HashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// NewVerifier returns a PKCE code verifier (RFC 7636: 43 characters, 256 random bits).
func NewVerifier() string { return oauth2.GenerateVerifier() }

// AuthorizationURL is the consent screen's URL for state; verifier is the PKCE verifier
// whose S256 challenge it carries where the platform takes PKCE (ignored elsewhere).
func (c *Client) AuthorizationURL(state, verifier string) string {
	var opts []oauth2.AuthCodeOption
	if c.spec.OAuth.PKCE {
		opts = append(opts, oauth2.S256ChallengeOption(verifier))
	}
	if p := c.spec.OAuth.ClientIDParam; p != "" {
		opts = append(opts, oauth2.SetAuthURLParam(p, c.config.ClientID))
	}
	for k, v := range c.spec.OAuth.AuthParams {
		opts = append(opts, oauth2.SetAuthURLParam(k, v))
	}
	return c.config.AuthCodeURL(state, opts...)
}

// Token is what the token endpoint granted; Credentials() is how an account stores it.
type Token = platform.Grant

// App is the operator's app and the endpoints it is configured with, for the platform's
// hooks (platform.OAuth).
func (c *Client) App() platform.OAuthApp {
	return platform.OAuthApp{
		ClientID: c.config.ClientID, ClientSecret: c.config.ClientSecret,
		RedirectURI: c.config.RedirectURL,
		AuthURL:     c.config.Endpoint.AuthURL, TokenURL: c.config.Endpoint.TokenURL,
		APIURL: c.apiURL,
	}
}

// Exchange trades the code from the callback for tokens. A platform that refuses the
// code (used, expired, or not for this verifier) is a Permanent *platform.Error; one that
// refuses the app's credentials is InvalidCredentials; a 5xx, a timeout or no answer is
// Transient.
func (c *Client) Exchange(ctx context.Context, code, verifier string) (Token, error) {
	if hook := c.spec.OAuth.Exchange; hook != nil {
		return hook(ctx, c.http, c.App(), code, verifier)
	}
	var opts []oauth2.AuthCodeOption
	if c.spec.OAuth.PKCE {
		opts = append(opts, oauth2.VerifierOption(verifier))
	}
	tok, err := c.config.Exchange(context.WithValue(ctx, oauth2.HTTPClient, c.http), code, opts...)
	if err != nil {
		return Token{}, c.classify(err)
	}
	return Token{Access: tok.AccessToken, Refresh: tok.RefreshToken, Expiry: tok.Expiry}, nil
}

// classify turns a token endpoint failure into a *platform.Error by its status and the
// error code of RFC 6749 §5.2, never by its text.
func (c *Client) classify(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		var ue *url.Error
		if errors.As(err, &ue) && (ue.Timeout() || errors.Is(ue, context.DeadlineExceeded)) {
			return platform.Errorf(platform.Transient, 0, "%s's token endpoint did not answer in time", c.spec.Name)
		}
		return platform.Errorf(platform.Transient, 0, "%s's token endpoint could not be reached", c.spec.Name)
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests:
		return platform.Errorf(platform.Transient, status, "%s's token endpoint failed", c.spec.Name)
	case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" || status == http.StatusUnauthorized:
		return platform.Errorf(platform.InvalidCredentials, status, "%s refused this server's app credentials (%s)", c.spec.Name, c.spec.OAuth.Env+platform.SettingClientID)
	}
	return platform.Errorf(platform.Permanent, status, "%s refused the authorization code", c.spec.Name)
}

// Profile reads who the account is with its access token.
func (c *Client) Profile(ctx context.Context, accessToken string) (platform.Profile, error) {
	return c.spec.OAuth.Profile(ctx, c.http, c.apiURL, accessToken)
}

// Accounts returns the accounts the grant connects: the platform's own list (a Facebook
// user's Pages, each with its token), or the one account whose profile the access token
// reads.
func (c *Client) Accounts(ctx context.Context, g Token) ([]platform.Connected, error) {
	if hook := c.spec.OAuth.Accounts; hook != nil {
		return hook(ctx, c.http, c.apiURL, g)
	}
	p, err := c.Profile(ctx, g.Access)
	if err != nil {
		return nil, err
	}
	return []platform.Connected{{Profile: p, Grant: g}}, nil
}

// Refreshable reports whether an account's stored credentials can be refreshed: they
// hold a refresh token, or the platform refreshes its access tokens itself.
func Refreshable(spec platform.Spec, creds platform.Credentials) bool {
	if spec.OAuth == nil {
		return false
	}
	return creds[platform.KeyOAuthRefreshToken] != "" || (spec.OAuth.Refresh != nil && creds[platform.KeyOAuthAccessToken] != "")
}

// Refresh renews an account's stored credentials: the platform's own way (its Refresh
// hook) or by trading the refresh token for a new access token. A platform that rotates refresh
// tokens (X) answers with a new one and the old one dies at once, so the caller must store
// the returned Token before using it; where the platform gives none back, the old one
// stays good and is returned. Only the token endpoint's invalid_grant says the refresh
// token is dead (revoked, expired, or already spent): that is TokenRejected, and only
// that. A 5xx, a 429, a timeout or no answer is Transient; a refusal of the app's
// credentials is InvalidCredentials (the operator's to fix, not the account's); any
// other refusal is Permanent.
func (c *Client) Refresh(ctx context.Context, creds platform.Credentials) (Token, error) {
	if hook := c.spec.OAuth.Refresh; hook != nil {
		return hook(ctx, c.http, c.App(), creds)
	}
	refreshToken := creds[platform.KeyOAuthRefreshToken]
	// An expired token makes the TokenSource go to the endpoint at once.
	src := c.config.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, c.http),
		&oauth2.Token{RefreshToken: refreshToken, Expiry: time.Unix(1, 0)})
	tok, err := src.Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			status := 0
			if re.Response != nil {
				status = re.Response.StatusCode
			}
			return Token{}, platform.Errorf(platform.TokenRejected, status, "%s refused the account's refresh token: connect the account again", c.spec.Name)
		}
		return Token{}, c.classifyRefresh(err)
	}
	return Token{Access: tok.AccessToken, Refresh: tok.RefreshToken, Expiry: tok.Expiry}, nil
}

// classifyRefresh is classify for a refresh: the same kinds, with a message about the
// refresh rather than an authorization code.
func (c *Client) classifyRefresh(err error) error {
	classified := c.classify(err)
	var pe *platform.Error
	if errors.As(classified, &pe) && pe.Kind == platform.Permanent {
		pe.Message = c.spec.Name + " refused to refresh the account's token"
	}
	return classified
}
