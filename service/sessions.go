package service

// Dashboard sessions
//
// Signing in makes a session: a row with a public id ("ses_…", for listing and revoking)
// and a token of 32 random bytes, base64url, that the dashboard keeps in its cookie. The
// store keeps only the token's SHA-256, so neither a copy of the database nor its logs
// sign anybody in, and a token costs one indexed read to check (SessionUser).
//
// A session ends SessionIdleTimeout after it was last used, and SessionLifetime after it
// began whatever its use; its expires_at is the earlier of the two, kept up to date as it
// is used. Like an API key's last_used_at, last_seen_at is written at most once a minute
// per session, so that a page view is one read on almost every request. Signing out and
// revoking set revoked_at, and a new password revokes all of the user's sessions. Ended
// sessions, expired or revoked, are deleted on each sign-in, so the table holds at most
// the sessions begun in the last SessionLifetime.

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service/id"
)

const (
	SessionIdleTimeout = 12 * time.Hour     // a session unused this long ends
	SessionLifetime    = 7 * 24 * time.Hour // and none outlives this
)

const (
	// lastSeenGranularity bounds how often a session's last_seen_at is written.
	lastSeenGranularity = time.Minute
	// sessionIDPrefix makes the sessions' public ids, "ses_…".
	sessionIDPrefix = "ses"
	// tokenBytes is the random part of a session token.
	tokenBytes = 32
	// userAgentMaxBytes bounds the user agent kept with a session.
	userAgentMaxBytes = 200
	// maxListedSessions bounds ListSessions: a user signing in over and over gets the
	// newest this many.
	maxListedSessions = 100
)

// Session is a signed-in dashboard user's session.
type Session struct {
	ID         string // "ses_…" public id, for listing and revoking; NOT the cookie token
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time // written at most once a minute
	ExpiresAt  time.Time // min(last seen + idle timeout, created + lifetime)
	UserAgent  string    // as given at sign-in, cut to 200 bytes
}

// sessionExpiry is when a session begun at created and last seen at seen ends.
func sessionExpiry(created, seen time.Time) time.Time {
	idle, end := seen.Add(SessionIdleTimeout), created.Add(SessionLifetime)
	if idle.Before(end) {
		return idle
	}
	return end
}

// SignIn checks the email and password and begins a session. client is the caller's
// address (for the limiter), userAgent is kept with the session. It returns the session and
// its token, the only copy there is. A wrong email or password is ErrSignInFailed, too many
// of them a *SignInLimitedError (see users.go).
func (s *Service) SignIn(ctx context.Context, email, pw, client, userAgent string) (Session, string, error) {
	now := s.clock.Now()
	email = strings.ToLower(email)
	limit := s.signInLimit(now, email, client)
	if err := limit.check(ctx); err != nil {
		return Session{}, "", err
	}
	if err := limit.reserve(ctx); err != nil {
		return Session{}, "", err
	}
	u, ok, err := s.checkSignIn(ctx, email, pw)
	if err != nil {
		return Session{}, "", errors.Join(err, limit.release(ctx))
	}
	if !ok {
		return Session{}, "", ErrSignInFailed // the attempt stays counted
	}
	if err := limit.release(ctx); err != nil {
		return Session{}, "", err
	}

	token, err := newSessionToken()
	if err != nil {
		return Session{}, "", err
	}
	ses := Session{
		ID:         id.New(sessionIDPrefix),
		UserID:     u.ID,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  sessionExpiry(now, now),
		UserAgent:  cleanUserAgent(userAgent),
	}
	if err := s.store.DeleteEndedSessions(ctx, now); err != nil {
		return Session{}, "", err
	}
	if err := s.store.CreateSession(ctx, ses, hashToken(token)); err != nil {
		return Session{}, "", err
	}
	return ses, token, nil
}

// checkSignIn verifies pw for the user with this (lower-cased) email. An email without a
// user, or a user without a password, costs a check against the dummy hash and fails.
func (s *Service) checkSignIn(ctx context.Context, email, pw string) (User, bool, error) {
	var (
		u      User
		stored string
	)
	// An email no user can have (PostgreSQL refuses text that is not UTF-8 or holds NUL)
	// is not looked up: it has no user.
	if utf8.ValidString(email) && !strings.ContainsRune(email, 0) {
		var err error
		u, stored, err = s.store.GetUserForSignIn(ctx, email)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return User{}, false, err
		}
	}
	ok, err := verifyPassword(ctx, stored, pw)
	return u, ok, err
}

// SessionUser returns the session behind token and its user: ErrUnauthenticated for an
// unknown, expired or revoked token, with nothing written then.
func (s *Service) SessionUser(ctx context.Context, token string) (Session, User, error) {
	if !validToken(token) {
		return Session{}, User{}, ErrUnauthenticated
	}
	ses, u, err := s.store.GetSessionByTokenHash(ctx, hashToken(token))
	if errors.Is(err, ErrNotFound) {
		return Session{}, User{}, ErrUnauthenticated
	}
	if err != nil {
		return Session{}, User{}, err
	}
	now := s.clock.Now()
	if !now.Before(ses.ExpiresAt) {
		return Session{}, User{}, ErrUnauthenticated
	}
	if now.Sub(ses.LastSeenAt) >= lastSeenGranularity {
		expires := sessionExpiry(ses.CreatedAt, now)
		if err := s.store.TouchSession(ctx, ses.ID, now, expires, lastSeenGranularity); err != nil {
			return Session{}, User{}, fmt.Errorf("record session use: %w", err)
		}
		ses.LastSeenAt, ses.ExpiresAt = now, expires
	}
	return ses, u, nil
}

// SignOut ends the session behind token; an unknown or malformed token is no error.
func (s *Service) SignOut(ctx context.Context, token string) error {
	if !validToken(token) {
		return nil
	}
	return s.store.RevokeSessionByTokenHash(ctx, hashToken(token), s.clock.Now())
}

// ListSessions returns the user's sessions that are neither expired nor revoked, newest
// first (at most the newest 100).
func (s *Service) ListSessions(ctx context.Context, userID string) ([]Session, error) {
	return s.store.ListSessions(ctx, userID, s.clock.Now(), maxListedSessions)
}

// RevokeSession ends one of the user's sessions: NotFound("Session") for an id the user
// has no session with, another user's included. Revoking it again is harmless.
func (s *Service) RevokeSession(ctx context.Context, userID, sessionID string) error {
	err := s.store.RevokeSession(ctx, userID, sessionID, s.clock.Now())
	if errors.Is(err, ErrNotFound) {
		return NotFound("Session")
	}
	return err
}

func newSessionToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validToken reports whether token has the shape newSessionToken gives, so that anything else is
// refused without a read.
func validToken(token string) bool {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	return err == nil && len(b) == tokenBytes
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// cleanUserAgent makes a user agent storable: valid UTF-8 without NUL (PostgreSQL's text
// refuses both), cut to userAgentMaxBytes at a character boundary.
func cleanUserAgent(ua string) string {
	ua = strings.ReplaceAll(strings.ToValidUTF8(ua, "\uFFFD"), "\x00", "")
	if len(ua) <= userAgentMaxBytes {
		return ua
	}
	i := userAgentMaxBytes
	for i > 0 && !utf8.RuneStart(ua[i]) {
		i--
	}
	return ua[:i]
}
