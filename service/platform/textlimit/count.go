package textlimit

import (
	"github.com/rivo/uniseg"
	"golang.org/x/text/unicode/norm"
)

// urlLength is what a URL counts on twitter and mastodon, however long it is: both
// platforms shorten links (t.co) or reserve a fixed width for them.
const urlLength = 23

func graphemes(s string) int { return uniseg.GraphemeClusterCount(s) }

// twitterLength is twitter-text v3's weighted length.
func twitterLength(text string) int {
	n := 0
	for _, seg := range splitURLs(norm.NFC.String(text), true) {
		if seg.url {
			n += urlLength
			continue
		}
		g := uniseg.NewGraphemes(seg.text)
		for g.Next() {
			runes := g.Runes()
			if isEmoji(runes) {
				n += 2
				continue
			}
			for _, r := range runes {
				n += twitterWeight(r)
			}
		}
	}
	return n
}

// twitterWeight is a code point's weight in twitter-text v3's configuration: Latin, Greek,
// Cyrillic, Hebrew, Arabic, Indic scripts and common punctuation count 1, the rest 2.
func twitterWeight(r rune) int {
	switch {
	case r <= 0x10FF,
		r >= 0x2000 && r <= 0x200D,
		r >= 0x2010 && r <= 0x201F,
		r >= 0x2032 && r <= 0x2037:
		return 1
	default:
		return 2
	}
}

// mastodonLength is Mastodon's status length: grapheme clusters, with every URL counting
// 23 and a remote mention counting only its @user part (the domain is not shown inline).
func mastodonLength(text string) int {
	n := 0
	for _, seg := range splitURLs(text, false) {
		if seg.url {
			n += urlLength
			continue
		}
		n += graphemes(collapseRemoteMentions(seg.text))
	}
	return n
}

// threadsLength counts code points, except that an emoji counts its UTF-8 byte length.
func threadsLength(text string) int {
	n := 0
	g := uniseg.NewGraphemes(text)
	for g.Next() {
		if runes := g.Runes(); isEmoji(runes) {
			n += len(g.Str())
		} else {
			n += len(runes)
		}
	}
	return n
}

// isEmoji reports whether a grapheme cluster is an emoji: it asks for emoji presentation
// (U+FE0F), is a keycap (U+20E3), or starts with a pictographic code point — which covers
// single emoji, skin-tone and ZWJ sequences and flags (pairs of regional indicators).
// It approximates Unicode's Extended_Pictographic property by its main blocks.
func isEmoji(cluster []rune) bool {
	for _, r := range cluster {
		if r == 0xFE0F || r == 0x20E3 {
			return true
		}
	}
	return len(cluster) > 0 && pictographic(cluster[0])
}

func pictographic(r rune) bool {
	switch {
	case r >= 0x1F000 && r <= 0x1FAFF, // mahjong … symbols and pictographs extended-A, flags
		r >= 0x2600 && r <= 0x27BF, // miscellaneous symbols, dingbats
		r >= 0x2300 && r <= 0x23FF, // ⌚ ⏰ …
		r >= 0x2B00 && r <= 0x2BFF: // ⬛ ⭐ …
		return true
	default:
		return false
	}
}
