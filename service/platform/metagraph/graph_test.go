package metagraph

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
)

var threadsLike = &Rules{
	Name: "Meta", Env: "OCTOPOST_META", SettingAPIURL: "OCTOPOST_META_API_URL",
	TokenCodes: []int{CodeTokenInvalid, 102}, RateLimitCodes: []int{4, 9, 17, 32, 613}, TransientCodes: []int{1, 2},
}

var facebookLike = &Rules{
	Name: "Book", SettingAPIURL: "OCTOPOST_BOOK_API_URL",
	TokenCodes: []int{CodeTokenInvalid}, RateLimitCodes: []int{4, 17, 32, 613, 80001}, TransientCodes: []int{1, 2},
	Refusals: map[int]string{506: "refused a duplicate post"}, Coded: true, PageUsage: true, Bearer: true, PostAnswerDecisive: true,
}

func graphBody(code, subcode int, msg string, transient bool) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "code": code, "error_subcode": subcode, "is_transient": transient}})
	return string(b)
}

func TestClassify(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		rules   *Rules
		status  int
		body    string
		kind    platform.Kind
		message string
	}{
		{"token code", threadsLike, 400, graphBody(190, 0, "expired s3cret", false), platform.TokenRejected, "Meta rejected the access token"},
		{"102 is a token code where the rules say so", threadsLike, 400, graphBody(102, 0, "x", false), platform.TokenRejected, "Meta rejected the access token"},
		{"102 is not on Facebook", facebookLike, 400, graphBody(102, 0, "x", false), platform.Permanent, "Book refused the request: x (code 102)"},
		{"401 without a body", threadsLike, 401, "", platform.TokenRejected, "Meta rejected the access token"},
		{"coded token message", facebookLike, 400, graphBody(190, 460, "changed password", false), platform.TokenRejected, "Book rejected the access token: changed password (code 190, subcode 460)"},
		{"rate code", threadsLike, 400, graphBody(9, 2207042, "too many", false), platform.Transient, "Meta rate limit reached: too many"},
		{"80001 only where listed", threadsLike, 400, graphBody(80001, 0, "page", false), platform.Permanent, "Meta refused the request: page"},
		{"80001 on Facebook", facebookLike, 400, graphBody(80001, 0, "page", false), platform.Transient, "Book rate limit reached: page (code 80001)"},
		{"429", threadsLike, 429, "", platform.Transient, "Meta rate limit reached: Too Many Requests"},
		{"code 2", threadsLike, 400, graphBody(2, 0, "service", false), platform.Transient, "Meta error: service"},
		{"is_transient", threadsLike, 400, graphBody(100, 0, "later", true), platform.Transient, "Meta error: later"},
		{"is_transient not read when coded", facebookLike, 400, graphBody(100, 0, "later", true), platform.Permanent, "Book refused the request: later (code 100)"},
		{"5xx", threadsLike, 503, "", platform.Transient, "Meta error: Service Unavailable"},
		{"a coded body decides before a 5xx", facebookLike, 500, graphBody(100, 0, "bad", false), platform.Permanent, "Book refused the request: bad (code 100)"},
		{"5xx without a code when coded", facebookLike, 502, graphBody(0, 0, "ignored", false), platform.Transient, "Book error: Bad Gateway"},
		{"own refusal", facebookLike, 400, graphBody(506, 0, "dup", false), platform.Permanent, "Book refused a duplicate post: dup (code 506)"},
		{"3xx", threadsLike, 302, "", platform.Permanent, "Meta redirected the request; check OCTOPOST_META_API_URL"},
		{"other 4xx", threadsLike, 400, graphBody(100, 33, "no s3cret here", false), platform.Permanent, "Meta refused the request: no [redacted] here"},
		{"not json", threadsLike, 404, "<html>", platform.Permanent, "Meta refused the request: Not Found"},
	}
	for _, tc := range cases {
		g := Graph{Rules: tc.rules, Now: time.Now}
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{}}
		pe := g.Classify(resp, []byte(tc.body), "s3cret")
		require.Equal(t, tc.kind, pe.Kind, tc.name)
		require.Equal(t, tc.status, pe.Status, tc.name)
		require.Equal(t, tc.message, pe.Message, tc.name)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Unix(1_700_000_000, 0) }
	h := http.Header{}
	h.Set("X-Business-Use-Case-Usage", `{"1":[{"estimated_time_to_regain_access":3},{"estimated_time_to_regain_access":7}]}`)
	h.Set("X-Page-Usage", `{"estimated_time_to_regain_access":9}`)
	require.Equal(t, 7*time.Minute, RetryAfter(h, now, false), "X-Page-Usage only where the rules read it")
	require.Equal(t, 9*time.Minute, RetryAfter(h, now, true), "the longest estimate")
	h = http.Header{}
	h.Set("Retry-After", " 42 ")
	require.Equal(t, 42*time.Second, RetryAfter(h, now, false))
	h.Set("Retry-After", now().Add(90*time.Second).UTC().Format(http.TimeFormat))
	require.Equal(t, 90*time.Second, RetryAfter(h, now, false))
	require.Zero(t, RetryAfter(http.Header{}, now, true))
	g := Graph{Rules: threadsLike, Now: now}
	h = http.Header{}
	h.Set("X-Business-Use-Case-Usage", `{"1":[{"estimated_time_to_regain_access":5}]}`)
	pe := g.Classify(&http.Response{StatusCode: 400, Header: h}, []byte(graphBody(4, 0, "app", false)))
	require.Equal(t, 5*time.Minute, pe.RetryAfter)
}

func TestIDAcceptsStringsAndNumbers(t *testing.T) {
	t.Parallel()
	var v struct{ A, B ID }
	require.NoError(t, json.Unmarshal([]byte(`{"A":"17841","B":17841405793187218}`), &v))
	require.Equal(t, ID("17841"), v.A)
	require.Equal(t, ID("17841405793187218"), v.B)
	require.Error(t, json.Unmarshal([]byte(`{"A":true}`), &v))
}

// server answers with h on 127.0.0.1 and returns a Graph on it.
func server(t *testing.T, rules *Rules, h http.HandlerFunc) Graph {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return Graph{HTTP: srv.Client(), Base: srv.URL, Now: time.Now, Rules: rules}
}

func TestCallSendsTheTokenTheRulesWay(t *testing.T) {
	t.Parallel()
	var seen []string
	h := func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		seen = append(seen, r.Method+" "+r.URL.Path+" q="+r.URL.RawQuery+" form="+r.PostForm.Encode()+" auth="+r.Header.Get("Authorization")+" ct="+r.Header.Get("Content-Type"))
		_, _ = w.Write([]byte(`{"id":"1"}`))
	}
	var out struct{ ID ID }
	g := server(t, threadsLike, h)
	require.NoError(t, g.Call(t.Context(), http.MethodGet, "/v1/me", url.Values{"fields": {"id"}}, "tok", &out))
	require.NoError(t, g.Call(t.Context(), http.MethodPost, "/v1/x", url.Values{"a": {"b"}}, "tok", &out))
	fb := server(t, facebookLike, h)
	require.NoError(t, fb.Do(t.Context(), http.MethodGet, fb.Base+"/v21/me?fields=id", nil, "tok", &out))
	require.NoError(t, fb.Do(t.Context(), http.MethodPost, fb.Base+"/v21/feed", url.Values{"message": {"hi"}}, "tok", &out))
	require.Equal(t, []string{
		"GET /v1/me q=access_token=tok&fields=id form= auth= ct=",
		"POST /v1/x q= form=a=b&access_token=tok auth= ct=application/x-www-form-urlencoded",
		"GET /v21/me q=fields=id form= auth=Bearer tok ct=",
		"POST /v21/feed q= form=message=hi auth=Bearer tok ct=application/x-www-form-urlencoded",
	}, seen)
	require.Equal(t, ID("1"), out.ID)
}

func TestUnreadableAnswers(t *testing.T) {
	t.Parallel()
	h := func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{`)) }
	var out struct{}
	for _, tc := range []struct {
		rules  *Rules
		method string
		kind   platform.Kind
	}{
		{threadsLike, http.MethodPost, platform.Transient},
		{facebookLike, http.MethodGet, platform.Transient},
		{facebookLike, http.MethodPost, platform.Permanent}, // the post may exist
	} {
		err := server(t, tc.rules, h).Call(t.Context(), tc.method, "/x", url.Values{}, "tok", &out)
		var pe *platform.Error
		require.True(t, errors.As(err, &pe))
		require.Equal(t, tc.kind, pe.Kind, tc.rules.Name+" "+tc.method)
	}
}

func TestBoundedRead(t *testing.T) {
	t.Parallel()
	g := server(t, threadsLike, func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"id":"` + strings.Repeat("9", MaxResponse) + `"}`))
	})
	_, data, err := g.Send(t.Context(), http.MethodGet, g.Base+"/big", nil, nil)
	require.NoError(t, err)
	require.Len(t, data, MaxResponse)
}

func TestTransportErrorHidesSecrets(t *testing.T) {
	t.Parallel()
	g := server(t, threadsLike, func(w http.ResponseWriter, r *http.Request) {})
	g.HTTP = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("dial failed for tok and s3cret")
	})}
	err := g.Call(t.Context(), http.MethodGet, "/x", url.Values{}, "tok", &struct{}{}, "s3cret")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "tok")
	require.NotContains(t, err.Error(), "s3cret")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
