package instagram

// Every call to Instagram goes to its Graph API (graph.instagram.com), which answers a
// failure with Meta's Graph error body, {error: {message, type, code, error_subcode,
// is_transient, fbtrace_id}}, usually with HTTP 400 whatever the cause. So a failure is
// classified by the body's code first and the status second, never by the message:
//
//	code 190 (OAuthException), 102, or HTTP 401   TokenRejected: the token expired (its
//	                                               tokens live 60 days) or was revoked
//	code 4, 9, 17, 32, 613, or HTTP 429            Transient: a rate limit (code 9, subcode
//	                                               2207042 is the 50 API posts a day per
//	                                               account), retried after the time
//	                                               X-Business-Use-Case-Usage estimates
//	                                               (estimated_time_to_regain_access,
//	                                               minutes), or Retry-After from a proxy
//	is_transient true, codes 1 and 2, 5xx, 408     Transient
//	3xx                                            Permanent: the API URL setting is wrong
//	anything else (code 100 and its subcodes)      Permanent, with Instagram's own message
//
// The access token travels as the access_token parameter, as Meta documents it: in the
// form body of a POST, in the query of a GET. Messages never repeat it (a proxy could
// echo it), and a request that got no answer is described without its URL. (The same
// shape as package threads' graph.go, kept apart: the two platforms' APIs evolve apart.)

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// maxResponse bounds what is read of an answer: Graph's are a few kilobytes.
const maxResponse = 1 << 20

// graphError is Graph's error body.
type graphError struct {
	Error *struct {
		Message     string `json:"message"`
		Type        string `json:"type"`
		Code        int    `json:"code"`
		Subcode     int    `json:"error_subcode"`
		IsTransient bool   `json:"is_transient"`
		FBTraceID   string `json:"fbtrace_id"`
	} `json:"error"`
}

// Graph's error codes that mean the token is dead, and those that mean a rate limit.
const codeTokenInvalid = 190

func isRateLimit(code int) bool {
	switch code {
	case 4, 9, 17, 32, 613:
		return true
	}
	return false
}

// graph is a caller of the Graph API at base.
type graph struct {
	client *http.Client
	base   string
	now    func() time.Time
}

// call sends method to path with params and the access token (none when empty), and
// decodes a successful JSON answer into out. secrets are kept out of every message.
func (g graph) call(ctx context.Context, method, path string, params url.Values, token string, out any, secrets ...string) error {
	if token != "" {
		params = withParam(params, "access_token", token)
		secrets = append(secrets, token)
	}
	resp, data, err := g.send(ctx, method, g.base+path, params, secrets)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return g.classify(resp, data, secrets)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return platform.Errorf(platform.Transient, resp.StatusCode, "Instagram sent an unreadable answer")
	}
	return nil
}

// withParam returns a copy of params with key set to value.
func withParam(params url.Values, key, value string) url.Values {
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	q.Set(key, value)
	return q
}

// send makes the request, params in the query of a GET and in the form body otherwise,
// and reads the answer's body (bounded). Only a request that got no answer is an error.
func (g graph) send(ctx context.Context, method, target string, params url.Values, secrets []string) (*http.Response, []byte, error) {
	var body io.Reader
	if method == http.MethodGet {
		target += "?" + params.Encode()
	} else {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		// The operator's URL setting is malformed; nothing here names a token.
		return nil, nil, platform.Errorf(platform.Permanent, 0, "Instagram: the URL %s is not valid", platform.ShowURL(target))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := g.client.Do(req)
	if err != nil {
		return nil, nil, platform.TransportError(ctx, "Instagram", err, secrets...)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, nil, platform.TransportError(ctx, "Instagram", err, secrets...)
	}
	return resp, data, nil
}

// classify turns a failed answer into a platform.Error (see the table at the top).
func (g graph) classify(resp *http.Response, body []byte, secrets []string) *platform.Error {
	status := resp.StatusCode
	var ge graphError
	code, msg, transient := 0, "", false
	if json.Unmarshal(body, &ge) == nil && ge.Error != nil {
		code, msg, transient = ge.Error.Code, strings.TrimSpace(ge.Error.Message), ge.Error.IsTransient
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	msg = redact(msg, secrets)
	switch {
	case code == codeTokenInvalid || code == 102 || status == http.StatusUnauthorized:
		return &platform.Error{Kind: platform.TokenRejected, Status: status, Message: "Instagram rejected the access token"}
	case isRateLimit(code) || status == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: "Instagram rate limit reached: " + msg, RetryAfter: retryAfter(resp.Header, g.now)}
	case transient || code == 1 || code == 2 || status >= 500 || status == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: "Instagram error: " + msg}
	case status >= 300 && status < 400:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: "Instagram redirected the request; check " + SettingAPIURL}
	}
	return &platform.Error{Kind: platform.Permanent, Status: status, Message: "Instagram refused the request: " + msg}
}

func redact(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// retryAfter reads how long Meta asks to wait: the largest estimated_time_to_regain_access
// (minutes) in X-Business-Use-Case-Usage, else Retry-After.
func retryAfter(h http.Header, now func() time.Time) time.Duration {
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var usage map[string][]struct {
			Minutes int `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &usage) == nil {
			longest := 0
			for _, entries := range usage {
				for _, e := range entries {
					longest = max(longest, e.Minutes)
				}
			}
			if longest > 0 {
				return time.Duration(longest) * time.Minute
			}
		}
	}
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.Atoi(v); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now()), 0)
		}
	}
	return 0
}

// graphID is an id Graph sends as a string or, in some answers (the token endpoint's
// user_id), as a number.
type graphID string

func (id *graphID) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*id = graphID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*id = graphID(n.String())
	return nil
}

func asError(err error, target **platform.Error) bool { return errors.As(err, target) }
