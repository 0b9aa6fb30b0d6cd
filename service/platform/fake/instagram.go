package fake

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octopost/octopost/service/platform/textlimit"
)

// Instagram is a fake of the Instagram API with Instagram Login for one professional
// account (User): Meta's OAuth (threads_graph.go, with ig_exchange_token and
// ig_refresh_token; its token endpoint answers {access_token, user_id, permissions} and
// refuses with Instagram's own {error_type, code, error_message}) and content
// publishing, all on one server (the real ones are on www.instagram.com,
// api.instagram.com and graph.instagram.com; Octopost takes each as a setting). The API is
// at /v21.0/…, the access token in access_token (query or form):
//
//   - GET /v21.0/me answers the requested fields of user_id, username, name,
//     profile_picture_url, and the node's app-scoped id;
//   - POST /v21.0/{ig-user-id}/media creates a container: image_url alone (a feed image),
//     media_type=REELS with video_url, media_type=STORIES with image_url or video_url (and
//     no caption: stories take none), a carousel item (is_carousel_item=true with
//     image_url, or media_type=VIDEO with video_url), or media_type=CAROUSEL with children
//     (2 to 10 ids of this account's finished carousel items). media_type=VIDEO outside a
//     carousel is refused, as on Instagram (videos are reels). A caption over 2,200
//     characters or with more than 30 hashtags, or a media URL that is not absolute
//     http(s), is a 400 code 100;
//   - GET /v21.0/{id}?fields=status_code,status reads a container: IN_PROGRESS for
//     SetProcessing reads (Instagram fetching the media), then FINISHED, or ERROR with a
//     status text for media FailMedia names; EXPIRED after 24 hours unpublished. For a
//     published media, GET /v21.0/{id}?fields=permalink answers its URL
//     (https://www.instagram.com/p/{code}/, /reel/{code}/, or the story's);
//   - POST /v21.0/{ig-user-id}/media_publish?creation_id=… publishes a FINISHED
//     container (not a carousel item; once only; one still processing is a 400 code 9007,
//     an expired one a 400) and answers {id}; 50 posts in 24 hours per account, then a 400
//     code 9, subcode 2207042, with X-Business-Use-Case-Usage saying when the oldest post
//     leaves the window.
//
// Media lists what was published; Calls counts requests by path.
type Instagram struct {
	metaGraph
	// AppScopedID is the /me node's id, which is not the account's user_id.
	AppScopedID string

	srv        *httptest.Server
	containers map[string]*InstagramContainer
	media      []InstagramMedia
}

// InstagramContainer is a media container made on the fake.
type InstagramContainer struct {
	ID, MediaType, ImageURL, VideoURL, Caption string
	HasCaption                                 bool // a caption parameter was sent
	Children                                   []string
	IsCarouselItem                             bool
	StatusCode, Status                         string

	created   time.Time
	pollsLeft int
	published bool
}

// InstagramMedia is a post published on the fake.
type InstagramMedia struct {
	ID        string
	Permalink string
	Container InstagramContainer
	// Items are a carousel's items, in order; nil for other posts.
	Items []InstagramContainer
}

// Instagram's limits.
const (
	instagramMaxPosts    = 50
	instagramMaxHashtags = 30
	instagramMaxChildren = 10
)

// NewInstagram starts the fake, stopped when the test ends.
func NewInstagram(t testing.TB) *Instagram {
	f := &Instagram{
		metaGraph: newMetaGraph("Instagram", "fake-instagram-app", "fake-instagram-secret", MetaUser{
			ID: "17841405822304914", Username: "octoposter", Name: "Octo Poster",
			PictureURL: "https://scontent.cdninstagram.com/v/t51/octoposter_ig.jpg",
		}),
		AppScopedID: "7590279194316734",
		containers:  map[string]*InstagramContainer{},
	}
	f.scopes = []string{"instagram_business_basic", "instagram_business_content_publish"}
	f.exchangeGrant, f.refreshGrant = "ig_exchange_token", "ig_refresh_token"
	f.codeAnswer = func(access string) any {
		return map[string]any{
			"access_token": access, "user_id": jsonNumber(f.User.ID),
			"permissions": "instagram_business_basic,instagram_business_content_publish",
		}
	}
	f.codeRefusal = func(w http.ResponseWriter, status, _ int, typ, msg string) {
		writeJSON(w, status, map[string]any{"error_type": typ, "code": status, "error_message": msg})
	}
	mux := http.NewServeMux()
	f.handle(mux)
	mux.HandleFunc("GET /v21.0/me", f.me)
	mux.HandleFunc("POST /v21.0/{user}/media", f.create)
	mux.HandleFunc("POST /v21.0/{user}/media_publish", f.publish)
	mux.HandleFunc("GET /v21.0/{id}", f.node)
	f.srv = httptest.NewServer(f.serve(mux, failGraph))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Media returns what was published, in order.
func (f *Instagram) Media() []InstagramMedia {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]InstagramMedia(nil), f.media...)
}

// Containers returns how many containers were made.
func (f *Instagram) Containers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.containers)
}

func (f *Instagram) me(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokenOf(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusOK, fields(r, map[string]any{
		"id": f.AppScopedID, "user_id": f.User.ID, "username": f.User.Username, "name": f.User.Name,
		"profile_picture_url": f.User.PictureURL,
	}))
}

var instagramHashtag = regexp.MustCompile(`#[\p{L}\p{N}_]+`)

func (f *Instagram) create(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokenOf(w, r); !ok || !f.ownUser(w, r) {
		return
	}
	p := r.Form
	c := &InstagramContainer{
		MediaType: p.Get("media_type"), ImageURL: p.Get("image_url"), VideoURL: p.Get("video_url"),
		Caption: p.Get("caption"), HasCaption: p.Has("caption"), IsCarouselItem: p.Get("is_carousel_item") == "true",
		created: f.nowLocked(),
	}
	bad := func(subcode int, msg string) {
		graphError(w, http.StatusBadRequest, 100, subcode, "OAuthException", msg)
	}
	image, video := c.ImageURL != "", c.VideoURL != ""
	urlOK := (!image || absoluteHTTP(c.ImageURL)) && (!video || absoluteHTTP(c.VideoURL))
	if !urlOK {
		bad(2207052, "The media could not be fetched from this URI")
		return
	}
	switch {
	case c.MediaType == "" && image && !video:
	case c.MediaType == "REELS" && video && !image && !c.IsCarouselItem:
	case c.MediaType == "STORIES" && image != video && !c.IsCarouselItem:
		if c.HasCaption {
			bad(0, "Stories do not take a caption")
			return
		}
	case c.MediaType == "VIDEO" && video && !image && c.IsCarouselItem:
	case c.MediaType == "VIDEO":
		bad(2207067, "The VIDEO media type is no longer supported for single posts; use REELS")
		return
	case c.MediaType == "CAROUSEL" && !image && !video && !c.IsCarouselItem:
		c.Children = strings.Split(p.Get("children"), ",")
		if len(c.Children) < 2 || len(c.Children) > instagramMaxChildren {
			bad(2207003, "A carousel takes 2 to 10 children")
			return
		}
		for _, id := range c.Children {
			child := f.containers[id]
			if child == nil || !child.IsCarouselItem || child.StatusCode != "FINISHED" || child.published {
				bad(2207003, "Carousel child "+id+" is not a finished carousel item")
				return
			}
		}
	default:
		bad(0, "The parameters do not make a container: image_url, or media_type REELS, STORIES, VIDEO (carousel items) or CAROUSEL with its media")
		return
	}
	if c.IsCarouselItem && c.HasCaption {
		bad(0, "A carousel item takes no caption; the carousel does")
		return
	}
	if textlimit.Check("instagram", c.Caption, true, 0) != nil {
		bad(2207019, "The caption is too long: at most 2200 characters")
		return
	}
	if len(instagramHashtag.FindAllString(c.Caption, -1)) > instagramMaxHashtags {
		bad(2207019, "The caption has more than 30 hashtags")
		return
	}
	c.ID = f.newIDLocked()
	c.StatusCode, c.pollsLeft = "IN_PROGRESS", f.processingPolls
	if c.MediaType == "CAROUSEL" {
		c.pollsLeft = 0 // its items are processed already
	}
	if c.pollsLeft <= 0 {
		f.settleLocked(c)
	}
	f.containers[c.ID] = c
	writeJSON(w, http.StatusOK, map[string]string{"id": c.ID})
}

func (f *Instagram) settleLocked(c *InstagramContainer) {
	if msg, ok := f.failMedia[c.ImageURL+c.VideoURL]; ok {
		c.StatusCode, c.Status = "ERROR", "Error: "+msg
		return
	}
	c.StatusCode, c.Status = "FINISHED", "Finished: Media container is ready to be published"
}

func (f *Instagram) statusLocked(c *InstagramContainer) string {
	return f.containerStateLocked(c.published, c.created, c.StatusCode)
}

func (f *Instagram) node(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokenOf(w, r); !ok {
		return
	}
	id := r.PathValue("id")
	if c := f.containers[id]; c != nil {
		if c.StatusCode == "IN_PROGRESS" {
			if c.pollsLeft--; c.pollsLeft <= 0 {
				f.settleLocked(c)
			}
		}
		node := map[string]any{"id": c.ID, "status_code": f.statusLocked(c)}
		if c.Status != "" {
			node["status"] = c.Status
		}
		writeJSON(w, http.StatusOK, fields(r, node))
		return
	}
	for _, m := range f.media {
		if m.ID == id {
			writeJSON(w, http.StatusOK, fields(r, map[string]any{
				"id": m.ID, "permalink": m.Permalink, "caption": m.Container.Caption, "username": f.User.Username,
			}))
			return
		}
	}
	unknownObject(w, id)
}

func (f *Instagram) publish(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokenOf(w, r); !ok || !f.ownUser(w, r) {
		return
	}
	c := f.containers[r.Form.Get("creation_id")]
	switch {
	case c == nil:
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "Param creation_id must be a container of this account")
		return
	case c.IsCarouselItem:
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "A carousel item cannot be published on its own")
		return
	}
	switch f.statusLocked(c) {
	case "FINISHED":
	case "EXPIRED", "PUBLISHED", "ERROR":
		graphError(w, http.StatusBadRequest, 100, 2207006, "OAuthException", "The media container cannot be published: "+f.statusLocked(c))
		return
	default:
		graphError(w, http.StatusBadRequest, 9007, 2207027, "OAuthException", "Media ID is not available: the media is not ready for publishing, please wait for a moment")
		return
	}
	now := f.nowLocked()
	if !f.quotaLocked(w, now, instagramMaxPosts, 9, 2207042, "You reached the maximum number of posts that is allowed to be published by Content Publish API.") {
		return
	}
	c.published = true
	m := InstagramMedia{ID: f.newIDLocked(), Container: *c}
	code := strings.ReplaceAll(randomToken()[:11], "=", "")
	switch c.MediaType {
	case "REELS":
		m.Permalink = "https://www.instagram.com/reel/" + code + "/"
	case "STORIES":
		m.Permalink = "https://www.instagram.com/stories/" + f.User.Username + "/" + m.ID + "/"
	default:
		m.Permalink = "https://www.instagram.com/p/" + code + "/"
	}
	for _, id := range c.Children {
		f.containers[id].published = true
		m.Items = append(m.Items, *f.containers[id])
	}
	f.media = append(f.media, m)
	writeJSON(w, http.StatusOK, map[string]string{"id": m.ID})
}
