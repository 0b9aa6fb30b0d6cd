package service

import "time"

// Clock is the one source of time for everything time-dependent, so tests can move time
// instead of sleeping.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time in UTC, truncated to microseconds: the precision both
// databases keep, so a value reads back exactly as it was written.
func (SystemClock) Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }
