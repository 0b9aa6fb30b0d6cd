package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// Both tests run the servers with the default settings: OCTOPOST_JOB_TIMEOUT (5 min) has
// no part in taking over a dead instance's jobs; the instances' heartbeats do.
const (
	// platformHold is how long the fakes hold back their answers while the server is
	// killed: longer than it takes to notice the calls and kill the server, so the
	// killed server can never have heard an answer.
	platformHold = 3 * time.Second
	// restartTimeout bounds the wait, from the moment a killed server is started again,
	// for it to finish the publishes it was running: the bound. It takes about
	// 12 s (its earlier process's heartbeat must be 12 s old; see db/queue/liveness.go).
	restartTimeout = 30 * time.Second
	// takeoverTimeout bounds the wait, from the kill, for another running instance to
	// finish a publish of an instance killed for good: about a minute. It takes about
	// 30 s (the dead instance's heartbeat must be 30 s old).
	takeoverTimeout = 60 * time.Second
)

// crashScene is a post publishing to Mastodon, Bluesky and Discord, each with a reply,
// whose platform calls have all reached the fakes (which have applied them) and are held
// unanswered.
type crashScene struct {
	f              fakes
	e              env
	key            string
	post           oapi.Post
	content, reply string
}

// startCrashScene publishes through srv (already started on e) and returns once every
// platform has received the post but none has answered.
func startCrashScene(t *testing.T, f fakes, e env, srv *server) crashScene {
	t.Helper()
	s := crashScene{f: f, e: e, key: liveKey(t, e), content: "Published across a crash", reply: "Its reply, after the crash"}
	c := client(t, srv, s.key)
	connectMastodon(t, c, f.mastodon)
	connectBluesky(t, c, f.bluesky, f.bluesky.URL) // through the account's own service_url
	connectDiscord(t, c, f.discord)
	all := []oapi.Platform{"mastodon", "bluesky", "discord"}
	s.post = createPost(t, c, oapi.CreatePostRequest{Content: s.content, Platforms: &all,
		Segments: &[]oapi.Segment{{Content: s.reply}}})

	f.mastodon.SetDelay(platformHold)
	f.bluesky.SetDelay(platformHold)
	f.discord.SetDelay(platformHold)
	publish(t, c, s.post.Id)
	eventually(t, publishTimeout, "every platform has received the post", func() bool {
		return len(mastodonWith(f.mastodon, s.content)) == 1 &&
			len(blueskyWith(f.bluesky, s.content)) == 1 &&
			len(discordWith(f.discord, s.content)) == 1
	}, func() string {
		return fmt.Sprintf("mastodon has %d, bluesky %d, discord %d", len(mastodonWith(f.mastodon, s.content)),
			len(blueskyWith(f.bluesky, s.content)), len(discordWith(f.discord, s.content)))
	})
	return s
}

// answerAgain makes the fakes answer at once: the held calls are answered to the dead
// server's closed connections.
func (s crashScene) answerAgain() {
	s.f.mastodon.SetDelay(0)
	s.f.bluesky.SetDelay(0)
	s.f.discord.SetDelay(0)
}

// requireUnfinished checks, through srv, that the killed server recorded nothing.
func (s crashScene) requireUnfinished(t *testing.T, srv *server) {
	t.Helper()
	p := getPost(t, client(t, srv, s.key), s.post.Id)
	require.Equal(t, oapi.PostStatus("publishing"), p.Status)
	require.Empty(t, p.PlatformResults, "nothing was recorded before the kill")
}

// requireExactlyOnce waits, through srv, for the post to settle within timeout, and
// checks that each platform has it exactly once. Mastodon and Bluesky: the part in flight
// was sent again with the same key, the platform recognised it, and the thread went on
// from there. Discord cannot tell a repeat from a new message, and its message was sent
// when the server died, unanswered: one message, and the outcome recorded as unknown
// rather than a second message risked; the thread stops there.
func (s crashScene) requireExactlyOnce(t *testing.T, srv *server, timeout time.Duration) {
	t.Helper()
	p := waitSettled(t, client(t, srv, s.key), s.post.Id, timeout)
	require.Equal(t, oapi.PostStatus("published"), p.Status, "results: %+v", p.PlatformResults)

	f := s.f
	requireThreads(t, f, p, s.content, s.reply)
	require.GreaterOrEqual(t, f.mastodon.Calls("/api/v1/statuses"), 3, "mastodon: the post sent twice (the second deduplicated), then the reply")
	require.GreaterOrEqual(t, f.bluesky.Calls("com.atproto.repo.createRecord"), 3, "bluesky: the post created twice (the second refused), then the reply")
	require.GreaterOrEqual(t, f.bluesky.Calls("com.atproto.repo.getRecord"), 1, "bluesky: the refused create looked up the record")

	require.Len(t, discordWith(f.discord, s.content), 1, "discord: never two messages")
	require.Empty(t, discordWith(f.discord, s.reply), "discord: the thread stops at the unknown part")
	result := p.PlatformResults["discord"]
	require.False(t, result.Success, "discord: the killed server never heard the answer")
	require.Nil(t, result.PostId)
	require.Contains(t, deref(result.Error), "unknown")
	require.Equal(t, 1, f.discord.Calls("POST"), "discord: one send, none after the crash")
}

// TestKillAndRestart kills a server with SIGKILL while its publishing calls are in flight
// — each platform has applied the post but not yet answered — and starts it again on the
// same database and settings (so under the same instance name: the host and listen
// address). The restarted server resumes the killed one's publishes within 30 s of
// starting, and the post ends up on each platform exactly once.
func TestKillAndRestart(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := liveEnv(t, f)
	dir := t.TempDir()
	first := startServerIn(t, dir, e)
	f.checkLogs(t, first)
	s := startCrashScene(t, f, e, first)
	first.kill(t)
	s.answerAgain()

	restarted := time.Now()
	second := startServerIn(t, dir, e)
	f.checkLogs(t, second)
	s.requireUnfinished(t, second)
	s.requireExactlyOnce(t, second, restartTimeout-time.Since(restarted))
	t.Logf("settled %s after the restart", time.Since(restarted).Round(100*time.Millisecond))
}

// TestAnInstanceKilledForGoodIsTakenOver kills instance A for good with SIGKILL while its
// publishing calls are in flight; instance B, running on the same PostgreSQL database,
// takes over A's publishes within about a minute, and the post ends up on each platform
// exactly once.
func TestAnInstanceKilledForGoodIsTakenOver(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := liveEnv(t, f)
	envA, envB := env{}, env{}
	for k, v := range e {
		envA[k], envB[k] = v, v
	}
	envA["OCTOPOST_INSTANCE_ID"], envB["OCTOPOST_INSTANCE_ID"] = "instance-a", "instance-b"
	a := startServer(t, envA)
	f.checkLogs(t, a)
	s := startCrashScene(t, f, e, a)
	// B starts once A runs every job of the post, so that all of them are A's to lose.
	b := startServer(t, envB)
	f.checkLogs(t, b)
	a.kill(t)
	killed := time.Now()
	s.answerAgain()

	s.requireUnfinished(t, b)
	s.requireExactlyOnce(t, b, takeoverTimeout-time.Since(killed))
	t.Logf("settled %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	require.Contains(t, b.logs.String(), `"dead_instance":"instance-a/`, "B took over A")
}
