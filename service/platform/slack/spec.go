package slack

import (
	"net/http"
	"strings"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Settings: Slack's Web API, and the prefix every incoming-webhook URL must have.
const (
	SettingAPIURL     = "OCTOPOST_SLACK_API_URL"
	SettingWebhookURL = "OCTOPOST_SLACK_WEBHOOK_URL"
)

// Spec is what Octopost knows of Slack.
var Spec = platform.Spec{
	ID:   "slack",
	Name: "Slack",
	Connect: platform.Connect{
		Forms: [][]string{{"webhook_url"}, {"bot_token", "channel"}},
		Takes: "either webhook_url, or bot_token and channel",
		Blame: func(c platform.Credentials, kind platform.Kind) string {
			if c["webhook_url"] != "" {
				return "webhook_url"
			}
			return platform.Blame(kind, "bot_token", "channel", "platform")
		},
	},
	Replies:         true,
	Text:            textlimit.For("slack"),
	Media:           textlimit.NeedsMedia("slack"),
	Video:           true,
	VideoWithImages: true,
	MaxImages:       10,
	Settings: []platform.Setting{
		{Env: SettingAPIURL, Default: "https://slack.com/api"},
		{Env: SettingWebhookURL, Default: "https://hooks.slack.com/"},
	},
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL), setting(SettingWebhookURL))
	},
	// A bot is one user in every channel it posts to: the channel is part of the account.
	// A webhook's UserID already names its team and hook.
	Identity: func(p platform.Profile, creds platform.Credentials) string {
		if c := creds["channel"]; c != "" {
			return p.UserID + " " + c
		}
		return p.UserID
	},
	Sandbox: platform.Sandbox{
		Profile: func(p *platform.Profile, d sandboxid.Digest, num string) {
			p.UserID = "U0" + strings.ToUpper(d.Base32(9))
		},
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			ts := "17" + d.Digits(8) + "." + d.Digits(6)
			return platform.Ref{ID: ts, URL: "https://sandbox.slack.com/archives/C0SANDBOX01/p" + strings.ReplaceAll(ts, ".", "")}
		},
	},
}
