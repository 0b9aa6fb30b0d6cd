// Package sandbox is the adapter behind test-mode accounts of every platform. It never
// makes a network call: it answers like the platform would, with ids and URLs of the
// platform's own shape, so an integration built against test mode sees realistic data.
//
// A publish's id is derived from its idempotency key, so a retried publish gets the same
// id, as it would from a platform that deduplicates. An account's simulate setting makes
// its publishes fail the way a real platform can, like a payment API's test cards.
package sandbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
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

// names are the platforms' display names, and the list of platforms the sandbox knows.
var names = map[string]string{
	"twitter": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "linkedin": "LinkedIn",
	"threads": "Threads", "instagram": "Instagram", "facebook": "Facebook", "tiktok": "TikTok",
	"youtube": "YouTube", "discord": "Discord", "slack": "Slack", "telegram": "Telegram",
}

// Adapter is the sandbox platform.Adapter for one platform and simulate setting.
type Adapter struct {
	platform string
	simulate string
}

var (
	_ platform.Adapter    = (*Adapter)(nil)
	_ platform.Idempotent = (*Adapter)(nil)
)

// Idempotent reports true: the same idempotency key gives the same post.
func (a *Adapter) Idempotent() bool { return true }

// New returns the sandbox adapter for a platform (one of the twelve) whose publishes
// behave as simulate says ("" is "none").
func New(platformName, simulate string) (*Adapter, error) {
	if _, ok := names[platformName]; !ok {
		return nil, fmt.Errorf("sandbox: unknown platform %q", platformName)
	}
	switch simulate {
	case "", SimulateNone, SimulateTokenExpired, SimulateRateLimited, SimulateServerError:
	default:
		return nil, fmt.Errorf("sandbox: unknown simulate value %q", simulate)
	}
	return &Adapter{platform: platformName, simulate: simulate}, nil
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
	d := newDigest(seed)

	p := platform.Profile{
		UserID:      d.digits(19),
		Username:    "sandbox_" + a.platform + "_" + num,
		DisplayName: "Sandbox " + names[a.platform],
	}
	switch a.platform {
	case "bluesky":
		p.UserID = "did:plc:" + d.base32(24)
		p.Username = "sandbox-" + num + ".bsky.social"
	case "mastodon":
		p.UserID = d.digits(18)
		p.Username = "sandbox_" + num + "@mastodon.example"
	case "linkedin":
		p.UserID = d.base64(10)
	case "youtube":
		p.UserID = "UC" + d.base64(22)
	case "telegram":
		p.UserID = "-100" + d.digits(10)
	case "slack":
		p.UserID = "U0" + strings.ToUpper(d.base32(9))
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

	seed := []byte(a.platform + "\x00" + p.IdempotencyKey)
	if p.IdempotencyKey == "" {
		// Nothing to be deterministic about: two unkeyed posts must not share an id.
		seed = make([]byte, 32)
		_, _ = rand.Read(seed)
	}
	return a.ref(newDigest(seed)), nil, nil
}

func (a *Adapter) ref(d digest) platform.Ref {
	switch a.platform {
	case "twitter":
		id := "1" + d.digits(18)
		return platform.Ref{ID: id, URL: "https://x.com/i/status/" + id}
	case "bluesky":
		rkey := d.tid()
		return platform.Ref{
			ID:  "at://" + sandboxDID + "/app.bsky.feed.post/" + rkey,
			CID: "bafyrei" + d.base32(52),
			URL: "https://bsky.app/profile/sandbox.bsky.social/post/" + rkey,
		}
	case "mastodon":
		id := "11" + d.digits(16)
		return platform.Ref{ID: id, URL: "https://mastodon.example/@sandbox/" + id}
	case "linkedin":
		urn := "urn:li:share:7" + d.digits(18)
		return platform.Ref{ID: urn, URL: "https://www.linkedin.com/feed/update/" + urn}
	case "threads":
		return platform.Ref{ID: "1" + d.digits(16), URL: "https://www.threads.net/@sandbox/post/" + d.base64(11)}
	case "instagram":
		return platform.Ref{ID: "1" + d.digits(16), URL: "https://www.instagram.com/p/" + d.base64(11) + "/"}
	case "facebook":
		post := "1" + d.digits(16)
		return platform.Ref{ID: sandboxPage + "_" + post, URL: "https://www.facebook.com/" + sandboxPage + "/posts/" + post}
	case "tiktok":
		id := "7" + d.digits(18)
		return platform.Ref{ID: id, URL: "https://www.tiktok.com/@sandbox/video/" + id}
	case "youtube":
		id := d.base64(11)
		return platform.Ref{ID: id, URL: "https://www.youtube.com/watch?v=" + id}
	case "discord":
		id := "1" + d.digits(18)
		return platform.Ref{ID: id, URL: "https://discord.com/channels/" + sandboxGuild + "/" + sandboxChannel + "/" + id}
	case "slack":
		ts := "17" + d.digits(8) + "." + d.digits(6)
		return platform.Ref{ID: ts, URL: "https://sandbox.slack.com/archives/C0SANDBOX01/p" + strings.ReplaceAll(ts, ".", "")}
	default: // telegram, the last of the twelve New admits
		id := fmt.Sprint(1 + binary.BigEndian.Uint32(d[:4])%999999)
		return platform.Ref{ID: id, URL: "https://t.me/sandbox_channel/" + id}
	}
}

// Fixed ids of the made-up places sandbox posts go to.
const (
	sandboxDID     = "did:plc:sandboxoctopost234567abc"
	sandboxPage    = "102938475610293"
	sandboxGuild   = "1100000000000000001"
	sandboxChannel = "1100000000000000002"
)

// digest is a hash from which ids of every shape are cut.
type digest [32]byte

func newDigest(seed []byte) digest { return sha256.Sum256(seed) }

// digits returns n (at most 32) decimal digits.
func (d digest) digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0' + d[i]%10
	}
	return string(b)
}

// base32 returns n characters of lower-case base32, the alphabet of did:plc and CIDs.
func (d digest) base32(n int) string {
	s := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(append(d[:], d[:]...)))
	return s[:n]
}

// base64 returns n characters of URL-safe base64, the alphabet of YouTube ids and
// Instagram shortcodes.
func (d digest) base64(n int) string {
	return base64.RawURLEncoding.EncodeToString(d[:])[:n]
}

// tid returns an AT Protocol TID: 13 base32-sortable characters, top bit clear.
func (d digest) tid() string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	v := binary.BigEndian.Uint64(d[:8]) >> 1
	out := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		out[i] = alphabet[v&31]
		v >>= 5
	}
	return string(out)
}
