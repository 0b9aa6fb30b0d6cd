// Package tiktok is Octopost's home for TikTok. A post needs a video. Its accounts connect
// through OAuth, whose flow is not built yet: it has a Spec and no adapter, so live
// accounts are refused when they connect and test-mode sandbox accounts publish through
// the sandbox.
package tiktok

import (
	"cmp"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of TikTok.
var Spec = platform.Spec{
	ID:      "tiktok",
	Name:    "TikTok",
	Connect: platform.Connect{OAuth: true},
	// The consent screen, scopes and endpoints per the platform's developer docs; its
	// profile is not read yet, so connecting is refused as not yet supported.
	OAuth: &platform.OAuth{
		Env:           "OCTOPOST_TIKTOK",
		Scopes:        []string{"user.info.basic", "video.publish"},
		ScopeSep:      ",",
		ClientIDParam: "client_key",
	},
	Settings: platform.OAuthSettings("OCTOPOST_TIKTOK",
		"https://www.tiktok.com/v2/auth/authorize/",
		"https://open.tiktokapis.com/v2/oauth/token/",
		"https://open.tiktokapis.com"),
	Text:  textlimit.For("tiktok"),
	Media: textlimit.NeedsMedia("tiktok"),
	Sandbox: platform.Sandbox{
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			id := "7" + d.Digits(18)
			return platform.Ref{ID: id, URL: "https://www.tiktok.com/@" + cmp.Or(account.Username, "sandbox") + "/video/" + id}
		},
	},
}
