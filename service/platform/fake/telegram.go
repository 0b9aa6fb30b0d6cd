package fake

import (
	"encoding/json"
	"fmt"
	"mime"
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
	"unicode/utf16"
)

// Telegram is a fake Bot API for one bot, at /bot<token>/<method> (getMe, getChat,
// sendMessage, sendPhoto, sendVideo, sendMediaGroup; method names are case-insensitive as
// on Telegram). It takes parameters as a query, a form or JSON, answers {"ok": true,
// "result": …} or {"ok": false, "error_code", "description", "parameters"?} with the
// error code as HTTP status, and enforces Telegram's limits: text 1–4096 and captions up
// to 1024 UTF-16 code units, albums of 2–10 items, replies to messages that exist.
type Telegram struct {
	URL         string
	Token       string // the bot's valid token
	BotID       int64
	BotUsername string

	srv *httptest.Server

	mu       sync.Mutex
	revoked  bool
	delay    time.Duration
	failures failureScript[telegramFailure] // by lower-cased method
	calls    map[string]int                 // by method, lower-cased
	chats    map[int64]*telegramChat
	migrated map[int64]int64 // a group's id → its supergroup's
	groups   int             // media groups sent
	messages []TelegramMessage
}

// TelegramChat is a chat the bot can post to. A chat with a Username is public: its
// messages have t.me links.
type TelegramChat struct {
	ID        int64
	Type      string // "channel", "supergroup", "group" or "private"
	Title     string // channels and groups
	Username  string // without '@'; empty for a private group
	FirstName string // private chats
}

type telegramChat struct {
	TelegramChat
	kicked  bool
	lastMsg int64
}

// TelegramMessage is a message the bot has sent. An album is one message per item,
// sharing a MediaGroupID; the caption is on the first.
type TelegramMessage struct {
	ChatID       int64
	MessageID    int64
	Method       string // as called, e.g. "sendMessage"
	Text         string
	Caption      string
	Photo        string // the URL sent as the photo
	Video        string
	MediaGroupID string
	ReplyTo      int64 // the message replied to, 0 for none
}

type telegramFailure struct {
	status      int
	description string
	retryAfter  int
}

// Telegram's limits, in UTF-16 code units.
const (
	telegramMaxText    = 4096
	telegramMaxCaption = 1024
)

var telegramTokenShape = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)

// NewTelegram starts a fake Bot API, closed when the test ends. It knows no chats until
// AddChat.
func NewTelegram(t testing.TB) *Telegram {
	t.Helper()
	tg := &Telegram{
		Token: "7012345678:AAHfakeTokenForTests_0123456789abcdef", BotID: 7012345678, BotUsername: "octopost_test_bot",
		calls: map[string]int{}, chats: map[int64]*telegramChat{}, migrated: map[int64]int64{},
	}
	tg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, _ := strings.CutPrefix(r.URL.Path, "/bot")
		token, method, _ := strings.Cut(rest, "/")
		method = strings.ToLower(method)
		tg.mu.Lock()
		tg.calls[method]++
		f, failed := tg.failures.take(method)
		delay := tg.delay
		tg.mu.Unlock()
		if failed {
			serveDelayed(w, r, delay, func(w http.ResponseWriter, _ *http.Request) { telegramFail(w, f) })
			return
		}
		serveDelayed(w, r, delay, func(w http.ResponseWriter, r *http.Request) { tg.serve(w, r, token, method) })
	}))
	tg.URL = tg.srv.URL
	t.Cleanup(tg.srv.Close)
	return tg
}

// AddChat makes a chat the bot is a member of.
func (tg *Telegram) AddChat(c TelegramChat) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.chats[c.ID] = &telegramChat{TelegramChat: c}
}

// KickBot removes the bot from a chat (or, for a private chat, has the user block it):
// Telegram answers 403 Forbidden from then on.
func (tg *Telegram) KickBot(chatID int64) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if c, ok := tg.chats[chatID]; ok {
		c.kicked = true
	}
}

// MigrateChat turns group from into supergroup to: requests naming the old id fail with
// 400 and parameters.migrate_to_chat_id, as on Telegram.
func (tg *Telegram) MigrateChat(from, to int64) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	old, ok := tg.chats[from]
	if !ok {
		return
	}
	c := *old
	c.ID, c.Type, c.lastMsg = to, "supergroup", 0
	tg.chats[to] = &c
	delete(tg.chats, from)
	tg.migrated[from] = to
}

// RevokeToken revokes the bot's token: every method answers 401 Unauthorized.
func (tg *Telegram) RevokeToken() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.revoked = true
}

// FailNext answers the next n calls of method ("" for any, e.g. "sendMessage") with
// status: Telegram's JSON error body for it, except that a 502, 503 or 504 comes as the
// HTML page of the proxy in front of the Bot API. A 429 asks to retry after 1 s.
func (tg *Telegram) FailNext(method string, n, status int) {
	tg.addFailure(method, n, telegramFailure{status: status, retryAfter: 1})
}

// FailNextWith answers the next n calls of method with {"ok": false, "error_code": status,
// "description": description}.
func (tg *Telegram) FailNextWith(method string, n, status int, description string) {
	tg.addFailure(method, n, telegramFailure{status: status, description: description})
}

// RateLimitNext answers the next n calls of method with 429 and
// parameters.retry_after = retryAfter seconds.
func (tg *Telegram) RateLimitNext(method string, n, retryAfter int) {
	tg.addFailure(method, n, telegramFailure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

func (tg *Telegram) addFailure(method string, n int, f telegramFailure) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.failures.add(strings.ToLower(method), n, f)
}

// SetDelay holds every response back for d after the request has been served.
func (tg *Telegram) SetDelay(d time.Duration) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.delay = d
}

// Messages returns the messages sent so far, oldest first.
func (tg *Telegram) Messages() []TelegramMessage {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return slices.Clone(tg.messages)
}

// Calls returns how many times method was called (case-insensitively), failed calls
// included.
func (tg *Telegram) Calls(method string) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.calls[strings.ToLower(method)]
}

func telegramFail(w http.ResponseWriter, f telegramFailure) {
	switch {
	case f.description != "":
		telegramError(w, f.status, f.description, nil)
	case f.status == http.StatusTooManyRequests:
		telegramError(w, f.status, fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter),
			map[string]any{"retry_after": f.retryAfter})
	case f.status == http.StatusBadGateway || f.status == http.StatusServiceUnavailable || f.status == http.StatusGatewayTimeout:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.status)
		_, _ = fmt.Fprintf(w, "<html>\r\n<head><title>%d %s</title></head>\r\n<body>\r\n<center><h1>%d %s</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n",
			f.status, http.StatusText(f.status), f.status, http.StatusText(f.status))
	default:
		telegramError(w, f.status, http.StatusText(f.status), nil)
	}
}

func telegramError(w http.ResponseWriter, code int, desc string, params map[string]any) {
	body := map[string]any{"ok": false, "error_code": code, "description": desc}
	if params != nil {
		body["parameters"] = params
	}
	writeJSON(w, code, body)
}

func telegramOK(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// telegramParams are a call's parameters from the query, a form or a JSON body. In a
// form, objects and arrays are JSON-encoded strings, as the Bot API expects.
type telegramParams map[string]any

func telegramParse(r *http.Request) (telegramParams, error) {
	p := telegramParams{}
	for k, v := range r.URL.Query() {
		p[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var body map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			return nil, err
		}
		for k, v := range body {
			p[k] = v
		}
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseMultipartForm(1 << 20); err != nil && err != http.ErrNotMultipart {
			return nil, err
		}
		for k, v := range r.PostForm {
			p[k] = v[0]
		}
	}
	return p, nil
}

func (p telegramParams) str(key string) string {
	switch v := p[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	default:
		return ""
	}
}

// object decodes an object or array parameter, given as JSON or as a JSON string.
func (p telegramParams) object(key string, into any) bool {
	v, ok := p[key]
	if !ok {
		return false
	}
	var raw []byte
	if s, isStr := v.(string); isStr {
		raw = []byte(s)
	} else {
		raw, _ = json.Marshal(v)
	}
	return json.Unmarshal(raw, into) == nil
}

func telegramLen(s string) int { return len(utf16.Encode([]rune(s))) }

func (tg *Telegram) serve(w http.ResponseWriter, r *http.Request, token, method string) {
	if !telegramTokenShape.MatchString(token) {
		telegramError(w, http.StatusNotFound, "Not Found", nil)
		return
	}
	tg.mu.Lock()
	revoked := tg.revoked
	tg.mu.Unlock()
	if token != tg.Token || revoked {
		telegramError(w, http.StatusUnauthorized, "Unauthorized", nil)
		return
	}
	p, err := telegramParse(r)
	if err != nil {
		telegramError(w, http.StatusBadRequest, "Bad Request: can't parse JSON object", nil)
		return
	}
	switch method {
	case "getme":
		telegramOK(w, map[string]any{
			"id": tg.BotID, "is_bot": true, "first_name": "Octopost Test Bot", "username": tg.BotUsername,
			"can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
		})
	case "getchat":
		tg.mu.Lock()
		defer tg.mu.Unlock()
		c, ok := tg.chat(w, p)
		if ok {
			telegramOK(w, tg.chatJSON(c))
		}
	case "sendmessage", "sendphoto", "sendvideo", "sendmediagroup":
		tg.send(w, p, method)
	default:
		telegramError(w, http.StatusNotFound, "Not Found", nil)
	}
}

// chat resolves chat_id, answering the error Telegram gives when it cannot; tg.mu is held.
func (tg *Telegram) chat(w http.ResponseWriter, p telegramParams) (*telegramChat, bool) {
	ref := p.str("chat_id")
	var c *telegramChat
	if name, ok := strings.CutPrefix(ref, "@"); ok {
		for _, ch := range tg.chats {
			if ch.Username != "" && strings.EqualFold(ch.Username, name) {
				c = ch
			}
		}
	} else if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		if to, moved := tg.migrated[id]; moved {
			telegramError(w, http.StatusBadRequest, "Bad Request: group chat was upgraded to a supergroup chat",
				map[string]any{"migrate_to_chat_id": to})
			return nil, false
		}
		c = tg.chats[id]
	}
	switch {
	case ref == "":
		telegramError(w, http.StatusBadRequest, "Bad Request: chat_id is empty", nil)
	case c == nil:
		telegramError(w, http.StatusBadRequest, "Bad Request: chat not found", nil)
	case c.kicked && c.Type == "private":
		telegramError(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", nil)
	case c.kicked && c.Type == "channel":
		telegramError(w, http.StatusForbidden, "Forbidden: bot is not a member of the channel chat", nil)
	case c.kicked:
		telegramError(w, http.StatusForbidden, "Forbidden: bot was kicked from the group chat", nil)
	default:
		return c, true
	}
	return nil, false
}

func (tg *Telegram) chatJSON(c *telegramChat) map[string]any {
	out := map[string]any{"id": c.ID, "type": c.Type}
	if c.Title != "" {
		out["title"] = c.Title
	}
	if c.Username != "" {
		out["username"] = c.Username
	}
	if c.FirstName != "" {
		out["first_name"] = c.FirstName
	}
	return out
}

type telegramInputMedia struct {
	Type    string `json:"type"`
	Media   string `json:"media"`
	Caption string `json:"caption"`
}

func telegramValidURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func (tg *Telegram) send(w http.ResponseWriter, p telegramParams, method string) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	c, ok := tg.chat(w, p)
	if !ok {
		return
	}
	var replyTo int64
	var rp struct {
		MessageID                int64 `json:"message_id"`
		AllowSendingWithoutReply bool  `json:"allow_sending_without_reply"`
	}
	if p.object("reply_parameters", &rp) {
		replyTo = rp.MessageID
	} else if id, err := strconv.ParseInt(p.str("reply_to_message_id"), 10, 64); err == nil {
		replyTo = id
		rp.AllowSendingWithoutReply = p.str("allow_sending_without_reply") == "true"
	}
	if replyTo != 0 && !slices.ContainsFunc(tg.messages, func(m TelegramMessage) bool {
		return m.ChatID == c.ID && m.MessageID == replyTo
	}) {
		if !rp.AllowSendingWithoutReply {
			telegramError(w, http.StatusBadRequest, "Bad Request: message to be replied not found", nil)
			return
		}
		replyTo = 0
	}

	var items []TelegramMessage
	switch method {
	case "sendmessage":
		text := p.str("text")
		switch {
		case strings.TrimSpace(text) == "":
			telegramError(w, http.StatusBadRequest, "Bad Request: message text is empty", nil)
			return
		case telegramLen(text) > telegramMaxText:
			telegramError(w, http.StatusBadRequest, "Bad Request: message is too long", nil)
			return
		}
		items = []TelegramMessage{{Method: "sendMessage", Text: text}}
	case "sendphoto", "sendvideo":
		kind := strings.TrimPrefix(method, "send")
		media := p.str(kind)
		caption := p.str("caption")
		switch {
		case media == "":
			telegramError(w, http.StatusBadRequest, "Bad Request: there is no "+kind+" in the request", nil)
			return
		case !telegramValidURL(media):
			telegramError(w, http.StatusBadRequest, "Bad Request: wrong HTTP URL specified", nil)
			return
		case telegramLen(caption) > telegramMaxCaption:
			telegramError(w, http.StatusBadRequest, "Bad Request: message caption is too long", nil)
			return
		}
		m := TelegramMessage{Method: "send" + strings.ToUpper(kind[:1]) + kind[1:], Caption: caption}
		if kind == "photo" {
			m.Photo = media
		} else {
			m.Video = media
		}
		items = []TelegramMessage{m}
	case "sendmediagroup":
		var media []telegramInputMedia
		if !p.object("media", &media) {
			telegramError(w, http.StatusBadRequest, "Bad Request: parameter \"media\" is required", nil)
			return
		}
		if len(media) < 2 || len(media) > 10 {
			telegramError(w, http.StatusBadRequest, "Bad Request: wrong number of media specified", nil)
			return
		}
		tg.groups++
		group := strconv.FormatInt(13700000000000000+int64(tg.groups), 10)
		for _, im := range media {
			m := TelegramMessage{Method: "sendMediaGroup", Caption: im.Caption, MediaGroupID: group}
			switch {
			case im.Type != "photo" && im.Type != "video":
				telegramError(w, http.StatusBadRequest, "Bad Request: unsupported media type \""+im.Type+"\" in the media group", nil)
				return
			case !telegramValidURL(im.Media):
				telegramError(w, http.StatusBadRequest, "Bad Request: wrong HTTP URL specified", nil)
				return
			case telegramLen(im.Caption) > telegramMaxCaption:
				telegramError(w, http.StatusBadRequest, "Bad Request: message caption is too long", nil)
				return
			case im.Type == "photo":
				m.Photo = im.Media
			default:
				m.Video = im.Media
			}
			items = append(items, m)
		}
	}

	results := make([]map[string]any, len(items))
	for i, m := range items {
		c.lastMsg++
		m.ChatID, m.MessageID, m.ReplyTo = c.ID, c.lastMsg, replyTo
		tg.messages = append(tg.messages, m)
		results[i] = tg.messageJSON(c, m)
	}
	if method == "sendmediagroup" {
		telegramOK(w, results)
		return
	}
	telegramOK(w, results[0])
}

func (tg *Telegram) messageJSON(c *telegramChat, m TelegramMessage) map[string]any {
	out := map[string]any{"message_id": m.MessageID, "date": time.Now().Unix(), "chat": tg.chatJSON(c)}
	if c.Type != "channel" {
		out["from"] = map[string]any{"id": tg.BotID, "is_bot": true, "first_name": "Octopost Test Bot", "username": tg.BotUsername}
	}
	if m.Text != "" {
		out["text"] = m.Text
	}
	if m.Caption != "" {
		out["caption"] = m.Caption
	}
	if m.Photo != "" {
		out["photo"] = []map[string]any{{"file_id": "AgACAgQAAxk" + strconv.FormatInt(m.MessageID, 10), "file_unique_id": "AQAD" + strconv.FormatInt(m.MessageID, 10), "width": 1280, "height": 720}}
	}
	if m.Video != "" {
		out["video"] = map[string]any{"file_id": "BAACAgQAAxk" + strconv.FormatInt(m.MessageID, 10), "file_unique_id": "AgAD" + strconv.FormatInt(m.MessageID, 10), "width": 1280, "height": 720, "duration": 10}
	}
	if m.MediaGroupID != "" {
		out["media_group_id"] = m.MediaGroupID
	}
	if m.ReplyTo != 0 {
		out["reply_to_message"] = map[string]any{"message_id": m.ReplyTo, "chat": tg.chatJSON(c), "date": time.Now().Unix()}
	}
	return out
}
