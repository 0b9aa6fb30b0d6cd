package fake

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TikTok is a fake of TikTok for one creator: Login Kit's OAuth 2.0 (the consent screen at
// /v2/auth/authorize/, the token endpoint at /v2/oauth/token/), the user info read
// (GET /v2/user/info/) and the Content Posting API's Direct Post by URL
// (/v2/post/publish/creator_info/query/, /video/init/, /status/fetch/), all on one server
// (the real consent screen is on www.tiktok.com, the rest on open.tiktokapis.com; Octopost
// takes each as a setting).
//
// It is as strict as TikTok:
//
//   - the consent screen takes the app's client_key (not client_id), response_type=code,
//     comma-separated scopes, a redirect_uri and a state; it "consents" at once by
//     redirecting (302) to redirect_uri with code, scopes and state, or with
//     error=access_denied after Deny;
//   - the token endpoint takes a form (client_key, client_secret, grant_type, and code plus
//     redirect_uri, or refresh_token) and answers {access_token, expires_in (24 h), open_id,
//     refresh_token, refresh_expires_in (365 days), scope, token_type}; a refusal is
//     {error, error_description, log_id} (invalid_client 401, invalid_request or
//     invalid_grant 400). A code works once. A refresh rotates the refresh token (the old
//     one dies) and a spent or revoked one is invalid_grant; FailRefreshes scripts 503s;
//   - the API takes the access token as a Bearer token; a bad one is 401
//     {error: {code: access_token_invalid}}. Every answer is {data, error: {code, message,
//     log_id}}, with code "ok" on success;
//   - user info returns only the fields asked for; username needs the user.info.profile
//     scope, which Octopost does not ask for (401 scope_not_authorized);
//   - creator_info gives the creator's username, its privacy_level_options (PrivacyOptions)
//     and which interactions it has turned off (CommentDisabled, …);
//   - video init requires a JSON body with post_info (title ≤ 2200 characters, a
//     privacy_level among the creator's options, else 400 privacy_level_option_mismatch;
//     an interaction the creator turned off may not be turned on, 400 invalid_params) and
//     source_info {source: PULL_FROM_URL, video_url} on a verified domain (VerifiedHosts,
//     else 403 url_ownership_unverified). An unaudited app (Audited false) may post
//     SELF_ONLY only (403 unaudited_client_can_only_post_to_private_accounts). Init is
//     rate-limited to 6 a minute per access token (429 rate_limit_exceeded, counted on the
//     fake's clock, SetNow); each init is a new publish, never deduplicated;
//   - status fetch answers PROCESSING_DOWNLOAD for the first Processing polls of a publish,
//     then PUBLISH_COMPLETE with publicaly_available_post_id (TikTok's spelling) — empty for
//     a SELF_ONLY post, which has no public id — or FAILED with a fail_reason (FailPublish).
//
// Videos lists what was published; Calls counts requests by path.
type TikTok struct {
	URL          string
	ClientKey    string
	ClientSecret string
	OpenID       string
	Username     string
	DisplayName  string
	AvatarURL    string

	// What creator_info says of the creator, and what init enforces.
	PrivacyOptions                                []string
	CommentDisabled, DuetDisabled, StitchDisabled bool
	MaxVideoDuration                              int
	Audited                                       bool
	VerifiedHosts                                 []string
	Processing                                    int // status polls still processing
	// OnToken, when set, is told each access token issued.
	OnToken func(accessToken string)

	srv *httptest.Server

	scriptedHTTP
	now        func() time.Time
	deny       bool
	codes      map[string]string // unused codes → redirect_uri
	tokens     map[string]bool
	refresh    map[string]bool
	exchanges  int
	refreshes  int
	refused    int
	failRefr   int
	inits      map[string][]time.Time // init times per access token, for the rate limit
	publishes  map[string]*TikTokVideo
	order      []string
	failReason string
	nextID     int64
}

// TikTokVideo is a publish the fake was asked for.
type TikTokVideo struct {
	PublishID      string
	PostID         string // the public post id, once published (empty while processing, when failed, or SELF_ONLY)
	Status         string
	Title          string
	PrivacyLevel   string
	DisableComment bool
	DisableDuet    bool
	DisableStitch  bool
	VideoURL       string
	FailReason     string // why it FAILED
	Authorization  string
	polls          int
}

// TikTok's Direct Post rate limit on video init.
const (
	tiktokInitLimit  = 6
	tiktokInitWindow = time.Minute
)

// TikTok's privacy levels.
var tiktokPrivacyLevels = []string{"PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"}

// NewTikTok starts the fake, closed when the test ends: an audited app, a public creator
// whose every privacy level is allowed, videos from videos.example.com, published after
// one PROCESSING_DOWNLOAD poll.
func NewTikTok(t testing.TB) *TikTok {
	t.Helper()
	f := &TikTok{
		ClientKey: "awfaketiktokkey01", ClientSecret: "fake-tiktok-secret",
		OpenID:   "-000OSxSCL1ok-bNrXqL_gZfSkcpWNeTtBmE",
		Username: "octopost.dev", DisplayName: "Octopost Dev",
		AvatarURL:        "https://p16-sign-va.tiktokcdn.com/tos-maliva-avt-0068/octopost.jpeg",
		PrivacyOptions:   slices.Clone(tiktokPrivacyLevels),
		MaxVideoDuration: 600, Audited: true, VerifiedHosts: []string{"videos.example.com"},
		Processing: 1,
		now:        time.Now,
		codes:      map[string]string{}, tokens: map[string]bool{}, refresh: map[string]bool{},
		inits: map[string][]time.Time{}, publishes: map[string]*TikTokVideo{},
		nextID: 7445029138412211498,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v2/auth/authorize/", f.authorize)
	mux.HandleFunc("POST /v2/oauth/token/", f.token)
	mux.HandleFunc("GET /v2/user/info/", f.authed(f.userInfo))
	mux.HandleFunc("POST /v2/post/publish/creator_info/query/", f.authed(f.creatorInfo))
	mux.HandleFunc("POST /v2/post/publish/video/init/", f.authed(f.videoInit))
	mux.HandleFunc("POST /v2/post/publish/status/fetch/", f.authed(f.statusFetch))
	f.srv = httptest.NewServer(f.serve(mux, f.fail))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// IssueToken makes an access token (and a refresh token) the fake accepts, as if a
// consent had granted them.
func (f *TikTok) IssueToken() (access, refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	access, refresh = "act."+randomToken(), "rft."+randomToken()
	f.tokens[access], f.refresh[refresh] = true, true
	return access, refresh
}

// RevokeToken makes an access token invalid (expired, or the user removed the app).
func (f *TikTok) RevokeToken(access string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.tokens, access)
}

// RevokeRefreshToken makes a refresh token refused with invalid_grant from now on.
func (f *TikTok) RevokeRefreshToken(refresh string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.refresh, refresh)
}

// Deny makes the user refuse consent from now on.
func (f *TikTok) Deny() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deny = true
}

// FailRefreshes makes the next n refresh grants fail with a 503.
func (f *TikTok) FailRefreshes(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failRefr = n
}

// FailPublish makes publishes initiated from now on end FAILED with reason.
func (f *TikTok) FailPublish(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failReason = reason
}

// Configure changes the fake's settings under its lock, for a test that changes them
// while requests may be served.
func (f *TikTok) Configure(change func(f *TikTok)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// SetNow sets the fake's clock, which the init rate limit counts on.
func (f *TikTok) SetNow(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// FailNext answers the next n requests to path ("" for any) with status and TikTok's
// error body for it: 401 access_token_invalid, 429 rate_limit_exceeded, 403
// spam_risk_too_many_posts, 5xx internal_error, else invalid_params.
func (f *TikTok) FailNext(path string, n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failures.add(path, n, status)
}

// Exchanges returns how many codes were exchanged for tokens.
func (f *TikTok) Exchanges() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.exchanges
}

// Refreshes returns how many refresh grants issued a token, and how many were refused.
func (f *TikTok) Refreshes() (issued, refused int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refreshes, f.refused
}

// Videos returns the publishes initiated so far, oldest first.
func (f *TikTok) Videos() []TikTokVideo {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]TikTokVideo, 0, len(f.order))
	for _, id := range f.order {
		out = append(out, *f.publishes[id])
	}
	return out
}

// Calls returns how many requests were made to path, failed ones included.
func (f *TikTok) Calls(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

// logID is a log id of TikTok's shape: a timestamp, then an id.
func logID() string { return "20261203090000" + strings.ToUpper(randomToken()[:18]) }

// tiktokAPIError writes the API's error envelope.
func tiktokAPIError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{
		"data":  map[string]any{},
		"error": map[string]string{"code": code, "message": message, "log_id": logID()},
	})
}

// tiktokOK writes the API's success envelope.
func tiktokOK(w http.ResponseWriter, data any) {
	writeJSON(w, http.StatusOK, map[string]any{
		"data": data, "error": map[string]string{"code": "ok", "message": "", "log_id": logID()},
	})
}

// tiktokOAuthError writes the token endpoint's refusal.
func tiktokOAuthError(w http.ResponseWriter, status int, code, description string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": description, "log_id": logID()})
}

func (f *TikTok) fail(w http.ResponseWriter, status int) {
	switch {
	case status == http.StatusUnauthorized:
		tiktokAPIError(w, status, "access_token_invalid", "The access token is invalid or not found in the request.")
	case status == http.StatusTooManyRequests:
		tiktokAPIError(w, status, "rate_limit_exceeded", "The API rate limit was exceeded. Please try again later.")
	case status == http.StatusForbidden:
		tiktokAPIError(w, status, "spam_risk_too_many_posts", "The daily post cap from the API is reached for the current user.")
	case status >= 500:
		tiktokAPIError(w, status, "internal_error", "Something went wrong. Please try again later.")
	default:
		tiktokAPIError(w, status, "invalid_params", "One or more fields in the request is invalid.")
	}
}

func (f *TikTok) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	scopes := strings.Split(q.Get("scope"), ",")
	f.mu.Lock()
	clientKey := f.ClientKey
	f.mu.Unlock()
	switch {
	case q.Get("client_key") != clientKey:
		http.Error(w, "client_key: unknown client", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "redirect_uri: not a registered redirect URI", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("state") == "" ||
		!slices.Contains(scopes, "user.info.basic") || !slices.Contains(scopes, "video.publish"):
		http.Error(w, "missing or bad parameters", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	f.mu.Lock()
	if f.deny {
		back.Set("error", "access_denied")
		back.Set("error_description", "The user denied the request")
	} else {
		code := randomToken()
		f.codes[code] = q.Get("redirect_uri")
		back.Set("code", code)
		back.Set("scopes", q.Get("scope"))
	}
	f.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (f *TikTok) token(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		tiktokOAuthError(w, http.StatusBadRequest, "invalid_request", "The request parameters are malformed.")
		return
	}
	form := r.PostForm
	f.mu.Lock()
	defer f.mu.Unlock()
	if form.Get("client_key") != f.ClientKey || form.Get("client_secret") != f.ClientSecret {
		tiktokOAuthError(w, http.StatusUnauthorized, "invalid_client", "Client key or secret is incorrect.")
		return
	}
	switch form.Get("grant_type") {
	case "authorization_code":
		code := form.Get("code")
		redirectURI, ok := f.codes[code]
		delete(f.codes, code) // a code is good for one try
		if !ok || redirectURI != form.Get("redirect_uri") {
			tiktokOAuthError(w, http.StatusBadRequest, "invalid_grant", "Authorization code is expired.")
			return
		}
		f.exchanges++
	case "refresh_token":
		if f.failRefr > 0 {
			f.failRefr--
			tiktokOAuthError(w, http.StatusServiceUnavailable, "server_error", "Service unavailable.")
			return
		}
		if !f.refresh[form.Get("refresh_token")] {
			f.refused++
			tiktokOAuthError(w, http.StatusBadRequest, "invalid_grant", "Refresh token is invalid or expired.")
			return
		}
		delete(f.refresh, form.Get("refresh_token")) // rotated: the old one dies
		f.refreshes++
	default:
		tiktokOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported.")
		return
	}
	access, refresh := "act."+randomToken(), "rft."+randomToken()
	f.tokens[access], f.refresh[refresh] = true, true
	if f.OnToken != nil {
		f.OnToken(access)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access, "expires_in": 86400, "open_id": f.OpenID,
		"refresh_token": refresh, "refresh_expires_in": 31536000,
		"scope": "user.info.basic,video.publish", "token_type": "Bearer",
	})
}

func (f *TikTok) authed(h func(w http.ResponseWriter, r *http.Request, token string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		token, isBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		f.mu.Lock()
		ok := isBearer && f.tokens[token]
		f.mu.Unlock()
		if !ok {
			tiktokAPIError(w, http.StatusUnauthorized, "access_token_invalid", "The access token is invalid or not found in the request.")
			return
		}
		h(w, r, token)
	}
}

func (f *TikTok) userInfo(w http.ResponseWriter, r *http.Request, _ string) {
	fields := strings.Split(r.URL.Query().Get("fields"), ",")
	f.mu.Lock()
	all := map[string]string{"open_id": f.OpenID, "union_id": "c9c60f44-a68e-4f5d-84dd-ce22faeb0ba1",
		"avatar_url": f.AvatarURL, "display_name": f.DisplayName}
	f.mu.Unlock()
	user := map[string]string{}
	for _, field := range fields {
		if field == "username" || field == "bio_description" || field == "profile_deep_link" {
			tiktokAPIError(w, http.StatusUnauthorized, "scope_not_authorized", "The user did not authorize the scope required for completing this request.")
			return
		}
		v, ok := all[field]
		if !ok {
			tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "Invalid fields: "+field)
			return
		}
		user[field] = v
	}
	tiktokOK(w, map[string]any{"user": user})
}

// jsonBody checks TikTok's JSON content type and decodes the body strictly.
func jsonBody(w http.ResponseWriter, r *http.Request, v any) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "Content-Type must be application/json.")
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "The request body is malformed.")
		return false
	}
	return true
}

func (f *TikTok) creatorInfo(w http.ResponseWriter, r *http.Request, _ string) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "Content-Type must be application/json.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	tiktokOK(w, map[string]any{
		"creator_avatar_url": f.AvatarURL, "creator_username": f.Username, "creator_nickname": f.DisplayName,
		"privacy_level_options": f.PrivacyOptions,
		"comment_disabled":      f.CommentDisabled, "duet_disabled": f.DuetDisabled, "stitch_disabled": f.StitchDisabled,
		"max_video_post_duration_sec": f.MaxVideoDuration,
	})
}

type tiktokInitRequest struct {
	PostInfo *struct {
		Title                 string `json:"title"`
		PrivacyLevel          string `json:"privacy_level"`
		DisableDuet           bool   `json:"disable_duet"`
		DisableComment        bool   `json:"disable_comment"`
		DisableStitch         bool   `json:"disable_stitch"`
		VideoCoverTimestampMS int    `json:"video_cover_timestamp_ms"`
		BrandContentToggle    bool   `json:"brand_content_toggle"`
		BrandOrganicToggle    bool   `json:"brand_organic_toggle"`
		IsAIGC                bool   `json:"is_aigc"`
	} `json:"post_info"`
	SourceInfo *struct {
		Source          string `json:"source"`
		VideoURL        string `json:"video_url"`
		VideoSize       int64  `json:"video_size"`
		ChunkSize       int64  `json:"chunk_size"`
		TotalChunkCount int    `json:"total_chunk_count"`
	} `json:"source_info"`
}

func (f *TikTok) videoInit(w http.ResponseWriter, r *http.Request, token string) {
	var req tiktokInitRequest
	if !jsonBody(w, r, &req) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	recent := slices.DeleteFunc(f.inits[token], func(t time.Time) bool { return now.Sub(t) >= tiktokInitWindow })
	if len(recent) >= tiktokInitLimit {
		f.inits[token] = recent
		tiktokAPIError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "The API rate limit was exceeded. Please try again later.")
		return
	}
	f.inits[token] = append(recent, now)
	if req.PostInfo == nil || req.SourceInfo == nil {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "post_info and source_info are required.")
		return
	}
	p, s := req.PostInfo, req.SourceInfo
	if s.Source != "PULL_FROM_URL" {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "source_info.source must be FILE_UPLOAD or PULL_FROM_URL; this fake takes PULL_FROM_URL.")
		return
	}
	if utf8.RuneCountInString(p.Title) > 2200 {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "The title is longer than 2200 characters.")
		return
	}
	if !slices.Contains(tiktokPrivacyLevels, p.PrivacyLevel) {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "post_info.privacy_level is invalid.")
		return
	}
	if !slices.Contains(f.PrivacyOptions, p.PrivacyLevel) {
		tiktokAPIError(w, http.StatusBadRequest, "privacy_level_option_mismatch", "The privacy level is not among the creator's privacy_level_options.")
		return
	}
	if (f.CommentDisabled && !p.DisableComment) || (f.DuetDisabled && !p.DisableDuet) || (f.StitchDisabled && !p.DisableStitch) {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_params", "An interaction the creator turned off cannot be turned on.")
		return
	}
	if !f.Audited && p.PrivacyLevel != "SELF_ONLY" {
		tiktokAPIError(w, http.StatusForbidden, "unaudited_client_can_only_post_to_private_accounts", "Unaudited clients can only post to a private account.")
		return
	}
	u, err := url.Parse(s.VideoURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || !slices.Contains(f.VerifiedHosts, u.Hostname()) {
		tiktokAPIError(w, http.StatusForbidden, "url_ownership_unverified", "The domain or URL prefix of the video URL is not verified by the app.")
		return
	}
	id := "v_pub_url~v2-1." + strconv.FormatInt(f.nextID, 10)
	f.nextID++
	f.publishes[id] = &TikTokVideo{
		PublishID: id, Status: "PROCESSING_DOWNLOAD", Title: p.Title, PrivacyLevel: p.PrivacyLevel,
		DisableComment: p.DisableComment, DisableDuet: p.DisableDuet, DisableStitch: p.DisableStitch,
		VideoURL: s.VideoURL, Authorization: r.Header.Get("Authorization"),
	}
	f.order = append(f.order, id)
	if f.failReason != "" {
		f.publishes[id].Status, f.publishes[id].FailReason = "FAILED", f.failReason
	}
	tiktokOK(w, map[string]string{"publish_id": id})
}

func (f *TikTok) statusFetch(w http.ResponseWriter, r *http.Request, _ string) {
	var req struct {
		PublishID string `json:"publish_id"`
	}
	if !jsonBody(w, r, &req) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.publishes[req.PublishID]
	if !ok {
		tiktokAPIError(w, http.StatusBadRequest, "invalid_publish_id", "The publish_id does not exist.")
		return
	}
	if v.Status == "FAILED" {
		tiktokOK(w, map[string]any{"status": "FAILED", "fail_reason": v.FailReason, "publicaly_available_post_id": []string{}})
		return
	}
	v.polls++
	if v.Status != "PUBLISH_COMPLETE" && v.polls > f.Processing {
		v.Status = "PUBLISH_COMPLETE"
		if v.PrivacyLevel != "SELF_ONLY" {
			v.PostID = fmt.Sprint(f.nextID + 1000)
			f.nextID++
		}
	}
	ids := []string{}
	if v.Status == "PUBLISH_COMPLETE" && v.PostID != "" {
		ids = append(ids, v.PostID)
	}
	tiktokOK(w, map[string]any{
		"status": v.Status, "fail_reason": "", "publicaly_available_post_id": ids,
		"uploaded_bytes": 0, "downloaded_bytes": 104857,
	})
}
