// Package tiktok is Octopost's home for TikTok. A post needs a video, which TikTok pulls
// from its URL. Its accounts connect through OAuth (oauth.go); the adapter (tiktok.go)
// publishes for them, with the post's platform_options (options.go), and test-mode sandbox
// accounts publish through the sandbox.
package tiktok

import (
	"cmp"
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of TikTok.
var Spec = platform.Spec{
	ID:      "tiktok",
	Name:    "TikTok",
	Connect: platform.Connect{OAuth: true},

	// Login Kit's OAuth 2.0 with client_key, and the settings of the flow and the API:
	// oauth.go.
	OAuth:    oauthFlow,
	Settings: platform.OAuthSettings(env, defaultAuthURL, defaultTokenURL, defaultAPIURL),

	Text:            textlimit.For("tiktok"),
	Media:           textlimit.NeedsMedia("tiktok"),
	Video:           true,
	VideoWithImages: true,
	// A TikTok post is its video alone: a post's images are for its other platforms.
	MaxImages: 0,
	Options:   checkOptions,
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			id := "7" + d.Digits(18)
			return platform.Ref{ID: id, URL: "https://www.tiktok.com/@" + cmp.Or(account.Username, "sandbox") + "/video/" + id}
		},
	},
}
