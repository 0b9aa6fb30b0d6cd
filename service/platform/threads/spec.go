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
	Replies: true,
	Text:    textlimit.For("threads"),
	Media:   textlimit.NeedsMedia("threads"),
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			return platform.Ref{ID: "1" + d.Digits(16), URL: "https://www.threads.net/@" + cmp.Or(account.Username, "sandbox") + "/post/" + d.Base64(11)}
		},
	},
}
