package api_test

import (
	"net/http"
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service"
)

// operation is one operation of openapi.yaml, ready to be called.
type operation struct {
	id, method, path, body string
	permission             service.Permission
	liveOnly               bool
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// specOperations lists every operation in openapi.yaml with the permission it declares, a
// concrete path (ids of resources that do not exist) and its documented example body.
func specOperations(t *testing.T) []operation {
	t.Helper()
	spec, err := oapi.GetSpec()
	require.NoError(t, err)
	var ops []operation
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			if public, _ := op.Extensions["x-octopost-public"].(bool); public {
				continue // the keyless health probes: health_test.go
			}
			perm, _ := op.Extensions["x-octopost-permission"].(string)
			require.NotEmpty(t, perm, "%s %s has no x-octopost-permission", method, path)
			liveOnly, _ := op.Extensions["x-octopost-live-only"].(bool)
			o := operation{
				id: op.OperationID, method: method, permission: service.Permission(perm), liveOnly: liveOnly,
				path: pathParam.ReplaceAllString(path, "missing_id"),
			}
			if op.RequestBody != nil {
				examples := requestExamples(t, op)
				require.NotEmpty(t, examples, "%s has no request example", op.OperationID)
				o.body = examples[0].body
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].id < ops[j].id })
	require.NotEmpty(t, ops)
	return ops
}

// TestPermissionMatrix holds every operation to its declared permission: a key without it
// gets the exact 403, a key with only it (or with no permissions at all, which means full
// access) gets past authorization, and a test key on a live-only operation gets 401.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	noPermissions := b.key(t, service.ModeLive)
	testKey := b.key(t, service.ModeTest)
	only := map[service.Permission]string{}
	allBut := map[service.Permission]string{}
	for _, p := range service.Permissions {
		only[p] = b.key(t, service.ModeLive, p)
		var rest []service.Permission
		for _, q := range service.Permissions {
			if q != p {
				rest = append(rest, q)
			}
		}
		allBut[p] = b.key(t, service.ModeLive, rest...)
	}
	passedAuth := func(t *testing.T, r response) {
		t.Helper()
		require.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, r.status, "body: %s", r.raw)
	}

	for _, op := range specOperations(t) {
		t.Run(op.id, func(t *testing.T) {
			requireForbidden(t, b.do(t, op.method, op.path, allBut[op.permission], op.body))
			passedAuth(t, b.do(t, op.method, op.path, only[op.permission], op.body))
			passedAuth(t, b.do(t, op.method, op.path, noPermissions, op.body))
			if op.liveOnly {
				requireUnauthorized(t, b.do(t, op.method, op.path, testKey, op.body))
			} else {
				passedAuth(t, b.do(t, op.method, op.path, testKey, op.body))
			}
			requireUnauthorized(t, b.do(t, op.method, op.path, "", op.body))
		})
	}
}

// TestWriteDoesNotImplyRead checks the contract's rule for every resource.
func TestWriteDoesNotImplyRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, path := range []string{"/v1/posts", "/v1/presets", "/v1/webhooks"} {
		resource := path[len("/v1/"):]
		requireForbidden(t, b.do(t, http.MethodGet, path, b.key(t, service.ModeLive, service.Permission(resource+":write")), ""))
	}
}
