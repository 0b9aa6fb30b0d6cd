package textlimit_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/textlimit"
)

const (
	family  = "👨\u200d👩\u200d👧" // one grapheme, five code points, 18 bytes
	flag    = "🇫🇷"              // two regional indicators
	keycap  = "1\ufe0f\u20e3"
	thumbs  = "👍🏽" // with a skin-tone modifier
	longURL = "https://example.com/a/very/long/path/that/goes/on/and/on?with=query&and=more#frag"
)

func rep(s string, n int) string { return strings.Repeat(s, n) }

func TestCheckLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		platform string
		text     string
		media    bool
		max      int
		count    int // the count a failure must report; 0 when the text passes
		limit    int
	}{
		{"twitter ascii at limit", "twitter", rep("a", 280), false, 0, 0, 0},
		{"twitter ascii over", "twitter", rep("a", 281), false, 0, 281, 280},
		{"twitter CJK counts 2", "twitter", rep("漢", 140), false, 0, 0, 0},
		{"twitter CJK over", "twitter", rep("漢", 141), false, 0, 282, 280},
		{"twitter emoji counts 2", "twitter", rep("😀", 140), false, 0, 0, 0},
		{"twitter emoji over", "twitter", rep("😀", 141), false, 0, 282, 280},
		{"twitter ZWJ sequence counts 2", "twitter", rep(family, 140), false, 0, 0, 0},
		{"twitter ZWJ sequence over", "twitter", rep(family, 141), false, 0, 282, 280},
		{"twitter flags and keycaps count 2", "twitter", rep(flag, 70) + rep(keycap, 35) + rep(thumbs, 35), false, 0, 0, 0},
		{"twitter skin tone over", "twitter", rep(thumbs, 141), false, 0, 282, 280},
		{"twitter NFC first", "twitter", rep("e\u0301", 280), false, 0, 0, 0},
		{"twitter NFC over", "twitter", rep("e\u0301", 281), false, 0, 281, 280},
		{"twitter uncomposable combining mark counts", "twitter", rep("a\u0332", 141), false, 0, 282, 280},
		{"twitter curly quotes count 1", "twitter", rep("\u201c", 280), false, 0, 0, 0},
		{"twitter ellipsis counts 2", "twitter", rep("…", 141), false, 0, 282, 280},
		{"twitter URL counts 23", "twitter", rep("a", 256) + " " + longURL, false, 0, 0, 0},
		{"twitter URL over", "twitter", rep("a", 257) + " " + longURL, false, 0, 281, 280},
		{"twitter short URL still 23", "twitter", rep("a", 257) + " http://x.io", false, 0, 281, 280},
		{"twitter sentence period after URL", "twitter", rep("a", 255) + " " + longURL + ".", false, 0, 0, 0},
		{"twitter bare domain counts 23", "twitter", rep("a", 257) + " example.com", false, 0, 281, 280},
		{"twitter e-mail is no URL", "twitter", rep("a", 263) + " me@example.com", false, 0, 0, 0},
		{"twitter localhost is no URL", "twitter", rep("a", 264) + " http://localhost", false, 0, 281, 280},

		{"bluesky graphemes at limit", "bluesky", rep("a", 300), false, 0, 0, 0},
		{"bluesky graphemes over", "bluesky", rep("a", 301), false, 0, 301, 300},
		{"bluesky combining characters are one grapheme", "bluesky", rep("e\u0301", 300), false, 0, 0, 0},
		{"bluesky combining characters over", "bluesky", rep("e\u0301", 301), false, 0, 301, 300},
		{"bluesky bytes at limit", "bluesky", rep(family, 166) + rep("a", 12), false, 0, 0, 0},
		{"bluesky bytes over", "bluesky", rep(family, 166) + rep("a", 13), false, 0, 3001, 3000},
		{"bluesky emoji graphemes", "bluesky", rep(thumbs, 301), false, 0, 301, 300},

		{"mastodon default at limit", "mastodon", rep("a", 500), false, 0, 0, 0},
		{"mastodon default over", "mastodon", rep("a", 501), false, 0, 501, 500},
		{"mastodon instance limit", "mastodon", rep("a", 1000), false, 1000, 0, 0},
		{"mastodon instance limit over", "mastodon", rep("a", 1001), false, 1000, 1001, 1000},
		{"mastodon URL counts 23", "mastodon", rep("a", 476) + " " + longURL, false, 0, 0, 0},
		{"mastodon URL over", "mastodon", rep("a", 477) + " " + longURL, false, 0, 501, 500},
		{"mastodon bare domain counts its characters", "mastodon", rep("a", 488) + " example.com", false, 0, 0, 0},
		{"mastodon remote mention counts @user", "mastodon", "@alice@social.example.org " + rep("a", 493), false, 0, 0, 0},
		{"mastodon remote mention over", "mastodon", "@alice@social.example.org " + rep("a", 494), false, 0, 501, 500},
		{"mastodon counts graphemes", "mastodon", rep(family, 500), false, 0, 0, 0},
		{"mastodon graphemes over", "mastodon", rep(family, 501), false, 0, 501, 500},

		{"threads at limit", "threads", rep("a", 500), false, 0, 0, 0},
		{"threads over", "threads", rep("é", 501), false, 0, 501, 500},
		{"threads emoji count bytes", "threads", rep("😀", 125), false, 0, 0, 0},
		{"threads emoji over", "threads", rep("😀", 126), false, 0, 504, 500},
		{"threads ZWJ sequence counts all its bytes", "threads", rep(family, 27) + rep("a", 14), false, 0, 0, 0},
		{"threads ZWJ sequence over", "threads", rep(family, 27) + rep("a", 15), false, 0, 501, 500},
		{"threads CJK counts 1", "threads", rep("漢", 500), false, 0, 0, 0},

		{"linkedin at limit", "linkedin", rep("a", 3000), false, 0, 0, 0},
		{"linkedin over", "linkedin", rep("漢", 3001), false, 0, 3001, 3000},
		{"instagram at limit", "instagram", rep("a", 2200), true, 0, 0, 0},
		{"instagram over", "instagram", rep("a", 2201), true, 0, 2201, 2200},
		{"facebook at limit", "facebook", rep("a", 63206), false, 0, 0, 0},
		{"facebook over", "facebook", rep("a", 63207), false, 0, 63207, 63206},
		{"tiktok at limit", "tiktok", rep("a", 2200), true, 0, 0, 0},
		{"tiktok over", "tiktok", rep("a", 2201), true, 0, 2201, 2200},
		{"discord at limit", "discord", rep("😀", 2000), false, 0, 0, 0},
		{"discord over", "discord", rep("a", 2001), false, 0, 2001, 2000},
		{"slack at limit", "slack", rep("a", 40000), false, 0, 0, 0},
		{"slack over", "slack", rep("a", 40001), false, 0, 40001, 40000},
		{"telegram at limit", "telegram", rep("a", 4096), false, 0, 0, 0},
		{"telegram over", "telegram", rep("a", 4097), false, 0, 4097, 4096},
		{"telegram emoji are two UTF-16 units", "telegram", rep("😀", 2048), false, 0, 0, 0},
		{"telegram emoji over", "telegram", rep("😀", 2049), false, 0, 4098, 4096},
		{"telegram caption at limit", "telegram", rep("a", 1024), true, 0, 0, 0},
		{"telegram caption over", "telegram", rep("a", 1025), true, 0, 1025, 1024},

		{"youtube long first line (cut for the title)", "youtube", rep("a", 101) + "\n" + rep("b", 4898), true, 0, 0, 0},
		{"youtube description bytes at limit", "youtube", "title\n" + rep("é", 2497), true, 0, 0, 0},
		{"youtube description over", "youtube", "title\n" + rep("é", 2498), true, 0, 5002, 5000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := textlimit.Check(tc.platform, tc.text, tc.media, tc.max)
			if tc.count == 0 {
				require.NoError(t, err)
				return
			}
			var tl *textlimit.TooLongError
			require.ErrorAs(t, err, &tl)
			require.Equal(t, tc.platform, tl.Platform)
			require.Equal(t, tc.count, tl.Count)
			require.Equal(t, tc.limit, tl.Limit)
			msg := err.Error()
			require.Contains(t, msg, tc.platform)
			require.Contains(t, msg, fmt.Sprint(tc.count))
			require.Contains(t, msg, fmt.Sprint(tc.limit))
		})
	}
}

func TestCheckMessages(t *testing.T) {
	t.Parallel()
	err := textlimit.Check("bluesky", rep(family, 166)+rep("a", 13), false, 0)
	require.EqualError(t, err, "bluesky: the text is 3001 UTF-8 bytes, over the limit of 3000")
	err = textlimit.Check("telegram", rep("a", 1025), true, 0)
	require.EqualError(t, err, "telegram: the caption is 1025 UTF-16 code units, over the limit of 1024")
	err = textlimit.Check("youtube", rep("a", 5001), true, 0)
	require.EqualError(t, err, "youtube: the description is 5001 UTF-8 bytes, over the limit of 5000")
	// A long first line is cut to YouTube's 100 characters for the title, not refused.
	require.NoError(t, textlimit.Check("youtube", rep("a", 101)+"\nmore", true, 0))
}

func TestCheckMedia(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"instagram", "tiktok", "youtube"} {
		err := textlimit.Check(p, "hello", false, 0)
		var me *textlimit.MissingMediaError
		require.ErrorAs(t, err, &me, p)
		require.Equal(t, p, me.Platform)
		require.Contains(t, err.Error(), p)
		require.NoError(t, textlimit.Check(p, "hello", true, 0), p)
	}
	require.EqualError(t, textlimit.Check("tiktok", "hi", false, 0), "tiktok: a post needs a video")
	require.EqualError(t, textlimit.Check("instagram", "hi", false, 0), "instagram: a post needs an image or a video")
}

func TestCheckYouTubeText(t *testing.T) {
	t.Parallel()
	require.ErrorContains(t, textlimit.Check("youtube", "\n\nonly a description", true, 0), "title")
	require.ErrorContains(t, textlimit.Check("youtube", "   ", true, 0), "title")
	require.ErrorContains(t, textlimit.Check("youtube", "a <b> title", true, 0), "< or >")
	require.ErrorContains(t, textlimit.Check("youtube", "title\n1 > 0", true, 0), "< or >")
}

func TestCheckUnknownPlatform(t *testing.T) {
	t.Parallel()
	err := textlimit.Check("myspace", "hi", false, 0)
	require.EqualError(t, err, `textlimit: unknown platform "myspace"`)
	var tl *textlimit.TooLongError
	require.False(t, errors.As(err, &tl))
}

func TestNeedsMedia(t *testing.T) {
	t.Parallel()
	require.Equal(t, textlimit.ImageOrVideo, textlimit.NeedsMedia("instagram"))
	require.Equal(t, textlimit.Video, textlimit.NeedsMedia("tiktok"))
	require.Equal(t, textlimit.Video, textlimit.NeedsMedia("youtube"))
	for _, p := range []string{"twitter", "bluesky", "mastodon", "linkedin", "threads", "facebook", "discord", "slack", "telegram"} {
		require.Equal(t, textlimit.NoMedia, textlimit.NeedsMedia(p), p)
	}

	require.True(t, textlimit.ImageOrVideo.Met(true, false))
	require.True(t, textlimit.ImageOrVideo.Met(false, true))
	require.False(t, textlimit.ImageOrVideo.Met(false, false))
	require.False(t, textlimit.Video.Met(true, false))
	require.True(t, textlimit.Video.Met(false, true))
	require.True(t, textlimit.NoMedia.Met(false, false))
}
