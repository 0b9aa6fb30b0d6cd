package service

import (
	"fmt"
	"slices"
)

// Per-platform content
//
// A post may give some of its platforms their own text and media (platform_content): a
// longer text for Mastodon, a shorter one for X, no image on LinkedIn. An entry replaces
// the post's content and/or media on its platform only; what it leaves out (a nil field)
// is the post's own. Everything downstream of the post sees a platform's post through
// partsFor, so the rules that hold for the post's own content hold for an override the
// same way, against what the platform will actually get:
//
//   - at publish (checkPublishable), the platform's text limit, its media requirement, its
//     image and video rules and its platform_options' checks apply to the override, and a
//     problem names the entry (/platform_content/x/content, /platform_content/x/media/images);
//     a problem with the post's own content on a platform that overrides it is none;
//   - the preset's cross-link is appended to the platform's text, override or not, and left
//     off when it would not fit that platform's limit (withCrossLink); its {title} and
//     {excerpt} are taken from the primary platform's text, the post the {link} leads to;
//   - a thread: the entry replaces the first message, the post's own content and media. The
//     segments go out the same everywhere. That is the simplest rule that stays honest: a
//     thread whose replies differ by platform would be separate threads, and a post can
//     still say different things per platform where it starts.
//
// When a post is created or updated, an entry must be for one of the post's platforms (a
// preset's platforms once resolved): /platform_content/x, as for platform_options. Limits
// wait for publishing, like the post's own content's: they depend on the account (a
// Mastodon instance's own limit). PUT replaces the whole object; {} removes it, and a post
// without overrides has none (nil), not an empty set.

// partsFor returns p's parts as pl gets them: p's own (parts), with the first part's
// content and media replaced by pl's entry of p's platform_content where it has them. Each
// part's fields name where its content and media come from, so that a problem found on pl
// points at what the caller wrote.
func partsFor(p Post, pl Platform) []part {
	out := parts(p)
	entry, ok := p.PlatformContent[pl]
	if !ok {
		return out
	}
	at := contentField(pl)
	if entry.Content != nil {
		out[0].content, out[0].contentField = *entry.Content, at+"/content"
	}
	if entry.Media != nil {
		out[0].media, out[0].mediaField = *entry.Media, at+"/media"
	}
	return out
}

// checkPlatformContent adds to problems each entry of p's platform_content that is not for
// one of p's platforms, in the order of Platforms. It runs wherever the post's platforms
// are known: when a post is created or updated.
func checkPlatformContent(problems *Problems, p Post) {
	for _, pl := range Platforms {
		if _, ok := p.PlatformContent[pl]; ok && !slices.Contains(p.Platforms, pl) {
			problems.Add(contentField(pl), "%s is not one of this post's platforms", pl)
		}
	}
}

// someContent is content, or nil when there is none: a post without overrides has none,
// not an empty set.
func someContent(content map[Platform]PlatformContent) map[Platform]PlatformContent {
	if len(content) == 0 {
		return nil
	}
	return content
}

func contentField(pl Platform) string { return fmt.Sprintf("/platform_content/%s", pl) }
