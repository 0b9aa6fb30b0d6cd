package platform

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// FetchImage downloads an image a post names by URL, for the adapters that upload media
// to their platform (Mastodon, Bluesky; the others pass the URL on and the platform
// fetches it). It reads at most limit bytes and returns the image with its media type
// (from the answer, or sniffed when the server did not say).
//
// client must be the adapter's SSRF-safe client (netpolicy): the URL is the user's, so it
// may aim at the server's own network. A refused address is Permanent, like every answer
// that a retry would not change (404, too large, not an image); a server that is down or
// busy is Transient. name prefixes the messages, which name the image by ShowURL: the
// URL's credentials, query and fragment (where signed URLs keep their signatures) are
// never repeated.
func FetchImage(ctx context.Context, client *http.Client, name, rawURL string, limit int64) ([]byte, string, error) {
	shown := ShowURL(rawURL)
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", Errorf(Permanent, 0, "%s: image URL %s is not a valid http(s) URL", name, shown)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, "", Errorf(Permanent, 0, "%s: image URL %s is not a valid http(s) URL", name, shown)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", imageTransportError(ctx, name, shown, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, "", Errorf(Transient, 0, "%s: could not fetch image %s: its server answered HTTP %d", name, shown, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, "", Errorf(Permanent, 0, "%s: could not fetch image %s: its server answered HTTP %d", name, shown, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", imageTransportError(ctx, name, shown, err)
	}
	if int64(len(data)) > limit {
		return nil, "", Errorf(Permanent, 0, "%s: image %s is larger than the platform's limit of %d bytes", name, shown, limit)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "image/") {
		ct, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	if !strings.HasPrefix(ct, "image/") {
		return nil, "", Errorf(Permanent, 0, "%s: %s is not an image", name, shown)
	}
	return data, ct, nil
}

func imageTransportError(ctx context.Context, name, shown string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: could not fetch image %s: %w", name, shown, ctxErr)
	}
	kind, what, cause := describeTransport(err)
	return &Error{Kind: kind, Message: fmt.Sprintf("%s: could not fetch image %s: %s", name, shown, what), Err: cause}
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
