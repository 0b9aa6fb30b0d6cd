package fake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform/fake"
)

// chatRequest sends one raw request to a messaging fake and returns the response and its body.
func chatRequest(t *testing.T, method, u, contentType, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b)
}

func TestDiscordWaitQuirk(t *testing.T) {
	t.Parallel()
	d := fake.NewDiscord(t)
	hook := d.Webhook()

	resp, body := chatRequest(t, http.MethodPost, hook, "application/json", `{"content":"no wait"}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, "without wait=true Discord answers 204")
	require.Empty(t, body)

	resp, body = chatRequest(t, http.MethodPost, hook+"?wait=true", "application/json", `{"content":"wait"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var msg struct{ ID, ChannelID string }
	require.NoError(t, json.Unmarshal([]byte(body), &msg))

	msgs := d.Messages()
	require.Len(t, msgs, 2, "both were posted")
	require.False(t, msgs[0].Wait)
	require.True(t, msgs[1].Wait)
	require.Equal(t, msgs[1].ID, msg.ID)
}

func TestDiscordValidation(t *testing.T) {
	t.Parallel()
	d := fake.NewDiscord(t)
	hook := d.Webhook()

	resp, body := chatRequest(t, http.MethodPost, hook+"?wait=true", "application/json", `{"content":""}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.JSONEq(t, `{"message":"Cannot send an empty message","code":50006}`, body)

	resp, body = chatRequest(t, http.MethodPost, hook+"?wait=true", "application/json", `{"content":"`+strings.Repeat("é", 2001)+`"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.JSONEq(t, `{"message":"Invalid Form Body","code":50035,"errors":{"content":{"_errors":[{"code":"BASE_TYPE_MAX_LENGTH","message":"Must be 2000 or fewer in length."}]}}}`, body)

	resp, _ = chatRequest(t, http.MethodPost, hook+"?wait=true", "text/plain", `{"content":"hi"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)

	resp, body = chatRequest(t, http.MethodGet, d.WebhookBase()+"1/nope", "", "")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.JSONEq(t, `{"message":"Unknown Webhook","code":10015}`, body)
	require.Empty(t, d.Messages())
}

func TestDiscordRateLimitHeaders(t *testing.T) {
	t.Parallel()
	d := fake.NewDiscord(t)
	hook := d.Webhook()
	d.RateLimitNext(1, 1500*time.Millisecond)
	resp, body := chatRequest(t, http.MethodPost, hook+"?wait=true", "application/json", `{"content":"hi"}`)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.JSONEq(t, `{"message":"You are being rate limited.","retry_after":1.5,"global":false}`, body)
	require.Equal(t, "2", resp.Header.Get("Retry-After"))
	require.Equal(t, "1.500", resp.Header.Get("X-RateLimit-Reset-After"))
	require.Equal(t, "0", resp.Header.Get("X-RateLimit-Remaining"))
	require.Empty(t, d.Messages())
}

func TestDiscordConcurrentUse(t *testing.T) {
	t.Parallel()
	d := fake.NewDiscord(t)
	hook := d.Webhook()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, hook+"?wait=true", strings.NewReader(`{"content":"hi"}`))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
			_ = d.Messages()
		})
	}
	wg.Wait()
	ids := map[string]bool{}
	for _, m := range d.Messages() {
		ids[m.ID] = true
	}
	require.Len(t, ids, 20, "every message has its own id")
}
