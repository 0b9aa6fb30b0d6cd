package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
)

// Tx returns the transaction a Store handed out by InTx runs in, and nil for any other
// Store. It is for the job queue (db/queue), which enqueues jobs in the same transaction
// as the change that calls for them; nothing else should write through it.
func (s *Store) Tx() pgx.Tx {
	if s.tx == nil {
		return nil // not a nil *pipeTx in a non-nil interface
	}
	return s.tx
}

func (s *Store) CreateAttempt(ctx context.Context, a service.PublishAttempt) error {
	n, err := s.q.CreateAttempt(ctx, pggen.CreateAttemptParams{
		PostID:         a.PostID,
		Platform:       string(a.Platform),
		Segment:        int32(a.Segment),
		UserID:         a.Scope.UserID,
		Mode:           string(a.Scope.Mode),
		State:          string(a.State),
		IdempotencyKey: a.IdempotencyKey,
		Owner:          a.Owner,
		Tries:          int32(a.Tries),
		RefID:          a.Ref.ID,
		RefUrl:         a.Ref.URL,
		RefCid:         a.Ref.CID,
		Error:          a.Error,
		UpdatedAt:      a.UpdatedAt,
	})
	if err == nil && n == 0 {
		// The part has an attempt already: the insert did nothing (ON CONFLICT), so the
		// transaction goes on.
		return fmt.Errorf("create attempt: %w", service.ErrDuplicate)
	}
	return writeErr("create attempt", err)
}

func (s *Store) ListAttempts(ctx context.Context, sc service.Scope, postID string, p service.Platform) ([]service.PublishAttempt, error) {
	rows, err := s.q.ListAttempts(ctx, pggen.ListAttemptsParams{
		PostID: postID, Platform: string(p), UserID: sc.UserID, Mode: string(sc.Mode),
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	return convertRows(rows, attemptFromRow)
}

func (s *Store) UpdateAttempt(ctx context.Context, a, from service.PublishAttempt) error {
	err := s.w.UpdateAttempt(ctx, pggen.UpdateAttemptParams{
		State:          string(a.State),
		IdempotencyKey: a.IdempotencyKey,
		Owner:          a.Owner,
		Tries:          int32(a.Tries),
		RefID:          a.Ref.ID,
		RefUrl:         a.Ref.URL,
		RefCid:         a.Ref.CID,
		Error:          a.Error,
		UpdatedAt:      a.UpdatedAt,
		PostID:         a.PostID,
		Platform:       string(a.Platform),
		Segment:        int32(a.Segment),
		UserID:         a.Scope.UserID,
		Mode:           string(a.Scope.Mode),
		FromState:      string(from.State),
		FromOwner:      from.Owner,
		FromTries:      int32(from.Tries),
	})
	return checkedErr("update attempt", err)
}

func attemptFromRow(r pggen.PublishAttempt) (service.PublishAttempt, error) {
	return service.PublishAttempt{
		Scope:          service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)},
		PostID:         r.PostID,
		Platform:       service.Platform(r.Platform),
		Segment:        int(r.Segment),
		State:          service.AttemptState(r.State),
		IdempotencyKey: r.IdempotencyKey,
		Owner:          r.Owner,
		Tries:          int(r.Tries),
		Ref:            platform.Ref{ID: r.RefID, URL: r.RefUrl, CID: r.RefCid},
		Error:          r.Error,
		UpdatedAt:      r.UpdatedAt.UTC(),
	}, nil
}
