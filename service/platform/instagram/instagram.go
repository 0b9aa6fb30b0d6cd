package instagram

// The adapter publishes with the Instagram API's content publishing (Instagram Login,
// Graph API version apiVersion), each post a media container that is then published:
//
//  1. POST {api}/v21.0/{ig-user-id}/media → {id} of a container: a feed post with
//     image_url and caption; a reel with media_type=REELS, video_url and caption; a story
//     with media_type=STORIES and image_url or video_url (no caption: stories show none);
//     a carousel as one container per item (is_carousel_item=true, image_url, or
//     media_type=VIDEO and video_url), then a media_type=CAROUSEL container with children
//     (their ids, comma-separated) and the caption. What the post becomes is its
//     platform_options post_type, or the default (options.go).
//  2. GET {api}/v21.0/{container}?fields=status_code,status until status_code is FINISHED;
//     ERROR comes with Instagram's reason in status. Polling is every PollInterval, within
//     MaxWait and the context's deadline.
//  3. POST {api}/v21.0/{ig-user-id}/media_publish with creation_id → {id} of the media,
//     then GET {api}/v21.0/{id}?fields=permalink (/p/{code}/, /reel/{code}/, a story's
//     own).
//
// The create → poll → publish → permalink flow, and its deadline rules, are package
// metagraph's (container.go), shared with Threads.
//
// Media must be public URLs: Instagram fetches them itself, so nothing is downloaded here.
// Alt text is not sent (this publishing API takes none). Instagram has no idempotency key,
// so the adapter does not claim Idempotent.
//
// Instagram has no replies between posts (Spec.Replies is false): each part of a thread
// is an Instagram post of its own, in order, and must carry its own image or video. A
// text-only part is refused when the post is accepted (Spec.Media) and, should one reach
// the adapter, Permanent with that reason before any call: it is never skipped silently.
// 50 posts a day per account through the API are a rate limit (graph.go).

import (
	"cmp"
	"context"
	"net/http"
	"net/url"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/metagraph"
)

// apiVersion is the Graph API version of the paths; Meta supports each version for about
// two years after its release.
const apiVersion = "/v21.0"

// Adapter is the Instagram platform.Adapter: Connect, the container flow and its timing
// (PollInterval, MaxWait) are metagraph's Publisher.
type Adapter struct {
	metagraph.Publisher
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling Instagram's Graph API at apiBase, without a version path
// (the real one, https://graph.instagram.com, when empty). A nil client means netpolicy's
// client for public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	return &Adapter{metagraph.NewPublisher(client, cmp.Or(apiBase, defaultAPIURL), metagraph.Containers{
		Graph:   metagraph.Graph{Rules: rules},
		Version: apiVersion, CreateEdge: "media", PublishEdge: "media_publish",
		State: "status_code", Reason: "status", IDField: "user_id", PictureField: "profile_picture_url",
	})}
}

// Publish creates the post's container(s), waits for them, publishes and reads the post's
// URL. It returns new credentials only when the user id had to be read first.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	o, err := decodeOptions(p.Options)
	if err != nil {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "Instagram: platform_options.instagram must be an object with post_type")
	}
	kind, why := postType(o, p)
	if why != "" {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "Instagram: %s", why)
	}
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.TokenRejected, 0, "Instagram: the account has no access token; connect it again")
	}
	userID, changed, err := a.UserID(ctx, creds)
	if err != nil {
		return platform.Ref{}, nil, err
	}

	top, items := url.Values{}, []url.Values(nil)
	switch kind {
	case PostFeed:
		top.Set("image_url", p.Images[0].URL)
		top.Set("caption", p.Text)
	case PostReel:
		top.Set("media_type", "REELS")
		top.Set("video_url", p.VideoURL)
		top.Set("caption", p.Text)
	case PostStory:
		top.Set("media_type", "STORIES")
		if p.VideoURL != "" {
			top.Set("video_url", p.VideoURL)
		} else {
			top.Set("image_url", p.Images[0].URL)
		}
	case PostCarousel:
		for _, img := range p.Images {
			items = append(items, url.Values{"image_url": {img.URL}, "is_carousel_item": {"true"}})
		}
		if p.VideoURL != "" {
			items = append(items, url.Values{"media_type": {"VIDEO"}, "video_url": {p.VideoURL}, "is_carousel_item": {"true"}})
		}
		top.Set("media_type", "CAROUSEL")
		top.Set("caption", p.Text)
	}
	ref, err := a.Post(ctx, token, userID, items, top, a.PollInterval, a.MaxWait)
	return ref, changed, err
}
