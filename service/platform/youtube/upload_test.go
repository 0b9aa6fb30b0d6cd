package youtube

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

// pattern is a made-up video of size bytes, generated as it is read: a video of any size
// costs its reader nothing.
type pattern struct {
	size, off int64
}

func (p *pattern) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.size-p.off))
	for i := range n {
		at := p.off + int64(i)
		b[i] = byte(at*13 + at>>12)
	}
	p.off += int64(n)
	return n, nil
}

// patternHost serves a pattern video of size bytes, with its length announced, made on
// the fly for each request.
func patternHost(tb testing.TB, size int64) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		_, _ = io.Copy(w, &pattern{size: size})
	}))
	tb.Cleanup(srv.Close)
	return srv.URL + "/big.mp4"
}

// productionAdapter is the adapter as the server builds it (8 MiB chunks), against f.
func productionAdapter(tb testing.TB, f *fake.YouTube) (*Adapter, platform.Credentials) {
	tb.Helper()
	access, _ := f.IssueToken()
	return New(&http.Client{Timeout: 30 * time.Second}, f.URL), platform.Credentials{KeyAccessToken: access}
}

// A 64 MiB video costs the upload its one chunk buffer (8 MiB), not its length: the whole
// publish (the fake and the video's server in this process included) allocates a small
// fraction of the video. Not parallel, so that no other test's allocations are counted.
func TestUploadMemoryIsBounded(t *testing.T) {
	f := fake.NewYouTube(t)
	a, creds := productionAdapter(t, f)
	const size = 64 << 20
	src := patternHost(t, size)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := a.Publish(t.Context(), creds, platform.Post{Text: "big", VideoURL: src})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MiB video allocated %d KiB in total", size>>20, allocated>>10)
	require.Less(t, allocated, uint64(defaultChunkSize+4<<20), "one chunk and small change: the video is streamed, never held")

	videos := f.Videos()
	require.Len(t, videos, 1)
	require.Equal(t, int64(size), videos[0].Size)
	require.Equal(t, size/defaultChunkSize, videos[0].Chunks)
	h := sha256.New()
	_, _ = io.Copy(h, &pattern{size: size})
	require.Equal(t, hex.EncodeToString(h.Sum(nil)), videos[0].SHA256, "every byte, in order")
}

// BenchmarkUploadLargeVideo uploads a 512 MiB video, made on the fly by a local server,
// through the adapter to the fake (which hashes and discards the bytes): B/op stays near
// the chunk size, whatever the video's.
func BenchmarkUploadLargeVideo(b *testing.B) {
	f := fake.NewYouTube(b)
	a, creds := productionAdapter(b, f)
	const size = 512 << 20
	src := patternHost(b, size)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := a.Publish(b.Context(), creds, platform.Post{Text: "big", VideoURL: src}); err != nil {
			b.Fatal(err)
		}
	}
}
