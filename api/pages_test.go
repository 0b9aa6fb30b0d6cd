package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
)

// pages claims /pages/… the way the dashboard claims /dashboard/….
type pages struct{}

func (pages) Serves(path string) bool { return strings.HasPrefix(path, "/pages/") }

func (pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	_, _ = io.WriteString(w, "a page at "+r.URL.Path)
}

// TestPagesShareTheRequestIDAccessLogAndMetrics: the dashboard's pages, mounted through
// Options.Pages, are answered by their own handler without the API's validation (no key,
// no 404 from the contract), yet get a request id, an access log line and a metric, as
// the API's requests do; every other path is still the API's.
func TestPagesShareTheRequestIDAccessLogAndMetrics(t *testing.T) {
	t.Parallel()
	obs := &requestObserver{}
	var logs lockedBuffer
	b := setupWith(t, setupOptions{api: api.Options{
		Observer: obs, Pages: pages{}, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}})

	resp, err := http.Get(b.server.URL + "/pages/settings")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "a page at /pages/settings", string(body))
	require.NotEmpty(t, resp.Header.Get("X-Request-Id"))
	require.Contains(t, logs.String(), "path=/pages/settings status=200")

	require.Equal(t, http.StatusUnauthorized, b.do(t, "GET", "/v1/posts", "", "").status)
	require.Equal(t, []string{api.OperationPages + " OK", "listPosts Unauthorized"}, obs.all())
}
