package platform_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

func TestShowURL(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		"https://cdn.example.com/a/b.png":                         "https://cdn.example.com/a/b.png",
		"https://user:pw@cdn.example.com/b.png?X-Amz-Signature=s": "https://cdn.example.com/b.png",
		"https://cdn.example.com/b.png#frag":                      "https://cdn.example.com/b.png",
		"/relative.png":                                           "(not a URL)",
		"%zz":                                                     "(not a URL)",
	} {
		require.Equal(t, want, platform.ShowURL(raw), raw)
	}
}

func TestFetchImageClassifies(t *testing.T) {
	t.Parallel()
	var status atomic.Int64
	status.Store(http.StatusOK)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(int(status.Load()))
		_, _ = w.Write([]byte("\x89PNG\r\n\x1a\n"))
	}))
	t.Cleanup(srv.Close)
	client := netpolicy.Client(true, 5*time.Second)
	ctx := context.Background()
	for code, kind := range map[int]platform.Kind{
		http.StatusServiceUnavailable: platform.Transient,
		http.StatusTooManyRequests:    platform.Transient,
		http.StatusNotFound:           platform.Permanent,
		http.StatusFound:              platform.Permanent, // redirects are not followed
	} {
		status.Store(int64(code))
		_, _, err := platform.FetchImage(ctx, client, "mastodon", srv.URL+"/a.png?token=s3cr3t", 1<<20)
		require.Equal(t, kind, platform.KindOf(err), code)
		require.NotContains(t, err.Error(), "s3cr3t")
	}
	status.Store(http.StatusOK)
	data, ct, err := platform.FetchImage(ctx, client, "mastodon", srv.URL+"/a.png", 1<<20)
	require.NoError(t, err)
	require.Equal(t, "image/png", ct, "sniffed")
	require.Len(t, data, 8)

	_, _, err = platform.FetchImage(ctx, client, "mastodon", srv.URL+"/a.png", 4)
	require.Equal(t, platform.Permanent, platform.KindOf(err), "too large")
	_, _, err = platform.FetchImage(ctx, client, "mastodon", "file:///etc/passwd", 4)
	require.Equal(t, platform.Permanent, platform.KindOf(err), "not http(s)")
}
