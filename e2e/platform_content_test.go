package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// TestPlatformContentIsPublished publishes, on PostgreSQL and through the real adapters, a
// post whose Mastodon and Discord texts are their own: Mastodon, the preset's primary
// platform, gets its longer text (too long for Bluesky), Discord its own with the preset's
// cross-link appended, and Bluesky the post's text with the link.
func TestPlatformContentIsPublished(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := liveEnv(t, f)
	srv := startServer(t, e)
	f.checkLogs(t, srv)
	c := client(t, srv, liveKey(t, e))
	connectMastodon(t, c, f.mastodon)
	connectBluesky(t, c, f.bluesky, "")
	connectDiscord(t, c, f.discord)

	resp, err := c.CreatePresetWithResponse(t.Context(), nil, oapi.CreatePresetRequest{
		Name: "Mastodon first", Platforms: []oapi.Platform{"mastodon", "bluesky", "discord"},
		PrimaryPlatform:  nullable.NewNullableWithValue[oapi.NullablePlatform]("mastodon"),
		CrossLinkEnabled: ptr(true), CrossLinkTemplate: ptr("More on {platform}: {link}"),
	})
	requireStatus(t, http.StatusCreated, resp, err)

	base := "Per-platform content is out"
	long := "Per-platform content is out. " + strings.Repeat("Every platform gets the text that suits it. ", 8)
	own := "Hey @here: per-platform content is out"
	p := createPost(t, c, oapi.CreatePostRequest{Content: base, PresetId: &resp.JSON201.Id,
		PlatformContent: &oapi.PlatformContent{
			Mastodon: &oapi.PlatformContentEntry{Content: &long},
			Discord:  &oapi.PlatformContentEntry{Content: &own},
		}})
	require.Equal(t, long, *p.PlatformContent.Mastodon.Content)
	publish(t, c, p.Id)
	p = waitSettled(t, c, p.Id, publishTimeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)

	link := "\n\nMore on Mastodon: " + *p.PlatformResults["mastodon"].PostUrl
	require.Len(t, mastodonWith(f.mastodon, long), 1)
	require.Len(t, discordWith(f.discord, own+link), 1)
	require.Len(t, blueskyWith(f.bluesky, base+link), 1)
	requireNowhere(t, f, base, own)
	require.Equal(t, own, *getPost(t, c, p.Id).PlatformContent.Discord.Content, "stored as given")
}
