package threads

// The adapter publishes with the Threads API's containers (the flow is package
// metagraph's, container.go), on these paths:
//
//  1. POST {api}/v1.0/{user-id}/threads with media_type TEXT, IMAGE (image_url, alt_text)
//     or VIDEO (video_url), the text, and reply_to_id for a thread's later parts
//     → {id} of the container. Two or more media (images, and the video if there is one;
//     at most 20) are a carousel: one container per item (is_carousel_item=true, no text),
//     then a CAROUSEL container with children (their ids, comma-separated) and the text.
//  2. GET {api}/v1.0/{container}?fields=status,error_message until status is FINISHED;
//     ERROR comes with Threads' reason in error_message. Polling is every PollInterval,
//     within MaxWait and the context's deadline.
//  3. POST {api}/v1.0/{user-id}/threads_publish with creation_id → {id} of the post, then
//     GET {api}/v1.0/{id}?fields=permalink (https://www.threads.net/@{username}/post/
//     {code}): its id alone does not give the URL.
//
// Media are passed by public URL: Threads fetches them itself, so nothing is downloaded
// here. Threads has no idempotency key, so the adapter does not claim Idempotent.
//
// A thread is a reply chain (Spec.Replies): each later part's container names the
// previous part's post id as reply_to_id. The checks Threads makes at container creation
// (500 characters counted with emoji as their UTF-8 bytes, which textlimit counts before a
// post is accepted; at most 5 links) come back as Graph errors, Permanent with Threads'
// message; the 250 posts a day are a rate limit (graph.go).

import (
	"cmp"
	"context"
	"net/http"
	"net/url"

	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/metagraph"
)

// apiVersion is the Graph API version of the paths.
const apiVersion = "/v1.0"

// maxCarousel is the most items a Threads carousel takes.
const maxCarousel = 20

// Adapter is the Threads platform.Adapter: Connect, the container flow and its timing
// (PollInterval, MaxWait) are metagraph's Publisher.
type Adapter struct {
	metagraph.Publisher
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling Threads' Graph API at apiBase, without a version path
// (the real one, https://graph.threads.net, when empty). A nil client means netpolicy's
// client for public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	return &Adapter{metagraph.NewPublisher(client, cmp.Or(apiBase, defaultAPIURL), metagraph.Containers{
		Graph:   metagraph.Graph{Rules: rules},
		Version: apiVersion, CreateEdge: "threads", PublishEdge: "threads_publish",
		State: "status", Reason: "error_message", IDField: "id", PictureField: "threads_profile_picture_url",
	})}
}

// Publish creates the post's container(s), waits for them, publishes and reads the post's
// URL. It returns new credentials only when the user id had to be read first.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.TokenRejected, 0, "Threads: the account has no access token; connect it again")
	}
	media := len(p.Images)
	if p.VideoURL != "" {
		media++
	}
	if media > maxCarousel {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "Threads: a post takes at most %d images and videos, not %d", maxCarousel, media)
	}
	userID, changed, err := a.UserID(ctx, creds)
	if err != nil {
		return platform.Ref{}, nil, err
	}

	top, items := url.Values{"text": {p.Text}}, []url.Values(nil)
	if p.ReplyTo != nil {
		top.Set("reply_to_id", p.ReplyTo.ID)
	}
	switch {
	case media == 0:
		top.Set("media_type", "TEXT")
	case media == 1 && p.VideoURL != "":
		top.Set("media_type", "VIDEO")
		top.Set("video_url", p.VideoURL)
	case media == 1:
		top.Set("media_type", "IMAGE")
		top.Set("image_url", p.Images[0].URL)
		if p.Images[0].AltText != "" {
			top.Set("alt_text", p.Images[0].AltText)
		}
	default:
		for _, img := range p.Images {
			item := url.Values{"media_type": {"IMAGE"}, "image_url": {img.URL}, "is_carousel_item": {"true"}}
			if img.AltText != "" {
				item.Set("alt_text", img.AltText)
			}
			items = append(items, item)
		}
		if p.VideoURL != "" {
			items = append(items, url.Values{"media_type": {"VIDEO"}, "video_url": {p.VideoURL}, "is_carousel_item": {"true"}})
		}
		top.Set("media_type", "CAROUSEL")
	}
	ref, err := a.Post(ctx, token, userID, items, top, a.PollInterval, a.MaxWait)
	return ref, changed, err
}
