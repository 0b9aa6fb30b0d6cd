package service

import "time"

// Simulate makes a test-mode (sandbox) account fail its publishes in a chosen way, like a
// payment API's test cards.
type Simulate string

const (
	SimulateNone         Simulate = "none"
	SimulateTokenExpired Simulate = "token_expired"
	SimulateRateLimited  Simulate = "rate_limited"
	SimulateServerError  Simulate = "server_error"
)

// Account is a connected account on one platform.
type Account struct {
	ID             string
	Scope          Scope
	Platform       Platform
	PlatformUserID string
	Username       string
	DisplayName    string
	AvatarURL      *string
	IsActive       bool
	// InactiveReason says why Octopost stopped using the account (its platform refused
	// its token), in the words its account.disconnected event carried; nil while active.
	InactiveReason *string
	ConnectedAt    time.Time
	LastUsedAt     *time.Time
	// Credentials are sealed (encrypted) platform.Credentials; nil for sandbox accounts.
	Credentials []byte
	// Simulate is set on sandbox (test-mode) accounts only.
	Simulate Simulate
}

// EventType names something that happened which webhooks can be told about.
type EventType string

const (
	EventPostPublished       EventType = "post.published"
	EventPostFailed          EventType = "post.failed"
	EventPostScheduled       EventType = "post.scheduled"
	EventAccountConnected    EventType = "account.connected"
	EventAccountDisconnected EventType = "account.disconnected"
)

// Event is a record, written in the same transaction as the change it describes, that
// webhook delivery turns into signed requests. Data is the JSON of the event's "data"
// object ({"post": …} or {"account": …}).
type Event struct {
	ID        string
	Scope     Scope
	Type      EventType
	Data      []byte
	CreatedAt time.Time
}
