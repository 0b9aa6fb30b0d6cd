// Package linkedin is Octopost's home for LinkedIn. Its accounts connect through OAuth
// (oauth.go); the adapter (linkedin.go) publishes for them with the Posts API, and
// test-mode sandbox accounts publish through the sandbox. LinkedIn has no reply chain: a
// thread's parts go out as separate posts, in order.
package linkedin

import (
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of LinkedIn.
var Spec = platform.Spec{
	ID:      "linkedin",
	Name:    "LinkedIn",
	Connect: platform.Connect{OAuth: true},

	// OAuth 2.0 without PKCE, the client secret in the form body, and the settings of the
	// flow and the API: oauth.go.
	OAuth:    oauthFlow,
	Settings: platform.OAuthSettings(env, defaultAuthURL, defaultTokenURL, defaultAPIURL),

	Text:      textlimit.For("linkedin"),
	Media:     textlimit.NeedsMedia("linkedin"),
	Video:     true,
	MaxImages: maxImages,
	Options:   checkOptions,
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	Sandbox: platform.Sandbox{
		Profile: func(p *platform.Profile, d sandboxid.Digest, num string) {
			p.UserID = d.Base64(10)
		},
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			urn := "urn:li:share:7" + d.Digits(18)
			return platform.Ref{ID: urn, URL: "https://www.linkedin.com/feed/update/" + urn}
		},
	},
}
