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

// Idempotency keys (the design is in service/idempotency.go).

func (s *Store) ClaimIdempotencyKey(ctx context.Context, rec service.IdempotencyRecord) (service.IdempotencyRecord, bool, error) {
	_, err := s.q.ClaimIdempotencyKey(ctx, sqlitegen.ClaimIdempotencyKeyParams{
		UserID: rec.Scope.UserID, Mode: string(rec.Scope.Mode), IdemKey: rec.Key, Fingerprint: rec.Fingerprint,
		Token: rec.Token, CreatedAt: formatTime(rec.CreatedAt), ExpiresAt: formatTime(rec.ExpiresAt),
		LeaseUntil: formatTime(rec.LeaseUntil),
	})
	if err == nil {
		return rec, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return service.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	// The key is held: read how.
	r, err := s.q.GetIdempotencyKey(ctx, sqlitegen.GetIdempotencyKeyParams{
		UserID: rec.Scope.UserID, Mode: string(rec.Scope.Mode), IdemKey: rec.Key,
	})
	if err != nil {
		return service.IdempotencyRecord{}, false, readErr("get idempotency key", err)
	}
	got := service.IdempotencyRecord{
		Scope: rec.Scope, Key: r.IdemKey, Fingerprint: r.Fingerprint, Token: r.Token,
		State: service.IdempotencyState(r.State), Status: int(r.ResponseStatus),
		Header: r.ResponseHeader, Body: r.ResponseBody,
	}
	return got, false, rowErr("idempotency key", errors.Join(
		parseTime(r.CreatedAt, &got.CreatedAt), parseTime(r.ExpiresAt, &got.ExpiresAt), parseTime(r.LeaseUntil, &got.LeaseUntil)))
}

func (s *Store) CompleteIdempotencyKey(ctx context.Context, rec service.IdempotencyRecord) error {
	n, err := s.q.CompleteIdempotencyKey(ctx, sqlitegen.CompleteIdempotencyKeyParams{
		ResponseStatus: int64(rec.Status), ResponseHeader: rec.Header, ResponseBody: nonNil(rec.Body),
		UserID: rec.Scope.UserID, Mode: string(rec.Scope.Mode), IdemKey: rec.Key, Token: rec.Token,
	})
	return affectedErr("complete idempotency key", n, err)
}

func (s *Store) ReleaseIdempotencyKey(ctx context.Context, sc service.Scope, key, token string) error {
	err := s.q.ReleaseIdempotencyKey(ctx, sqlitegen.ReleaseIdempotencyKeyParams{
		UserID: sc.UserID, Mode: string(sc.Mode), IdemKey: key, Token: token,
	})
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

func (s *Store) DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) error {
	if err := s.q.DeleteExpiredIdempotencyKeys(ctx, formatTime(now)); err != nil {
		return fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	return nil
}

// nonNil keeps an empty body from being stored as NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
