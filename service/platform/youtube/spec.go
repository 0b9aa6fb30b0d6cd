// Package youtube is Octopost's home for YouTube. A post needs a video, titled by its
// first line. Its accounts connect through OAuth, whose flow is not built yet: it has a
// Spec and no adapter, so live accounts are refused when they connect and test-mode
// sandbox accounts publish through the sandbox.
package youtube

import (
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of YouTube.
var Spec = platform.Spec{
	ID:      "youtube",
	Name:    "YouTube",
	Connect: platform.Connect{OAuth: true},
	Text:    textlimit.For("youtube"),
	Media:   textlimit.NeedsMedia("youtube"),
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
