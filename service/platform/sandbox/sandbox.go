// Package sandbox is the adapter behind test-mode accounts of every platform. It never
// makes a network call: it answers like the platform would, with ids and URLs of the
// platform's own shape (its Spec's Sandbox says which), so an integration built against
// test mode sees realistic data.
//
// A publish's id is derived from its idempotency key, so a retried publish gets the same
// id, as it would from a platform that deduplicates. An account's simulate setting makes
// its publishes fail the way a real platform can, like a payment API's test cards.
package sandbox

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
)

// Simulated failures, as an account's simulate setting names them.
const (
	SimulateNone         = "none"
	SimulateTokenExpired = "token_expired"
	SimulateRateLimited  = "rate_limited"
	SimulateServerError  = "server_error"
)

// RateLimitRetryAfter is how long a rate-limited sandbox account asks the engine to wait.
const RateLimitRetryAfter = 30 * time.Second

// Adapter is the sandbox platform.Adapter for one platform and simulate setting.
type Adapter struct {
	spec     platform.Spec
	simulate string
	account  platform.Profile // who publishes; empty until As
}

var (
	_ platform.Adapter    = (*Adapter)(nil)
	_ platform.Idempotent = (*Adapter)(nil)
)

// Idempotent reports true: the same idempotency key gives the same post.
func (a *Adapter) Idempotent() bool { return true }

// New returns the sandbox adapter for a platform, whose Spec says what its accounts and
// posts look like, and whose publishes behave as simulate says ("" is "none").
func New(spec platform.Spec, simulate string) (*Adapter, error) {
	if spec.Sandbox.Post == nil {
		return nil, fmt.Errorf("sandbox: unknown platform %q", spec.ID)
	}
	switch simulate {
	case "", SimulateNone, SimulateTokenExpired, SimulateRateLimited, SimulateServerError:
	default:
		return nil, fmt.Errorf("sandbox: unknown simulate value %q", simulate)
	}
	return &Adapter{spec: spec, simulate: simulate}, nil
}

// As returns the adapter publishing as account, the profile Connect made up for it: the
// ids and URLs of its posts name this account where the platform's name one.
func (a *Adapter) As(account platform.Profile) *Adapter {
	b := *a
	b.account = account
	return &b
}

// Connect returns a made-up profile with a random number in it, so that several sandbox
// accounts of one platform are told apart. It needs no credentials and stores none.
func (a *Adapter) Connect(ctx context.Context, _ platform.Credentials) (platform.Profile, platform.Credentials, error) {
	if err := ctx.Err(); err != nil {
		return platform.Profile{}, nil, err
	}
	n, err := rand.Int(rand.Reader, big.NewInt(900000))
	if err != nil {
		return platform.Profile{}, nil, fmt.Errorf("sandbox: %w", err)
	}
	num := fmt.Sprint(100000 + n.Int64())
	seed := make([]byte, 32)
	_, _ = rand.Read(seed) // crypto/rand.Read never fails
	d := sandboxid.New(seed)

	p := platform.Profile{
		UserID:      d.Digits(19),
		Username:    "sandbox_" + a.spec.ID + "_" + num,
		DisplayName: "Sandbox " + a.spec.Name,
	}
	if a.spec.Sandbox.Profile != nil {
		a.spec.Sandbox.Profile(&p, d, num)
	}
	return p, nil, nil
}

// Publish fails as the account's simulate setting says, or returns the ids and URL the
// platform would, the same ones for the same idempotency key.
func (a *Adapter) Publish(ctx context.Context, _ platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	if err := ctx.Err(); err != nil {
		return platform.Ref{}, nil, err
	}
	switch a.simulate {
	case SimulateTokenExpired:
		return platform.Ref{}, nil, &platform.Error{Kind: platform.TokenRejected, Status: http.StatusUnauthorized,
			Message: "the access token has expired (simulated by this sandbox account)"}
	case SimulateRateLimited:
		return platform.Ref{}, nil, &platform.Error{Kind: platform.Transient, Status: http.StatusTooManyRequests,
			Message: "rate limit reached (simulated by this sandbox account)", RetryAfter: RateLimitRetryAfter}
	case SimulateServerError:
		return platform.Ref{}, nil, &platform.Error{Kind: platform.Transient, Status: http.StatusInternalServerError,
			Message: "the platform failed with a server error (simulated by this sandbox account)"}
	}

	seed := []byte(a.spec.ID + "\x00" + p.IdempotencyKey)
	if p.IdempotencyKey == "" {
		// Nothing to be deterministic about: two unkeyed posts must not share an id.
		seed = make([]byte, 32)
		_, _ = rand.Read(seed)
	}
	return a.spec.Sandbox.Post(sandboxid.New(seed), a.account), nil, nil
}
