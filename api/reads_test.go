package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/api"
	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform/platforms"
)

// countingStore records which store methods a request calls.
type countingStore struct {
	service.Store
	mu    sync.Mutex
	calls []string
}

func (c *countingStore) record(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, name)
}

func (c *countingStore) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

func (c *countingStore) GetAPIKeyByHash(ctx context.Context, hash string) (service.APIKey, error) {
	c.record("GetAPIKeyByHash")
	return c.Store.GetAPIKeyByHash(ctx, hash)
}

func (c *countingStore) TouchAPIKey(ctx context.Context, id string, at time.Time, minAge time.Duration) error {
	c.record("TouchAPIKey")
	return c.Store.TouchAPIKey(ctx, id, at, minAge)
}

func (c *countingStore) GetPost(ctx context.Context, s service.Scope, id string) (service.Post, error) {
	c.record("GetPost")
	return c.Store.GetPost(ctx, s, id)
}

// TestKeyCheckCostsOneRead holds authentication to one indexed read per request: the key
// row by hash. last_used_at is written only when it is a minute old, and a malformed key
// never reaches the database.
func TestKeyCheckCostsOneRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "octopost.db"))
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	require.NoError(t, d.Migrate(ctx))
	store := &countingStore{Store: d}
	clock := &fakeClock{now: time.Now().UTC().Truncate(time.Microsecond)}
	svc := service.New(store, clock, nil, service.Config{Platforms: platforms.All})
	_, err = svc.CreateUser(ctx, "dev@example.com", "")
	require.NoError(t, err)
	_, key, err := svc.CreateAPIKey(ctx, "dev@example.com", "k", service.ModeLive, nil)
	require.NoError(t, err)
	h, err := api.NewHandler(svc, api.Options{})
	require.NoError(t, err)
	get := func(auth string) int {
		req := httptest.NewRequest(http.MethodGet, "/v1/posts/post_01ARZ3NDEKTSV4RRFFQ69G5FAV", nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	require.Equal(t, http.StatusNotFound, get("Bearer "+key))
	require.Equal(t, []string{"GetAPIKeyByHash", "TouchAPIKey", "GetPost"}, store.take(), "the first use is recorded")
	require.Equal(t, http.StatusNotFound, get("Bearer "+key))
	require.Equal(t, []string{"GetAPIKeyByHash", "GetPost"}, store.take())
	clock.Advance(time.Minute)
	get("Bearer " + key)
	require.Equal(t, []string{"GetAPIKeyByHash", "TouchAPIKey", "GetPost"}, store.take(), "a minute later, recorded again")

	require.Equal(t, http.StatusUnauthorized, get("Bearer oct_live_notakey"))
	require.Empty(t, store.take(), "a malformed key costs no read")
}
