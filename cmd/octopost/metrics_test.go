package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

// servedWithMetrics runs serve with env (plus a scaled-down shutdown and no drain delay)
// and returns the addresses of its API and of its metrics listener ("" when it logged
// none), and how to stop it.
func servedWithMetrics(t *testing.T, env map[string]string) (apiAddr, metricsAddr string, stop func()) {
	t.Helper()
	scaled := deriveTimeouts(time.Second, time.Second, 500*time.Millisecond)
	env["OCTOPOST_SHUTDOWN_DELAY"] = "0"
	logs, logWriter := io.Pipe()
	listening := make(chan [2]string, 1)
	go func() {
		var metricsAt string
		lines := bufio.NewScanner(logs)
		for lines.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(lines.Bytes(), &line) != nil {
				continue
			}
			switch line.Msg {
			case "metrics listening":
				metricsAt = line.Addr
			case "octopost listening":
				listening <- [2]string{line.Addr, metricsAt}
			}
		}
	}()
	ctx, cancel := context.WithCancel(t.Context())
	c := &cli{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: logWriter, timeouts: &scaled}
	served := make(chan error, 1)
	go func() { served <- c.dispatch(ctx, []string{"serve"}) }()
	var addrs [2]string
	select {
	case addrs = <-listening:
	case err := <-served:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	return addrs[0], addrs[1], func() {
		cancel()
		select {
		case err := <-served:
			require.NoError(t, err)
		case <-time.After(scaled.shutdown + 5*time.Second):
			t.Fatal("serve did not stop within its shutdown grace")
		}
		require.NoError(t, logWriter.Close())
	}
}

// call makes one API request and returns its status and decoded body.
func call(t *testing.T, method, url, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "body: %s", raw)
	}
	return resp.StatusCode, out
}

// TestMetricsListenerScrapesARunningServer: with OCTOPOST_METRICS_ADDR set, a running
// server's metrics listener shows the requests it answered by operation id and status,
// the publish to a (fake) Mastodon by platform and outcome, its scheduling delay, the key
// checks by result and the queue's depth by kind; the API's port has no /metrics. No id,
// path or key appears in any label.
func TestMetricsListenerScrapesARunningServer(t *testing.T) {
	t.Parallel()
	mastodon := fake.NewMastodon(t)
	b := setupCLI(t)
	b.mustRun(t, "users", "create", "--email", "dev@example.com")
	key := strings.TrimSpace(b.mustRun(t, "keys", "create", "--user", "dev@example.com", "--name", "live", "--mode", "live"))
	apiAddr, metricsAddr, stop := servedWithMetrics(t, map[string]string{
		"OCTOPOST_DATABASE_URL":            "sqlite:" + b.dbPath,
		"OCTOPOST_ADDR":                    "127.0.0.1:0",
		"OCTOPOST_METRICS_ADDR":            "127.0.0.1:0",
		"OCTOPOST_PLATFORMS_ALLOW_PRIVATE": "true",
	})
	defer stop()
	require.NotEmpty(t, metricsAddr, "serve logged its metrics listener")
	base := "http://" + apiAddr

	status, _ := call(t, "POST", base+"/v1/accounts", key,
		`{"platform": "mastodon", "instance_url": "`+mastodon.URL+`", "access_token": "`+mastodon.Token+`"}`)
	require.Equal(t, http.StatusCreated, status)
	status, post := call(t, "POST", base+"/v1/posts", key, `{"content": "Metrics day", "platforms": ["mastodon"]}`)
	require.Equal(t, http.StatusCreated, status)
	postID := post["id"].(string)
	status, _ = call(t, "POST", base+"/v1/posts/"+postID+"/publish", key, "")
	require.Equal(t, http.StatusAccepted, status)
	require.Eventually(t, func() bool {
		_, p := call(t, "GET", base+"/v1/posts/"+postID, key, "")
		return p["status"] == "published"
	}, 10*time.Second, 20*time.Millisecond)
	status, _ = call(t, "GET", base+"/v1/posts", "oct_live_nonsense", "")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = call(t, "GET", base+"/metrics", "", "")
	require.Equal(t, http.StatusNotFound, status, "nothing internal on the API's port")

	resp, err := http.Get("http://" + metricsAddr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	body := string(raw)
	for _, series := range []string{
		`octopost_http_requests_total{code="201",operation="connectAccount"} 1`,
		`octopost_http_requests_total{code="201",operation="createPost"} 1`,
		`octopost_http_requests_total{code="401",operation="listPosts"} 1`,
		`octopost_http_requests_total{code="404",operation="unmatched"} 1`,
		`octopost_http_requests_total{code="202",operation="publishPost"} 1`,
		`octopost_http_request_duration_seconds_count{operation="createPost"} 1`,
		`octopost_http_request_duration_seconds_count{operation="deletePost"} 0`,
		`octopost_publish_attempts_total{outcome="success",platform="mastodon"} 1`,
		`octopost_publish_attempts_total{outcome="failure",platform="mastodon"} 0`,
		`octopost_scheduling_delay_seconds_count{platform="mastodon"} 1`,
		`octopost_key_checks_total{result="malformed"} 1`,
		`octopost_queue_depth{kind="octopost_publish"} 0`,
		`octopost_queue_depth{kind="octopost_deliver"} 0`,
		`go_goroutines `,
	} {
		require.Contains(t, body, series)
	}
	require.Regexp(t, `octopost_http_requests_total\{code="200",operation="getPost"\} [1-9]`, body)
	require.Regexp(t, `octopost_key_checks_total\{result="valid"\} [1-9]`, body)
	for _, leak := range []string{postID, key, "/v1/", mastodon.URL} {
		require.NotContains(t, body, leak)
	}
}

// TestNoMetricsListenerWhenUnset: without OCTOPOST_METRICS_ADDR, serve opens no metrics
// listener.
func TestNoMetricsListenerWhenUnset(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	apiAddr, metricsAddr, stop := servedWithMetrics(t, map[string]string{
		"OCTOPOST_DATABASE_URL": "sqlite:" + b.dbPath,
		"OCTOPOST_ADDR":         "127.0.0.1:0",
	})
	defer stop()
	require.Empty(t, metricsAddr)
	status, _ := call(t, "GET", "http://"+apiAddr+"/metrics", "", "")
	require.Equal(t, http.StatusNotFound, status)
}
