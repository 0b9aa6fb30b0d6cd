package dashboard

// Posts: the list, a post's page with its per-platform results, writing a new post, and
// publishing or deleting one.
//
// Design:
//
//   - The list pages with the service's cursor (newest first, a fixed number per page),
//     the API's own paging, and filters by status; each page costs the same however deep.
//   - The new-post form has a button per intent: save a draft, schedule (scheduled_at is
//     required then), publish now, add to the queue (Octopost picks the time, queue.go)
//     or add for approval (the queue's, once approved). A time is typed in the browser's
//     zone (datetime-local has none) and read in it (parseLocal): the page names the
//     zone, so "09:00" means what the user sees.
//   - Publish now creates the post and starts publishing it. When publishing is refused
//     (no account on a checked platform, a text too long for one of them) the post just
//     created is deleted again and the form comes back, 422, as the user typed it:
//     pressing the button again must not leave a trail of drafts.
//   - The dashboard calls the service directly, not through the API's validator, so it
//     checks what the contract's schema would have (content length, known platforms)
//     itself, with the limits read from the contract (limits.go).
//   - A post's page refreshes itself (a Refresh header, no script) while the post is
//     publishing, so its results appear as each platform finishes.

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/octopost/octopost/service"
)

func init() { sections = append(sections, (*Dashboard).routesPosts) }

func (d *Dashboard) routesPosts() {
	d.page("GET /posts", d.posts)
	d.page("GET /posts/new", d.newPost)
	d.page("POST /posts", d.createPost)
	d.page("GET /posts/{id}", d.post)
	d.page("POST /posts/{id}/publish", d.publishPost)
	d.page("GET /posts/{id}/delete", d.deletePostPage)
	d.page("POST /posts/{id}/delete", d.deletePost)
}

const (
	// postsPerPage is the list's page size.
	postsPerPage = 25
	// excerptLength is how much of a post's content the list and the calendar show.
	excerptLength = 90
)

// postStatuses are the statuses the list filters by, in a post's order of life.
var postStatuses = []service.PostStatus{
	service.PostDraft, service.PostQueued, service.PostScheduled, service.PostPublishing, service.PostPublished, service.PostFailed,
}

// postRow is a post as the list shows it.
type postRow struct {
	service.Post
	Excerpt string
	Results []resultRow
}

// resultRow is one platform's outcome of a post.
type resultRow struct {
	Platform service.Platform
	Status   string // published, failed, pending (publishing), or "" (not sent)
	URL      string
	Error    string
}

func newPostRow(p service.Post) postRow {
	return postRow{Post: p, Excerpt: excerpt(p.Content, excerptLength), Results: results(p)}
}

// results lists p's platforms with their outcome, in the post's order.
func results(p service.Post) []resultRow {
	out := make([]resultRow, 0, len(p.Platforms))
	for _, pl := range p.Platforms {
		row := resultRow{Platform: pl}
		r, ok := p.PlatformResults[pl]
		switch {
		case ok && r.Success:
			row.Status, row.URL = "published", r.PostURL
		case ok:
			row.Status, row.Error = "failed", r.Error
		case p.Status == service.PostPublishing:
			row.Status = "pending"
		}
		out = append(out, row)
	}
	return out
}

// excerpt is the start of content, at most n characters, on one line.
func excerpt(content string, n int) string {
	s := strings.Join(strings.Fields(content), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// postsData is what the list shows.
type postsData struct {
	Posts    []postRow
	Statuses []service.PostStatus
	Status   string // the filter, "" for all
	Cursor   string // this page's cursor, "" for the first
	Next     string // the next page's URL, "" on the last
}

func (d *Dashboard) posts(w http.ResponseWriter, r *request) error {
	q := r.URL.Query()
	data := postsData{Statuses: postStatuses, Status: q.Get("status"), Cursor: q.Get("cursor")}
	var status *service.PostStatus
	if data.Status != "" {
		s := service.PostStatus(data.Status)
		if !slices.Contains(postStatuses, s) {
			var p service.Problems
			names := make([]string, len(postStatuses))
			for i, s := range postStatuses {
				names[i] = string(s)
			}
			p.Add("status", "must be one of %s", strings.Join(names, ", "))
			return p.Err()
		}
		status = &s
	}
	list, err := d.svc.ListPosts(r.Context(), r.Scope, status, nil, postsPerPage, data.Cursor)
	if err != nil {
		return err
	}
	for _, p := range list.Posts {
		data.Posts = append(data.Posts, newPostRow(p))
	}
	if list.NextCursor != "" {
		next := url.Values{"cursor": {list.NextCursor}}
		if data.Status != "" {
			next.Set("status", data.Status)
		}
		data.Next = r.Base + "/posts?" + next.Encode()
	}
	return d.render(w, r, 0, "posts", page{Title: "Posts", Nav: "posts", Data: data})
}

// postForm is the new-post form: what the user typed, and what they can choose from.
type postForm struct {
	Content     string
	Platforms   []service.Platform // checked
	PresetID    string
	ScheduledAt string // as typed, a datetime-local value
	// Connected are the platforms with an active account in the page's mode, with the
	// account's handle; Others the rest.
	Connected []platformChoice
	Others    []platformChoice
	Presets   []service.Preset
	// Unplaced are problems with no input of their own on this form (a platform's
	// options, its media), shown above it.
	Unplaced []string
}

type platformChoice struct {
	Platform service.Platform
	Handles  []string
}

// Checked reports whether p is checked.
func (f postForm) Checked(p service.Platform) bool { return slices.Contains(f.Platforms, p) }

func (d *Dashboard) newPost(w http.ResponseWriter, r *request) error {
	f := postForm{}
	if err := d.fillPostForm(r, &f, true); err != nil {
		return err
	}
	return d.renderPostForm(w, r, 0, f, nil)
}

// fillPostForm adds the choices to f: the platforms by whether an account can publish
// there, and the presets, the default one chosen on a fresh form.
func (d *Dashboard) fillPostForm(r *request, f *postForm, fresh bool) error {
	accounts, err := d.svc.ListAccounts(r.Context(), r.Scope)
	if err != nil {
		return err
	}
	handles := map[service.Platform][]string{}
	for _, a := range accounts {
		if a.IsActive {
			handles[a.Platform] = append(handles[a.Platform], "@"+a.Username)
		}
	}
	for _, pl := range service.Platforms {
		if h, ok := handles[pl]; ok {
			f.Connected = append(f.Connected, platformChoice{Platform: pl, Handles: h})
		} else {
			f.Others = append(f.Others, platformChoice{Platform: pl})
		}
	}
	if f.Presets, err = d.svc.ListPresets(r.Context(), r.Scope); err != nil {
		return err
	}
	if fresh {
		for _, p := range f.Presets {
			if p.IsDefault {
				f.PresetID = p.ID
			}
		}
	}
	return nil
}

func (d *Dashboard) renderPostForm(w http.ResponseWriter, r *request, status int, f postForm, p *problems) error {
	return d.render(w, r, status, "post_new", page{Title: "New post", Nav: "posts", Problems: p, Data: f})
}

// The buttons of the new-post form (name=action).
const (
	actionDraft    = "draft"
	actionSchedule = "schedule"
	actionPublish  = "publish"
	actionQueue    = "queue"   // queue_status: queued
	actionPending  = "pending" // queue_status: pending
)

// postFormLimit bounds a new post's form: the contract's most characters of content, of
// up to four bytes each, URL-encoded (three characters a byte), and the few other fields.
func (l limits) postFormLimit() int64 { return 3*4*int64(l.content.max) + 16<<10 }

func (d *Dashboard) createPost(w http.ResponseWriter, r *request) error {
	if err := readForm(w, r.Request, d.limits.postFormLimit()); err != nil {
		return err
	}
	form := r.PostForm
	// Browsers send a textarea's line breaks as CRLF; the API's posts have LF, and a
	// platform counts a CR as a character.
	f := postForm{
		Content:     strings.ReplaceAll(form.Get("content"), "\r\n", "\n"),
		PresetID:    strings.TrimSpace(form.Get("preset_id")),
		ScheduledAt: strings.TrimSpace(form.Get("scheduled_at")),
	}
	action := form.Get("action")
	in, problems := d.postInput(r, &f, form["platforms"], action)
	if err := problems.Err(); err != nil {
		return d.postFormProblem(w, r, f, err)
	}
	post, err := d.svc.CreatePost(r.Context(), r.Scope, in)
	if err != nil {
		return d.postFormProblem(w, r, f, err)
	}
	switch action {
	case actionSchedule:
		return d.redirect(w, r, "/posts/"+post.ID, "Scheduled for "+post.ScheduledFor.In(r.TZ).Format("Monday 2 January 2006, 15:04 MST")+".")
	case actionPublish:
		if _, err := d.svc.PublishPost(r.Context(), r.Scope, post.ID); err != nil {
			// Refused: the post goes again, so that the form can be sent again.
			if derr := d.svc.DeletePost(r.Context(), r.Scope, post.ID); derr != nil {
				return errors.Join(err, derr)
			}
			return d.postFormProblem(w, r, f, err)
		}
		return d.redirect(w, r, "/posts/"+post.ID, "Publishing.")
	case actionQueue:
		return d.redirect(w, r, "/posts/"+post.ID, queueNotice(r, "Added to the queue", post))
	case actionPending:
		return d.redirect(w, r, "/posts/"+post.ID, "Added to the queue, waiting for approval.")
	}
	return d.redirect(w, r, "/posts/"+post.ID, "Draft saved.")
}

// postInput reads the form into a post to create, checking what the API's schema would.
func (d *Dashboard) postInput(r *request, f *postForm, platforms []string, action string) (service.PostInput, service.Problems) {
	var problems service.Problems
	in := service.PostInput{Content: f.Content}
	content := d.limits.content
	switch n := utf8.RuneCountInString(f.Content); {
	case strings.TrimSpace(f.Content) == "":
		problems.Add("/content", "is required")
	case n < content.min:
		problems.Add("/content", "must be at least %d characters, not %d", content.min, n)
	case n > content.max:
		problems.Add("/content", "must be at most %d characters, not %d", content.max, n)
	}
	f.Platforms = readPlatforms(platforms, "/platforms", &problems)
	if n := len(f.Platforms); n > d.limits.postPlatforms.max {
		problems.Add("/platforms", "choose at most %d platforms", d.limits.postPlatforms.max)
	}
	if len(f.Platforms) > 0 {
		in.Platforms = f.Platforms // none checked: the preset's, if one is chosen
	}
	if f.PresetID != "" {
		in.PresetID = &f.PresetID
	}
	switch action {
	case actionSchedule:
		if f.ScheduledAt == "" {
			problems.Add("/scheduled_for", "is required to schedule: choose a date and time")
			break
		}
		at, err := parseLocal(r, f.ScheduledAt)
		if err != nil {
			problems.Add("/scheduled_for", "is not a date and time")
			break
		}
		at = at.UTC()
		in.ScheduledFor = &at
	case actionQueue:
		in.Queue = service.QueueQueued
	case actionPending:
		in.Queue = service.QueuePending
	case actionDraft, actionPublish:
	default:
		problems.Add("/action", "must be one of draft, schedule, publish, queue, pending")
	}
	return in, problems
}

// postFormProblem shows the form again, as typed, with what is wrong with it; an error
// that is not about the form is returned.
func (d *Dashboard) postFormProblem(w http.ResponseWriter, r *request, f postForm, err error) error {
	p, ok := formProblems(err)
	if !ok {
		return err
	}
	if ferr := d.fillPostForm(r, &f, false); ferr != nil {
		return ferr
	}
	var se *service.Error
	if errors.As(err, &se) {
		for _, fe := range se.Fields {
			if !slices.Contains([]string{"content", "platforms", "preset_id", "scheduled_for"}, inputOf(fe.Field)) {
				f.Unplaced = append(f.Unplaced, fe.Message)
			}
		}
	}
	return d.renderPostForm(w, r, http.StatusUnprocessableEntity, f, p)
}

// segmentView is a thread's reply as the post's page shows it.
type segmentView struct {
	Number int
	Lines  []string
}

// postData is what a post's page shows.
type postData struct {
	Post       service.Post
	Lines      []string // the content's lines
	Segments   []segmentView
	Results    []resultRow
	CanPublish bool
	CanDelete  bool
	CanApprove bool // waiting for approval
	// Refused lists why publishing was refused, when it just was.
	Refused []string
}

func (d *Dashboard) post(w http.ResponseWriter, r *request) error {
	p, err := d.svc.GetPost(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.renderPost(w, r, 0, p, nil, nil)
}

func (d *Dashboard) renderPost(w http.ResponseWriter, r *request, status int, p service.Post, refused []string, probs *problems) error {
	data := postData{Post: p, Lines: strings.Split(p.Content, "\n"), Results: results(p), Refused: refused}
	for i, s := range p.Segments {
		data.Segments = append(data.Segments, segmentView{Number: i + 1, Lines: strings.Split(s.Content, "\n")})
	}
	data.CanDelete = p.Status != service.PostPublishing
	switch p.Status {
	case service.PostDraft, service.PostScheduled, service.PostFailed:
		data.CanPublish = true
	case service.PostQueued:
		// Publishing now takes it out of the queue (the service allows it approved or not).
		data.CanPublish = true
		data.CanApprove = p.Queue == service.QueuePending
	case service.PostPublished:
		for _, res := range data.Results {
			data.CanPublish = data.CanPublish || res.Status == "failed"
		}
	case service.PostPublishing:
		// The results fill in as each platform finishes: look again shortly.
		w.Header().Set("Refresh", "3")
	}
	return d.render(w, r, status, "post", page{Title: "Post", Nav: "posts", Problems: probs, Data: data})
}

func (d *Dashboard) publishPost(w http.ResponseWriter, r *request) error {
	id := r.PathValue("id")
	_, err := d.svc.PublishPost(r.Context(), r.Scope, id)
	if err == nil {
		return d.redirect(w, r, "/posts/"+id, "Publishing.")
	}
	probs, ok := formProblems(err)
	if !ok {
		return err
	}
	p, gerr := d.svc.GetPost(r.Context(), r.Scope, id)
	if gerr != nil {
		return gerr
	}
	var refused []string
	var se *service.Error
	if errors.As(err, &se) {
		for _, fe := range se.Fields {
			refused = append(refused, fe.Message)
		}
	}
	return d.renderPost(w, r, http.StatusUnprocessableEntity, p, refused, &problems{Message: "The post was not published.", fields: probs.fields})
}

func (d *Dashboard) deletePostPage(w http.ResponseWriter, r *request) error {
	p, err := d.svc.GetPost(r.Context(), r.Scope, r.PathValue("id"))
	if err != nil {
		return err
	}
	return d.render(w, r, 0, "post_delete", page{Title: "Delete post", Nav: "posts", Data: newPostRow(p)})
}

func (d *Dashboard) deletePost(w http.ResponseWriter, r *request) error {
	if err := d.svc.DeletePost(r.Context(), r.Scope, r.PathValue("id")); err != nil {
		return err
	}
	return d.redirect(w, r, "/posts", "Post deleted.")
}
