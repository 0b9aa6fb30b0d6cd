package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/metrics"
	"github.com/octopost/octopost/service"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

// TestEverySeriesIsDeclaredAtStart: before anything happens, every operation, platform,
// outcome and result has its series at 0, and the queue's kinds are at 0.
func TestEverySeriesIsDeclaredAtStart(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{
		Operations: []string{"listPosts"},
		Platforms:  []service.Platform{"mastodon"},
		JobKinds:   []string{"octopost_publish"},
		QueueDepth: func(context.Context) (map[string]int, error) { return map[string]int{}, nil },
	})
	body := scrape(t, m)
	for _, series := range []string{
		`octopost_http_request_duration_seconds_count{operation="listPosts"} 0`,
		`octopost_publish_attempts_total{outcome="success",platform="mastodon"} 0`,
		`octopost_publish_attempts_total{outcome="token_rejected",platform="mastodon"} 0`,
		`octopost_scheduling_delay_seconds_count{platform="mastodon"} 0`,
		`octopost_key_checks_total{result="valid"} 0`,
		`octopost_key_checks_total{result="error"} 0`,
		`octopost_queue_depth{kind="octopost_publish"} 0`,
	} {
		require.Contains(t, body, series)
	}
}

// TestObservationsBecomeSeries: each hook adds to its own series, with its labels.
func TestObservationsBecomeSeries(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{
		QueueDepth: func(context.Context) (map[string]int, error) {
			return map[string]int{"octopost_publish": 3, "octopost_deliver": 1}, nil
		},
	})
	m.ObserveRequest("createPost", 201, 30*time.Millisecond)
	m.ObserveRequest("createPost", 201, 70*time.Millisecond)
	m.ObserveRequest("createPost", 422, time.Millisecond)
	m.PublishAttempt("discord", service.PublishRetrying)
	m.SchedulingDelay("discord", 2*time.Second)
	m.KeyCheck(service.KeyRevoked)

	body := scrape(t, m)
	for _, series := range []string{
		`octopost_http_requests_total{code="201",operation="createPost"} 2`,
		`octopost_http_requests_total{code="422",operation="createPost"} 1`,
		`octopost_http_request_duration_seconds_count{operation="createPost"} 3`,
		`octopost_publish_attempts_total{outcome="retry",platform="discord"} 1`,
		`octopost_scheduling_delay_seconds_bucket{platform="discord",le="2.5"} 1`,
		`octopost_scheduling_delay_seconds_bucket{platform="discord",le="1"} 0`,
		`octopost_key_checks_total{result="revoked"} 1`,
		`octopost_queue_depth{kind="octopost_publish"} 3`,
		`octopost_queue_depth{kind="octopost_deliver"} 1`,
	} {
		require.Contains(t, body, series)
	}
}

// TestAFailedDepthLeavesTheRest: when the database cannot be read, the scrape still
// serves every other metric, and no queue depth.
func TestAFailedDepthLeavesTheRest(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{
		JobKinds:   []string{"octopost_publish"},
		QueueDepth: func(context.Context) (map[string]int, error) { return nil, errors.New("database is down") },
	})
	m.KeyCheck(service.KeyValid)
	body := scrape(t, m)
	require.Contains(t, body, `octopost_key_checks_total{result="valid"} 1`)
	require.NotContains(t, body, "octopost_queue_depth{")
}

// BenchmarkObserveRequest is what metrics add to each API request besides the wrapper:
// the request counted and timed, and its key check counted.
func BenchmarkObserveRequest(b *testing.B) {
	m := metrics.New(metrics.Config{Operations: []string{"getPost"}})
	for b.Loop() {
		m.ObserveRequest("getPost", 200, 40*time.Microsecond)
		m.KeyCheck(service.KeyValid)
	}
}
