package platform

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// FetchImage downloads an image a post names by URL, for the adapters that upload media
// to their platform (Mastodon, Bluesky, X; the others pass the URL on and the platform
// fetches it). It reads at most limit bytes and returns the image with its media type
// (from the answer, or sniffed when the server did not say). An image is small enough to
// hold; a video is streamed (OpenMedia).
func FetchImage(ctx context.Context, client *http.Client, name, rawURL string, limit int64) ([]byte, string, error) {
	d, err := OpenMedia(ctx, client, name, "image", rawURL, limit)
	if err != nil {
		return nil, "", err
	}
	defer d.Body.Close()
	data, err := io.ReadAll(d.Body)
	if err != nil {
		return nil, "", err
	}
	ct := d.ContentType
	if !strings.HasPrefix(ct, "image/") {
		ct, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	if !strings.HasPrefix(ct, "image/") {
		return nil, "", Errorf(Permanent, 0, "%s: %s is not an image", name, d.Shown)
	}
	return data, ct, nil
}

// Download is media being fetched: the adapter reads Body (at most the limit it asked
// for: a longer body fails the read with a Permanent error) and closes it.
type Download struct {
	Body        io.ReadCloser
	Size        int64  // the length the server announced; -1 when it did not
	ContentType string // the media type the server announced, without parameters; may be empty
	Shown       string // the URL as messages may show it (ShowURL)
}

// OpenMedia starts fetching media a post names by URL (kind is "image" or "video", for
// messages), for the adapters that upload bytes to their platform. Nothing is held in
// memory: the adapter streams Body on to the platform, so a video of any size costs a
// buffer, not its length.
//
// client must be the adapter's SSRF-safe client (netpolicy): the URL is the user's, so it
// may aim at the server's own network. A refused address is Permanent, like every answer
// that a retry would not change (404, larger than limit); a server that is down or busy is
// Transient. name prefixes the messages, which name the media by ShowURL: the URL's
// credentials, query and fragment (where signed URLs keep their signatures) are never
// repeated.
func OpenMedia(ctx context.Context, client *http.Client, name, kind, rawURL string, limit int64) (*Download, error) {
	shown := ShowURL(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, Errorf(Permanent, 0, "%s: %s URL %s is not a valid http(s) URL", name, kind, shown)
	}
	// The client's Timeout bounds one whole request, body included: right for a call to a
	// platform, wrong for a video that streams on to the platform for minutes. Here it
	// bounds the wait for the answer and every stall of the body instead (a source that
	// sends nothing for that long fails); the whole download is bounded by ctx.
	stall := client.Timeout
	fetch := *client
	fetch.Timeout = 0
	reqCtx, cancel := context.WithCancel(ctx)
	var idle *time.Timer
	if stall > 0 {
		idle = time.AfterFunc(stall, cancel)
	}
	stop := func() {
		if idle != nil {
			idle.Stop()
		}
		cancel()
	}
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, rawURL, nil)
	if err != nil {
		stop()
		return nil, Errorf(Permanent, 0, "%s: %s URL %s is not a valid http(s) URL", name, kind, shown)
	}
	resp, err := fetch.Do(req)
	if err != nil {
		stop()
		return nil, mediaTransportError(ctx, name, kind, shown, err)
	}
	fail := func(err error) (*Download, error) {
		resp.Body.Close()
		stop()
		return nil, err
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fail(Errorf(Transient, 0, "%s: could not fetch %s %s: its server answered HTTP %d", name, kind, shown, resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return fail(Errorf(Permanent, 0, "%s: could not fetch %s %s: its server answered HTTP %d", name, kind, shown, resp.StatusCode))
	case resp.ContentLength > limit:
		return fail(tooLarge(name, kind, shown, limit))
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return &Download{
		Body: &limitedBody{
			ctx: ctx, body: resp.Body, left: limit, name: name, kind: kind, shown: shown, limit: limit,
			idle: idle, stall: stall, stop: stop,
		},
		Size: resp.ContentLength, ContentType: ct, Shown: shown,
	}, nil
}

func tooLarge(name, kind, shown string, limit int64) error {
	return Errorf(Permanent, 0, "%s: %s %s is larger than the platform's limit of %d bytes", name, kind, shown, limit)
}

// limitedBody reads a download's body up to its limit; one byte more is a Permanent
// error, and a broken connection is classified like a failed fetch.
type limitedBody struct {
	ctx               context.Context
	body              io.ReadCloser
	left, limit       int64
	name, kind, shown string
	idle              *time.Timer // cancels the request after stall without a byte; nil: no bound
	stall             time.Duration
	stop              func()
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	if b.idle != nil {
		// Only the time spent waiting for the source counts: between reads the adapter
		// is sending what it read on to the platform.
		b.idle.Reset(b.stall)
	}
	n, err := b.body.Read(p)
	if b.idle != nil {
		b.idle.Stop()
	}
	b.left -= int64(n)
	if b.left < 0 {
		return n, tooLarge(b.name, b.kind, b.shown, b.limit)
	}
	if err != nil && err != io.EOF {
		if b.ctx.Err() == nil && errors.Is(err, context.Canceled) {
			return n, Errorf(Transient, 0, "%s: %s %s stopped arriving: nothing for %s", b.name, b.kind, b.shown, b.stall)
		}
		return n, mediaTransportError(b.ctx, b.name, b.kind, b.shown, err)
	}
	return n, err
}

func (b *limitedBody) Close() error {
	err := b.body.Close()
	b.stop()
	return err
}

func mediaTransportError(ctx context.Context, name, kind, shown string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: could not fetch %s %s: %w", name, kind, shown, ctxErr)
	}
	k, what, cause := describeTransport(err)
	return &Error{Kind: k, Message: fmt.Sprintf("%s: could not fetch %s %s: %s", name, kind, shown, what), Err: cause}
}

// ShowURL returns raw as it may appear in a message: scheme, host and path, without the
// credentials, query and fragment a URL can carry secrets in.
func ShowURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(not a URL)"
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}
