package service

import (
	"context"
	"time"
)

// OAuthState is an OAuth connection in progress: who asked (user and mode), for which
// platform, where their user goes afterwards, and the PKCE verifier, until the platform's
// callback takes it or it expires. It is stored under the SHA-256 of the state the
// platform carries, never the state itself.
type OAuthState struct {
	StateHash   string
	Scope       Scope
	Platform    Platform
	RedirectURL *string // nil: the callback shows a plain page
	Verifier    []byte  // sealed
	ExpiresAt   time.Time
}

// OAuthStateStore keeps the OAuth connections in progress.
type OAuthStateStore interface {
	CreateOAuthState(ctx context.Context, st OAuthState) error
	// TakeOAuthState deletes and returns the state stored under hash, so each works once
	// even with two callbacks at the same moment; ErrNotFound when there is none (never
	// made, already taken). Expiry is the caller's to check.
	TakeOAuthState(ctx context.Context, hash string) (OAuthState, error)
	// DeleteExpiredOAuthStates deletes the states that expired before now.
	DeleteExpiredOAuthStates(ctx context.Context, now time.Time) error
}
