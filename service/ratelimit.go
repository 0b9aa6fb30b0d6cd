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
//     returns the new count (CountRequest). That is one statement per request per window,
//     and instances sharing the database share the count: two instances together admit
//     exactly the limit, since each request sees the count its own increment produced.
//   - on SQLite, in the process (the database belongs to one server process), under a
//     mutex: no write to the single-writer database on every GET.
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
	// CountRequest adds one to the count of bucket in the window starting at window and
	// returns the count after it, atomically: of n concurrent calls, across every process
	// sharing the count, each gets a different number from 1 to n. expires is when the
	// window's count may be forgotten.
	CountRequest(ctx context.Context, bucket string, window, expires time.Time) (int64, error)
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

	mu    sync.Mutex
	tiers map[string]cachedTier

	lastSweep atomic.Int64 // unix seconds of the last sweep started
}

type cachedTier struct {
	tier    Tier
	expires time.Time
}

// NewRateLimiter returns a limiter over the service's store and clock.
func (s *Service) NewRateLimiter(cfg RateLimitConfig) (*RateLimiter, error) {
	def := cfg.DefaultTier
	if def == "" {
		def = TierFree
	}
	if !def.Valid() {
		return nil, fmt.Errorf("default tier %q is not one of %v", def, Tiers)
	}
	return &RateLimiter{store: s.store, clock: s.clock, defaultTier: def, tiers: map[string]cachedTier{}}, nil
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

// count adds the request to its window of length size and judges it against limit.
func (l *RateLimiter) count(ctx context.Context, bucket string, now time.Time, size time.Duration, limit int) (RateDecision, error) {
	start := now.Truncate(size)
	reset := start.Add(size)
	n, err := l.store.CountRequest(ctx, bucket, start, reset)
	if err != nil {
		return RateDecision{}, fmt.Errorf("count request: %w", err)
	}
	d := RateDecision{Limited: true, Allowed: n <= int64(limit), Limit: limit, Reset: reset,
		Remaining: int(max(0, int64(limit)-n))}
	if !d.Allowed {
		d.RetryAfter = max(1, int(math.Ceil(reset.Sub(now).Seconds())))
	}
	return d, nil
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

// maybeSweep starts a sweep of expired windows when the last one is sweepEvery old. The
// sweep runs off the request's path, bounded by its own timeout: the request does not
// wait for it, and a failure only leaves rows for the next sweep.
func (l *RateLimiter) maybeSweep(now time.Time) {
	last := l.lastSweep.Load()
	if now.Unix()-last < int64(sweepEvery/time.Second) || !l.lastSweep.CompareAndSwap(last, now.Unix()) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = l.store.DeleteExpiredRateWindows(ctx, now)
	}()
}
