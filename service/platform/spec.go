package platform

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is everything Octopost knows of one platform, in one place: each platform's own
// package exports its Spec, and one registry (package platform/platforms) lists them. The
// service, the API and the command read platforms only through Specs, so adding a platform
// is its package, its fake, one registry line and its docs.
//
// A Spec is data plus a few small functions; it holds no state and makes no call. The
// adapter that talks to the platform is built by New, from the HTTP client and settings
// the operator chose; optional abilities of an adapter (Idempotent, IdempotencyWindow)
// stay small interfaces it implements.
type Spec struct {
	// ID is the platform's name in the API ("twitter", "mastodon", …).
	ID string
	// Name is the platform's name as people write it ("X", "Mastodon"), for messages and
	// the cross-link template's {platform}.
	Name string
	// Connect says how a live account connects: with credentials, or through OAuth.
	Connect Connect
	// Replies is true where a thread goes out as a reply chain; elsewhere its parts go
	// out as separate posts, in order.
	Replies bool
	// Text checks a text against the platform's length rule, counted the platform's way
	// (package textlimit). hasMedia says whether the post carries an image or a video;
	// maxChars is the account's own limit from AccountLimit, 0 for the platform's default.
	Text func(text string, hasMedia bool, maxChars int) error
	// Media is the media a post must carry.
	Media textlimit.Requirement
	// MaxImages is the most images one post (or thread part) may carry; 0 where the
	// platform publishes no images (TikTok, YouTube publish the video alone, and a post's
	// images are for its other platforms).
	MaxImages int
	// Video is true where the adapter publishes a post's video. Elsewhere a post with a
	// video is refused when it is published, never sent without it.
	Video bool
	// VideoWithImages is true where one post may carry a video and images together (a
	// carousel, an album), or where its images are not sent (MaxImages 0). Elsewhere (X,
	// LinkedIn, Facebook: one or the other) such a post is refused when it is published.
	VideoWithImages bool
	// AccountLimit returns the text limit an account's stored credentials carry (a
	// Mastodon instance's own limit), 0 when they carry none. Nil for most platforms.
	AccountLimit func(Credentials) int
	// Settings are the environment variables that point the adapter elsewhere than the
	// real service (tests, a self-hosted server), with their defaults.
	Settings []Setting
	// OAuth is how accounts connect through the platform's OAuth 2.0 consent screen
	// (package platform/oauth runs the flow); nil for the platforms that connect with
	// credentials.
	OAuth *OAuth
	// Identity returns what tells the platform's accounts apart, for recognizing an account
	// connected again (same user and mode): a reconnect updates the account it returns the
	// same identity for instead of adding one. Nil means the profile's UserID, which is
	// enough where user ids are global; platforms whose ids repeat (a Mastodon id per
	// instance, a Slack bot in several channels) say what else belongs to the identity.
	Identity func(p Profile, creds Credentials) string
	// Options checks the platform's entry of a post's platform_options against the post
	// (its first part) it comes with; the contract's schema has already shaped it. It
	// returns what is wrong, each problem's Path below the entry ("/privacy_level"). Nil
	// for a platform that takes no options.
	Options func(raw json.RawMessage, post Post) []OptionProblem
	// New returns the live adapter. Nil for a platform Octopost cannot publish to yet.
	New func(client *http.Client, setting func(name string) string) Adapter
	// Sandbox is what the platform's test-mode accounts and posts look like.
	Sandbox Sandbox
}

// Sandbox is a platform's identity in the sandbox (package sandbox): made-up accounts and
// posts with ids and URLs of the platform's own shape, cut from a Digest.
type Sandbox struct {
	// Profile adjusts a made-up account, which starts as sandbox_{id}_{num} with a
	// 19-digit user id and the display name "Sandbox {Name}"; num is a six-digit number
	// that tells several accounts apart. Nil keeps it as it is.
	Profile func(p *Profile, d sandboxid.Digest, num string)
	// Post returns a made-up post published by account: where the platform's ids or
	// URLs name the account, they name this one (its handle, its id), so a sandbox
	// account keeps one identity. account is empty for a sandbox adapter not bound to an
	// account (sandbox.New without As); Post then makes up a fixed one.
	Post func(d sandboxid.Digest, account Profile) Ref
}

// Connect is how a platform's live accounts connect.
type Connect struct {
	// OAuth is true for platforms whose accounts connect through an OAuth consent
	// screen; they take no credential fields.
	OAuth bool
	// Forms are the alternative sets of required credential fields: the first form any
	// of whose fields is given applies, else the first.
	Forms [][]string
	// Optional are the credential fields a platform also accepts.
	Optional []string
	// Takes is the fields in words, for messages.
	Takes string
	// Blame names the field a failed verification is about: the credentials the
	// platform refused (InvalidCredentials, TokenRejected), the other input it refused
	// (Permanent), or the address that did not answer (Transient); "platform" when it is
	// the platform itself.
	Blame func(creds Credentials, kind Kind) string
}

// OAuth describes a platform's OAuth 2.0 authorization-code flow: where its consent
// screen and token endpoint are, what it asks for and how it wants the client to prove
// itself. The operator's app credentials and the endpoints are settings named after the
// platform (OAuthSettings), so a test or a proxy can point the flow elsewhere.
type OAuth struct {
	// Env is the settings' prefix, e.g. OCTOPOST_TWITTER: the client id is
	// OCTOPOST_TWITTER_CLIENT_ID, and so on (OAuthSettings).
	Env string
	// Scopes are the scopes asked for, joined by ScopeSep (a space when empty).
	Scopes   []string
	ScopeSep string
	// PKCE is true where the platform takes a code_challenge (S256).
	PKCE bool
	// BasicAuth is true where the token endpoint wants the client id and secret as HTTP
	// Basic auth (X); otherwise they go in the form body.
	BasicAuth bool
	// ClientIDParam names the consent screen's client id parameter where it is not
	// client_id (TikTok's client_key).
	ClientIDParam string
	// AuthParams are more parameters the consent screen needs (YouTube's
	// access_type=offline, without which there is no refresh token).
	AuthParams map[string]string
	// Profile fetches who the token belongs to from the platform's API (apiURL is the
	// OCTOPOST_…_API_URL setting). Nil, with Accounts nil too, while Octopost cannot yet
	// read the platform's profile: connecting is then refused as not yet supported, never
	// faked.
	Profile func(ctx context.Context, client *http.Client, apiURL, accessToken string) (Profile, error)

	// The hooks below replace a step of the standard flow (package platform/oauth) for a
	// platform that departs from RFC 6749; nil keeps the standard step. Each returns
	// errors classified the platform way (*Error): TokenRejected only for a definite
	// refusal of the token or grant, Transient for a 5xx, a 429 or no answer.

	// Exchange trades the callback's code for a grant: TikTok's client_key, or a
	// short-lived token that must be exchanged for a long-lived one (Threads, Instagram,
	// Facebook).
	Exchange func(ctx context.Context, client *http.Client, app OAuthApp, code, verifier string) (Grant, error)
	// Refresh renews an account's stored credentials (its access_token, refresh_token and
	// expires_at): for platforms that refresh the long-lived access token itself rather
	// than with a refresh token (Threads, Instagram), or whose refresh grant is not the
	// standard form (TikTok). A platform with this hook is refreshed even when its
	// credentials hold no refresh_token.
	Refresh func(ctx context.Context, client *http.Client, app OAuthApp, creds Credentials) (Grant, error)
	// Accounts returns the accounts one consent connects, each with the grant it
	// publishes with: Facebook connects each Page the user manages, with the Page's own
	// token. Nil connects one account, the Profile of the grant's access token.
	Accounts func(ctx context.Context, client *http.Client, apiURL string, g Grant) ([]Connected, error)
}

// OAuthApp is the operator's app on a platform and the endpoints it is configured with
// (the settings of OAuthSettings), for the hooks of OAuth.
type OAuthApp struct {
	ClientID, ClientSecret string
	RedirectURI            string // the callback, as the consent screen was given it
	AuthURL, TokenURL      string
	APIURL                 string
}

// Grant is what a platform's token endpoint granted.
type Grant struct {
	Access  string
	Refresh string    // empty when the platform gave none
	Expiry  time.Time // zero when the platform did not say
	// Extra are more credentials to store with the tokens (a Page's id, a user id the
	// token endpoint named); never the app's own secrets.
	Extra Credentials
}

// The credential keys a Grant is stored under.
const (
	KeyOAuthAccessToken  = "access_token"
	KeyOAuthRefreshToken = "refresh_token"
	KeyOAuthExpiresAt    = "expires_at" // Unix seconds
)

// Credentials are the grant as an account stores them (sealed).
func (g Grant) Credentials() Credentials {
	c := Credentials{}
	for k, v := range g.Extra {
		c[k] = v
	}
	c[KeyOAuthAccessToken] = g.Access
	if g.Refresh != "" {
		c[KeyOAuthRefreshToken] = g.Refresh
	}
	if !g.Expiry.IsZero() {
		c[KeyOAuthExpiresAt] = strconv.FormatInt(g.Expiry.Unix(), 10)
	}
	return c
}

// Connected is one account a consent connects: who it is, and the grant it publishes with.
type Connected struct {
	Profile Profile
	Grant   Grant
}

// OptionProblem is what is wrong with a platform's options: Path is a JSON pointer below
// the platform's entry of platform_options ("/privacy_level"), empty for the entry itself.
type OptionProblem struct {
	Path    string
	Message string
}

// The names of a platform's OAuth settings, after its OAuth.Env prefix.
const (
	SettingClientID     = "_CLIENT_ID"
	SettingClientSecret = "_CLIENT_SECRET"
	SettingAuthURL      = "_AUTH_URL"
	SettingTokenURL     = "_TOKEN_URL"
	SettingAPIURL       = "_API_URL"
)

// OAuthSettings returns the settings of an OAuth platform whose prefix is env: its app's
// client id and secret (no default: a platform without a client id is not configured)
// and its three endpoints, defaulting to the real service's.
func OAuthSettings(env, authURL, tokenURL, apiURL string) []Setting {
	return []Setting{
		{Env: env + SettingClientID},
		{Env: env + SettingClientSecret},
		{Env: env + SettingAuthURL, Default: authURL},
		{Env: env + SettingTokenURL, Default: tokenURL},
		{Env: env + SettingAPIURL, Default: apiURL},
	}
}

// Setting is an environment variable the operator may set for a platform.
type Setting struct {
	Env     string // e.g. OCTOPOST_BLUESKY_URL
	Default string
}

// Blame chooses among the fields to blame by the kind of failure: refused for credentials
// the platform refused, rejected for other input it refused, unreachable for an address
// that did not answer.
func Blame(kind Kind, refused, rejected, unreachable string) string {
	switch kind {
	case InvalidCredentials, TokenRejected:
		return refused
	case Permanent:
		return rejected
	}
	return unreachable
}

// Registry is every platform's Spec, in the contract's order.
type Registry []Spec

// Lookup returns the Spec of the platform with id.
func (r Registry) Lookup(id string) (Spec, bool) {
	for _, s := range r {
		if s.ID == id {
			return s, true
		}
	}
	return Spec{}, false
}
