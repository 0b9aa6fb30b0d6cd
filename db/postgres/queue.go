package postgres

import (
	"context"
	"fmt"

	"github.com/octopost/octopost/db/internal/codec"
	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

func (s *Store) GetQueueSettings(ctx context.Context, sc service.Scope) (service.QueueSettings, error) {
	r, err := s.q.GetQueueSettings(ctx, pggen.GetQueueSettingsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.QueueSettings{}, readErr("get queue settings", err)
	}
	q := service.QueueSettings{Timezone: r.Timezone, IntervalMinutes: int(r.IntervalMinutes), UpdatedAt: utcPtr(&r.UpdatedAt)}
	return q, rowErr("queue settings", codec.ParseWeek(r.ActiveHours, &q.Week))
}

func (s *Store) PutQueueSettings(ctx context.Context, sc service.Scope, q service.QueueSettings) error {
	if q.UpdatedAt == nil {
		return fmt.Errorf("put queue settings: no updated_at")
	}
	err := s.q.PutQueueSettings(ctx, pggen.PutQueueSettingsParams{
		UserID:          sc.UserID,
		Mode:            string(sc.Mode),
		Timezone:        q.Timezone,
		ActiveHours:     codec.Week(q.Week),
		IntervalMinutes: int32(q.IntervalMinutes),
		UpdatedAt:       *q.UpdatedAt,
	})
	return writeErr("put queue settings", err)
}

func (s *Store) ListQueue(ctx context.Context, sc service.Scope, limit int) ([]service.Post, error) {
	rows, err := s.q.ListQueue(ctx, pggen.ListQueueParams{UserID: sc.UserID, Mode: string(sc.Mode), PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	return convertRows(rows, postFromRow)
}

func (s *Store) ListQueueIDs(ctx context.Context, sc service.Scope, limit int) ([]string, error) {
	ids, err := s.q.ListQueueIDs(ctx, pggen.ListQueueIDsParams{UserID: sc.UserID, Mode: string(sc.Mode), PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list queue ids: %w", err)
	}
	return ids, nil
}

func (s *Store) CountQueue(ctx context.Context, sc service.Scope) (int, error) {
	// Inside InTx, the lock holds until the transaction ends: two posts entering the queue
	// at once are counted one after the other. Outside, it ends with the statement.
	if err := s.q.LockQueue(ctx, pggen.LockQueueParams{UserID: sc.UserID, Mode: string(sc.Mode)}); err != nil {
		return 0, fmt.Errorf("lock queue: %w", err)
	}
	n, err := s.q.CountQueue(ctx, pggen.CountQueueParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return 0, fmt.Errorf("count queue: %w", err)
	}
	return int(n), nil
}
