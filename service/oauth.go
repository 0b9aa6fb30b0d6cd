package service

// Connecting an account through OAuth takes two requests, and the state ties them:
//
//  1. StartOAuth (POST /v1/accounts/connect, a live key): the caller names the platform
//     and, optionally, where its user should land afterwards. It gets the platform's
//     consent screen URL, which carries a fresh random state and, where the platform
//     takes PKCE, the S256 challenge of a fresh verifier. Only the state's SHA-256 is
//     stored, with the caller's user and mode, the platform, the redirect URL and the
//     sealed verifier, for ten minutes.
//  2. FinishOAuth (GET /oauth/{platform}/callback, the user's browser, no key): the
//     platform sends the user back with a code and the state. The state is taken (deleted
//     and returned in one statement, so it works once), checked against the platform and
//     the clock, and the code is exchanged, with the verifier, for tokens; the profile is
//     read with them; the account is stored with the tokens sealed, for the user and mode
//     the state was made for, with its account.connected event. Reconnecting the same
//     platform user (same user and mode) updates that account instead of adding one.
//
// Whatever fails in step 2 (an unknown, used, expired or foreign state, the user's
// refusal, a failed exchange or profile) creates nothing, and the result says why, for
// the page or redirect the user sees. The redirect URL is checked in step 1 (it must
// have the public URL's origin or one the operator allows), so step 2 only ever sends the
// user where a caller with a live key asked, never where the request itself says: no
// open redirect.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/oauth"
)

// OAuthStateLifetime is how long a consent screen's state may come back.
const OAuthStateLifetime = 10 * time.Minute

// OAuthProvider is one platform's OAuth flow with the operator's app (an *oauth.Client).
type OAuthProvider interface {
	AuthorizationURL(state, verifier string) string
	Exchange(ctx context.Context, code, verifier string) (oauth.Token, error)
	// Accounts returns the accounts a grant connects, each with its own grant: one for
	// most platforms, one per Page for Facebook.
	Accounts(ctx context.Context, g oauth.Token) ([]platform.Connected, error)
}

// OAuthConfig is what the OAuth flow needs from the operator.
type OAuthConfig struct {
	// Provider returns a platform's flow: an *oauth.NotConfiguredError when the operator
	// gave no client id for it, oauth.ErrNotSupported when Octopost cannot connect it yet.
	Provider func(p Platform) (OAuthProvider, error)
	// PublicURL is the server's externally visible base URL (OCTOPOST_PUBLIC_URL).
	PublicURL string
	// RedirectOrigins are the other origins a redirect_url may have
	// (OCTOPOST_OAUTH_REDIRECT_ORIGINS), as scheme://host[:port].
	RedirectOrigins []string
}

// OAuthStart is what StartOAuth hands the caller.
type OAuthStart struct {
	AuthorizationURL string
	ExpiresAt        time.Time
}

// StartOAuth makes a state for the caller's user and mode and returns the consent
// screen's URL. redirectURL is nil when the caller gave none.
func (s *Service) StartOAuth(ctx context.Context, scope Scope, p Platform, redirectURL *string) (OAuthStart, error) {
	var problems Problems
	spec, ok := s.config.Platforms.Lookup(string(p))
	switch {
	case scope.Mode != ModeLive:
		// The API lets only live keys here; a test-mode account is a sandbox one, made
		// without any platform (ConnectAccount), and must never hold real tokens.
		problems.Add("/platform", "test mode connects sandbox accounts, with POST /v1/accounts")
	case !slices.Contains(Platforms, p):
		problems.Add("/platform", "must be one of %s", joinPlatforms(s.oauthPlatforms()))
	case !ok || !spec.Connect.OAuth:
		problems.Add("/platform", "%s accounts connect with credentials (POST /v1/accounts), not through OAuth; "+
			"through OAuth you can connect %s", p, joinPlatforms(s.oauthPlatforms()))
	}
	if redirectURL != nil {
		s.checkRedirectURL(&problems, *redirectURL)
	}
	if err := problems.Err(); err != nil {
		return OAuthStart{}, err
	}
	provider, err := s.oauthProvider(p, spec)
	if err != nil {
		return OAuthStart{}, err
	}
	verifier := oauth.NewVerifier()
	sealed, err := s.seal(platform.Credentials{"code_verifier": verifier})
	if err != nil {
		return OAuthStart{}, err
	}
	state, hash := oauth.NewState()
	now := s.clock.Now()
	st := OAuthState{
		StateHash: hash, Scope: scope, Platform: p, RedirectURL: redirectURL,
		Verifier: sealed, ExpiresAt: now.Add(OAuthStateLifetime),
	}
	// The expired states go as new ones come, so the table holds about ten minutes' worth.
	if err := s.store.DeleteExpiredOAuthStates(ctx, now); err != nil {
		return OAuthStart{}, err
	}
	if err := s.store.CreateOAuthState(ctx, st); err != nil {
		return OAuthStart{}, err
	}
	return OAuthStart{AuthorizationURL: provider.AuthorizationURL(state, verifier), ExpiresAt: st.ExpiresAt}, nil
}

// oauthProvider returns p's flow, or the 422 saying why p cannot connect on this server.
func (s *Service) oauthProvider(p Platform, spec platform.Spec) (OAuthProvider, error) {
	var problems Problems
	var provider OAuthProvider
	err := errors.New("no OAuth provider is configured")
	if s.config.OAuth.Provider != nil {
		provider, err = s.config.OAuth.Provider(p)
	}
	var nc *oauth.NotConfiguredError
	switch {
	case err == nil:
		return provider, nil
	case errors.As(err, &nc):
		problems.Add("/platform", "%s is not configured on this server: its operator has to register an app and set %s", spec.Name, nc.Setting)
	case errors.Is(err, oauth.ErrNotSupported):
		problems.Add("/platform", "connecting %s accounts is not supported yet", spec.Name)
	default:
		return nil, err
	}
	return nil, problems.Err()
}

// checkRedirectURL refuses a redirect URL whose origin is neither the public URL's nor
// one the operator allows: the callback sends the user there, with the account's id.
func (s *Service) checkRedirectURL(problems *Problems, raw string) {
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
		problems.Add("/redirect_url", "must be an absolute http or https URL")
		return
	}
	origin := Origin(u)
	allowed := s.config.OAuth.RedirectOrigins
	if pub, err := url.Parse(s.config.OAuth.PublicURL); err == nil && pub.Host != "" {
		allowed = append([]string{Origin(pub)}, allowed...)
	}
	if !slices.Contains(allowed, origin) {
		problems.Add("/redirect_url", "must be on %s (this server's public URL or OCTOPOST_OAUTH_REDIRECT_ORIGINS), not %s",
			strings.Join(allowed, " or "), origin)
	}
}

// Origin is u's scheme://host[:port], lower-cased, without a default port.
func Origin(u *url.URL) string {
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		return scheme + "://" + host + ":" + port
	}
	return scheme + "://" + host
}

// oauthPlatforms lists the platforms that connect through OAuth, in the contract's order.
func (s *Service) oauthPlatforms() []Platform {
	var out []Platform
	for _, spec := range s.config.Platforms {
		if spec.Connect.OAuth {
			out = append(out, Platform(spec.ID))
		}
	}
	return out
}

// OAuthCallback is what the platform sent the user back with.
type OAuthCallback struct {
	Platform Platform
	State    string
	Code     string
	// Error is the platform's error code (access_denied when the user refused); empty
	// when it sent a code.
	Error string
}

// OAuthOutcome is how a callback ended: the accounts connected (Account is the first of
// them; Facebook connects each Page the user manages), or Error and Message saying why
// not. RedirectURL is where the caller asked the user to land (nil: show a
// page); it is never set for a state that is unknown, as nothing says whose it is.
type OAuthOutcome struct {
	Account     *Account
	Accounts    []Account
	RedirectURL *string
	// Error is a short code for the redirect's error parameter: invalid_state,
	// state_expired, access_denied (or the platform's own code), exchange_failed,
	// profile_failed.
	Error   string
	Message string // for people; never holds a token
}

// FinishOAuth completes a connection from the platform's callback. A failure the user
// should see is an outcome, not an error; the error is for the server's own failures.
func (s *Service) FinishOAuth(ctx context.Context, in OAuthCallback) (OAuthOutcome, error) {
	fail := func(st *OAuthState, code, format string, args ...any) (OAuthOutcome, error) {
		out := OAuthOutcome{Error: code, Message: fmt.Sprintf(format, args...)}
		if st != nil {
			out.RedirectURL = st.RedirectURL
		}
		return out, nil
	}
	if in.State == "" {
		return fail(nil, "invalid_state", "The platform sent no state: start connecting again.")
	}
	st, err := s.store.TakeOAuthState(ctx, oauth.HashState(in.State))
	if errors.Is(err, ErrNotFound) {
		return fail(nil, "invalid_state", "This link was already used or is not one of ours: start connecting again.")
	}
	if err != nil {
		return OAuthOutcome{}, err
	}
	spec, _ := s.config.Platforms.Lookup(string(st.Platform))
	switch {
	case st.Platform != in.Platform:
		return fail(&st, "invalid_state", "This link was made for %s, not %s: start connecting again.", st.Platform, in.Platform)
	case s.clock.Now().After(st.ExpiresAt):
		return fail(&st, "state_expired", "This link expired (it lasts %s): start connecting again.", OAuthStateLifetime)
	case in.Error != "":
		code := in.Error
		if !validErrorCode(code) {
			code = "authorization_failed"
		}
		return fail(&st, code, "%s did not authorize the connection (%s).", spec.Name, code)
	case in.Code == "":
		return fail(&st, "exchange_failed", "%s sent no authorization code: start connecting again.", spec.Name)
	}
	provider, err := s.oauthProvider(st.Platform, spec)
	if err != nil {
		return fail(&st, "not_configured", "%s accounts cannot be connected on this server now.", spec.Name)
	}
	creds, err := s.AccountCredentials(ctx, Account{ID: "oauth state", Credentials: st.Verifier})
	if err != nil {
		return OAuthOutcome{}, err
	}
	timeout := s.config.ConnectTimeout
	if timeout <= 0 {
		timeout = DefaultConnectTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tok, err := provider.Exchange(ctx, in.Code, creds["code_verifier"])
	if err != nil {
		return fail(&st, "exchange_failed", "%s did not grant access: %s.", spec.Name, platformMessage(err))
	}
	connected, err := provider.Accounts(ctx, tok)
	if err != nil {
		return fail(&st, "profile_failed", "%s did not say whose account this is: %s.", spec.Name, platformMessage(err))
	}
	if len(connected) == 0 {
		return fail(&st, "no_accounts", "%s gave access to no account Octopost can publish to.", spec.Name)
	}
	accounts, err := s.storeOAuthAccounts(ctx, st, connected)
	if err != nil {
		return OAuthOutcome{}, err
	}
	return OAuthOutcome{Account: &accounts[0], Accounts: accounts, RedirectURL: st.RedirectURL}, nil
}

// platformMessage is what may be shown of a platform failure: a classified error's
// message, never a raw network error (whose text could quote a URL).
func platformMessage(err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "it did not answer in time"
	}
	return "it could not be reached"
}

// validErrorCode is true for an OAuth error code as RFC 6749 §4.1.2.1 allows them
// (letters, digits and _), so the platform's code can be passed on as it is.
func validErrorCode(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for _, c := range code {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// storeOAuthAccounts stores the connected accounts with their sealed tokens (an account
// connected before, updated: storeConnected).
func (s *Service) storeOAuthAccounts(ctx context.Context, st OAuthState, connected []platform.Connected) ([]Account, error) {
	conns := make([]connection, len(connected))
	for i, c := range connected {
		conns[i] = connection{profile: c.Profile, creds: c.Grant.Credentials()}
	}
	return s.storeConnected(ctx, st.Scope, st.Platform, conns)
}
