package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestQueueOnPostgres runs the queue's endpoints on two servers sharing a PostgreSQL
// database: settings put through one are the other's, posts queued through either share
// one line, and the preview, the posts' places and approval agree across them. The slots
// firing is tested with a fake clock (service/queue_fire_test.go); here the servers keep
// real time, so the times are checked against the settings' rule, not fixed values.
func TestQueueOnPostgres(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := pgEnv(t)
	servers := startServers(t, dir, 2, e)
	createUser(t, dir, e, "dev@example.com")
	key := createKey(t, dir, e, "dev@example.com", "test").Key
	one, two := servers[0], servers[1]

	r := get(t, one, "/v1/queue", key)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	require.Equal(t, true, r.body["is_default"])

	// Every 5 minutes, all day, in UTC, but only on the weekday three days from now: the
	// queue's latest slot is then days old, so the servers' sweeps (which fire a slot at
	// most QueueSlotGrace late) publish nothing while this test reads the line.
	day := strings.ToLower(time.Now().UTC().AddDate(0, 0, 3).Weekday().String())
	hours := map[string]string{}
	for _, d := range []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"} {
		hours[d] = "[]"
	}
	hours[day] = `[{"start": "00:00", "end": "24:00"}]`
	r = send(t, one, http.MethodPut, "/v1/queue", key, `{"timezone": "UTC", "interval_minutes": 5, "active_hours": {
		"monday": `+hours["monday"]+`, "tuesday": `+hours["tuesday"]+`, "wednesday": `+hours["wednesday"]+`,
		"thursday": `+hours["thursday"]+`, "friday": `+hours["friday"]+`, "saturday": `+hours["saturday"]+`,
		"sunday": `+hours["sunday"]+`}}`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	r = get(t, two, "/v1/queue", key)
	require.Equal(t, false, r.body["is_default"])
	require.EqualValues(t, 5, r.body["interval_minutes"])

	first := send(t, one, http.MethodPost, "/v1/posts", key, `{"content": "first", "platforms": ["bluesky"], "queue_status": "queued"}`)
	require.Equal(t, http.StatusCreated, first.status, "body: %s", first.raw)
	pending := send(t, two, http.MethodPost, "/v1/posts", key, `{"content": "second", "platforms": ["bluesky"], "queueStatus": "pending"}`)
	require.Equal(t, http.StatusCreated, pending.status, "body: %s", pending.raw)
	third := send(t, one, http.MethodPost, "/v1/posts", key, `{"content": "third", "platforms": ["bluesky"], "queue_status": "queued"}`)
	require.Equal(t, http.StatusCreated, third.status, "body: %s", third.raw)
	require.Equal(t, "pending", pending.body["queue"].(map[string]any)["state"])

	approved := send(t, two, http.MethodPost, "/v1/posts/"+pending.body["id"].(string)+"/approve", key, "")
	require.Equal(t, http.StatusOK, approved.status, "body: %s", approved.raw)

	// The preview through one server is the line the posts show through the other, and
	// its slots follow the settings: 5 minutes apart, on the five.
	preview := get(t, one, "/v1/queue/slots?limit=4", key)
	require.Equal(t, http.StatusOK, preview.status, "body: %s", preview.raw)
	slots := preview.body["data"].([]any)
	require.Len(t, slots, 4)
	var previous time.Time
	for i, s := range slots {
		at, err := time.Parse(time.RFC3339, s.(map[string]any)["at"].(string))
		require.NoError(t, err)
		require.Zero(t, at.Minute()%5, "slot %d at %s", i, at)
		require.Zero(t, at.Second(), "slot %d at %s", i, at)
		if i > 0 {
			require.Equal(t, 5*time.Minute, at.Sub(previous), "slot %d", i)
		}
		previous = at
	}
	for i, want := range []response{first, approved, third} {
		slot := slots[i].(map[string]any)
		require.Equal(t, want.body["id"], slot["post"].(map[string]any)["id"], "slot %d", i)
		got := get(t, two, "/v1/posts/"+want.body["id"].(string), key)
		queue := got.body["queue"].(map[string]any)
		require.EqualValues(t, i+1, queue["position"], "post %d", i)
		// Read a moment later, the line may have moved on by a slot, no more.
		expected, err := time.Parse(time.RFC3339, queue["expected_at"].(string))
		require.NoError(t, err)
		at, err := time.Parse(time.RFC3339, slot["at"].(string))
		require.NoError(t, err)
		require.Contains(t, []time.Duration{0, 5 * time.Minute}, expected.Sub(at), "post %d", i)
	}
	require.NotContains(t, slots[3].(map[string]any), "post")

	list := get(t, two, "/v1/posts?status=queued", key)
	require.Equal(t, http.StatusOK, list.status)
	require.Len(t, list.body["posts"], 3)

	// Deleted through one server, the place is free on both.
	r = do(t, one, http.MethodDelete, "/v1/posts/"+first.body["id"].(string), key, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.raw)
	got := get(t, two, "/v1/posts/"+third.body["id"].(string), key)
	require.EqualValues(t, 2, got.body["queue"].(map[string]any)["position"])
}
