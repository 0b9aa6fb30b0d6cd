// Package metagraph is the Meta Graph API core that Threads, Instagram and Facebook share:
// the three speak the same Graph dialect on different hosts, and what they have in common
// lives here once, each platform's differences given as Rules.
//
// Errors. Graph answers a failure with {error: {message, type, code, error_subcode,
// is_transient, fbtrace_id}}, usually with HTTP 400 whatever the cause, so a failure is
// classified by the body's code first and the status second, never by the message
// (Classify):
//
//	a token code (190, and 102 on Threads and Instagram), or HTTP 401   TokenRejected
//	a rate-limit code (4, 17, 32, 613, and the platform's own), or 429  Transient, waiting
//	                                                                     what RetryAfter reads
//	codes 1 and 2 (Graph's unknown and service errors)                 Transient
//	a code the platform refuses in its own words (Facebook's 506)      Permanent
//	is_transient, 5xx, 408                                             Transient
//	3xx                                                                Permanent: the API URL
//	                                                                   setting is wrong
//	anything else                                                      Permanent, with the
//	                                                                   platform's message
//
// Facebook's way (Rules.Coded) differs in three points: its messages carry Graph's code and
// subcode, a body that names a code decides before the status (a Graph error with a 500 is
// still Permanent), and is_transient is not read.
//
// Waits. Meta estimates when calls are allowed again in X-Business-Use-Case-Usage ({id:
// [{estimated_time_to_regain_access (minutes)}]}), on Facebook also in X-Page-Usage; the
// longest estimate is the wait, else a proxy's Retry-After, else 0.
//
// Calls. The access token travels as the access_token parameter, as Meta documents it for
// Threads and Instagram (the form body of a POST, the query of a GET), or as a Bearer
// token (Facebook, Rules.Bearer). Every answer is read bounded (MaxResponse). Messages never
// repeat a token or a secret (a proxy could echo one), and a request that got no answer is
// described without its URL.
//
// Tokens (token.go): the short-lived token's trade for a long-lived one and its
// self-refresh, parameterised by the grant types. Containers (container.go): the
// create → poll → publish → permalink flow of Threads and Instagram.
package metagraph

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// MaxResponse bounds what is read of an answer: Graph's are a few kilobytes (a page of a
// user's Facebook Pages, with their tokens, is the largest).
const MaxResponse = 1 << 20

// CodeTokenInvalid is Graph's OAuthException: the token expired or was revoked.
const CodeTokenInvalid = 190

// Rules are what one platform's Graph does its own way.
type Rules struct {
	// Name is the platform's name in every message ("Threads").
	Name string
	// Env is the platform's settings prefix (OCTOPOST_THREADS), named when the operator's
	// app is refused.
	Env string
	// SettingAPIURL is the API URL setting, named when the API redirects.
	SettingAPIURL string
	// TokenCodes, RateLimitCodes and TransientCodes are the codes that mean a dead token,
	// a rate limit, and a passing failure.
	TokenCodes, RateLimitCodes, TransientCodes []int
	// Refusals are codes refused in the platform's own words ("refused a duplicate post").
	Refusals map[int]string
	// Coded is Facebook's way of classifying (see the top).
	Coded bool
	// PageUsage says X-Page-Usage carries an estimate too.
	PageUsage bool
	// Bearer sends the token in the Authorization header instead of a parameter.
	Bearer bool
	// PostAnswerDecisive makes an unreadable answer to a POST Permanent: the post may exist
	// and a retry could only post it twice.
	PostAnswerDecisive bool
}

// RateLimited says whether code is one of the platform's rate limits.
func (r *Rules) RateLimited(code int) bool { return slices.Contains(r.RateLimitCodes, code) }

// ErrorBody is Graph's error body.
type ErrorBody struct {
	Error *ErrorDetail `json:"error"`
}

// ErrorDetail is what a Graph error says.
type ErrorDetail struct {
	Message     string `json:"message"`
	Type        string `json:"type"`
	Code        int    `json:"code"`
	Subcode     int    `json:"error_subcode"`
	IsTransient bool   `json:"is_transient"`
	FBTraceID   string `json:"fbtrace_id"`
}

// Decode reads a Graph error body; ok is false when body is not one.
func Decode(body []byte) (ErrorDetail, bool) {
	var b ErrorBody
	if json.Unmarshal(body, &b) != nil || b.Error == nil {
		return ErrorDetail{}, false
	}
	b.Error.Message = strings.TrimSpace(b.Error.Message)
	return *b.Error, true
}

// Graph is a caller of one platform's Graph API at Base.
type Graph struct {
	HTTP  *http.Client
	Base  string
	Now   func() time.Time
	Rules *Rules
}

// Call sends method to Base+path; see Do.
func (g Graph) Call(ctx context.Context, method, path string, params url.Values, token string, out any, secrets ...string) error {
	return g.Do(ctx, method, g.Base+path, params, token, out, secrets...)
}

// Do sends method to the full URL target with params and the access token (none when
// empty), and decodes a successful JSON answer into out. secrets are kept out of every
// message.
func (g Graph) Do(ctx context.Context, method, target string, params url.Values, token string, out any, secrets ...string) error {
	var header http.Header
	if token != "" {
		if g.Rules.Bearer {
			header = http.Header{"Authorization": {"Bearer " + token}}
		} else {
			params = withParam(params, "access_token", token)
		}
		secrets = append(secrets, token)
	}
	resp, data, err := g.send(ctx, method, target, params, header, secrets)
	if err != nil {
		return err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return g.Classify(resp, data, secrets...)
	}
	if err := json.Unmarshal(data, out); err != nil {
		kind := platform.Transient
		if g.Rules.PostAnswerDecisive && method == http.MethodPost {
			kind = platform.Permanent
		}
		return platform.Errorf(kind, resp.StatusCode, "%s sent an unreadable answer", g.Rules.Name)
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

// Send makes the request, params in the query of a GET and in the form body otherwise,
// and reads the answer's body (bounded). Only a request that got no answer is an error.
func (g Graph) Send(ctx context.Context, method, target string, params url.Values, secrets []string) (*http.Response, []byte, error) {
	return g.send(ctx, method, target, params, nil, secrets)
}

func (g Graph) send(ctx context.Context, method, target string, params url.Values, header http.Header, secrets []string) (*http.Response, []byte, error) {
	var body io.Reader
	if method == http.MethodGet {
		if len(params) > 0 {
			sep := "?"
			if strings.Contains(target, "?") {
				sep = "&"
			}
			target += sep + params.Encode()
		}
	} else if params != nil {
		body = strings.NewReader(params.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		// The operator's URL setting is malformed; nothing here names a token.
		return nil, nil, platform.Errorf(platform.Permanent, 0, "%s: the URL %s is not valid", g.Rules.Name, platform.ShowURL(target))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := g.HTTP.Do(req)
	if err != nil {
		return nil, nil, platform.TransportError(ctx, g.Rules.Name, err, secrets...)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse))
	if err != nil {
		return nil, nil, platform.TransportError(ctx, g.Rules.Name, err, secrets...)
	}
	return resp, data, nil
}

// Classify turns a failed answer into a platform.Error (see the table at the top).
func (g Graph) Classify(resp *http.Response, body []byte, secrets ...string) *platform.Error {
	r, status := g.Rules, resp.StatusCode
	e, ok := Decode(body)
	if r.Coded && e.Code == 0 {
		e, ok = ErrorDetail{}, false // Facebook's way: a body without a code is no Graph error
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	msg = Redact(msg, secrets)
	what, rejected := msg, r.Name+" rejected the access token"
	if r.Coded {
		if ok {
			what = fmt.Sprintf("%s (code %d", msg, e.Code)
			if e.Subcode != 0 {
				what += fmt.Sprintf(", subcode %d", e.Subcode)
			}
			what += ")"
		}
		rejected += ": " + what
	}
	code := e.Code
	switch words, refused := r.Refusals[code]; {
	case slices.Contains(r.TokenCodes, code) || status == http.StatusUnauthorized:
		return &platform.Error{Kind: platform.TokenRejected, Status: status, Message: rejected}
	case r.RateLimited(code) || status == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: r.Name + " rate limit reached: " + what,
			RetryAfter: RetryAfter(resp.Header, g.now(), r.PageUsage)}
	case slices.Contains(r.TransientCodes, code):
		return &platform.Error{Kind: platform.Transient, Status: status, Message: r.Name + " error: " + what}
	case refused:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: r.Name + " " + words + ": " + what}
	case r.Coded && ok:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: r.Name + " refused the request: " + what}
	case (!r.Coded && e.IsTransient) || status >= 500 || status == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: r.Name + " error: " + what}
	case status >= 300 && status < 400:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: r.Name + " redirected the request; check " + r.SettingAPIURL}
	}
	return &platform.Error{Kind: platform.Permanent, Status: status, Message: r.Name + " refused the request: " + what}
}

func (g Graph) now() func() time.Time {
	if g.Now == nil {
		return time.Now
	}
	return g.Now
}

// Redact replaces every non-empty secret in s.
func Redact(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}

// usage is the part of Meta's usage headers that says when calls are allowed again.
type usage struct {
	Minutes int `json:"estimated_time_to_regain_access"`
}

// RetryAfter reads how long Meta asks to wait: the longest estimated_time_to_regain_access
// (minutes) in X-Business-Use-Case-Usage (and X-Page-Usage when pageUsage), else
// Retry-After, else 0.
func RetryAfter(h http.Header, now func() time.Time, pageUsage bool) time.Duration {
	minutes := 0
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]usage
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, u := range list {
					minutes = max(minutes, u.Minutes)
				}
			}
		}
	}
	if v := h.Get("X-Page-Usage"); pageUsage && v != "" {
		var u usage
		if json.Unmarshal([]byte(v), &u) == nil {
			minutes = max(minutes, u.Minutes)
		}
	}
	if minutes > 0 {
		return time.Duration(minutes) * time.Minute
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

// ID is an id Graph sends as a string or, in some answers (the token endpoint's user_id),
// as a number.
type ID string

func (id *ID) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*id = ID(n.String())
	return nil
}
