package fake

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Slack is a fake Slack: the Web API under /api/{method} (auth.test, conversations.info,
// chat.postMessage) for one bot in one workspace, and incoming webhooks at
// /services/{team}/{hook}/{secret}. Like Slack, the Web API answers errors as HTTP 200
// with {"ok": false, "error": code}, takes the token only from the Authorization header
// with a JSON body, finds channels by id (conversations.info) or also by name
// (chat.postMessage), and refuses empty text (no_text) and text over 40000 characters
// (msg_too_long); webhooks answer a plain "ok", and errors as plain-text codes with 400,
// 403, 404 or 410.
type Slack struct {
	URL       string
	Team      string // the workspace's name
	TeamID    string
	BotUser   string // the bot user's name
	BotUserID string
	Token     string // the bot's valid token

	srv *httptest.Server

	mu       sync.Mutex
	revoked  bool
	delay    time.Duration
	failures failureScript[slackFailure] // by path
	calls    map[string]int
	nextID   int
	clock    int64                    // ts seconds of the last message
	channels map[string]*slackChannel // by id
	webhooks map[string]string        // by path, the channel each posts to
	removed  map[string]bool          // paths of removed webhooks
	messages []SlackMessage
}

// SlackMessage is a message posted through the Web API or a webhook.
type SlackMessage struct {
	Channel   string // the channel's id
	TS        string
	ThreadTS  string // the thread's root, empty for a top-level message
	Text      string
	ImageURLs []string // the attachments' images
	Webhook   bool     // posted through an incoming webhook
}

type slackChannel struct {
	id, name  string
	archived  bool
	botMember bool
}

type slackFailure struct {
	status     int
	code       string // the Web API error code (HTTP 200 unless status says otherwise)
	retryAfter time.Duration
}

// slackMaxText is the length, in characters, over which Slack answers msg_too_long.
const slackMaxText = 40000

// NewSlack starts a fake Slack with a workspace and a bot, closed when the test ends.
func NewSlack(t testing.TB) *Slack {
	t.Helper()
	s := &Slack{
		Team: "Octopost Test", TeamID: "T0OCTOPOST", BotUser: "octopost", BotUserID: "U0OCTOBOT",
		Token:    "xoxb-1111111111-2222222222222-AbCdEfGhIjKlMnOpQrStUvWx",
		calls:    map[string]int{},
		clock:    1700000000,
		channels: map[string]*slackChannel{},
		webhooks: map[string]string{},
		removed:  map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.api)
	mux.HandleFunc("/services/{team}/{hook}/{secret}", s.webhook)
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[r.URL.Path]++
		f, failed := s.failures.take(r.URL.Path)
		delay := s.delay
		s.mu.Unlock()
		if failed {
			webhook := strings.HasPrefix(r.URL.Path, "/services/")
			serveDelayed(w, r, delay, func(w http.ResponseWriter, _ *http.Request) { slackFail(w, f, webhook) })
			return
		}
		serveDelayed(w, r, delay, mux.ServeHTTP)
	}))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// APIBase is the Web API's base URL, the adapter's apiBase.
func (s *Slack) APIBase() string { return s.URL + "/api" }

// WebhookBase is where the fake's webhook URLs start, the adapter's allowed base.
func (s *Slack) WebhookBase() string { return s.URL + "/" }

// AddChannel creates a public channel with the bot in it and returns its id.
func (s *Slack) AddChannel(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	id := fmt.Sprintf("C%08d", s.nextID)
	s.channels[id] = &slackChannel{id: id, name: name, botMember: true}
	return id
}

// ArchiveChannel archives a channel: posts to it fail with is_archived (channel_is_archived
// through a webhook).
func (s *Slack) ArchiveChannel(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[id]; ok {
		c.archived = true
	}
}

// RemoveBot takes the bot out of a channel: its posts fail with not_in_channel, while
// conversations.info still sees the (public) channel.
func (s *Slack) RemoveBot(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.channels[id]; ok {
		c.botMember = false
	}
}

// Webhook creates an incoming webhook posting to channel and returns its URL.
func (s *Slack) Webhook(channel string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	path := fmt.Sprintf("/services/%s/B%08d/%024d", s.TeamID, s.nextID, s.nextID*7919)
	s.webhooks[path] = channel
	return s.URL + path
}

// RemoveWebhook removes an incoming webhook: Slack answers 404 no_service from then on.
func (s *Slack) RemoveWebhook(webhookURL string) {
	path := strings.TrimPrefix(webhookURL, s.URL)
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.webhooks, path)
	s.removed[path] = true
}

// RevokeToken revokes the bot's token: the Web API answers token_revoked from then on.
func (s *Slack) RevokeToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revoked = true
}

// FailNext answers the next n requests to path ("" for any; a Web API path is
// "/api/chat.postMessage") with HTTP status: a 429 with Retry-After: 1; any other status
// with an HTML error page on the Web API, as Slack's edge sends, and with the plain-text
// code Slack uses for that status on a webhook.
func (s *Slack) FailNext(path string, n, status int) {
	s.addFailure(path, n, slackFailure{status: status, retryAfter: time.Second})
}

// FailNextWith answers the next n requests to path with Slack error code: on the Web API
// as HTTP 200 {"ok": false, "error": code}, on a webhook as the plain-text code with the
// status Slack sends it with.
func (s *Slack) FailNextWith(path string, n int, code string) {
	s.addFailure(path, n, slackFailure{status: http.StatusOK, code: code})
}

// RateLimitNext answers the next n requests to path with 429 and Retry-After (whole
// seconds, rounded up): {"ok": false, "error": "ratelimited"} on the Web API.
func (s *Slack) RateLimitNext(path string, n int, retryAfter time.Duration) {
	s.addFailure(path, n, slackFailure{status: http.StatusTooManyRequests, code: "ratelimited", retryAfter: retryAfter})
}

func (s *Slack) addFailure(path string, n int, f slackFailure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures.add(path, n, f)
}

// SetDelay holds every response back for d after the request has been served.
func (s *Slack) SetDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Messages returns the messages posted so far, oldest first.
func (s *Slack) Messages() []SlackMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SlackMessage, len(s.messages))
	for i, m := range s.messages {
		m.ImageURLs = slices.Clone(m.ImageURLs)
		out[i] = m
	}
	return out
}

// Calls returns how many requests were made to path, failed ones included.
func (s *Slack) Calls(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[path]
}

// slackWebhookStatus is the HTTP status a webhook answers an error code with.
var slackWebhookStatus = map[string]int{
	"invalid_token": http.StatusForbidden, "action_prohibited": http.StatusForbidden,
	"no_service": http.StatusNotFound, "channel_not_found": http.StatusNotFound,
	"channel_is_archived": http.StatusGone,
	"rate_limited":        http.StatusTooManyRequests,
	"internal_error":      http.StatusInternalServerError,
}

// slackWebhookCode is the code a webhook answers a status with.
var slackWebhookCode = map[int]string{
	http.StatusBadRequest: "invalid_payload", http.StatusForbidden: "invalid_token",
	http.StatusNotFound: "no_service", http.StatusGone: "channel_is_archived",
	http.StatusTooManyRequests: "rate_limited",
}

func slackFail(w http.ResponseWriter, f slackFailure, webhook bool) {
	if f.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.retryAfter.Seconds()))))
	}
	switch {
	case webhook:
		status, code := f.status, f.code
		if code == "" {
			code = slackWebhookCode[status]
		} else if st, ok := slackWebhookStatus[code]; ok && status == http.StatusOK {
			status = st
		} else if status == http.StatusOK {
			status = http.StatusBadRequest
		}
		if code == "" {
			code = strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_"))
		}
		slackText(w, status, code)
	case f.code != "":
		writeJSON(w, f.status, map[string]any{"ok": false, "error": f.code})
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(f.status)
		_, _ = fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>", f.status, http.StatusText(f.status))
	}
}

func slackText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func slackOK(w http.ResponseWriter, v map[string]any) {
	v["ok"] = true
	writeJSON(w, http.StatusOK, v)
}

func slackErr(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

// slackArgs are a Web API call's arguments: query and form fields, or a JSON body.
type slackArgs struct {
	values    url.Values
	json      map[string]any
	isJSON    bool
	noCharset bool
}

func (a slackArgs) get(key string) string {
	if a.isJSON {
		if v, ok := a.json[key].(string); ok {
			return v
		}
	}
	return a.values.Get(key)
}

func (s *Slack) api(w http.ResponseWriter, r *http.Request) {
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	args := slackArgs{}
	if ct == "application/json" && r.Method == http.MethodPost {
		args.isJSON = true
		args.noCharset = params["charset"] == ""
		if err := json.NewDecoder(r.Body).Decode(&args.json); err != nil {
			slackErr(w, "invalid_json")
			return
		}
	}
	_ = r.ParseForm() // a malformed form leaves the arguments empty, as on Slack
	args.values = r.Form

	// Slack takes the token from the Authorization header, or from a form or query field;
	// never from a JSON body.
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		token = args.values.Get("token")
	}
	s.mu.Lock()
	revoked := s.revoked
	s.mu.Unlock()
	switch {
	case token == "":
		slackErr(w, "not_authed")
		return
	case token != s.Token:
		slackErr(w, "invalid_auth")
		return
	case revoked:
		slackErr(w, "token_revoked")
		return
	}

	switch r.PathValue("method") {
	case "auth.test":
		slackOK(w, map[string]any{
			"url": "https://octopost-test.slack.com/", "team": s.Team, "user": s.BotUser,
			"team_id": s.TeamID, "user_id": s.BotUserID, "bot_id": "B0OCTOBOT", "is_enterprise_install": false,
		})
	case "conversations.info":
		s.mu.Lock()
		c, ok := s.channels[args.get("channel")]
		var ch slackChannel
		if ok {
			ch = *c
		}
		s.mu.Unlock()
		if !ok {
			slackErr(w, "channel_not_found")
			return
		}
		slackOK(w, map[string]any{"channel": map[string]any{
			"id": ch.id, "name": ch.name, "is_channel": true, "is_private": false,
			"is_archived": ch.archived, "is_member": ch.botMember, "created": 1600000000,
		}})
	case "chat.postMessage":
		s.postMessage(w, args)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// slackImages returns the image URLs of a message's attachments.
func slackImages(raw any) []string {
	list, _ := raw.([]any)
	var out []string
	for _, a := range list {
		if m, ok := a.(map[string]any); ok {
			if u, ok := m["image_url"].(string); ok {
				out = append(out, u)
			}
		}
	}
	return out
}

func (s *Slack) postMessage(w http.ResponseWriter, args slackArgs) {
	text := args.get("text")
	var attachments []any
	if args.isJSON {
		attachments, _ = args.json["attachments"].([]any)
	}
	images := slackImages(attachments)
	hasAttachments := len(attachments) > 0

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.findChannel(args.get("channel"))
	switch {
	case c == nil:
		slackErr(w, "channel_not_found")
		return
	case c.archived:
		slackErr(w, "is_archived")
		return
	case !c.botMember:
		slackErr(w, "not_in_channel")
		return
	case strings.TrimSpace(text) == "" && !hasAttachments:
		slackErr(w, "no_text")
		return
	case utf8.RuneCountInString(text) > slackMaxText:
		slackErr(w, "msg_too_long")
		return
	}
	threadTS := args.get("thread_ts")
	if threadTS != "" {
		i := slices.IndexFunc(s.messages, func(m SlackMessage) bool { return m.Channel == c.id && m.TS == threadTS })
		if i < 0 {
			// Stricter than Slack, which may post such a message unthreaded: a reply to a
			// message that does not exist is a bug worth seeing.
			slackErr(w, "thread_not_found")
			return
		}
		if root := s.messages[i].ThreadTS; root != "" {
			threadTS = root // a reply to a reply joins the root's thread
		}
	}
	m := s.record(SlackMessage{Channel: c.id, ThreadTS: threadTS, Text: text, ImageURLs: images})
	msg := map[string]any{"type": "message", "text": text, "user": s.BotUserID, "bot_id": "B0OCTOBOT", "ts": m.TS}
	if threadTS != "" {
		msg["thread_ts"] = threadTS
	}
	resp := map[string]any{"channel": c.id, "ts": m.TS, "message": msg}
	if args.noCharset {
		resp["warning"] = "missing_charset"
		resp["response_metadata"] = map[string]any{"warnings": []string{"missing_charset"}}
	}
	slackOK(w, resp)
}

// findChannel finds a channel by id, or by name with or without '#'; s.mu is held.
func (s *Slack) findChannel(ref string) *slackChannel {
	if c, ok := s.channels[ref]; ok {
		return c
	}
	name := strings.TrimPrefix(ref, "#")
	for _, c := range s.channels {
		if name != "" && c.name == name {
			return c
		}
	}
	return nil
}

// record stores a message with the next ts; s.mu is held.
func (s *Slack) record(m SlackMessage) SlackMessage {
	s.clock++
	m.TS = fmt.Sprintf("%d.%06d", s.clock, len(s.messages)+1)
	s.messages = append(s.messages, m)
	return m
}

func (s *Slack) webhook(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		slackText(w, http.StatusMethodNotAllowed, "invalid_request_method")
		return
	}
	path := r.URL.Path
	s.mu.Lock()
	channel, ok := s.webhooks[path]
	removed := s.removed[path]
	s.mu.Unlock()
	if !ok {
		if removed || !strings.HasPrefix(r.PathValue("team"), s.TeamID) {
			slackText(w, http.StatusNotFound, "no_service")
		} else {
			slackText(w, http.StatusForbidden, "invalid_token")
		}
		return
	}

	var body map[string]any
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var raw string
	if ct == "application/x-www-form-urlencoded" {
		_ = r.ParseForm()
		raw = r.PostForm.Get("payload")
	} else {
		b, _ := io.ReadAll(r.Body) // a body cut short fails as invalid JSON below
		raw = string(b)
	}
	if json.Unmarshal([]byte(raw), &body) != nil {
		slackText(w, http.StatusBadRequest, "invalid_payload")
		return
	}
	text, _ := body["text"].(string)
	images := slackImages(body["attachments"])
	attachments, _ := body["attachments"].([]any)

	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	switch {
	case c == nil:
		slackText(w, http.StatusNotFound, "channel_not_found")
		return
	case c.archived:
		slackText(w, http.StatusGone, "channel_is_archived")
		return
	case strings.TrimSpace(text) == "" && len(attachments) == 0:
		slackText(w, http.StatusBadRequest, "no_text")
		return
	case utf8.RuneCountInString(text) > slackMaxText:
		slackText(w, http.StatusBadRequest, "msg_too_long")
		return
	}
	s.record(SlackMessage{Channel: c.id, Text: text, ImageURLs: images, Webhook: true})
	slackText(w, http.StatusOK, "ok")
}
