package threads

// The adapter publishes with the Threads API's two steps, each post a media container
// that is then published:
//
//  1. POST {api}/v1.0/{user-id}/threads with media_type TEXT, IMAGE (image_url, alt_text)
//     or VIDEO (video_url), the text, and reply_to_id for a thread's later parts
//     → {id} of the container. Two or more media (images, and the video if there is one;
//     at most 20) are a carousel: one container per item (is_carousel_item=true, no text),
//     then a CAROUSEL container with children (their ids, comma-separated) and the text.
//  2. GET {api}/v1.0/{container}?fields=status,error_message until the container is
//     FINISHED (Threads fetches and processes the media in between; IN_PROGRESS). ERROR is
//     Permanent with Threads' reason; EXPIRED (a container not published within 24 hours)
//     is Transient, as a retry makes a new one. Polling is bounded by the context's
//     deadline and MaxWait, every PollInterval; a container still processing when the next
//     poll would pass them is Transient, and the unpublished container is harmless (Threads
//     drops it after a day).
//  3. POST {api}/v1.0/{user-id}/threads_publish with creation_id → {id} of the post.
//
// The post's public URL is read with GET {api}/v1.0/{id}?fields=permalink
// (https://www.threads.net/@{username}/post/{code}): its id alone does not give it. Once the
// post is published a failure of that read is not an error (a retry could only post
// twice): the Ref then has the id and no URL.
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
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// apiVersion is the Graph API version of the paths.
const apiVersion = "/v1.0"

// maxCarousel is the most items a Threads carousel takes.
const maxCarousel = 20

// Adapter is the Threads platform.Adapter.
type Adapter struct {
	graph graph
	// PollInterval is how long to wait between two reads of a container's status, and
	// MaxWait the longest a publish waits for its containers (the context's deadline may
	// cut it shorter). Tests make them small.
	PollInterval time.Duration
	MaxWait      time.Duration
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling Threads' Graph API at apiBase, without a version path
// (the real one, https://graph.threads.net, when empty). A nil client means netpolicy's
// client for public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	if apiBase == "" {
		apiBase = defaultAPIURL
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{
		graph:        graph{client: client, base: strings.TrimSuffix(apiBase, "/"), now: time.Now},
		PollInterval: 3 * time.Second,
		MaxWait:      5 * time.Minute,
	}
}

// Connect checks the access token by reading whose it is (GET /v1.0/me) and returns that
// profile, with the credentials to store: those given, plus the user id.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "Threads: access_token is required")
	}
	var me struct {
		ID       graphID `json:"id"`
		Username string  `json:"username"`
		Name     string  `json:"name"`
		Picture  string  `json:"threads_profile_picture_url"`
	}
	params := url.Values{"fields": {"id,username,name,threads_profile_picture_url"}}
	if err := a.graph.call(ctx, http.MethodGet, apiVersion+"/me", params, token, &me); err != nil {
		var pe *platform.Error
		if asError(err, &pe) && pe.Kind == platform.TokenRejected {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message}
		}
		return platform.Profile{}, nil, err
	}
	if me.ID == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, 0, "Threads sent a profile without an id")
	}
	out := platform.Credentials{}
	for k, v := range creds {
		out[k] = v
	}
	out[KeyUserID] = string(me.ID)
	return platform.Profile{UserID: string(me.ID), Username: me.Username, DisplayName: cmpOr(me.Name, me.Username), AvatarURL: me.Picture}, out, nil
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
	var changed platform.Credentials
	userID := creds[KeyUserID]
	if userID == "" {
		_, withID, err := a.Connect(ctx, creds)
		if err != nil {
			return platform.Ref{}, nil, asPublishError(err)
		}
		userID, changed = withID[KeyUserID], withID
	}

	top := url.Values{"text": {p.Text}}
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
		var children []string
		items := make([]url.Values, 0, media)
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
		for _, item := range items {
			id, err := a.container(ctx, token, userID, item)
			if err != nil {
				return platform.Ref{}, changed, err
			}
			children = append(children, id)
		}
		for _, id := range children {
			if err := a.waitFinished(ctx, token, id); err != nil {
				return platform.Ref{}, changed, err
			}
		}
		top.Set("media_type", "CAROUSEL")
		top.Set("children", strings.Join(children, ","))
	}
	container, err := a.container(ctx, token, userID, top)
	if err != nil {
		return platform.Ref{}, changed, err
	}
	if err := a.waitFinished(ctx, token, container); err != nil {
		return platform.Ref{}, changed, err
	}
	var published struct {
		ID graphID `json:"id"`
	}
	if err := a.graph.call(ctx, http.MethodPost, apiVersion+"/"+url.PathEscape(userID)+"/threads_publish",
		url.Values{"creation_id": {container}}, token, &published); err != nil {
		return platform.Ref{}, changed, err
	}
	if published.ID == "" {
		return platform.Ref{}, changed, platform.Errorf(platform.Permanent, http.StatusOK,
			"Threads published the post but its answer named no id; check the account before publishing again")
	}
	ref := platform.Ref{ID: string(published.ID)}
	var link struct {
		Permalink string `json:"permalink"`
	}
	// Published already: without its permalink the post still is, and a retry would post
	// it twice, so a failure here leaves the URL empty.
	if a.graph.call(ctx, http.MethodGet, apiVersion+"/"+url.PathEscape(ref.ID), url.Values{"fields": {"permalink"}}, token, &link) == nil {
		ref.URL = link.Permalink
	}
	return ref, changed, nil
}

// container creates a media container and returns its id.
func (a *Adapter) container(ctx context.Context, token, userID string, params url.Values) (string, error) {
	var out struct {
		ID graphID `json:"id"`
	}
	if err := a.graph.call(ctx, http.MethodPost, apiVersion+"/"+url.PathEscape(userID)+"/threads", params, token, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", platform.Errorf(platform.Transient, http.StatusOK, "Threads sent a container answer without an id")
	}
	return string(out.ID), nil
}

// waitFinished polls a container's status until it is FINISHED (see the top).
func (a *Adapter) waitFinished(ctx context.Context, token, id string) error {
	deadline := a.graph.now().Add(a.MaxWait)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	for {
		var st struct {
			Status       string `json:"status"`
			ErrorMessage string `json:"error_message"`
		}
		if err := a.graph.call(ctx, http.MethodGet, apiVersion+"/"+url.PathEscape(id),
			url.Values{"fields": {"status,error_message"}}, token, &st); err != nil {
			return err
		}
		switch st.Status {
		case "FINISHED":
			return nil
		case "ERROR":
			return platform.Errorf(platform.Permanent, 0, "Threads could not process the post's media: %s", cmpOr(redact(st.ErrorMessage, []string{token}), "no reason given"))
		case "EXPIRED":
			return platform.Errorf(platform.Transient, 0, "Threads let the post's container expire before it was published")
		case "PUBLISHED":
			return platform.Errorf(platform.Permanent, 0, "Threads says the post's container is already published")
		}
		if a.graph.now().Add(a.PollInterval).After(deadline) {
			return platform.Errorf(platform.Transient, 0, "Threads is still processing the post's media; it will be tried again")
		}
		t := time.NewTimer(a.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("Threads: waiting for the container: %w", ctx.Err())
		case <-t.C:
		}
	}
}

// asPublishError is a Connect failure as a publish sees it: a refused token is
// TokenRejected again.
func asPublishError(err error) error {
	var pe *platform.Error
	if asError(err, &pe) && pe.Kind == platform.InvalidCredentials {
		return &platform.Error{Kind: platform.TokenRejected, Status: pe.Status, Message: pe.Message}
	}
	return err
}

func cmpOr(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
