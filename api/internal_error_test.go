package api_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
)

// failingStore breaks the one read a test needs broken.
type failingStore struct {
	service.Store
}

func (failingStore) GetPost(context.Context, service.Scope, string) (service.Post, error) {
	return service.Post{}, errors.New("disk on fire at /var/lib/octopost")
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "octopost.db"))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	require.NoError(t, d.Migrate(ctx))
	svc := service.New(failingStore{d}, nil, nil, service.Config{Platforms: platforms.All})
	_, err = svc.CreateUser(ctx, "dev@example.com", "")
	require.NoError(t, err)
	_, key, err := svc.CreateAPIKey(ctx, "dev@example.com", "k", service.ModeLive, nil)
	require.NoError(t, err)

	var logs strings.Builder
	h, err := api.NewHandler(svc, api.Options{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := &testBundle{server: srv}

	r := b.do(t, http.MethodGet, "/v1/posts/post_x", key, "", "X-Request-Id: trace-500")
	requireError(t, r, 500, "internal_error", "Internal server error")
	require.NotContains(t, string(r.raw), "disk on fire")
	require.Contains(t, logs.String(), "disk on fire", "logged for the operator")
	require.Contains(t, logs.String(), "trace-500", "logged with the request id")
	require.NotContains(t, logs.String(), key, "the key never reaches the logs")
}
