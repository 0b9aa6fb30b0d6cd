package api_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/apikey"
)

// TestKeysInPathsAreNotLogged: a key pasted into a path does not reach the access log.
func TestKeysInPathsAreNotLogged(t *testing.T) {
	t.Parallel()
	logs := &lockedBuffer{}
	b := setupWith(t, setupOptions{api: api.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))}})
	live := b.key(t, service.ModeLive)
	leaked, err := apikey.Generate(apikey.Live)
	require.NoError(t, err)
	other, err := apikey.Generate(apikey.Test)
	require.NoError(t, err)

	b.do(t, http.MethodGet, "/v1/posts/"+leaked.Secret, live, "")
	b.do(t, http.MethodGet, "/v1/posts/"+other.Secret+"x/"+leaked.Secret[:30], "", "")
	b.do(t, http.MethodGet, "/v1/presets/oct_live_", live, "")

	got := logs.String()
	require.NotContains(t, got, leaked.Secret)
	require.NotContains(t, got, leaked.Secret[len("oct_live_"):30])
	require.NotContains(t, got, other.Secret[len("oct_test_"):])
	require.Contains(t, got, `"path":"/v1/posts/oct_live_[redacted]"`)
	require.Contains(t, got, `"path":"/v1/posts/oct_test_[redacted]/oct_live_[redacted]"`)
	require.Contains(t, got, `"path":"/v1/presets/oct_live_"`, "a bare prefix holds no secret")
}

// lockedBuffer is a log sink that the server's goroutines and the test may share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
