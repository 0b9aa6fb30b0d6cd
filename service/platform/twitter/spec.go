// Package twitter is Octopost's home for X. A thread goes out as a reply chain. Its
// accounts connect through OAuth (oauth.go); the adapter (twitter.go) publishes for
// them, and test-mode sandbox accounts publish through the sandbox.
package twitter

import (
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of X.
var Spec = platform.Spec{
	ID:      "twitter",
	Name:    "X",
	Connect: platform.Connect{OAuth: true},

	// OAuth 2.0 with PKCE, and the settings of the flow and the API: oauth.go.
	OAuth:    oauthFlow,
	Settings: platform.OAuthSettings(env, defaultAuthURL, defaultTokenURL, defaultAPIURL),

	Replies:   true,
	Text:      textlimit.For("twitter"),
	Media:     textlimit.NeedsMedia("twitter"),
	Video:     true,
	MaxImages: maxImages,
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			id := "1" + d.Digits(18)
			return platform.Ref{ID: id, URL: "https://x.com/i/status/" + id}
		},
	},
}
