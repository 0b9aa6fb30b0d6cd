package fake

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// YouTube is a fake of Google's OAuth 2.0 and of the YouTube Data API v3 for one channel:
// the consent screen at /o/oauth2/v2/auth, the token endpoint at /token, the channel read
// (GET /youtube/v3/channels) and the resumable upload (POST /upload/youtube/v3/videos,
// then PUTs to the session URI), all on one server (the real ones are on
// accounts.google.com, oauth2.googleapis.com and www.googleapis.com; Octopost takes each
// as a setting).
//
// It is as strict as Google:
//
//   - the consent screen requires the app's client_id, response_type=code, a redirect_uri,
//     both YouTube scopes (space-separated), a state and a PKCE S256 challenge; it
//     "consents" at once by redirecting (302) to redirect_uri with code, scope and state, or
//     with error=access_denied after Deny. Only access_type=offline gets a refresh token;
//   - the token endpoint takes a form with client_id and client_secret in the body (or as
//     Basic auth, which Google accepts too); a wrong one is 401 invalid_client. A code works
//     once, for its redirect_uri and code_verifier (else 400 invalid_grant). It answers
//     {access_token, expires_in: 3599, scope, token_type: Bearer, refresh_token}. A refresh
//     answers without a refresh token (Google does not rotate it: the old one stays good);
//     a revoked one is 400 invalid_grant "Token has been expired or revoked."; FailRefreshes
//     scripts 503s;
//   - the API takes the access token as a Bearer token; a bad one is 401 with Google's error
//     body {error: {code, message, errors: [{message, domain, reason}], status}};
//   - channels requires part=snippet and mine=true and answers {kind, etag, pageInfo,
//     items: [channel]}, with no items for an account without a channel (NoChannel);
//   - the upload's start requires uploadType=resumable, part=snippet,status, JSON metadata
//     with a title (1–100 characters), a description (≤ 5000 bytes), neither with < or >
//     (400 invalidTitle / invalidDescription), tags within 500 characters (400
//     invalidTags), a privacyStatus (public, unlisted, private) and
//     X-Upload-Content-Type video/* or application/octet-stream; X-Upload-Content-Length
//     is optional. It answers 200 with the session URI in Location;
//   - each PUT to a session carries Content-Range bytes a-b/total (or /* while the total is
//     unknown; the total must not change once given) starting where the session stands,
//     with a Content-Length of b-a+1, a multiple of 256 KiB except on the last chunk (else
//     400); bytes */total asks where it stands. It answers 308 with Range: bytes=0-N (none
//     when nothing is held), and on the last byte 201 with the video resource
//     {kind, etag, id, snippet, status}. The bytes are counted and hashed, never kept.
//   - quirks, scripted: KeepShort makes the next chunks keep 256 KiB less than sent (the
//     308 says so and the rest must be sent again); FailChunks answers the next chunks 503
//     after keeping half of them, so a client must ask where the session stands;
//     ExpireSessions makes every open session answer 404; FailNext scripts Google errors
//     ("insert", "chunk", "channels") such as 403 quotaExceeded.
//
// Videos lists the uploads completed; Calls counts requests by path.
type YouTube struct {
	URL          string
	ClientID     string
	ClientSecret string
	Channel      YouTubeChannel
	// NoChannel makes the Google account one without a YouTube channel.
	NoChannel bool

	srv *httptest.Server

	scriptedHTTP
	deny      bool
	codes     map[string]youtubeCode
	tokens    map[string]bool
	refresh   map[string]bool
	exchanges int
	refreshes int
	refused   int
	failRefr  int
	errors    failureScript[YouTubeFailure]
	keepShort int
	failChunk int
	sessions  map[string]*youtubeSession
	videos    []YouTubeVideo
	started   int
}

// YouTubeChannel is the channel of the Google account that consents.
type YouTubeChannel struct {
	ID, Title, CustomURL, AvatarURL string
}

// YouTubeVideo is an upload the fake completed.
type YouTubeVideo struct {
	ID            string
	Title         string
	Description   string
	Tags          []string
	PrivacyStatus string
	MadeForKids   bool
	ContentType   string // X-Upload-Content-Type
	Announced     int64  // X-Upload-Content-Length; -1 when not given
	Size          int64  // bytes received and kept
	SHA256        string // of the bytes kept, in hex
	Chunks        int    // PUTs that carried bytes
	Authorization string
}

// YouTubeFailure is a scripted Google error.
type YouTubeFailure struct {
	Status     int
	Reason     string
	RetryAfter string // a Retry-After header, none if empty
}

type youtubeCode struct {
	redirectURI, challenge string
	offline                bool
}

type youtubeSession struct {
	video    YouTubeVideo
	total    int64 // -1 until given
	received int64
	hash     hash.Hash
	gone     bool
}

// NewYouTube starts the fake, stopped when the test ends.
func NewYouTube(t testing.TB) *YouTube {
	f := &YouTube{
		ClientID: "1234567890-fake.apps.googleusercontent.com", ClientSecret: "GOCSPX-fake-secret",
		Channel: YouTubeChannel{
			ID: "UCoctopostFakeChannel0001", Title: "Octo Poster", CustomURL: "@octoposter",
			AvatarURL: "https://yt3.ggpht.com/octo=s88-c-k-c0x00ffffff-no-rj",
		},
		codes: map[string]youtubeCode{}, tokens: map[string]bool{}, refresh: map[string]bool{},
		sessions: map[string]*youtubeSession{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /o/oauth2/v2/auth", f.authorize)
	mux.HandleFunc("POST /token", f.token)
	mux.HandleFunc("GET /youtube/v3/channels", f.authed(f.channels))
	mux.HandleFunc("POST /upload/youtube/v3/videos", f.authed(f.insert))
	mux.HandleFunc("PUT /upload/youtube/v3/videos", f.chunk)
	f.srv = httptest.NewServer(f.serve(mux, func(w http.ResponseWriter, status int) {
		youtubeError(w, status, "backendError", "Backend Error")
	}))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// IssueToken makes an access token and a refresh token the fake accepts, as if an
// exchange had granted them.
func (f *YouTube) IssueToken() (access, refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	access, refresh = randomToken(), randomToken()
	f.tokens[access], f.refresh[refresh] = true, true
	return access, refresh
}

// RevokeToken makes an access token refused from now on, as when it expires.
func (f *YouTube) RevokeToken(access string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, access)
}

// RevokeRefreshToken makes a refresh token refused with invalid_grant from now on, as when
// the user removes the app's access.
func (f *YouTube) RevokeRefreshToken(refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.refresh, refresh)
}

// RevokeApp makes every token issued so far refused, as when the user removes the app's
// access in their Google account: a refresh is then invalid_grant.
func (f *YouTube) RevokeApp() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.tokens)
	clear(f.refresh)
}

// Deny makes the user refuse consent from now on.
func (f *YouTube) Deny() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = true
}

// FailRefreshes makes the next n refreshes fail with a 503.
func (f *YouTube) FailRefreshes(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failRefr = n
}

// FailNext answers the next n requests of route ("insert": the upload's start, "chunk": a
// PUT to a session, "channels") with failure, before looking at them.
func (f *YouTube) FailNext(route string, n int, failure YouTubeFailure) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors.add(route, n, failure)
}

// KeepShort makes the next n chunks of at least 512 KiB keep 256 KiB less than was sent.
func (f *YouTube) KeepShort(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keepShort = n
}

// FailChunks makes the next n chunks fail with a 503 after the session kept half of them
// (rounded down to 256 KiB).
func (f *YouTube) FailChunks(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failChunk = n
}

// ExpireSessions makes every upload session started so far answer 404 from now on.
func (f *YouTube) ExpireSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		s.gone = true
	}
}

// Configure changes the fake's settings (its channel, NoChannel) under its lock.
func (f *YouTube) Configure(change func(f *YouTube)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// Exchanges returns how many codes were exchanged for tokens.
func (f *YouTube) Exchanges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges
}

// Refreshes returns how many refreshes issued a token, and how many were refused with
// invalid_grant.
func (f *YouTube) Refreshes() (issued, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes, f.refused
}

// Started returns how many upload sessions were started.
func (f *YouTube) Started() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.started
}

// Videos returns the uploads completed, in order.
func (f *YouTube) Videos() []YouTubeVideo {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.videos)
}

// Calls returns how many requests were made to path.
func (f *YouTube) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// youtubeError writes Google's error body.
func youtubeError(w http.ResponseWriter, status int, reason, message string) {
	domain := "youtube.api"
	switch reason {
	case "quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded":
		domain = "usageLimits"
	case "authError", "backendError":
		domain = "global"
	}
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code": status, "message": message,
		"errors": []map[string]string{{"message": message, "domain": domain, "reason": reason}},
		"status": youtubeStatus(status),
	}})
}

func youtubeStatus(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	}
	return "UNAVAILABLE"
}

// scripted answers with a failure scripted for route, reporting whether it did.
func (f *YouTube) scripted(w http.ResponseWriter, route string) bool {
	f.mu.Lock()
	failure, ok := f.errors.take(route)
	f.mu.Unlock()
	if !ok {
		return false
	}
	if failure.RetryAfter != "" {
		w.Header().Set("Retry-After", failure.RetryAfter)
	}
	youtubeError(w, failure.Status, failure.Reason, "scripted failure: "+failure.Reason)
	return true
}

const (
	youtubeScopeUpload   = "https://www.googleapis.com/auth/youtube.upload"
	youtubeScopeReadonly = "https://www.googleapis.com/auth/youtube.readonly"
)

func (f *YouTube) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	scopes := strings.Fields(q.Get("scope"))
	switch {
	case q.Get("client_id") != f.ClientID:
		http.Error(w, "Error 401: invalid_client. The OAuth client was not found.", http.StatusUnauthorized)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "Error 400: redirect_uri_mismatch", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("state") == "" ||
		!slices.Contains(scopes, youtubeScopeUpload) || !slices.Contains(scopes, youtubeScopeReadonly) ||
		q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256":
		http.Error(w, "Error 400: invalid_request", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	f.mu.Lock()
	if f.deny {
		back.Set("error", "access_denied")
	} else {
		code := "4/0A" + randomToken()
		f.codes[code] = youtubeCode{
			redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"),
			offline: q.Get("access_type") == "offline",
		}
		back.Set("code", code)
		back.Set("scope", strings.Join(scopes, " "))
	}
	f.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *YouTube) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Bad Request"})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if bid, bsecret, ok := r.BasicAuth(); ok {
		id, secret = bid, bsecret
	}
	if id != f.ClientID || secret != f.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client", "error_description": "Unauthorized"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		code := r.PostForm.Get("code")
		grant, ok := f.codes[code]
		delete(f.codes, code) // a code is good for one try
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if !ok || grant.redirectURI != r.PostForm.Get("redirect_uri") ||
			base64.RawURLEncoding.EncodeToString(sum[:]) != grant.challenge {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Bad Request"})
			return
		}
		f.exchanges++
		refresh := ""
		if grant.offline {
			refresh = "1//0" + randomToken()
			f.refresh[refresh] = true
		}
		f.grant(w, refresh)
	case "refresh_token":
		if f.failRefr > 0 {
			f.failRefr--
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "internal_failure", "error_description": "Backend Error"})
			return
		}
		if !f.refresh[r.PostForm.Get("refresh_token")] {
			f.refused++
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
			return
		}
		f.refreshes++
		f.grant(w, "") // not rotated: the old refresh token stays good
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + r.PostForm.Get("grant_type")})
	}
}

// grant issues an access token, with refresh when not empty; f.mu is held.
func (f *YouTube) grant(w http.ResponseWriter, refresh string) {
	access := "ya29." + randomToken()
	f.tokens[access] = true
	body := map[string]any{
		"access_token": access, "expires_in": 3599, "token_type": "Bearer",
		"scope": youtubeScopeUpload + " " + youtubeScopeReadonly,
	}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	writeJSON(w, http.StatusOK, body)
}

// authed checks the Bearer token before h.
func (f *YouTube) authed(h func(w http.ResponseWriter, r *http.Request, auth string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, _ := strings.CutPrefix(auth, "Bearer ")
		f.mu.Lock()
		valid := f.tokens[token]
		f.mu.Unlock()
		if !valid {
			w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
			youtubeError(w, http.StatusUnauthorized, "authError", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
			return
		}
		h(w, r, auth)
	}
}

func (f *YouTube) channels(w http.ResponseWriter, r *http.Request, _ string) {
	if f.scripted(w, "channels") {
		return
	}
	q := r.URL.Query()
	if q.Get("part") == "" {
		youtubeError(w, http.StatusBadRequest, "required", "No filter selected. Expected one of: forUsername, id, mine, managedByMe, categoryId, forHandle")
		return
	}
	if q.Get("mine") != "true" || !slices.Contains(strings.Split(q.Get("part"), ","), "snippet") {
		youtubeError(w, http.StatusBadRequest, "invalidParameter", "expected part=snippet&mine=true")
		return
	}
	f.mu.Lock()
	ch, none := f.Channel, f.NoChannel
	f.mu.Unlock()
	items := []any{}
	if !none {
		items = append(items, map[string]any{
			"kind": "youtube#channel", "etag": "fake-etag", "id": ch.ID,
			"snippet": map[string]any{
				"title": ch.Title, "description": "", "customUrl": ch.CustomURL,
				"thumbnails": map[string]any{"default": map[string]any{"url": ch.AvatarURL, "width": 88, "height": 88}},
			},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"kind": "youtube#channelListResponse", "etag": "fake-etag",
		"pageInfo": map[string]int{"totalResults": len(items), "resultsPerPage": 5}, "items": items,
	})
}

// youtubeMeta is the upload's metadata.
type youtubeMeta struct {
	Snippet *struct {
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Tags        []string `json:"tags"`
	} `json:"snippet"`
	Status *struct {
		PrivacyStatus           string `json:"privacyStatus"`
		SelfDeclaredMadeForKids bool   `json:"selfDeclaredMadeForKids"`
	} `json:"status"`
}

func (f *YouTube) insert(w http.ResponseWriter, r *http.Request, auth string) {
	if f.scripted(w, "insert") {
		return
	}
	q := r.URL.Query()
	parts := strings.Split(q.Get("part"), ",")
	if q.Get("uploadType") != "resumable" || !slices.Contains(parts, "snippet") || !slices.Contains(parts, "status") {
		youtubeError(w, http.StatusBadRequest, "invalidParameter", "expected uploadType=resumable and part=snippet,status")
		return
	}
	ct := r.Header.Get("X-Upload-Content-Type")
	if !strings.HasPrefix(ct, "video/") && ct != "application/octet-stream" {
		youtubeError(w, http.StatusBadRequest, "mediaBodyRequired", "X-Upload-Content-Type must be video/* or application/octet-stream")
		return
	}
	announced := int64(-1)
	if v := r.Header.Get("X-Upload-Content-Length"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			youtubeError(w, http.StatusBadRequest, "invalidParameter", "X-Upload-Content-Length is not valid")
			return
		}
		announced = n
	}
	var m youtubeMeta
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") ||
		json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m) != nil || m.Snippet == nil || m.Status == nil {
		youtubeError(w, http.StatusBadRequest, "parseError", "Parse Error")
		return
	}
	s, st := m.Snippet, m.Status
	tagChars := 0
	for i, tag := range s.Tags {
		tagChars += utf8.RuneCountInString(tag)
		if strings.Contains(tag, " ") {
			tagChars += 2 // quoted
		}
		if i > 0 {
			tagChars++
		}
	}
	switch {
	case strings.TrimSpace(s.Title) == "":
		youtubeError(w, http.StatusBadRequest, "invalidTitle", "The request metadata specifies an invalid or empty video title.")
		return
	case utf8.RuneCountInString(s.Title) > 100 || strings.ContainsAny(s.Title, "<>"):
		youtubeError(w, http.StatusBadRequest, "invalidTitle", "The request metadata specifies an invalid video title.")
		return
	case len(s.Description) > 5000 || strings.ContainsAny(s.Description, "<>"):
		youtubeError(w, http.StatusBadRequest, "invalidDescription", "The request metadata specifies an invalid video description.")
		return
	case tagChars > 500:
		youtubeError(w, http.StatusBadRequest, "invalidTags", "The request metadata specifies invalid video keywords.")
		return
	case !slices.Contains([]string{"public", "unlisted", "private"}, st.PrivacyStatus):
		youtubeError(w, http.StatusBadRequest, "invalidVideoMetadata", "The request metadata is invalid.")
		return
	}
	id := "upload-" + randomToken()
	f.mu.Lock()
	f.started++
	f.sessions[id] = &youtubeSession{
		total: announced, hash: sha256.New(),
		video: YouTubeVideo{
			Title: s.Title, Description: s.Description, Tags: s.Tags, PrivacyStatus: st.PrivacyStatus,
			MadeForKids: st.SelfDeclaredMadeForKids, ContentType: ct, Announced: announced, Authorization: auth,
		},
	}
	f.mu.Unlock()
	w.Header().Set("Location", f.URL+"/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status&upload_id="+id)
	w.Header().Set("X-GUploader-UploadID", id)
	w.WriteHeader(http.StatusOK)
}

// youtubeRange is a PUT's Content-Range.
type youtubeRange struct {
	query       bool  // bytes */total: where does the session stand?
	first, last int64 // the chunk's bytes
	total       int64 // -1 for *
}

func parseYouTubeRange(v string) (youtubeRange, error) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return youtubeRange{}, errors.New("no bytes unit")
	}
	span, total, ok := strings.Cut(rest, "/")
	if !ok {
		return youtubeRange{}, errors.New("no total")
	}
	r := youtubeRange{total: -1}
	if total != "*" {
		n, err := strconv.ParseInt(total, 10, 64)
		if err != nil || n < 0 {
			return youtubeRange{}, errors.New("bad total")
		}
		r.total = n
	}
	if span == "*" {
		r.query = true
		return r, nil
	}
	a, b, ok := strings.Cut(span, "-")
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || first < 0 || last < first {
		return youtubeRange{}, errors.New("bad span")
	}
	r.first, r.last = first, last
	return r, nil
}

// chunk serves a PUT to a session: the session URI is its own credential, as Google's is.
func (f *YouTube) chunk(w http.ResponseWriter, r *http.Request) {
	if f.scripted(w, "chunk") {
		return
	}
	id := r.URL.Query().Get("upload_id")
	f.mu.Lock()
	s := f.sessions[id]
	f.mu.Unlock()
	if s == nil || s.gone {
		youtubeError(w, http.StatusNotFound, "notFound", "The upload session was not found or has expired.")
		return
	}
	cr, err := parseYouTubeRange(r.Header.Get("Content-Range"))
	if err != nil {
		youtubeError(w, http.StatusBadRequest, "badContent", "Failed to parse Content-Range header.")
		return
	}
	// One PUT at a time per session, as a client's must be; the mutex is not held while
	// the body streams in, so the session's own fields are only touched by this request.
	if cr.query {
		if r.ContentLength != 0 {
			youtubeError(w, http.StatusBadRequest, "badContent", "A status query carries no bytes.")
			return
		}
		f.answerSession(w, id, s)
		return
	}
	n := cr.last - cr.first + 1
	switch {
	case cr.first != s.received:
		youtubeError(w, http.StatusBadRequest, "badContent", fmt.Sprintf("The chunk starts at %d, the session holds %d bytes.", cr.first, s.received))
		return
	case r.ContentLength != n:
		youtubeError(w, http.StatusBadRequest, "badContent", "Content-Length does not match Content-Range.")
		return
	case s.total >= 0 && cr.total >= 0 && cr.total != s.total, cr.total >= 0 && cr.last >= cr.total:
		youtubeError(w, http.StatusBadRequest, "badContent", "The total does not match the upload's.")
		return
	case (cr.total < 0 || cr.last+1 != cr.total) && n%(256<<10) != 0:
		youtubeError(w, http.StatusBadRequest, "badContent", "A chunk that is not the last must be a multiple of 256 KiB.")
		return
	}
	if cr.total >= 0 {
		s.total = cr.total
	}
	keep := n
	f.mu.Lock()
	failing := f.failChunk > 0
	if failing {
		f.failChunk--
		keep = n / 2 / (256 << 10) * (256 << 10)
	} else if f.keepShort > 0 && n >= 512<<10 {
		f.keepShort--
		keep = n - 256<<10
	}
	f.mu.Unlock()
	if _, err := io.CopyN(s.hash, r.Body, keep); err != nil {
		return // the client went away mid-chunk
	}
	s.received += keep
	s.video.Size += keep
	s.video.Chunks++
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return
	}
	if failing {
		youtubeError(w, http.StatusServiceUnavailable, "backendError", "Backend Error")
		return
	}
	f.answerSession(w, id, s)
}

// answerSession says where the session stands: 308 with what it holds, or the video once
// every byte arrived.
func (f *YouTube) answerSession(w http.ResponseWriter, id string, s *youtubeSession) {
	if s.total < 0 || s.received < s.total {
		if s.received > 0 {
			w.Header().Set("Range", "bytes=0-"+strconv.FormatInt(s.received-1, 10))
		}
		w.Header().Set("X-GUploader-UploadID", id)
		w.WriteHeader(http.StatusPermanentRedirect)
		return
	}
	f.mu.Lock()
	if s.video.ID == "" {
		s.video.ID = youtubeVideoID()
		s.video.SHA256 = hex.EncodeToString(s.hash.Sum(nil))
		f.videos = append(f.videos, s.video)
	}
	v := s.video
	channelID := f.Channel.ID
	f.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{
		"kind": "youtube#video", "etag": "fake-etag", "id": v.ID,
		"snippet": map[string]any{
			"channelId": channelID, "title": v.Title, "description": v.Description, "tags": v.Tags,
			"categoryId": "22", "liveBroadcastContent": "none",
		},
		"status": map[string]any{
			"uploadStatus": "uploaded", "privacyStatus": v.PrivacyStatus, "license": "youtube",
			"embeddable": true, "publicStatsViewable": true, "selfDeclaredMadeForKids": v.MadeForKids,
		},
	})
}

// youtubeVideoID returns an id of YouTube's shape: 11 characters of URL-safe base64.
func youtubeVideoID() string {
	sum := sha256.Sum256([]byte(randomToken()))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:11]
}
