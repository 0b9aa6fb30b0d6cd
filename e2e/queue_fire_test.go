package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// TestTwoServersFireAQueueSlotOnce runs two servers on one PostgreSQL database, both
// sweeping the queue on their real clocks, and gives the queue a slot about to come: a
// range of active hours that starts at the next minute (at least 10 s ahead, so that the
// posts are in the line before it), with an hour's interval, has its one slot of the day
// at its start. Of three posts queued through both servers before that slot, the oldest
// goes out, once, and the other two stay queued through the sweeps that follow: one post
// a slot. (Catching up after downtime, the grace and daylight-saving changes are tested on
// a fake clock: service/queue_fire_test.go and db/queue/queue_sweep_test.go.)
func TestTwoServersFireAQueueSlotOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := pgEnv(t)
	servers := startServers(t, dir, 2, e)
	createUser(t, dir, e, "dev@example.com")
	key := createKey(t, dir, e, "dev@example.com", "test").Key
	one, two := servers[0], servers[1]
	connect(t, client(t, one, key), oapi.ConnectAccountRequest{Platform: "bluesky"})

	now := time.Now().UTC()
	start := now.Truncate(time.Minute).Add(time.Minute)
	if start.Sub(now) < 10*time.Second {
		start = start.Add(time.Minute)
	}
	end := "24:00"
	if e := start.Add(time.Hour); e.Day() == start.Day() {
		end = e.Format("15:04")
	}
	day := fmt.Sprintf(`[{"start": %q, "end": %q}]`, start.Format("15:04"), end)
	r := send(t, one, http.MethodPut, "/v1/queue", key, `{"timezone": "UTC", "interval_minutes": 60, "active_hours": {
		"monday": `+day+`, "tuesday": `+day+`, "wednesday": `+day+`, "thursday": `+day+`,
		"friday": `+day+`, "saturday": `+day+`, "sunday": `+day+`}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)

	var ids []string
	for i, srv := range []*server{one, two, one} {
		p := send(t, srv, http.MethodPost, "/v1/posts", key,
			fmt.Sprintf(`{"content": "Queued %d", "platforms": ["bluesky"], "queue_status": "queued"}`, i))
		require.Equal(t, http.StatusCreated, p.status, "body: %s", p.raw)
		ids = append(ids, p.body["id"].(string))
	}

	// The sweep runs every 15 s on whichever server River's leader hands it to.
	first := waitSettled(t, client(t, two, key), ids[0], time.Until(start)+45*time.Second)
	require.Equal(t, oapi.PostStatus("published"), first.Status, "results: %+v", first.PlatformResults)
	require.True(t, first.PlatformResults["bluesky"].Success)

	// At least one more sweep (every 15 s): the slot is used, the others wait for the
	// next days' slots.
	time.Sleep(20 * time.Second)
	for i, id := range ids[1:] {
		got := get(t, []*server{one, two}[i], "/v1/posts/"+id, key)
		require.Equal(t, http.StatusOK, got.status, "body: %s", got.raw)
		require.Equal(t, "queued", got.body["status"], "post %d", i+1)
		queue := got.body["queue"].(map[string]any)
		require.EqualValues(t, i+1, queue["position"], "post %d", i+1)
		expected, err := time.Parse(time.RFC3339, queue["expected_at"].(string))
		require.NoError(t, err)
		require.Equal(t, start.Add(24*time.Hour*time.Duration(i+1)), expected, "post %d: a slot a day", i+1)
	}
}
