package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/gen/oapi"
)

// TestSQLiteDefaultNoConfig runs the server as a first-time user would: no database
// configured at all, so it creates ./octopost.db in its working directory.
func TestSQLiteDefaultNoConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// OCTOPOST_ADDR is the only setting (port 0: the kernel picks a free one).
	only := env{"OCTOPOST_ADDR": "127.0.0.1:0"}
	srv := startServerIn(t, dir, only)
	info, err := os.Stat(filepath.Join(dir, "octopost.db"))
	require.NoError(t, err, "serve creates octopost.db in its working directory")
	require.True(t, info.Mode().IsRegular())

	// The CLI, run in the same directory with no configuration either, finds the same file.
	createUser(t, dir, only, "dev@example.com")
	key := createKey(t, dir, only, "dev@example.com", "live")

	c := client(t, srv, key.Key)
	created, err := c.CreatePostWithResponse(t.Context(), nil, oapi.CreatePostRequest{Content: "Hello", Platforms: &[]oapi.Platform{"bluesky"}})
	requireStatus(t, http.StatusCreated, created, err)
	list, err := c.ListPostsWithResponse(t.Context(), nil)
	requireStatus(t, http.StatusOK, list, err)
	require.Len(t, list.JSON200.Posts, 1)
	require.Equal(t, created.JSON201.Id, list.JSON200.Posts[0].Id)

	logs := srv.stop(t) // SIGTERM; stop checks exit code 0 and that no secret was logged
	require.Contains(t, logs, `"database":"sqlite"`)
	require.Contains(t, logs, `"msg":"shutting down"`)
	require.Contains(t, logs, `"msg":"stopped"`)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		require.True(t, strings.HasPrefix(e.Name(), "octopost.db"), "unexpected file %s in the working directory", e.Name())
	}
}

// TestRequestIDAndErrors checks the request id and the error envelope of the requests
// that never reach a handler, over a real socket.
func TestRequestIDAndErrors(t *testing.T) {
	t.Parallel()
	e := pgEnv(t)
	srv := startServer(t, e)
	dir := t.TempDir()
	createUser(t, dir, e, "dev@example.com")
	key := createKey(t, dir, e, "dev@example.com", "live").Key

	t.Run("request id", func(t *testing.T) {
		r := get(t, srv, "/v1/posts", key, "X-Request-Id: my-trace.42")
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "my-trace.42", r.header.Get("X-Request-Id"), "echoed on success")

		r = get(t, srv, "/v1/posts", "", "X-Request-Id: my-trace.43")
		requireUnauthorized(t, r)
		require.Equal(t, "my-trace.43", r.header.Get("X-Request-Id"), "echoed on an error")

		r = send(t, srv, http.MethodPost, "/v1/posts", key, `{"content": `, "X-Request-Id: my-trace.44")
		require.Equal(t, http.StatusBadRequest, r.status)
		require.Equal(t, "my-trace.44", r.header.Get("X-Request-Id"), "echoed on a bad body")

		first := get(t, srv, "/v1/posts", key).header.Get("X-Request-Id")
		second := get(t, srv, "/v1/posts", "").header.Get("X-Request-Id")
		require.Regexp(t, `^req_[0-9A-Z]{26}$`, first, "generated on success")
		require.Regexp(t, `^req_[0-9A-Z]{26}$`, second, "generated on an error")
		require.NotEqual(t, first, second)

		r = get(t, srv, "/v1/posts", key, "X-Request-Id: "+strings.Repeat("a", 200))
		require.Regexp(t, `^req_`, r.header.Get("X-Request-Id"), "an insane id is replaced")
		r = get(t, srv, "/v1/posts", key, "X-Request-Id: two words")
		require.Regexp(t, `^req_`, r.header.Get("X-Request-Id"), "an insane id is replaced")
	})

	t.Run("404 unknown route", func(t *testing.T) {
		requireError(t, get(t, srv, "/v1/nothing", key), http.StatusNotFound, "not_found", "Not found")
		requireError(t, get(t, srv, "/", ""), http.StatusNotFound, "not_found", "Not found")
		requireError(t, get(t, srv, "/v1/posts/post_01ARZ3NDEKTSV4RRFFQ69G5FAV", key), http.StatusNotFound, "not_found", "Post not found")
	})

	t.Run("405 with Allow", func(t *testing.T) {
		r := send(t, srv, http.MethodPatch, "/v1/posts/post_123", key, `{}`)
		requireError(t, r, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
		require.Equal(t, "GET, PUT, DELETE", r.header.Get("Allow"))
		r = do(t, srv, http.MethodDelete, "/v1/posts", key, nil)
		requireError(t, r, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
		require.Equal(t, "GET, POST", r.header.Get("Allow"))
		r = do(t, srv, http.MethodGet, "/v1/webhooks/wh_1/rotate-secret", key, nil)
		requireError(t, r, http.StatusMethodNotAllowed, "method_not_allowed", "Method not allowed")
		require.Equal(t, "POST", r.header.Get("Allow"))
	})

	t.Run("413 over 1 MiB", func(t *testing.T) {
		big := `{"content": "` + strings.Repeat("a", 1<<20) + `", "platforms": ["bluesky"]}`
		const msg = "Request body must not exceed 1048576 bytes"
		// With a Content-Length, and chunked (no length announced).
		requireError(t, send(t, srv, http.MethodPost, "/v1/posts", key, big), http.StatusRequestEntityTooLarge, "payload_too_large", msg)
		chunked := io.MultiReader(strings.NewReader(big))
		requireError(t, do(t, srv, http.MethodPost, "/v1/posts", key, chunked), http.StatusRequestEntityTooLarge, "payload_too_large", msg)
		// The server is still fine afterwards.
		require.Equal(t, http.StatusOK, get(t, srv, "/v1/posts", key).status)
	})

	t.Run("400 invalid JSON", func(t *testing.T) {
		for _, body := range []string{`{"content": `, `not json`, `{"content": "hi", "platforms": ["bluesky"],}`, "\x00",
			`{"content": "hi", "platforms": ["bluesky"]}}`, `{"content": "hi", "platforms": ["bluesky"]} x`} {
			requireError(t, send(t, srv, http.MethodPost, "/v1/posts", key, body), http.StatusBadRequest, "bad_request", "Request body must be valid JSON")
		}
		requireError(t, send(t, srv, http.MethodPost, "/v1/posts", key, aPost, "Content-Type: text/plain"),
			http.StatusBadRequest, "bad_request", "Content-Type must be application/json")
	})

	t.Run("422 names the unknown field", func(t *testing.T) {
		r := send(t, srv, http.MethodPost, "/v1/posts", key, `{"content": "hi", "platforms": ["bluesky"], "colour": "red"}`)
		requireError(t, r, http.StatusUnprocessableEntity, "validation_error", "Validation failed")
		require.Equal(t, []string{"/colour"}, fieldsOf(r))

		r = send(t, srv, http.MethodPut, "/v1/presets/preset_sys_professional", key, `{"name": "x", "shade": "blue", "tint": 1}`)
		requireError(t, r, http.StatusUnprocessableEntity, "validation_error", "Validation failed")
		require.ElementsMatch(t, []string{"/shade", "/tint"}, fieldsOf(r))
	})
}

// fieldsOf lists the fields a 422 names, checking each comes with a message.
func fieldsOf(r response) []string {
	details, _ := r.body["details"].(map[string]any)
	list, _ := details["errors"].([]any)
	var out []string
	for _, e := range list {
		entry, _ := e.(map[string]any)
		field, _ := entry["field"].(string)
		if msg, _ := entry["message"].(string); msg == "" {
			field += " (no message)"
		}
		out = append(out, field)
	}
	return out
}
