package twitter

// A video goes to X through its chunked media upload, in the v2 API's dedicated endpoints:
//
//	POST /2/media/upload/initialize     JSON {media_type, total_bytes, media_category: tweet_video}
//	                                    → {data: {id, media_key, expires_after_secs}}
//	POST /2/media/upload/{id}/append    multipart: segment_index, media (the segment's bytes)
//	POST /2/media/upload/{id}/finalize  → {data: {…, processing_info?: {state, check_after_secs}}}
//	GET  /2/media/upload?command=STATUS&media_id={id}
//	                                    → {data: {processing_info: {state, check_after_secs,
//	                                       progress_percent, error?: {code, name, message}}}}
//
// then the tweet attaches the media id like an image's. X also still takes the older form,
// every step a POST /2/media/upload with command=INIT|APPEND|FINALIZE; the adapter uses the
// dedicated endpoints because they are the ones X's v2 reference documents now, and they
// leave POST /2/media/upload meaning exactly one thing, the one-shot upload the images
// already use (same host, same Bearer token, same error bodies, so the same send and
// classify serve both). STATUS has no dedicated endpoint; it is the GET of that path.
//
// Streaming: the video is fetched with platform.OpenMedia (the SSRF-safe client, at most
// X's 512 MB) and never held whole. Each APPEND's body is a multipart envelope around the
// next segment read straight from the download (io.MultiReader, with an exact
// Content-Length), so the adapter holds a few kilobytes of buffers, not a segment, and
// certainly not the video. A segment is 4 MiB, under X's 5 MB per APPEND.
//
// INIT needs the size up front. When the video's server announces it (Content-Length), the
// download is streamed as it arrives; when it does not (chunked encoding, Size -1), the
// video is first spooled to a temporary file, bounded by the same 512 MB, and the file is
// removed when the upload ends, whatever its outcome. That costs disk and time, not memory,
// and spares the user a confusing refusal that depends on how their host serves files.
//
// The download as a whole is not bounded by the client's per-request timeout (a large
// video takes longer than one API call should): OpenMedia applies it to each stall of the
// source instead, each APPEND is one request with that timeout, and the spooling of an
// unannounced size is bounded by videoTransfer.
//
// Processing: after FINALIZE X transcodes the video; the adapter polls STATUS, waiting what
// X's check_after_secs asks (pollInterval replaces it in tests), until succeeded. A failed
// state is Permanent with X's own error message; still pending or in progress when the
// next wait would cross the deadline (the context's, or maxProcessing from FINALIZE,
// whichever comes first, minus pollMargin left for the tweet itself) is Transient: a retry
// uploads the video again (the unattached upload expires at X on its own).
//
// A tweet carries one video or up to 4 images, never both: such a post is refused
// (Permanent) before anything is fetched or uploaded.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

const (
	// maxVideoBytes is X's limit for a tweet_video.
	maxVideoBytes = 512 << 20
	// segmentBytes is one APPEND's share of the video, under X's 5 MB per segment.
	segmentBytes = 4 << 20
	// maxProcessing bounds the wait for X's processing when the context has no deadline.
	maxProcessing = 5 * time.Minute
	// videoTransfer bounds a whole video upload, its download and spooling included.
	videoTransfer = 30 * time.Minute
	// defaultPollMargin is left before the deadline for publishing the tweet.
	defaultPollMargin = 2 * time.Second
)

// videoTypes are the containers X takes for a tweet_video.
var videoTypes = []string{"video/mp4", "video/quicktime"}

// uploadVideo fetches the video at rawURL, uploads it in segments and waits for X to
// process it, returning its media id.
func (a *Adapter) uploadVideo(ctx context.Context, token, rawURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, videoTransfer)
	defer cancel()
	dl, err := platform.OpenMedia(ctx, a.client, "X", "video", rawURL, maxVideoBytes)
	if err != nil {
		return "", err
	}
	defer dl.Body.Close()

	src := bufio.NewReaderSize(dl.Body, 4096)
	head, err := src.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	mediaType := dl.ContentType
	if !slices.Contains(videoTypes, mediaType) {
		// Many hosts say application/octet-stream; X looks at the bytes, so may we.
		mediaType = sniffVideo(head)
	}
	if !slices.Contains(videoTypes, mediaType) {
		return "", platform.Errorf(platform.Permanent, 0, "X: video %s is not an MP4 or QuickTime (MOV) file, the formats X takes", dl.Shown)
	}

	var body io.Reader = src
	size := dl.Size
	if size < 0 {
		spooled, n, err := spool(a.spoolDir, src)
		if err != nil {
			return "", err
		}
		defer func() {
			spooled.Close()
			os.Remove(spooled.Name())
		}()
		body, size = spooled, n
	}
	if size == 0 {
		return "", platform.Errorf(platform.Permanent, 0, "X: video %s is empty", dl.Shown)
	}

	var init struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	req := map[string]any{"media_type": mediaType, "total_bytes": size, "media_category": "tweet_video"}
	if err := a.call(ctx, http.MethodPost, "/2/media/upload/initialize", token, req, &init); err != nil {
		return "", err
	}
	id := init.Data.ID
	if id == "" || strings.ContainsAny(id, "/?#") {
		return "", platform.Errorf(platform.Transient, 0, "X sent an upload answer without a media id")
	}
	for i, sent := 0, int64(0); sent < size; i++ {
		n := min(segmentBytes, size-sent)
		if err := a.appendSegment(ctx, token, id, i, body, n); err != nil {
			return "", err
		}
		sent += n
	}
	var fin struct {
		Data struct {
			ProcessingInfo *processingInfo `json:"processing_info"`
		} `json:"data"`
	}
	if err := a.send(ctx, http.MethodPost, "/2/media/upload/"+id+"/finalize", token, "", nil, &fin); err != nil {
		return "", err
	}
	if err := a.awaitProcessing(ctx, token, id, fin.Data.ProcessingInfo); err != nil {
		return "", err
	}
	return id, nil
}

// spool copies a download of unannounced length to a temporary file in dir (the system's
// when empty; the download's own limit bounds it) and returns the file, rewound, with its size.
func spool(dir string, src io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp(dir, "octopost-x-video-*")
	if err != nil {
		return nil, 0, platform.Errorf(platform.Transient, 0, "X: no room to buffer a video of unannounced length: %v", err)
	}
	n, err := io.Copy(f, src)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		var pe *platform.Error
		if errors.As(err, &pe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, 0, err // the download's own failure, already classified
		}
		return nil, 0, platform.Errorf(platform.Transient, 0, "X: could not buffer a video of unannounced length: %v", err)
	}
	return f, n, nil
}

// appendSegment sends the next n bytes of src as segment index of the upload id. The
// multipart body streams them: only its envelope is built in memory.
func (a *Adapter) appendSegment(ctx context.Context, token, id string, index int, src io.Reader, n int64) error {
	var env bytes.Buffer
	mw := multipart.NewWriter(&env)
	err := mw.WriteField("segment_index", strconv.Itoa(index))
	if err == nil {
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="media"; filename="segment"`)
		h.Set("Content-Type", "application/octet-stream")
		_, err = mw.CreatePart(h)
	}
	if err != nil {
		return fmt.Errorf("twitter: build segment: %w", err)
	}
	head := bytes.Clone(env.Bytes())
	env.Reset()
	if err := mw.Close(); err != nil {
		return fmt.Errorf("twitter: build segment: %w", err)
	}
	tail := env.Bytes()
	seg := &segmentReader{r: io.LimitReader(src, n), left: n}
	body := io.MultiReader(bytes.NewReader(head), seg, bytes.NewReader(tail))
	err = a.sendSized(ctx, http.MethodPost, "/2/media/upload/"+id+"/append", token, mw.FormDataContentType(),
		body, int64(len(head))+n+int64(len(tail)), nil)
	if seg.err != nil {
		// The video's server failed mid-segment: that, not X, is the story.
		return seg.err
	}
	return err
}

// segmentReader passes on one segment of the download and remembers how the download
// failed, if it did, so that a failed APPEND can be blamed on the right party.
type segmentReader struct {
	r    io.Reader
	left int64
	err  error
}

func (s *segmentReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.left -= int64(n)
	switch {
	case err == io.EOF && s.left > 0:
		s.err = platform.Errorf(platform.Transient, 0, "X: the video ended before the length its server announced")
		return n, s.err
	case err != nil && err != io.EOF:
		s.err = err
	}
	return n, err
}

// processingInfo is X's account of a video's processing.
type processingInfo struct {
	State           string `json:"state"`
	CheckAfterSecs  int    `json:"check_after_secs"`
	ProgressPercent int    `json:"progress_percent"`
	Error           *struct {
		Code    int    `json:"code"`
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

// awaitProcessing polls STATUS until X has processed the video (see the note at the top).
// A nil info means X needs no processing.
func (a *Adapter) awaitProcessing(ctx context.Context, token, id string, info *processingInfo) error {
	deadline := time.Now().Add(maxProcessing)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for info != nil {
		switch info.State {
		case "succeeded":
			return nil
		case "failed":
			why := "no reason given"
			if info.Error != nil {
				why = firstNonEmpty(info.Error.Message, info.Error.Name, strconv.Itoa(info.Error.Code))
			}
			return platform.Errorf(platform.Permanent, 0, "X could not process the video: %s", why)
		}
		// pending, in_progress, or a state X adds later: still processing.
		wait := a.pollInterval
		if wait <= 0 {
			wait = time.Duration(max(info.CheckAfterSecs, 1)) * time.Second
		}
		if time.Until(deadline) < wait+a.pollMargin {
			return platform.Errorf(platform.Transient, 0, "X is still processing the video (%d%% done); it will be uploaded again", info.ProgressPercent)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("X: waiting for the video to be processed: %w", ctx.Err())
		case <-t.C:
		}
		var st struct {
			Data struct {
				ProcessingInfo *processingInfo `json:"processing_info"`
			} `json:"data"`
		}
		q := url.Values{"command": {"STATUS"}, "media_id": {id}}
		if err := a.call(ctx, http.MethodGet, "/2/media/upload?"+q.Encode(), token, nil, &st); err != nil {
			return err
		}
		info = st.Data.ProcessingInfo
	}
	return nil
}

// sniffVideo names the container head starts with: a QuickTime movie by its ftyp brand
// "qt  " (which http.DetectContentType does not know), else what DetectContentType says.
func sniffVideo(head []byte) string {
	if len(head) >= 12 && string(head[4:8]) == "ftyp" && string(head[8:12]) == "qt  " {
		return "video/quicktime"
	}
	return strings.TrimSpace(strings.Split(http.DetectContentType(head), ";")[0])
}
