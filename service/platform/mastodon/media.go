package mastodon

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// maxImageBytes is Mastodon's default image size limit.
const maxImageBytes = 16 << 20

type mediaAttachment struct {
	ID  string  `json:"id"`
	URL *string `json:"url"` // null while the server is still processing the file
}

// uploadImage fetches an image from its public URL, uploads it with its alt text and
// waits until Mastodon has processed it (a status cannot attach an unprocessed file).
func (a *Adapter) uploadImage(ctx context.Context, base, token string, img platform.Image) (string, error) {
	data, contentType, err := fetchImage(ctx, a.client, img.URL, maxImageBytes)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="file"; filename="image"`)
	h.Set("Content-Type", contentType) // CreateFormFile would say application/octet-stream
	part, err := mw.CreatePart(h)
	if err != nil {
		return "", fmt.Errorf("mastodon: build upload: %w", err)
	}
	if _, err := part.Write(data); err != nil {
		return "", fmt.Errorf("mastodon: build upload: %w", err)
	}
	if img.AltText != "" {
		if err := mw.WriteField("description", img.AltText); err != nil {
			return "", fmt.Errorf("mastodon: build upload: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return "", fmt.Errorf("mastodon: build upload: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v2/media", &buf)
	if err != nil {
		return "", platform.Errorf(platform.Permanent, 0, "mastodon: %s", err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	var m mediaAttachment
	if err := a.send(req, token, &m); err != nil {
		return "", err
	}
	// 202 Accepted, url null: processing goes on in the background. Poll; the server
	// answers 206 until it is done.
	for polls := 0; m.URL == nil; polls++ {
		if polls == a.maxPolls {
			return "", platform.Errorf(platform.Transient, 0, "Mastodon is still processing an image")
		}
		t := time.NewTimer(a.pollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return "", fmt.Errorf("mastodon: %w", ctx.Err())
		case <-t.C:
		}
		if err := a.call(ctx, http.MethodGet, base+"/api/v1/media/"+m.ID, token, nil, &m); err != nil {
			return "", err
		}
	}
	return m.ID, nil
}

// fetchImage downloads an image a post names by URL, up to limit bytes, and returns it
// with its media type (from the answer, or sniffed when the server did not say).
func fetchImage(ctx context.Context, client *http.Client, url string, limit int64) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", platform.Errorf(platform.Permanent, 0, "image URL %q is not valid", url)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("fetch image %s: %w", url, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, "", platform.Errorf(platform.Transient, 0, "could not fetch image %s: its server answered HTTP %d", url, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, "", platform.Errorf(platform.Permanent, 0, "could not fetch image %s: its server answered HTTP %d", url, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, "", fmt.Errorf("fetch image %s: %w", url, err)
	}
	if int64(len(data)) > limit {
		return nil, "", platform.Errorf(platform.Permanent, 0, "image %s is larger than %d bytes", url, limit)
	}
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if !strings.HasPrefix(ct, "image/") {
		ct, _, _ = mime.ParseMediaType(http.DetectContentType(data))
	}
	if !strings.HasPrefix(ct, "image/") {
		return nil, "", platform.Errorf(platform.Permanent, 0, "%s is not an image", url)
	}
	return data, ct, nil
}
