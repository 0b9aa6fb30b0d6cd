package linkedin

// The adapter publishes with LinkedIn's versioned Posts API: POST {api}/rest/posts with
// the account's access token as a Bearer token, LinkedIn-Version: Version and
// X-Restli-Protocol-Version: 2.0.0, body
//
//	{author: "urn:li:person:{id}", commentary, visibility: PUBLIC | CONNECTIONS,
//	 distribution: {feedDistribution: MAIN_FEED, targetEntities: [], thirdPartyDistributionChannels: []},
//	 content?: {media: {id, altText}} | {multiImage: {images: [{id, altText}]}},
//	 lifecycleState: PUBLISHED, isReshareDisabledByAuthor: false}
//
// answered 201 with an empty body: the new post's URN (urn:li:share:… or
// urn:li:ugcPost:…) is the x-restli-id header, and its public URL is
// https://www.linkedin.com/feed/update/{urn}. The commentary is "little text", whose
// reserved characters are escaped (littletext.go). The visibility comes from the post's
// platform_options (options.go). LinkedIn has no reply chain: a thread's parts are
// separate posts, published in order by the engine, and ReplyTo is not sent.
//
// Version is one fixed monthly version of LinkedIn's versioned APIs. LinkedIn serves each
// for at least a year and then answers 426 to it: that is Permanent, and the message
// says Octopost needs the newer version this constant must move to.
//
// Images: each is registered with POST {api}/rest/images?action=initializeUpload
// {initializeUploadRequest: {owner: author}} → {value: {uploadUrl, image: "urn:li:image:…"}},
// then its bytes are streamed from the image's URL (platform.OpenMedia, through the
// SSRF-safe client, at most maxImageBytes) to uploadUrl with PUT, and the post names it:
// one image as content.media, 2 to 20 as content.multiImage. The upload URL is LinkedIn's
// answer; the token goes with the PUT only to LinkedIn's own hosts (or the configured
// API's), never to another address the answer might name. An image registered but never
// posted is harmless. A video goes through the Videos API's multi-part upload (video.go).
//
// Failures are classified from the status and LinkedIn's error body {status,
// serviceErrorCode, code, message}, never its text:
//
//	401                  TokenRejected: the token expired (60 days) or was revoked
//	429                  Transient; LinkedIn's limits are counted per day and it rarely
//	                     says when to come back, so without Retry-After the retry waits
//	                     defaultRetryAfter
//	408, 5xx             Transient
//	426                  Permanent: Version is retired
//	422 DUPLICATE_POST   Permanent, said as a duplicate: LinkedIn refuses the same
//	                     commentary twice from one member
//	other 3xx, 4xx       Permanent, with LinkedIn's message
//	no answer            platform.TransportError: a refused private address is Permanent,
//	                     anything else Transient
//
// LinkedIn takes no idempotency key, so the adapter does not claim Idempotent; and a 201
// without x-restli-id is Permanent, not Transient: the post probably exists.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// The credentials an account stores: the OAuth access token, and the member's id (the
// userinfo's sub) that the author URN is made of.
const (
	KeyAccessToken = platform.KeyOAuthAccessToken
	KeyPersonID    = "person_id"
)

// Version is the LinkedIn-Version every call to the versioned API (/rest/…) sends.
const Version = "202607"

const (
	// maxResponse bounds what is read of an answer: LinkedIn's are a few kilobytes.
	maxResponse = 1 << 20
	// maxImages is the most images one post takes (content.multiImage).
	maxImages = 20
	// maxImageBytes bounds an image streamed to LinkedIn. LinkedIn documents a limit in
	// pixels (36,152,320) rather than bytes; this is Octopost's bound on a download.
	maxImageBytes = 20 << 20
	// defaultRetryAfter is how long to wait after a 429 that did not say.
	defaultRetryAfter = 15 * time.Minute
)

// Adapter is the LinkedIn platform.Adapter.
type Adapter struct {
	client *http.Client
	api    string
	now    func() time.Time
	// pollEvery is how often a video's processing is checked (defaultPollEvery when
	// zero); spoolDir is where a video of unannounced length is buffered (the system's
	// temporary directory when empty).
	pollEvery time.Duration
	spoolDir  string
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling LinkedIn's API at apiBase, without a path (the real
// one, https://api.linkedin.com, when empty). A nil client means netpolicy's client for
// public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	if apiBase == "" {
		apiBase = defaultAPIURL
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{client: client, api: strings.TrimSuffix(apiBase, "/"), now: time.Now}
}

// PersonURN is the URN LinkedIn names the member with id by.
func PersonURN(id string) string { return "urn:li:person:" + id }

// PostURL is the public URL of the post whose URN is urn.
func PostURL(urn string) string { return "https://www.linkedin.com/feed/update/" + urn }

// userinfo is OpenID Connect's userinfo, as LinkedIn answers it.
type userinfo struct {
	Sub        string `json:"sub"`
	Name       string `json:"name"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	Picture    string `json:"picture"`
}

// Connect checks the access token by reading whose it is (GET /v2/userinfo) and returns
// that profile; the credentials are stored with the member's id added (KeyPersonID).
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "LinkedIn: access_token is required")
	}
	var u userinfo
	if _, err := a.call(ctx, http.MethodGet, a.api+"/v2/userinfo", token, "the profile read", nil, &u); err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && (pe.Kind == platform.TokenRejected || pe.Status == http.StatusForbidden) {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message}
		}
		return platform.Profile{}, nil, err
	}
	if u.Sub == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, 0, "LinkedIn sent a profile without an id")
	}
	name := u.Name
	if name == "" {
		name = strings.TrimSpace(u.GivenName + " " + u.FamilyName)
	}
	out := maps.Clone(creds)
	out[KeyPersonID] = u.Sub
	return platform.Profile{UserID: u.Sub, Username: PersonURN(u.Sub), DisplayName: name, AvatarURL: u.Picture}, out, nil
}

// postRequest is the body of POST /rest/posts.
type postRequest struct {
	Author                    string       `json:"author"`
	Commentary                string       `json:"commentary"`
	Visibility                string       `json:"visibility"`
	Distribution              distribution `json:"distribution"`
	Content                   *content     `json:"content,omitempty"`
	LifecycleState            string       `json:"lifecycleState"`
	IsReshareDisabledByAuthor bool         `json:"isReshareDisabledByAuthor"`
}

type distribution struct {
	FeedDistribution               string   `json:"feedDistribution"`
	TargetEntities                 []string `json:"targetEntities"`
	ThirdPartyDistributionChannels []string `json:"thirdPartyDistributionChannels"`
}

type content struct {
	Media      *mediaRef   `json:"media,omitempty"`
	MultiImage *multiImage `json:"multiImage,omitempty"`
}

type mediaRef struct {
	ID      string `json:"id"`
	AltText string `json:"altText,omitempty"`
}

type multiImage struct {
	Images []mediaRef `json:"images"`
}

// Publish posts one LinkedIn post as the account's member. The credentials change only
// for an account stored without its member id, which is then read once and returned to
// be kept.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	if p.VideoURL != "" && len(p.Images) > 0 {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0,
			"LinkedIn: a post carries one video or images, not both; publish the video and the images separately or leave LinkedIn out")
	}
	if len(p.Images) > maxImages {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "LinkedIn: a post takes at most %d images, not %d", maxImages, len(p.Images))
	}
	vis, err := postVisibility(p.Options)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.TokenRejected, 0, "LinkedIn: the account has no access token; connect it again")
	}
	var changed platform.Credentials
	person := creds[KeyPersonID]
	if person == "" {
		_, withID, err := a.Connect(ctx, creds)
		if err != nil {
			var pe *platform.Error
			if errors.As(err, &pe) && pe.Kind == platform.InvalidCredentials {
				pe.Kind = platform.TokenRejected // the stored token, not a new one, was refused
			}
			return platform.Ref{}, nil, err
		}
		changed, person = withID, withID[KeyPersonID]
	}
	author := PersonURN(person)

	body := postRequest{
		Author: author, Commentary: escapeLittleText(p.Text), Visibility: vis,
		Distribution: distribution{
			FeedDistribution: "MAIN_FEED", TargetEntities: []string{}, ThirdPartyDistributionChannels: []string{},
		},
		LifecycleState: "PUBLISHED",
	}
	var images []mediaRef
	for _, img := range p.Images {
		id, err := a.uploadImage(ctx, token, author, img)
		if err != nil {
			return platform.Ref{}, changed, err
		}
		images = append(images, mediaRef{ID: id, AltText: img.AltText})
	}
	if p.VideoURL != "" {
		id, err := a.uploadVideo(ctx, token, author, p.VideoURL)
		if err != nil {
			return platform.Ref{}, changed, err
		}
		body.Content = &content{Media: &mediaRef{ID: id}}
	}
	switch {
	case len(images) == 1:
		body.Content = &content{Media: &images[0]}
	case len(images) > 1:
		body.Content = &content{MultiImage: &multiImage{Images: images}}
	}

	h, err := a.call(ctx, http.MethodPost, a.api+"/rest/posts", token, "the post", body, nil)
	if err != nil {
		return platform.Ref{}, changed, err
	}
	urn := strings.TrimSpace(h.Get("X-Restli-Id"))
	if urn == "" {
		return platform.Ref{}, changed, platform.Errorf(platform.Permanent, http.StatusCreated,
			"LinkedIn accepted the post but its answer named no post; check the account before publishing again")
	}
	return platform.Ref{ID: urn, URL: PostURL(urn)}, changed, nil
}

// uploadImage registers img with LinkedIn for author, streams its bytes to the upload
// URL LinkedIn gave, and returns the image's URN.
func (a *Adapter) uploadImage(ctx context.Context, token, author string, img platform.Image) (string, error) {
	var init struct {
		Value struct {
			UploadURL string `json:"uploadUrl"`
			Image     string `json:"image"`
		} `json:"value"`
	}
	req := map[string]any{"initializeUploadRequest": map[string]string{"owner": author}}
	if _, err := a.call(ctx, http.MethodPost, a.api+"/rest/images?action=initializeUpload", token, "the image upload", req, &init); err != nil {
		return "", err
	}
	up, err := url.Parse(init.Value.UploadURL)
	if init.Value.Image == "" || err != nil || (up.Scheme != "https" && up.Scheme != "http") || up.Host == "" {
		return "", platform.Errorf(platform.Transient, 0, "LinkedIn sent an image upload answer without an upload URL or image")
	}

	d, err := platform.OpenMedia(ctx, a.client, "LinkedIn", "image", img.URL, maxImageBytes)
	if err != nil {
		return "", err
	}
	defer d.Body.Close()
	// The bytes are streamed, so they are sniffed from their first 512 only, as
	// http.DetectContentType reads them.
	br := bufio.NewReaderSize(d.Body, 512)
	head, _ := br.Peek(512) // a shorter image is whole in head; a read error shows in the PUT
	ct := d.ContentType
	if !strings.HasPrefix(ct, "image/") {
		ct, _, _ = mime.ParseMediaType(http.DetectContentType(head))
	}
	if !strings.HasPrefix(ct, "image/") {
		return "", platform.Errorf(platform.Permanent, 0, "LinkedIn: %s is not an image", d.Shown)
	}
	if _, err := a.put(ctx, token, init.Value.UploadURL, ct, br, d.Size, "the image upload"); err != nil {
		return "", err
	}
	return init.Value.Image, nil
}

// put streams body (n bytes; -1 when unknown) to an upload URL LinkedIn gave, and returns
// the answer's headers. The token goes along only to LinkedIn's own hosts (ownHost).
func (a *Adapter) put(ctx context.Context, token, uploadURL, contentType string, body io.Reader, n int64, what string) (http.Header, error) {
	u, err := url.Parse(uploadURL)
	if err != nil {
		return nil, platform.Errorf(platform.Transient, 0, "LinkedIn sent an upload URL that is not valid")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, uploadURL, body)
	if err != nil {
		return nil, platform.Errorf(platform.Transient, 0, "LinkedIn sent an upload URL that is not valid")
	}
	if n >= 0 {
		req.ContentLength = n
	}
	req.Header.Set("Content-Type", contentType)
	if a.ownHost(u) {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && ctx.Err() == nil {
			return nil, pe // the media's own failure (too large, its server went away)
		}
		return nil, platform.TransportError(ctx, "LinkedIn", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, platform.TransportError(ctx, "LinkedIn", err, token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, a.classify(resp, data, token, what)
	}
	return resp.Header, nil
}

// ownHost reports whether u is LinkedIn's (or the configured API's) to be sent the token.
func (a *Adapter) ownHost(u *url.URL) bool {
	if api, err := url.Parse(a.api); err == nil && api.Host == u.Host && api.Scheme == u.Scheme {
		return true
	}
	host := u.Hostname()
	return u.Scheme == "https" && (host == "linkedin.com" || strings.HasSuffix(host, ".linkedin.com"))
}

// call sends a request to rawURL with the bearer token and an optional JSON body,
// classifies a failure, decodes a successful JSON answer into out (if not nil) and
// returns the answer's headers. what names the request in messages.
func (a *Adapter) call(ctx context.Context, method, rawURL, token, what string, body, out any) (http.Header, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("linkedin: encode request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, r)
	if err != nil {
		// The operator's API URL is malformed; nothing here names the token.
		return nil, platform.Errorf(platform.Permanent, 0, "LinkedIn: the API URL is not valid (%s)", SettingAPIURL)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if strings.Contains(req.URL.Path, "/rest/") { // the versioned API
		req.Header.Set("LinkedIn-Version", Version)
		req.Header.Set("X-Restli-Protocol-Version", "2.0.0")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, platform.TransportError(ctx, "LinkedIn", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, platform.TransportError(ctx, "LinkedIn", err, token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, a.classify(resp, data, token, what)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, platform.Errorf(platform.Transient, resp.StatusCode, "LinkedIn sent an unreadable answer to %s", what)
		}
	}
	return resp.Header, nil
}

// problem is LinkedIn's error body.
type problem struct {
	Status           int    `json:"status"`
	ServiceErrorCode int    `json:"serviceErrorCode"`
	Code             string `json:"code"`
	Message          string `json:"message"`
}

// classify turns a failed answer into a platform.Error (see the table at the top).
func (a *Adapter) classify(resp *http.Response, body []byte, token, what string) *platform.Error {
	code := resp.StatusCode
	var p problem
	_ = json.Unmarshal(body, &p) // not LinkedIn's JSON (a proxy's page): the status says it
	msg := strings.TrimSpace(p.Message)
	if msg == "" {
		msg = http.StatusText(code)
	}
	// LinkedIn does not echo the token, but a proxy in front of it might.
	msg = strings.ReplaceAll(msg, token, "[redacted]")
	switch {
	case code == http.StatusUnauthorized:
		return &platform.Error{Kind: platform.TokenRejected, Status: code, Message: "LinkedIn rejected the access token"}
	case code == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: code, Message: "LinkedIn rate limit reached", RetryAfter: a.retryAfter(resp.Header)}
	case code >= 500 || code == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: code, Message: "LinkedIn error: " + msg}
	case code == http.StatusUpgradeRequired:
		return &platform.Error{Kind: platform.Permanent, Status: code,
			Message: "LinkedIn no longer serves API version " + Version + "; this Octopost must be updated"}
	case code >= 300 && code < 400:
		return &platform.Error{Kind: platform.Permanent, Status: code, Message: "LinkedIn redirected the request; check " + SettingAPIURL}
	case p.Code == "DUPLICATE_POST":
		return &platform.Error{Kind: platform.Permanent, Status: code, Message: "LinkedIn refused the post as a duplicate of an earlier one: " + msg}
	}
	return &platform.Error{Kind: platform.Permanent, Status: code, Message: "LinkedIn refused " + what + ": " + msg}
}

// retryAfter is how long LinkedIn asked to wait (Retry-After in seconds or as a date),
// defaultRetryAfter when it did not say.
func (a *Adapter) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(a.now()), 0)
	}
	return defaultRetryAfter
}
