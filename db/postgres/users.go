package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

// Dashboard users' passwords, sessions and failed sign-ins (service/users.go,
// service/sessions.go): failed sign-ins are rows every instance on the database shares,
// each change one atomic upsert.

func (s *Store) HasUsers(ctx context.Context) (bool, error) {
	has, err := s.q.HasUsers(ctx)
	if err != nil {
		return false, fmt.Errorf("has users: %w", err)
	}
	return has, nil
}

// CreateFirstUser locks the users table against inserts (and against itself) for its
// transaction, then inserts only while it is empty. Read committed gives each statement a
// fresh snapshot, so the check after the lock sees every user committed before it: of two
// setups the second waits for the first and then finds its user.
func (s *Store) CreateFirstUser(ctx context.Context, u service.User, passwordHash string) (bool, error) {
	var created bool
	err := s.InTx(ctx, func(st service.Store) error {
		q := st.(*Store).q
		if err := q.LockUsersForFirstUser(ctx); err != nil {
			return fmt.Errorf("lock users: %w", err)
		}
		n, err := q.CreateFirstUser(ctx, pggen.CreateFirstUserParams{
			ID: u.ID, Email: u.Email, PasswordHash: passwordHash, CreatedAt: u.CreatedAt,
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
	n, err := s.q.SetUserPassword(ctx, pggen.SetUserPasswordParams{ID: userID, PasswordHash: h})
	return affectedErr("set user password", n, err)
}

func (s *Store) GetUserForSignIn(ctx context.Context, email string) (service.User, string, error) {
	r, err := s.q.GetUserByEmail(ctx, email)
	if err != nil {
		return service.User{}, "", readErr("get user", err)
	}
	var hash string
	if r.PasswordHash != nil {
		hash = *r.PasswordHash
	}
	return userFromRow(r), hash, nil
}

func userFromRow(r pggen.User) service.User {
	return service.User{ID: r.ID, Email: r.Email, CreatedAt: r.CreatedAt.UTC()}
}

func (s *Store) CreateSession(ctx context.Context, ses service.Session, tokenHash string) error {
	err := s.q.CreateSession(ctx, pggen.CreateSessionParams{
		ID:         ses.ID,
		UserID:     ses.UserID,
		TokenHash:  tokenHash,
		UserAgent:  ses.UserAgent,
		CreatedAt:  ses.CreatedAt,
		LastSeenAt: ses.LastSeenAt,
		ExpiresAt:  ses.ExpiresAt,
	})
	return writeErr("create session", err)
}

func (s *Store) GetSessionByTokenHash(ctx context.Context, tokenHash string) (service.Session, service.User, error) {
	r, err := s.q.GetSessionByTokenHash(ctx, tokenHash)
	if err != nil {
		return service.Session{}, service.User{}, readErr("get session", err)
	}
	return sessionFromRow(r.Session), userFromRow(r.User), nil
}

func sessionFromRow(r pggen.Session) service.Session {
	return service.Session{
		ID:         r.ID,
		UserID:     r.UserID,
		CreatedAt:  r.CreatedAt.UTC(),
		LastSeenAt: r.LastSeenAt.UTC(),
		ExpiresAt:  r.ExpiresAt.UTC(),
		UserAgent:  r.UserAgent,
	}
}

func (s *Store) TouchSession(ctx context.Context, id string, at, expiresAt time.Time, minAge time.Duration) error {
	err := s.q.TouchSession(ctx, pggen.TouchSessionParams{
		ID: id, LastSeenAt: at, ExpiresAt: expiresAt, SeenBefore: at.Add(-minAge),
	})
	return writeErr("touch session", err)
}

func (s *Store) RevokeSessionByTokenHash(ctx context.Context, tokenHash string, at time.Time) error {
	err := s.q.RevokeSessionByTokenHash(ctx, pggen.RevokeSessionByTokenHashParams{TokenHash: tokenHash, RevokedAt: &at})
	return writeErr("revoke session", err)
}

func (s *Store) RevokeSession(ctx context.Context, userID, id string, at time.Time) error {
	n, err := s.q.RevokeSession(ctx, pggen.RevokeSessionParams{ID: id, UserID: userID, RevokedAt: &at})
	return affectedErr("revoke session", n, err)
}

func (s *Store) RevokeUserSessions(ctx context.Context, userID string, at time.Time) error {
	err := s.q.RevokeUserSessions(ctx, pggen.RevokeUserSessionsParams{UserID: userID, RevokedAt: &at})
	return writeErr("revoke user sessions", err)
}

func (s *Store) ListSessions(ctx context.Context, userID string, now time.Time, limit int) ([]service.Session, error) {
	rows, err := s.q.ListSessions(ctx, pggen.ListSessionsParams{UserID: userID, Now: now, PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]service.Session, len(rows))
	for i, r := range rows {
		out[i] = sessionFromRow(r)
	}
	return out, nil
}

func (s *Store) DeleteEndedSessions(ctx context.Context, now time.Time) error {
	return writeErr("delete ended sessions", s.q.DeleteEndedSessions(ctx, now))
}

func (s *Store) GetSignInFailures(ctx context.Context, bucket string, window time.Time) (int64, error) {
	n, err := s.q.GetSignInFailures(ctx, pggen.GetSignInFailuresParams{Bucket: bucket, WindowStart: window})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get sign-in failures: %w", err)
	}
	return n, nil
}

func (s *Store) AddSignInFailures(ctx context.Context, bucket string, window, expires time.Time, n int64) (int64, error) {
	count, err := s.q.AddSignInFailures(ctx, pggen.AddSignInFailuresParams{
		Bucket: bucket, WindowStart: window, N: n, ExpiresAt: expires,
	})
	if err != nil {
		return 0, fmt.Errorf("add sign-in failures: %w", err)
	}
	return count, nil
}

func (s *Store) DeleteExpiredSignInWindows(ctx context.Context, now time.Time) error {
	return writeErr("delete expired sign-in windows", s.q.DeleteExpiredSignInWindows(ctx, now))
}

func (s *Store) RevokeUserAPIKey(ctx context.Context, userID, id string, at time.Time) (service.APIKey, error) {
	r, err := s.q.RevokeUserAPIKey(ctx, pggen.RevokeUserAPIKeyParams{ID: id, UserID: userID, RevokedAt: &at})
	if err != nil {
		return service.APIKey{}, readErr("revoke api key", err)
	}
	return apiKeyFromRow(r)
}
