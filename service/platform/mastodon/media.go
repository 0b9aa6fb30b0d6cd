package mastodon

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// maxImageBytes is Mastodon's default image size limit.
const maxImageBytes = 16 << 20

type mediaAttachment struct {
	ID  string  `json:"id"`
	URL *string `json:"url"` // null while the server is still processing the file
}

// uploadImage fetches an image from its URL (platform.FetchImage, through the SSRF-safe
// client), uploads it with its alt text and waits until Mastodon has processed it (a
// status cannot attach an unprocessed file).
func (a *Adapter) uploadImage(ctx context.Context, base, token string, img platform.Image) (string, error) {
	data, contentType, err := platform.FetchImage(ctx, a.client, "mastodon", img.URL, maxImageBytes)
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
