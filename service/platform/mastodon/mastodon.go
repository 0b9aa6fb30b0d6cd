// Package mastodon publishes statuses to a Mastodon instance with a user's access token.
//
// The instance is per account (creds["instance_url"]), so the adapter holds only the HTTP
// client, whose dialer decides which addresses may be reached. Retries are safe: every
// status is posted with the post's Idempotency-Key, which Mastodon remembers for an hour
// and answers with the status the first request created. A post's platform_options
// (options.go) set each status's visibility and content warning.
package mastodon

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// Credential keys.
const (
	KeyInstanceURL   = "instance_url"
	KeyAccessToken   = "access_token"
	KeyMaxCharacters = "max_characters" // added by Connect: the instance's status length limit
)

// DefaultMaxCharacters is a stock Mastodon server's limit, used when the instance does not
// say (servers older than 4.0 have no /api/v2/instance).
const DefaultMaxCharacters = 500

// Adapter is the Mastodon platform.Adapter.
type Adapter struct {
	client *http.Client
	now    func() time.Time
	// Media processing is polled every pollInterval, at most maxPolls times, before the
	// publish gives up (transiently) and a retry uploads again.
	pollInterval time.Duration
	maxPolls     int
}

var (
	_ platform.Adapter           = (*Adapter)(nil)
	_ platform.IdempotencyWindow = (*Adapter)(nil)
)

// New returns an adapter making its requests with client.
func New(client *http.Client) *Adapter {
	return &Adapter{client: client, now: time.Now, pollInterval: time.Second, maxPolls: 30}
}

// Idempotent reports true: a status is posted with the post's Idempotency-Key, and
// Mastodon answers a repeat with the status the first request created. (Image uploads are
// repeated; an unattached upload is harmless, and Mastodon deletes it after a day.)
func (a *Adapter) Idempotent() bool { return true }

// IdempotencyWindow is how long a repeated send is still deduplicated. Mastodon keeps an
// Idempotency-Key for about an hour; ten minutes less leaves room for clock skew and for
// the time the first send spent in flight.
func (a *Adapter) IdempotencyWindow() time.Duration { return 50 * time.Minute }

type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
	Avatar      string `json:"avatar"`
}

type instanceInfo struct {
	Domain        string `json:"domain"`
	Configuration struct {
		Statuses struct {
			MaxCharacters int `json:"max_characters"`
		} `json:"statuses"`
	} `json:"configuration"`
}

// Connect verifies the token and reads the instance's character limit, which it adds to
// the credentials so the engine can check a post's length before sending it.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	base, err := instanceURL(creds[KeyInstanceURL])
	if err != nil {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "%s", err)
	}
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "access_token is required")
	}

	var acct account
	if err := a.call(ctx, http.MethodGet, base+"/api/v1/accounts/verify_credentials", token, nil, &acct); err != nil {
		return platform.Profile{}, nil, connectError(err)
	}

	var info instanceInfo
	limit := DefaultMaxCharacters
	err = a.call(ctx, http.MethodGet, base+"/api/v2/instance", "", nil, &info)
	var pe *platform.Error
	switch {
	case err == nil:
		if n := info.Configuration.Statuses.MaxCharacters; n > 0 {
			limit = n
		}
	case errors.As(err, &pe) && pe.Status == http.StatusNotFound:
		// A server older than 4.0: it enforces the default.
	default:
		return platform.Profile{}, nil, connectError(err)
	}

	domain := info.Domain
	if domain == "" {
		u, _ := url.Parse(base) // instanceURL produced it
		domain = u.Host
	}
	username := acct.Acct
	if !strings.Contains(username, "@") {
		username += "@" + domain
	}
	return platform.Profile{
			UserID: acct.ID, Username: username, DisplayName: acct.DisplayName, AvatarURL: acct.Avatar,
		}, platform.Credentials{
			KeyInstanceURL: base, KeyAccessToken: token, KeyMaxCharacters: strconv.Itoa(limit),
		}, nil
}

// connectError turns a refusal into InvalidCredentials; outages stay transient.
func connectError(err error) error {
	var pe *platform.Error
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case pe.Kind == platform.TokenRejected || pe.Status == http.StatusForbidden:
		return &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: "Mastodon rejected the access token"}
	case pe.Status == http.StatusNotFound:
		return &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: "instance_url does not serve the Mastodon API"}
	case pe.Kind == platform.Permanent:
		return &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message, Err: pe.Err}
	}
	return err
}

type status struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	URI string `json:"uri"`
}

// Publish uploads the post's images, then posts the status. The credentials never change.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	base, err := instanceURL(creds[KeyInstanceURL])
	if err != nil {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "%s", err)
	}
	token := creds[KeyAccessToken]
	opts, err := decodeOptions(p.Options)
	if err != nil {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "mastodon: platform_options are not Mastodon's: %s", err)
	}

	body := map[string]any{"status": p.Text, "visibility": cmp.Or(opts.Visibility, "public")}
	if opts.SpoilerText != "" {
		body["spoiler_text"] = opts.SpoilerText
	}
	if p.ReplyTo != nil {
		body["in_reply_to_id"] = p.ReplyTo.ID
	}
	if len(p.Images) > 0 {
		ids := make([]string, 0, len(p.Images))
		for _, img := range p.Images {
			id, err := a.uploadImage(ctx, base, token, img)
			if err != nil {
				return platform.Ref{}, nil, err
			}
			ids = append(ids, id)
		}
		body["media_ids"] = ids
	}
	payload, err := json.Marshal(body)
	if err != nil {
		return platform.Ref{}, nil, fmt.Errorf("mastodon: encode status: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/statuses", bytes.NewReader(payload))
	if err != nil {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "mastodon: %s", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if p.IdempotencyKey != "" {
		req.Header.Set("Idempotency-Key", p.IdempotencyKey)
	}
	var st status
	if err := a.send(req, token, &st); err != nil {
		return platform.Ref{}, nil, err
	}
	ref := platform.Ref{ID: st.ID, URL: st.URL}
	if ref.URL == "" {
		ref.URL = st.URI
	}
	return ref, nil, nil
}

// instanceURL checks that raw is an instance's base URL and returns it in canonical form.
// Which hosts may be reached is the HTTP client's concern, not this check's.
func instanceURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("instance_url must be an https URL with no path, such as https://mastodon.social")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}
