// Package textlimit checks a post's text against each platform's own length rule before it
// is sent, so a post that a platform would refuse fails at once with a message that says
// why (the platform, the count, the limit) instead of as an opaque 4xx from the platform.
//
// Platforms do not agree on what a character is, and each limit is counted the way its
// platform counts it:
//
//	twitter    280, weighted after NFC: a URL counts 23; code points in U+0000–U+10FF,
//	           U+2000–U+200D, U+2010–U+201F and U+2032–U+2037 count 1, all others (CJK)
//	           2; an emoji (even a multi-code-point sequence) counts 2 — twitter-text v3.
//	bluesky    300 grapheme clusters and 3000 UTF-8 bytes.
//	mastodon   500 or the instance's own limit, in grapheme clusters; a URL counts 23 and
//	           a remote mention @user@domain counts as @user, as Mastodon's validator does.
//	linkedin   3000 code points.
//	threads    500 code points, an emoji counting its UTF-8 byte length.
//	instagram  2200 code points; needs an image or a video.
//	facebook   63206 code points.
//	tiktok     2200 code points; needs a video.
//	youtube    the whole text is the description (5000 UTF-8 bytes, as YouTube measures
//	           it); its first line, not empty, is the title unless the post's options give
//	           one (the adapter cuts it to YouTube's 100 characters); no < or >; needs a
//	           video.
//	discord    2000 code points.
//	slack      40000 code points.
//	telegram   4096 UTF-16 code units (Telegram measures text in UTF-16), 1024 when the
//	           text goes out as a media caption.
//
// URL recognition follows the platforms closely but not exactly: a URL is an http(s) URL
// with a dotted host, and for twitter also a bare domain under a common generic top-level
// domain (example.com); twitter's full top-level-domain list and its country-code rules are
// not reproduced, so a bare country-code domain counts by its characters.
package textlimit

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Requirement is the media a platform's post must carry.
type Requirement int

const (
	// NoMedia: text alone is a valid post.
	NoMedia Requirement = iota
	// ImageOrVideo: at least one image or a video (instagram).
	ImageOrVideo
	// Video: a video (tiktok, youtube).
	Video
)

func (r Requirement) String() string {
	switch r {
	case ImageOrVideo:
		return "an image or a video"
	case Video:
		return "a video"
	default:
		return "no media"
	}
}

// Met reports whether a post with the given media satisfies the requirement.
func (r Requirement) Met(hasImage, hasVideo bool) bool {
	switch r {
	case ImageOrVideo:
		return hasImage || hasVideo
	case Video:
		return hasVideo
	default:
		return true
	}
}

// NeedsMedia returns the media a post to platform must carry. Check only knows whether a
// post has media at all; a caller that can tell images from a video uses Requirement.Met.
func NeedsMedia(platform string) Requirement {
	switch platform {
	case "instagram":
		return ImageOrVideo
	case "tiktok", "youtube":
		return Video
	default:
		return NoMedia
	}
}

// TooLongError is a text over a platform's limit.
type TooLongError struct {
	Platform string
	Part     string // "text", "caption", "title" or "description"
	Count    int
	Limit    int
	Unit     string // what was counted, e.g. "characters" or "UTF-8 bytes"
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("%s: the %s is %d %s, over the limit of %d", e.Platform, e.Part, e.Count, e.Unit, e.Limit)
}

// MissingMediaError is a post without the media its platform requires.
type MissingMediaError struct {
	Platform string
	Need     Requirement
}

func (e *MissingMediaError) Error() string {
	return fmt.Sprintf("%s: a post needs %s", e.Platform, e.Need)
}

// DefaultMastodonLimit is Mastodon's limit when the instance does not state its own.
const DefaultMastodonLimit = 500

// Check returns nil if text can be published to platform, and otherwise a *TooLongError,
// a *MissingMediaError or an error naming the problem. hasMedia says whether the post
// carries images or a video (a Telegram text then goes out as a caption). maxChars is a
// Mastodon instance's own limit; 0 means Mastodon's default.
func Check(platform, text string, hasMedia bool, maxChars int) error {
	if need := NeedsMedia(platform); need != NoMedia && !hasMedia {
		return &MissingMediaError{Platform: platform, Need: need}
	}
	tooLong := func(part string, count, limit int, unit string) error {
		if count <= limit {
			return nil
		}
		return &TooLongError{Platform: platform, Part: part, Count: count, Limit: limit, Unit: unit}
	}
	switch platform {
	case "twitter":
		return tooLong("text", twitterLength(text), 280, "weighted characters (URLs count 23, CJK and emoji 2)")
	case "bluesky":
		if err := tooLong("text", graphemes(text), 300, "graphemes"); err != nil {
			return err
		}
		return tooLong("text", len(text), 3000, "UTF-8 bytes")
	case "mastodon":
		if maxChars <= 0 {
			maxChars = DefaultMastodonLimit
		}
		return tooLong("text", mastodonLength(text), maxChars, "characters (URLs count 23)")
	case "linkedin":
		return tooLong("text", utf8.RuneCountInString(text), 3000, "characters")
	case "threads":
		return tooLong("text", threadsLength(text), 500, "characters (emoji count their UTF-8 bytes)")
	case "instagram":
		return tooLong("caption", utf8.RuneCountInString(text), 2200, "characters")
	case "facebook":
		return tooLong("text", utf8.RuneCountInString(text), 63206, "characters")
	case "tiktok":
		return tooLong("caption", utf8.RuneCountInString(text), 2200, "characters")
	case "youtube":
		return checkYouTube(text)
	case "discord":
		return tooLong("text", utf8.RuneCountInString(text), 2000, "characters")
	case "slack":
		return tooLong("text", utf8.RuneCountInString(text), 40000, "characters")
	case "telegram":
		if hasMedia {
			return tooLong("caption", utf16Length(text), 1024, "UTF-16 code units")
		}
		return tooLong("text", utf16Length(text), 4096, "UTF-16 code units")
	default:
		return fmt.Errorf("textlimit: unknown platform %q", platform)
	}
}

// checkYouTube checks the text as the description (all of it) and the default title (its
// first line): a video needs a title, and YouTube refuses angle brackets in both. A first
// line over YouTube's 100 characters is not an error: the adapter cuts it, and
// platform_options.youtube.title, checked with the options, replaces it.
func checkYouTube(text string) error {
	title, _, _ := strings.Cut(text, "\n")
	title = strings.TrimSpace(title)
	if title == "" {
		return fmt.Errorf("youtube: the first line is the video's title and must not be empty")
	}
	if strings.ContainsAny(text, "<>") {
		return fmt.Errorf("youtube: the title and description must not contain < or >")
	}
	if n := len(text); n > 5000 {
		return &TooLongError{Platform: "youtube", Part: "description", Count: n, Limit: 5000, Unit: "UTF-8 bytes"}
	}
	return nil
}

func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// For returns Check for one platform, the form a platform.Spec's Text takes.
func For(platform string) func(text string, hasMedia bool, maxChars int) error {
	return func(text string, hasMedia bool, maxChars int) error {
		return Check(platform, text, hasMedia, maxChars)
	}
}
