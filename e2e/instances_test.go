package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// TestTwoInstancesPublishOnce runs two servers on one PostgreSQL database, as a
// deployment behind a load balancer would, and publishes through both at once: every
// post goes out exactly once, whichever instance took the request or ran its jobs.
func TestTwoInstancesPublishOnce(t *testing.T) {
	t.Parallel()
	f := newFakes(t)
	e := liveEnv(t, f)
	servers := startServers(t, t.TempDir(), 2, e)
	f.checkLogs(t, servers[0])
	f.checkLogs(t, servers[1])
	key := liveKey(t, e)
	clients := []*oapi.ClientWithResponses{client(t, servers[0], key), client(t, servers[1], key)}
	connectMastodon(t, clients[0], f.mastodon)
	mastodon := []oapi.Platform{"mastodon"}

	const now, scheduled, raced = 20, 6, 4
	var posts []oapi.Post // every post, each with its own content

	// Published at once, the requests alternating between the instances.
	for i := range now {
		c := clients[i%2]
		p := createPost(t, c, oapi.CreatePostRequest{Content: fmt.Sprintf("Two instances, post %d", i), Platforms: &mastodon})
		publish(t, c, p.Id)
		posts = append(posts, p)
	}
	// Scheduled 2 s ahead, created on either: both instances poll for due jobs.
	at := time.Now().Add(2 * time.Second)
	for i := range scheduled {
		p := createPost(t, clients[i%2], oapi.CreatePostRequest{Content: fmt.Sprintf("Two instances, scheduled %d", i),
			Platforms: &mastodon, ScheduledFor: &at})
		require.Equal(t, oapi.PostStatus("scheduled"), p.Status)
		posts = append(posts, p)
	}
	// Published on both instances at the same moment: one request wins, the other is
	// told the post is already being published.
	for i := range raced {
		p := createPost(t, clients[i%2], oapi.CreatePostRequest{Content: fmt.Sprintf("Two instances, raced %d", i), Platforms: &mastodon})
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		errs := make([]error, 2)
		for j, c := range clients {
			wg.Go(func() {
				resp, err := c.PublishPostWithResponse(t.Context(), p.Id, nil)
				errs[j] = err
				if err == nil {
					statuses[j] = resp.StatusCode()
				}
			})
		}
		wg.Wait()
		require.NoError(t, errs[0])
		require.NoError(t, errs[1])
		require.ElementsMatch(t, []int{http.StatusAccepted, http.StatusConflict}, statuses, "post %d", i)
		posts = append(posts, p)
	}

	for _, p := range posts {
		got := waitSettled(t, clients[0], p.Id, time.Until(at)+publishTimeout)
		require.Equal(t, oapi.PostStatus("published"), got.Status, "%s: %+v", p.Content, got.PlatformResults)
		sent := mastodonWith(f.mastodon, p.Content)
		require.Len(t, sent, 1, "%q went out %d times", p.Content, len(sent))
		requireSuccess(t, got, "mastodon", sent[0].ID)
	}
	byText := map[string]int{}
	for _, s := range f.mastodon.Statuses() {
		byText[s.Text]++
	}
	for text, n := range byText {
		require.Equal(t, 1, n, "%q went out %d times", text, n)
	}
	require.Len(t, f.mastodon.Statuses(), now+scheduled+raced, "one status per post, nothing else")
	require.Equal(t, now+scheduled+raced, f.mastodon.Calls("/api/v1/statuses"), "one send per post: no instance sent a post another had sent")
}
