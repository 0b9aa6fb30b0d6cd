package slack

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

type response struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds what is read of a response: Slack's answers are small.
const maxBody = 1 << 20

// call invokes a Web API method with the bot token and decodes the answer into out. A
// failure comes back classified, with Slack's error code ("" when there is none) so a
// caller can treat one code specially.
func (a *Adapter) call(ctx context.Context, acct account, httpMethod, method string, query url.Values, body, out any) (string, error) {
	u := a.api + "/" + method
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return "", fmt.Errorf("slack: encode %s: %w", method, err)
		}
	}
	resp, err := a.send(ctx, httpMethod, u, payload, acct)
	if err != nil {
		return "", err
	}
	var env struct {
		OK     bool   `json:"ok"`
		Error  string `json:"error"`
		Needed string `json:"needed"`
	}
	if json.Unmarshal(resp.body, &env) != nil {
		// A proxy's error page, or an answer cut short: the status alone decides.
		if resp.status == http.StatusOK {
			return "", platform.Errorf(platform.Transient, resp.status, "slack: %s: unreadable response", method)
		}
		return "", classify(resp.status, "", resp.header, method)
	}
	if !env.OK {
		perr := classify(resp.status, env.Error, resp.header, method)
		if env.Needed != "" {
			perr.Message += " (needs " + env.Needed + ")"
		}
		return env.Error, perr
	}
	if err := json.Unmarshal(resp.body, out); err != nil {
		return "", platform.Errorf(platform.Transient, resp.status, "slack: %s: unreadable response", method)
	}
	return "", nil
}

// send makes one request: JSON with the bot token as Bearer for the Web API, plain JSON for
// a webhook (whose URL is its credential).
func (a *Adapter) send(ctx context.Context, method, u string, body []byte, acct account) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, platform.Errorf(platform.Permanent, 0, "slack: cannot build the request")
	}
	if body != nil {
		// Without the charset the Web API answers with a missing_charset warning.
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if acct.token != "" {
		req.Header.Set("Authorization", "Bearer "+acct.token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, platform.TransportError(ctx, "slack", err, acct.webhook, acct.token)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, platform.TransportError(ctx, "slack", err, acct.webhook, acct.token)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// Slack error codes by what they mean for the engine; codes not listed are Permanent.
var (
	rejectedCodes = map[string]bool{
		"invalid_auth": true, "token_revoked": true, "token_expired": true, "account_inactive": true, "not_authed": true,
		// incoming webhooks: the URL's token is wrong, or the webhook was removed
		"invalid_token": true, "no_service": true,
	}
	transientCodes = map[string]bool{
		"ratelimited": true, "rate_limited": true, "internal_error": true, "fatal_error": true,
		"service_unavailable": true, "request_timeout": true,
	}
)

// classify turns a Slack failure into a classified error. The code decides where it is
// known, since the Web API answers HTTP 200 for most errors; otherwise a 429 or 5xx is
// Transient and anything else Permanent.
func classify(status int, code string, h http.Header, what string) *platform.Error {
	msg := code
	if msg == "" {
		msg = http.StatusText(status)
	}
	kind := platform.Permanent
	switch {
	case rejectedCodes[code]:
		kind = platform.TokenRejected
	case status == http.StatusTooManyRequests, transientCodes[code], status >= 500:
		kind = platform.Transient
	}
	if status == http.StatusOK {
		status = 0 // an HTTP 200 says nothing; the code is the error
	}
	perr := platform.Errorf(kind, status, "slack: %s: %s", what, msg)
	if kind == platform.Transient {
		perr.RetryAfter = retryAfter(h)
	}
	return perr
}

// retryAfter reads Retry-After, in seconds (as Slack sends it) or as an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := time.Until(at); d > 0 {
			return d.Round(time.Second)
		}
	}
	return 0
}
