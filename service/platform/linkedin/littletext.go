package linkedin

// LinkedIn reads a post's commentary as "little text": a markup in which \ | { } @ [ ] ( )
// < > # * _ ~ are reserved (mentions, hashtags and other templates are written with
// them). An unescaped reserved character is not shown as itself: LinkedIn cuts the
// text there or garbles it. Octopost publishes text as the user wrote it, so every
// reserved character is escaped with a backslash; a #hashtag therefore reads as written
// but is not a link to the hashtag's feed.

import "strings"

// reserved are little text's reserved characters.
const reserved = `\|{}@[]()<>#*_~`

// escapeLittleText returns text with little text's reserved characters escaped.
func escapeLittleText(text string) string {
	if !strings.ContainsAny(text, reserved) {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 8)
	for _, r := range text {
		if strings.ContainsRune(reserved, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
