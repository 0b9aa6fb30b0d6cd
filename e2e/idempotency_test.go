package e2e

import (
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIdempotencyAcrossTwoInstances sends one POST with one Idempotency-Key to two
// servers on one PostgreSQL database at once, as a client retrying through a load
// balancer would: exactly one post is created, every other answer is its replay or a 409
// while it ran, and afterwards both instances replay it.
func TestIdempotencyAcrossTwoInstances(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := pgEnv(t)
	servers := startServers(t, dir, 2, e)
	createUser(t, dir, e, "dev@example.com")
	key := createKey(t, dir, e, "dev@example.com", "test").Key
	const body = `{"content": "Exactly once", "platforms": ["bluesky"]}`

	const n = 16
	results := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = send(t, servers[i%2], http.MethodPost, "/v1/posts", key, body, "Idempotency-Key: order-42")
		})
	}
	close(start)
	wg.Wait()

	var created int
	var id string
	for _, r := range results {
		switch {
		case r.status == http.StatusCreated && r.header.Get("Idempotent-Replayed") == "":
			created++
			id = r.body["id"].(string)
		case r.status == http.StatusCreated:
			require.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
		case r.status == http.StatusConflict:
			requireError(t, r, http.StatusConflict, "idempotency_key_in_use", "A request with this Idempotency-Key is still in progress")
		default:
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
	}
	require.Equal(t, 1, created)
	for _, r := range results {
		if r.status == http.StatusCreated {
			require.Equal(t, id, r.body["id"])
		}
	}
	for _, srv := range servers {
		r := send(t, srv, http.MethodPost, "/v1/posts", key, body, "Idempotency-Key: order-42")
		require.Equal(t, http.StatusCreated, r.status)
		require.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
		require.Equal(t, id, r.body["id"])

		reused := send(t, srv, http.MethodPost, "/v1/posts", key, `{"content": "Another", "platforms": ["bluesky"]}`, "Idempotency-Key: order-42")
		requireError(t, reused, http.StatusUnprocessableEntity, "idempotency_key_reused", "This Idempotency-Key was already used with a different request")
	}
	list := get(t, servers[1], "/v1/posts", key)
	require.Equal(t, http.StatusOK, list.status)
	require.Len(t, list.body["posts"], 1, "one post: %s", list.raw)
}
