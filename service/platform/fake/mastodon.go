package fake

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Mastodon is a fake Mastodon instance with one account (Username, authenticated by
// Token). Defaults: a 500-character limit, images processed synchronously, no delay.
type Mastodon struct {
	URL      string // base URL, the account's instance_url
	Domain   string // the instance's domain as /api/v2/instance reports it
	Username string
	Token    string // the account's valid access token

	srv *httptest.Server

	scriptedHTTP
	revoked    bool
	maxChars   int // 0: the server predates /api/v2/instance and enforces the default 500
	mediaPolls int // GETs of /api/v1/media/:id answered 206 before an upload is processed
	nextID     int64
	statuses   []MastodonStatus
	byKey      map[string]int // Idempotency-Key → index in statuses
	media      map[string]*mastodonUpload
}

// MastodonStatus is a status the fake has published.
type MastodonStatus struct {
	ID             string
	URL            string
	Text           string
	InReplyToID    string
	Visibility     string
	SpoilerText    string // the content warning, empty for none
	Language       string
	Media          []MastodonMedia
	IdempotencyKey string
}

// MastodonMedia is an uploaded media attachment.
type MastodonMedia struct {
	ID          string
	Description string
	ContentType string
	Size        int
}

type mastodonUpload struct {
	MastodonMedia
	pollsLeft int
	statusID  string // set once attached: Mastodon attaches an upload to one status only
}

// mastodonDefaultLimit is the limit of a stock Mastodon server.
const mastodonDefaultLimit = 500

// NewMastodon starts a fake Mastodon instance, closed when the test ends.
func NewMastodon(t testing.TB) *Mastodon {
	t.Helper()
	m := &Mastodon{
		Domain:   "mastodon.test",
		Username: "alice",
		Token:    "mastodon-access-token-0123456789",
		maxChars: mastodonDefaultLimit,
		nextID:   113369567183146000,
		byKey:    map[string]int{},
		media:    map[string]*mastodonUpload{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/accounts/verify_credentials", m.authed(m.verifyCredentials))
	mux.HandleFunc("GET /api/v2/instance", m.instance)
	mux.HandleFunc("POST /api/v1/statuses", m.authed(m.postStatus))
	mux.HandleFunc("POST /api/v2/media", m.authed(m.postMedia))
	mux.HandleFunc("GET /api/v1/media/{id}", m.authed(m.getMedia))
	m.srv = httptest.NewServer(m.serve(mux, m.fail))
	m.URL = m.srv.URL
	t.Cleanup(m.srv.Close)
	return m
}

// SetMaxCharacters sets the instance's status length limit. Zero makes the instance an
// old one without /api/v2/instance (404), which enforces Mastodon's default of 500.
func (m *Mastodon) SetMaxCharacters(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maxChars = n
}

// RevokeToken makes the instance reject the account's token from now on.
func (m *Mastodon) RevokeToken() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revoked = true
}

// FailNext answers the next n requests to path ("" for any path) with status and
// Mastodon's error body for it; a 429 carries the X-RateLimit-* headers, resetting in 30 s.
func (m *Mastodon) FailNext(path string, n, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failures.add(path, n, status)
}

// SetDelay holds every response back for d after the request has been served.
func (m *Mastodon) SetDelay(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delay = d
}

// SetMediaProcessing makes uploads asynchronous: POST /api/v2/media answers 202 with a
// null url, and GET /api/v1/media/:id answers 206 the first polls times.
func (m *Mastodon) SetMediaProcessing(polls int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mediaPolls = polls
}

// ForgetIdempotencyKeys drops the Idempotency-Keys seen so far, as Mastodon does an hour
// after their first use: a repeat after that posts again.
func (m *Mastodon) ForgetIdempotencyKeys() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.byKey)
}

// Statuses returns the statuses published so far, oldest first.
func (m *Mastodon) Statuses() []MastodonStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]MastodonStatus, len(m.statuses))
	for i, s := range m.statuses {
		s.Media = slices.Clone(s.Media)
		out[i] = s
	}
	return out
}

// Calls returns how many requests were made to path, failed ones included.
func (m *Mastodon) Calls(path string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[path]
}

func (m *Mastodon) fail(w http.ResponseWriter, status int) {
	msg := http.StatusText(status)
	switch status {
	case http.StatusUnauthorized:
		msg = "The access token is invalid"
	case http.StatusTooManyRequests:
		m.rateLimitHeaders(w, 0, time.Now().Add(30*time.Second))
		msg = "Too many requests"
	case http.StatusUnprocessableEntity:
		msg = "Validation failed"
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

// rateLimitHeaders are the ones Mastodon's rack-attack sends; it sends no Retry-After, so
// a client must read the ISO 8601 reset time.
func (m *Mastodon) rateLimitHeaders(w http.ResponseWriter, remaining int, reset time.Time) {
	w.Header().Set("X-RateLimit-Limit", "300")
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	w.Header().Set("X-RateLimit-Reset", reset.UTC().Format("2006-01-02T15:04:05.000000Z"))
}

func (m *Mastodon) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		ok := !m.revoked && r.Header.Get("Authorization") == "Bearer "+m.Token
		m.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "The access token is invalid"})
			return
		}
		m.rateLimitHeaders(w, 299, time.Now().Add(5*time.Minute).Truncate(5*time.Minute))
		h(w, r)
	}
}

func (m *Mastodon) verifyCredentials(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"id":              "109302345678901234",
		"username":        m.Username,
		"acct":            m.Username, // local accounts have no @domain in acct
		"display_name":    "Alice Example",
		"locked":          false,
		"bot":             false,
		"created_at":      "2022-11-05T00:00:00.000Z",
		"note":            "<p>Testing Octopost</p>",
		"url":             m.URL + "/@" + m.Username,
		"avatar":          m.URL + "/system/accounts/avatars/alice.png",
		"avatar_static":   m.URL + "/system/accounts/avatars/alice.png",
		"header":          m.URL + "/headers/original/missing.png",
		"followers_count": 42,
		"following_count": 7,
		"statuses_count":  len(m.Statuses()),
		"source":          map[string]any{"privacy": "public", "sensitive": false, "language": "en", "note": "Testing Octopost"},
	})
}

func (m *Mastodon) instance(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	limit := m.maxChars
	m.mu.Unlock()
	if limit == 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"domain":  m.Domain,
		"title":   "Mastodon test instance",
		"version": "4.3.2",
		"configuration": map[string]any{
			"urls":     map[string]any{"streaming": "wss://" + m.Domain},
			"accounts": map[string]any{"max_featured_tags": 10, "max_pinned_statuses": 5},
			"statuses": map[string]any{
				"max_characters":              limit,
				"max_media_attachments":       4,
				"characters_reserved_per_url": 23,
			},
			"media_attachments": map[string]any{
				"supported_mime_types": mastodonImageTypes,
				"image_size_limit":     mastodonImageSizeLimit,
			},
		},
	})
}

var mastodonImageTypes = []string{"image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp", "image/avif"}

const mastodonImageSizeLimit = 16 << 20

// mastodonStatusRequest is the body of POST /api/v1/statuses, sent as JSON or as a form.
type mastodonStatusRequest struct {
	Status      string   `json:"status"`
	InReplyToID string   `json:"in_reply_to_id"`
	MediaIDs    []string `json:"media_ids"`
	Visibility  string   `json:"visibility"`
	SpoilerText string   `json:"spoiler_text"`
	Language    string   `json:"language"`
}

func (m *Mastodon) postStatus(w http.ResponseWriter, r *http.Request) {
	var req mastodonStatusRequest
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Error while parsing request body"})
			return
		}
	} else {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Error while parsing request body"})
			return
		}
		req = mastodonStatusRequest{
			Status: r.PostForm.Get("status"), InReplyToID: r.PostForm.Get("in_reply_to_id"),
			MediaIDs: r.PostForm["media_ids[]"], Visibility: r.PostForm.Get("visibility"), Language: r.PostForm.Get("language"),
			SpoilerText: r.PostForm.Get("spoiler_text"),
		}
	}
	key := r.Header.Get("Idempotency-Key")

	m.mu.Lock()
	defer m.mu.Unlock()
	// Mastodon checks the key before validating anything, and answers a repeat with the
	// status the first request created. It keeps keys for an hour; the fake, until
	// ForgetIdempotencyKeys, since it cannot know the time a test pretends it is.
	if i, ok := m.byKey[key]; ok && key != "" {
		writeJSON(w, http.StatusOK, m.statusJSON(m.statuses[i]))
		return
	}
	if req.Visibility == "" {
		req.Visibility = "public"
	}
	if !slices.Contains([]string{"public", "unlisted", "private", "direct"}, req.Visibility) {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": fmt.Sprintf("'%s' is not a valid visibility", req.Visibility)})
		return
	}
	if req.InReplyToID != "" && !slices.ContainsFunc(m.statuses, func(s MastodonStatus) bool { return s.ID == req.InReplyToID }) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
		return
	}
	if len(req.MediaIDs) > 4 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Cannot attach more than 4 files"})
		return
	}
	var media []MastodonMedia
	var missing []string
	for _, id := range req.MediaIDs {
		u, ok := m.media[id]
		if !ok || u.statusID != "" {
			missing = append(missing, id)
			continue
		}
		if u.pollsLeft > 0 {
			writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Cannot attach files that have not finished processing. Try again in a moment!"})
			return
		}
		media = append(media, u.MastodonMedia)
	}
	if len(missing) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Media with ID(s) " + strings.Join(missing, ", ") + " not found"})
		return
	}
	if strings.TrimSpace(req.Status) == "" && len(media) == 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: Text can't be blank"})
		return
	}
	limit := m.maxChars
	if limit == 0 {
		limit = mastodonDefaultLimit
	}
	// The content warning counts toward the limit together with the text (Mastodon's
	// StatusLengthValidator counts both).
	if mastodonLength(req.SpoilerText)+mastodonLength(req.Status) > limit {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": fmt.Sprintf("Validation failed: Text character limit of %d exceeded", limit)})
		return
	}

	m.nextID += 65536 // Mastodon ids are snowflakes: time in the high bits
	id := strconv.FormatInt(m.nextID, 10)
	st := MastodonStatus{
		ID: id, URL: m.URL + "/@" + m.Username + "/" + id, Text: req.Status, InReplyToID: req.InReplyToID,
		Visibility: req.Visibility, SpoilerText: req.SpoilerText, Language: req.Language, Media: media,
		IdempotencyKey: key,
	}
	for _, mm := range media {
		m.media[mm.ID].statusID = id
	}
	m.statuses = append(m.statuses, st)
	if key != "" {
		m.byKey[key] = len(m.statuses) - 1
	}
	writeJSON(w, http.StatusOK, m.statusJSON(st))
}

func (m *Mastodon) statusJSON(s MastodonStatus) map[string]any {
	attachments := make([]map[string]any, len(s.Media))
	for i, mm := range s.Media {
		attachments[i] = m.mediaJSON(mm, true)
	}
	var inReplyTo any
	if s.InReplyToID != "" {
		inReplyTo = s.InReplyToID
	}
	return map[string]any{
		"id":                s.ID,
		"created_at":        time.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		"in_reply_to_id":    inReplyTo,
		"sensitive":         s.SpoilerText != "", // a content warning marks the status sensitive
		"spoiler_text":      s.SpoilerText,
		"visibility":        s.Visibility,
		"language":          s.Language,
		"uri":               m.URL + "/users/" + m.Username + "/statuses/" + s.ID,
		"url":               s.URL,
		"replies_count":     0,
		"reblogs_count":     0,
		"favourites_count":  0,
		"content":           "<p>" + html.EscapeString(s.Text) + "</p>",
		"account":           map[string]any{"id": "109302345678901234", "username": m.Username, "acct": m.Username},
		"media_attachments": attachments,
		"mentions":          []any{},
		"tags":              []any{},
	}
}

func (m *Mastodon) mediaJSON(mm MastodonMedia, processed bool) map[string]any {
	var url any
	if processed {
		url = m.URL + "/system/media_attachments/files/" + mm.ID + "/original/image"
	}
	return map[string]any{
		"id": mm.ID, "type": "image", "url": url, "preview_url": url, "remote_url": nil,
		"description": mm.Description, "blurhash": "UeKUpFxuo~R%0nW;WCnhF6RjaJt757oJodS$", "meta": map[string]any{},
	}
}

func (m *Mastodon) postMedia(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: File can't be blank"})
		return
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: File can't be blank"})
		return
	}
	defer f.Close()
	body, err := io.ReadAll(f)
	if err != nil {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: File can't be blank"})
		return
	}
	ct := hdr.Header.Get("Content-Type")
	// Mastodon checks what the bytes are, not only what the client says they are.
	if !slices.Contains(mastodonImageTypes, ct) || !strings.HasPrefix(http.DetectContentType(body), "image/") {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: File content type is invalid"})
		return
	}
	if len(body) > mastodonImageSizeLimit {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: File file size must be less than 16 MB"})
		return
	}
	desc := r.FormValue("description")
	if graphemeLen(desc) > 1500 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Validation failed: Description is too long (maximum is 1500 characters)"})
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID += 65536
	u := &mastodonUpload{
		MastodonMedia: MastodonMedia{ID: strconv.FormatInt(m.nextID, 10), Description: desc, ContentType: ct, Size: len(body)},
		pollsLeft:     m.mediaPolls,
	}
	m.media[u.ID] = u
	if u.pollsLeft > 0 {
		writeJSON(w, http.StatusAccepted, m.mediaJSON(u.MastodonMedia, false))
		return
	}
	writeJSON(w, http.StatusOK, m.mediaJSON(u.MastodonMedia, true))
}

func (m *Mastodon) getMedia(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.media[r.PathValue("id")]
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Record not found"})
		return
	}
	if u.pollsLeft > 0 {
		u.pollsLeft--
		writeJSON(w, http.StatusPartialContent, m.mediaJSON(u.MastodonMedia, false))
		return
	}
	writeJSON(w, http.StatusOK, m.mediaJSON(u.MastodonMedia, true))
}

// mastodonURL matches links the way Mastodon's length rule needs: each counts 23
// characters however long it is.
var mastodonURL = regexp.MustCompile(`https?://[^\s<>"]+`)

// mastodonMention matches a remote mention, which counts only its local part.
var mastodonMention = regexp.MustCompile(`(^|[^/\w])@(\w+)@[\w.-]+\w`)

// mastodonLength is Mastodon's StatusLengthValidator: grapheme clusters, with every URL
// counted as 23 and @user@domain as @user.
func mastodonLength(text string) int {
	text = mastodonURL.ReplaceAllString(text, strings.Repeat("x", 23))
	text = mastodonMention.ReplaceAllString(text, "$1@$2")
	return graphemeLen(text)
}
