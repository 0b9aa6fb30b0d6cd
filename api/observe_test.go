package api_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/service"
)

// requestObserver records what the API tells its Observer, as "operation status".
type requestObserver struct {
	mu   sync.Mutex
	seen []string
}

func (o *requestObserver) ObserveRequest(operationID string, status int, elapsed time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if elapsed < 0 {
		panic("negative request duration")
	}
	o.seen = append(o.seen, operationID+" "+http.StatusText(status))
}

func (o *requestObserver) all() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.seen...)
}

// TestObserverSeesEveryRequestByOperation: each answered request is reported once, by the
// operation id of openapi.yaml, never the path, whether it was answered by the handler or
// refused before it (401), and a request no operation matches, or the OAuth callback,
// gets a fixed name.
func TestObserverSeesEveryRequestByOperation(t *testing.T) {
	t.Parallel()
	obs := &requestObserver{}
	b := setupWith(t, setupOptions{api: api.Options{Observer: obs}})
	key := b.key(t, service.ModeLive)

	require.Equal(t, http.StatusOK, b.do(t, "GET", "/v1/posts", key, "").status)
	require.Equal(t, http.StatusUnauthorized, b.do(t, "GET", "/v1/posts", "", "").status)
	require.Equal(t, http.StatusNotFound, b.do(t, "GET", "/v1/posts/post_0000000000000000000000", key, "").status)
	for _, path := range []string{"/v1/nowhere", "/oauth/twitter/callback?state=x&code=y"} {
		resp, err := http.Get(b.server.URL + path)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
	}

	got := obs.all()
	require.Len(t, got, 5)
	require.Equal(t, []string{"listPosts OK", "listPosts Unauthorized", "getPost Not Found", api.OperationUnmatched + " Not Found"}, got[:4])
	require.Regexp(t, "^"+api.OperationOAuthCallback+" ", got[4])
}

// TestRequestsAreAnsweredWithoutAnObserver: without an Observer (serve without
// OCTOPOST_METRICS_ADDR), the nil Observer is never called: answered, unmatched and
// refused requests all get their answers.
func TestRequestsAreAnsweredWithoutAnObserver(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.Equal(t, http.StatusOK, b.do(t, "GET", "/v1/posts", b.key(t, service.ModeLive), "").status)
	require.Equal(t, http.StatusUnauthorized, b.do(t, "GET", "/v1/posts", "", "").status)
	resp, err := http.Get(b.server.URL + "/v1/nowhere")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}
