package bluesky

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	_ "image/gif" // registered for DecodeConfig: an image's size gives its aspect ratio
	_ "image/jpeg"
	_ "image/png"
	"net/http"

	"github.com/octopost/octopost/service/platform"
)

const (
	// maxImages is app.bsky.embed.images' limit.
	maxImages = 4
	// maxImageBytes is the largest image app.bsky.embed.images accepts.
	maxImageBytes = 1_000_000
)

// uploadImages fetches each image from its URL (platform.FetchImage, through the
// SSRF-safe client), uploads it as a blob and returns the app.bsky.embed.images embed
// naming them. An upload's error is unclassified (an *xrpcError); a fetch's is classified.
func (a *Adapter) uploadImages(ctx context.Context, s *session, images []platform.Image) (map[string]any, error) {
	list := make([]map[string]any, 0, len(images))
	for _, img := range images {
		data, contentType, err := platform.FetchImage(ctx, a.client, "bluesky", img.URL, maxImageBytes)
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
