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

// Now is the time by the service's clock: what a caller that shows times relative to now
// (the dashboard's calendar marks today) reads, so that tests move it with everything else.
func (s *Service) Now() time.Time { return s.clock.Now() }
