package facebook

// The adapter posts to a Facebook Page with the Graph API (v21.0), with the Page's own
// access token (the credential "access_token" the OAuth flow stores for each Page, next to
// its "page_id") as a Bearer token. Every request body is a form; Facebook fetches images
// and videos from their URLs itself, so nothing is downloaded here.
//
//   - text: POST {api}/v21.0/{page}/feed {message, link?} → {id: "<page>_<post>"}. The
//     text's first http(s) URL also goes as link, so Facebook shows its preview card, as it
//     does for a link typed into a post; the message keeps the URL as written.
//   - one image: POST /{page}/photos {url, message, alt_text_custom?} → {id, post_id}: the
//     photo is the post; its id is post_id.
//   - several images: each POST /{page}/photos {url, published: false, alt_text_custom?} →
//     {id}, then POST /{page}/feed {message, attached_media[i]: {"media_fbid": id}}. An
//     unpublished photo that never gets attached (a later step failed) is invisible.
//   - a video: POST /{page}/videos {file_url, description} → {id}, a video post whose URL
//     is https://www.facebook.com/{page}/videos/{id}. A post with a video and images is
//     refused: Facebook attaches photos or a video to a post, not both.
//
// A post's id is "<page>_<post>", its URL https://www.facebook.com/{page}/posts/{post}
// (the sandbox's shape too). Facebook has no replies between a Page's posts (Spec.Replies
// false): a thread's parts go out as separate posts, in order.
//
// Graph errors are {error: {message, type, code, error_subcode, fbtrace_id}}, classified by
// code first, then the status, never the text:
//
//	190, or HTTP 401         TokenRejected: the Page token was revoked (a password change,
//	                         the app removed, the user no longer a Page admin)
//	4, 17, 32, 613, 80001    Transient: rate limits; RetryAfter is the longest
//	                         estimated_time_to_regain_access (minutes) in
//	                         X-Business-Use-Case-Usage or X-Page-Usage, else Retry-After
//	                         where a proxy adds one, else 0 (the engine's backoff: X-App-Usage
//	                         has no estimate)
//	1, 2                     Transient: Facebook's unknown error and service error
//	506                      Permanent: a duplicate of the Page's last post
//	other codes              Permanent with Facebook's message (permissions #10/#200,
//	                         a bad parameter #100, a policy block #368, …)
//	no Graph body            429, 408 and 5xx Transient, other statuses Permanent
//
// Facebook has no idempotency key, so the adapter does not claim Idempotent; as with X, a
// 2xx whose body names no post is Permanent (the post probably exists; a retry could only
// post it twice).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

const (
	// KeyAccessToken is the credential holding the Page access token.
	KeyAccessToken = platform.KeyOAuthAccessToken
	// KeyPageID is the credential holding the Page's id, which the API paths name.
	KeyPageID = "page_id"
)

// graphVersion is the Graph API version every path names.
const graphVersion = "/v21.0"

// maxResponse bounds what is read of an answer: Graph's are a few kilobytes (a page of a
// user's Pages, with their tokens, is the largest).
const maxResponse = 1 << 20

// Adapter is the Facebook platform.Adapter.
type Adapter struct {
	client *http.Client
	api    string
	now    func() time.Time
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling the Graph API at apiBase, without a version path (the
// real one, https://graph.facebook.com, when empty). A nil client means netpolicy's client
// for public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	if apiBase == "" {
		apiBase = defaultAPIURL
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{client: client, api: strings.TrimSuffix(apiBase, "/"), now: time.Now}
}

// picture is Graph's picture field: {data: {url, …}}.
type picture struct {
	Data struct {
		URL string `json:"url"`
	} `json:"data"`
}

// Connect checks a Page token by reading the Page it speaks for (GET /me with the Page
// token answers the Page) and returns its profile. The credentials come back with the
// Page's id as page_id, which publishing needs.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "Facebook: access_token is required")
	}
	var page struct {
		ID      string  `json:"id"`
		Name    string  `json:"name"`
		Picture picture `json:"picture"`
	}
	if err := a.get(ctx, a.api+graphVersion+"/me?fields=id,name,picture", token, &page); err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && pe.Kind == platform.TokenRejected {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message}
		}
		return platform.Profile{}, nil, err
	}
	if page.ID == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, 0, "Facebook sent a Page without an id")
	}
	if id := creds[KeyPageID]; id != "" && id != page.ID {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "Facebook: the access token is not the Page %s's", id)
	}
	out := platform.Credentials{}
	for k, v := range creds {
		out[k] = v
	}
	out[KeyPageID] = page.ID
	return pageProfile(page.ID, page.Name, page.Picture), out, nil
}

// pageProfile is a Page as an account: its id is both the platform user id and the
// username, because a vanity name is optional, can change, and needs another read;
// www.facebook.com/{id} is the Page either way.
func pageProfile(id, name string, pic picture) platform.Profile {
	return platform.Profile{UserID: id, Username: id, DisplayName: name, AvatarURL: pic.Data.URL}
}

// Publish posts p on the Page (see the top). The credentials never change here.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	token, page := creds[KeyAccessToken], creds[KeyPageID]
	if token == "" || page == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.TokenRejected, 0, "Facebook: the account has no Page token; connect it again")
	}
	if p.VideoURL != "" && len(p.Images) > 0 {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0,
			"Facebook: a post carries images or a video, not both; publish them as separate posts")
	}
	if len(p.Images) > Spec.MaxImages {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "Facebook: a post takes at most %d images, not %d", Spec.MaxImages, len(p.Images))
	}
	base := a.api + graphVersion + "/" + url.PathEscape(page)
	switch {
	case p.VideoURL != "":
		form := url.Values{"file_url": {p.VideoURL}}
		if p.Text != "" {
			form.Set("description", p.Text)
		}
		var out struct {
			ID string `json:"id"`
		}
		if err := a.post(ctx, base+"/videos", token, form, &out); err != nil {
			return platform.Ref{}, nil, err
		}
		if out.ID == "" {
			return platform.Ref{}, nil, accepted()
		}
		return platform.Ref{ID: out.ID, URL: "https://www.facebook.com/" + page + "/videos/" + out.ID}, nil, nil
	case len(p.Images) == 1:
		form := photoForm(p.Images[0])
		if p.Text != "" {
			form.Set("message", p.Text)
		}
		var out struct {
			ID     string `json:"id"`
			PostID string `json:"post_id"`
		}
		if err := a.post(ctx, base+"/photos", token, form, &out); err != nil {
			return platform.Ref{}, nil, err
		}
		if out.PostID == "" {
			return platform.Ref{}, nil, accepted()
		}
		return postRef(out.PostID), nil, nil
	}
	form := url.Values{}
	if p.Text != "" {
		form.Set("message", p.Text)
	}
	for i, img := range p.Images {
		f := photoForm(img)
		f.Set("published", "false")
		var out struct {
			ID string `json:"id"`
		}
		if err := a.post(ctx, base+"/photos", token, f, &out); err != nil {
			return platform.Ref{}, nil, err
		}
		if out.ID == "" {
			return platform.Ref{}, nil, platform.Errorf(platform.Transient, 0, "Facebook sent an upload answer without a photo id")
		}
		media, _ := json.Marshal(map[string]string{"media_fbid": out.ID}) // a map of strings always encodes
		form.Set("attached_media["+strconv.Itoa(i)+"]", string(media))
	}
	if len(p.Images) == 0 {
		if link := firstURL(p.Text); link != "" {
			form.Set("link", link)
		}
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := a.post(ctx, base+"/feed", token, form, &out); err != nil {
		return platform.Ref{}, nil, err
	}
	if out.ID == "" {
		return platform.Ref{}, nil, accepted()
	}
	return postRef(out.ID), nil, nil
}

// photoForm is a photo's fields: Facebook fetches it from url.
func photoForm(img platform.Image) url.Values {
	f := url.Values{"url": {img.URL}}
	if img.AltText != "" {
		f.Set("alt_text_custom", img.AltText)
	}
	return f
}

// accepted is a success whose answer names no post.
func accepted() error {
	return platform.Errorf(platform.Permanent, http.StatusOK,
		"Facebook accepted the post but its answer named no post; check the Page before publishing again")
}

// postRef is a post's Ref from its id, "<page>_<post>".
func postRef(id string) platform.Ref {
	if page, post, ok := strings.Cut(id, "_"); ok && page != "" && post != "" {
		return platform.Ref{ID: id, URL: "https://www.facebook.com/" + page + "/posts/" + post}
	}
	return platform.Ref{ID: id, URL: "https://www.facebook.com/" + id}
}

// firstURL returns the first http(s) URL in text, without the punctuation that ends a
// sentence around it ("see https://example.com/a." links to …/a).
func firstURL(text string) string {
	for _, field := range strings.Fields(text) {
		i := strings.Index(field, "http://")
		if j := strings.Index(field, "https://"); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			continue
		}
		u := strings.TrimRight(field[i:], ".,;:!?'\"»”’")
		if strings.HasSuffix(u, ")") && !strings.Contains(u, "(") {
			u = strings.TrimRight(u, ")")
		}
		if parsed, err := url.Parse(u); err == nil && parsed.Host != "" {
			return u
		}
	}
	return ""
}

// get reads target with the token and decodes the answer into out.
func (a *Adapter) get(ctx context.Context, target, token string, out any) error {
	return graphCall(ctx, a.client, a.now, http.MethodGet, target, token, nil, out)
}

// post sends form to target with the token and decodes the answer into out.
func (a *Adapter) post(ctx context.Context, target, token string, form url.Values, out any) error {
	return graphCall(ctx, a.client, a.now, http.MethodPost, target, token, form, out)
}

// graphCall makes one Graph request with the token as a Bearer token (and form as its
// body, when there is one), classifies a failure, and decodes a successful answer.
func graphCall(ctx context.Context, client *http.Client, now func() time.Time, method, target, token string, form url.Values, out any) error {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		// The operator's API URL is malformed; nothing here names the token.
		return platform.Errorf(platform.Permanent, 0, "Facebook: the API URL (%s) is not valid", SettingAPIURL)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return platform.TransportError(ctx, "Facebook", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return platform.TransportError(ctx, "Facebook", err, token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return classify(resp, data, now, token)
	}
	if err := json.Unmarshal(data, out); err != nil {
		kind := platform.Transient
		if method == http.MethodPost {
			kind = platform.Permanent // the post may exist (see the top)
		}
		return platform.Errorf(kind, resp.StatusCode, "Facebook sent an unreadable answer")
	}
	return nil
}

// graphError is the Graph API's error body.
type graphError struct {
	Error *struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		FBTraceID    string `json:"fbtrace_id"`
	} `json:"error"`
}

// decodeGraphError reads a Graph error body; ok is false when body is not one.
func decodeGraphError(body []byte) (code, subcode int, message string, ok bool) {
	var g graphError
	if json.Unmarshal(body, &g) != nil || g.Error == nil || g.Error.Code == 0 {
		return 0, 0, "", false
	}
	return g.Error.Code, g.Error.ErrorSubcode, strings.TrimSpace(g.Error.Message), true
}

// Graph's rate-limit codes: the app's (4), a user's (17), a Page's (32), a call's (613)
// and a Page's business use case (80001).
func rateLimited(code int) bool {
	switch code {
	case 4, 17, 32, 613, 80001:
		return true
	}
	return false
}

// classify turns a failed API answer into a platform.Error (see the table at the top).
func classify(resp *http.Response, body []byte, now func() time.Time, secrets ...string) *platform.Error {
	status := resp.StatusCode
	code, subcode, msg, ok := decodeGraphError(body)
	if msg == "" {
		msg = http.StatusText(status)
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	what := msg
	if ok {
		what = fmt.Sprintf("%s (code %d", msg, code)
		if subcode != 0 {
			what += fmt.Sprintf(", subcode %d", subcode)
		}
		what += ")"
	}
	switch {
	case code == 190 || status == http.StatusUnauthorized:
		return &platform.Error{Kind: platform.TokenRejected, Status: status, Message: "Facebook rejected the access token: " + what}
	case rateLimited(code) || status == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: "Facebook rate limit reached: " + what,
			RetryAfter: retryAfter(resp.Header, now)}
	case code == 1 || code == 2:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: "Facebook error: " + what}
	case code == 506:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: "Facebook refused a duplicate post: " + what}
	case ok:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: "Facebook refused the request: " + what}
	case status >= 500 || status == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: status, Message: "Facebook error: " + what}
	case status >= 300 && status < 400:
		return &platform.Error{Kind: platform.Permanent, Status: status, Message: "Facebook redirected the request; check " + SettingAPIURL}
	}
	return &platform.Error{Kind: platform.Permanent, Status: status, Message: "Facebook refused the request: " + what}
}

// usage is the part of Graph's usage headers that says when calls are allowed again.
type usage struct {
	EstimatedTimeToRegainAccess int `json:"estimated_time_to_regain_access"` // minutes
}

// retryAfter reads how long Facebook expects the throttling to last: the longest
// estimated_time_to_regain_access in X-Business-Use-Case-Usage ({business id: [usage]})
// or X-Page-Usage (usage), else a proxy's Retry-After, else 0.
func retryAfter(h http.Header, now func() time.Time) time.Duration {
	minutes := 0
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]usage
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, u := range list {
					minutes = max(minutes, u.EstimatedTimeToRegainAccess)
				}
			}
		}
	}
	if v := h.Get("X-Page-Usage"); v != "" {
		var u usage
		if json.Unmarshal([]byte(v), &u) == nil {
			minutes = max(minutes, u.EstimatedTimeToRegainAccess)
		}
	}
	if minutes > 0 {
		return time.Duration(minutes) * time.Minute
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now()), 0)
		}
	}
	return 0
}
