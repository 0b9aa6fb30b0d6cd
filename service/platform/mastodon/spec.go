package mastodon

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/sandboxid"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Mastodon. Each account's instance is its own server, so
// there is no setting: the instance URL comes with the credentials, and the instance's
// own text limit is stored with them when the account connects.
var Spec = platform.Spec{
	ID:   "mastodon",
	Name: "Mastodon",
	Connect: platform.Connect{
		Forms: [][]string{{KeyInstanceURL, KeyAccessToken}},
		Takes: "instance_url and access_token",
		Blame: func(_ platform.Credentials, kind platform.Kind) string {
			return platform.Blame(kind, KeyAccessToken, KeyInstanceURL, KeyInstanceURL)
		},
	},
	Replies:      true,
	Text:         textlimit.For("mastodon"),
	Media:        textlimit.NeedsMedia("mastodon"),
	MaxImages:    4,
	AccountLimit: accountLimit,
	Options:      checkOptions,
	New: func(client *http.Client, _ func(string) string) platform.Adapter {
		return New(client)
	},
	// Account ids are per instance: the same id on two instances is two people.
	Identity: func(p platform.Profile, creds platform.Credentials) string {
		return strings.TrimRight(creds[KeyInstanceURL], "/") + " " + p.UserID
	},
	Sandbox: platform.Sandbox{
		Profile: func(p *platform.Profile, d sandboxid.Digest, num string) {
			p.UserID = d.Digits(18)
			p.Username = "sandbox_" + num + "@mastodon.example"
		},
		Post: func(d sandboxid.Digest, account platform.Profile) platform.Ref {
			id := "11" + d.Digits(16)
			user, _, _ := strings.Cut(account.Username, "@") // sandbox_N@mastodon.example
			return platform.Ref{ID: id, URL: "https://mastodon.example/@" + cmp.Or(user, "sandbox") + "/" + id}
		},
	},
}

// accountLimit is the instance's limit that Connect stored, 0 when it is missing.
func accountLimit(creds platform.Credentials) int {
	n, err := strconv.Atoi(creds[KeyMaxCharacters])
	if err != nil || n < 1 {
		return 0
	}
	return n
}
