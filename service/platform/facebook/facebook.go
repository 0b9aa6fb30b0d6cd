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
// Graph errors are classified by package metagraph (the body's code first, then the
// status, never the text), with Facebook's own rules (rules below):
//
//	190, or HTTP 401         TokenRejected: the Page token was revoked (a password change,
//	                         the app removed, the user no longer a Page admin); 102 is not
//	                         a token code here
//	4, 17, 32, 613, 80001    Transient: rate limits (80001 a Page's business use case; 9 is
//	                         none here); RetryAfter is the longest estimated_time_to_regain_
//	                         access (minutes) in X-Business-Use-Case-Usage or X-Page-Usage,
//	                         else Retry-After where a proxy adds one, else 0 (the engine's
//	                         backoff: X-App-Usage has no estimate)
//	1, 2                     Transient: Facebook's unknown error and service error
//	506                      Permanent: a duplicate of the Page's last post
//	other codes              Permanent with Facebook's message, code and subcode
//	                         (permissions #10/#200, a bad parameter #100, a policy block
//	                         #368, …), whatever the status; is_transient is not read
//	no Graph body            429, 408 and 5xx Transient, other statuses Permanent
//
// The Page token goes as a Bearer token, never in a URL.
//
// Facebook has no idempotency key, so the adapter does not claim Idempotent; as with X, a
// 2xx whose body names no post is Permanent (the post probably exists; a retry could only
// post it twice).

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/metagraph"
)

const (
	// KeyAccessToken is the credential holding the Page access token.
	KeyAccessToken = platform.KeyOAuthAccessToken
	// KeyPageID is the credential holding the Page's id, which the API paths name.
	KeyPageID = "page_id"
)

// graphVersion is the Graph API version every path names.
const graphVersion = "/v21.0"

// rules are Facebook's Graph differences (see the top).
var rules = &metagraph.Rules{
	Name:               "Facebook",
	Env:                env,
	SettingAPIURL:      SettingAPIURL,
	TokenCodes:         []int{metagraph.CodeTokenInvalid},
	RateLimitCodes:     []int{4, 17, 32, 613, 80001},
	TransientCodes:     []int{1, 2},
	Refusals:           map[int]string{506: "refused a duplicate post"},
	Coded:              true,
	PageUsage:          true,
	Bearer:             true,
	PostAnswerDecisive: true, // the post may exist (see the top)
}

// Adapter is the Facebook platform.Adapter.
type Adapter struct {
	graph metagraph.Graph
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
	return &Adapter{graph: metagraph.Graph{HTTP: client, Base: strings.TrimSuffix(apiBase, "/"), Now: time.Now, Rules: rules}}
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
	if err := a.get(ctx, a.graph.Base+graphVersion+"/me?fields=id,name,picture", token, &page); err != nil {
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
	base := a.graph.Base + graphVersion + "/" + url.PathEscape(page)
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
	return a.graph.Do(ctx, http.MethodGet, target, nil, token, out)
}

// post sends form to target with the token and decodes the answer into out.
func (a *Adapter) post(ctx context.Context, target, token string, form url.Values, out any) error {
	return a.graph.Do(ctx, http.MethodPost, target, form, token, out)
}
