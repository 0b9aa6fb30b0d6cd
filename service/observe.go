package service

import "time"

// Observer is told of the events an operator watches: each send to a platform and how it
// ended, how late a post's first call to a platform was, and each API key check. The
// service knows no metrics library: the command implements Observer with Prometheus
// (package metrics), and tests with a recorder. Its methods are called on the publishing
// and request paths, so they must be cheap and must not block.
type Observer interface {
	PublishAttempt(pl Platform, outcome PublishOutcome)
	// SchedulingDelay is how long after its due time (the time a post was scheduled for,
	// or the time it was published at for one published now) a post's first send to pl
	// started.
	SchedulingDelay(pl Platform, delay time.Duration)
	KeyCheck(result KeyCheckResult)
}

// PublishOutcome is how one send of one part of a post to a platform ended.
type PublishOutcome string

const (
	PublishSucceeded PublishOutcome = "success"
	// PublishRetrying is a transient failure that will be tried again.
	PublishRetrying PublishOutcome = "retry"
	// PublishFailed is a failure for good (including a transient one out of tries).
	PublishFailed PublishOutcome = "failure"
	// PublishTokenRejected is a failure for good because the platform refused the
	// account's credentials.
	PublishTokenRejected PublishOutcome = "token_rejected"
)

// PublishOutcomes lists every PublishOutcome, for an observer to declare its series.
var PublishOutcomes = []PublishOutcome{PublishSucceeded, PublishRetrying, PublishFailed, PublishTokenRejected}

// KeyCheckResult is how the check of one presented API key ended.
type KeyCheckResult string

const (
	KeyValid KeyCheckResult = "valid"
	// KeyMalformed is not shaped like a key at all; the database was not asked.
	KeyMalformed KeyCheckResult = "malformed"
	KeyUnknown   KeyCheckResult = "unknown"
	// KeyRevoked is a revoked key, or one presented in the other mode than its own.
	KeyRevoked KeyCheckResult = "revoked"
	// KeyError is a check that could not finish (the database failed).
	KeyError KeyCheckResult = "error"
)

// KeyCheckResults lists every KeyCheckResult.
var KeyCheckResults = []KeyCheckResult{KeyValid, KeyMalformed, KeyUnknown, KeyRevoked, KeyError}

// noObserver is the Observer of a service configured without one.
type noObserver struct{}

func (noObserver) PublishAttempt(Platform, PublishOutcome) {}
func (noObserver) SchedulingDelay(Platform, time.Duration) {}
func (noObserver) KeyCheck(KeyCheckResult)                 {}

func (s *Service) observer() Observer {
	if s.config.Observer == nil {
		return noObserver{}
	}
	return s.config.Observer
}
