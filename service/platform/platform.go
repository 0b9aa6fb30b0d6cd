// Package platform is what the publishing engine knows of a social platform: one Adapter
// per platform behind one small interface, and the errors an adapter may return, already
// classified (transient, permanent, token rejected) so the engine never looks at HTTP.
//
// Each platform has a subpackage exporting its Spec (spec.go) and, where Octopost publishes
// to it, its Adapter (mastodon, bluesky, discord, slack, telegram; sandbox serves test
// mode on all of them); package platform/platforms lists them. An adapter takes its base
// URL and *http.Client from its constructor, so tests point it at a fake server that
// speaks the platform's real wire format (package platform/fake).
package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Credentials are an account's secrets and settings for one platform, as the caller gave
// them when connecting (plus whatever the adapter added, such as a session or an
// instance's character limit). The service stores them encrypted and never returns them.
type Credentials map[string]string

// Profile is who an account is on its platform, filled in when it connects.
type Profile struct {
	UserID      string
	Username    string
	DisplayName string
	AvatarURL   string // empty when the platform has none
}

// Image is an image to attach, by public URL.
type Image struct {
	URL     string
	AltText string
}

// Ref identifies a published post on its platform: enough to link to it and to reply to it.
type Ref struct {
	ID  string // the platform's id (a status id, a message id, an at:// URI, …)
	URL string // its public URL, empty where the platform has none (a Slack webhook)
	// CID is Bluesky's content hash, which a reply must name next to the URI.
	CID string
}

// Post is one message to publish. A thread is several Posts, each replying to the last.
type Post struct {
	Text     string
	Images   []Image
	VideoURL string
	// ReplyTo is the previous post of the thread; nil for the first.
	ReplyTo *Ref
	// Root is the first post of the thread (Bluesky replies name both); nil for the first.
	Root *Ref
	// IdempotencyKey is stable for this post, platform and segment across retries and
	// restarts; adapters pass it to platforms that deduplicate with it.
	IdempotencyKey string
	// Options is the platform's entry of the post's platform_options, as the caller gave
	// it and Spec.Options accepted it; nil when there is none. Every part of a thread
	// carries it.
	Options json.RawMessage
}

// Adapter publishes to one platform.
type Adapter interface {
	// Connect checks credentials against the platform and returns the account's profile
	// and the credentials to store (possibly with more in them, such as a session).
	Connect(ctx context.Context, creds Credentials) (Profile, Credentials, error)
	// Publish sends one post. It returns the credentials to store from now on when they
	// changed (a refreshed session), nil otherwise, on success and on failure alike.
	Publish(ctx context.Context, creds Credentials, p Post) (Ref, Credentials, error)
}

// Kind classifies a failure by what the engine should do about it.
type Kind int

const (
	// Transient failures (5xx, timeouts, 429) are retried with backoff.
	Transient Kind = iota + 1
	// Permanent failures (validation, 4xx) are recorded at once and not retried.
	Permanent
	// TokenRejected is permanent, and the account is marked inactive.
	TokenRejected
	// InvalidCredentials is returned by Connect for credentials the platform refuses.
	InvalidCredentials
)

// Error is a classified platform failure. Message is safe to show the account's owner: it
// never contains a token.
type Error struct {
	Kind       Kind
	Message    string
	RetryAfter time.Duration // how long the platform asked us to wait; 0 if it did not say
	Status     int           // the HTTP status, when there was one
	// Err is a sentinel the failure wraps, for errors.Is (netpolicy.ErrNotPublic for a
	// refused destination); nil for most. Never an error whose text could hold a secret:
	// Message alone describes the failure.
	Err error
}

// Unwrap returns the sentinel the failure wraps, if any.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
	}
	return e.Message
}

// KindOf returns the Kind of err, treating anything unclassified (a network error, a
// timeout) as Transient.
func KindOf(err error) Kind {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Kind
	}
	return Transient
}

// Errorf returns a classified error.
func Errorf(kind Kind, status int, format string, args ...any) *Error {
	return &Error{Kind: kind, Status: status, Message: fmt.Sprintf(format, args...)}
}
