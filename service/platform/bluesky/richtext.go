package bluesky

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bluesky shows text as typed: a link or a hashtag is only clickable when the post says
// where it is, as a facet over a range of the text in UTF-8 bytes (not characters, not
// UTF-16 units). Go strings are UTF-8, so the offsets regexp reports are the right ones.

// linkPattern finds links with an explicit scheme. Bare domains ("example.com") stay
// plain text: guessing at them links too much (file names, version numbers).
var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// tagPattern finds a '#' (or the full-width '＃') at the start or after whitespace, and
// what follows it up to whitespace or an invisible separator; the official client's rule.
var tagPattern = regexp.MustCompile(`(?:^|\s)([#＃])([^\s\x{00AD}\x{2060}\x{200A}\x{200B}\x{200C}\x{200D}\x{20E2}]+)`)

// maxTagLength is the lexicon's limit for a tag, in graphemes; counted here in runes.
const maxTagLength = 64

type facet struct {
	Index    facetIndex       `json:"index"`
	Features []map[string]any `json:"features"`
}

type facetIndex struct {
	ByteStart int `json:"byteStart"`
	ByteEnd   int `json:"byteEnd"`
}

// detectFacets returns the link and hashtag facets of text, in the order they appear.
func detectFacets(text string) []facet {
	var out []facet
	var links [][2]int
	for _, m := range linkPattern.FindAllStringIndex(text, -1) {
		end := m[0] + len(trimLinkEnd(text[m[0]:m[1]]))
		if !strings.Contains(text[m[0]:end], "://") || strings.HasSuffix(text[m[0]:end], "://") {
			continue
		}
		links = append(links, [2]int{m[0], end})
		out = append(out, facet{
			Index:    facetIndex{ByteStart: m[0], ByteEnd: end},
			Features: []map[string]any{{"$type": "app.bsky.richtext.facet#link", "uri": text[m[0]:end]}},
		})
	}
	for _, m := range tagPattern.FindAllStringSubmatchIndex(text, -1) {
		start := m[2] // the '#'
		tag := strings.TrimRightFunc(text[m[4]:m[5]], unicode.IsPunct)
		if tag == "" || utf8.RuneCountInString(tag) > maxTagLength || isDigits(tag) || inside(links, start) {
			continue
		}
		out = append(out, facet{
			Index:    facetIndex{ByteStart: start, ByteEnd: m[4] + len(tag)},
			Features: []map[string]any{{"$type": "app.bsky.richtext.facet#tag", "tag": tag}},
		})
	}
	slices.SortFunc(out, func(a, b facet) int { return a.Index.ByteStart - b.Index.ByteStart })
	return out
}

// trimLinkEnd drops the punctuation that ends a sentence rather than the link, keeping a
// closing parenthesis the link itself opened (as in Wikipedia's URLs).
func trimLinkEnd(link string) string {
	for {
		r, size := utf8.DecodeLastRuneInString(link)
		switch {
		case strings.ContainsRune(".,;:!?'\"", r):
		case r == ')' && strings.Count(link, "(") < strings.Count(link, ")"):
		default:
			return link
		}
		link = link[:len(link)-size]
	}
}

func isDigits(s string) bool {
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

func inside(ranges [][2]int, i int) bool {
	for _, r := range ranges {
		if i >= r[0] && i < r[1] {
			return true
		}
	}
	return false
}
