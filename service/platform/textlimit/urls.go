package textlimit

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

type segment struct {
	text string
	url  bool
}

var (
	schemeURL = regexp.MustCompile(`(?i)https?://[^\s<>"]+`)
	// bareDomain is a domain under a common generic TLD, with an optional path: twitter
	// links these without a scheme.
	bareDomain = regexp.MustCompile(`(?i)(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|net|org|edu|gov|info|biz|app|dev|xyz|blog|news|shop)\b(?:/[^\s<>"]*)?`)
	validHost  = regexp.MustCompile(`^[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)*\.\p{L}[\p{L}\p{N}-]+$`)
	// remoteMention is Mastodon's @user@domain; the caller checks what precedes it.
	remoteMention = regexp.MustCompile(`(?i)@([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)@[\p{L}\p{N}_.-]*[\p{L}\p{N}_]`)
)

// splitURLs cuts text into URL and non-URL segments. bare also recognises scheme-less
// domains (twitter).
func splitURLs(text string, bare bool) []segment {
	var out []segment
	rest := text
	for rest != "" {
		start, end := nextURL(rest, bare)
		if start < 0 {
			out = append(out, segment{text: rest})
			break
		}
		if start > 0 {
			out = append(out, segment{text: rest[:start]})
		}
		out = append(out, segment{text: rest[start:end], url: true})
		rest = rest[end:]
	}
	return out
}

// nextURL finds the first URL in s, returning its byte range or -1, -1.
func nextURL(s string, bare bool) (int, int) {
	best, bestEnd := -1, -1
	for _, loc := range schemeURL.FindAllStringIndex(s, -1) {
		if !boundaryBefore(s, loc[0], false) {
			continue
		}
		end := loc[0] + trimTrailing(s[loc[0]:loc[1]])
		host := s[loc[0]:end]
		host = host[strings.Index(host, "://")+3:]
		if i := strings.IndexAny(host, "/?#:"); i >= 0 {
			host = host[:i]
		}
		if validHost.MatchString(host) {
			best, bestEnd = loc[0], end
			break
		}
	}
	if !bare {
		return best, bestEnd
	}
	for _, loc := range bareDomain.FindAllStringIndex(s, -1) {
		if best >= 0 && loc[0] >= best {
			break
		}
		if !boundaryBefore(s, loc[0], true) {
			continue
		}
		return loc[0], loc[0] + trimTrailing(s[loc[0]:loc[1]])
	}
	return best, bestEnd
}

// boundaryBefore reports whether a URL may start at i: not inside a word, and for a bare
// domain not after @ (an e-mail address or a mention) or inside a longer host or path.
func boundaryBefore(s string, i int, bare bool) bool {
	if i == 0 {
		return true
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return false
	}
	if bare && strings.ContainsRune("@.-/_:", r) {
		return false
	}
	return true
}

// trimTrailing returns the length of u without the punctuation that ends a sentence
// rather than the URL, keeping a closing parenthesis that closes one inside the URL.
func trimTrailing(u string) int {
	for u != "" {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,:;!?'\"", last) >= 0:
			u = u[:len(u)-1]
		case last == ')' && strings.Count(u, "(") < strings.Count(u, ")"):
			u = u[:len(u)-1]
		case last == ']' && strings.Count(u, "[") < strings.Count(u, "]"):
			u = u[:len(u)-1]
		default:
			return len(u)
		}
	}
	return 0
}

// collapseRemoteMentions rewrites @user@domain as @user where a mention may start (not
// after a word character, '=' or '/', as in Mastodon's MENTION_RE).
func collapseRemoteMentions(s string) string {
	locs := remoteMention.FindAllStringSubmatchIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	prev := 0
	for _, loc := range locs {
		if loc[0] > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:loc[0]])
			if r == '=' || r == '/' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) {
				continue
			}
		}
		b.WriteString(s[prev:loc[0]])
		b.WriteString("@")
		b.WriteString(s[loc[2]:loc[3]])
		prev = loc[1]
	}
	b.WriteString(s[prev:])
	return b.String()
}
