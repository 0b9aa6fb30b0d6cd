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
	// The consent screen, scopes and endpoints per the platform's developer docs; its
	// profile is not read yet, so connecting is refused as not yet supported.
	OAuth: &platform.OAuth{
		Env:      "OCTOPOST_INSTAGRAM",
		Scopes:   []string{"instagram_business_basic", "instagram_business_content_publish"},
		ScopeSep: ",",
	},
	Settings: platform.OAuthSettings("OCTOPOST_INSTAGRAM",
		"https://www.instagram.com/oauth/authorize",
		"https://api.instagram.com/oauth/access_token",
		"https://graph.instagram.com"),
	Text:      textlimit.For("instagram"),
	Media:     textlimit.NeedsMedia("instagram"),
	MaxImages: 10,
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, _ platform.Profile) platform.Ref {
			return platform.Ref{ID: "1" + d.Digits(16), URL: "https://www.instagram.com/p/" + d.Base64(11) + "/"}
		},
	},
}
