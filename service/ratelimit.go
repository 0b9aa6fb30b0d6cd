package service

// Rate limits (contract §8).
//
// Every request whose key passed authorization counts against two fixed windows at most:
// the key's minute (the tier's requests per minute), and, for publishing, the key's hour
// (the tier's publishes per hour). A window is the clock's minute or hour, truncated, so
// every instance agrees on it without talking to the others; its count is kept by the
// store:
//
//   - on PostgreSQL, one row per (bucket, window), raised by one atomic upsert that
//     returns the new count (CountRequests), so instances sharing the database share the
//     count;
//   - on SQLite, in the process (the database belongs to one server process), under a
//     mutex: no write to the single-writer database on every GET.
//
// An instance does not go to the store for every request: it reserves requests from the
// window's shared count a few at a time (reserveChunk: 1% of the limit, at least 1) and
// admits them from its reservation. A reservation of n is one upsert that adds n and
// returns the count it made, c; the instance is granted the part of its n within the
// limit, min(n, limit-(c-n)), and nothing once the count is over. Since every grant comes
// out of the one atomic count, all instances together never admit more than the limit.
// The price is the other way: requests an instance reserved but its clients then sent to
// another instance are lost for the window, at most a chunk less one per instance (a
// free key, with a chunk of 1, loses none). One upsert per request instead cost a
// PostgreSQL round trip on every request, a third of a cached GET's time: measured in
// api/bench_test.go. X-RateLimit-Remaining is the limit less the shared count at the
// instance's last reservation, plus what it still holds: exact with one instance.
//
// A refused request is counted too: the count only says how many were asked for in the
// window, and the window's end is when asking works again (Retry-After). A fixed window
// admits up to twice the limit across a window boundary; that is the price of one counter
// per window, and what the cloud's own headers (a reset time, not a rolling one) describe.
//
// The user's tier is read from the store, then kept for tierCacheTTL in each instance, so
// that a request costs no read for it: `octopost users set-tier` takes effect on every
// instance within that time. A user without a tier has the operator's default
// (RateLimitConfig.DefaultTier). The unlimited tier counts nothing and sends no headers.
//
// Expired windows are deleted by a sweep each limiter starts at most once a minute, off
// the request's path.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Tier is a user's rate-limit tier.
type Tier string

const (
	TierFree      Tier = "free"
	TierStarter   Tier = "starter"
	TierPro       Tier = "pro"
	TierUnlimited Tier = "unlimited"
)

// Tiers lists every tier, cheapest first.
var Tiers = []Tier{TierFree, TierStarter, TierPro, TierUnlimited}

// Valid reports whether t is a known tier.
func (t Tier) Valid() bool {
	for _, k := range Tiers {
		if t == k {
			return true
		}
	}
	return false
}

// RequestsPerMinute is how many requests a key of this tier may make in a minute; 0 is no
// limit.
func (t Tier) RequestsPerMinute() int {
	switch t {
	case TierFree:
		return 60
	case TierStarter:
		return 300
	case TierPro:
		return 1000
	}
	return 0
}

// PublishesPerHour is how many publish requests a key of this tier may make in an hour;
// 0 is no limit.
func (t Tier) PublishesPerHour() int {
	switch t {
	case TierFree:
		return 10
	case TierStarter:
		return 60
	case TierPro:
		return 300
	}
	return 0
}

// ParseTier checks a tier name, as given to the CLI or the configuration.
func ParseTier(name string) (Tier, error) {
	t := Tier(strings.TrimSpace(name))
	if !t.Valid() {
		names := make([]string, len(Tiers))
		for i, k := range Tiers {
			names[i] = string(k)
		}
		return "", &Error{Kind: KindValidation, Message: fmt.Sprintf("unknown tier %q (valid: %s)", name, strings.Join(names, ", ")),
			Fields: []FieldError{{Field: "tier", Message: "must be one of " + strings.Join(names, ", ")}}}
	}
	return t, nil
}

// RateLimitStore is what the limiter needs of the store.
type RateLimitStore interface {
	// GetUserTier returns the tier set for the user, or "" when none is (the default
	// applies); ErrNotFound for an unknown user.
	GetUserTier(ctx context.Context, userID string) (Tier, error)
	// SetUserTier sets the user's tier; ErrNotFound for an unknown user.
	SetUserTier(ctx context.Context, userID string, tier Tier) error
	// CountRequests adds n to the count of bucket in the window starting at window and
	// returns the count after it, atomically: concurrent calls, across every process
	// sharing the count, each see the count their own addition made. expires is when the
	// window's count may be forgotten.
	CountRequests(ctx context.Context, bucket string, window, expires time.Time, n int64) (int64, error)
	// DeleteExpiredRateWindows forgets the windows that expired before now.
	DeleteExpiredRateWindows(ctx context.Context, now time.Time) error
}

// SetUserTier sets the rate-limit tier of the user with this email.
func (s *Service) SetUserTier(ctx context.Context, email string, tier Tier) (User, error) {
	if !tier.Valid() {
		if _, err := ParseTier(string(tier)); err != nil {
			return User{}, err
		}
	}
	u, err := s.userByEmail(ctx, email)
	if err != nil {
		return User{}, err
	}
	if err := s.store.SetUserTier(ctx, u.ID, tier); err != nil {
		if errors.Is(err, ErrNotFound) {
			return User{}, NotFound("User " + email)
		}
		return User{}, err
	}
	return u, nil
}

// RateLimitConfig is the operator's choice of limits.
type RateLimitConfig struct {
	// DefaultTier applies to users without a tier of their own; empty means free.
	DefaultTier Tier
}

// tierCacheTTL is how long an instance keeps a user's tier before reading it again.
const tierCacheTTL = 30 * time.Second

// maxCachedTiers bounds the tier cache; when full it is emptied and refilled.
const maxCachedTiers = 100_000

// RateLimiter decides whether a request is within its key's limits (see the top of this
// file). It is safe for concurrent use.
type RateLimiter struct {
	store       RateLimitStore
	clock       Clock
	defaultTier Tier

	mu      sync.Mutex
	tiers   map[string]cachedTier
	windows map[string]*heldWindow // by bucket: the reservation in its current window

	lastSweep atomic.Int64 // unix seconds of the last sweep started
}

type cachedTier struct {
	tier    Tier
	expires time.Time
}

// heldWindow is what an instance holds of one bucket's window.
type heldWindow struct {
	start, end time.Time
	held       int64 // requests reserved and not yet admitted
	counted    int64 // the shared count after this instance's last reservation
}

// reserveChunk is how many requests an instance reserves at once under limit.
func reserveChunk(limit int) int64 { return int64(max(1, limit/100)) }

// NewRateLimiter returns a limiter over the service's store and clock.
func (s *Service) NewRateLimiter(cfg RateLimitConfig) (*RateLimiter, error) {
	def := cfg.DefaultTier
	if def == "" {
		def = TierFree
	}
	if !def.Valid() {
		return nil, fmt.Errorf("default tier %q is not one of %v", def, Tiers)
	}
	return &RateLimiter{store: s.store, clock: s.clock, defaultTier: def, tiers: map[string]cachedTier{},
		windows: map[string]*heldWindow{}}, nil
}

// RateDecision is the limiter's answer for one request.
type RateDecision struct {
	// Limited is false for a tier without limits: nothing was counted, and no headers are
	// sent.
	Limited bool
	// Allowed is false when the request is over a limit.
	Allowed bool
	// Limit, Remaining and Reset describe the window the headers report: the one that
	// refused the request, else the one with the fewest requests left.
	Limit     int
	Remaining int
	Reset     time.Time
	// RetryAfter is the whole seconds until Reset, at least 1; set when refused.
	RetryAfter int
}

// Allow counts one request of key and says whether it is within the limits; publish adds
// the hourly publish window.
func (l *RateLimiter) Allow(ctx context.Context, key APIKey, publish bool) (RateDecision, error) {
	tier, err := l.tier(ctx, key.UserID)
	if err != nil {
		return RateDecision{}, err
	}
	perMinute := tier.RequestsPerMinute()
	if perMinute == 0 {
		return RateDecision{Allowed: true}, nil
	}
	now := l.clock.Now()
	l.maybeSweep(now)
	d, err := l.count(ctx, "m:"+key.ID, now, time.Minute, perMinute)
	if err != nil {
		return RateDecision{}, err
	}
	if perHour := tier.PublishesPerHour(); publish && perHour > 0 {
		h, err := l.count(ctx, "p:"+key.ID, now, time.Hour, perHour)
		if err != nil {
			return RateDecision{}, err
		}
		// The hour's refusal wins, or else the window closer to its limit is reported.
		if d.Allowed && (!h.Allowed || h.Remaining < d.Remaining) {
			d = h
		}
	}
	return d, nil
}

// count admits the request from the instance's reservation in its window of length size,
// reserving more from the shared count when that is used up, and judges it against limit.
func (l *RateLimiter) count(ctx context.Context, bucket string, now time.Time, size time.Duration, limit int) (RateDecision, error) {
	start := now.Truncate(size)
	reset := start.Add(size)
	d := RateDecision{Limited: true, Limit: limit, Reset: reset}

	l.mu.Lock()
	if w := l.windows[bucket]; w != nil && w.start.Equal(start) && w.held > 0 {
		w.held--
		d.Allowed, d.Remaining = true, remaining(limit, w)
		l.mu.Unlock()
		return d, nil
	}
	l.mu.Unlock()

	n := reserveChunk(limit)
	c, err := l.store.CountRequests(ctx, bucket, start, reset, n)
	if err != nil {
		return RateDecision{}, fmt.Errorf("count requests: %w", err)
	}
	granted := min(n, max(0, int64(limit)-(c-n)))

	l.mu.Lock()
	w := l.windows[bucket]
	if w == nil || !w.start.Equal(start) {
		w = &heldWindow{start: start, end: reset}
		l.windows[bucket] = w
	}
	w.counted = max(w.counted, c)
	if granted > 0 {
		w.held += granted - 1
		d.Allowed = true
	}
	d.Remaining = remaining(limit, w)
	l.mu.Unlock()
	if !d.Allowed {
		d.RetryAfter = max(1, int(math.Ceil(reset.Sub(now).Seconds())))
	}
	return d, nil
}

// remaining is what the headers report as left in w.
func remaining(limit int, w *heldWindow) int {
	return int(max(0, int64(limit)-w.counted+w.held))
}

// tier returns the user's tier, from the cache while it is fresh.
func (l *RateLimiter) tier(ctx context.Context, userID string) (Tier, error) {
	now := l.clock.Now()
	l.mu.Lock()
	c, ok := l.tiers[userID]
	l.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.tier, nil
	}
	t, err := l.store.GetUserTier(ctx, userID)
	if err != nil {
		return "", fmt.Errorf("read tier: %w", err)
	}
	if t == "" {
		t = l.defaultTier
	}
	l.mu.Lock()
	if len(l.tiers) >= maxCachedTiers {
		clear(l.tiers)
	}
	l.tiers[userID] = cachedTier{tier: t, expires: now.Add(tierCacheTTL)}
	l.mu.Unlock()
	return t, nil
}

// sweepEvery is how often a limiter deletes expired windows.
const sweepEvery = time.Minute

// maybeSweep forgets the instance's reservations of ended windows and starts a sweep of
// the store's expired windows when the last one is sweepEvery old. The store's sweep runs
// off the request's path, bounded by its own timeout: the request does not wait for it,
// and a failure only leaves rows for the next sweep.
func (l *RateLimiter) maybeSweep(now time.Time) {
	last := l.lastSweep.Load()
	if now.Unix()-last < int64(sweepEvery/time.Second) || !l.lastSweep.CompareAndSwap(last, now.Unix()) {
		return
	}
	l.mu.Lock()
	for bucket, w := range l.windows {
		if !w.end.After(now) {
			delete(l.windows, bucket)
		}
	}
	l.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = l.store.DeleteExpiredRateWindows(ctx, now)
	}()
}
