// Package facebook is Octopost's home for Facebook. Posts go to a Page. A user connects
// through OAuth (oauth.go), and each Page they may post to becomes an account with the
// Page's own token; the adapter (facebook.go) publishes for them (its Graph calls and
// errors are package metagraph's, with Facebook's rules), and test-mode sandbox accounts
// publish through the sandbox.
package facebook

import (
	"cmp"
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Facebook.
var Spec = platform.Spec{
	ID:      "facebook",
	Name:    "Facebook",
	Connect: platform.Connect{OAuth: true},
	// Facebook Login, the long-lived token exchange and one account per Page, and the
	// settings of the flow and the API: oauth.go.
	OAuth:    oauthFlow,
	Settings: platform.OAuthSettings(env, defaultAuthURL, defaultTokenURL, defaultAPIURL),
	Text:     textlimit.For("facebook"),
	Media:    textlimit.NeedsMedia("facebook"),
	Video:    true,
	// Several images go as unpublished photos attached to one post (attached_media), at
	// most ten of them: a bound of Octopost's, so one post makes at most eleven calls.
	MaxImages: 10,
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingAPIURL))
	},
	Sandbox: platform.Sandbox{
		// The account is a Page, and its id is a Page's, which its posts' ids start with.
		Profile: func(p *platform.Profile, d sandboxid.Digest, _ string) {
			p.UserID = d.Digits(15)
		},
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			post := "1" + d.Digits(16)
			page := cmp.Or(account.UserID, sandboxPage)
			return platform.Ref{ID: page + "_" + post, URL: "https://www.facebook.com/" + page + "/posts/" + post}
		},
	},
}

// sandboxPage is the Page of sandbox posts made without an account.
const sandboxPage = "102938475610293"
