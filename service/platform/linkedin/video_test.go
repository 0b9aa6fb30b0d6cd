package linkedin

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

// mp4 returns n bytes that start as an MP4 file does (an ftyp box), which is what both
// the adapter's check and the fake's processing look at.
func mp4(n int) []byte {
	b := make([]byte, n)
	copy(b, "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	for i := 24; i < n; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// videoHost serves body at /v.mp4 with an announced Content-Length, or in chunks
// without one.
func videoHost(t *testing.T, body []byte, announce bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		if announce {
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		}
		for rest := body; len(rest) > 0; {
			n := min(len(rest), 16<<10)
			_, _ = w.Write(rest[:n])
			if f, ok := w.(http.Flusher); ok && !announce {
				f.Flush() // chunked: the size is never said
			}
			rest = rest[n:]
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v.mp4"
}

func videoSetup(t *testing.T) *testBundle {
	t.Helper()
	b := setup(t)
	b.fake.VideoPartSize = 64 << 10 // several parts from a small video
	b.fake.VideoProcessingPolls = 2
	b.adapter.pollEvery = 5 * time.Millisecond
	b.adapter.spoolDir = t.TempDir()
	return b
}

// A video is registered, streamed to LinkedIn part by part, finalized, awaited until
// AVAILABLE and named by the post; a video of unannounced length is spooled to a file
// first, and the file is gone afterwards.
func TestPublishVideo(t *testing.T) {
	t.Parallel()
	for _, announce := range []bool{true, false} {
		t.Run("announced "+strconv.FormatBool(announce), func(t *testing.T) {
			t.Parallel()
			b := videoSetup(t)
			body := mp4(200 << 10)
			ref, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{
				Text: "a video", VideoURL: videoHost(t, body, announce),
			})
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(ref.ID, "urn:li:ugcPost:"), ref.ID)
			videos := b.fake.Videos()
			require.Len(t, videos, 1)
			require.Equal(t, int64(len(body)), videos[0].Size)
			require.Equal(t, int64(len(body)), videos[0].Received)
			require.Equal(t, 4, videos[0].Parts, "200 KB in 64 KB parts")
			require.Equal(t, "AVAILABLE", videos[0].Status)
			posts := b.fake.Posts()
			require.Len(t, posts, 1)
			require.Equal(t, videos[0].URN, posts[0].Video)
			require.Empty(t, posts[0].Images)
			require.Equal(t, 3, b.fake.Calls("/rest/videos/"+videos[0].URN), "PROCESSING twice, then AVAILABLE")
			left, err := os.ReadDir(b.adapter.spoolDir)
			require.NoError(t, err)
			require.Empty(t, left, "no spooled file stays behind")
		})
	}
}

func TestPublishVideoFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("processing failed", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		b.fake.FailVideoProcessing("VIDEO_DURATION_TOO_LONG")
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: videoHost(t, mp4(100<<10), true)})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Equal(t, "LinkedIn could not process the video: VIDEO_DURATION_TOO_LONG", pe.Message)
		require.Empty(t, b.fake.Posts())
	})

	t.Run("still processing at the deadline", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		b.fake.VideoProcessingPolls = 1 << 30
		b.adapter.pollEvery = 20 * time.Millisecond
		short, cancel := context.WithTimeout(ctx, pollMargin+300*time.Millisecond)
		defer cancel()
		_, _, err := b.adapter.Publish(short, b.creds, platform.Post{Text: "x", VideoURL: videoHost(t, mp4(100<<10), true)})
		pe := requireKind(t, err, platform.Transient, 0, b.fake.Token)
		require.Contains(t, pe.Message, "still processing")
		require.NoError(t, short.Err(), "given up before the deadline, not cut by it")
		require.Empty(t, b.fake.Posts())
	})

	t.Run("not an MP4", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		images := fake.NewImages(t)
		png := images.Add("/v", "application/octet-stream", fake.PNG(64, 64))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: png})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "is not an MP4 file")
		require.Zero(t, b.fake.Calls("/rest/videos"))
	})

	t.Run("too small", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: videoHost(t, mp4(10<<10), true)})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "smaller than LinkedIn's minimum of 75 KB")
		require.Zero(t, b.fake.Calls("/rest/videos"))
	})

	t.Run("video and images", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{
			Text: "x", VideoURL: "http://127.0.0.1:1/v.mp4", Images: []platform.Image{{URL: "http://127.0.0.1:1/a.png"}},
		})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "one video or images, not both")
		require.Zero(t, b.fake.Calls("/rest/videos")+b.fake.Calls("/rest/images"))
	})

	t.Run("source gone", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		images := fake.NewImages(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: images.URL + "/gone.mp4"})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "HTTP 404")
	})

	t.Run("source shorter than announced", func(t *testing.T) {
		t.Parallel()
		b := videoSetup(t)
		body := mp4(100 << 10)
		// A source that announces more than it sends: the part is short, and the video's
		// server, not LinkedIn, is blamed.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "video/mp4")
			w.Header().Set("Content-Length", strconv.Itoa(len(body)+1000))
			_, _ = w.Write(body)
		}))
		t.Cleanup(srv.Close)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", VideoURL: srv.URL + "/v.mp4"})
		require.Error(t, err)
		require.Equal(t, platform.Transient, platform.KindOf(err), err.Error())
		require.NotContains(t, err.Error(), b.fake.Token)
		require.Empty(t, b.fake.Posts())
	})
}

func TestCoversAll(t *testing.T) {
	t.Parallel()
	in := func(first, last int64) uploadInstruction {
		return uploadInstruction{UploadURL: "https://www.linkedin.com/dms-uploads/x", FirstByte: first, LastByte: last}
	}
	require.True(t, coversAll([]uploadInstruction{in(0, 9), in(10, 19)}, 20))
	require.False(t, coversAll([]uploadInstruction{in(0, 9), in(11, 19)}, 20), "a gap")
	require.False(t, coversAll([]uploadInstruction{in(0, 9), in(10, 18)}, 20), "short")
	require.False(t, coversAll([]uploadInstruction{in(10, 19), in(0, 9)}, 20), "out of order")
	require.False(t, coversAll(nil, 20))
	require.False(t, coversAll([]uploadInstruction{{UploadURL: "not a url", LastByte: 19}}, 20))
}

// patternReader is a video of size bytes made up as it is read (an MP4's first bytes,
// then a pattern), so that the test itself holds none of it.
type patternReader struct {
	size, off int64
}

func (p *patternReader) Read(b []byte) (int, error) {
	if p.off >= p.size {
		return 0, io.EOF
	}
	head := mp4(32)
	n := int(min(int64(len(b)), p.size-p.off))
	for i := range n {
		at := p.off + int64(i)
		if at < int64(len(head)) {
			b[i] = head[at]
		} else {
			b[i] = byte(at * 7)
		}
	}
	p.off += int64(n)
	return n, nil
}

// A 64 MiB video costs the adapter its buffers, not its length: the whole publish (the
// fake and the video's server in this process included) allocates a small fraction of
// the video. Not parallel, so that no other test's allocations are counted.
func TestPublishVideoMemory(t *testing.T) {
	b := setup(t)
	b.adapter.pollEvery = 5 * time.Millisecond
	const size = 64 << 20
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/mp4")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		_, _ = io.Copy(w, &patternReader{size: size})
	}))
	t.Cleanup(srv.Close)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "big", VideoURL: srv.URL + "/big.mp4"})
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d MiB video allocated %d KiB in total", size>>20, allocated>>10)
	require.Less(t, allocated, uint64(size/8), "the video is streamed, never held")
	videos := b.fake.Videos()
	require.Len(t, videos, 1)
	require.Equal(t, int64(size), videos[0].Received)
	require.Equal(t, 16, videos[0].Parts, "LinkedIn's 4 MiB parts")
}
