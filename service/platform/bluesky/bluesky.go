// Package bluesky publishes posts to Bluesky (an AT Protocol PDS) with an app password.
//
// Sessions are precious: createSession is limited to a few dozen a day per account, so
// Connect creates one, the credentials keep it, and every publish reuses it, refreshing
// it when the access token expires and handing the refreshed session back for storage.
//
// Retries are safe because a post's record key is derived from its idempotency key: a
// second create at the same key fails (today's PDS answers a bare 500), and the adapter
// then finds the record the first attempt stored and reports that as the result.
package bluesky

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// Credential keys. The caller gives the first three; Connect adds the session.
const (
	KeyIdentifier  = "identifier"   // handle, DID or email
	KeyAppPassword = "app_password" // kept so a lapsed session can be re-created
	KeyServiceURL  = "service_url"  // the PDS; the adapter's default when absent
	KeyDID         = "did"
	KeyHandle      = "handle"
	KeyAccessJWT   = "access_jwt"
	KeyRefreshJWT  = "refresh_jwt"
)

const postCollection = "app.bsky.feed.post"

// Adapter is the Bluesky platform.Adapter.
type Adapter struct {
	client         *http.Client
	defaultService string
	now            func() time.Time
}

var (
	_ platform.Adapter    = (*Adapter)(nil)
	_ platform.Idempotent = (*Adapter)(nil)
)

// Idempotent reports true: a post's record key is derived from its idempotency key, and
// a repeated create finds the record the first one stored, however long ago.
func (a *Adapter) Idempotent() bool { return true }

// New returns an adapter making its requests with client, to defaultService (such as
// https://bsky.social) for accounts that name no service_url of their own.
func New(client *http.Client, defaultService string) *Adapter {
	return &Adapter{client: client, defaultService: strings.TrimRight(defaultService, "/"), now: time.Now}
}

// session is an account's credentials in use; changed records that they must be stored.
type session struct {
	creds   platform.Credentials
	pds     string
	changed bool
}

func (s *session) access() string { return s.creds[KeyAccessJWT] }

// result returns the credentials to store, or nil when they did not change.
func (s *session) result() platform.Credentials {
	if !s.changed {
		return nil
	}
	return s.creds
}

type sessionAnswer struct {
	DID        string `json:"did"`
	Handle     string `json:"handle"`
	AccessJWT  string `json:"accessJwt"`
	RefreshJWT string `json:"refreshJwt"`
}

func (s *session) adopt(ans sessionAnswer) {
	s.creds[KeyDID], s.creds[KeyHandle] = ans.DID, ans.Handle
	s.creds[KeyAccessJWT], s.creds[KeyRefreshJWT] = ans.AccessJWT, ans.RefreshJWT
	s.changed = true
}

func (a *Adapter) newSession(creds platform.Credentials) (*session, error) {
	pds := a.defaultService
	if v := creds[KeyServiceURL]; v != "" {
		pds = v
	}
	u, err := url.Parse(pds)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("service_url must be an https URL with no path, such as https://bsky.social")
	}
	c := make(platform.Credentials, len(creds)+4)
	for k, v := range creds {
		c[k] = v
	}
	return &session{creds: c, pds: u.Scheme + "://" + strings.ToLower(u.Host)}, nil
}

// login creates a session with the app password.
func (a *Adapter) login(ctx context.Context, s *session) error {
	var ans sessionAnswer
	err := a.do(ctx, s.pds, "", xrpcCall{
		method: http.MethodPost, nsid: "com.atproto.server.createSession",
		body: map[string]string{"identifier": s.creds[KeyIdentifier], "password": s.creds[KeyAppPassword]},
	}, &ans)
	if err != nil {
		return err
	}
	s.adopt(ans)
	return nil
}

// loginRefused returns the TokenRejected error for a createSession that refused the
// identifier or password, or nil for a failure a retry may cure.
func loginRefused(err error) *platform.Error {
	var e *xrpcError
	if !errors.As(err, &e) || e.Status < 400 || e.Status >= 500 || e.Status == http.StatusTooManyRequests {
		return nil
	}
	return &platform.Error{Kind: platform.TokenRejected, Status: e.Status, Message: "Bluesky rejected the app password"}
}

// renew replaces an expired access token: with the refresh token while it lasts (it is
// rotated, so the new one must be stored), else with a new session from the app
// password, which is what keeps an account that posts less often than its refresh token
// lives (about two months) connected.
func (a *Adapter) renew(ctx context.Context, s *session) error {
	var ans sessionAnswer
	err := a.do(ctx, s.pds, s.creds[KeyRefreshJWT], xrpcCall{method: http.MethodPost, nsid: "com.atproto.server.refreshSession"}, &ans)
	if err == nil {
		s.adopt(ans)
		return nil
	}
	var e *xrpcError
	if !errors.As(err, &e) || !(e.sessionExpired() || e.Name == "AuthenticationRequired") {
		return classify(err) // an outage, not a refusal: the account stays connected
	}
	if s.creds[KeyAppPassword] == "" {
		return &platform.Error{Kind: platform.TokenRejected, Status: e.Status, Message: "Bluesky ended the session"}
	}
	if err := a.login(ctx, s); err != nil {
		if refused := loginRefused(err); refused != nil {
			return refused
		}
		return classify(err)
	}
	return nil
}

// ensureSession logs in when the credentials hold no session (yet).
func (a *Adapter) ensureSession(ctx context.Context, s *session) error {
	if s.access() != "" && s.creds[KeyDID] != "" {
		return nil
	}
	if err := a.login(ctx, s); err != nil {
		if refused := loginRefused(err); refused != nil {
			return refused
		}
		return err
	}
	return nil
}

// authed makes a call with the session's access token, renewing the session once if the
// token is refused. The error it returns is unclassified.
func (a *Adapter) authed(ctx context.Context, s *session, c xrpcCall, out any) error {
	if err := a.ensureSession(ctx, s); err != nil {
		return err
	}
	err := a.do(ctx, s.pds, s.access(), c, out)
	var e *xrpcError
	if !errors.As(err, &e) || !e.sessionExpired() {
		return err
	}
	if err := a.renew(ctx, s); err != nil {
		return err
	}
	return a.do(ctx, s.pds, s.access(), c, out)
}

type profile struct {
	DID         string `json:"did"`
	Handle      string `json:"handle"`
	DisplayName string `json:"displayName"`
	Avatar      string `json:"avatar"`
}

// Connect creates the session every later publish reuses, and reads the profile.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	if creds[KeyIdentifier] == "" || creds[KeyAppPassword] == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "identifier and app_password are required")
	}
	given := platform.Credentials{KeyIdentifier: creds[KeyIdentifier], KeyAppPassword: creds[KeyAppPassword]}
	if v := creds[KeyServiceURL]; v != "" {
		given[KeyServiceURL] = v
	}
	s, err := a.newSession(given)
	if err != nil {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "%s", err)
	}
	if err := a.login(ctx, s); err != nil {
		var e *xrpcError
		if errors.As(err, &e) && e.Name == "AuthFactorTokenRequired" {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: e.Status,
				Message: "Bluesky asked for an emailed sign-in code: connect with an app password, not the account password"}
		}
		if refused := loginRefused(err); refused != nil {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: refused.Status,
				Message: "Bluesky rejected the identifier or app password"}
		}
		return platform.Profile{}, nil, classify(err)
	}
	var p profile
	err = a.authed(ctx, s, xrpcCall{
		method: http.MethodGet, nsid: "app.bsky.actor.getProfile", query: url.Values{"actor": {s.creds[KeyDID]}},
	}, &p)
	if err != nil {
		err = classify(err)
		var pe *platform.Error
		if errors.As(err, &pe) && pe.Kind == platform.TokenRejected {
			pe.Kind = platform.InvalidCredentials
		}
		return platform.Profile{}, nil, err
	}
	return platform.Profile{UserID: s.creds[KeyDID], Username: s.creds[KeyHandle], DisplayName: p.DisplayName, AvatarURL: p.Avatar}, s.creds, nil
}

type strongRef struct {
	URI string `json:"uri"`
	CID string `json:"cid"`
}

// Publish uploads the post's images and creates the post record at a key derived from
// the idempotency key. It returns the session when it had to be renewed.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	s, err := a.newSession(creds)
	if err != nil {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "%s", err)
	}
	if len(p.Images) > maxImages {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "Bluesky allows at most %d images in a post", maxImages)
	}
	if err := a.ensureSession(ctx, s); err != nil {
		return platform.Ref{}, s.result(), classify(err)
	}

	record := map[string]any{
		"$type":     postCollection,
		"text":      p.Text,
		"createdAt": a.now().UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	facets, err := a.facets(ctx, s.pds, p.Text)
	if err != nil {
		return platform.Ref{}, s.result(), err
	}
	if len(facets) > 0 {
		record["facets"] = facets
	}
	if p.ReplyTo != nil {
		root := p.Root
		if root == nil {
			root = p.ReplyTo
		}
		record["reply"] = map[string]strongRef{
			"root":   {URI: root.ID, CID: root.CID},
			"parent": {URI: p.ReplyTo.ID, CID: p.ReplyTo.CID},
		}
	}
	if len(p.Images) > 0 {
		embed, err := a.uploadImages(ctx, s, p.Images)
		if err != nil {
			return platform.Ref{}, s.result(), classify(err)
		}
		record["embed"] = embed
	}

	in := map[string]any{"repo": s.creds[KeyDID], "collection": postCollection, "record": record}
	rkey := ""
	if p.IdempotencyKey != "" {
		rkey = recordKey(p.IdempotencyKey)
		in["rkey"] = rkey
	}
	var created strongRef
	err = a.authed(ctx, s, xrpcCall{method: http.MethodPost, nsid: "com.atproto.repo.createRecord", body: in}, &created)
	var e *xrpcError
	if rkey != "" && errors.As(err, &e) && e.Status != http.StatusTooManyRequests && !e.sessionExpired() {
		// Perhaps an earlier attempt created the record and never heard back: the PDS
		// refuses a second create at the key (with a bare 500 today). Look for it.
		if found, ok := a.lookup(ctx, s, rkey); ok {
			created, err = found, nil
		}
	}
	if err != nil {
		return platform.Ref{}, s.result(), classify(err)
	}
	return a.ref(s, created), s.result(), nil
}

// lookup fetches the post at rkey, if there is one.
func (a *Adapter) lookup(ctx context.Context, s *session, rkey string) (strongRef, bool) {
	var rec strongRef
	err := a.do(ctx, s.pds, "", xrpcCall{method: http.MethodGet, nsid: "com.atproto.repo.getRecord", query: url.Values{
		"repo": {s.creds[KeyDID]}, "collection": {postCollection}, "rkey": {rkey},
	}}, &rec)
	return rec, err == nil && rec.URI != "" && rec.CID != ""
}

func (a *Adapter) ref(s *session, r strongRef) platform.Ref {
	rkey := r.URI[strings.LastIndex(r.URI, "/")+1:]
	who := s.creds[KeyHandle]
	if who == "" {
		who = s.creds[KeyDID] // bsky.app resolves a DID as well as a handle
	}
	return platform.Ref{ID: r.URI, CID: r.CID, URL: "https://bsky.app/profile/" + who + "/post/" + rkey}
}

// tidAlphabet is the base32-sortable alphabet of AT Protocol TIDs.
const tidAlphabet = "234567abcdefghijklmnopqrstuvwxyz"

// recordKey derives a post's record key from its idempotency key, so that every attempt
// at the post writes to the same key. It has the syntax of a TID — 13 characters, top bit
// clear — because app.bsky.feed.post declares TID keys; its bits come from a hash, as the
// adapter has no stable creation time to put in them (feeds order by createdAt).
func recordKey(idempotencyKey string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	v := binary.BigEndian.Uint64(sum[:8]) >> 1
	out := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		out[i] = tidAlphabet[v&31]
		v >>= 5
	}
	return string(out)
}
