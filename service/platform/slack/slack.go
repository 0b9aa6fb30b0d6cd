// Package slack publishes to a Slack channel, with either of two credentials:
//
//   - a bot token and a channel id (creds "bot_token", "channel"): messages go through
//     chat.postMessage, which returns each message's ts, so a thread is a real Slack
//     thread (every reply names the first message's ts) and messages get permalinks;
//   - an incoming webhook (creds "webhook_url"): Slack answers a plain "ok" with no id, so
//     a message's Ref.ID is the synthetic "webhook:<idempotency key>", its URL is empty,
//     and a thread goes out as consecutive messages.
//
// Credentials holding both are taken as a bot's.
//
// The Web API reports most errors as HTTP 200 with {"ok": false, "error": "<code>"}; the
// code, not the HTTP status, says what went wrong (see classify).
package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// Defaults for New's bases.
const (
	DefaultAPIBase     = "https://slack.com/api"
	DefaultWebhookBase = "https://hooks.slack.com/"
)

// Adapter is the Slack adapter.
type Adapter struct {
	client *http.Client
	api    string
	hooks  string
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling the Web API at apiBase (DefaultAPIBase when empty) and
// accepting only incoming webhooks under allowedWebhookBase (DefaultWebhookBase when
// empty), so a stored webhook URL cannot aim the server's requests anywhere else. A nil
// client means netpolicy's client for public addresses.
func New(client *http.Client, apiBase, allowedWebhookBase string) *Adapter {
	if apiBase == "" {
		apiBase = DefaultAPIBase
	}
	if allowedWebhookBase == "" {
		allowedWebhookBase = DefaultWebhookBase
	}
	if !strings.HasSuffix(allowedWebhookBase, "/") {
		allowedWebhookBase += "/"
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{client: client, api: strings.TrimSuffix(apiBase, "/"), hooks: allowedWebhookBase}
}

var (
	// webhookPath is what follows the base of an incoming webhook URL: the team's id, the
	// integration's id and the secret.
	webhookPath = regexp.MustCompile(`^services/([A-Z0-9]{1,32})/([A-Z0-9]{1,32})/[A-Za-z0-9]{1,64}$`)
	tokenShape  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,512}$`)
	channelID   = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
)

// account is what a set of credentials names.
type account struct {
	webhook string // the webhook URL, for a webhook account
	team    string // the webhook's team and integration ids
	hook    string
	token   string // the bot token, for a bot account
	channel string
}

// parse checks creds and returns the account they name, or an error of kind. Errors never
// repeat a token or a webhook URL.
func (a *Adapter) parse(creds platform.Credentials, kind platform.Kind) (account, error) {
	if tok := creds["bot_token"]; tok != "" {
		if !tokenShape.MatchString(tok) {
			return account{}, platform.Errorf(kind, 0, "slack: bot_token is not a Slack token")
		}
		if creds["channel"] == "" {
			return account{}, platform.Errorf(kind, 0, "slack: channel is required with bot_token")
		}
		return account{token: tok, channel: creds["channel"]}, nil
	}
	if u := creds["webhook_url"]; u != "" {
		rest, ok := strings.CutPrefix(u, a.hooks)
		m := webhookPath.FindStringSubmatch(rest)
		if !ok || m == nil {
			return account{}, platform.Errorf(kind, 0,
				"slack: webhook_url must be a Slack incoming webhook URL (%sservices/T…/B…/…)", a.hooks)
		}
		return account{webhook: u, team: m[1], hook: m[2]}, nil
	}
	return account{}, platform.Errorf(kind, 0, "slack: give either webhook_url, or bot_token and channel")
}

// Connect checks a bot token with auth.test and its channel with conversations.info, or a
// webhook by posting an empty message to it (see connectWebhook).
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	acct, err := a.parse(creds, platform.InvalidCredentials)
	if err != nil {
		return platform.Profile{}, nil, err
	}
	if acct.webhook != "" {
		return a.connectWebhook(ctx, acct, creds)
	}

	var who struct {
		URL    string `json:"url"`
		Team   string `json:"team"`
		User   string `json:"user"`
		TeamID string `json:"team_id"`
		UserID string `json:"user_id"`
	}
	if _, err := a.call(ctx, acct, http.MethodPost, "auth.test", nil, nil, &who); err != nil {
		return platform.Profile{}, nil, connectError(err)
	}

	var info struct {
		Channel struct {
			ID         string `json:"id"`
			Name       string `json:"name"`
			IsArchived bool   `json:"is_archived"`
		} `json:"channel"`
	}
	channel := acct.channel
	code, err := a.call(ctx, acct, http.MethodGet, "conversations.info", url.Values{"channel": {acct.channel}}, nil, &info)
	switch {
	case code == "missing_scope":
		// conversations.info needs channels:read, which a bot that only posts may lack;
		// the channel is then checked by the first message instead.
	case code == "channel_not_found":
		hint := ""
		if !channelID.MatchString(acct.channel) {
			hint = " (give the channel's id, such as C0123456789, shown in its details)"
		}
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0,
			"slack: channel %q not found or not visible to the bot%s", acct.channel, hint)
	case err != nil:
		return platform.Profile{}, nil, connectError(err)
	case info.Channel.IsArchived:
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "slack: channel %q is archived", acct.channel)
	default:
		channel = info.Channel.ID
	}

	out := clone(creds)
	out["channel"] = channel
	out["team_url"] = who.URL
	profile := platform.Profile{UserID: who.UserID, Username: who.User, DisplayName: who.Team}
	return profile, out, nil
}

// connectWebhook checks a webhook without posting to it. Slack has no read endpoint for
// incoming webhooks, but it validates the URL before the body: an empty message ({})
// to a live webhook is refused with 400 "no_text", while a revoked or unknown one answers
// 403 "invalid_token", 404 "no_service" or 410 "channel_is_archived". So here — and only
// here — "no_text" means the webhook is valid.
func (a *Adapter) connectWebhook(ctx context.Context, acct account, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	resp, err := a.send(ctx, http.MethodPost, acct.webhook, []byte("{}"), acct)
	if err != nil {
		return platform.Profile{}, nil, err
	}
	code := strings.TrimSpace(string(resp.body))
	if !(resp.status == http.StatusBadRequest && code == "no_text") {
		return platform.Profile{}, nil, connectError(classify(resp.status, code, resp.header, "incoming webhook"))
	}
	profile := platform.Profile{
		UserID:      acct.team + "/" + acct.hook,
		Username:    "incoming-webhook-" + acct.hook,
		DisplayName: "Slack incoming webhook",
	}
	return profile, clone(creds), nil
}

// connectError reports credentials Slack refused as InvalidCredentials; a failure worth
// retrying stays Transient.
func connectError(err error) error {
	var pe *platform.Error
	if errors.As(err, &pe) && pe.Kind != platform.Transient {
		pe.Kind = platform.InvalidCredentials
	}
	return err
}

type attachment struct {
	Fallback string `json:"fallback"`
	ImageURL string `json:"image_url"`
}

type message struct {
	Channel     string       `json:"channel,omitempty"`
	Text        string       `json:"text"`
	ThreadTS    string       `json:"thread_ts,omitempty"`
	Attachments []attachment `json:"attachments,omitempty"`
}

// Publish posts one message. Images go as attachments (each shown with its image), a
// video's URL is appended to the text for Slack to unfurl.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	acct, err := a.parse(creds, platform.TokenRejected)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	msg := message{Text: p.Text}
	if p.VideoURL != "" {
		msg.Text = strings.TrimSpace(msg.Text + "\n" + p.VideoURL)
	}
	for _, img := range p.Images {
		fallback := img.AltText
		if fallback == "" {
			fallback = "image"
		}
		msg.Attachments = append(msg.Attachments, attachment{Fallback: fallback, ImageURL: img.URL})
	}

	if acct.webhook != "" {
		body, err := json.Marshal(msg)
		if err != nil {
			return platform.Ref{}, nil, err
		}
		resp, err := a.send(ctx, http.MethodPost, acct.webhook, body, acct)
		if err != nil {
			return platform.Ref{}, nil, err
		}
		if resp.status/100 != 2 {
			return platform.Ref{}, nil, classify(resp.status, strings.TrimSpace(string(resp.body)), resp.header, "incoming webhook")
		}
		return platform.Ref{ID: "webhook:" + p.IdempotencyKey}, nil, nil
	}

	msg.Channel = acct.channel
	// A Slack thread hangs off its first message: every reply names the root's ts (a reply
	// naming another reply would land in the root's thread anyway).
	switch {
	case p.Root != nil && p.Root.ID != "":
		msg.ThreadTS = p.Root.ID
	case p.ReplyTo != nil:
		msg.ThreadTS = p.ReplyTo.ID
	}
	var posted struct {
		Channel string `json:"channel"`
		TS      string `json:"ts"`
	}
	if _, err := a.call(ctx, acct, http.MethodPost, "chat.postMessage", nil, msg, &posted); err != nil {
		return platform.Ref{}, nil, err
	}
	return platform.Ref{ID: posted.TS, URL: permalink(creds["team_url"], posted.Channel, posted.TS, msg.ThreadTS)}, nil, nil
}

// permalink builds a message's link the way Slack's chat.getPermalink does, sparing a
// call (and the scope it needs): https://<team>.slack.com/archives/<channel>/p<ts without
// the dot>, plus the thread for a reply. Empty when the team's URL is unknown.
func permalink(teamURL, channel, ts, threadTS string) string {
	if teamURL == "" || channel == "" || ts == "" {
		return ""
	}
	u := strings.TrimSuffix(teamURL, "/") + "/archives/" + channel + "/p" + strings.Replace(ts, ".", "", 1)
	if threadTS != "" {
		u += "?thread_ts=" + url.QueryEscape(threadTS) + "&cid=" + url.QueryEscape(channel)
	}
	return u
}

func clone(c platform.Credentials) platform.Credentials {
	out := make(platform.Credentials, len(c)+2)
	for k, v := range c {
		out[k] = v
	}
	return out
}
