// Package platforms is the registry: the one list of the platforms Octopost knows, one
// line per platform, in the contract's order. Each line is the Spec its platform's own
// package exports; adding a platform is its package, its fake, a line here and its docs.
//
// The registry imports every adapter, so the service does not import it: the command
// (cmd/octopost) hands it to the service in service.Config.Platforms, with the adapters it
// built from it, and tests hand it the same way. That keeps the business rules free of any
// platform's wire format (a test asserts that package service depends on no adapter), and
// lets a test run the service over the real registry with fake-backed adapters. Package
// api and the command read it directly.
package platforms

import (
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/bluesky"
	"github.com/octopost/octopost/service/platform/discord"
	"github.com/octopost/octopost/service/platform/facebook"
	"github.com/octopost/octopost/service/platform/instagram"
	"github.com/octopost/octopost/service/platform/linkedin"
	"github.com/octopost/octopost/service/platform/mastodon"
	"github.com/octopost/octopost/service/platform/slack"
	"github.com/octopost/octopost/service/platform/telegram"
	"github.com/octopost/octopost/service/platform/threads"
	"github.com/octopost/octopost/service/platform/tiktok"
	"github.com/octopost/octopost/service/platform/twitter"
	"github.com/octopost/octopost/service/platform/youtube"
)

// All is every platform, in the contract's order.
var All = platform.Registry{
	twitter.Spec,
	bluesky.Spec,
	mastodon.Spec,
	linkedin.Spec,
	threads.Spec,
	instagram.Spec,
	facebook.Spec,
	tiktok.Spec,
	youtube.Spec,
	discord.Spec,
	slack.Spec,
	telegram.Spec,
}
