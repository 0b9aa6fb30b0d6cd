package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
	"github.com/octopost/octopost/service/apikey"
)

const aPost = `{"content": "Hello", "platforms": ["bluesky"]}`

// TestPermissions checks scopes (403) and every kind of bad key (401), with the
// contract's exact bodies.
func TestPermissions(t *testing.T) {
	t.Parallel()
	e := pgEnv(t)
	srv := startServer(t, e)
	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	readOnly := createKey(t, dir, e, "dev@example.com", "live", "posts:read")
	require.Equal(t, []string{"posts:read"}, readOnly.Permissions)
	writeOnly := createKey(t, dir, e, "dev@example.com", "live", "posts:write")
	presetsOnly := createKey(t, dir, e, "dev@example.com", "test", "presets:read", "presets:write")
	full := createKey(t, dir, e, "dev@example.com", "live")
	require.Empty(t, full.Permissions, "no permissions means full access")

	t.Run("missing permission is 403", func(t *testing.T) {
		requireForbidden(t, send(t, srv, http.MethodPost, "/v1/posts", readOnly.Key, aPost))
		require.Equal(t, http.StatusOK, get(t, srv, "/v1/posts", readOnly.Key).status)

		// :write does not imply :read.
		require.Equal(t, http.StatusCreated, send(t, srv, http.MethodPost, "/v1/posts", writeOnly.Key, aPost).status)
		requireForbidden(t, get(t, srv, "/v1/posts", writeOnly.Key))

		requireForbidden(t, get(t, srv, "/v1/posts", presetsOnly.Key))
		requireForbidden(t, get(t, srv, "/v1/webhooks", presetsOnly.Key))
		require.Equal(t, http.StatusOK, get(t, srv, "/v1/presets", presetsOnly.Key).status)

		// The permission is checked before the body: a bad body still gets 403.
		requireForbidden(t, send(t, srv, http.MethodPost, "/v1/posts", readOnly.Key, `{"bogus": 1}`))

		// The generated client decodes the 403 as the contract declares it.
		c := client(t, srv, readOnly.Key)
		resp, err := c.CreatePostWithResponse(t.Context(), nil, oapi.CreatePostRequest{Content: "x", Platforms: &[]oapi.Platform{"slack"}})
		requireStatus(t, http.StatusForbidden, resp, err)
		require.Equal(t, oapi.ErrorCode("forbidden"), resp.JSON403.Code)
	})

	t.Run("full access", func(t *testing.T) {
		for _, path := range []string{"/v1/posts", "/v1/presets", "/v1/webhooks"} {
			require.Equal(t, http.StatusOK, get(t, srv, path, full.Key).status, path)
		}
		require.Equal(t, http.StatusCreated, send(t, srv, http.MethodPost, "/v1/posts", full.Key, aPost).status)
	})

	t.Run("bad keys are 401", func(t *testing.T) {
		unknown, err := apikey.Generate(apikey.Live)
		require.NoError(t, err)
		unknownTest, err := apikey.Generate(apikey.Test)
		require.NoError(t, err)
		flipped := full.Key[:len(full.Key)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(full.Key, "a")]
		for name, header := range map[string]string{
			"missing header":   "",
			"empty bearer":     "Bearer ",
			"not bearer":       "Basic " + full.Key,
			"no scheme":        full.Key,
			"trailing junk":    "Bearer " + full.Key + " x",
			"malformed key":    "Bearer oct_live_short",
			"bad checksum":     "Bearer " + flipped,
			"wrong prefix":     "Bearer " + strings.Replace(full.Key, "oct_live_", "oct_prod_", 1),
			"unknown live key": "Bearer " + unknown.Secret,
			"unknown test key": "Bearer " + unknownTest.Secret,
		} {
			t.Run(name, func(t *testing.T) {
				var headers []string
				if header != "" {
					headers = append(headers, "Authorization: "+header)
				}
				requireUnauthorized(t, get(t, srv, "/v1/posts", "", headers...))
				requireUnauthorized(t, do(t, srv, http.MethodPost, "/v1/posts", "", strings.NewReader(aPost), headers...))
			})
		}
	})
}

// TestRevocationMidSession revokes a key with the CLI, in a separate process, while the
// server runs: the very next request with it is refused.
func TestRevocationMidSession(t *testing.T) {
	t.Parallel()
	e := pgEnv(t)
	srv := startServer(t, e)
	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	doomed := createKey(t, dir, e, "dev@example.com", "live")
	other := createKey(t, dir, e, "dev@example.com", "live")

	require.Equal(t, http.StatusOK, get(t, srv, "/v1/posts", doomed.Key).status)
	require.Equal(t, http.StatusCreated, send(t, srv, http.MethodPost, "/v1/posts", doomed.Key, aPost).status)

	revokeKey(t, e, doomed.ID)
	requireUnauthorized(t, get(t, srv, "/v1/posts", doomed.Key))
	requireUnauthorized(t, send(t, srv, http.MethodPost, "/v1/posts", doomed.Key, aPost))

	// The user's other key is untouched, and still sees the post the revoked key made.
	list := get(t, srv, "/v1/posts", other.Key)
	require.Equal(t, http.StatusOK, list.status)
	require.Len(t, list.body["posts"], 1)

	var listed []map[string]any
	require.NoError(t, json.Unmarshal([]byte(cli(t, e, "keys", "list", "--user", "dev@example.com", "--json")), &listed))
	revoked := map[string]bool{}
	for _, k := range listed {
		revoked[k["id"].(string)] = k["revoked_at"] != nil
		require.NotNil(t, k["last_used_at"], "both keys were used")
	}
	require.Equal(t, map[string]bool{doomed.ID: true, other.ID: false}, revoked)
}

// TestTwoInstancesOneDatabase runs two servers on one PostgreSQL database: they migrate
// it concurrently at start-up, share data, and both honour a revocation at once.
func TestTwoInstancesOneDatabase(t *testing.T) {
	t.Parallel()
	e := pgEnv(t)
	// Both processes start at the same moment against an empty database, so their
	// migrations race; both must come up.
	servers := startServers(t, t.TempDir(), 2, e)
	a, b := servers[0], servers[1]
	require.NotEqual(t, a.url, b.url)
	require.Contains(t, cli(t, e, "migrate"), "migrations applied (postgres)")

	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	doomed := createKey(t, dir, e, "dev@example.com", "live")
	survivor := createKey(t, dir, e, "dev@example.com", "live")

	created := send(t, a, http.MethodPost, "/v1/posts", doomed.Key, aPost)
	require.Equal(t, http.StatusCreated, created.status, "body: %s", created.raw)
	id := created.body["id"].(string)
	seen := get(t, b, "/v1/posts/"+id, doomed.Key)
	require.Equal(t, http.StatusOK, seen.status, "body: %s", seen.raw)
	require.Equal(t, created.body, seen.body, "B sees the post A created")

	// Revoked while both run: the next request to either is refused, with no restart.
	revokeKey(t, e, doomed.ID)
	requireUnauthorized(t, get(t, a, "/v1/posts/"+id, doomed.Key))
	requireUnauthorized(t, get(t, b, "/v1/posts/"+id, doomed.Key))

	// Other keys keep working on both, and a key made now works on both at once.
	fresh := createKey(t, dir, e, "dev@example.com", "live")
	for _, srv := range servers {
		for _, k := range []apiKey{survivor, fresh} {
			r := get(t, srv, "/v1/posts/"+id, k.Key)
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.raw)
		}
	}
	revokeKey(t, e, fresh.ID)
	requireUnauthorized(t, get(t, b, "/v1/posts", fresh.Key))
	requireUnauthorized(t, get(t, a, "/v1/posts", fresh.Key))
}

// TestRefuseTestKeysSwitch runs an instance that refuses every test key.
func TestRefuseTestKeysSwitch(t *testing.T) {
	t.Parallel()
	e := pgEnv(t)
	refusing := env{"OCTOPOST_REFUSE_TEST_KEYS": "true"}
	for k, v := range e {
		refusing[k] = v
	}
	srv := startServer(t, refusing)
	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	test := createKey(t, dir, e, "dev@example.com", "test")
	live := createKey(t, dir, e, "dev@example.com", "live")

	requireUnauthorized(t, get(t, srv, "/v1/posts", test.Key))
	requireUnauthorized(t, get(t, srv, "/v1/presets", test.Key))
	requireUnauthorized(t, send(t, srv, http.MethodPost, "/v1/posts", test.Key, aPost))
	require.Equal(t, http.StatusOK, get(t, srv, "/v1/posts", live.Key).status)
	require.Equal(t, http.StatusCreated, send(t, srv, http.MethodPost, "/v1/posts", live.Key, aPost).status)

	logs := srv.stop(t)
	require.Contains(t, logs, `"refuse_test_keys":true`)
}
