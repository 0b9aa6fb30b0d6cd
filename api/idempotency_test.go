package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

const postBody = `{"content": "Hello", "platforms": ["bluesky"]}`

// postCount is how many posts the scope has.
func postCount(t *testing.T, b *testBundle, mode service.Mode) int {
	t.Helper()
	page, err := b.svc.ListPosts(context.Background(), b.scope(t, mode), nil, nil, 100, "")
	require.NoError(t, err)
	return len(page.Posts)
}

func TestIdempotencyKeyReplaysTheFirstResponse(t *testing.T) {
	t.Parallel()
	b := limitedSetup(t, service.RateLimitConfig{})
	key := b.key(t, service.ModeTest)

	first := b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: order-1")
	require.Equal(t, http.StatusCreated, first.status, "body: %s", first.raw)
	require.Empty(t, first.header.Get("Idempotent-Replayed"))

	again := b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: order-1")
	require.Equal(t, http.StatusCreated, again.status)
	require.Equal(t, "true", again.header.Get("Idempotent-Replayed"))
	require.Equal(t, first.raw, again.raw, "the same body, byte for byte")
	require.Equal(t, "application/json", again.header.Get("Content-Type"))
	require.NotEqual(t, first.header.Get("X-Request-Id"), again.header.Get("X-Request-Id"), "the replaying request's own id")
	require.Equal(t, "58", again.header.Get("X-RateLimit-Remaining"), "and its own rate-limit headers: a replay counts")
	require.Equal(t, 1, postCount(t, b, service.ModeTest))

	// Another key of the same user and mode shares its idempotency keys; another mode or
	// user does not.
	r := b.do(t, http.MethodPost, "/v1/posts", b.key(t, service.ModeTest), postBody, "Idempotency-Key: order-1")
	require.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
	r = b.do(t, http.MethodPost, "/v1/posts", b.key(t, service.ModeLive), postBody, "Idempotency-Key: order-1")
	require.Equal(t, http.StatusCreated, r.status)
	require.Empty(t, r.header.Get("Idempotent-Replayed"))
	r = b.do(t, http.MethodPost, "/v1/posts", b.otherUserKey(t, service.ModeTest), postBody, "Idempotency-Key: order-1")
	require.Equal(t, http.StatusCreated, r.status)
	require.Empty(t, r.header.Get("Idempotent-Replayed"))

	// Without a key, every POST runs.
	b.do(t, http.MethodPost, "/v1/posts", key, postBody)
	b.do(t, http.MethodPost, "/v1/posts", key, postBody)
	require.Equal(t, 3, postCount(t, b, service.ModeTest))

	// After 24 hours the key is free again.
	b.clock.Advance(24 * time.Hour)
	r = b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: order-1")
	require.Equal(t, http.StatusCreated, r.status)
	require.Empty(t, r.header.Get("Idempotent-Replayed"))
	require.Equal(t, 4, postCount(t, b, service.ModeTest))
}

func TestIdempotencyKeyWithAnotherRequest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	require.Equal(t, http.StatusCreated, b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: k").status)

	for name, req := range map[string][2]string{
		"another body":     {"/v1/posts", `{"content": "Hello!", "platforms": ["bluesky"]}`},
		"the body reorder": {"/v1/posts", `{"platforms": ["bluesky"], "content": "Hello"}`},
		"another path":     {"/v1/presets", `{"name": "P", "platforms": ["bluesky"]}`},
	} {
		r := b.do(t, http.MethodPost, req[0], key, req[1], "Idempotency-Key: k")
		requireError(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused", "This Idempotency-Key was already used with a different request")
		require.Equal(t, []any{map[string]any{"field": "Idempotency-Key", "message": "was already used with a different request"}},
			r.body["details"].(map[string]any)["errors"], name)
	}
	require.Equal(t, 1, postCount(t, b, service.ModeTest))
}

func TestIdempotencyKeyTooLong(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	r := b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: "+strings.Repeat("k", 256))
	requireFields(t, r, "Idempotency-Key")
	r = b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: "+strings.Repeat("k", 255))
	require.Equal(t, http.StatusCreated, r.status)
	require.Equal(t, 1, postCount(t, b, service.ModeTest))
}

func TestIdempotencyKeyKeeps4xx(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	path := "/v1/posts/post_01ARZ3NDEKTSV4RRFFQ69G5FAV/publish"
	r := b.do(t, http.MethodPost, path, key, "", "Idempotency-Key: pub")
	requireError(t, r, http.StatusNotFound, "not_found", "Post not found")
	require.Empty(t, r.header.Get("Idempotent-Replayed"))
	r = b.do(t, http.MethodPost, path, key, "", "Idempotency-Key: pub")
	requireError(t, r, http.StatusNotFound, "not_found", "Post not found")
	require.Equal(t, "true", r.header.Get("Idempotent-Replayed"))
}

// fingerprintOf is the request's fingerprint as api/idempotency.go computes it.
func fingerprintOf(method, uri, body string) string {
	sum := sha256.Sum256([]byte(method + "\x00" + uri + "\x00" + body))
	return hex.EncodeToString(sum[:])
}

func TestIdempotencyKeyInFlight(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	// A first request with the key is running (claimed as the middleware claims it).
	claim, err := b.svc.ClaimIdempotencyKey(context.Background(), b.scope(t, service.ModeTest), "slow", fingerprintOf(http.MethodPost, "/v1/posts", postBody))
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyProceed, claim.Outcome)

	r := b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: slow")
	requireError(t, r, http.StatusConflict, "idempotency_key_in_use", "A request with this Idempotency-Key is still in progress")
	r = b.do(t, http.MethodPost, "/v1/posts", key, `{"content": "other", "platforms": ["bluesky"]}`, "Idempotency-Key: slow")
	require.Equal(t, "idempotency_key_reused", r.body["code"])
	require.Equal(t, 0, postCount(t, b, service.ModeTest))

	// It failed with a 5xx: not kept, so the retry runs.
	require.NoError(t, b.svc.CompleteIdempotencyKey(context.Background(), claim.Record, http.StatusInternalServerError, nil, nil))
	r = b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: slow")
	require.Equal(t, http.StatusCreated, r.status)
	require.Empty(t, r.header.Get("Idempotent-Replayed"))
	require.Equal(t, 1, postCount(t, b, service.ModeTest))
}

// TestIdempotencyKeyConcurrentRequestsCreateOnce sends the same POST with one key many
// times at once: exactly one post is created, and every answer is its 201 (replayed) or
// a 409 while it ran.
func TestIdempotencyKeyConcurrentRequestsCreateOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	const n = 12
	results := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = b.do(t, http.MethodPost, "/v1/posts", key, postBody, "Idempotency-Key: burst")
		})
	}
	close(start)
	wg.Wait()
	var created, replayed, inUse int
	var id string
	for _, r := range results {
		switch {
		case r.status == http.StatusCreated && r.header.Get("Idempotent-Replayed") == "":
			created++
			id = r.body["id"].(string)
		case r.status == http.StatusCreated:
			replayed++
		case r.status == http.StatusConflict && r.body["code"] == "idempotency_key_in_use":
			inUse++
		default:
			t.Fatalf("unexpected answer %d: %s", r.status, r.raw)
		}
	}
	require.Equal(t, 1, created)
	require.Equal(t, n, created+replayed+inUse)
	for _, r := range results {
		if r.status == http.StatusCreated {
			require.Equal(t, id, r.body["id"])
		}
	}
	require.Equal(t, 1, postCount(t, b, service.ModeTest))
}
