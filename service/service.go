package service

import (
	"context"
	"net"
)

// Resolver looks up a host's addresses; net.DefaultResolver is one. Tests pass a fake so
// that no lookup leaves the machine.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Config holds the operator's choices that change business rules.
type Config struct {
	// AllowPrivateWebhooks lets webhook URLs use plain http and point at loopback or
	// private addresses. For local development only.
	AllowPrivateWebhooks bool
}

// Service implements every use case of the API and the operator CLI.
type Service struct {
	store    Store
	clock    Clock
	resolver Resolver
	config   Config
}

// New returns a Service over store. A nil clock means the system clock, a nil resolver
// net.DefaultResolver.
func New(store Store, clock Clock, resolver Resolver, config Config) *Service {
	if clock == nil {
		clock = SystemClock{}
	}
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	return &Service{store: store, clock: clock, resolver: resolver, config: config}
}

// Optional is a field of a partial update: Set is false when the caller left it out.
type Optional[T any] struct {
	Set   bool
	Value T
}

// Some returns an Optional that is set to v.
func Some[T any](v T) Optional[T] { return Optional[T]{Set: true, Value: v} }
