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
	// The consent screen, scopes and endpoints per the platform's developer docs; its
	// profile is not read yet, so connecting is refused as not yet supported.
	OAuth: &platform.OAuth{
		Env:        "OCTOPOST_YOUTUBE",
		Scopes:     []string{"https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.readonly"},
		PKCE:       true,
		AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
	},
	Settings: platform.OAuthSettings("OCTOPOST_YOUTUBE",
		"https://accounts.google.com/o/oauth2/v2/auth",
		"https://oauth2.googleapis.com/token",
		"https://www.googleapis.com"),
	Text:  textlimit.For("youtube"),
	Media: textlimit.NeedsMedia("youtube"),
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
