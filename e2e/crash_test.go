package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

const (
	// crashJobTimeout is the job timeout of the crash test's servers: a job left running
	// by a killed server is rescued once it has run for twice this long.
	crashJobTimeout = 2 * time.Second
	// platformHold is how long the fakes hold back their answers while the server is
	// killed: longer than the time it takes to notice the call and kill the server, and
	// than the job timeout, so the killed server can never have heard an answer.
	platformHold = 3 * time.Second
	// rescueTimeout bounds the wait for the restarted server to finish the killed one's
	// jobs: the dead leader's lease (15 s) runs out, the new leader's rescuer and
	// scheduler (every 30 s and 5 s, both at once on election) put the jobs back, and the
	// job then runs. About 20 s in practice.
	rescueTimeout = 90 * time.Second
)

// TestKillAndRestart kills a server with SIGKILL while its publishing calls are in flight
// — each platform has applied the post but not yet answered — and starts another on the
// same database. The post must end up on each platform exactly once: Mastodon and
// Bluesky deduplicate a repeated send, so it is sent again and recognised; Discord cannot,
// so the outcome there is recorded as unknown instead of risking a second message.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := liveEnv(t, f)
	e["OCTOPOST_JOB_TIMEOUT"] = crashJobTimeout.String()
	dir := t.TempDir()
	first := startServerIn(t, dir, e)
	f.checkLogs(t, first)
	key := liveKey(t, e)
	c := client(t, first, key)
	connectMastodon(t, c, f.mastodon)
	connectBluesky(t, c, f.bluesky, f.bluesky.URL) // through the account's own service_url
	connectDiscord(t, c, f.discord)

	content, reply := "Published across a crash", "Its reply, after the restart"
	all := []oapi.Platform{"mastodon", "bluesky", "discord"}
	p := createPost(t, c, oapi.CreatePostRequest{Content: content, Platforms: &all,
		Segments: &[]oapi.Segment{{Content: reply}}})

	f.mastodon.SetDelay(platformHold)
	f.bluesky.SetDelay(platformHold)
	f.discord.SetDelay(platformHold)
	publish(t, c, p.Id)
	eventually(t, publishTimeout, "every platform has received the post", func() bool {
		return len(mastodonWith(f.mastodon, content)) == 1 &&
			len(blueskyWith(f.bluesky, content)) == 1 &&
			len(discordWith(f.discord, content)) == 1
	}, func() string {
		return fmt.Sprintf("mastodon has %d, bluesky %d, discord %d", len(mastodonWith(f.mastodon, content)),
			len(blueskyWith(f.bluesky, content)), len(discordWith(f.discord, content)))
	})
	first.kill(t)
	killed := time.Now()
	f.mastodon.SetDelay(0)
	f.bluesky.SetDelay(0)
	f.discord.SetDelay(0)

	second := startServerIn(t, dir, e)
	f.checkLogs(t, second)
	c = client(t, second, key)
	// The killed server heard no answer, so it recorded none.
	p = getPost(t, c, p.Id)
	require.Equal(t, oapi.PostStatus("publishing"), p.Status)
	require.Empty(t, p.PlatformResults, "nothing was recorded before the kill")

	p = waitSettled(t, c, p.Id, rescueTimeout)
	t.Logf("settled %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)

	// Mastodon and Bluesky: the part in flight was sent again with the same key, the
	// platform recognised it, and the thread went on from there. Exactly one of each.
	requireThreads(t, f, p, content, reply)
	require.GreaterOrEqual(t, f.mastodon.Calls("/api/v1/statuses"), 3, "mastodon: the post sent twice (the second deduplicated), then the reply")
	require.GreaterOrEqual(t, f.bluesky.Calls("com.atproto.repo.createRecord"), 3, "bluesky: the post created twice (the second refused), then the reply")
	require.GreaterOrEqual(t, f.bluesky.Calls("com.atproto.repo.getRecord"), 1, "bluesky: the refused create looked up the record")

	// Discord cannot tell a repeat from a new message, and its message was sent when the
	// server died, unanswered: one message, and the outcome recorded as unknown rather
	// than a second message risked. The thread stops there.
	require.Len(t, discordWith(f.discord, content), 1, "discord: never two messages")
	require.Empty(t, discordWith(f.discord, reply), "discord: the thread stops at the unknown part")
	result := p.PlatformResults["discord"]
	require.False(t, result.Success, "discord: the killed server never heard the answer")
	require.Nil(t, result.PostId)
	require.Contains(t, deref(result.Error), "unknown")
	require.Equal(t, 1, f.discord.Calls("POST"), "discord: one send, none after the restart")
}
