package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// limitedSetup is the test server with rate limits on, at a fixed time 15 seconds into a
// minute (and an hour), so that the windows' ends are known.
func limitedSetup(t *testing.T, cfg service.RateLimitConfig) *testBundle {
	t.Helper()
	b := setup(t)
	b.clock.mu.Lock()
	b.clock.now = time.Now().UTC().Truncate(time.Hour).Add(time.Hour + 15*time.Second)
	b.clock.mu.Unlock()
	limiter, err := b.svc.NewRateLimiter(cfg)
	require.NoError(t, err)
	h, err := api.NewHandler(b.svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RateLimiter: limiter})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b.server = srv
	return b
}

// requireLimitHeaders checks the three rate-limit headers.
func requireLimitHeaders(t *testing.T, r response, limit, remaining int, reset time.Time) {
	t.Helper()
	require.Equal(t, strconv.Itoa(limit), r.header.Get("X-RateLimit-Limit"), "body: %s", r.raw)
	require.Equal(t, strconv.Itoa(remaining), r.header.Get("X-RateLimit-Remaining"), "body: %s", r.raw)
	require.Equal(t, strconv.FormatInt(reset.Unix(), 10), r.header.Get("X-RateLimit-Reset"), "body: %s", r.raw)
}

func requireNoLimitHeaders(t *testing.T, r response) {
	t.Helper()
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
		require.Empty(t, r.header.Values(h), "%s on a %d", h, r.status)
	}
}

func TestRateLimitPerKeyPerMinute(t *testing.T) {
	t.Parallel()
	b := limitedSetup(t, service.RateLimitConfig{}) // the default tier: free, 60 a minute
	key := b.key(t, service.ModeTest)
	start := b.clock.Now()
	reset := start.Truncate(time.Minute).Add(time.Minute)

	for i := 1; i <= 59; i++ {
		r := b.do(t, http.MethodGet, "/v1/posts", key, "")
		require.Equal(t, http.StatusOK, r.status)
		requireLimitHeaders(t, r, 60, 60-i, reset)
	}
	// A 422 is an answer to an authorized key: counted, with the headers.
	r := b.do(t, http.MethodGet, "/v1/posts?limit=0", key, "")
	requireFields(t, r, "limit")
	requireLimitHeaders(t, r, 60, 0, reset)

	b.clock.Advance(14*time.Second + 500*time.Millisecond)
	r = b.do(t, http.MethodGet, "/v1/posts", key, "")
	requireError(t, r, http.StatusTooManyRequests, "rate_limited", "Rate limit exceeded. Try again in 31 seconds.")
	requireLimitHeaders(t, r, 60, 0, reset)
	require.Equal(t, "31", r.header.Get("Retry-After"))
	require.Equal(t, map[string]any{
		"limit": float64(60), "remaining": float64(0), "reset_at": reset.Format(time.RFC3339), "retry_after": float64(31),
	}, r.body["details"])
	// A POST is refused before its body is read or anything is created.
	r = b.do(t, http.MethodPost, "/v1/posts", key, `{"content": "x", "platforms": ["bluesky"]}`)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	page, err := b.svc.ListPosts(context.Background(), b.scope(t, service.ModeTest), nil, nil, 10, "")
	require.NoError(t, err)
	require.Empty(t, page.Posts)

	// Another key of the same user has a count of its own.
	other := b.key(t, service.ModeTest)
	r = b.do(t, http.MethodGet, "/v1/posts", other, "")
	require.Equal(t, http.StatusOK, r.status)
	requireLimitHeaders(t, r, 60, 59, reset)

	// The next minute starts afresh.
	b.clock.Advance(31 * time.Second)
	r = b.do(t, http.MethodGet, "/v1/posts", key, "")
	require.Equal(t, http.StatusOK, r.status)
	requireLimitHeaders(t, r, 60, 59, reset.Add(time.Minute))
}

func TestRateLimitHeadersOnlyForAuthorizedKeys(t *testing.T) {
	t.Parallel()
	b := limitedSetup(t, service.RateLimitConfig{DefaultTier: service.TierFree})
	readOnly := b.key(t, service.ModeTest, service.Permission("posts:read"))

	r := b.do(t, http.MethodGet, "/v1/posts", "", "")
	require.Equal(t, http.StatusUnauthorized, r.status)
	requireNoLimitHeaders(t, r)
	r = b.do(t, http.MethodPost, "/v1/posts", readOnly, `{"content": "x", "platforms": ["bluesky"]}`)
	require.Equal(t, http.StatusForbidden, r.status)
	requireNoLimitHeaders(t, r)
	r = b.do(t, http.MethodGet, "/v1/nothing", readOnly, "")
	require.Equal(t, http.StatusNotFound, r.status)
	requireNoLimitHeaders(t, r)

	// None of those counted.
	r = b.do(t, http.MethodGet, "/v1/posts", readOnly, "")
	require.Equal(t, http.StatusOK, r.status)
	requireLimitHeaders(t, r, 60, 59, b.clock.Now().Truncate(time.Minute).Add(time.Minute))
}

func TestRateLimitPublishPerHour(t *testing.T) {
	t.Parallel()
	b := limitedSetup(t, service.RateLimitConfig{})
	key := b.key(t, service.ModeTest)
	id := createPost(t, b, key, `{"content": "Hello", "platforms": ["bluesky"]}`)["id"].(string)
	hour := b.clock.Now().Truncate(time.Hour).Add(time.Hour)

	// No account: each publish is a 422, counted against the hour's 10, which the headers
	// report since it has fewer left than the minute's 60.
	for i := 1; i <= 10; i++ {
		r := b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", key, "")
		requireFields(t, r, "/platforms/0")
		requireLimitHeaders(t, r, 10, 10-i, hour)
		b.clock.Advance(time.Minute)
	}
	r := b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", key, "")
	retry := int(hour.Sub(b.clock.Now()).Seconds())
	requireError(t, r, http.StatusTooManyRequests, "rate_limited", "Rate limit exceeded. Try again in "+strconv.Itoa(retry)+" seconds.")
	require.Equal(t, strconv.Itoa(retry), r.header.Get("Retry-After"))
	requireLimitHeaders(t, r, 10, 0, hour)

	// Other requests go on under the minute's limit.
	r = b.do(t, http.MethodGet, "/v1/posts/"+id, key, "")
	require.Equal(t, http.StatusOK, r.status)
	requireLimitHeaders(t, r, 60, 58, b.clock.Now().Truncate(time.Minute).Add(time.Minute))

	b.clock.Advance(time.Duration(retry) * time.Second)
	requireFields(t, b.do(t, http.MethodPost, "/v1/posts/"+id+"/publish", key, ""), "/platforms/0")
}

func TestRateLimitTiers(t *testing.T) {
	t.Parallel()
	b := limitedSetup(t, service.RateLimitConfig{DefaultTier: service.TierPro})
	key := b.key(t, service.ModeTest)
	limitOf := func() string {
		r := b.do(t, http.MethodGet, "/v1/posts", key, "")
		require.Equal(t, http.StatusOK, r.status)
		return r.header.Get("X-RateLimit-Limit")
	}
	require.Equal(t, "1000", limitOf(), "the configured default")

	_, err := b.svc.SetUserTier(context.Background(), b.email, service.TierStarter)
	require.NoError(t, err)
	require.Equal(t, "1000", limitOf(), "an instance keeps a tier it read for a while")
	b.clock.Advance(31 * time.Second)
	require.Equal(t, "300", limitOf())

	_, err = b.svc.SetUserTier(context.Background(), b.email, service.TierUnlimited)
	require.NoError(t, err)
	b.clock.Advance(31 * time.Second)
	for range 70 {
		r := b.do(t, http.MethodGet, "/v1/posts", key, "")
		require.Equal(t, http.StatusOK, r.status)
		requireNoLimitHeaders(t, r)
	}
}

// TestSpecDocumentsRateLimitsAndIdempotency holds every operation of openapi.yaml to
// §8 and §9: a 429, the rate-limit headers on each response given after authorization,
// and, on every POST, the Idempotency-Key parameter, its 409 and 422, and
// Idempotent-Replayed on its success.
func TestSpecDocumentsRateLimitsAndIdempotency(t *testing.T) {
	t.Parallel()
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			if public, _ := op.Extensions["x-octopost-public"].(bool); public {
				// The keyless probes are never limited, so they document neither.
				require.Nil(t, op.Responses.Status(http.StatusTooManyRequests), "%s: a 429", name)
				for status, resp := range op.Responses.Map() {
					require.NotContains(t, resp.Value.Headers, "X-RateLimit-Limit", "%s %s", name, status)
				}
				continue
			}
			limited := op.Responses.Status(http.StatusTooManyRequests)
			require.NotNil(t, limited, "%s: no 429", name)
			require.Contains(t, limited.Value.Headers, "Retry-After", name)
			for status, resp := range op.Responses.Map() {
				headers := resp.Value.Headers
				if status == "401" || status == "403" {
					require.NotContains(t, headers, "X-RateLimit-Limit", "%s %s", name, status)
					continue
				}
				for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} {
					require.Contains(t, headers, h, "%s %s", name, status)
				}
				if method == http.MethodPost && (strings.HasPrefix(status, "2") || status == "404" || status == "409" || status == "422") {
					require.Contains(t, headers, "Idempotent-Replayed", "%s %s", name, status)
				}
			}
			if method != http.MethodPost {
				continue
			}
			require.NotNil(t, idempotencyParameter(op), "%s: no Idempotency-Key", name)
			require.NotNil(t, op.Responses.Status(http.StatusConflict), "%s: no 409", name)
			require.NotNil(t, op.Responses.Status(http.StatusUnprocessableEntity), "%s: no 422", name)
		}
	}
}

func idempotencyParameter(op *openapi3.Operation) *openapi3.Parameter {
	for _, p := range op.Parameters {
		if p.Value.In == openapi3.ParameterInHeader && p.Value.Name == "Idempotency-Key" {
			return p.Value
		}
	}
	return nil
}
