// Package discord publishes to a Discord channel through a webhook: the account's only
// credential is the webhook URL, which names the webhook and carries its token.
//
// A webhook cannot reply to a message, so a thread goes out as consecutive messages.
// Images go as embeds (Discord shows an embed's image); a video's URL is appended to the
// text, which Discord unfurls into a player.
package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// DefaultBase is where every real webhook URL starts.
const DefaultBase = "https://discord.com/api/webhooks/"

// maxEmbeds is Discord's limit of embeds per message.
const maxEmbeds = 10

// Adapter is the Discord adapter.
type Adapter struct {
	client *http.Client
	base   string
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter that accepts only webhook URLs under allowedBase (DefaultBase
// when empty), so a stored URL cannot aim the server's requests anywhere else. A nil
// client means netpolicy's client for public addresses.
func New(client *http.Client, allowedBase string) *Adapter {
	if allowedBase == "" {
		allowedBase = DefaultBase
	}
	if !strings.HasSuffix(allowedBase, "/") {
		allowedBase += "/"
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{client: client, base: allowedBase}
}

// webhookPath is what follows the base: the webhook's id (a snowflake) and its token.
var webhookPath = regexp.MustCompile(`^([0-9]{1,20})/([A-Za-z0-9_-]{1,200})$`)

// webhookURL checks creds' webhook URL and returns it, or an error of kind (the URL is
// refused before it is used). The error never repeats the URL, which holds the token.
func (a *Adapter) webhookURL(creds platform.Credentials, kind platform.Kind) (string, error) {
	u := creds["webhook_url"]
	if u == "" {
		return "", platform.Errorf(kind, 0, "discord: webhook_url is required")
	}
	rest, ok := strings.CutPrefix(u, a.base)
	if !ok || !webhookPath.MatchString(rest) {
		return "", platform.Errorf(kind, 0,
			"discord: webhook_url must be a Discord webhook URL (%s<id>/<token>)", a.base)
	}
	return u, nil
}

type webhook struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Avatar    string `json:"avatar"`
	ChannelID string `json:"channel_id"`
	GuildID   string `json:"guild_id"`
}

// Connect reads the webhook (a GET needs no other authorisation than its URL) and keeps
// its guild and channel to build message links with.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	u, err := a.webhookURL(creds, platform.InvalidCredentials)
	if err != nil {
		return platform.Profile{}, nil, err
	}
	resp, err := a.do(ctx, http.MethodGet, u, nil, u)
	if err != nil {
		return platform.Profile{}, nil, err
	}
	if resp.status != http.StatusOK {
		perr := classify(resp)
		if perr.Kind != platform.Transient {
			perr.Kind = platform.InvalidCredentials
		}
		return platform.Profile{}, nil, perr
	}
	var wh webhook
	if err := json.Unmarshal(resp.body, &wh); err != nil || wh.ID == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, resp.status, "discord: unreadable webhook response")
	}
	profile := platform.Profile{UserID: wh.ID, Username: wh.Name, DisplayName: wh.Name}
	if wh.Avatar != "" {
		profile.AvatarURL = "https://cdn.discordapp.com/avatars/" + wh.ID + "/" + wh.Avatar + ".png"
	}
	out := make(platform.Credentials, len(creds)+2)
	for k, v := range creds {
		out[k] = v
	}
	out["guild_id"] = wh.GuildID
	out["channel_id"] = wh.ChannelID
	return profile, out, nil
}

type embed struct {
	Image struct {
		URL string `json:"url"`
	} `json:"image"`
}

type executeRequest struct {
	Content string  `json:"content,omitempty"`
	Embeds  []embed `json:"embeds,omitempty"`
}

type message struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
}

// Publish executes the webhook with wait=true: without it Discord answers 204 and the
// message's id, needed for its link, is lost.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	u, err := a.webhookURL(creds, platform.TokenRejected)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	if len(p.Images) > maxEmbeds {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0,
			"discord: a message takes at most %d images, this post has %d", maxEmbeds, len(p.Images))
	}
	req := executeRequest{Content: p.Text}
	if p.VideoURL != "" {
		req.Content = strings.TrimSpace(req.Content + "\n" + p.VideoURL)
	}
	for _, img := range p.Images {
		var e embed
		e.Image.URL = img.URL
		req.Embeds = append(req.Embeds, e)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return platform.Ref{}, nil, fmt.Errorf("discord: encode message: %w", err)
	}
	resp, err := a.do(ctx, http.MethodPost, u+"?wait=true", body, u)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	if resp.status/100 != 2 {
		return platform.Ref{}, nil, classify(resp)
	}
	// The message exists from here on: even an unreadable answer must not become an error,
	// which the engine would retry into a second message.
	var msg message
	if json.Unmarshal(resp.body, &msg) != nil || msg.ID == "" {
		return platform.Ref{}, nil, nil
	}
	guild := creds["guild_id"]
	if guild == "" {
		guild = "@me"
	}
	channel := msg.ChannelID
	if channel == "" {
		channel = creds["channel_id"]
	}
	return platform.Ref{ID: msg.ID, URL: "https://discord.com/channels/" + guild + "/" + channel + "/" + msg.ID}, nil, nil
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds what is read of a response: Discord's answers are small.
const maxBody = 1 << 20

// do sends one request. secret is the webhook URL: a transport error is reported without
// it (a *url.Error prints the whole URL, token included).
func (a *Adapter) do(ctx context.Context, method, u string, body []byte, secret string) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, platform.Errorf(platform.Permanent, 0, "discord: cannot build the request")
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, platform.TransportError(ctx, "discord", err, secret)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, platform.TransportError(ctx, "discord", err, secret)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}
