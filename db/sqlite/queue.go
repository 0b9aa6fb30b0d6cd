package sqlite

import (
	"context"
	"errors"
	"fmt"

	"github.com/octopost/octopost/db/internal/codec"
	sqlitegen "github.com/octopost/octopost/gen/sqlite"
	"github.com/octopost/octopost/service"
)

func (s *Store) GetQueueSettings(ctx context.Context, sc service.Scope) (service.QueueSettings, error) {
	r, err := s.q.GetQueueSettings(ctx, sqlitegen.GetQueueSettingsParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.QueueSettings{}, readErr("get queue settings", err)
	}
	q := service.QueueSettings{Timezone: r.Timezone, IntervalMinutes: int(r.IntervalMinutes)}
	return q, rowErr("queue settings", errors.Join(
		codec.ParseWeek(r.ActiveHours, &q.Week),
		parseTimePtr(&r.UpdatedAt, &q.UpdatedAt),
	))
}

func (s *Store) PutQueueSettings(ctx context.Context, sc service.Scope, q service.QueueSettings) error {
	if q.UpdatedAt == nil {
		return fmt.Errorf("put queue settings: no updated_at")
	}
	err := s.q.PutQueueSettings(ctx, sqlitegen.PutQueueSettingsParams{
		UserID:          sc.UserID,
		Mode:            string(sc.Mode),
		Timezone:        q.Timezone,
		ActiveHours:     string(codec.Week(q.Week)),
		IntervalMinutes: int64(q.IntervalMinutes),
		UpdatedAt:       formatTime(*q.UpdatedAt),
	})
	return writeErr("put queue settings", err)
}

func (s *Store) ListQueue(ctx context.Context, sc service.Scope, limit int) ([]service.Post, error) {
	rows, err := s.q.ListQueue(ctx, sqlitegen.ListQueueParams{UserID: sc.UserID, Mode: string(sc.Mode), PageSize: int64(limit)})
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	return convertRows(rows, postFromRow)
}

func (s *Store) ListQueueIDs(ctx context.Context, sc service.Scope, limit int) ([]string, error) {
	ids, err := s.q.ListQueueIDs(ctx, sqlitegen.ListQueueIDsParams{UserID: sc.UserID, Mode: string(sc.Mode), PageSize: int64(limit)})
	if err != nil {
		return nil, fmt.Errorf("list queue ids: %w", err)
	}
	return ids, nil
}

func (s *Store) CountQueue(ctx context.Context, sc service.Scope) (int, error) {
	n, err := s.q.CountQueue(ctx, sqlitegen.CountQueueParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return 0, fmt.Errorf("count queue: %w", err)
	}
	return int(n), nil
}
