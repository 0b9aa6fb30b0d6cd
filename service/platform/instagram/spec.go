// Package instagram is Octopost's home for Instagram. A post needs an image or a video.
// Its (professional) accounts connect through Instagram Login with a long-lived token
// (oauth.go); the adapter (instagram.go) publishes for them through Graph containers
// (package metagraph for the calls, their errors and the container flow; graph.go for
// Instagram's own rules), as the post type of its options says
// (options.go), and test-mode sandbox accounts publish through the sandbox.
package instagram

import (
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Instagram.
var Spec = platform.Spec{
	ID:      "instagram",
	Name:    "Instagram",
	Connect: platform.Connect{OAuth: true},
	// Instagram Login without PKCE, a short-lived token traded for a long-lived one that
	// refreshes itself: oauth.go.
	OAuth:           oauthFlow,
	Settings:        platform.OAuthSettings(env, defaultAuthURL, defaultTokenURL, defaultAPIURL),
	Text:            textlimit.For("instagram"),
	Media:           textlimit.NeedsMedia("instagram"),
	Video:           true,
	VideoWithImages: true,
	// A carousel takes 10 items.
	MaxImages: maxCarousel,
	Options:   checkOptions,
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			return platform.Ref{ID: "1" + d.Digits(16), URL: "https://www.instagram.com/p/" + d.Base64(11) + "/"}
		},
	},
}
