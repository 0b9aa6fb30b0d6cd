package service

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/secretbox"
)

// Resolver looks up a host's addresses; net.DefaultResolver is one. Tests pass a fake so
// that no lookup leaves the machine.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// Config holds the operator's choices that change business rules.
type Config struct {
	// AllowPrivateWebhooks lets webhook URLs use plain http and point at loopback or
	// private addresses on any port. For local development only.
	AllowPrivateWebhooks bool
	// WebhookPorts are the ports webhook URLs may use besides 443 and 80
	// (OCTOPOST_WEBHOOK_PORTS).
	WebhookPorts []uint16

	// Platforms is what the service knows of each platform (how its accounts connect,
	// its text rule, its replies, its name): the registry, platforms.All, which the
	// command passes here so that the service imports no adapter. A platform missing from
	// it can be neither connected nor published to.
	Platforms platform.Registry
	// Adapters verify and publish through live accounts of the token-based platforms
	// (mastodon, bluesky, discord, slack, telegram), built from their Specs. A platform
	// without an adapter cannot be connected in live mode.
	Adapters map[Platform]platform.Adapter
	// Secrets seals live accounts' credentials before they are stored; connecting a live
	// account needs it.
	Secrets *secretbox.Box
	// Render gives events the API's JSON form of an account or a post; every change that
	// records an event needs it.
	Render EventRenderer
	// AllowInsecurePlatformURLs lets the URLs given when connecting an account
	// (instance_url, service_url, webhook_url) use plain http. For development and tests
	// against local fakes only: an access token sent over http can be read on the way.
	AllowInsecurePlatformURLs bool
	// ConnectTimeout bounds verifying an account with its platform when connecting it;
	// zero means DefaultConnectTimeout. It must end before the HTTP server's write
	// timeout, so that a platform that hangs gets the caller a 422, not a dropped
	// connection (serve derives both from one platform call: cmd/octopost/timeouts.go).
	ConnectTimeout time.Duration
	// OAuth is how accounts of the OAuth platforms connect (oauth.go).
	OAuth OAuthConfig
	// Observer is told of publish attempts, scheduling delays and key checks
	// (observe.go); nil: nobody is.
	Observer Observer
}

// Service implements every use case of the API and the operator CLI.
type Service struct {
	store      Store
	clock      Clock
	resolver   Resolver
	config     Config
	publishing publishing // set by SetQueue
	refreshes  keyedMutex // OAuth refreshes per account, where the database has one writer

	// webhookHTTP is the client deliveries are sent through (webhookClient), made once.
	webhookClientOnce sync.Once
	webhookHTTP       *http.Client
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
