package sqlite

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	sqlitegen "github.com/octopost/octopost/gen/sqlite"
	"github.com/octopost/octopost/service"
)

// Rate limits on SQLite (the design is in service/ratelimit.go): the tiers are in the
// users table, the counts in the process. A SQLite database belongs to one server
// process, so its counts need not be shared, and writing one on every request would put
// every GET in the queue for SQLite's single write lock.

// requestCounts holds the current window of each bucket.
type requestCounts struct {
	mu      sync.Mutex
	windows map[string]*requestWindow
}

type requestWindow struct {
	start   time.Time
	expires time.Time
	n       int64
}

func newRequestCounts() *requestCounts {
	return &requestCounts{windows: map[string]*requestWindow{}}
}

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
	n, err := s.q.SetUserTier(ctx, sqlitegen.SetUserTierParams{ID: userID, Tier: &t})
	return affectedErr("set user tier", n, err)
}

// CountRequests keeps one window per bucket: a request in a later window starts it afresh.
func (s *Store) CountRequests(_ context.Context, bucket string, window, expires time.Time, n int64) (int64, error) {
	if s.counts == nil {
		return 0, errors.New("count requests: store has no counters")
	}
	c := s.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	w := c.windows[bucket]
	switch {
	case w == nil:
		w = &requestWindow{}
		c.windows[bucket] = w
		fallthrough
	case w.start.Before(window):
		*w = requestWindow{start: window, expires: expires}
	case window.Before(w.start):
		// A request of a window already closed (its clock read just before the change):
		// it counts in the current one.
	}
	w.n += n
	return w.n, nil
}

func (s *Store) DeleteExpiredRateWindows(_ context.Context, now time.Time) error {
	if s.counts == nil {
		return fmt.Errorf("delete expired rate windows: store has no counters")
	}
	c := s.counts
	c.mu.Lock()
	defer c.mu.Unlock()
	for bucket, w := range c.windows {
		if w.expires.Before(now) {
			delete(c.windows, bucket)
		}
	}
	return nil
}
