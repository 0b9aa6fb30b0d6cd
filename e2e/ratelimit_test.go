package e2e

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRateLimitAcrossTwoInstances runs two servers on one PostgreSQL database with the
// free tier as the default, and sends one key's requests to both at once: together they
// admit no more than the key's 60 a minute. The windows are the wall clock's minutes, so
// the requests are counted by the window their X-RateLimit-Reset names (a run may cross
// a minute's end): no window admits more than 60, and a window that refused any admitted
// exactly 60 (the free tier reserves one request at a time, so none is lost).
func TestRateLimitAcrossTwoInstances(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	e := pgEnv(t)
	e["OCTOPOST_DEFAULT_TIER"] = "free"
	servers := startServers(t, dir, 2, e)
	createUser(t, dir, e, "free@example.com")
	key := createKey(t, dir, e, "free@example.com", "test").Key

	const sent = 150
	results := make([]response, sent)
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := w; i < sent; i += 6 {
				results[i] = get(t, servers[i%2], "/v1/posts", key)
			}
		})
	}
	wg.Wait()

	type window struct{ admitted, refused int }
	windows := map[string]*window{}
	for _, r := range results {
		reset := r.header.Get("X-RateLimit-Reset")
		require.NotEmpty(t, reset, "status %d", r.status)
		require.Equal(t, "60", r.header.Get("X-RateLimit-Limit"))
		w := windows[reset]
		if w == nil {
			w = &window{}
			windows[reset] = w
		}
		switch r.status {
		case http.StatusOK:
			w.admitted++
		case http.StatusTooManyRequests:
			w.refused++
			requireError(t, r, http.StatusTooManyRequests, "rate_limited", "Rate limit exceeded. Try again in "+r.header.Get("Retry-After")+" seconds.")
			require.Equal(t, "0", r.header.Get("X-RateLimit-Remaining"))
			unix, err := strconv.ParseInt(reset, 10, 64)
			require.NoError(t, err)
			details := r.body["details"].(map[string]any)
			require.Equal(t, float64(60), details["limit"])
			require.Equal(t, float64(0), details["remaining"])
			require.Equal(t, time.Unix(unix, 0).UTC().Format(time.RFC3339), details["reset_at"])
			retry, err := strconv.Atoi(r.header.Get("Retry-After"))
			require.NoError(t, err)
			require.Equal(t, float64(retry), details["retry_after"])
			require.True(t, retry >= 1 && retry <= 60, "Retry-After %d", retry)
		default:
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
	}
	refusedSomewhere := false
	for reset, w := range windows {
		require.LessOrEqual(t, w.admitted, 60, "window ending %s", reset)
		if w.refused > 0 {
			refusedSomewhere = true
			require.Equal(t, 60, w.admitted, "window ending %s", reset)
		}
	}
	require.True(t, refusedSomewhere, "150 requests in at most two minutes: one minute refused some")

	// A tier set with the CLI applies on both instances (it is read, then kept 30 s: this
	// user's was never read).
	createUser(t, dir, e, "pro@example.com")
	require.Contains(t, cliIn(t, dir, e, "users", "set-tier", "--email", "pro@example.com", "--tier", "pro"), " pro")
	pro := createKey(t, dir, e, "pro@example.com", "live").Key
	for _, srv := range servers {
		r := get(t, srv, "/v1/posts", pro)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "1000", r.header.Get("X-RateLimit-Limit"))
	}
	// Without a valid key nothing is counted or reported.
	r := get(t, servers[0], "/v1/posts", "")
	requireUnauthorized(t, r)
	require.Empty(t, r.header.Get("X-RateLimit-Limit"))
}
