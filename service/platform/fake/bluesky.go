package fake

import (
	"bytes"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Bluesky is a fake PDS (personal data server) hosting one account. It issues sessions
// like the real one — short-lived access JWTs, refresh JWTs rotated on every refresh —
// and validates app.bsky.feed.post records as strictly as the lexicon reads.
//
// Where it is stricter than today's reference PDS, on purpose: it requires "$type" in the
// record (the PDS fills it in), requires post record keys to be TIDs (the lexicon's key
// type, which the PDS does not check yet), and rejects facets whose byte ranges fall
// outside the text or inside a UTF-8 sequence (the PDS stores them; apps then link the
// wrong characters).
//
// It resolves handles (com.atproto.identity.resolveHandle, no session needed) for the
// accounts it knows: its own and those AddHandle adds; any other handle is the PDS's 400
// InvalidRequest "Unable to resolve handle". A mention facet must start on the '@', cover
// exactly "@handle" and name the DID that handle resolves to: stricter than the PDS, which
// stores any DID, so that an adapter's off-by-some byte range or wrong DID shows.
type Bluesky struct {
	URL         string
	DID         string
	Handle      string // also the login identifier
	AppPassword string // the password createSession accepts

	srv *httptest.Server

	mu           sync.Mutex
	password     string
	authFactor   bool
	sessions     []time.Time     // createSession successes, for SessionCount and its rate limit
	access       map[string]bool // access JWT → expired
	refresh      map[string]bool // refresh JWT → still valid (refresh rotates it away)
	tokenSeq     int
	delay        time.Duration
	failures     failureScript[int] // by NSID: an HTTP status
	calls        map[string]int
	records      []BlueskyRecord
	byRKey       map[string]int
	blobs        map[string]blueskyBlob
	sessionLimit int
	handles      map[string]string // lower-cased handle → DID, for resolveHandle
}

// BlueskyRecord is a post the fake has stored.
type BlueskyRecord struct {
	URI, CID, RKey string
	Text           string
	CreatedAt      string
	Facets         []BlueskyFacet
	ReplyRoot      BlueskyStrongRef // zero unless the post is a reply
	ReplyParent    BlueskyStrongRef
	Images         []BlueskyImage
	Value          map[string]any // the record as sent
}

// BlueskyFacet is one feature of a facet, with its UTF-8 byte range in the text and the
// text it covers.
type BlueskyFacet struct {
	ByteStart, ByteEnd int
	Type               string // "link", "tag" or "mention"
	Value              string // the link's URI, the tag (without '#') or the mentioned DID
	Covered            string // text[ByteStart:ByteEnd]
}

// BlueskyStrongRef names a record by URI and content hash.
type BlueskyStrongRef struct{ URI, CID string }

// BlueskyImage is an image embedded in a post.
type BlueskyImage struct {
	Alt      string
	CID      string
	MimeType string
	Size     int
}

type blueskyBlob struct {
	mimeType string
	size     int
}

const (
	blueskyPost = "app.bsky.feed.post"
	// blueskyImageLimit is app.bsky.embed.images' maxSize for one image.
	blueskyImageLimit = 1_000_000
	// blueskyUploadLimit is the PDS's limit for any blob.
	blueskyUploadLimit = 50 << 20
	// createSession allows 30 sessions per 5 minutes per account (and 300 a day).
	blueskySessionLimit  = 30
	blueskySessionWindow = 5 * time.Minute
)

// NewBluesky starts a fake PDS, closed when the test ends.
func NewBluesky(t testing.TB) *Bluesky {
	t.Helper()
	b := &Bluesky{
		DID:          "did:plc:ewvi7nxzyoun6zhxrhs64oiz",
		Handle:       "alice.bsky.test",
		AppPassword:  "abcd-efgh-ijkl-mnop",
		access:       map[string]bool{},
		refresh:      map[string]bool{},
		calls:        map[string]int{},
		byRKey:       map[string]int{},
		blobs:        map[string]blueskyBlob{},
		sessionLimit: blueskySessionLimit,
	}
	b.password = b.AppPassword
	b.handles = map[string]string{b.Handle: b.DID}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /xrpc/com.atproto.server.createSession", b.createSession)
	mux.HandleFunc("POST /xrpc/com.atproto.server.refreshSession", b.refreshSession)
	mux.HandleFunc("GET /xrpc/app.bsky.actor.getProfile", b.authed(b.getProfile))
	mux.HandleFunc("POST /xrpc/com.atproto.repo.createRecord", b.authed(b.createRecord))
	mux.HandleFunc("GET /xrpc/com.atproto.repo.getRecord", b.getRecord)
	mux.HandleFunc("POST /xrpc/com.atproto.repo.uploadBlob", b.authed(b.uploadBlob))
	mux.HandleFunc("GET /xrpc/com.atproto.identity.resolveHandle", b.resolveHandle)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		blueskyError(w, http.StatusNotImplemented, "MethodNotImplemented", "Method Not Implemented")
	})
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		nsid := strings.TrimPrefix(r.URL.Path, "/xrpc/")
		b.mu.Lock()
		b.calls[nsid]++
		status, failed := b.failures.take(nsid)
		delay := b.delay
		b.mu.Unlock()
		if failed {
			serveDelayed(w, r, delay, func(w http.ResponseWriter, _ *http.Request) { b.fail(w, status) })
			return
		}
		serveDelayed(w, r, delay, mux.ServeHTTP)
	}))
	b.URL = b.srv.URL
	t.Cleanup(b.srv.Close)
	return b
}

// AddHandle makes handle resolve to did, as another account on the network.
func (b *Bluesky) AddHandle(handle, did string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handles[strings.ToLower(handle)] = did
}

// blueskyHandle is the syntax of a handle: a domain name whose last label starts with a
// letter.
var blueskyHandle = regexp.MustCompile(`^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

func (b *Bluesky) resolveHandle(w http.ResponseWriter, r *http.Request) {
	handle, ok := r.URL.Query()["handle"]
	if !ok || len(handle) != 1 {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", `Params must have the property "handle"`)
		return
	}
	if len(handle[0]) > 253 || !blueskyHandle.MatchString(handle[0]) {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Error: handle must be a valid handle")
		return
	}
	b.mu.Lock()
	did, known := b.handles[strings.ToLower(handle[0])]
	b.mu.Unlock()
	if !known {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Unable to resolve handle")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"did": did})
}

// SessionCount returns how many sessions createSession has created.
func (b *Bluesky) SessionCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.sessions)
}

// ExpireAccessTokens expires every access JWT issued so far: the next call with one gets
// 400 ExpiredToken. Refresh JWTs stay valid.
func (b *Bluesky) ExpireAccessTokens() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for tok := range b.access {
		b.access[tok] = true
	}
}

// RevokeRefreshTokens revokes every refresh JWT issued so far, as when a session ends.
func (b *Bluesky) RevokeRefreshTokens() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for tok := range b.refresh {
		b.refresh[tok] = false
	}
}

// RevokeAppPassword revokes the app password, and with it the sessions it created.
func (b *Bluesky) RevokeAppPassword() {
	b.RevokeRefreshTokens()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.password = ""
}

// RequireAuthFactor makes createSession ask for an emailed sign-in code, as it does for a
// main password on an account with two-factor sign-in.
func (b *Bluesky) RequireAuthFactor() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.authFactor = true
}

// FailNext answers the next n calls of the XRPC method nsid ("" for any) with status and
// the XRPC error body for it; a 429 carries the ratelimit-* headers, resetting in 30 s.
func (b *Bluesky) FailNext(nsid string, n, status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failures.add(nsid, n, status)
}

// SetDelay holds every response back for d after the request has been served.
func (b *Bluesky) SetDelay(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delay = d
}

// Records returns the posts stored so far, oldest first.
func (b *Bluesky) Records() []BlueskyRecord {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.records)
}

// Calls returns how many calls were made to the XRPC method nsid, failed ones included.
func (b *Bluesky) Calls(nsid string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[nsid]
}

func blueskyError(w http.ResponseWriter, status int, name, message string) {
	writeJSON(w, status, map[string]string{"error": name, "message": message})
}

func (b *Bluesky) fail(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusTooManyRequests:
		blueskyRateLimitHeaders(w, 3000, 300)
		blueskyError(w, status, "RateLimitExceeded", "Rate Limit Exceeded")
	case http.StatusBadRequest:
		blueskyError(w, status, "InvalidRequest", "Invalid request")
	case http.StatusUnauthorized:
		blueskyError(w, status, "AuthenticationRequired", "Authentication Required")
	case http.StatusInternalServerError:
		blueskyError(w, status, "InternalServerError", "Internal Server Error")
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		blueskyError(w, status, "UpstreamFailure", "Upstream Failure")
	default:
		blueskyError(w, status, strings.ReplaceAll(http.StatusText(status), " ", ""), http.StatusText(status))
	}
}

// blueskyRateLimitHeaders are the PDS's: the reset is a Unix time in seconds.
func blueskyRateLimitHeaders(w http.ResponseWriter, limit int, window time.Duration) {
	w.Header().Set("ratelimit-limit", strconv.Itoa(limit))
	w.Header().Set("ratelimit-remaining", "0")
	w.Header().Set("ratelimit-reset", strconv.FormatInt(time.Now().Add(30*time.Second).Unix(), 10))
	w.Header().Set("ratelimit-policy", fmt.Sprintf("%d;w=%d", limit, int(window.Seconds())))
}

// token makes a JWT-shaped token; the fake recognises tokens by value, not by signature.
func (b *Bluesky) token(scope string, ttl time.Duration) string {
	b.tokenSeq++
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"typ":"at+jwt","alg":"ES256K"}`))
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"scope": scope, "sub": b.DID, "iat": now.Unix(), "exp": now.Add(ttl).Unix(), "jti": strconv.Itoa(b.tokenSeq),
	})
	sig := sha256.Sum256(fmt.Appendf(nil, "%s.%d", scope, b.tokenSeq))
	return head + "." + enc.EncodeToString(claims) + "." + enc.EncodeToString(sig[:])
}

// newSession issues an access and a refresh JWT. Callers hold b.mu.
func (b *Bluesky) newSession() map[string]any {
	acc := b.token("com.atproto.appPass", 2*time.Hour)
	ref := b.token("com.atproto.refresh", 90*24*time.Hour)
	b.access[acc] = false
	b.refresh[ref] = true
	return map[string]any{
		"did": b.DID, "handle": b.Handle, "accessJwt": acc, "refreshJwt": ref,
		"active": true, "email": "alice@example.test", "emailConfirmed": true,
	}
}

func blueskyBearer(r *http.Request) (string, bool) {
	return strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
}

func (b *Bluesky) createSession(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Identifier *string `json:"identifier"`
		Password   *string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Request body is not valid JSON")
		return
	}
	if req.Identifier == nil {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", `Input must have the property "identifier"`)
		return
	}
	if req.Password == nil {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", `Input must have the property "password"`)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	cutoff := time.Now().Add(-blueskySessionWindow)
	recent := 0
	for _, at := range b.sessions {
		if at.After(cutoff) {
			recent++
		}
	}
	if recent >= b.sessionLimit {
		blueskyRateLimitHeaders(w, b.sessionLimit, blueskySessionWindow)
		blueskyError(w, http.StatusTooManyRequests, "RateLimitExceeded", "Rate Limit Exceeded")
		return
	}
	id := strings.ToLower(*req.Identifier)
	if (id != b.Handle && id != b.DID) || b.password == "" || *req.Password != b.password {
		blueskyError(w, http.StatusUnauthorized, "AuthenticationRequired", "Invalid identifier or password")
		return
	}
	if b.authFactor {
		blueskyError(w, http.StatusUnauthorized, "AuthFactorTokenRequired", "A sign in code has been sent to your email address")
		return
	}
	b.sessions = append(b.sessions, time.Now())
	writeJSON(w, http.StatusOK, b.newSession())
}

func (b *Bluesky) refreshSession(w http.ResponseWriter, r *http.Request) {
	tok, ok := blueskyBearer(r)
	if !ok {
		blueskyError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, isAccess := b.access[tok]; isAccess {
		blueskyError(w, http.StatusBadRequest, "InvalidToken", "Invalid token type")
		return
	}
	valid, known := b.refresh[tok]
	if !known {
		blueskyError(w, http.StatusBadRequest, "InvalidToken", "Token could not be verified")
		return
	}
	if !valid {
		blueskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has been revoked")
		return
	}
	b.refresh[tok] = false // rotated: the old refresh JWT is spent
	writeJSON(w, http.StatusOK, b.newSession())
}

// authed admits a request bearing a live access JWT, with the PDS's error for any other.
func (b *Bluesky) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := blueskyBearer(r)
		if !ok {
			blueskyError(w, http.StatusUnauthorized, "AuthenticationRequired", "Authentication Required")
			return
		}
		b.mu.Lock()
		expired, isAccess := b.access[tok]
		_, isRefresh := b.refresh[tok]
		b.mu.Unlock()
		switch {
		case isRefresh:
			blueskyError(w, http.StatusBadRequest, "InvalidToken", "Bad token scope")
		case !isAccess:
			blueskyError(w, http.StatusBadRequest, "InvalidToken", "Token could not be verified")
		case expired:
			blueskyError(w, http.StatusBadRequest, "ExpiredToken", "Token has expired")
		default:
			h(w, r)
		}
	}
}

func (b *Bluesky) getProfile(w http.ResponseWriter, r *http.Request) {
	actor := r.URL.Query().Get("actor")
	if actor != b.DID && actor != b.Handle {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Profile not found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"did":            b.DID,
		"handle":         b.Handle,
		"displayName":    "Alice 🦋",
		"description":    "Testing Octopost",
		"avatar":         "https://cdn.bsky.app/img/avatar/plain/" + b.DID + "/bafkreialiceavatar@jpeg",
		"followersCount": 42,
		"followsCount":   7,
		"postsCount":     len(b.Records()),
		"createdAt":      "2023-04-01T00:00:00.000Z",
	})
}

func (b *Bluesky) repoMatches(repo string) bool { return repo == b.DID || repo == b.Handle }

func (b *Bluesky) getRecord(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	uri := "at://" + q.Get("repo") + "/" + q.Get("collection") + "/" + q.Get("rkey")
	b.mu.Lock()
	defer b.mu.Unlock()
	i, ok := b.byRKey[q.Get("rkey")]
	if !b.repoMatches(q.Get("repo")) || q.Get("collection") != blueskyPost || !ok {
		blueskyError(w, http.StatusBadRequest, "RecordNotFound", "Could not locate record: "+uri)
		return
	}
	rec := b.records[i]
	writeJSON(w, http.StatusOK, map[string]any{"uri": rec.URI, "cid": rec.CID, "value": rec.Value})
}

func (b *Bluesky) uploadBlob(w http.ResponseWriter, r *http.Request) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Request encoding (Content-Type) required but not provided")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, blueskyUploadLimit+1))
	if err != nil {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Could not read request body")
		return
	}
	if len(body) > blueskyUploadLimit {
		blueskyError(w, http.StatusRequestEntityTooLarge, "PayloadTooLarge", "request entity too large")
		return
	}
	// The PDS stores the type it sniffs from the bytes when it recognises them.
	if sniffed := http.DetectContentType(body); sniffed != "application/octet-stream" && !strings.HasPrefix(sniffed, "text/plain") {
		ct = strings.TrimSpace(strings.Split(sniffed, ";")[0])
	}
	cid := "bafkrei" + blueskyHash(body)
	b.mu.Lock()
	b.blobs[cid] = blueskyBlob{mimeType: ct, size: len(body)}
	b.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"blob": map[string]any{
		"$type": "blob", "ref": map[string]string{"$link": cid}, "mimeType": ct, "size": len(body),
	}})
}

func blueskyHash(data []byte) string {
	sum := sha256.Sum256(data)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:]))
}

var blueskyTID = regexp.MustCompile(`^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`)

func (b *Bluesky) createRecord(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Repo       string          `json:"repo"`
		Collection string          `json:"collection"`
		RKey       *string         `json:"rkey"`
		Record     json.RawMessage `json:"record"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Request body is not valid JSON")
		return
	}
	if !b.repoMatches(req.Repo) {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Could not find repo: "+req.Repo)
		return
	}
	if req.Collection != blueskyPost {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Lexicon not found: lex:"+req.Collection)
		return
	}
	var record map[string]any
	dec := json.NewDecoder(bytes.NewReader(req.Record))
	dec.UseNumber()
	if err := dec.Decode(&record); err != nil || record == nil {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", `Input must have the property "record"`)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	rkey := ""
	if req.RKey != nil {
		rkey = *req.RKey
		if !blueskyTID.MatchString(rkey) {
			blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Invalid record key: "+rkey)
			return
		}
	} else {
		rkey = b.nextTID()
	}
	rec, err := b.validatePost(record)
	if err != nil {
		blueskyError(w, http.StatusBadRequest, "InvalidRequest", "Invalid app.bsky.feed.post record: "+err.Error())
		return
	}
	// The reference PDS does not handle a create at an existing key: its repo write
	// throws, and the client gets a bare 500 (bluesky-social/atproto#3718, indigo#873).
	if _, exists := b.byRKey[rkey]; exists {
		blueskyError(w, http.StatusInternalServerError, "InternalServerError", "Internal Server Error")
		return
	}
	rec.RKey = rkey
	rec.URI = "at://" + b.DID + "/" + blueskyPost + "/" + rkey
	rec.CID = "bafyrei" + blueskyHash(req.Record)
	rec.Value = record
	b.records = append(b.records, rec)
	b.byRKey[rkey] = len(b.records) - 1
	writeJSON(w, http.StatusOK, map[string]any{
		"uri": rec.URI, "cid": rec.CID, "validationStatus": "valid",
		"commit": map[string]string{"cid": "bafyreicommit" + rkey, "rev": rkey},
	})
}

// nextTID makes a record key for a create without one, as the PDS does. Callers hold b.mu.
func (b *Bluesky) nextTID() string {
	const alphabet = "234567abcdefghijklmnopqrstuvwxyz"
	v := uint64(time.Now().UnixMicro())<<10 | uint64(len(b.records)&1023)
	out := make([]byte, 13)
	for i := 12; i >= 0; i-- {
		out[i] = alphabet[v&31]
		v >>= 5
	}
	return string(out)
}

// validatePost checks a record against app.bsky.feed.post and returns its parsed form.
// Error texts follow the PDS's lexicon validator ("Record/text must …").
func (b *Bluesky) validatePost(v map[string]any) (BlueskyRecord, error) {
	var rec BlueskyRecord
	typ, ok := v["$type"].(string)
	if !ok {
		return rec, fmt.Errorf(`Record must have the property "$type"`)
	}
	if typ != blueskyPost {
		return rec, fmt.Errorf("Invalid $type: expected %s, got %s", blueskyPost, typ)
	}
	text, ok := v["text"].(string)
	if !ok {
		return rec, fmt.Errorf(`Record must have the property "text"`)
	}
	if len(text) > 3000 {
		return rec, fmt.Errorf("Record/text must not be longer than 3000 characters")
	}
	if graphemeLen(text) > 300 {
		return rec, fmt.Errorf("Record/text must not be longer than 300 graphemes")
	}
	rec.Text = text
	created, ok := v["createdAt"].(string)
	if !ok {
		return rec, fmt.Errorf(`Record must have the property "createdAt"`)
	}
	if _, err := time.Parse(time.RFC3339Nano, created); err != nil {
		return rec, fmt.Errorf("Record/createdAt must be an valid atproto datetime (both RFC-3339 and ISO-8601)")
	}
	rec.CreatedAt = created
	if raw, ok := v["facets"]; ok {
		facets, err := blueskyFacets(raw, text, b.handles)
		if err != nil {
			return rec, err
		}
		rec.Facets = facets
	}
	if raw, ok := v["reply"]; ok {
		reply, ok := raw.(map[string]any)
		if !ok {
			return rec, fmt.Errorf("Record/reply must be an object")
		}
		var err error
		if rec.ReplyRoot, err = blueskyStrongRef(reply, "root"); err != nil {
			return rec, err
		}
		if rec.ReplyParent, err = blueskyStrongRef(reply, "parent"); err != nil {
			return rec, err
		}
	}
	if raw, ok := v["embed"]; ok {
		images, err := b.blueskyImages(raw)
		if err != nil {
			return rec, err
		}
		rec.Images = images
	}
	return rec, nil
}

func blueskyStrongRef(reply map[string]any, name string) (BlueskyStrongRef, error) {
	ref, ok := reply[name].(map[string]any)
	if !ok {
		return BlueskyStrongRef{}, fmt.Errorf("Record/reply must have the property %q", name)
	}
	uri, _ := ref["uri"].(string)
	cid, _ := ref["cid"].(string)
	if !strings.HasPrefix(uri, "at://") {
		return BlueskyStrongRef{}, fmt.Errorf("Record/reply/%s/uri must be a valid at-uri", name)
	}
	if !strings.HasPrefix(cid, "baf") {
		return BlueskyStrongRef{}, fmt.Errorf("Record/reply/%s/cid must be a cid string", name)
	}
	return BlueskyStrongRef{URI: uri, CID: cid}, nil
}

func blueskyInt(v any) (int, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil
}

// blueskyFacets validates a record's facets; handles (lower-cased handle → DID) are the
// accounts a mention may name.
func blueskyFacets(raw any, text string, handles map[string]string) ([]BlueskyFacet, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("Record/facets must be an array")
	}
	var out []BlueskyFacet
	for i, item := range list {
		path := fmt.Sprintf("Record/facets/%d", i)
		f, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s must be an object", path)
		}
		index, ok := f["index"].(map[string]any)
		if !ok {
			return nil, fmt.Errorf(`%s must have the property "index"`, path)
		}
		start, ok1 := blueskyInt(index["byteStart"])
		end, ok2 := blueskyInt(index["byteEnd"])
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s/index must have integer byteStart and byteEnd", path)
		}
		if start < 0 || end > len(text) || start >= end ||
			!utf8.RuneStart(text[start]) || (end < len(text) && !utf8.RuneStart(text[end])) {
			return nil, fmt.Errorf("%s/index [%d, %d) is not a range of whole characters in Record/text (%d bytes)", path, start, end, len(text))
		}
		features, ok := f["features"].([]any)
		if !ok || len(features) == 0 {
			return nil, fmt.Errorf(`%s must have the property "features"`, path)
		}
		for j, feat := range features {
			fp := fmt.Sprintf("%s/features/%d", path, j)
			m, ok := feat.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s must be an object", fp)
			}
			bf := BlueskyFacet{ByteStart: start, ByteEnd: end, Covered: text[start:end]}
			switch m["$type"] {
			case "app.bsky.richtext.facet#link":
				uri, _ := m["uri"].(string)
				if u, err := url.Parse(uri); err != nil || u.Scheme == "" {
					return nil, fmt.Errorf("%s/uri must be a uri", fp)
				}
				bf.Type, bf.Value = "link", uri
			case "app.bsky.richtext.facet#tag":
				tag, _ := m["tag"].(string)
				if tag == "" || strings.HasPrefix(tag, "#") || len(tag) > 640 || graphemeLen(tag) > 64 {
					return nil, fmt.Errorf("%s/tag must be 1 to 64 graphemes without the '#'", fp)
				}
				bf.Type, bf.Value = "tag", tag
			case "app.bsky.richtext.facet#mention":
				did, _ := m["did"].(string)
				if !strings.HasPrefix(did, "did:") {
					return nil, fmt.Errorf("%s/did must be a valid did", fp)
				}
				if text[start] != '@' {
					return nil, fmt.Errorf("%s: a mention must start on the '@' (it covers %q)", fp, bf.Covered)
				}
				if handles[strings.ToLower(bf.Covered[1:])] != did {
					return nil, fmt.Errorf("%s: %q does not name %s, a DID this PDS resolves from it", fp, bf.Covered, did)
				}
				bf.Type, bf.Value = "mention", did
			default:
				return nil, fmt.Errorf("%s $type must be one of app.bsky.richtext.facet#link, #tag, #mention", fp)
			}
			out = append(out, bf)
		}
	}
	return out, nil
}

// blueskyImages validates an app.bsky.embed.images embed; its blobs must have been
// uploaded to this PDS with the same type. Callers hold b.mu.
func (b *Bluesky) blueskyImages(raw any) ([]BlueskyImage, error) {
	embed, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("Record/embed must be an object")
	}
	if embed["$type"] != "app.bsky.embed.images" {
		return nil, fmt.Errorf("Record/embed $type must be app.bsky.embed.images (the only embed this fake models)")
	}
	list, ok := embed["images"].([]any)
	if !ok {
		return nil, fmt.Errorf(`Record/embed must have the property "images"`)
	}
	if len(list) > 4 {
		return nil, fmt.Errorf("Record/embed/images must not have more than 4 elements")
	}
	var out []BlueskyImage
	for i, item := range list {
		path := fmt.Sprintf("Record/embed/images/%d", i)
		img, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s must be an object", path)
		}
		alt, ok := img["alt"].(string)
		if !ok {
			return nil, fmt.Errorf(`%s must have the property "alt"`, path)
		}
		blob, ok := img["image"].(map[string]any)
		if !ok || blob["$type"] != "blob" {
			return nil, fmt.Errorf("%s/image should be a blob ref", path)
		}
		ref, _ := blob["ref"].(map[string]any)
		cid, _ := ref["$link"].(string)
		mimeType, _ := blob["mimeType"].(string)
		size, _ := blueskyInt(blob["size"])
		stored, ok := b.blobs[cid]
		if !ok {
			return nil, fmt.Errorf("Could not find blob: %s", cid)
		}
		if mimeType != stored.mimeType {
			return nil, fmt.Errorf("Referenced Mimetype does not match stored blob. Expected: %s, Got: %s", stored.mimeType, mimeType)
		}
		if !strings.HasPrefix(mimeType, "image/") {
			return nil, fmt.Errorf("%s/image mimeType (%s) not accepted. Valid: image/*", path, mimeType)
		}
		if stored.size > blueskyImageLimit {
			return nil, fmt.Errorf("%s/image file too large (%d bytes). Max size: %d", path, stored.size, blueskyImageLimit)
		}
		out = append(out, BlueskyImage{Alt: alt, CID: cid, MimeType: mimeType, Size: size})
	}
	return out, nil
}
