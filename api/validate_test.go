package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/apikey"
)

// bodyOperation is one operation of openapi.yaml that takes a request body, with a path
// that routes to it.
type bodyOperation struct {
	method, path string
	schema       *openapi3.Schema
}

var pathTemplateParam = regexp.MustCompile(`\{[^}]+\}`)

// bodyOperations lists, from the spec rather than by hand, every operation that takes a
// body; path parameters are filled with an id that exists nowhere, since validation comes
// before any handler looks one up.
func bodyOperations(t testing.TB) []bodyOperation {
	t.Helper()
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	var ops []bodyOperation
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				continue
			}
			media := op.RequestBody.Value.Content.Get("application/json")
			require.NotNil(t, media, "%s %s takes JSON", method, path)
			ops = append(ops, bodyOperation{
				method: method,
				path:   pathTemplateParam.ReplaceAllString(path, "x_missing"),
				schema: media.Schema.Value,
			})
		}
	}
	slices.SortFunc(ops, func(a, b bodyOperation) int { return strings.Compare(a.method+a.path, b.method+b.path) })
	require.NotEmpty(t, ops)
	return ops
}

// unknownFields is a JSON object of n fields no schema declares, named so that their
// order is the order kin-openapi reports them in (sorted).
func unknownFields(n int) string {
	var sb strings.Builder
	sb.WriteByte('{')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `"k%07d":1`, i)
	}
	sb.WriteByte('}')
	return sb.String()
}

// unknownFieldsOfSize is the largest such object that fits in size bytes.
func unknownFieldsOfSize(size int) string {
	const perField = len(`"k0000000":1,`)
	return unknownFields((size - 2) / perField)
}

func errorList(t *testing.T, r response) ([]map[string]any, bool) {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %.500s", r.raw)
	details, _ := r.body["details"].(map[string]any)
	list, _ := details["errors"].([]any)
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = e.(map[string]any)
	}
	truncated, present := details["truncated"]
	if present {
		require.Equal(t, true, truncated, "truncated is present only when true")
	}
	return out, present
}

// TestManyProblemsAreTruncated: a body with a great many problems is answered with the first
// 20 and truncated, on every operation that takes a body; one with a few lists them all.
func TestManyProblemsAreTruncated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	for _, op := range bodyOperations(t) {
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			list, truncated := errorList(t, b.do(t, op.method, op.path, live, unknownFields(100)))
			require.Len(t, list, 20)
			require.True(t, truncated)
			for i, e := range list {
				require.Equal(t, fmt.Sprintf("/k%07d", i), e["field"])
				require.NotEmpty(t, e["message"])
			}
		})
	}

	r := b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "", "platforms": ["myspace"], "colour": "red"}`)
	list, truncated := errorList(t, r)
	require.Len(t, list, 3)
	require.False(t, truncated)
	requireFields(t, r, "/colour", "/content", "/platforms/0")

	// Exactly 20 is not truncated; 21 is.
	list, truncated = errorList(t, b.do(t, http.MethodPost, "/v1/posts", live, strings.Replace(unknownFields(20), "{", `{"content": "x",`, 1)))
	require.Len(t, list, 20)
	require.False(t, truncated)
	list, truncated = errorList(t, b.do(t, http.MethodPost, "/v1/posts", live, strings.Replace(unknownFields(21), "{", `{"content": "x",`, 1)))
	require.Len(t, list, 20)
	require.True(t, truncated)
}

// TestValidationStatuses pins the status and field of each kind of request problem, so that
// an upgrade of the validator cannot silently change one.
func TestValidationStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)

	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi"}`, "Content-Type: text/plain"),
		400, "bad_request", "Content-Type must be application/json")
	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi"}`, "Content-Type: application/json; charset"),
		400, "bad_request", "Content-Type must be application/json")
	require.Equal(t, http.StatusCreated, b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi", "platforms": ["slack"]}`,
		"Content-Type: Application/JSON; charset=utf-8").status, "parameters and case do not matter")
	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, ""), 400, "bad_request", "Request body must be valid JSON")
	requireError(t, b.do(t, http.MethodPut, "/v1/presets/preset_x", live, ""), 400, "bad_request", "Request body must be valid JSON")
	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi"`), 400, "bad_request", "Request body must be valid JSON")

	for body, fields := range map[string][]string{
		// An unknown field is named by its own pointer, at any depth and through allOf.
		`{"content": "hi", "colour": "red"}`: {"/colour"},
		`{"content": "hi", "b": 1, "a": 2, "media": {"z": 1, "images": [{"url": "https://a.example/x.png", "y~/": 1, "x": 2}]}}`: {
			"/a", "/b", "/media/images/0/x", "/media/images/0/y~0~1", "/media/z"},
		`{"content": "hi", "media": {"video": {"url": "https://a.example/v.mp4", "fps": 30}}}`: {"/media/video/fps"},
		// A missing required field is named by its pointer, not its parent's.
		`{"platforms": ["slack"]}`:                       {"/content"},
		`{"content": "hi", "segments": [{"media": {}}]}`: {"/segments/0/content"},
	} {
		requireFields(t, b.do(t, http.MethodPost, "/v1/posts", live, body), fields...)
	}
	r := b.do(t, http.MethodPost, "/v1/posts", live, `{"platforms": ["slack"], "colour": "red"}`)
	requireFields(t, r, "/colour", "/content")
	list, _ := errorList(t, r)
	require.Equal(t, `property "colour" is unsupported`, list[0]["message"])
	require.Equal(t, `property "content" is missing`, list[1]["message"])
}

// TestRepeatedQueryParameter: a parameter that takes one value, given twice, is a 422 on it.
func TestRepeatedQueryParameter(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	for _, query := range []string{
		"limit=1&limit=100",
		"limit=1&limit=1",
		"status=draft&status=failed",
		"platform=slack&platform=discord",
		"cursor=a&cursor=b",
	} {
		name, _, _ := strings.Cut(query, "=")
		t.Run(query, func(t *testing.T) {
			r := b.do(t, http.MethodGet, "/v1/posts?"+query, live, "")
			requireFields(t, r, name)
			list, _ := errorList(t, r)
			require.Equal(t, "must be given at most once", list[0]["message"])
		})
	}
	r := b.do(t, http.MethodGet, "/v1/posts?limit=5&status=draft&status=draft&limit=6", live, "")
	requireFields(t, r, "limit", "status")
}

// TestUnparseableTimestamps: a date-time that passes a pattern but not Go's parser (a leap
// second) is a 422 on its field, for every date-time field of every request body.
func TestUnparseableTimestamps(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	var checked int
	for _, op := range bodyOperations(t) {
		for name, prop := range op.schema.Properties {
			if prop.Value.Format != "date-time" {
				continue
			}
			checked++
			for _, bad := range []string{"2027-06-01T23:59:60Z", "2027-02-30T10:00:00Z", "2027-06-01 10:00:00Z", "2027-06-01T10:00:00+24:00"} {
				body := fmt.Sprintf(`{"content": "hi", "platforms": ["slack"], %q: %q}`, name, bad)
				r := b.do(t, op.method, op.path, live, body)
				requireFields(t, r, "/"+name)
				list, _ := errorList(t, r)
				require.Contains(t, list[0]["message"], `"date-time"`, "refused by the validator, not by a later check")
			}
		}
	}
	require.Equal(t, 2, checked, "createPost and updatePost take scheduled_for")
}

// bodyTrap is a request body that records being read.
type bodyTrap struct {
	reads atomic.Int64
	r     io.Reader
}

func (b *bodyTrap) Read(p []byte) (int, error) {
	b.reads.Add(1)
	return b.r.Read(p)
}

// TestAuthenticationBeforeBody: a caller without a valid key gets 401 (or 403 without the
// permission) whatever the body, and the body is never read.
func TestAuthenticationBeforeBody(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	revokedKey, revoked, err := b.svc.CreateAPIKey(ctx, b.email, "revoked", service.ModeLive, nil)
	require.NoError(t, err)
	_, err = b.svc.RevokeAPIKey(ctx, revokedKey.ID)
	require.NoError(t, err)
	unknown, err := apikey.Generate(apikey.Live)
	require.NoError(t, err)
	reader := b.key(t, service.ModeLive, service.Permission("posts:read"))
	test := b.key(t, service.ModeTest)

	h, err := api.NewHandler(b.svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	refusing, err := api.NewHandler(b.svc, api.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), RefuseTestKeys: true})
	require.NoError(t, err)

	oversized := strings.Repeat("a", api.MaxBodyBytes+10)
	for name, c := range map[string]struct {
		handler       http.Handler
		authorization string
		status        int
	}{
		"no key":        {h, "", http.StatusUnauthorized},
		"malformed key": {h, "Bearer oct_live_short", http.StatusUnauthorized},
		"not bearer":    {h, "Basic " + reader, http.StatusUnauthorized},
		"unknown key":   {h, "Bearer " + unknown.Secret, http.StatusUnauthorized},
		"revoked key":   {h, "Bearer " + revoked, http.StatusUnauthorized},
		"wrong mode":    {refusing, "Bearer " + test, http.StatusUnauthorized},
		"no permission": {h, "Bearer " + reader, http.StatusForbidden},
	} {
		for bodyName, body := range map[string]string{"json": `{"content": "hi"}`, "not json": "<xml/>", "oversized": oversized} {
			t.Run(name+"/"+bodyName, func(t *testing.T) {
				t.Parallel()
				trap := &bodyTrap{r: strings.NewReader(body)}
				req := httptest.NewRequest(http.MethodPost, "/v1/posts", trap)
				req.ContentLength = int64(len(body))
				req.Header.Set("Content-Type", "text/plain")
				if c.authorization != "" {
					req.Header.Set("Authorization", c.authorization)
				}
				rec := httptest.NewRecorder()
				c.handler.ServeHTTP(rec, req)
				require.Equal(t, c.status, rec.Code, "body: %s", rec.Body)
				require.Zero(t, trap.reads.Load(), "the body was read")
			})
		}
	}

	// With a valid key the same oversized body is a 413.
	trap := &bodyTrap{r: strings.NewReader(oversized)}
	req := httptest.NewRequest(http.MethodPost, "/v1/posts", trap)
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+b.key(t, service.ModeLive))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusRequestEntityTooLarge, rec.Code, "body: %s", rec.Body)
}

// repeatJSON is a JSON array of n copies of item.
func repeatJSON(item string, n int) string {
	return "[" + strings.Repeat(item+",", n-1) + item + "]"
}

// TestLongArrays: an array over its maxItems is one problem on the array, whatever its
// items and whatever else is wrong in the body, because the body is not checked item by
// item (kin-openapi would report each bad item, up to the cap, after visiting them all).
func TestLongArrays(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	badImage := `{"url":1}`
	segment := `{"content": "x"}`
	for name, c := range map[string]struct {
		method, path, body string
		field, message     string
	}{
		"100,000 bad platforms": {
			http.MethodPost, "/v1/posts", `{"content": "hi", "platforms": ` + repeatJSON(`"x"`, 100_000) + `}`,
			"/platforms", "must have at most 12 items",
		},
		"13 platforms, on a preset": {
			http.MethodPut, "/v1/presets/preset_x", `{"platforms": ` + repeatJSON(`"slack"`, 13) + `}`,
			"/platforms", "must have at most 12 items",
		},
		"50,000 events": {
			http.MethodPost, "/v1/webhooks", `{"url": "https://a.example/hook", "events": ` + repeatJSON(`"post.published"`, 50_000) + `}`,
			"/events", "must have at most 5 items",
		},
		"100,000 bad images": {
			http.MethodPost, "/v1/posts",
			`{"content": "hi", "platforms": ["slack"], "media": {"images": ` + repeatJSON(badImage, 100_000) + `}}`,
			"/media/images", "must have at most 10 items",
		},
		"too many segments, and other problems": {
			http.MethodPost, "/v1/posts",
			`{"content": "", "colour": "red", "segments": ` + repeatJSON(`{"content": ""}`, 25) + `}`,
			"/segments", "must have at most 24 items",
		},
		"images of a segment, on update": {
			http.MethodPut, "/v1/posts/post_x",
			`{"segments": [` + segment + `, {"content": "x", "media": {"images": ` + repeatJSON(badImage, 11) + `}}]}`,
			"/segments/1/media/images", "must have at most 10 items",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := b.do(t, c.method, c.path, live, c.body)
			requireFields(t, r, c.field)
			list, truncated := errorList(t, r)
			require.Equal(t, c.message, list[0]["message"])
			require.False(t, truncated)
		})
	}

	t.Run("at most maxItems", func(t *testing.T) {
		t.Parallel()
		image := `{"url": "https://a.example/x.png"}`
		body := `{"content": "hi", "platforms": ["slack"], "media": {"images": ` + repeatJSON(image, 10) +
			`}, "segments": ` + repeatJSON(`{"content": "x", "media": {"images": `+repeatJSON(image, 10)+`}}`, 24) + `}`
		r := b.do(t, http.MethodPost, "/v1/posts", live, body)
		require.Equal(t, http.StatusCreated, r.status, "body: %.500s", r.raw)
	})

	t.Run("more long arrays than a 422 lists", func(t *testing.T) {
		t.Parallel()
		long := `{"content": "x", "media": {"images": ` + repeatJSON(badImage, 11) + `}}`
		r := b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi", "segments": `+repeatJSON(long, 24)+`}`)
		list, truncated := errorList(t, r)
		require.Len(t, list, 20)
		require.True(t, truncated)
		for i, e := range list {
			require.Equal(t, fmt.Sprintf("/segments/%d/media/images", i), e["field"])
		}
	})
}

// TestRequestArraysAreBounded: every array a request body can hold has a maxItems, which
// is what keeps a long array from being checked item by item (see api/arraybounds.go);
// an array of distinct values from an enum is bounded by the enum's length, the real
// limit. The walk follows $ref and allOf only, so an array under anyOf or oneOf fails.
func TestRequestArraysAreBounded(t *testing.T) {
	t.Parallel()
	var arrays []string
	var visit func(where string, s *openapi3.Schema, seen map[*openapi3.Schema]bool, viaChoice bool)
	visit = func(where string, s *openapi3.Schema, seen map[*openapi3.Schema]bool, viaChoice bool) {
		if s == nil || seen[s] {
			return
		}
		seen = maps.Clone(seen)
		seen[s] = true
		if s.Type.Is(openapi3.TypeArray) || s.Items != nil {
			arrays = append(arrays, where)
			require.False(t, viaChoice, "%s: an array under anyOf or oneOf is not walked", where)
			require.NotNil(t, s.MaxItems, "%s: an array in a request body needs maxItems", where)
			if items := s.Items.Value; s.UniqueItems && len(items.Enum) > 0 {
				require.EqualValues(t, len(items.Enum), *s.MaxItems, "%s: distinct values of an enum", where)
			}
			visit(where+"/0", s.Items.Value, seen, viaChoice)
		}
		for name, p := range s.Properties {
			visit(where+"/"+name, p.Value, seen, viaChoice)
		}
		if s.AdditionalProperties.Schema != nil {
			visit(where+"/*", s.AdditionalProperties.Schema.Value, seen, viaChoice)
		}
		for _, sub := range s.AllOf {
			visit(where, sub.Value, seen, viaChoice)
		}
		for _, sub := range slices.Concat(s.AnyOf, s.OneOf) {
			visit(where, sub.Value, seen, true)
		}
	}
	for _, op := range bodyOperations(t) {
		visit(op.method+" "+op.path+" ", op.schema, map[*openapi3.Schema]bool{}, false)
	}
	require.Contains(t, arrays, "POST /v1/posts /segments/0/media/images", "the walk reaches nested arrays")

	// The enums are the service's own lists.
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	require.Len(t, spec.Components.Schemas["Platform"].Value.Enum, len(service.Platforms))
	require.Len(t, spec.Components.Schemas["WebhookEvent"].Value.Enum, len(service.WebhookEvents))
}
