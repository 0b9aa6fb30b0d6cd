// Package telegram publishes to a Telegram chat (a channel, group or private chat) as a
// bot, with the credentials "bot_token" and "chat_id" (a numeric id or a public @username).
//
// The Bot API puts the token in every request's path (/bot<token>/<method>), so nothing
// here lets a URL reach an error message: a failed request is reported as
// "telegram: request failed: <what failed>", never with the *url.Error that names the URL.
//
// A thread is a reply chain: each post replies to the previous one. Text goes out with
// sendMessage; with one image or one video as sendPhoto or sendVideo, the text as the
// caption; with several as one sendMediaGroup album, the caption on its first item.
package telegram

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// DefaultAPIBase is the Bot API's base URL.
const DefaultAPIBase = "https://api.telegram.org"

// maxAlbum is the most items sendMediaGroup takes.
const maxAlbum = 10

// Adapter is the Telegram adapter.
type Adapter struct {
	client *http.Client
	api    string
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling the Bot API at apiBase (DefaultAPIBase when empty). A nil
// client means netpolicy's client for public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	if apiBase == "" {
		apiBase = DefaultAPIBase
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{client: client, api: strings.TrimSuffix(apiBase, "/")}
}

var (
	// tokenShape is <bot id>:<secret>. Checking it keeps a token from changing the request's
	// path or query ("/", "?", "#" cannot occur in it).
	tokenShape = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{1,200}$`)
	chatShape  = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$`)
)

// parse checks creds, returning an error of kind that names neither secret.
func parse(creds platform.Credentials, kind platform.Kind) (token, chat string, err error) {
	token, chat = creds["bot_token"], creds["chat_id"]
	switch {
	case token == "":
		return "", "", platform.Errorf(kind, 0, "telegram: bot_token is required")
	case !tokenShape.MatchString(token):
		return "", "", platform.Errorf(kind, 0, "telegram: bot_token is not a bot token (<bot id>:<secret>)")
	case chat == "":
		return "", "", platform.Errorf(kind, 0, "telegram: chat_id is required")
	case !chatShape.MatchString(chat):
		return "", "", platform.Errorf(kind, 0, "telegram: chat_id %q is neither a numeric id nor a public @username", chat)
	}
	return token, chat, nil
}

type user struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

type chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type message struct {
	MessageID int64 `json:"message_id"`
	Chat      chat  `json:"chat"`
}

// Connect checks the token with getMe and the chat with getChat. The profile is the
// chat's (it is where posts go): its id, its public @username (the bot's when the chat has
// none) and its title. The stored chat_id becomes the numeric id, which survives a change
// of the chat's @username.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	token, chatID, err := parse(creds, platform.InvalidCredentials)
	if err != nil {
		return platform.Profile{}, nil, err
	}
	var bot user
	if _, err := a.call(ctx, token, http.MethodGet, "getMe", url.Values{}, nil, &bot); err != nil {
		return platform.Profile{}, nil, refused(err, "the bot token was refused")
	}

	var c chat
	migrateTo, err := a.call(ctx, token, http.MethodGet, "getChat", url.Values{"chat_id": {chatID}}, nil, &c)
	if migrateTo != 0 {
		// A group that became a supergroup lives on under a new id.
		chatID = strconv.FormatInt(migrateTo, 10)
		_, err = a.call(ctx, token, http.MethodGet, "getChat", url.Values{"chat_id": {chatID}}, nil, &c)
	}
	if err != nil {
		return platform.Profile{}, nil, refused(err, "chat "+strconv.Quote(chatID)+" is not reachable (is the bot a member?)")
	}

	profile := platform.Profile{UserID: strconv.FormatInt(c.ID, 10), Username: c.Username, DisplayName: c.Title}
	if profile.Username == "" {
		profile.Username = bot.Username
	}
	if profile.DisplayName == "" {
		profile.DisplayName = strings.TrimSpace(c.FirstName + " " + c.LastName)
	}
	if profile.DisplayName == "" {
		profile.DisplayName = profile.Username
	}
	out := make(platform.Credentials, len(creds))
	for k, v := range creds {
		out[k] = v
	}
	out["chat_id"] = profile.UserID
	return profile, out, nil
}

// refused makes a failure of Connect InvalidCredentials, unless it is worth retrying.
func refused(err error, what string) error {
	var pe *platform.Error
	if errors.As(err, &pe) && pe.Kind != platform.Transient {
		return platform.Errorf(platform.InvalidCredentials, pe.Status, "telegram: %s: %s", what, strings.TrimPrefix(pe.Message, "telegram: "))
	}
	return err
}

type replyParameters struct {
	MessageID int64 `json:"message_id"`
}

type inputMedia struct {
	Type    string `json:"type"`
	Media   string `json:"media"`
	Caption string `json:"caption,omitempty"`
}

// Publish sends the post to the chat. When Telegram answers that the group became a
// supergroup, it sends again to the new chat and returns credentials naming it.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	token, chatID, err := parse(creds, platform.TokenRejected)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	var reply *replyParameters
	if p.ReplyTo != nil {
		id, err := strconv.ParseInt(p.ReplyTo.ID, 10, 64)
		if err != nil {
			return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "telegram: cannot reply to %q: not a message id", p.ReplyTo.ID)
		}
		reply = &replyParameters{MessageID: id}
	}
	media := make([]inputMedia, 0, len(p.Images)+1)
	for _, img := range p.Images {
		media = append(media, inputMedia{Type: "photo", Media: img.URL})
	}
	if p.VideoURL != "" {
		media = append(media, inputMedia{Type: "video", Media: p.VideoURL})
	}
	if len(media) > maxAlbum {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0,
			"telegram: an album takes at most %d photos and videos, this post has %d", maxAlbum, len(media))
	}

	send := func(chatID string) (message, int64, error) {
		var method string
		body := map[string]any{"chat_id": chatID}
		if reply != nil {
			body["reply_parameters"] = reply
		}
		switch len(media) {
		case 0:
			method = "sendMessage"
			body["text"] = p.Text
		case 1:
			method = "send" + strings.ToUpper(media[0].Type[:1]) + media[0].Type[1:] // sendPhoto, sendVideo
			body[media[0].Type] = media[0].Media
			if p.Text != "" {
				body["caption"] = p.Text
			}
		default:
			method = "sendMediaGroup"
			album := append([]inputMedia(nil), media...)
			album[0].Caption = p.Text
			body["media"] = album
			var msgs []message
			migrateTo, err := a.call(ctx, token, http.MethodPost, method, nil, body, &msgs)
			if err != nil || len(msgs) == 0 {
				return message{}, migrateTo, err
			}
			return msgs[0], 0, nil
		}
		var msg message
		migrateTo, err := a.call(ctx, token, http.MethodPost, method, nil, body, &msg)
		return msg, migrateTo, err
	}

	var newCreds platform.Credentials
	msg, migrateTo, err := send(chatID)
	if migrateTo != 0 {
		chatID = strconv.FormatInt(migrateTo, 10)
		newCreds = make(platform.Credentials, len(creds))
		for k, v := range creds {
			newCreds[k] = v
		}
		newCreds["chat_id"] = chatID
		msg, _, err = send(chatID)
	}
	if err != nil {
		return platform.Ref{}, newCreds, err
	}
	if msg.MessageID == 0 {
		// Sent, but the answer did not say as what: an error would make the engine send it
		// again.
		return platform.Ref{}, newCreds, nil
	}
	ref := platform.Ref{ID: strconv.FormatInt(msg.MessageID, 10)}
	if msg.Chat.Username != "" {
		ref.URL = "https://t.me/" + msg.Chat.Username + "/" + ref.ID
	}
	return ref, newCreds, nil
}
