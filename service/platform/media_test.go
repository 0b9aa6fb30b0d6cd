package platform_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// TestOpenMediaStreamsWithinLimit: a video is read as a stream, up to the limit and no
// further, whether or not its server announces the length; a body longer than the limit
// fails the read (or the open, when announced) with a Permanent error.
func TestOpenMediaStreamsWithinLimit(t *testing.T) {
	t.Parallel()
	const size = 3 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("announced") {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		w.Header().Set("Content-Type", "video/mp4")
		chunk := make([]byte, 64<<10)
		for sent := 0; sent < size; sent += len(chunk) {
			_, _ = w.Write(chunk)
			w.(http.Flusher).Flush() // unannounced: chunked, the length unknown until the end
		}
	}))
	t.Cleanup(srv.Close)
	client := netpolicy.Client(true, 5*time.Second)
	ctx := context.Background()

	for _, q := range []string{"?announced", ""} {
		d, err := platform.OpenMedia(ctx, client, "YouTube", "video", srv.URL+"/v.mp4"+q, size)
		require.NoError(t, err)
		n, err := io.Copy(io.Discard, d.Body)
		require.NoError(t, err)
		require.EqualValues(t, size, n)
		require.Equal(t, "video/mp4", d.ContentType)
		require.NoError(t, d.Body.Close())
	}

	_, err := platform.OpenMedia(ctx, client, "YouTube", "video", srv.URL+"/v.mp4?announced", size-1)
	require.Equal(t, platform.Permanent, platform.KindOf(err), "%v", err)
	require.ErrorContains(t, err, "larger than the platform's limit")

	d, err := platform.OpenMedia(ctx, client, "YouTube", "video", srv.URL+"/v.mp4", size-1)
	require.NoError(t, err, "the length is not known before reading")
	n, err := io.Copy(io.Discard, d.Body)
	require.Equal(t, platform.Permanent, platform.KindOf(err), "%v", err)
	require.LessOrEqual(t, n, int64(size))
	require.NoError(t, d.Body.Close())
}

// TestOpenMediaOutlivesTheClientTimeout: the adapter's client bounds one call to a
// platform; a download that keeps arriving may take longer than that in all, as a video
// streamed on to its platform does, while a source that stalls for that long fails as
// Transient.
func TestOpenMediaOutlivesTheClientTimeout(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	stalled := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		for range 8 { // 8 × 100 ms: longer in all than the client's timeout, never stalling that long
			_, _ = w.Write(make([]byte, 1024))
			w.(http.Flusher).Flush()
			if r.URL.Query().Has("stall") {
				<-stalled
			}
			time.Sleep(100 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stalled) }) // runs first: the stalled handler returns, then the server closes
	client := netpolicy.Client(true, timeout)

	d, err := platform.OpenMedia(context.Background(), client, "YouTube", "video", srv.URL+"/v.mp4", 1<<20)
	require.NoError(t, err)
	n, err := io.Copy(io.Discard, d.Body)
	require.NoError(t, err)
	require.EqualValues(t, 8*1024, n)
	require.NoError(t, d.Body.Close())

	d, err = platform.OpenMedia(context.Background(), client, "YouTube", "video", srv.URL+"/v.mp4?stall", 1<<20)
	require.NoError(t, err)
	_, err = io.Copy(io.Discard, d.Body)
	require.Equal(t, platform.Transient, platform.KindOf(err), "%v", err)
	require.ErrorContains(t, err, "stopped arriving")
	require.NoError(t, d.Body.Close())
}
