package bluesky

import (
	"cmp"
	"net/http"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// SettingURL is the default PDS for accounts that give no service_url.
const SettingURL = "OCTOPOST_BLUESKY_URL"

// Spec is what Octopost knows of Bluesky.
var Spec = platform.Spec{
	ID:   "bluesky",
	Name: "Bluesky",
	Connect: platform.Connect{
		Forms:    [][]string{{"identifier", "app_password"}},
		Optional: []string{"service_url"},
		Takes:    "identifier and app_password, and optionally service_url",
		Blame: func(c platform.Credentials, kind platform.Kind) string {
			server := "platform"
			if c["service_url"] != "" {
				server = "service_url"
			}
			return platform.Blame(kind, "app_password", "identifier", server)
		},
	},
	Replies:   true,
	Text:      textlimit.For("bluesky"),
	Media:     textlimit.NeedsMedia("bluesky"),
	MaxImages: maxImages,
	Settings:  []platform.Setting{{Env: SettingURL, Default: "https://bsky.social"}},
	New: func(client *http.Client, setting func(string) string) platform.Adapter {
		return New(client, setting(SettingURL))
	},
	Sandbox: platform.Sandbox{
		Profile: func(p *platform.Profile, d sandboxid.Digest, num string) {
			p.UserID = "did:plc:" + d.Base32(24)
			p.Username = "sandbox-" + num + ".bsky.social"
		},
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			rkey := d.TID()
			did := cmp.Or(account.UserID, sandboxDID)
			handle := cmp.Or(account.Username, "sandbox.bsky.social")
			return platform.Ref{
				ID:  "at://" + did + "/app.bsky.feed.post/" + rkey,
				CID: "bafyrei" + d.Base32(52),
				URL: "https://bsky.app/profile/" + handle + "/post/" + rkey,
			}
		},
	},
}

// sandboxDID is the repository of sandbox posts made without an account.
const sandboxDID = "did:plc:sandboxoctopost234567abc"
