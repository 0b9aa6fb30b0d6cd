// Package instagram is Octopost's home for Instagram. A post needs an image or a video.
// Its accounts connect through OAuth, whose flow is not built yet: it has a Spec and no
// adapter, so live accounts are refused when they connect and test-mode sandbox accounts
// publish through the sandbox.
package instagram

import (
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Instagram.
var Spec = platform.Spec{
	ID:      "instagram",
	Name:    "Instagram",
	Connect: platform.Connect{OAuth: true},
	Text:    textlimit.For("instagram"),
	Media:   textlimit.NeedsMedia("instagram"),
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			return platform.Ref{ID: "1" + d.Digits(16), URL: "https://www.instagram.com/p/" + d.Base64(11) + "/"}
		},
	},
}
