package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
)

// serveOnce starts serve on the bundle's database, hands the address it listens on to
// use, then stops it and returns every log line it wrote.
func (b *cliBundle) serveOnce(t *testing.T, use func(addr string)) []map[string]any {
	t.Helper()
	scaled := deriveTimeouts(time.Second, time.Second, 500*time.Millisecond)
	env := map[string]string{"OCTOPOST_DATABASE_URL": "sqlite:" + b.dbPath, "OCTOPOST_ADDR": "127.0.0.1:0"}
	logs, logWriter := io.Pipe()
	listening := make(chan string, 1)
	var mu sync.Mutex
	var lines []map[string]any
	read := make(chan struct{})
	go func() {
		defer close(read)
		scanner := bufio.NewScanner(logs)
		for scanner.Scan() {
			var line map[string]any
			if json.Unmarshal(scanner.Bytes(), &line) != nil {
				continue
			}
			mu.Lock()
			lines = append(lines, line)
			mu.Unlock()
			if line["msg"] == "octopost listening" {
				listening <- line["addr"].(string)
			}
		}
	}()
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	c := &cli{getenv: func(k string) string { return env[k] }, stdout: io.Discard, stderr: logWriter, timeouts: &scaled}
	served := make(chan error, 1)
	go func() { served <- c.dispatch(ctx, []string{"serve"}) }()
	select {
	case addr := <-listening:
		use(addr)
	case err := <-served:
		t.Fatalf("serve ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	stop()
	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(scaled.shutdown + 5*time.Second):
		t.Fatal("serve did not stop within its shutdown grace")
	}
	require.NoError(t, logWriter.Close())
	<-read
	mu.Lock()
	defer mu.Unlock()
	return lines
}

// Issue 6 item 9: a webhook stored before secrets were sealed holds its secret in
// plaintext; starting the server seals it, says how many it sealed (never the secret),
// and the API shows the same secret's mask as before. The next start has nothing to do.
func TestServeSealsPlaintextWebhookSecrets(t *testing.T) {
	t.Parallel()
	b := setupCLI(t)
	userID := strings.TrimSpace(b.mustRun(t, "users", "create", "--email", "dev@example.com"))
	key := strings.TrimSpace(b.mustRun(t, "keys", "create", "--user", "dev@example.com", "--name", "live", "--mode", "live"))

	legacy := "whsec_" + strings.Repeat("TGVn", 10) + "YWN5"
	now := time.Now().UTC().Truncate(time.Second)
	w := service.Webhook{
		ID: "wh_01LEGACY0000000000000000000", Scope: service.Scope{UserID: userID, Mode: service.ModeLive},
		URL: "https://hooks.example.com/x", Events: []service.WebhookEvent{"post.published"}, Secret: legacy,
		IsActive: true, CreatedAt: now, UpdatedAt: now,
	}
	stored := func(do func(d *db.DB)) {
		d, err := db.Open(t.Context(), "sqlite:"+b.dbPath)
		require.NoError(t, err)
		defer d.Close()
		do(d)
	}
	stored(func(d *db.DB) { require.NoError(t, d.CreateWebhook(t.Context(), w)) })

	var shown string
	logs := b.serveOnce(t, func(addr string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/v1/webhooks/"+w.ID, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var body struct{ Secret string }
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		shown = body.Secret
	})
	require.Equal(t, service.MaskSecret(legacy), shown, "the same secret's mask")
	var sealedLine map[string]any
	for _, line := range logs {
		require.NotContains(t, line, "secret")
		for _, v := range line {
			if s, ok := v.(string); ok {
				require.NotContains(t, s, legacy[len("whsec_"):], "no log line shows the secret")
			}
		}
		if line["msg"] == "sealed webhook signing secrets stored in plaintext" {
			sealedLine = line
		}
	}
	require.NotNil(t, sealedLine, "the start says it sealed: %v", logs)
	require.Equal(t, 1.0, sealedLine["webhooks"])
	stored(func(d *db.DB) {
		row, err := d.GetWebhook(t.Context(), w.Scope, w.ID)
		require.NoError(t, err)
		require.NotContains(t, row.Secret, legacy[len("whsec_"):], "sealed at rest")
	})

	for _, line := range b.serveOnce(t, func(string) {}) {
		require.NotEqual(t, "sealed webhook signing secrets stored in plaintext", line["msg"], "nothing left to seal")
	}
}
