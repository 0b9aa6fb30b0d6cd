package api_test

// Promises openapi.yaml makes about itself, checked against a running server: every
// request example works as written, a path id that names nothing is a 404 however long it
// is, and the enum that must repeat Platform's values does. Each test derives its cases
// from the spec, so a new example, operation or path parameter is covered without a line
// here; one that needs setup this file does not know fails, naming what is missing.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/mastodon"
)

// extKeyMode marks a request example that needs a key of another mode than test.
const extKeyMode = "x-octopost-key-mode"

// requestExample is one documented request body of an operation.
type requestExample struct {
	name string
	mode service.Mode
	body string // JSON
}

// requestExamples lists an operation's request body examples (`example`, then `examples`
// by name); none when it takes no body.
func requestExamples(t *testing.T, op *openapi3.Operation) []requestExample {
	t.Helper()
	if op.RequestBody == nil {
		return nil
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	require.NotNil(t, mt, "%s takes no application/json body", op.OperationID)
	encode := func(v any) string {
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		return string(raw)
	}
	var out []requestExample
	if mt.Example != nil {
		out = append(out, requestExample{name: "example", mode: service.ModeTest, body: encode(mt.Example)})
	}
	names := make([]string, 0, len(mt.Examples))
	for name := range mt.Examples {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		ex := mt.Examples[name].Value
		mode := service.ModeTest
		if m, ok := ex.Extensions[extKeyMode]; ok {
			mode = service.Mode(fmt.Sprint(m))
			require.True(t, mode == service.ModeLive || mode == service.ModeTest, "%s example %s: %s is %q", op.OperationID, name, extKeyMode, m)
		}
		out = append(out, requestExample{name: name, mode: mode, body: encode(ex.Value)})
	}
	return out
}

// queryExample is the query string the operation's parameter examples make, if any.
func queryExample(op *openapi3.Operation) url.Values {
	q := url.Values{}
	for _, p := range op.Parameters {
		if p.Value.In == openapi3.ParameterInQuery && p.Value.Example != nil {
			q.Set(p.Value.Name, fmt.Sprint(p.Value.Example))
		}
	}
	return q
}

// successStatus is the lowest 2xx status the operation documents.
func successStatus(t *testing.T, op *openapi3.Operation) int {
	t.Helper()
	best := 0
	for code := range op.Responses.Map() {
		n, err := strconv.Atoi(code)
		if err == nil && n >= 200 && n < 300 && (best == 0 || n < best) {
			best = n
		}
	}
	require.NotZero(t, best, "%s documents no success status", op.OperationID)
	return best
}

type specOp struct {
	method, path string
	item         *openapi3.PathItem
	op           *openapi3.Operation
}

func specOps(t *testing.T) []specOp {
	t.Helper()
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	var out []specOp
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			out = append(out, specOp{method: method, path: path, item: item, op: op})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].op.OperationID < out[j].op.OperationID })
	return out
}

// pathParams are the operation's path parameters, from its path item and itself.
func (o specOp) pathParams() []*openapi3.Parameter {
	var out []*openapi3.Parameter
	for _, params := range []openapi3.Parameters{o.item.Parameters, o.op.Parameters} {
		for _, p := range params {
			if p.Value.In == openapi3.ParameterInPath {
				out = append(out, p.Value)
			}
		}
	}
	return out
}

// redirectTo sends every request to the fake platform at base, whatever host it names:
// the examples name real platforms, and tests never leave the machine.
type redirectTo struct {
	base      *url.URL
	transport http.RoundTripper
}

func (r redirectTo) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.base.Scheme, r.base.Host, ""
	return r.transport.RoundTrip(req)
}

// setupExamples is a server whose live Mastodon accounts live on a fake instance, which
// every instance_url reaches.
func setupExamples(t *testing.T) (*testBundle, *fake.Mastodon) {
	t.Helper()
	m := fake.NewMastodon(t)
	base, err := url.Parse(m.URL)
	require.NoError(t, err)
	client := &http.Client{Timeout: 10 * time.Second, Transport: redirectTo{base: base, transport: &http.Transport{}}}
	b := setupWith(t, setupOptions{service: service.Config{
		Adapters: map[service.Platform]platform.Adapter{"mastodon": mastodon.New(client)},
		OAuth:    xOAuth(fake.NewTwitterOAuth(t)), // X connects through OAuth (oauth_test.go)
	}})
	return b, m
}

// resource creates what a path parameter names, for the key, and returns its id.
func resource(t *testing.T, b *testBundle, key, param string) string {
	t.Helper()
	var r response
	switch param {
	case "post_id":
		r = b.do(t, http.MethodPost, "/v1/posts", key, `{"content": "Set up", "platforms": ["bluesky"]}`)
	case "preset_id":
		r = b.do(t, http.MethodPost, "/v1/presets", key, `{"name": "Set up", "platforms": ["bluesky"]}`)
	case "webhook_id":
		r = b.do(t, http.MethodPost, "/v1/webhooks", key, `{"url": "https://hooks.example.com/setup", "events": ["post.published"]}`)
	case "account_id":
		r = b.do(t, http.MethodPost, "/v1/accounts", key, `{"platform": "bluesky"}`)
	default:
		t.Fatalf("no setup for path parameter %q: teach resource() to create one", param)
	}
	require.Equal(t, http.StatusCreated, r.status, "set up %s: %s", param, r.raw)
	id, _ := r.body["id"].(string)
	require.NotEmpty(t, id)
	return id
}

// TestRequestExamplesSucceed sends every request example in openapi.yaml (bodies, and
// query parameters' examples) with a key of the mode it names, to a fresh resource where
// the path names one, and expects the operation's documented success status.
func TestRequestExamplesSucceed(t *testing.T) {
	t.Parallel()
	b, m := setupExamples(t)
	keys := map[service.Mode]string{service.ModeTest: b.key(t, service.ModeTest), service.ModeLive: b.key(t, service.ModeLive)}
	sent := 0
	for _, o := range specOps(t) {
		examples := requestExamples(t, o.op)
		query := queryExample(o.op)
		if o.op.RequestBody != nil {
			require.NotEmpty(t, examples, "%s takes a body but documents no example of it", o.op.OperationID)
		} else if len(query) > 0 {
			examples = []requestExample{{name: "parameters", mode: service.ModeTest}}
		}
		for _, ex := range examples {
			t.Run(o.op.OperationID+"/"+ex.name, func(t *testing.T) {
				key := keys[ex.mode]
				path := o.path
				for _, p := range o.pathParams() {
					id := resource(t, b, key, p.Name)
					// The parameter's own example has the shape of a real id.
					if p.Example != nil {
						prefix, _, _ := strings.Cut(fmt.Sprint(p.Example), "_")
						require.True(t, strings.HasPrefix(id, prefix+"_"), "%s example %v, real id %s", p.Name, p.Example, id)
					}
					path = strings.ReplaceAll(path, "{"+p.Name+"}", url.PathEscape(id))
				}
				if len(query) > 0 {
					path += "?" + query.Encode()
				}
				// The fake platform accepts whatever credentials the example carries.
				var creds struct {
					AccessToken string `json:"access_token"`
				}
				if ex.body != "" {
					require.NoError(t, json.Unmarshal([]byte(ex.body), &creds))
				}
				if creds.AccessToken != "" {
					m.Token = creds.AccessToken
				}
				r := b.do(t, o.method, path, key, ex.body)
				require.Equal(t, successStatus(t, o.op), r.status, "%s %s %s: %s", o.method, path, ex.body, r.raw)
			})
			sent++
		}
	}
	// createPost, updatePost, connectAccount (2), createPreset, updatePreset,
	// createWebhook, updateWebhook, listPosts: no fewer than when this test was written.
	require.GreaterOrEqual(t, sent, 10)
}

// TestLongPathIDsAreNotFound: no id is longer than 100 characters, but the contract does
// not limit the length of a path id, so one that names nothing is a 404 at any length, on
// every operation that takes one (it was an undocumented 422).
func TestLongPathIDsAreNotFound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	key := b.key(t, service.ModeTest)
	checked := 0
	for _, o := range specOps(t) {
		params := o.pathParams()
		if len(params) == 0 {
			continue
		}
		var body string
		if examples := requestExamples(t, o.op); len(examples) > 0 {
			body = examples[0].body
		}
		for _, n := range []int{101, 4000} {
			path := o.path
			for _, p := range params {
				prefix, _, _ := strings.Cut(fmt.Sprint(p.Example), "_")
				path = strings.ReplaceAll(path, "{"+p.Name+"}", prefix+"_"+strings.Repeat("X", n-len(prefix)-1))
			}
			r := b.do(t, o.method, path, key, body)
			require.Equal(t, http.StatusNotFound, r.status, "%s %s (%d characters): %s", o.method, o.path, n, r.raw)
			require.Equal(t, "not_found", r.body["code"], "body: %s", r.raw)
		}
		checked++
	}
	require.GreaterOrEqual(t, checked, 13)
}

// TestNullablePlatformListsThePlatforms keeps the one enum that has to repeat Platform's
// values (OpenAPI 3.0 cannot add null to a $ref'd enum) in step with it.
func TestNullablePlatformListsThePlatforms(t *testing.T) {
	t.Parallel()
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	platforms := spec.Components.Schemas["Platform"].Value
	nullable := spec.Components.Schemas["NullablePlatform"].Value
	require.True(t, nullable.Nullable)
	require.Equal(t, append(slices.Clone(platforms.Enum), nil), nullable.Enum)
	var want []any
	for _, p := range service.Platforms {
		want = append(want, string(p))
	}
	require.ElementsMatch(t, want, platforms.Enum, "the contract's platforms are the service's")
}

// TestNonNullableFieldsRefuseNull sends each operation's first request example with one
// top-level field set to null at a time: a field that is not nullable (by OpenAPI 3.0.3:
// `nullable` beside the `type` of its own schema) must be a 422 naming it, default or not;
// a nullable one must not be refused for it.
func TestNonNullableFieldsRefuseNull(t *testing.T) {
	t.Parallel()
	b := setup(t)
	testKey, liveKey := b.key(t, service.ModeTest), b.key(t, service.ModeLive)
	checked := 0
	for _, o := range specOps(t) {
		examples := requestExamples(t, o.op)
		if len(examples) == 0 {
			continue
		}
		// A test key would be refused before the body is read where only live keys may call.
		key := testKey
		if liveOnly, _ := o.op.Extensions["x-octopost-live-only"].(bool); liveOnly {
			key = liveKey
		}
		schema := o.op.RequestBody.Value.Content.Get("application/json").Schema.Value
		path := o.path
		for _, p := range o.pathParams() {
			path = strings.ReplaceAll(path, "{"+p.Name+"}", resource(t, b, key, p.Name))
		}
		names := make([]string, 0, len(schema.Properties))
		for name := range schema.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			var body map[string]any
			require.NoError(t, json.Unmarshal([]byte(examples[0].body), &body))
			body[name] = nil
			raw, err := json.Marshal(body)
			require.NoError(t, err)
			r := b.do(t, o.method, path, key, string(raw))
			prop := schema.Properties[name].Value
			if prop.Nullable && prop.Type != nil {
				require.NotContains(t, fieldsOf(r), "/"+name, "%s: null %s: %s", o.op.OperationID, name, r.raw)
				continue
			}
			require.Equal(t, http.StatusUnprocessableEntity, r.status, "%s: null %s: %s", o.op.OperationID, name, r.raw)
			require.Contains(t, fieldsOf(r), "/"+name, "%s: null %s: %s", o.op.OperationID, name, r.raw)
			checked++
		}
	}
	require.Greater(t, checked, 30)
}
