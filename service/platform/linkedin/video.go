package linkedin

// A video goes to LinkedIn through the Videos API's multi-part upload:
//
//	POST /rest/videos?action=initializeUpload
//	     {initializeUploadRequest: {owner, fileSizeBytes, uploadCaptions: false, uploadThumbnail: false}}
//	     → {value: {video: "urn:li:video:…", uploadToken,
//	                uploadInstructions: [{uploadUrl, firstByte, lastByte}, …]}}
//	PUT  each uploadUrl with bytes firstByte..lastByte of the video (4 MiB parts)
//	     → 200/201, the part's id in the ETag header
//	POST /rest/videos?action=finalizeUpload
//	     {finalizeUploadRequest: {video, uploadToken, uploadedPartIds: [ETags, in order]}}
//	GET  /rest/videos/{urn, URL-encoded} → {id, status: PROCESSING | AVAILABLE |
//	     PROCESSING_FAILED | WAITING_UPLOAD, processingFailureReason?}
//
// and the post names the video as content.media {id}. A post carries one video or images,
// never both: such a post is refused (Permanent) before anything is fetched.
//
// Streaming: the video is fetched with platform.OpenMedia (the SSRF-safe client, at most
// LinkedIn's 500 MB) and never held whole: each part's PUT reads its bytes straight from
// the download, with an exact Content-Length. initializeUpload needs the size up front;
// when the video's server does not announce it, the download is first spooled to a
// temporary file (bounded by the same 500 MB), removed when the upload ends. The whole
// download is bounded by videoTransfer; OpenMedia applies the client's per-request timeout
// to each stall of the source instead, so a long video is not cut short and a stalled
// source is still caught. LinkedIn takes MP4 only, from 75 KB up.
//
// Processing: after finalizeUpload LinkedIn processes the video, and a post may name it
// only once it is AVAILABLE. The adapter polls its status every pollEvery (small in
// tests) until then. PROCESSING_FAILED is Permanent with LinkedIn's reason; still
// processing when the next wait would cross the deadline (the context's, or
// maxProcessing, whichever comes first, less pollMargin kept for the post itself) is
// Transient: a retry uploads the video again (a video never posted is harmless).

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

const (
	// minVideoBytes and maxVideoBytes are LinkedIn's bounds on a video's size.
	minVideoBytes = 75 << 10
	maxVideoBytes = 500 << 20
	// maxProcessing bounds the wait for LinkedIn's processing when the context has no
	// deadline.
	maxProcessing = 5 * time.Minute
	// videoTransfer bounds a whole video upload, its download and spooling included.
	videoTransfer = 30 * time.Minute
	// defaultPollEvery is how often a video's processing is checked.
	defaultPollEvery = 5 * time.Second
	// pollMargin is left before the deadline for publishing the post.
	pollMargin = 2 * time.Second
)

// uploadInstruction is one part of a video upload.
type uploadInstruction struct {
	UploadURL string `json:"uploadUrl"`
	FirstByte int64  `json:"firstByte"`
	LastByte  int64  `json:"lastByte"`
}

// uploadVideo fetches the video at rawURL, uploads it in LinkedIn's parts for author and
// waits for LinkedIn to process it, returning its URN.
func (a *Adapter) uploadVideo(ctx context.Context, token, author, rawURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, videoTransfer)
	defer cancel()
	dl, err := platform.OpenMedia(ctx, a.client, "LinkedIn", "video", rawURL, maxVideoBytes)
	if err != nil {
		return "", err
	}
	defer dl.Body.Close()

	src := bufio.NewReaderSize(dl.Body, 4096)
	head, err := src.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return "", err
	}
	// Many hosts say application/octet-stream; LinkedIn looks at the bytes, so may we.
	if dl.ContentType != "video/mp4" && !strings.HasPrefix(http.DetectContentType(head), "video/mp4") {
		return "", platform.Errorf(platform.Permanent, 0, "LinkedIn: video %s is not an MP4 file, the format LinkedIn takes", dl.Shown)
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
	if size < minVideoBytes {
		return "", platform.Errorf(platform.Permanent, 0, "LinkedIn: video %s is smaller than LinkedIn's minimum of 75 KB", dl.Shown)
	}

	var init struct {
		Value struct {
			Video              string              `json:"video"`
			UploadToken        string              `json:"uploadToken"`
			UploadInstructions []uploadInstruction `json:"uploadInstructions"`
		} `json:"value"`
	}
	req := map[string]any{"initializeUploadRequest": map[string]any{
		"owner": author, "fileSizeBytes": size, "uploadCaptions": false, "uploadThumbnail": false,
	}}
	if _, err := a.call(ctx, http.MethodPost, a.api+"/rest/videos?action=initializeUpload", token, "the video upload", req, &init); err != nil {
		return "", err
	}
	video, parts := init.Value.Video, init.Value.UploadInstructions
	if video == "" || !coversAll(parts, size) {
		return "", platform.Errorf(platform.Transient, 0, "LinkedIn sent video upload instructions that do not cover the video")
	}
	etags := make([]string, 0, len(parts))
	for _, part := range parts {
		n := part.LastByte - part.FirstByte + 1
		seg := &segmentReader{r: io.LimitReader(body, n), left: n}
		h, err := a.put(ctx, token, part.UploadURL, "application/octet-stream", seg, n, "the video upload")
		if seg.err != nil {
			return "", seg.err // the video's server failed mid-part: that, not LinkedIn, is the story
		}
		if err != nil {
			return "", err
		}
		etag := h.Get("ETag")
		if etag == "" {
			return "", platform.Errorf(platform.Transient, 0, "LinkedIn accepted a part of the video without naming it (no ETag)")
		}
		etags = append(etags, etag)
	}
	fin := map[string]any{"finalizeUploadRequest": map[string]any{
		"video": video, "uploadToken": init.Value.UploadToken, "uploadedPartIds": etags,
	}}
	if _, err := a.call(ctx, http.MethodPost, a.api+"/rest/videos?action=finalizeUpload", token, "the video upload", fin, nil); err != nil {
		return "", err
	}
	if err := a.awaitVideo(ctx, token, video); err != nil {
		return "", err
	}
	return video, nil
}

// coversAll reports whether parts, in order, cover bytes 0..size-1 each once.
func coversAll(parts []uploadInstruction, size int64) bool {
	next := int64(0)
	for _, p := range parts {
		u, err := url.Parse(p.UploadURL)
		if p.FirstByte != next || p.LastByte < p.FirstByte || err != nil ||
			(u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return false
		}
		next = p.LastByte + 1
	}
	return len(parts) > 0 && next == size
}

// awaitVideo polls the video's status until LinkedIn has processed it (see the note at
// the top).
func (a *Adapter) awaitVideo(ctx context.Context, token, video string) error {
	deadline := time.Now().Add(maxProcessing)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	wait := a.pollEvery
	if wait <= 0 {
		wait = defaultPollEvery
	}
	for {
		var st struct {
			Status                  string `json:"status"`
			ProcessingFailureReason string `json:"processingFailureReason"`
		}
		// Rest.li 2.0 wants the URN's colons encoded in the path.
		if _, err := a.call(ctx, http.MethodGet, a.api+"/rest/videos/"+url.QueryEscape(video), token, "the video status read", nil, &st); err != nil {
			return err
		}
		switch st.Status {
		case "AVAILABLE":
			return nil
		case "PROCESSING_FAILED":
			why := st.ProcessingFailureReason
			if why == "" {
				why = "no reason given"
			}
			return platform.Errorf(platform.Permanent, 0, "LinkedIn could not process the video: %s", why)
		}
		// PROCESSING, WAITING_UPLOAD, or a status LinkedIn adds later: not ready yet.
		if time.Until(deadline) < wait+pollMargin {
			return platform.Errorf(platform.Transient, 0, "LinkedIn is still processing the video; it will be uploaded again")
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("LinkedIn: waiting for the video to be processed: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// spool copies a download of unannounced length to a temporary file in dir (the system's
// when empty; the download's own limit bounds it) and returns the file, rewound, with its
// size.
func spool(dir string, src io.Reader) (*os.File, int64, error) {
	f, err := os.CreateTemp(dir, "octopost-linkedin-video-*")
	if err != nil {
		return nil, 0, platform.Errorf(platform.Transient, 0, "LinkedIn: no room to buffer a video of unannounced length")
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
		return nil, 0, platform.Errorf(platform.Transient, 0, "LinkedIn: could not buffer a video of unannounced length")
	}
	return f, n, nil
}

// segmentReader passes on one part of the download and remembers how the download
// failed, if it did, so that a failed PUT can be blamed on the right party.
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
		s.err = platform.Errorf(platform.Transient, 0, "LinkedIn: the video ended before the length its server announced")
		return n, s.err
	case err != nil && err != io.EOF:
		s.err = err
	}
	return n, err
}
