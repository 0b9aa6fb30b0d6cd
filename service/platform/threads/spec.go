// Package threads is Octopost's home for Threads. A thread goes out as a reply chain. Its
// accounts connect through Meta's OAuth with a long-lived token (oauth.go); the adapter
// (threads.go) publishes for them through Graph containers (package metagraph for the
// calls, their errors and the container flow; graph.go for Threads' own rules), and
// test-mode sandbox accounts publish through the sandbox.
package threads

import (
	"cmp"
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Threads.
var Spec = platform.Spec{
	ID:      "threads",
	Name:    "Threads",
	Connect: platform.Connect{OAuth: true},
	// Meta's OAuth without PKCE, a short-lived token traded for a long-lived one that
	// refreshes itself: oauth.go.
	OAuth:           oauthFlow,
	Settings:        platform.OAuthSettings(env, defaultAuthURL, defaultTokenURL, defaultAPIURL),
	Replies:         true,
	Text:            textlimit.For("threads"),
	Media:           textlimit.NeedsMedia("threads"),
	Video:           true,
	VideoWithImages: true,
	// A carousel takes 20 items (the video, if any, is one of them).
	MaxImages: maxCarousel,
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			return platform.Ref{ID: "1" + d.Digits(16), URL: "https://www.threads.net/@" + cmp.Or(account.Username, "sandbox") + "/post/" + d.Base64(11)}
		},
	},
}
