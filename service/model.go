// Package service holds Octopost's business rules: what a post, preset, webhook or API key
// is, what may change and when. It knows nothing of HTTP or SQL: the api package calls it,
// and it reaches storage only through the Store interface.
package service

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/octopost/octopost/service/apikey"
)

// Mode separates live (production) data from test (sandbox) data. Every stored resource
// belongs to one mode, and a key only ever sees the data of its own mode.
type Mode = apikey.Mode

const (
	ModeLive = apikey.Live
	ModeTest = apikey.Test
)

// Scope is the owner of a resource: one user in one mode. Every store read and write of a
// user's resource is filtered by both, so ids from another user or mode are simply not found.
type Scope struct {
	UserID string
	Mode   Mode
}

// User owns API keys and every resource created with them.
type User struct {
	ID        string
	Email     string
	CreatedAt time.Time
}

// Permission is a scope an API key can be limited to.
type Permission string

// Permissions lists every permission, in the contract's order.
var Permissions = []Permission{
	"posts:read", "posts:write",
	"accounts:read", "accounts:write",
	"presets:read", "presets:write",
	"webhooks:read", "webhooks:write",
}

// Valid reports whether p is one of Permissions.
func (p Permission) Valid() bool { return slices.Contains(Permissions, p) }

// APIKey is a stored key: only the hash of the secret is kept.
type APIKey struct {
	ID          string
	UserID      string
	Name        string
	Mode        Mode
	Permissions []Permission // empty means full access
	Hash        string       // hex SHA-256 of the full key
	Hint        string       // non-secret display hint, e.g. "oct_live_…a1B2"
	CreatedAt   time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
}

// Allows reports whether the key may perform an operation that needs p.
func (k APIKey) Allows(p Permission) bool {
	return len(k.Permissions) == 0 || slices.Contains(k.Permissions, p)
}

// Platform is a social platform Octopost publishes to.
type Platform string

// Platforms lists every platform, in the contract's order.
var Platforms = []Platform{
	"twitter", "bluesky", "mastodon", "linkedin", "threads", "instagram",
	"facebook", "tiktok", "youtube", "discord", "slack", "telegram",
}

// PostStatus is where a post is in its life: draft → scheduled → publishing → published | failed,
// or draft → queued → publishing → … for a post whose time the queue picks (queue.go).
type PostStatus string

const (
	PostDraft      PostStatus = "draft"
	PostScheduled  PostStatus = "scheduled"
	PostPublishing PostStatus = "publishing"
	PostPublished  PostStatus = "published"
	PostFailed     PostStatus = "failed"
	PostQueued     PostStatus = "queued" // in the queue: Queue says whether approved or pending
)

// Image is an image attached to a post or segment.
type Image struct {
	URL     string  `json:"url"`
	AltText *string `json:"alt_text"`
}

// Video is a video attached to a post or segment.
type Video struct {
	URL string `json:"url"`
}

// Media is what a post or segment carries besides text. The JSON tags are the storage form.
type Media struct {
	Images []Image `json:"images"`
	Video  *Video  `json:"video"`
}

// Segment is one reply of a thread, published after the post's main content.
type Segment struct {
	Content string `json:"content"`
	Media   Media  `json:"media"`
}

// PlatformContent is what one platform gets instead of the post's own content and media
// (platform_content.go). A nil field is the post's own. The JSON tags are the storage form.
type PlatformContent struct {
	Content *string `json:"content,omitempty"`
	Media   *Media  `json:"media,omitempty"`
}

// PlatformResult is the outcome of publishing a post on one platform.
type PlatformResult struct {
	Success bool   `json:"success"`
	PostID  string `json:"post_id,omitempty"`
	PostURL string `json:"post_url,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Post is content for one or more platforms.
type Post struct {
	ID              string
	Scope           Scope
	Content         string
	Platforms       []Platform
	Status          PostStatus
	ScheduledFor    *time.Time
	Media           Media
	Segments        []Segment // nil means none
	PresetID        *string
	PlatformOptions map[Platform]json.RawMessage // each platform's entry as given; nil: none
	PlatformContent map[Platform]PlatformContent // each platform's own text and media; nil: none
	PlatformResults map[Platform]PlatformResult
	CreatedAt       time.Time
	UpdatedAt       time.Time
	PublishedAt     *time.Time
	// Generation counts the changes to the post's publishing plan: scheduling,
	// rescheduling, unscheduling and every start of publishing. A job carries the
	// generation it was enqueued for and does nothing once the post has moved on.
	Generation int64
	// Queue is the post's state in its scope's queue (QueueNone outside it), and QueuedAt
	// when it entered the queue, which orders it; both are kept while the post is pending.
	Queue    QueueState
	QueuedAt *time.Time
	// QueuePlace is where a queued post stands, computed by the service when it returns
	// the post (never stored); nil for every other post.
	QueuePlace *QueuePlace
}

// Preset is a reusable set of platforms with cross-linking rules.
type Preset struct {
	ID                string
	Scope             Scope // zero for system presets
	Name              string
	Platforms         []Platform
	PrimaryPlatform   *Platform
	CrossLinkEnabled  bool
	CrossLinkTemplate string
	IsDefault         bool
	IsSystem          bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// WebhookEvent is an event a webhook endpoint can subscribe to.
type WebhookEvent string

// WebhookEvents lists every event, in the contract's order.
var WebhookEvents = []WebhookEvent{
	"post.published", "post.failed", "post.scheduled", "account.connected", "account.disconnected",
}

// Webhook is an endpoint that receives signed event notifications.
type Webhook struct {
	ID       string
	Scope    Scope
	URL      string
	Events   []WebhookEvent
	Secret   string // whsec_…; returned in full only on create and rotate
	IsActive bool
	// DisabledReason says why the endpoint is disabled, in the words its webhook.disabled
	// event carried (or DisabledByOwner); nil while it is active.
	DisabledReason *string
	// PreviousSecret keeps signing next to Secret until PreviousSecretExpiresAt, so that
	// receivers can roll over after a rotation without dropping deliveries.
	PreviousSecret          *string
	PreviousSecretExpiresAt *time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}
