package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/apikey"
)

func requireUnauthorized(t *testing.T, r response) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.status, "body: %s", r.raw)
	require.JSONEq(t, `{"error": "Invalid or expired API key", "code": "unauthorized"}`, string(r.raw))
	require.Equal(t, `Bearer realm="octopost"`, r.header.Get("WWW-Authenticate"))
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
}

func requireForbidden(t *testing.T, r response) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, r.status, "body: %s", r.raw)
	require.JSONEq(t, `{"error": "API key does not have permission for this action", "code": "forbidden"}`, string(r.raw))
}

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	unknown, err := apikey.Generate(apikey.Live)
	require.NoError(t, err)
	last := "a"
	if strings.HasSuffix(live, "a") {
		last = "b"
	}
	flipped := live[:len(live)-1] + last

	for name, header := range map[string]string{
		"missing header":        "",
		"not bearer":            "Basic " + live,
		"no scheme":             live,
		"empty key":             "Bearer ",
		"two spaces":            "Bearer  " + live,
		"trailing junk":         "Bearer " + live + " x",
		"malformed key":         "Bearer oct_live_short",
		"bad checksum":          "Bearer " + flipped,
		"unknown key":           "Bearer " + unknown.Secret,
		"wrong prefix":          "Bearer " + strings.Replace(live, "oct_live_", "oct_prod_", 1),
		"test prefix live body": "Bearer " + strings.Replace(live, "oct_live_", "oct_test_", 1),
	} {
		t.Run(name, func(t *testing.T) {
			var headers []string
			if header != "" {
				headers = append(headers, "Authorization: "+header)
			}
			requireUnauthorized(t, b.do(t, http.MethodGet, "/v1/posts", "", "", headers...))
		})
	}
}

func TestBearerSchemeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodGet, "/v1/posts", "", "", "Authorization: bearer "+live)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
}

func TestAuthenticationComesBeforeValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	requireUnauthorized(t, b.do(t, http.MethodPost, "/v1/posts", "", `{"bogus": 1}`))
	readOnly := b.key(t, service.ModeLive, "posts:read")
	requireForbidden(t, b.do(t, http.MethodPost, "/v1/posts", readOnly, `{"bogus": 1}`))
}

func TestRevocationIsImmediate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	k, secret, err := b.svc.CreateAPIKey(ctx, b.email, "rotating", service.ModeLive, nil)
	require.NoError(t, err)
	other := b.key(t, service.ModeLive)
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/posts", secret, "").status)

	_, err = b.svc.RevokeAPIKey(ctx, k.ID)
	require.NoError(t, err)
	requireUnauthorized(t, b.do(t, http.MethodGet, "/v1/posts", secret, ""))
	// Other keys of the same user keep working: several keys can be active at once.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/posts", other, "").status)
}

func TestLastUsedAtIsRecordedAtMostOnceAMinute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	k, secret, err := b.svc.CreateAPIKey(ctx, b.email, "usage", service.ModeLive, nil)
	require.NoError(t, err)
	lastUsed := func() *time.Time {
		keys, err := b.svc.ListAPIKeys(ctx, b.email)
		require.NoError(t, err)
		for _, got := range keys {
			if got.ID == k.ID {
				return got.LastUsedAt
			}
		}
		t.Fatal("key not listed")
		return nil
	}
	require.Nil(t, lastUsed())

	b.do(t, http.MethodGet, "/v1/posts", secret, "")
	first := lastUsed()
	require.NotNil(t, first)
	require.True(t, first.Equal(b.clock.Now()))

	b.clock.Advance(30 * time.Second)
	b.do(t, http.MethodGet, "/v1/posts", secret, "")
	require.True(t, lastUsed().Equal(*first), "updated again within a minute")

	b.clock.Advance(31 * time.Second)
	b.do(t, http.MethodGet, "/v1/posts", secret, "")
	require.True(t, lastUsed().Equal(b.clock.Now()))
}

func TestModesAreIsolated(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live, test := b.key(t, service.ModeLive), b.key(t, service.ModeTest)
	other := b.otherUserKey(t, service.ModeLive)

	livePost := b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "live", "platforms": ["bluesky"]}`)
	require.Equal(t, http.StatusCreated, livePost.status)
	testPost := b.do(t, http.MethodPost, "/v1/posts", test, `{"content": "test", "platforms": ["bluesky"]}`)
	require.Equal(t, http.StatusCreated, testPost.status)
	liveID, testID := livePost.body["id"].(string), testPost.body["id"].(string)

	for _, c := range []struct {
		key, id string
	}{{test, liveID}, {live, testID}, {other, liveID}} {
		requireError(t, b.do(t, http.MethodGet, "/v1/posts/"+c.id, c.key, ""), 404, "not_found", "Post not found")
		requireError(t, b.do(t, http.MethodPut, "/v1/posts/"+c.id, c.key, `{"content": "x"}`), 404, "not_found", "Post not found")
		requireError(t, b.do(t, http.MethodDelete, "/v1/posts/"+c.id, c.key, ""), 404, "not_found", "Post not found")
	}
	for key, want := range map[string]string{live: liveID, test: testID} {
		list := b.do(t, http.MethodGet, "/v1/posts", key, "")
		posts := list.body["posts"].([]any)
		require.Len(t, posts, 1)
		require.Equal(t, want, posts[0].(map[string]any)["id"])
	}
	require.Empty(t, b.do(t, http.MethodGet, "/v1/posts", other, "").body["posts"])
}

func TestRefuseTestKeys(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{api: api.Options{RefuseTestKeys: true}})
	requireUnauthorized(t, b.do(t, http.MethodGet, "/v1/posts", b.key(t, service.ModeTest), ""))
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/posts", b.key(t, service.ModeLive), "").status)
}

// liveOnlySpec is openapi.yaml with listPosts marked live-only, to prove the extension is
// enforced generically, for whichever operation carries it.
func liveOnlySpec(t *testing.T) *openapi3.T {
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	op := spec.Paths.Find("/v1/posts").Get
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions["x-octopost-live-only"] = true
	return spec
}

func TestLiveOnlyOperations(t *testing.T) {
	t.Parallel()
	b := setupWith(t, setupOptions{api: api.Options{Spec: liveOnlySpec(t)}})
	requireUnauthorized(t, b.do(t, http.MethodGet, "/v1/posts", b.key(t, service.ModeTest), ""))
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/posts", b.key(t, service.ModeLive), "").status)
	// Other operations still take test keys.
	require.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/v1/presets", b.key(t, service.ModeTest), "").status)
}

func TestSpecWithoutPermissionIsRefused(t *testing.T) {
	t.Parallel()
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	delete(spec.Paths.Find("/v1/presets").Get.Extensions, "x-octopost-permission")
	_, err = api.NewHandler(nil, api.Options{Spec: spec})
	require.ErrorContains(t, err, "x-octopost-permission")
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)

	r := b.do(t, http.MethodGet, "/v1/posts", live, "", "X-Request-Id: my-trace.42")
	require.Equal(t, "my-trace.42", r.header.Get("X-Request-Id"))

	// Errors carry it too, and an insane one is replaced.
	r = b.do(t, http.MethodGet, "/v1/posts", "", "", "X-Request-Id: bad id\twith tabs")
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.True(t, strings.HasPrefix(r.header.Get("X-Request-Id"), "req_"), r.header.Get("X-Request-Id"))

	r = b.do(t, http.MethodGet, "/v1/posts", "", "", "X-Request-Id: "+strings.Repeat("a", 200))
	require.NotEqual(t, strings.Repeat("a", 200), r.header.Get("X-Request-Id"))

	first := b.do(t, http.MethodGet, "/nowhere", "", "").header.Get("X-Request-Id")
	second := b.do(t, http.MethodGet, "/nowhere", "", "").header.Get("X-Request-Id")
	require.NotEqual(t, first, second)
}

func TestUnknownRouteAndMethod(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	requireError(t, b.do(t, http.MethodGet, "/v1/nothing", live, ""), 404, "not_found", "Not found")

	r := b.do(t, http.MethodPatch, "/v1/posts/post_123", live, `{}`)
	requireError(t, r, 405, "method_not_allowed", "Method not allowed")
	require.Equal(t, "GET, PUT, DELETE", r.header.Get("Allow"))

	r = b.do(t, http.MethodDelete, "/v1/posts", live, "")
	requireError(t, r, 405, "method_not_allowed", "Method not allowed")
	require.Equal(t, "GET, POST", r.header.Get("Allow"))
}

func TestMalformedBodies(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)

	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `{"content": `), 400, "bad_request", "Request body must be valid JSON")
	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `not json`), 400, "bad_request", "Request body must be valid JSON")
	for _, trailing := range []string{` x`, `}`, `{"content": "second"}`} {
		requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi", "platforms": ["bluesky"]}`+trailing),
			400, "bad_request", "Request body must be valid JSON")
	}
	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `content=hi`, "Content-Type: application/x-www-form-urlencoded"),
		400, "bad_request", "Content-Type must be application/json")
	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi", "platforms": ["bluesky"]}`, "Content-Type: text/plain"),
		400, "bad_request", "Content-Type must be application/json")

	r := b.do(t, http.MethodPost, "/v1/posts", live, "")
	require.Equal(t, 400, r.status, "body: %s", r.raw)
	require.Equal(t, "bad_request", r.body["code"])
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	big := `{"content": "` + strings.Repeat("a", api.MaxBodyBytes) + `"}`
	requireError(t, b.do(t, http.MethodPost, "/v1/posts", live, big), 413, "payload_too_large", "Request body must not exceed 1048576 bytes")

	// Just under the limit is read and validated (and fails on content length, not size).
	justUnder := `{"content": "` + strings.Repeat("a", api.MaxBodyBytes-40) + `", "platforms": ["x"]}`
	r := b.do(t, http.MethodPost, "/v1/posts", live, justUnder)
	require.Equal(t, 422, r.status)
}

func TestUnknownFieldsAreNamed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi", "platforms": ["bluesky"], "colour": "red"}`)
	requireFields(t, r, "/colour")
	r = b.do(t, http.MethodPost, "/v1/posts", live, `{"content": "hi", "platforms": ["bluesky"], "media": {"images": [{"url": "https://a.example/x.png", "caption": "c"}]}}`)
	requireFields(t, r, "/media/images/0/caption")
}

func TestUncleanPathsAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	for _, p := range []string{"/v1//posts", "/v1/posts/../presets", "/v1/./posts", "/v1/posts/"} {
		requireError(t, b.do(t, http.MethodGet, p, live, ""), 404, "not_found", "Not found")
	}
}

// TestBodiesOnlyWhereTheSpecTakesOne: an operation without a request body ignores one, so
// it never answers a status its contract does not list (400, 413).
func TestBodiesOnlyWhereTheSpecTakesOne(t *testing.T) {
	t.Parallel()
	b := setup(t)
	live := b.key(t, service.ModeLive)
	r := b.do(t, http.MethodGet, "/v1/presets", live, `not json at all`)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
	r = b.do(t, http.MethodDelete, "/v1/posts/post_missing", live, `{"content": "`+strings.Repeat("a", api.MaxBodyBytes)+`"}`)
	requireError(t, r, 404, "not_found", "Post not found")
}
