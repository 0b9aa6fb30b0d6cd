package discord

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// apiError is Discord's error body. Errors is a tree keyed by field whose leaves are
// {"_errors": [{code, message}]}, as in a 50035 Invalid Form Body.
type apiError struct {
	Message    string          `json:"message"`
	Code       int             `json:"code"`
	RetryAfter float64         `json:"retry_after"`
	Global     bool            `json:"global"`
	Errors     json.RawMessage `json:"errors"`
}

// classify turns a non-2xx answer into a classified error: 401 and 404 mean the webhook
// or its token is gone, 429 and 5xx are worth retrying, any other 4xx is the post's fault.
func classify(resp *response) *platform.Error {
	var body apiError
	_ = json.Unmarshal(resp.body, &body) // a proxy's HTML error page has no JSON: status alone decides
	msg := body.Message
	if msg == "" {
		msg = http.StatusText(resp.status)
	}
	if body.Code != 0 {
		msg = fmt.Sprintf("%s (code %d)", msg, body.Code)
	}
	if details := fieldErrors(body.Errors); details != "" {
		msg += ": " + details
	}
	switch {
	case resp.status == http.StatusTooManyRequests:
		e := platform.Errorf(platform.Transient, resp.status, "discord: rate limited: %s", msg)
		e.RetryAfter = retryAfter(body.RetryAfter, resp.header)
		return e
	case resp.status == http.StatusUnauthorized || resp.status == http.StatusNotFound:
		return platform.Errorf(platform.TokenRejected, resp.status, "discord: the webhook was deleted or its token is wrong: %s", msg)
	case resp.status >= 500:
		return platform.Errorf(platform.Transient, resp.status, "discord: server error: %s", msg)
	default:
		return platform.Errorf(platform.Permanent, resp.status, "discord: %s", msg)
	}
}

// retryAfter prefers the body's retry_after (seconds, fractional), then the
// X-RateLimit-Reset-After header (the same, per bucket), then Retry-After (whole seconds).
func retryAfter(body float64, h http.Header) time.Duration {
	secs := body
	if secs <= 0 {
		secs, _ = strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64)
	}
	if secs <= 0 {
		secs, _ = strconv.ParseFloat(h.Get("Retry-After"), 64)
	}
	if secs <= 0 || math.IsNaN(secs) || math.IsInf(secs, 0) {
		return 0
	}
	return time.Duration(math.Ceil(secs*1000)) * time.Millisecond
}

// fieldErrors flattens Discord's error tree into "content: Must be 2000 or fewer in
// length." lines, sorted so the message is stable.
func fieldErrors(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var tree map[string]json.RawMessage
	if json.Unmarshal(raw, &tree) != nil {
		return ""
	}
	var out []string
	walkErrors("", tree, &out)
	sort.Strings(out)
	return strings.Join(out, "; ")
}

func walkErrors(path string, tree map[string]json.RawMessage, out *[]string) {
	for key, val := range tree {
		if key == "_errors" {
			var leaves []struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(val, &leaves) == nil {
				for _, l := range leaves {
					*out = append(*out, path+": "+l.Message)
				}
			}
			continue
		}
		var sub map[string]json.RawMessage
		if json.Unmarshal(val, &sub) != nil {
			continue
		}
		p := key
		if path != "" {
			p = path + "." + key
		}
		walkErrors(p, sub, out)
	}
}
