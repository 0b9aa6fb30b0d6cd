package bluesky

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Bluesky shows text as typed: a link, a hashtag or a mention is only clickable when the post says
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

// Mentions. "@handle.domain" becomes an app.bsky.richtext.facet#mention facet naming the
// account's DID, which the text alone does not give: each handle is resolved with
// com.atproto.identity.resolveHandle on the account's PDS (which resolves any handle, not
// only its own accounts'), without the session, as the call needs none.
//
//   - The pattern is the official client's: an '@' at the start of the text, after
//     whitespace or after '(', then the handle's characters ([a-zA-Z0-9.-]) up to a word
//     boundary, so "bob@example.com" is an address, not a mention, and a sentence's final
//     '.' is not part of the handle. The client then keeps only handles whose top-level
//     domain it knows; here a handle must have the syntax of one (two or more labels,
//     the last starting with a letter), and one under a domain that does not exist simply
//     does not resolve.
//   - At most maxMentions distinct handles (case-insensitive, as handles are) are resolved
//     per post, concurrently, each bounded by the publish's context; further mentions
//     stay plain text, as does a mention inside a link.
//   - A handle that does not resolve (a 4xx, "Unable to resolve handle") stays plain text:
//     the post is still right, it just does not notify anyone. That is never a failure.
//   - A resolver that is down (5xx, 429, no answer) fails the publish as Transient rather
//     than posting with the mention unlinked: a Bluesky post cannot be edited, so a post
//     missing its mention would stay so for good, while a retry (the record key is
//     idempotent) publishes it whole a little later. The resolver is the same PDS that
//     takes the post, so when it cannot answer, the post would most likely fail too.

// mentionPattern finds "@handle" as the official client does.
var mentionPattern = regexp.MustCompile(`(?:^|\s|\()(@)([a-zA-Z0-9.-]+)\b`)

// handleLabel is one label of a handle's domain name.
var handleLabel = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$`)

// maxMentions bounds the handles one post resolves.
const maxMentions = 10

// mention is an "@handle" in a text: its byte range (the '@' included) and the handle.
type mention struct {
	start, end int
	handle     string
}

// detectMentions returns the mentions of text, in order, outside the ranges of facets
// already found (links).
func detectMentions(text string, taken []facet) []mention {
	var out []mention
	for _, m := range mentionPattern.FindAllStringSubmatchIndex(text, -1) {
		start, end := m[2], m[5]
		handle := text[m[4]:m[5]]
		if !validHandle(handle) || overlaps(taken, start, end) {
			continue
		}
		out = append(out, mention{start: start, end: end, handle: handle})
	}
	return out
}

// validHandle reports whether h has the syntax of an AT Protocol handle: a domain name
// of two or more labels whose last (the top-level domain) starts with a letter.
func validHandle(h string) bool {
	if len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if !handleLabel.MatchString(l) {
			return false
		}
	}
	tld := labels[len(labels)-1][0]
	return (tld >= 'a' && tld <= 'z') || (tld >= 'A' && tld <= 'Z')
}

func overlaps(facets []facet, start, end int) bool {
	for _, f := range facets {
		if start < f.Index.ByteEnd && f.Index.ByteStart < end {
			return true
		}
	}
	return false
}

// mentionFacet is the facet of a resolved mention.
func mentionFacet(m mention, did string) facet {
	return facet{
		Index:    facetIndex{ByteStart: m.start, ByteEnd: m.end},
		Features: []map[string]any{{"$type": "app.bsky.richtext.facet#mention", "did": did}},
	}
}

// facets returns the facets of text: its links and hashtags, and its mentions of handles
// that resolve (see the note above at Mentions).
func (a *Adapter) facets(ctx context.Context, pds, text string) ([]facet, error) {
	out := detectFacets(text)
	mentions := detectMentions(text, out)
	var handles []string
	for _, m := range mentions {
		h := strings.ToLower(m.handle)
		if !slices.Contains(handles, h) && len(handles) < maxMentions {
			handles = append(handles, h)
		}
	}
	dids := make([]string, len(handles))
	errs := make([]error, len(handles))
	var wg sync.WaitGroup
	for i, h := range handles {
		wg.Go(func() { dids[i], errs[i] = a.resolveHandle(ctx, pds, h) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, m := range mentions {
		if i := slices.Index(handles, strings.ToLower(m.handle)); i >= 0 && dids[i] != "" {
			out = append(out, mentionFacet(m, dids[i]))
		}
	}
	slices.SortFunc(out, func(a, b facet) int { return a.Index.ByteStart - b.Index.ByteStart })
	return out, nil
}

// resolveHandle returns the DID handle names, or "" when it names none; an error only
// when the resolver could not say (classified: Transient for an outage).
func (a *Adapter) resolveHandle(ctx context.Context, pds, handle string) (string, error) {
	var out struct {
		DID string `json:"did"`
	}
	err := a.do(ctx, pds, "", xrpcCall{
		method: http.MethodGet, nsid: "com.atproto.identity.resolveHandle", query: url.Values{"handle": {handle}},
	}, &out)
	var e *xrpcError
	switch {
	case errors.As(err, &e) && e.Status >= 400 && e.Status < 500 &&
		e.Status != http.StatusTooManyRequests && e.Status != http.StatusRequestTimeout:
		return "", nil // InvalidRequest "Unable to resolve handle", and the like: plain text
	case err != nil:
		return "", classify(err)
	case !strings.HasPrefix(out.DID, "did:") || len(out.DID) > 2048:
		return "", nil
	}
	return out.DID, nil
}
