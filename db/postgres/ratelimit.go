package postgres

import (
	"context"
	"fmt"
	"time"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

// Rate limits on PostgreSQL (the design is in service/ratelimit.go): the counts are rows
// every instance on the database shares, each reservation one atomic upsert.

func (s *Store) GetUserTier(ctx context.Context, userID string) (service.Tier, error) {
	t, err := s.q.GetUserTier(ctx, userID)
	if err != nil {
		return "", readErr("get user tier", err)
	}
	if t == nil {
		return "", nil
	}
	return service.Tier(*t), nil
}

func (s *Store) SetUserTier(ctx context.Context, userID string, tier service.Tier) error {
	t := string(tier)
	n, err := s.q.SetUserTier(ctx, pggen.SetUserTierParams{ID: userID, Tier: &t})
	return affectedErr("set user tier", n, err)
}

func (s *Store) CountRequests(ctx context.Context, bucket string, window, expires time.Time, n int64) (int64, error) {
	count, err := s.q.CountRequests(ctx, pggen.CountRequestsParams{Bucket: bucket, WindowStart: window, N: n, ExpiresAt: expires})
	if err != nil {
		return 0, fmt.Errorf("count requests: %w", err)
	}
	return count, nil
}

func (s *Store) DeleteExpiredRateWindows(ctx context.Context, now time.Time) error {
	if err := s.q.DeleteExpiredRateWindows(ctx, now); err != nil {
		return fmt.Errorf("delete expired rate windows: %w", err)
	}
	return nil
}
