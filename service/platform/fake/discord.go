package fake

import (
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// Discord is a fake Discord serving webhooks at /api/webhooks/{id}/{token}: GET reads a
// webhook, POST executes it. Like Discord it answers 204 with no body unless the request
// says ?wait=true, refuses content over 2000 characters with a 50035 Invalid Form Body,
// and tells a wrong token (401, code 50027) from an unknown webhook (404, code 10015).
type Discord struct {
	URL string

	srv *httptest.Server

	mu       sync.Mutex
	delay    time.Duration
	failures failureScript[discordFailure] // by HTTP method
	calls    map[string]int
	nextID   int64
	webhooks map[string]*discordWebhook // by id
	messages []DiscordMessage
}

// DiscordMessage is a message a webhook has posted.
type DiscordMessage struct {
	ID        string
	WebhookID string
	GuildID   string
	ChannelID string
	Content   string
	ImageURLs []string // the embeds' images
	Wait      bool     // whether the request asked for the message back
}

type discordWebhook struct {
	id, token, name, avatar, guildID, channelID string
}

type discordFailure struct {
	status     int
	retryAfter time.Duration
}

// discordMaxContent and discordMaxEmbeds are Discord's limits per message.
const (
	discordMaxContent = 2000
	discordMaxEmbeds  = 10
)

// NewDiscord starts a fake Discord, closed when the test ends.
func NewDiscord(t testing.TB) *Discord {
	t.Helper()
	d := &Discord{calls: map[string]int{}, nextID: 1300000000000000000, webhooks: map[string]*discordWebhook{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/webhooks/{id}/{token}", d.hooked(d.getWebhook))
	mux.HandleFunc("POST /api/webhooks/{id}/{token}", d.hooked(d.execute))
	d.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		d.calls[r.Method]++
		f, failed := d.failures.take(r.Method)
		delay := d.delay
		d.mu.Unlock()
		if failed {
			serveDelayed(w, r, delay, func(w http.ResponseWriter, _ *http.Request) { discordFail(w, f.status, f.retryAfter) })
			return
		}
		serveDelayed(w, r, delay, mux.ServeHTTP)
	}))
	d.URL = d.srv.URL
	t.Cleanup(d.srv.Close)
	return d
}

// WebhookBase is where the fake's webhook URLs start: the adapter's allowed base.
func (d *Discord) WebhookBase() string { return d.URL + "/api/webhooks/" }

// Webhook creates a webhook (in a guild's channel, with an avatar) and returns its URL.
func (d *Discord) Webhook() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.nextID += 4194304 // snowflakes: a timestamp above 22 bits of worker and sequence
	id := strconv.FormatInt(d.nextID, 10)
	wh := &discordWebhook{
		id:        id,
		token:     fmt.Sprintf("wh-Tok_%x-%s", d.nextID, strings.Repeat("x", 40)),
		name:      "Octopost " + id[len(id)-4:],
		avatar:    fmt.Sprintf("%032x", d.nextID),
		guildID:   "1100000000000000001",
		channelID: "1100000000000000002",
	}
	d.webhooks[id] = wh
	return d.WebhookBase() + id + "/" + wh.token
}

// DeleteWebhook deletes the webhook at webhookURL: Discord answers 404 Unknown Webhook
// from then on.
func (d *Discord) DeleteWebhook(webhookURL string) {
	rest := strings.TrimPrefix(webhookURL, d.WebhookBase())
	id, _, _ := strings.Cut(rest, "/")
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.webhooks, id)
}

// FailNext answers the next n requests with HTTP method ("" for any) with status and
// Discord's error body for it. A 429 asks to retry after one second.
func (d *Discord) FailNext(method string, n, status int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failures.add(method, n, discordFailure{status: status, retryAfter: time.Second})
}

// RateLimitNext answers the next n requests with a 429 asking to retry after retryAfter,
// in the body (retry_after, fractional seconds) and the headers, as Discord does.
func (d *Discord) RateLimitNext(n int, retryAfter time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.failures.add("", n, discordFailure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
}

// SetDelay holds every response back for d after the request has been served.
func (d *Discord) SetDelay(delay time.Duration) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.delay = delay
}

// Messages returns the messages posted so far, oldest first.
func (d *Discord) Messages() []DiscordMessage {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]DiscordMessage, len(d.messages))
	for i, m := range d.messages {
		m.ImageURLs = slices.Clone(m.ImageURLs)
		out[i] = m
	}
	return out
}

// Calls returns how many requests used HTTP method, failed ones included.
func (d *Discord) Calls(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[method]
}

func discordError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "code": code})
}

func discordFail(w http.ResponseWriter, status int, retryAfter time.Duration) {
	switch status {
	case http.StatusTooManyRequests:
		secs := retryAfter.Seconds()
		h := w.Header()
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(time.Now().Add(retryAfter).UnixMilli())/1000, 'f', 3, 64))
		h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
		h.Set("X-RateLimit-Bucket", "f3b9c1a2e5d7")
		h.Set("X-RateLimit-Scope", "user")
		writeJSON(w, status, map[string]any{"message": "You are being rate limited.", "retry_after": secs, "global": false})
	case http.StatusUnauthorized:
		discordError(w, status, 50027, "Invalid Webhook Token")
	case http.StatusNotFound:
		discordError(w, status, 10015, "Unknown Webhook")
	case http.StatusBadRequest:
		discordError(w, status, 50006, "Cannot send an empty message")
	case http.StatusForbidden:
		discordError(w, status, 50013, "Missing Permissions")
	default:
		discordError(w, status, 0, fmt.Sprintf("%d: %s", status, http.StatusText(status)))
	}
}

// hooked resolves the webhook of the path, answering 404 for an unknown id and 401 for a
// known id with the wrong token, as Discord does.
func (d *Discord) hooked(h func(http.ResponseWriter, *http.Request, discordWebhook)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d.mu.Lock()
		wh, ok := d.webhooks[r.PathValue("id")]
		var hook discordWebhook
		if ok {
			hook = *wh
		}
		d.mu.Unlock()
		switch {
		case !ok:
			discordFail(w, http.StatusNotFound, 0)
		case hook.token != r.PathValue("token"):
			discordFail(w, http.StatusUnauthorized, 0)
		default:
			h(w, r, hook)
		}
	}
}

func (d *Discord) getWebhook(w http.ResponseWriter, _ *http.Request, wh discordWebhook) {
	writeJSON(w, http.StatusOK, map[string]any{
		"type": 1, "id": wh.id, "name": wh.name, "avatar": wh.avatar,
		"channel_id": wh.channelID, "guild_id": wh.guildID,
		"application_id": nil, "token": wh.token,
	})
}

type discordExecute struct {
	Content string `json:"content"`
	Embeds  []struct {
		Image *struct {
			URL string `json:"url"`
		} `json:"image"`
	} `json:"embeds"`
}

func (d *Discord) execute(w http.ResponseWriter, r *http.Request, wh discordWebhook) {
	var req discordExecute
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		// Discord reads form and multipart bodies too; the adapter sends JSON, so the fake
		// treats anything else as a body with nothing in it.
		discordError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		discordError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	if n := utf8.RuneCountInString(req.Content); n > discordMaxContent {
		discordFormError(w, "content", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", discordMaxContent))
		return
	}
	if len(req.Embeds) > discordMaxEmbeds {
		discordFormError(w, "embeds", "BASE_TYPE_MAX_LENGTH", fmt.Sprintf("Must be %d or fewer in length.", discordMaxEmbeds))
		return
	}
	var images []string
	for _, e := range req.Embeds {
		if e.Image != nil {
			images = append(images, e.Image.URL)
		}
	}
	if strings.TrimSpace(req.Content) == "" && len(req.Embeds) == 0 {
		discordError(w, http.StatusBadRequest, 50006, "Cannot send an empty message")
		return
	}
	wait := r.URL.Query().Get("wait") == "true"

	d.mu.Lock()
	d.nextID += 4194304
	msg := DiscordMessage{
		ID: strconv.FormatInt(d.nextID, 10), WebhookID: wh.id, GuildID: wh.guildID, ChannelID: wh.channelID,
		Content: req.Content, ImageURLs: images, Wait: wait,
	}
	d.messages = append(d.messages, msg)
	d.mu.Unlock()

	if !wait {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	embeds := make([]map[string]any, len(images))
	for i, u := range images {
		embeds[i] = map[string]any{"type": "rich", "image": map[string]any{"url": u, "proxy_url": u}}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": msg.ID, "type": 0, "content": msg.Content, "channel_id": msg.ChannelID,
		"author":     map[string]any{"id": wh.id, "username": wh.name, "avatar": wh.avatar, "bot": true},
		"embeds":     embeds,
		"timestamp":  time.Now().UTC().Format("2006-01-02T15:04:05.000000+00:00"),
		"webhook_id": wh.id, "flags": 0, "mentions": []any{}, "attachments": []any{},
	})
}

func discordFormError(w http.ResponseWriter, field, code, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"message": "Invalid Form Body", "code": 50035,
		"errors": map[string]any{field: map[string]any{"_errors": []map[string]string{{"code": code, "message": msg}}}},
	})
}
