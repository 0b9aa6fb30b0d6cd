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

// Idempotency keys (the design is in service/idempotency.go).

func (s *Store) ClaimIdempotencyKey(ctx context.Context, rec service.IdempotencyRecord) (service.IdempotencyRecord, bool, error) {
	_, err := s.q.ClaimIdempotencyKey(ctx, pggen.ClaimIdempotencyKeyParams{
		UserID: rec.Scope.UserID, Mode: string(rec.Scope.Mode), IdemKey: rec.Key, Fingerprint: rec.Fingerprint,
		Token: rec.Token, CreatedAt: rec.CreatedAt, ExpiresAt: rec.ExpiresAt, LeaseUntil: rec.LeaseUntil,
	})
	if err == nil {
		return rec, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return service.IdempotencyRecord{}, false, fmt.Errorf("claim idempotency key: %w", err)
	}
	// The key is held: read how.
	r, err := s.q.GetIdempotencyKey(ctx, pggen.GetIdempotencyKeyParams{
		UserID: rec.Scope.UserID, Mode: string(rec.Scope.Mode), IdemKey: rec.Key,
	})
	if err != nil {
		return service.IdempotencyRecord{}, false, readErr("get idempotency key", err)
	}
	return service.IdempotencyRecord{
		Scope: rec.Scope, Key: r.IdemKey, Fingerprint: r.Fingerprint, Token: r.Token,
		State: service.IdempotencyState(r.State), Status: int(r.ResponseStatus),
		Header: r.ResponseHeader, Body: r.ResponseBody,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), LeaseUntil: r.LeaseUntil.UTC(),
	}, false, nil
}

func (s *Store) CompleteIdempotencyKey(ctx context.Context, rec service.IdempotencyRecord) error {
	body := rec.Body
	if body == nil {
		body = []byte{} // an empty body, not NULL
	}
	n, err := s.q.CompleteIdempotencyKey(ctx, pggen.CompleteIdempotencyKeyParams{
		ResponseStatus: int32(rec.Status), ResponseHeader: rec.Header, ResponseBody: body,
		UserID: rec.Scope.UserID, Mode: string(rec.Scope.Mode), IdemKey: rec.Key, Token: rec.Token,
	})
	return affectedErr("complete idempotency key", n, err)
}

func (s *Store) ReleaseIdempotencyKey(ctx context.Context, sc service.Scope, key, token string) error {
	err := s.q.ReleaseIdempotencyKey(ctx, pggen.ReleaseIdempotencyKeyParams{
		UserID: sc.UserID, Mode: string(sc.Mode), IdemKey: key, Token: token,
	})
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

func (s *Store) DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) error {
	if err := s.q.DeleteExpiredIdempotencyKeys(ctx, now); err != nil {
		return fmt.Errorf("delete expired idempotency keys: %w", err)
	}
	return nil
}
