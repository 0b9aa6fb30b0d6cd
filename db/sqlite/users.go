package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	sqlitegen "github.com/octopost/octopost/gen/sqlite"
	"github.com/octopost/octopost/service"
)

// Dashboard users' passwords, sessions and failed sign-ins (service/users.go,
// service/sessions.go). Unlike the API's rate limits, failed sign-ins are counted in the
// database here too: they are rare, and a write each costs nothing that matters.

func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	has, err := s.q.HasUsers(ctx)
	if err != nil {
		return false, fmt.Errorf("has users: %w", err)
	}
	return has, nil
}

// CreateFirstUser checks for users and inserts in one write transaction: BEGIN IMMEDIATE
// takes SQLite's single write lock first, so no other insert can come between (and a
// check outside one could read a snapshot another writer has already moved past).
func (s *Store) CreateFirstUser(ctx context.Context, u service.User, passwordHash string) (bool, error) {
	var created bool
	err := s.InTx(ctx, func(st service.Store) error {
		n, err := st.(*Store).q.CreateFirstUser(ctx, sqlitegen.CreateFirstUserParams{
			ID: u.ID, Email: u.Email, PasswordHash: &passwordHash, CreatedAt: formatTime(u.CreatedAt),
		})
		created = n == 1
		return writeErr("create first user", err)
	})
	return created, err
}

func (s *Store) SetUserPassword(ctx context.Context, userID, passwordHash string) error {
	var h *string
	if passwordHash != "" {
		h = &passwordHash
	}
	n, err := s.q.SetUserPassword(ctx, sqlitegen.SetUserPasswordParams{ID: userID, PasswordHash: h})
	return affectedErr("set user password", n, err)
}

func (s *Store) GetUserForSignIn(ctx context.Context, email string) (service.User, string, error) {
	r, err := s.q.GetUserByEmail(ctx, email)
	if err != nil {
		return service.User{}, "", readErr("get user", err)
	}
	u, err := userFromRow(r)
	var hash string
	if r.PasswordHash != nil {
		hash = *r.PasswordHash
	}
	return u, hash, err
}

func userFromRow(r sqlitegen.User) (service.User, error) {
	u := service.User{ID: r.ID, Email: r.Email}
	return u, rowErr("user", parseTime(r.CreatedAt, &u.CreatedAt))
}

func (s *Store) CreateSession(ctx context.Context, ses service.Session, tokenHash string) error {
	err := s.q.CreateSession(ctx, sqlitegen.CreateSessionParams{
		ID:         ses.ID,
		UserID:     ses.UserID,
		TokenHash:  tokenHash,
		UserAgent:  ses.UserAgent,
		CreatedAt:  formatTime(ses.CreatedAt),
		LastSeenAt: formatTime(ses.LastSeenAt),
		ExpiresAt:  formatTime(ses.ExpiresAt),
	})
	return writeErr("create session", err)
}

func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash string) (service.Session, service.User, error) {
	r, err := s.q.GetSessionByTokenHash(ctx, tokenHash)
	if err != nil {
		return service.Session{}, service.User{}, readErr("get session", err)
	}
	ses, err := sessionFromRow(r.Session)
	if err != nil {
		return service.Session{}, service.User{}, err
	}
	u, err := userFromRow(r.User)
	return ses, u, err
}

func sessionFromRow(r sqlitegen.Session) (service.Session, error) {
	ses := service.Session{ID: r.ID, UserID: r.UserID, UserAgent: r.UserAgent}
	return ses, rowErr("session", errors.Join(
		parseTime(r.CreatedAt, &ses.CreatedAt),
		parseTime(r.LastSeenAt, &ses.LastSeenAt),
		parseTime(r.ExpiresAt, &ses.ExpiresAt),
	))
}

func (s *Store) TouchSession(ctx context.Context, id string, at, expiresAt time.Time, minAge time.Duration) error {
	err := s.q.TouchSession(ctx, sqlitegen.TouchSessionParams{
		ID:         id,
		LastSeenAt: formatTime(at),
		ExpiresAt:  formatTime(expiresAt),
		SeenBefore: formatTime(at.Add(-minAge)),
	})
	return writeErr("touch session", err)
}

func (s *Store) RevokeSessionByTokenHash(ctx context.Context, tokenHash string, at time.Time) error {
	err := s.q.RevokeSessionByTokenHash(ctx, sqlitegen.RevokeSessionByTokenHashParams{
		TokenHash: tokenHash, RevokedAt: new(formatTime(at)),
	})
	return writeErr("revoke session", err)
}

func (s *Store) RevokeSession(ctx context.Context, userID, id string, at time.Time) error {
	n, err := s.q.RevokeSession(ctx, sqlitegen.RevokeSessionParams{ID: id, UserID: userID, RevokedAt: new(formatTime(at))})
	return affectedErr("revoke session", n, err)
}

func (s *Store) RevokeUserSessions(ctx context.Context, userID string, at time.Time) error {
	err := s.q.RevokeUserSessions(ctx, sqlitegen.RevokeUserSessionsParams{UserID: userID, RevokedAt: new(formatTime(at))})
	return writeErr("revoke user sessions", err)
}

func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time, limit int) ([]service.Session, error) {
	rows, err := s.q.ListSessions(ctx, sqlitegen.ListSessionsParams{UserID: userID, Now: formatTime(now), PageSize: int64(limit)})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return convertRows(rows, sessionFromRow)
}

func (s *Store) DeleteEndedSessions(ctx context.Context, now time.Time) error {
	return writeErr("delete ended sessions", s.q.DeleteEndedSessions(ctx, formatTime(now)))
}

func (s *Store) GetSignInFailures(ctx context.Context, bucket string, window time.Time) (int64, error) {
	n, err := s.q.GetSignInFailures(ctx, sqlitegen.GetSignInFailuresParams{Bucket: bucket, WindowStart: formatTime(window)})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get sign-in failures: %w", err)
	}
	return n, nil
}

func (s *Store) AddSignInFailures(ctx context.Context, bucket string, window, expires time.Time, n int64) (int64, error) {
	count, err := s.q.AddSignInFailures(ctx, sqlitegen.AddSignInFailuresParams{
		Bucket: bucket, WindowStart: formatTime(window), N: n, ExpiresAt: formatTime(expires),
	})
	if err != nil {
		return 0, fmt.Errorf("add sign-in failures: %w", err)
	}
	return count, nil
}

func (s *Store) DeleteExpiredSignInWindows(ctx context.Context, now time.Time) error {
	return writeErr("delete expired sign-in windows", s.q.DeleteExpiredSignInWindows(ctx, formatTime(now)))
}

func (s *Store) RevokeUserAPIKey(ctx context.Context, userID, id string, at time.Time) (service.APIKey, error) {
	r, err := s.q.RevokeUserAPIKey(ctx, sqlitegen.RevokeUserAPIKeyParams{ID: id, UserID: userID, RevokedAt: new(formatTime(at))})
	if err != nil {
		return service.APIKey{}, readErr("revoke api key", err)
	}
	return apiKeyFromRow(r)
}
