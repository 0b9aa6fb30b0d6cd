// Package threads is Octopost's home for Threads. A thread goes out as a reply chain. Its
// accounts connect through OAuth, whose flow is not built yet: it has a Spec and no
// adapter, so live accounts are refused when they connect and test-mode sandbox accounts
// publish through the sandbox.
package threads

import (
	"cmp"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Threads.
var Spec = platform.Spec{
	ID:      "threads",
	Name:    "Threads",
	Connect: platform.Connect{OAuth: true},
	// The consent screen, scopes and endpoints per the platform's developer docs; its
	// profile is not read yet, so connecting is refused as not yet supported.
	OAuth: &platform.OAuth{
		Env:      "OCTOPOST_THREADS",
		Scopes:   []string{"threads_basic", "threads_content_publish"},
		ScopeSep: ",",
	},
	Settings: platform.OAuthSettings("OCTOPOST_THREADS",
		"https://threads.net/oauth/authorize",
		"https://graph.threads.net/oauth/access_token",
		"https://graph.threads.net"),
	Replies:   true,
	Text:      textlimit.For("threads"),
	Media:     textlimit.NeedsMedia("threads"),
	MaxImages: 20,
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			return platform.Ref{ID: "1" + d.Digits(16), URL: "https://www.threads.net/@" + cmp.Or(account.Username, "sandbox") + "/post/" + d.Base64(11)}
		},
	},
}
