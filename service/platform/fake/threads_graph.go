package fake

// metaGraph is what the fakes of Meta's two Graph platforms (Threads, Instagram) share:
// Meta's OAuth as both run it, the Graph error body (Facebook's fake writes it too), the
// access_token parameter, a clock tests can move, and what their container APIs have in
// common: the user in the path, a container's PUBLISHED and EXPIRED (24 hours unpublished)
// states, media that stay IN_PROGRESS or fail (SetProcessing, FailMedia), and the 24-hour
// posting quota (FillQuota) answered with X-Business-Use-Case-Usage.
//
// Its OAuth is as strict as Meta's: the consent screen requires the app's client_id, an
// absolute redirect_uri, response_type=code, every scope the platform's publishing needs
// (comma-separated) and a state, and "consents" at once by redirecting (302) to
// redirect_uri with code and state (or error=access_denied after Deny). The token endpoint
// (POST /oauth/access_token, a form) requires the app's id and secret in the body,
// grant_type=authorization_code, the redirect_uri the code was issued for and a code used
// once only, within 10 minutes; it grants a short-lived token (1 hour) and the user's id
// as a JSON number. GET /access_token trades a valid short-lived token, with the app's
// secret, for a long-lived one (60 days); GET /refresh_access_token trades a valid
// long-lived token at least 24 hours old for a new one (60 days from now; the old one stays
// good until its own expiry, as on Meta); a younger one is refused with code 100. A token past its expiry, revoked or unknown is refused with Graph's
// OAuthException code 190, status 400, everywhere.
//
// Graph errors are {error: {message, type, code, error_subcode, is_transient,
// fbtrace_id}}; a scripted 5xx is code 2 (is_transient), a scripted 429 code 4 with
// X-Business-Use-Case-Usage, anything else code 100.

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	metaShortLived = time.Hour
	metaLongLived  = 60 * 24 * time.Hour
	metaCodeLife   = 10 * time.Minute
)

// MetaUser is who consents on a Meta platform's fake.
type MetaUser struct {
	ID, Username, Name, PictureURL string
}

// metaGraph is the shared state; the embedding fake's mu (scriptedHTTP) guards it.
type metaGraph struct {
	URL          string
	ClientID     string
	ClientSecret string
	User         MetaUser

	scriptedHTTP
	name          string   // the platform, for messages
	scopes        []string // the scopes the consent screen requires
	exchangeGrant string   // th_exchange_token, ig_exchange_token
	refreshGrant  string   // th_refresh_token, ig_refresh_token
	// codeAnswer is the token endpoint's grant; codeRefusal writes its refusal (Threads
	// answers Graph errors there, Instagram its own shape). f.mu is held.
	codeAnswer  func(access string) any
	codeRefusal func(w http.ResponseWriter, status, code int, typ, msg string)

	offset    time.Duration // how far Advance moved the clock
	deny      bool
	codes     map[string]metaCode
	tokens    map[string]*metaToken
	exchanges int // codes exchanged for a long-lived token
	refreshes int // refreshes that issued a token
	refused   int // token refusals with code 190
	nextID    int64

	// The container API's state, the same on both platforms: when posts were published
	// (the 24-hour quota), how many status reads a media container stays IN_PROGRESS,
	// and the media URLs whose containers end in ERROR, with the reason.
	publishTimes    []time.Time
	processingPolls int
	failMedia       map[string]string
}

type metaCode struct {
	redirectURI string
	issued      time.Time
}

type metaToken struct {
	long    bool
	issued  time.Time
	expires time.Time
	revoked bool
}

func newMetaGraph(name, clientID, clientSecret string, user MetaUser) metaGraph {
	return metaGraph{
		ClientID: clientID, ClientSecret: clientSecret, User: user, name: name,
		codes: map[string]metaCode{}, tokens: map[string]*metaToken{}, nextID: 17841400000000000,
		failMedia: map[string]string{}, processingPolls: 1,
	}
}

// handle registers the OAuth routes on mux.
func (g *metaGraph) handle(mux *http.ServeMux) {
	mux.HandleFunc("GET /oauth/authorize", g.authorize)
	mux.HandleFunc("POST /oauth/access_token", g.codeExchange)
	mux.HandleFunc("GET /access_token", g.longExchange)
	mux.HandleFunc("GET /refresh_access_token", g.refresh)
}

// SetProcessing makes media containers answer IN_PROGRESS for polls status reads.
func (g *metaGraph) SetProcessing(polls int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.processingPolls = polls
}

// FailMedia makes containers of mediaURL end in ERROR with reason (Threads' error_message,
// Instagram's status text).
func (g *metaGraph) FailMedia(mediaURL, reason string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failMedia[mediaURL] = reason
}

// FillQuota records n posts published just now (not listed among the published), toward
// the 24-hour limit.
func (g *metaGraph) FillQuota(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for range n {
		g.publishTimes = append(g.publishTimes, g.nowLocked())
	}
}

// ownUser checks the path's user id; it writes Graph's refusal and returns false for
// another user. g.mu is held.
func (g *metaGraph) ownUser(w http.ResponseWriter, r *http.Request) bool {
	if u := r.PathValue("user"); u != g.User.ID && u != "me" {
		graphError(w, http.StatusBadRequest, 100, 33, "GraphMethodException",
			"Unsupported post request. Object with ID '"+u+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
		return false
	}
	return true
}

// readForm reads a publishing request's form; it writes Graph's refusal and returns
// false when the body cannot be read. Called before g.mu is taken.
func readForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "Unable to read the request")
		return false
	}
	return true
}

// containerStateLocked is a container's state as a read finds it: PUBLISHED once published,
// EXPIRED 24 hours after it was made and not published, else its own state. g.mu is held.
func (g *metaGraph) containerStateLocked(published bool, created time.Time, state string) string {
	switch {
	case published:
		return "PUBLISHED"
	case g.nowLocked().Sub(created) >= 24*time.Hour:
		return "EXPIRED"
	}
	return state
}

// quotaLocked records a publication at now when the 24-hour window has room for it; when
// maxPosts fill it, it writes Graph's rate-limit error (code, subcode, msg) with
// X-Business-Use-Case-Usage saying when the oldest leaves, and returns false. g.mu is held.
func (g *metaGraph) quotaLocked(w http.ResponseWriter, now time.Time, maxPosts, code, subcode int, msg string) bool {
	if wait := windowWait(g.publishTimes, now, maxPosts); wait > 0 {
		w.Header().Set("X-Business-Use-Case-Usage", usageHeader(g.User.ID, wait))
		graphError(w, http.StatusBadRequest, code, subcode, "OAuthException", msg)
		return false
	}
	g.publishTimes = append(g.publishTimes, now)
	return true
}

// unknownObject writes Graph's refusal of a read of an id that is nothing of the user's.
func unknownObject(w http.ResponseWriter, id string) {
	graphError(w, http.StatusBadRequest, 100, 33, "GraphMethodException",
		"Unsupported get request. Object with ID '"+id+"' does not exist, cannot be loaded due to missing permissions, or does not support this operation.")
}

// nowLocked is the fake's clock; g.mu is held.
func (g *metaGraph) nowLocked() time.Time { return time.Now().Add(g.offset) }

// Advance moves the fake's clock forward by d: tokens and containers age.
func (g *metaGraph) Advance(d time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.offset += d
}

// Deny makes the user refuse consent from now on.
func (g *metaGraph) Deny() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deny = true
}

// FailNext answers the next n requests to path with status (a Graph error body).
func (g *metaGraph) FailNext(path string, n, status int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures.add(path, n, status)
}

// Calls returns how many requests path received.
func (g *metaGraph) Calls(path string) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls[path]
}

// IssueToken returns a valid long-lived token of the user, as a finished OAuth flow
// leaves it.
func (g *metaGraph) IssueToken() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.issueLocked(true)
}

// IssueShortToken returns a valid short-lived token of the user, as the code exchange
// grants it.
func (g *metaGraph) IssueShortToken() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.issueLocked(false)
}

// RevokeToken makes token refused (code 190) from now on, as when the user removes the app.
func (g *metaGraph) RevokeToken(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if t := g.tokens[token]; t != nil {
		t.revoked = true
	}
}

// RevokeAll revokes every token issued so far, as when the user removes the app.
func (g *metaGraph) RevokeAll() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range g.tokens {
		t.revoked = true
	}
}

// Exchanges returns how many codes ended in a long-lived token; Refreshes how many
// refreshes issued a token and how many token uses were refused with code 190.
func (g *metaGraph) Exchanges() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.exchanges
}

// Refreshes returns how many refreshes issued a token, and how many requests were
// refused for a dead token (code 190).
func (g *metaGraph) Refreshes() (issued, refused int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.refreshes, g.refused
}

func (g *metaGraph) issueLocked(long bool) string {
	token := randomToken()
	life := metaShortLived
	if long {
		life = metaLongLived
	}
	g.tokens[token] = &metaToken{long: long, issued: g.nowLocked(), expires: g.nowLocked().Add(life)}
	return token
}

// newIDLocked returns a fresh Graph id; g.mu is held.
func (g *metaGraph) newIDLocked() string {
	g.nextID += 7919
	return strconv.FormatInt(g.nextID, 10)
}

// graphErrorBody is the error object of Graph's error body, as Threads, Instagram and
// Facebook send it: {message, type, code, error_subcode (when there is one), fbtrace_id}.
func graphErrorBody(code, subcode int, typ, msg string) map[string]any {
	e := map[string]any{"message": msg, "type": typ, "code": code, "fbtrace_id": "A" + randomToken()[:22]}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	return e
}

// graphError writes Graph's error body as Threads and Instagram send it: Graph's unknown
// and service errors (codes 1 and 2) say is_transient.
func graphError(w http.ResponseWriter, status, code, subcode int, typ, msg string) {
	e := graphErrorBody(code, subcode, typ, msg)
	if code == 2 || code == 1 {
		e["is_transient"] = true
	}
	writeJSON(w, status, map[string]any{"error": e})
}

// failGraph answers a scripted failure the Graph way.
func failGraph(w http.ResponseWriter, status int) {
	switch {
	case status >= 500:
		graphError(w, status, 2, 0, "OAuthException", "An unexpected error has occurred. Please retry your request later.")
	case status == http.StatusTooManyRequests:
		w.Header().Set("X-Business-Use-Case-Usage", `{"17841400000000000":[{"type":"instagram","call_count":100,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":5}]}`)
		graphError(w, status, 4, 0, "OAuthException", "Application request limit reached")
	default:
		graphError(w, status, 100, 0, "OAuthException", "Invalid parameter")
	}
}

// tokenOf reads the request's access_token (the query, or a POST's form body) and checks
// it; on a refusal it has written Graph's error and returns false. g.mu is held.
func (g *metaGraph) tokenOf(w http.ResponseWriter, r *http.Request) (string, bool) {
	token := r.URL.Query().Get("access_token")
	if token == "" && r.Method == http.MethodPost {
		token = r.PostFormValue("access_token")
	}
	if token == "" {
		graphError(w, http.StatusBadRequest, 2500, 0, "OAuthException", "An active access token must be used to query information about the current user.")
		return "", false
	}
	t := g.tokens[token]
	switch {
	case t == nil:
		g.refused++
		graphError(w, http.StatusBadRequest, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return "", false
	case t.revoked:
		g.refused++
		graphError(w, http.StatusBadRequest, 190, 460, "OAuthException", "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.")
		return "", false
	case !g.nowLocked().Before(t.expires):
		g.refused++
		graphError(w, http.StatusBadRequest, 190, 463, "OAuthException", "Error validating access token: Session has expired.")
		return "", false
	}
	return token, true
}

func (g *metaGraph) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	scopes := strings.Split(q.Get("scope"), ",")
	missing := slices.ContainsFunc(g.scopes, func(s string) bool { return !slices.Contains(scopes, s) })
	switch {
	case q.Get("client_id") != g.ClientID:
		http.Error(w, "Invalid platform app", http.StatusBadRequest)
		return
	case err != nil || !redirect.IsAbs():
		http.Error(w, "Invalid redirect_uri", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("state") == "" || missing:
		http.Error(w, "Invalid request: response_type=code, the scopes and a state are required", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	g.mu.Lock()
	if g.deny {
		back.Set("error", "access_denied")
		back.Set("error_reason", "user_denied")
	} else {
		code := randomToken()
		g.codes[code] = metaCode{redirectURI: q.Get("redirect_uri"), issued: g.nowLocked()}
		back.Set("code", code)
	}
	g.mu.Unlock()
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (g *metaGraph) codeExchange(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		g.codeRefusal(w, http.StatusBadRequest, 100, "OAuthException", "Unable to read the request")
		return
	}
	f := r.PostForm
	g.mu.Lock()
	defer g.mu.Unlock()
	if f.Get("client_id") != g.ClientID || f.Get("client_secret") != g.ClientSecret {
		g.codeRefusal(w, http.StatusBadRequest, 101, "OAuthException", "Error validating client secret.")
		return
	}
	if f.Get("grant_type") != "authorization_code" {
		g.codeRefusal(w, http.StatusBadRequest, 100, "OAuthException", "Unsupported grant_type")
		return
	}
	code := f.Get("code")
	c, ok := g.codes[code]
	delete(g.codes, code) // a code is good for one try
	if !ok || c.redirectURI != f.Get("redirect_uri") || g.nowLocked().Sub(c.issued) > metaCodeLife {
		g.codeRefusal(w, http.StatusBadRequest, 100, "OAuthException", "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")
		return
	}
	writeJSON(w, http.StatusOK, g.codeAnswer(g.issueLocked(false)))
}

func (g *metaGraph) longExchange(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g.mu.Lock()
	defer g.mu.Unlock()
	if q.Get("grant_type") != g.exchangeGrant {
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "Unsupported grant_type")
		return
	}
	if q.Get("client_secret") != g.ClientSecret {
		graphError(w, http.StatusBadRequest, 101, 0, "OAuthException", "Error validating client secret.")
		return
	}
	token, ok := g.tokenOf(w, r)
	if !ok {
		return
	}
	if g.tokens[token].long {
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "The access token is already long-lived")
		return
	}
	g.exchanges++
	g.grantLong(w)
}

func (g *metaGraph) refresh(w http.ResponseWriter, r *http.Request) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r.URL.Query().Get("grant_type") != g.refreshGrant {
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "Unsupported grant_type")
		return
	}
	token, ok := g.tokenOf(w, r)
	if !ok {
		return
	}
	if t := g.tokens[token]; !t.long || g.nowLocked().Sub(t.issued) < 24*time.Hour {
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "Only long-lived tokens at least 24 hours old can be refreshed")
		return
	}
	g.refreshes++
	g.grantLong(w)
}

// grantLong answers a new long-lived token; g.mu is held.
func (g *metaGraph) grantLong(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": g.issueLocked(true), "token_type": "bearer", "expires_in": int(metaLongLived / time.Second),
	})
}

// fields returns the requested fields of a node, only those it has.
func fields(r *http.Request, node map[string]any) map[string]any {
	out := map[string]any{}
	for _, f := range strings.Split(r.URL.Query().Get("fields"), ",") {
		if v, ok := node[strings.TrimSpace(f)]; ok {
			out[f] = v
		}
	}
	if id, ok := node["id"]; ok {
		out["id"] = id // Graph always answers a node's id
	}
	return out
}

// usageHeader is Meta's X-Business-Use-Case-Usage for a limit regained in wait.
func usageHeader(id string, wait time.Duration) string {
	minutes := int((wait + time.Minute - 1) / time.Minute)
	b, _ := json.Marshal(map[string]any{id: []map[string]any{{
		"type": "content_publish", "call_count": 100, "total_cputime": 0, "total_time": 0,
		"estimated_time_to_regain_access": minutes,
	}}})
	return string(b)
}

// windowWait returns how long until one of times (within the last day) leaves the
// 24-hour window, when max of them fill it; 0 when there is room.
func windowWait(times []time.Time, now time.Time, maxPosts int) time.Duration {
	var recent []time.Time
	for _, t := range times {
		if now.Sub(t) < 24*time.Hour {
			recent = append(recent, t)
		}
	}
	if len(recent) < maxPosts {
		return 0
	}
	return recent[len(recent)-maxPosts].Add(24 * time.Hour).Sub(now)
}

// jsonNumber is a numeric id as Meta sends some: a JSON number.
type jsonNumber string

func (n jsonNumber) MarshalJSON() ([]byte, error) { return []byte(n), nil }
