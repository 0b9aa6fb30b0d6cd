// Package facebook is Octopost's home for Facebook. Posts go to a Page. Its accounts
// connect through OAuth, whose flow is not built yet: it has a Spec and no adapter, so
// live accounts are refused when they connect and test-mode sandbox accounts publish
// through the sandbox.
package facebook

import (
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Facebook.
var Spec = platform.Spec{
	ID:      "facebook",
	Name:    "Facebook",
	Connect: platform.Connect{OAuth: true},
	Text:    textlimit.For("facebook"),
	Media:   textlimit.NeedsMedia("facebook"),
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest) platform.Ref {
			post := "1" + d.Digits(16)
			return platform.Ref{ID: sandboxPage + "_" + post, URL: "https://www.facebook.com/" + sandboxPage + "/posts/" + post}
		},
	},
}

// sandboxPage is the Page sandbox posts go to.
const sandboxPage = "102938475610293"
