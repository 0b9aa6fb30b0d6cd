package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	_ "image/gif" // registered for DecodeConfig: an image's size gives its aspect ratio
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/octopost/octopost/service/platform"
)

const (
	// maxImages is app.bsky.embed.images' limit.
	maxImages = 4
	// maxImageBytes is the largest image app.bsky.embed.images accepts.
	maxImageBytes = 1_000_000
)

// uploadImages fetches each image from its public URL, uploads it as a blob and returns
// the app.bsky.embed.images embed naming them. The error it returns is unclassified.
func (a *Adapter) uploadImages(ctx context.Context, s *session, images []platform.Image) (map[string]any, error) {
	list := make([]map[string]any, 0, len(images))
	for _, img := range images {
		data, contentType, err := fetchImage(ctx, a.client, img.URL, maxImageBytes)
		if err != nil {
			return nil, err
		}
		var out struct {
			Blob json.RawMessage `json:"blob"` // passed back verbatim: the PDS checks it
		}
		err = a.authed(ctx, s, xrpcCall{
			method: http.MethodPost, nsid: "com.atproto.repo.uploadBlob", raw: data, contentType: contentType,
		}, &out)
		if err != nil {
			return nil, err
		}
		entry := map[string]any{"alt": img.AltText, "image": out.Blob}
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(data)); err == nil && cfg.Width > 0 && cfg.Height > 0 {
			// Without it, apps show the image cropped to a square until it loads.
			entry["aspectRatio"] = map[string]int{"width": cfg.Width, "height": cfg.Height}
		}
		list = append(list, entry)
	}
	return map[string]any{"$type": "app.bsky.embed.images", "images": list}, nil
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
		return nil, "", platform.Errorf(platform.Permanent, 0, "image %s is larger than Bluesky's limit of %d bytes", url, limit)
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
