package platform

import (
	"net/http"

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
	// AccountLimit returns the text limit an account's stored credentials carry (a
	// Mastodon instance's own limit), 0 when they carry none. Nil for most platforms.
	AccountLimit func(Credentials) int
	// Settings are the environment variables that point the adapter elsewhere than the
	// real service (tests, a self-hosted server), with their defaults.
	Settings []Setting
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
