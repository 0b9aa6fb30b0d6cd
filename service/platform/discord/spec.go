package discord

import (
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// SettingWebhookURL is the prefix every Discord webhook URL must have.
const SettingWebhookURL = "OCTOPOST_DISCORD_WEBHOOK_URL"

// Spec is what Octopost knows of Discord. A webhook has no replies: a thread's parts go
// out as separate messages, in order.
var Spec = platform.Spec{
	ID:   "discord",
	Name: "Discord",
	Connect: platform.Connect{
		Forms: [][]string{{"webhook_url"}},
		Takes: "webhook_url",
		Blame: func(platform.Credentials, platform.Kind) string { return "webhook_url" },
	},
	Text:            textlimit.For("discord"),
	Media:           textlimit.NeedsMedia("discord"),
	Video:           true,
	VideoWithImages: true,
	MaxImages:       maxEmbeds,
	Settings:        []platform.Setting{{Env: SettingWebhookURL, Default: "https://discord.com/api/webhooks/"}},
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingWebhookURL))
	},
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			id := "1" + d.Digits(18)
			return platform.Ref{ID: id, URL: "https://discord.com/channels/" + sandboxGuild + "/" + sandboxChannel + "/" + id}
		},
	},
}

// The guild and channel sandbox messages go to.
const (
	sandboxGuild   = "1100000000000000001"
	sandboxChannel = "1100000000000000002"
)
