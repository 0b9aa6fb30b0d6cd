package fake

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/octopost/octopost/service/platform/textlimit"
)

// Threads is a fake of Threads for one user (User): Meta's OAuth (threads_graph.go, with
// th_exchange_token and th_refresh_token, and a token endpoint answering
// {access_token, user_id} or Graph errors) and the Graph API's publishing, all on one
// server (the real ones are on threads.net and graph.threads.net; Octopost takes each as
// a setting). The API is at /v1.0/…, the access token in access_token (query or form):
//
//   - GET /v1.0/me answers the requested fields of id, username, name,
//     threads_profile_picture_url;
//   - POST /v1.0/{user-id}/threads creates a container: media_type TEXT (text required),
//     IMAGE (image_url), VIDEO (video_url), or CAROUSEL (children: 2 to 20 ids of this
//     user's finished containers made with is_carousel_item=true), with optional text,
//     alt_text and reply_to_id (a published post; else 400). Threads' checks at creation
//     are a 400 code 100: text over 500 characters counted its way (emoji by their UTF-8
//     bytes), more than 5 links, a media URL that is not absolute http(s);
//   - GET /v1.0/{id}?fields=status,error_message reads a container: TEXT is FINISHED at
//     once, media stay IN_PROGRESS for SetProcessing reads, then FINISHED, or ERROR with
//     error_message for media FailMedia names; a container not published within 24 hours
//     is EXPIRED. For a published post, GET /v1.0/{id}?fields=permalink answers
//     https://www.threads.net/@{username}/post/{code};
//   - POST /v1.0/{user-id}/threads_publish?creation_id=… publishes a FINISHED container
//     (not a carousel item, once only; one not yet finished or expired is a 400) and
//     answers {id}; 250 posts in 24 hours per profile, then a 400 Graph rate-limit error
//     (code 4) with X-Business-Use-Case-Usage saying when the oldest leaves the window.
//
// Posts lists what was published; Calls counts requests by path.
type Threads struct {
	metaGraph

	srv        *httptest.Server
	containers map[string]*ThreadsContainer
	posts      []ThreadsPost
}

// ThreadsContainer is a media container made on the fake.
type ThreadsContainer struct {
	ID, MediaType, Text, ImageURL, VideoURL, AltText, ReplyToID string
	Children                                                    []string
	IsCarouselItem                                              bool
	Status, ErrorMessage                                        string

	created   time.Time
	pollsLeft int
	published bool
}

// ThreadsPost is a post published on the fake.
type ThreadsPost struct {
	ID        string
	Permalink string
	Container ThreadsContainer
	// Items are the carousel's items, in order; nil for other posts.
	Items []ThreadsContainer
}

// Threads' limits.
const (
	threadsMaxPosts = 250
	threadsMaxLinks = 5
)

// NewThreads starts the fake, stopped when the test ends.
func NewThreads(t testing.TB) *Threads {
	f := &Threads{
		metaGraph: newMetaGraph("Threads", "fake-threads-app", "fake-threads-secret", MetaUser{
			ID: "25154720114182935", Username: "octoposter", Name: "Octo Poster",
			PictureURL: "https://scontent.cdninstagram.com/v/t51/octoposter.jpg",
		}),
		containers: map[string]*ThreadsContainer{},
	}
	f.scopes = []string{"threads_basic", "threads_content_publish"}
	f.exchangeGrant, f.refreshGrant = "th_exchange_token", "th_refresh_token"
	f.codeAnswer = func(access string) any {
		return map[string]any{"access_token": access, "user_id": jsonNumber(f.User.ID)}
	}
	f.codeRefusal = func(w http.ResponseWriter, status, code int, typ, msg string) {
		graphError(w, status, code, 0, typ, msg)
	}
	mux := http.NewServeMux()
	f.handle(mux)
	mux.HandleFunc("GET /v1.0/me", f.me)
	mux.HandleFunc("POST /v1.0/{user}/threads", f.create)
	mux.HandleFunc("POST /v1.0/{user}/threads_publish", f.publish)
	mux.HandleFunc("GET /v1.0/{id}", f.node)
	f.srv = httptest.NewServer(f.serve(mux, failGraph))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

// Posts returns what was published, in order.
func (f *Threads) Posts() []ThreadsPost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ThreadsPost(nil), f.posts...)
}

// Containers returns how many containers were made.
func (f *Threads) Containers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.containers)
}

func (f *Threads) me(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokenOf(w, r); !ok {
		return
	}
	writeJSON(w, http.StatusOK, fields(r, map[string]any{
		"id": f.User.ID, "username": f.User.Username, "name": f.User.Name,
		"threads_profile_picture_url": f.User.PictureURL,
	}))
}

var threadsLink = regexp.MustCompile(`(?i)\b(?:https?://|www\.)[^\s]+`)

func (f *Threads) create(w http.ResponseWriter, r *http.Request) {
	if !readForm(w, r) {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokenOf(w, r); !ok || !f.ownUser(w, r) {
		return
	}
	p := r.Form
	c := &ThreadsContainer{
		MediaType: p.Get("media_type"), Text: p.Get("text"), ImageURL: p.Get("image_url"), VideoURL: p.Get("video_url"),
		AltText: p.Get("alt_text"), ReplyToID: p.Get("reply_to_id"), IsCarouselItem: p.Get("is_carousel_item") == "true",
		created: f.nowLocked(),
	}
	bad := func(subcode int, msg string) {
		graphError(w, http.StatusBadRequest, 100, subcode, "OAuthException", msg)
	}
	switch c.MediaType {
	case "TEXT":
		if strings.TrimSpace(c.Text) == "" || c.ImageURL != "" || c.VideoURL != "" || c.IsCarouselItem {
			bad(4279009, "A TEXT post needs text and takes no media")
			return
		}
	case "IMAGE", "VIDEO":
		u := c.ImageURL
		if c.MediaType == "VIDEO" {
			u = c.VideoURL
		}
		if !absoluteHTTP(u) || (c.ImageURL != "" && c.VideoURL != "") {
			bad(2207052, "The media could not be fetched from this URI: "+u)
			return
		}
	case "CAROUSEL":
		if c.IsCarouselItem {
			bad(0, "A carousel cannot be a carousel item")
			return
		}
		c.Children = strings.Split(p.Get("children"), ",")
		if len(c.Children) < 2 || len(c.Children) > 20 {
			bad(4279009, "A carousel takes 2 to 20 children")
			return
		}
		for _, id := range c.Children {
			child := f.containers[id]
			if child == nil || !child.IsCarouselItem || child.Status != "FINISHED" || child.published {
				bad(4279009, "Carousel child "+id+" is not a finished carousel item")
				return
			}
		}
	default:
		bad(0, "Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}")
		return
	}
	if err := textlimit.Check("threads", c.Text, c.MediaType != "TEXT", 0); err != nil {
		bad(4279009, "The text is too long: at most 500 characters")
		return
	}
	links := map[string]bool{}
	for _, l := range threadsLink.FindAllString(c.Text, -1) {
		links[strings.ToLower(l)] = true
	}
	if len(links) > threadsMaxLinks {
		bad(4279009, "A post can have at most 5 links")
		return
	}
	if c.ReplyToID != "" && !f.publishedLocked(c.ReplyToID) {
		bad(33, "The post to reply to does not exist: "+c.ReplyToID)
		return
	}
	c.ID = f.newIDLocked()
	c.Status = "FINISHED"
	if c.MediaType == "IMAGE" || c.MediaType == "VIDEO" {
		c.Status, c.pollsLeft = "IN_PROGRESS", f.processingPolls
		if c.pollsLeft == 0 {
			f.settleLocked(c)
		}
	}
	f.containers[c.ID] = c
	writeJSON(w, http.StatusOK, map[string]string{"id": c.ID})
}

// settleLocked ends a container's processing; f.mu is held.
func (f *Threads) settleLocked(c *ThreadsContainer) {
	if msg, ok := f.failMedia[c.ImageURL+c.VideoURL]; ok {
		c.Status, c.ErrorMessage = "ERROR", msg
		return
	}
	c.Status = "FINISHED"
}

func (f *Threads) publishedLocked(id string) bool {
	for _, p := range f.posts {
		if p.ID == id {
			return true
		}
	}
	return false
}

// statusLocked is a container's status as a read finds it; f.mu is held.
func (f *Threads) statusLocked(c *ThreadsContainer) string {
	return f.containerStateLocked(c.published, c.created, c.Status)
}

func (f *Threads) node(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.tokenOf(w, r); !ok {
		return
	}
	id := r.PathValue("id")
	if c := f.containers[id]; c != nil {
		if c.Status == "IN_PROGRESS" {
			if c.pollsLeft--; c.pollsLeft <= 0 {
				f.settleLocked(c)
			}
		}
		node := map[string]any{"id": c.ID, "status": f.statusLocked(c)}
		if node["status"] == "ERROR" {
			node["error_message"] = c.ErrorMessage
		}
		writeJSON(w, http.StatusOK, fields(r, node))
		return
	}
	for _, p := range f.posts {
		if p.ID == id {
			writeJSON(w, http.StatusOK, fields(r, map[string]any{
				"id": p.ID, "permalink": p.Permalink, "media_type": p.Container.MediaType, "text": p.Container.Text,
				"username": f.User.Username,
			}))
			return
		}
	}
	unknownObject(w, id)
}

func (f *Threads) publish(w http.ResponseWriter, r *http.Request) {
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
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "Param creation_id must be a container of this user")
		return
	case c.IsCarouselItem:
		graphError(w, http.StatusBadRequest, 100, 0, "OAuthException", "A carousel item cannot be published on its own")
		return
	}
	switch f.statusLocked(c) {
	case "FINISHED":
	case "EXPIRED":
		graphError(w, http.StatusBadRequest, 100, 2207006, "OAuthException", "The container has expired: publish within 24 hours of creating it")
		return
	case "PUBLISHED":
		graphError(w, http.StatusBadRequest, 100, 2207006, "OAuthException", "The container is already published")
		return
	default:
		graphError(w, http.StatusBadRequest, 9007, 2207027, "OAuthException", "The media is not ready to be published. Please wait a moment.")
		return
	}
	now := f.nowLocked()
	if !f.quotaLocked(w, now, threadsMaxPosts, 4, 2207051, "The profile has reached its limit of 250 posts in 24 hours") {
		return
	}
	c.published = true
	post := ThreadsPost{
		ID:        f.newIDLocked(),
		Permalink: "https://www.threads.net/@" + f.User.Username + "/post/" + randomToken()[:11],
		Container: *c,
	}
	for _, id := range c.Children {
		f.containers[id].published = true
		post.Items = append(post.Items, *f.containers[id])
	}
	f.posts = append(f.posts, post)
	writeJSON(w, http.StatusOK, map[string]string{"id": post.ID})
}

func absoluteHTTP(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
