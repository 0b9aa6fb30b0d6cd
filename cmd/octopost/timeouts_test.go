package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestProductionTimeoutsAreOrdered(t *testing.T) {
	t.Parallel()
	p := productionTimeouts
	require.NoError(t, p.check())
	// The chain a hanging platform walks through, each with room for the next step.
	require.Less(t, p.platformCall, p.connect)
	require.Less(t, p.connect, p.request)
	require.Less(t, p.request, p.write)
	require.LessOrEqual(t, p.read, p.write)
	// Shutdown waits for the requests in flight, then for the queue's running jobs.
	require.GreaterOrEqual(t, p.drain, p.write)
	require.GreaterOrEqual(t, p.shutdown, p.drain+p.queueStop)
	// The figures the README's table gives.
	require.Equal(t, []time.Duration{30 * time.Second, 35 * time.Second, 45 * time.Second, 30 * time.Second, 85 * time.Second},
		[]time.Duration{p.platformCall, p.connect, p.write, p.queueStop, p.shutdown})
}

func TestTimeoutsCheckRefusesOnesThatDefeatEachOther(t *testing.T) {
	t.Parallel()
	// The values before issue 6: every step 30 s, and a 15 s shutdown for a 30 s queue stop.
	old := timeouts{
		margin: time.Second, platformCall: 30 * time.Second, connect: 30 * time.Second,
		request: 30 * time.Second, read: 30 * time.Second, write: 30 * time.Second,
		drain: 15 * time.Second, queueStop: 30 * time.Second, shutdown: 15 * time.Second,
	}
	require.ErrorContains(t, old.check(), "platform call (30s) leaves less than 1s within connect verification (30s)")

	fixed := old
	fixed.connect, fixed.request, fixed.write, fixed.drain = 31*time.Second, 32*time.Second, 33*time.Second, 34*time.Second
	require.ErrorContains(t, fixed.check(), "within shutdown grace (15s)")
	fixed.shutdown = fixed.drain + fixed.queueStop + fixed.margin
	require.NoError(t, fixed.check())
}

// TestHangingPlatformConnectGets422 runs serve, with its own wiring and the production
// derivation at a smaller scale, against a Mastodon on 127.0.0.1 that never answers.
func TestHangingPlatformConnectGets422(t *testing.T) {
	t.Parallel()
	scaled := deriveTimeouts(time.Second, time.Second, 500*time.Millisecond)
	require.NoError(t, scaled.check())

	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets Close return

	b := setupCLI(t)
	b.mustRun(t, "users", "create", "--email", "dev@example.com")
	key := strings.TrimSpace(b.mustRun(t, "keys", "create", "--user", "dev@example.com", "--name", "live", "--mode", "live"))

	env := map[string]string{
		"OCTOPOST_DATABASE_URL":            "sqlite:" + b.dbPath,
		"OCTOPOST_ADDR":                    "127.0.0.1:0",
		"OCTOPOST_PLATFORMS_ALLOW_PRIVATE": "true",
	}
	logs, logWriter := io.Pipe()
	listening := make(chan string, 1)
	go func() {
		// Reads every log line (serve must never block on its log), and passes on the
		// address serve listens on.
		lines := bufio.NewScanner(logs)
		for lines.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(lines.Bytes(), &line) == nil && line.Msg == "octopost listening" {
				listening <- line.Addr
			}
		}
	}()
	ctx, stop := context.WithCancel(t.Context())
	c := &cli{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: logWriter, timeouts: &scaled}
	served := make(chan error, 1)
	go func() { served <- c.dispatch(ctx, []string{"serve"}) }()
	var addr string
	select {
	case addr = <-listening:
	case err := <-served:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}

	body := `{"platform": "mastodon", "instance_url": "` + hanging.URL + `", "access_token": "token"}`
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+addr+"/v1/accounts", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "an answer, not a dropped connection")
	defer resp.Body.Close()
	elapsed := time.Since(start)

	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	var problem struct {
		Code    string `json:"code"`
		Details struct {
			Errors []struct{ Field, Message string } `json:"errors"`
		} `json:"details"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&problem))
	require.Equal(t, "validation_error", problem.Code)
	require.Len(t, problem.Details.Errors, 1)
	require.Equal(t, "/instance_url", problem.Details.Errors[0].Field)
	require.Contains(t, problem.Details.Errors[0].Message, "mastodon did not answer")
	require.GreaterOrEqual(t, elapsed, scaled.platformCall, "it waited for the platform")
	require.Less(t, elapsed, scaled.write-scaled.margin, "well before the write timeout")

	stop()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(scaled.shutdown + 5*time.Second):
		t.Fatal("serve did not stop within its shutdown grace")
	}
	require.NoError(t, logWriter.Close())
}
