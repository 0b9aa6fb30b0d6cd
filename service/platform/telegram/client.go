package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// maxBody bounds what is read of a response: the Bot API's answers are small.
const maxBody = 1 << 20

// envelope is every Bot API answer: the result, or ok false with an error code (the HTTP
// status), a description and sometimes parameters.
type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// call invokes a Bot API method: a GET with query, or a POST with a JSON body. On success
// the result is decoded into out. A failure comes back classified, with the supergroup's
// chat id when Telegram says the group moved there (0 otherwise).
func (a *Adapter) call(ctx context.Context, token, httpMethod, method string, query url.Values, body, out any) (int64, error) {
	u := a.api + "/bot" + token + "/" + method
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, fmt.Errorf("telegram: encode %s: %w", method, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, httpMethod, u, rd)
	if err != nil {
		// The error would quote the URL, token included.
		return 0, platform.Errorf(platform.Permanent, 0, "telegram: cannot build the %s request", method)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return 0, platform.TransportError(ctx, "telegram", err, token)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, platform.TransportError(ctx, "telegram", err, token)
	}

	var env envelope
	if json.Unmarshal(raw, &env) != nil {
		// A proxy's error page: the status alone decides.
		if resp.StatusCode/100 == 2 {
			return 0, platform.Errorf(platform.Transient, resp.StatusCode, "telegram: %s: unreadable response", method)
		}
		return 0, classify(method, resp.StatusCode, http.StatusText(resp.StatusCode), retryAfterHeader(resp.Header))
	}
	if !env.OK {
		code := env.ErrorCode
		if code == 0 {
			code = resp.StatusCode
		}
		desc := env.Description
		if desc == "" {
			desc = http.StatusText(code)
		}
		wait := time.Duration(env.Parameters.RetryAfter) * time.Second
		if wait <= 0 {
			wait = retryAfterHeader(resp.Header)
		}
		return env.Parameters.MigrateToChatID, classify(method, code, desc, wait)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return 0, platform.Errorf(platform.Transient, resp.StatusCode, "telegram: %s: unreadable result", method)
	}
	return 0, nil
}

// classify maps a Bot API error code: 401 (token revoked) and 403 (the bot was blocked or
// removed from the chat) reject the account, 429 and 5xx are worth retrying, any other
// error (400: the request itself) is permanent. The description is Telegram's own.
func classify(method string, code int, desc string, retryAfter time.Duration) *platform.Error {
	kind := platform.Permanent
	switch {
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		kind = platform.TokenRejected
	case code == http.StatusTooManyRequests, code >= 500:
		kind = platform.Transient
	}
	e := platform.Errorf(kind, code, "telegram: %s: %s", method, desc)
	if kind == platform.Transient {
		e.RetryAfter = retryAfter
	}
	return e
}

// retryAfterHeader reads a Retry-After in seconds, which a proxy in front of the Bot API
// may send (the API itself says it in parameters.retry_after).
func retryAfterHeader(h http.Header) time.Duration {
	secs, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After")))
	if err != nil || secs <= 0 {
		return 0
	}
	return time.Duration(secs) * time.Second
}
