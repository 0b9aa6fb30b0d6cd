package youtube

// A video goes to YouTube through the resumable upload protocol:
//
//	POST {api}/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status
//	     the metadata as JSON, X-Upload-Content-Type (the video's media type, or
//	     application/octet-stream: YouTube looks at the bytes) and X-Upload-Content-Length
//	     (when the video's server announced its length)
//	     → 200, the session URI in Location
//	PUT  {session} the bytes in chunks, Content-Range: bytes a-b/total (bytes a-b/* while
//	     the length is unknown, the total on the last chunk)
//	     → 308 Resume Incomplete, Range: bytes=0-N saying how much the session kept (none
//	       without a Range header). It may keep less than was sent: the rest is sent again.
//	     → on the last chunk, 200/201 with the video resource {id, snippet, status}
//
// Streaming and memory: the video is fetched with platform.OpenMedia (the SSRF-safe
// client, at most maxVideoBytes, 2 GiB) and read one chunk at a time (chunkSize, 8 MiB in
// production: a multiple of 256 KiB, as YouTube requires of every chunk but the last)
// into one buffer, which the upload keeps until YouTube has confirmed the chunk so that it
// can send it again. That buffer is all the upload holds: never the video. One byte is
// read ahead of a full buffer to know whether the chunk is the last, which a video of
// unannounced length must say (its total is then known).
//
// Failures mid-upload: a chunk whose PUT fails with a 5xx, a 408 or no answer (a
// timeout, a reset) is not simply sent again, since part of it may have arrived: after
// retryWait the upload asks the session where it stands (PUT with no body and
// Content-Range: bytes */total, answered like a chunk) and goes on from there. A chunk is
// tried at most chunkTries times in a row without progress; then the publish fails
// Transient and the engine's retry starts over. A session that is gone (404, 410: they
// expire after about a week, or YouTube dropped it) is Transient too, and a retry starts
// a new one. Anything else is classified as every answer is (youtube.go). The session URI
// carries the upload's id, so messages never repeat it.
//
// Time: each PUT is one request and so must fit the adapter client's per-request timeout
// (30 s in production): an 8 MiB chunk needs an upstream of about 2.2 Mbit/s or more. The
// video's download spans every chunk, so OpenMedia applies that timeout to each stall of
// the video's server (nothing arriving for 30 s fails the upload, Transient) and the
// publish's context, the job's 5-minute timeout, bounds the whole upload. The practical
// size is therefore what the slower of the video's server and the link to YouTube moves in
// 5 minutes: about 180 MiB at 5 Mbit/s, 1.8 GiB at 50 Mbit/s; the 2 GiB limit is reached
// only on a fast link (or a longer job timeout). A larger video fails Transient when the
// job's time runs out, and then fails for good after the engine's retries.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

const (
	// chunkUnit is what YouTube wants every chunk but the last to be a multiple of.
	chunkUnit = 256 << 10
	// defaultChunkSize is the bytes each PUT carries, and the buffer an upload holds.
	defaultChunkSize = 32 * chunkUnit // 8 MiB
	// maxVideoBytes is the largest video Octopost uploads (YouTube's own limit is far
	// higher; the job's timeout makes this one generous already).
	maxVideoBytes = 2 << 30
	// chunkTries is how many times a chunk is tried without progress.
	chunkTries = 4
	// defaultRetryWait is the pause after a failed chunk before the session is asked
	// where it stands; it doubles on each further failure.
	defaultRetryWait = time.Second
)

// upload streams the video at rawURL to YouTube with meta and returns the video's id.
func (a *Adapter) upload(ctx context.Context, token string, meta videoMeta, rawURL string) (string, error) {
	dl, err := platform.OpenMedia(ctx, a.client, "YouTube", "video", rawURL, maxVideoBytes)
	if err != nil {
		return "", err
	}
	defer dl.Body.Close()
	if dl.Size == 0 {
		return "", platform.Errorf(platform.Permanent, 0, "YouTube: video %s is empty", dl.Shown)
	}
	contentType := dl.ContentType
	if !strings.HasPrefix(contentType, "video/") {
		contentType = "application/octet-stream"
	}
	h := http.Header{}
	h.Set("X-Upload-Content-Type", contentType)
	if dl.Size > 0 {
		h.Set("X-Upload-Content-Length", strconv.FormatInt(dl.Size, 10))
	}
	answer, err := a.call(ctx, http.MethodPost, a.api+"/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status", token, h, meta, nil)
	if err != nil {
		return "", err
	}
	session := answer.Get("Location")
	if u, err := url.Parse(session); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", platform.Errorf(platform.Transient, 0, "YouTube started an upload without a valid session URI")
	}
	size := a.chunkSize
	if size <= 0 || size%chunkUnit != 0 {
		size = defaultChunkSize
	}
	up := &uploader{
		a: a, token: token, session: session, shown: dl.Shown,
		src: dl.Body, total: dl.Size, buf: make([]byte, 0, size),
	}
	return up.run(ctx)
}

// uploader is one resumable upload under way.
type uploader struct {
	a              *Adapter
	token, session string
	shown          string // the video's URL, as messages may show it

	src      io.Reader
	total    int64  // the video's length; -1 until known
	kept     int64  // what the session holds: buf starts there
	buf      []byte // the bytes from kept on, not yet confirmed; cap is the chunk size
	ahead    [1]byte
	hasAhead bool // ahead holds the byte after buf
	eof      bool // the source is read to its end
}

// run sends the chunks until YouTube answers with the video (see the note at the top).
func (u *uploader) run(ctx context.Context) (string, error) {
	failures := 0
	query := false // ask the session where it stands rather than send a chunk
	for {
		if !query {
			if err := u.fill(); err != nil {
				return "", err
			}
			if u.total == 0 {
				return "", platform.Errorf(platform.Permanent, 0, "YouTube: video %s is empty", u.shown)
			}
			// Everything is kept but YouTube has not named the video: ask for it.
			query = u.eof && len(u.buf) == 0
		}
		var (
			a   answer
			err error
		)
		if query {
			a, err = u.put(ctx, nil, "bytes */"+u.totalString())
		} else {
			a, err = u.put(ctx, u.buf, fmt.Sprintf("bytes %d-%d/%s", u.kept, u.kept+int64(len(u.buf))-1, u.totalString()))
		}
		if err != nil {
			if !a.retry {
				return "", err
			}
			if failures++; failures >= chunkTries {
				return "", err
			}
			if err := u.wait(ctx, failures); err != nil {
				return "", err
			}
			query = true
			continue
		}
		if a.id != "" {
			return a.id, nil
		}
		before := u.kept
		if err := u.advance(a.kept); err != nil {
			return "", err
		}
		switch {
		case u.kept > before:
			failures = 0
		case !query:
			// A chunk the session kept none of: it is sent again, a few times at most.
			if failures++; failures >= chunkTries {
				return "", platform.Errorf(platform.Transient, 0, "YouTube's upload session does not keep the video's bytes; it will be uploaded again")
			}
		}
		query = false
	}
}

// totalString is the total for Content-Range: the length, or * while it is unknown.
func (u *uploader) totalString() string {
	if u.total < 0 {
		return "*"
	}
	return strconv.FormatInt(u.total, 10)
}

// fill reads the source until the buffer is a full chunk or the source ends, and looks
// one byte ahead of a full chunk to know whether it is the last.
func (u *uploader) fill() error {
	for len(u.buf) < cap(u.buf) && !u.eof {
		if u.hasAhead {
			u.buf = append(u.buf, u.ahead[0])
			u.hasAhead = false
			continue
		}
		n, err := io.ReadFull(u.src, u.buf[len(u.buf):cap(u.buf)])
		u.buf = u.buf[:len(u.buf)+n]
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			u.eof = true
		case err != nil:
			return err
		}
	}
	if !u.eof && !u.hasAhead {
		n, err := io.ReadFull(u.src, u.ahead[:])
		switch {
		case n == 1:
			u.hasAhead = true
		case errors.Is(err, io.EOF):
			u.eof = true
		case err != nil:
			return err
		}
	}
	if u.eof {
		read := u.kept + int64(len(u.buf))
		switch {
		case u.total < 0:
			u.total = read
		case read != u.total:
			return platform.Errorf(platform.Transient, 0, "YouTube: video %s ended before the length its server announced", u.shown)
		}
	}
	return nil
}

// advance drops from the buffer what the session now holds (kept bytes from the start).
func (u *uploader) advance(kept int64) error {
	if kept < u.kept || kept > u.kept+int64(len(u.buf)) {
		// It lost bytes no longer held here, or claims bytes never sent.
		return platform.Errorf(platform.Transient, 0, "YouTube's upload session lost track of the video; it will be uploaded again")
	}
	n := kept - u.kept
	u.buf = u.buf[:copy(u.buf, u.buf[n:])]
	u.kept = kept
	return nil
}

// wait pauses before the failures-th retry: retryWait, doubled for each further one.
func (u *uploader) wait(ctx context.Context, failures int) error {
	d := u.a.retryWait << (failures - 1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("YouTube: waiting to resume the upload: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}

// answer is what the session said to a PUT: the video's id when the upload is complete,
// else how many bytes it holds; retry, with an error, for a failure worth resuming after.
type answer struct {
	id    string
	kept  int64
	retry bool
}

// put sends body (nil: a status query) to the session with contentRange.
func (u *uploader) put(ctx context.Context, body []byte, contentRange string) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.session, bytes.NewReader(body))
	if err != nil {
		return answer{}, platform.Errorf(platform.Transient, 0, "YouTube sent an upload session URI that is not valid")
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Range", contentRange)
	req.Header.Set("Authorization", "Bearer "+u.token)
	resp, err := u.a.client.Do(req)
	if err != nil {
		err = platform.TransportError(ctx, "YouTube", err, u.token, u.session)
		return answer{retry: ctx.Err() == nil && platform.KindOf(err) == platform.Transient}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		err = platform.TransportError(ctx, "YouTube", err, u.token, u.session)
		return answer{retry: ctx.Err() == nil && platform.KindOf(err) == platform.Transient}, err
	}
	switch code := resp.StatusCode; {
	case code == http.StatusOK || code == http.StatusCreated:
		var v struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(data, &v) != nil || v.ID == "" {
			// The video probably exists: a retry could only upload it twice.
			return answer{}, platform.Errorf(platform.Permanent, code,
				"YouTube accepted the video but its answer named none; check the channel before publishing again")
		}
		return answer{id: v.ID}, nil
	case code == http.StatusPermanentRedirect: // 308 Resume Incomplete
		kept, ok := parseRange(resp.Header.Get("Range"))
		if !ok {
			return answer{}, platform.Errorf(platform.Transient, code, "YouTube's upload session sent an unreadable Range")
		}
		return answer{kept: kept}, nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return answer{}, platform.Errorf(platform.Transient, code, "YouTube's upload session has expired; the video will be uploaded again")
	case code >= 500 || code == http.StatusRequestTimeout:
		return answer{retry: true}, u.a.classify(resp, data, u.token)
	default:
		return answer{}, u.a.classify(resp, data, u.token)
	}
}

// parseRange reads a 308's Range header, bytes=0-N, as the N+1 bytes kept; no header
// means none.
func parseRange(v string) (int64, bool) {
	if v == "" {
		return 0, true
	}
	last, ok := strings.CutPrefix(v, "bytes=0-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(last, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n + 1, true
}
