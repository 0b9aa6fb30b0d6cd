package service

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by a Store when no row matches the id and scope asked for.
var ErrNotFound = errors.New("not found")

// ErrDuplicate is returned by a Store when a unique value (a user's email) is taken.
var ErrDuplicate = errors.New("duplicate")

// PostFilter selects a page of posts, newest first. Posts are paged by keyset on the id,
// which sorts by creation time, so every page costs the same however deep it is.
type PostFilter struct {
	Status   *PostStatus
	Platform *Platform
	BeforeID string // only posts with a smaller id; empty for the first page
	Limit    int
}

// Store is the storage behind the service: one implementation per database engine, all
// held to the same conformance suite (db/storetest). Every method that reads or writes a
// user's resource takes its Scope, and never matches a row of another user or mode.
type Store interface {
	// InTx runs fn in one transaction: all of its writes land, or none do. A write's
	// failure may be reported late, by a later statement of fn or by InTx itself (the
	// PostgreSQL store sends some writes with the next statement); InTx then returns it
	// and rolls back, whatever fn returned.
	InTx(ctx context.Context, fn func(Store) error) error
	// DriverTx returns the database driver's transaction that a Store handed out by InTx
	// runs in (a *sql.Tx on SQLite, a pgx.Tx on PostgreSQL), and nil outside a
	// transaction. It is the explicit hand-over to the job queue, which enqueues in the
	// same transaction as the change that calls for the job; nothing else writes through
	// it. A wrapper of the store passes its inner store's DriverTx through.
	DriverTx() any

	CreateUser(ctx context.Context, u User) error // ErrDuplicate when the email is taken
	GetUserByEmail(ctx context.Context, email string) (User, error)
	UserStore

	CreateAPIKey(ctx context.Context, k APIKey) error
	// GetAPIKeyByHash is the one indexed read the authentication of a request costs.
	GetAPIKeyByHash(ctx context.Context, hash string) (APIKey, error)
	ListAPIKeys(ctx context.Context, userID string) ([]APIKey, error) // newest first
	// RevokeAPIKey sets revoked_at unless already set and returns the key as stored.
	RevokeAPIKey(ctx context.Context, id string, at time.Time) (APIKey, error)
	// RevokeUserAPIKey is RevokeAPIKey for a key of userID only: ErrNotFound for another's.
	RevokeUserAPIKey(ctx context.Context, userID, id string, at time.Time) (APIKey, error)
	// TouchAPIKey sets last_used_at to at, unless it is already after at-minAge.
	TouchAPIKey(ctx context.Context, id string, at time.Time, minAge time.Duration) error

	CreatePost(ctx context.Context, p Post) error
	GetPost(ctx context.Context, s Scope, id string) (Post, error)
	// GetPostForUpdate reads a post inside InTx and keeps others from changing it until
	// the transaction ends.
	GetPostForUpdate(ctx context.Context, s Scope, id string) (Post, error)
	ListPosts(ctx context.Context, s Scope, f PostFilter) ([]Post, error)
	UpdatePost(ctx context.Context, p Post) error // replaces every field but id, scope, created_at
	DeletePost(ctx context.Context, s Scope, id string) error

	CreatePreset(ctx context.Context, p Preset) error
	GetPreset(ctx context.Context, s Scope, id string) (Preset, error)
	ListPresets(ctx context.Context, s Scope) ([]Preset, error) // oldest first
	UpdatePreset(ctx context.Context, p Preset) error
	DeletePreset(ctx context.Context, s Scope, id string) error
	// ClearDefaultPreset unsets is_default on the scope's default preset, if any.
	ClearDefaultPreset(ctx context.Context, s Scope, at time.Time) error

	AccountStore
	PublishingStore
	OAuthStateStore
	QueueStore
	QueueSlotStore

	CreateWebhook(ctx context.Context, w Webhook) error
	GetWebhook(ctx context.Context, s Scope, id string) (Webhook, error)
	ListWebhooks(ctx context.Context, s Scope) ([]Webhook, error) // newest first
	UpdateWebhook(ctx context.Context, w Webhook) error
	DeleteWebhook(ctx context.Context, s Scope, id string) error

	WebhookSecretStore
	DeliveryStore

	// Rate limits (ratelimit.go) and idempotency keys (idempotency.go).
	RateLimitStore
	IdempotencyStore
}

// QueueStore keeps the queue's settings and reads the posts in it (queue.go).
type QueueStore interface {
	// GetQueueSettings returns the scope's settings as last put: ErrNotFound when the scope
	// never set any.
	GetQueueSettings(ctx context.Context, s Scope) (QueueSettings, error)
	// PutQueueSettings creates or replaces the scope's settings; UpdatedAt must be set.
	PutQueueSettings(ctx context.Context, s Scope, q QueueSettings) error
	// ListQueue returns up to limit of the scope's approved queued posts, in the queue's
	// order: by QueuedAt, then id.
	ListQueue(ctx context.Context, s Scope, limit int) ([]Post, error)
	// ListQueueIDs is ListQueue's ids only, read from the queue's index: what a post's
	// position costs.
	ListQueueIDs(ctx context.Context, s Scope, limit int) ([]string, error)
	// CountQueue counts the scope's posts in the queue, queued and pending. Inside InTx it
	// also keeps other transactions from entering the scope's queue until this one ends, so
	// that a count checked against the queue's bound stays true until the post is written.
	CountQueue(ctx context.Context, s Scope) (int, error)
}

// QueueSlotStore is what firing the queue's slots needs (queue_fire.go): the slots
// claimed, one post each, and the queued posts that fill them.
type QueueSlotStore interface {
	// QueueScopes lists the scopes that have at least one approved queued post.
	QueueScopes(ctx context.Context) ([]Scope, error)
	// ClaimQueueSlot records that the scope's slot at `at` publishes postID, and reports
	// false, writing nothing, when the slot is already claimed: of concurrent claims of
	// one slot, from any instance, exactly one reports true.
	ClaimQueueSlot(ctx context.Context, s Scope, at time.Time, postID string) (bool, error)
	// OldestQueuedPostForUpdate returns the scope's first approved queued post (by
	// QueuedAt, then id) and, inside InTx, keeps others from changing it until the
	// transaction ends; ErrNotFound when there is none.
	OldestQueuedPostForUpdate(ctx context.Context, s Scope) (Post, error)
	// DeleteQueueSlotsBefore deletes the claims of the slots before `before`.
	DeleteQueueSlotsBefore(ctx context.Context, before time.Time) error
}

// WebhookSecrets are one webhook's signing secrets as the store keeps them.
type WebhookSecrets struct {
	WebhookID      string
	Secret         string
	PreviousSecret *string
}

// WebhookSecretStore is what sealing the secrets stored in plaintext, at start, needs: it
// works across every scope, in bounded batches (see Service.SealWebhookSecrets).
type WebhookSecretStore interface {
	// ListUnsealedWebhookSecrets returns, by id, up to limit webhooks of any scope with an
	// id after afterID whose secret, or previous secret, does not start with prefix.
	ListUnsealedWebhookSecrets(ctx context.Context, prefix, afterID string, limit int) ([]WebhookSecrets, error)
	// ReplaceWebhookSecrets writes to's secrets over those of webhook from.WebhookID, but
	// only while they are still from's (a compare-and-set): ErrNotFound when they changed,
	// or the webhook is gone. Nothing else of the webhook changes, updated_at included.
	ReplaceWebhookSecrets(ctx context.Context, from, to WebhookSecrets) error
}

// AccountStore keeps connected accounts and the event outbox.
type AccountStore interface {
	CreateAccount(ctx context.Context, a Account) error
	GetAccount(ctx context.Context, s Scope, id string) (Account, error)
	// GetAccountForUpdate reads an account inside InTx and keeps others from changing or
	// locking it until the transaction ends: refreshing its OAuth token is serialized by it.
	GetAccountForUpdate(ctx context.Context, s Scope, id string) (Account, error)
	// LocksDatabase reports whether a transaction that writes holds the whole database
	// (SQLite's single writer) rather than the rows it touches (PostgreSQL). Such a
	// database is embedded in one process: the service serializes slow work on an
	// account in that process and keeps it out of transactions, which would hold up
	// every other write while the platform answers.
	LocksDatabase() bool
	ListAccounts(ctx context.Context, s Scope) ([]Account, error) // oldest first
	// ActiveAccount returns the scope's most recently connected active account on
	// platform, the one posts to that platform go out through.
	ActiveAccount(ctx context.Context, s Scope, platform Platform) (Account, error)
	UpdateAccount(ctx context.Context, a Account) error // every field but id, scope, platform, connected_at
	DeleteAccount(ctx context.Context, s Scope, id string) error

	// AddEvent appends to the outbox that webhook delivery reads.
	AddEvent(ctx context.Context, e Event) error
	// ListEvents returns the scope's events, oldest first (for tests and, later, delivery).
	ListEvents(ctx context.Context, s Scope) ([]Event, error)
}

// PublishingStore keeps the publishing engine's durable record of each send to a platform
// (see PublishAttempt).
type PublishingStore interface {
	// CreateAttempt records a new attempt; ErrDuplicate when the post already has one for
	// the platform and segment.
	CreateAttempt(ctx context.Context, a PublishAttempt) error
	// ListAttempts returns the post's attempts on platform, by segment.
	ListAttempts(ctx context.Context, s Scope, postID string, platform Platform) ([]PublishAttempt, error)
	// UpdateAttempt writes a over the stored attempt of the same post, platform and segment,
	// but only while that is still the version from (same State, Owner and Tries): a
	// compare-and-set, so of two workers racing on one attempt exactly one wins. The loser
	// gets ErrNotFound.
	UpdateAttempt(ctx context.Context, a, from PublishAttempt) error
}

// UserStore keeps what the dashboard's sign-in needs: passwords, sessions and the counts of
// failed sign-ins (service/users.go, service/sessions.go).
type UserStore interface {
	HasUsers(ctx context.Context) (bool, error)
	// CreateFirstUser adds u, with the password hash, only while there is no user at all,
	// and reports whether it did. Of concurrent calls on one database exactly one creates.
	CreateFirstUser(ctx context.Context, u User, passwordHash string) (bool, error)
	// SetUserPassword replaces the user's password hash; "" removes it. ErrNotFound when
	// there is no such user.
	SetUserPassword(ctx context.Context, userID, passwordHash string) error
	// GetUserForSignIn is GetUserByEmail with the user's password hash ("" for none).
	GetUserForSignIn(ctx context.Context, email string) (User, string, error)

	// CreateSession stores a session under the SHA-256 (hex) of its token.
	CreateSession(ctx context.Context, s Session, tokenHash string) error
	// GetSessionByTokenHash returns the unrevoked session with this token hash, expired or
	// not, and its user; ErrNotFound when there is none.
	GetSessionByTokenHash(ctx context.Context, tokenHash string) (Session, User, error)
	// TouchSession sets the session's last_seen_at to at and its expires_at, unless it was
	// last seen after at-minAge or is revoked.
	TouchSession(ctx context.Context, id string, at, expiresAt time.Time, minAge time.Duration) error
	// RevokeSessionByTokenHash sets revoked_at unless already set; no session is no error.
	RevokeSessionByTokenHash(ctx context.Context, tokenHash string, at time.Time) error
	// RevokeSession sets revoked_at of the user's session unless already set; ErrNotFound
	// when the user has no session with this id.
	RevokeSession(ctx context.Context, userID, id string, at time.Time) error
	// RevokeUserSessions revokes every unrevoked session of the user.
	RevokeUserSessions(ctx context.Context, userID string, at time.Time) error
	// ListSessions returns up to limit of the user's sessions that are neither revoked nor
	// expired at now, newest first.
	ListSessions(ctx context.Context, userID string, now time.Time, limit int) ([]Session, error)
	// DeleteEndedSessions deletes every session expired at now or revoked.
	DeleteEndedSessions(ctx context.Context, now time.Time) error

	// GetSignInFailures returns the count of bucket's window starting at window; 0 when
	// there is none.
	GetSignInFailures(ctx context.Context, bucket string, window time.Time) (int64, error)
	// AddSignInFailures adds n (which may be negative) to the count of bucket's window,
	// creating it to expire at expires, in one atomic statement, and returns the count it
	// made: concurrent calls, from any instance on the database, each see their own.
	AddSignInFailures(ctx context.Context, bucket string, window, expires time.Time, n int64) (int64, error)
	// DeleteExpiredSignInWindows deletes the windows that expired at or before now.
	DeleteExpiredSignInWindows(ctx context.Context, now time.Time) error
}
