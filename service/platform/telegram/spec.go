package telegram

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// SettingAPIURL is the Bot API's base URL.
const SettingAPIURL = "OCTOPOST_TELEGRAM_API_URL"

// Spec is what Octopost knows of Telegram.
var Spec = platform.Spec{
	ID:   "telegram",
	Name: "Telegram",
	Connect: platform.Connect{
		Forms: [][]string{{"bot_token", "chat_id"}},
		Takes: "bot_token and chat_id",
		Blame: func(_ platform.Credentials, kind platform.Kind) string {
			return platform.Blame(kind, "bot_token", "chat_id", "platform")
		},
	},
	Replies:         true,
	Text:            textlimit.For("telegram"),
	Media:           textlimit.NeedsMedia("telegram"),
	Video:           true,
	VideoWithImages: true,
	MaxImages:       maxAlbum,
	Settings:        []platform.Setting{{Env: SettingAPIURL, Default: "https://api.telegram.org"}},
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	// The account is a chat as one bot sees it: two bots in one chat are two accounts.
	// The bot's id is its token's part before the colon, which is not secret.
	Identity: func(p platform.Profile, creds platform.Credentials) string {
		bot, _, _ := strings.Cut(creds["bot_token"], ":")
		return bot + " " + p.UserID
	},
	Sandbox: platform.Sandbox{
		Profile: func(p *platform.Profile, d sandboxid.Digest, num string) {
			p.UserID = "-100" + d.Digits(10)
		},
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			id := fmt.Sprint(1 + d.Uint32()%999999)
			return platform.Ref{ID: id, URL: "https://t.me/" + cmp.Or(account.Username, "sandbox_channel") + "/" + id}
		},
	},
}
