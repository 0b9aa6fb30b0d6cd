// Package facebook is Octopost's home for Facebook. Posts go to a Page. Its accounts
// connect through OAuth, whose flow is not built yet: it has a Spec and no adapter, so
// live accounts are refused when they connect and test-mode sandbox accounts publish
// through the sandbox.
package facebook

import (
	"cmp"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Facebook.
var Spec = platform.Spec{
	ID:      "facebook",
	Name:    "Facebook",
	Connect: platform.Connect{OAuth: true},
	// The consent screen, scopes and endpoints per the platform's developer docs; its
	// profile is not read yet, so connecting is refused as not yet supported.
	OAuth: &platform.OAuth{
		Env:      "OCTOPOST_FACEBOOK",
		Scopes:   []string{"pages_show_list", "pages_manage_posts", "pages_read_engagement"},
		ScopeSep: ",",
	},
	Settings: platform.OAuthSettings("OCTOPOST_FACEBOOK",
		"https://www.facebook.com/v21.0/dialog/oauth",
		"https://graph.facebook.com/v21.0/oauth/access_token",
		"https://graph.facebook.com"),
	Text:      textlimit.For("facebook"),
	Media:     textlimit.NeedsMedia("facebook"),
	MaxImages: 10,
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
