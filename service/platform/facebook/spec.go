// Package facebook is Octopost's home for Facebook. Posts go to a Page. Its accounts
// connect through OAuth, whose flow is not built yet: it has a Spec and no adapter, so
// live accounts are refused when they connect and test-mode sandbox accounts publish
// through the sandbox.
package facebook

import (
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/textlimit"
)

// Spec is what Octopost knows of Facebook.
var Spec = platform.Spec{
	ID:      "facebook",
	Name:    "Facebook",
	Connect: platform.Connect{OAuth: true},
	Text:    textlimit.For("facebook"),
	Media:   textlimit.NeedsMedia("facebook"),
}
