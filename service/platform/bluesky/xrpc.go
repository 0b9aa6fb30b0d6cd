package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// maxResponse bounds how much of an answer is read: XRPC answers here are small.
const maxResponse = 1 << 20

// xrpcError is an XRPC method's failure: the HTTP status and the error body
// {"error": name, "message": text}. It is turned into a platform.Error only once the
// adapter has decided what to do about it (refresh the session, look for a record).
type xrpcError struct {
	Status     int
	Name       string
	Message    string
	RetryAfter time.Duration
}

func (e *xrpcError) Error() string {
	return fmt.Sprintf("bluesky: %s: %s (HTTP %d)", e.Name, e.Message, e.Status)
}

// sessionExpired reports whether the access token was refused, which a refreshed session
// may cure.
func (e *xrpcError) sessionExpired() bool {
	return e.Status == http.StatusUnauthorized || e.Name == "ExpiredToken" || e.Name == "InvalidToken"
}

// xrpcCall is one XRPC request.
type xrpcCall struct {
	method      string // GET (query) or POST (procedure)
	nsid        string
	query       url.Values
	body        any    // JSON-encoded when set
	raw         []byte // sent as is, with contentType, when set (uploadBlob)
	contentType string
}

// do makes the call against the PDS at base with the bearer token (none if empty) and
// decodes a successful answer into out. A failure is an *xrpcError, or a classified
// *platform.Error for a request that got no answer.
func (a *Adapter) do(ctx context.Context, base, token string, c xrpcCall, out any) error {
	u := base + "/xrpc/" + c.nsid
	if len(c.query) > 0 {
		u += "?" + c.query.Encode()
	}
	var body io.Reader
	contentType := c.contentType
	switch {
	case c.raw != nil:
		body = bytes.NewReader(c.raw)
	case c.body != nil:
		b, err := json.Marshal(c.body)
		if err != nil {
			return fmt.Errorf("bluesky: encode %s: %w", c.nsid, err)
		}
		body = bytes.NewReader(b)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, c.method, u, body)
	if err != nil {
		return platform.Errorf(platform.Permanent, 0, "bluesky: %s", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		// A refused (private) PDS address is Permanent; a cancelled context stays
		// visible; the message never holds the URL or the token.
		return platform.TransportError(ctx, "bluesky", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return platform.TransportError(ctx, "bluesky", err, token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &xrpcError{Status: resp.StatusCode, Name: http.StatusText(resp.StatusCode)}
		var body struct{ Error, Message string }
		if json.Unmarshal(data, &body) == nil && body.Error != "" {
			e.Name, e.Message = body.Error, body.Message
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			e.RetryAfter = a.retryAfter(resp.Header)
		}
		return e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return platform.Errorf(platform.Transient, resp.StatusCode, "Bluesky sent an unreadable %s answer", c.nsid)
		}
	}
	return nil
}

// retryAfter reads the PDS's ratelimit-reset (Unix seconds), or a proxy's Retry-After.
func (a *Adapter) retryAfter(h http.Header) time.Duration {
	if v := h.Get("Ratelimit-Reset"); v != "" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(a.now()), 0)
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

// classify turns a failure into the platform.Error the engine acts on. XRPC messages are
// safe to show: the PDS never echoes a token or a password.
func classify(err error) error {
	e, ok := err.(*xrpcError)
	if !ok {
		return err
	}
	text := e.Name
	if e.Message != "" {
		text = e.Message
	}
	switch {
	case e.Status == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: e.Status, Message: "Bluesky rate limit reached", RetryAfter: e.RetryAfter}
	case e.Status >= 500 || e.Status == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: e.Status, Message: "Bluesky error: " + text}
	case e.sessionExpired() || e.Name == "AccountTakedown":
		return &platform.Error{Kind: platform.TokenRejected, Status: e.Status, Message: "Bluesky rejected the session: " + text}
	}
	return &platform.Error{Kind: platform.Permanent, Status: e.Status, Message: text}
}
