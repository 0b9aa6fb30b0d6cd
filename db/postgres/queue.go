package postgres

import (
	"context"
	"fmt"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

func (s *Store) ListQueue(ctx context.Context, sc service.Scope, limit int) ([]service.Post, error) {
	rows, err := s.q.ListQueue(ctx, pggen.ListQueueParams{UserID: sc.UserID, Mode: string(sc.Mode), PageSize: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list queue: %w", err)
	}
	return convertRows(rows, postFromRow)
}

func (s *Store) CountQueue(ctx context.Context, sc service.Scope) (int, error) {
	n, err := s.q.CountQueue(ctx, pggen.CountQueueParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return 0, fmt.Errorf("count queue: %w", err)
	}
	return int(n), nil
}
