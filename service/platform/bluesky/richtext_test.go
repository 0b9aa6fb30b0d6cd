package bluesky

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// covered is what each facet of text covers, as "type:text".
func covered(text string) []string {
	var out []string
	for _, f := range detectFacets(text) {
		kind := "link"
		if f.Features[0]["$type"] == "app.bsky.richtext.facet#tag" {
			kind = "tag"
		}
		out = append(out, kind+":"+text[f.Index.ByteStart:f.Index.ByteEnd])
	}
	return out
}

func TestDetectFacets(t *testing.T) {
	t.Parallel()
	for text, want := range map[string][]string{
		"no facets here":                              nil,
		"see https://example.com.":                    {"link:https://example.com"},
		"(https://example.com/x)":                     {"link:https://example.com/x"},
		"https://en.wikipedia.org/wiki/Go_(language)": {"link:https://en.wikipedia.org/wiki/Go_(language)"},
		"https://a.example/?q=1&b=2#frag, ok":         {"link:https://a.example/?q=1&b=2#frag"},
		"#go and #1 and #v2!":                         {"tag:#go", "tag:#v2"},
		"not#atag, ＃全角":                               {"tag:＃全角"},
		"🎉 #launch https://x.example":                 {"tag:#launch", "link:https://x.example"},
		"http:// alone":                               nil,
		"\u00e9t\u00e9 #été":                          {"tag:#été"},
	} {
		require.Equal(t, want, covered(text), text)
	}
}

func TestDetectFacetsFeatures(t *testing.T) {
	t.Parallel()
	facets := detectFacets("😀 #Go https://go.dev")
	require.Len(t, facets, 2)
	require.Equal(t, facetIndex{ByteStart: 5, ByteEnd: 8}, facets[0].Index, "the emoji is 4 bytes")
	require.Equal(t, map[string]any{"$type": "app.bsky.richtext.facet#tag", "tag": "Go"}, facets[0].Features[0])
	require.Equal(t, facetIndex{ByteStart: 9, ByteEnd: 23}, facets[1].Index)
	require.Equal(t, map[string]any{"$type": "app.bsky.richtext.facet#link", "uri": "https://go.dev"}, facets[1].Features[0])
}

func TestDetectMentions(t *testing.T) {
	t.Parallel()
	for text, want := range map[string][]string{
		"@alice.bsky.social hi":                   {"@alice.bsky.social"},
		"hi @alice.bsky.social.":                  {"@alice.bsky.social"},
		"(@bob.example.com) and @carol.example's": {"@bob.example.com", "@carol.example"},
		"mail bob@example.com":                    nil,
		"@alice alone":                            nil, // no domain
		"@user.123 and @-bad.example.com":         nil, // a numeric TLD, a label starting with '-'
		"日本語 @bob.example.com日本":                  {"@bob.example.com"},
		"https://example.com/@bob.example.com":    nil,
		"@Bob.Example.COM":                        {"@Bob.Example.COM"},
	} {
		var got []string
		for _, m := range detectMentions(text, detectFacets(text)) {
			got = append(got, text[m.start:m.end])
			require.Equal(t, text[m.start+1:m.end], m.handle)
		}
		require.Equal(t, want, got, text)
	}
}
