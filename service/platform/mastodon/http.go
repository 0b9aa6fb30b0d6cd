package mastodon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// maxResponse bounds how much of an answer is read: Mastodon's are a few kilobytes.
const maxResponse = 1 << 20

// call sends a request with an optional JSON body and decodes the JSON answer into out.
func (a *Adapter) call(ctx context.Context, method, url, token string, body, out any) error {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("mastodon: encode request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return platform.Errorf(platform.Permanent, 0, "mastodon: %s", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return a.send(req, token, out)
}

// send makes req with the bearer token (none if empty), classifies a failure, and decodes
// a successful JSON answer into out.
func (a *Adapter) send(req *http.Request, token string, out any) error {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		// A refused (private) instance address is Permanent; a cancelled context stays
		// visible; the message never holds the URL or the token.
		return platform.TransportError(req.Context(), "mastodon", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return platform.TransportError(req.Context(), "mastodon", err, token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return a.classify(resp, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			// The request may have taken effect; a retry is safe (idempotency key) and
			// the likelier cure than giving up.
			return platform.Errorf(platform.Transient, resp.StatusCode, "Mastodon sent an unreadable answer")
		}
	}
	return nil
}

// classify turns a failed answer into a platform.Error. Mastodon's error body is
// {"error": "…"}, safe to show: it never echoes the token.
func (a *Adapter) classify(resp *http.Response, body []byte) *platform.Error {
	var e struct {
		Error string `json:"error"`
	}
	msg := http.StatusText(resp.StatusCode)
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	code := resp.StatusCode
	switch {
	case code == http.StatusUnauthorized:
		return &platform.Error{Kind: platform.TokenRejected, Status: code, Message: "Mastodon rejected the access token"}
	case code == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: code, Message: "Mastodon rate limit reached", RetryAfter: a.retryAfter(resp.Header)}
	case code >= 500 || code == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: code, Message: "Mastodon error: " + msg}
	case code >= 300 && code < 400:
		return &platform.Error{Kind: platform.Permanent, Status: code, Message: "Mastodon redirected the request; use the instance's final URL"}
	}
	return &platform.Error{Kind: platform.Permanent, Status: code, Message: msg}
}

// retryAfter reads how long to wait from Mastodon's X-RateLimit-Reset (an ISO 8601 time;
// Mastodon sends no Retry-After of its own) or, behind a proxy that adds one, Retry-After.
func (a *Adapter) retryAfter(h http.Header) time.Duration {
	if v := h.Get("X-RateLimit-Reset"); v != "" {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return max(t.Sub(a.now()), 0)
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(a.now()), 0)
		}
	}
	return 0
}
