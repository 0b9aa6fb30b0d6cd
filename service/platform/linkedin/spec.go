// Package linkedin is Octopost's home for LinkedIn. A thread's parts go out as separate
// posts. Its accounts connect through OAuth, whose flow is not built yet: it has a Spec
// and no adapter, so live accounts are refused when they connect and test-mode sandbox
// accounts publish through the sandbox.
package linkedin

import (
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of LinkedIn.
var Spec = platform.Spec{
	ID:      "linkedin",
	Name:    "LinkedIn",
	Connect: platform.Connect{OAuth: true},
	// The consent screen, scopes and endpoints per the platform's developer docs; its
	// profile is not read yet, so connecting is refused as not yet supported.
	OAuth: &platform.OAuth{
		Env:    "OCTOPOST_LINKEDIN",
		Scopes: []string{"openid", "profile", "w_member_social"},
	},
	Settings: platform.OAuthSettings("OCTOPOST_LINKEDIN",
		"https://www.linkedin.com/oauth/v2/authorization",
		"https://www.linkedin.com/oauth/v2/accessToken",
		"https://api.linkedin.com"),
	Text:      textlimit.For("linkedin"),
	Media:     textlimit.NeedsMedia("linkedin"),
	MaxImages: 20,
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
