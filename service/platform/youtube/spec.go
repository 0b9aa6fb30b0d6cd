// Package youtube is Octopost's home for YouTube. A post needs a video, titled by its
// first line (or platform_options.youtube.title), which Octopost uploads through YouTube's
// resumable upload (upload.go). Its accounts connect through OAuth (oauth.go); the adapter
// (youtube.go) publishes for them, with the post's platform_options (options.go), and
// test-mode sandbox accounts publish through the sandbox.
package youtube

import (
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of YouTube.
var Spec = platform.Spec{
	ID:      "youtube",
	Name:    "YouTube",
	Connect: platform.Connect{OAuth: true},

	// Google's OAuth 2.0 with PKCE and offline access, and the settings of the flow and
	// the API: oauth.go.
	OAuth:    oauthFlow,
	Settings: platform.OAuthSettings(env, defaultAuthURL, defaultTokenURL, defaultAPIURL),

	Text:            textlimit.For("youtube"),
	Media:           textlimit.NeedsMedia("youtube"),
	Video:           true,
	VideoWithImages: true,
	// A YouTube post is its video alone: a post's images are for its other platforms.
	MaxImages: 0,
	Options:   checkOptions,
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	Sandbox: platform.Sandbox{
		Profile: func(p *platform.Profile, d sandboxid.Digest, num string) {
			p.UserID = "UC" + d.Base64(22)
		},
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			id := d.Base64(11)
			return platform.Ref{ID: id, URL: "https://www.youtube.com/watch?v=" + id}
		},
	},
}
