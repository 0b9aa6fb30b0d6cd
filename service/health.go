package service

// Readiness
//
// Readiness says whether this instance should get traffic. It is not the liveness probe
// (GET /healthz answers as long as the process serves HTTP): a supervisor restarts a
// process whose liveness fails, while a load balancer only stops routing to one whose
// readiness fails, so readiness may fail for passing reasons (the database restarting,
// a deployment whose migrations another instance is still applying) without the process
// being killed for it.
//
// The checks are given by whoever assembles the instance (serve), since only it holds the
// database and the queue; each is named by the part it covers, and a failing one is
// reported by that name, never by its error's text (which may carry a database address).
// Drain marks the instance as shutting down: from then on readiness fails with
// PartShuttingDown whatever the checks say, so that a load balancer takes it out of
// rotation while the HTTP server still answers the requests it already has.

import (
	"context"
	"sync/atomic"
	"time"
)

// readinessCheckTimeout bounds each check, so that a database that hangs makes the probe
// answer 503 promptly rather than time out at the load balancer.
const readinessCheckTimeout = 2 * time.Second

// ReadinessPart names a part of the instance that readiness checks.
type ReadinessPart string

// The parts readiness names when they fail, as openapi.yaml's ReadinessPart lists them.
const (
	PartDatabase     ReadinessPart = "database"
	PartMigrations   ReadinessPart = "migrations"
	PartQueue        ReadinessPart = "queue"
	PartShuttingDown ReadinessPart = "shutting_down"
)

// ReadinessCheck is one part's check: nil when the part is ready.
type ReadinessCheck struct {
	Part  ReadinessPart
	Check func(ctx context.Context) error
}

// Readiness runs the checks of an instance's parts. The zero value has no checks and is
// ready until Drain.
type Readiness struct {
	checks   []ReadinessCheck
	draining atomic.Bool
}

// NewReadiness returns the readiness of an instance made of the parts checks covers, in
// the order they are reported.
func NewReadiness(checks ...ReadinessCheck) *Readiness {
	return &Readiness{checks: checks}
}

// Drain marks the instance as shutting down; readiness fails from now on.
func (r *Readiness) Drain() { r.draining.Store(true) }

// Draining reports whether Drain was called.
func (r *Readiness) Draining() bool { return r.draining.Load() }

// Failing runs every check and returns the parts that fail, PartShuttingDown first once
// the instance drains; empty when the instance is ready. The checks run even while
// draining, so that the answer names every problem at once.
func (r *Readiness) Failing(ctx context.Context) []ReadinessPart {
	failing := []ReadinessPart{}
	if r.draining.Load() {
		failing = append(failing, PartShuttingDown)
	}
	for _, c := range r.checks {
		checkCtx, cancel := context.WithTimeout(ctx, readinessCheckTimeout)
		err := c.Check(checkCtx)
		cancel()
		if err != nil {
			failing = append(failing, c.Part)
		}
	}
	return failing
}
