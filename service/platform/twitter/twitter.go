package twitter

// The adapter posts with X API v2: POST {api}/2/tweets with the account's OAuth 2.0 user
// access token as a Bearer token, body {text, reply?: {in_reply_to_tweet_id}, media?:
// {media_ids}}, answered 201 {data: {id, text}}. A thread is a reply chain: each part replies to the previous
// part's id. The token is the credential "access_token" that the OAuth connect flow
// stores (refreshing it is that flow's business, not this file's).
//
// Failures are classified from the status and X's structured error body, never its text:
//
//	401                  TokenRejected: the token expired or was revoked
//	403                  Permanent: X refuses this post for good (duplicate content, a reply
//	                     to a tweet that is gone, an app without write access); X's own
//	                     detail is the message, so "duplicate content" reads as such
//	429                  Transient, retried when x-rate-limit-reset (epoch seconds) says
//	408, 5xx             Transient
//	other 3xx, 4xx       Permanent
//	no answer            platform.TransportError: a refused private address is Permanent,
//	                     anything else Transient
//
// X has no idempotency key, so the adapter does not claim Idempotent: a publish whose
// answer was lost must not be sent again blindly (X would refuse the repeat as duplicate
// content anyway). For the same reason a 2xx whose body cannot be read is Permanent, not
// Transient: the tweet probably exists, and a retry could only post it twice or fail.
//
// Images: each is fetched through the SSRF-safe client (platform.FetchImage, at most X's
// 5 MB), uploaded with POST /2/media/upload (multipart: media, media_category
// tweet_image), given its alt text with POST /2/media/metadata, and attached by id
// (media.media_ids, at most 4). An upload is not deduplicated, but one never attached is
// harmless: X drops it after a day. A video goes through X's chunked upload (video.go);
// a tweet takes one video or images, never both.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// KeyAccessToken is the credential holding the account's OAuth 2.0 user access token.
const KeyAccessToken = "access_token"

// maxResponse bounds what is read of an answer: X's are a few kilobytes.
const maxResponse = 1 << 20

// Adapter is the X platform.Adapter.
type Adapter struct {
	client *http.Client
	api    string
	now    func() time.Time

	// pollInterval, when set, replaces X's check_after_secs between STATUS polls of a
	// video being processed (tests); pollMargin is the time left for the tweet itself
	// when deciding whether another poll fits before the deadline (video.go).
	pollInterval time.Duration
	pollMargin   time.Duration
	// spoolDir is where a video of unannounced length is spooled; the system's temporary
	// directory when empty.
	spoolDir string
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling X's API at apiBase, without a version path (the real
// one, https://api.x.com, when empty). A nil
// client means netpolicy's client for public addresses.
func New(client *http.Client, apiBase string) *Adapter {
	if apiBase == "" {
		apiBase = defaultAPIURL
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{client: client, api: strings.TrimSuffix(apiBase, "/"), now: time.Now, pollMargin: defaultPollMargin}
}

type user struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Username        string `json:"username"`
	ProfileImageURL string `json:"profile_image_url"`
}

// Connect checks the access token by reading whose it is (GET /2/users/me) and returns
// that profile; the credentials are stored as given.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "X: access_token is required")
	}
	var out struct {
		Data user `json:"data"`
	}
	if err := a.call(ctx, http.MethodGet, "/2/users/me?user.fields=profile_image_url", token, nil, &out); err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && (pe.Kind == platform.TokenRejected || pe.Status == http.StatusForbidden) {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message}
		}
		return platform.Profile{}, nil, err
	}
	if out.Data.ID == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, 0, "X sent a profile without an id")
	}
	return platform.Profile{
		UserID: out.Data.ID, Username: out.Data.Username, DisplayName: out.Data.Name, AvatarURL: out.Data.ProfileImageURL,
	}, creds, nil
}

// tweetRequest is the body of POST /2/tweets.
type tweetRequest struct {
	Text  string `json:"text"`
	Reply *reply `json:"reply,omitempty"`
	Media *media `json:"media,omitempty"`
}

type reply struct {
	InReplyToTweetID string `json:"in_reply_to_tweet_id"`
}

type media struct {
	MediaIDs []string `json:"media_ids"`
}

// X's limits on a post's images.
const (
	maxImages     = 4
	maxImageBytes = 5 << 20
)

// uploadImage fetches img and uploads it to X with its alt text, returning its media id.
func (a *Adapter) uploadImage(ctx context.Context, token string, img platform.Image) (string, error) {
	data, contentType, err := platform.FetchImage(ctx, a.client, "X", img.URL, maxImageBytes)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="media"; filename="image"`)
	h.Set("Content-Type", contentType)
	part, err := mw.CreatePart(h)
	if err == nil {
		_, err = part.Write(data)
	}
	if err == nil {
		err = mw.WriteField("media_category", "tweet_image")
	}
	if err == nil {
		err = mw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("twitter: build upload: %w", err)
	}
	var up struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := a.send(ctx, http.MethodPost, "/2/media/upload", token, mw.FormDataContentType(), &buf, &up); err != nil {
		return "", err
	}
	if up.Data.ID == "" {
		return "", platform.Errorf(platform.Transient, 0, "X sent an upload answer without a media id")
	}
	if img.AltText != "" {
		meta := map[string]any{"id": up.Data.ID, "metadata": map[string]any{"alt_text": map[string]string{"text": img.AltText}}}
		var out json.RawMessage
		if err := a.call(ctx, http.MethodPost, "/2/media/metadata", token, meta, &out); err != nil {
			return "", err
		}
	}
	return up.Data.ID, nil
}

// Publish posts one tweet, replying to p.ReplyTo when it is part of a thread. The
// credentials never change here.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	if p.VideoURL != "" && len(p.Images) > 0 {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0,
			"X: a post takes a video or images, not both; publish the video and the images in separate posts")
	}
	if len(p.Images) > maxImages {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "X: a post takes at most %d images, not %d", maxImages, len(p.Images))
	}
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.TokenRejected, 0, "X: the account has no access token; connect it again")
	}
	body := tweetRequest{Text: p.Text}
	if p.ReplyTo != nil {
		body.Reply = &reply{InReplyToTweetID: p.ReplyTo.ID}
	}
	for _, img := range p.Images {
		id, err := a.uploadImage(ctx, token, img)
		if err != nil {
			return platform.Ref{}, nil, err
		}
		if body.Media == nil {
			body.Media = &media{}
		}
		body.Media.MediaIDs = append(body.Media.MediaIDs, id)
	}
	if p.VideoURL != "" {
		id, err := a.uploadVideo(ctx, token, p.VideoURL)
		if err != nil {
			return platform.Ref{}, nil, err
		}
		body.Media = &media{MediaIDs: []string{id}}
	}
	var out struct {
		Data struct {
			ID   string `json:"id"`
			Text string `json:"text"`
		} `json:"data"`
	}
	if err := a.call(ctx, http.MethodPost, "/2/tweets", token, body, &out); err != nil {
		return platform.Ref{}, nil, err
	}
	if out.Data.ID == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, http.StatusCreated,
			"X accepted the post but its answer named no tweet; check the account before publishing again")
	}
	return platform.Ref{ID: out.Data.ID, URL: "https://x.com/i/status/" + out.Data.ID}, nil, nil
}

// call sends a request to path with the bearer token and an optional JSON body, classifies
// a failure, and decodes a successful JSON answer into out.
func (a *Adapter) call(ctx context.Context, method, path, token string, body, out any) error {
	if body == nil {
		return a.send(ctx, method, path, token, "", nil, out)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("twitter: encode request: %w", err)
	}
	return a.send(ctx, method, path, token, "application/json", bytes.NewReader(b), out)
}

// send makes the request with body of contentType (none if empty) and the bearer token,
// classifies a failure, and decodes a successful JSON answer into out.
func (a *Adapter) send(ctx context.Context, method, path, token, contentType string, body io.Reader, out any) error {
	return a.sendSized(ctx, method, path, token, contentType, body, -1, out)
}

// sendSized is send with the body's length given (-1: as http.NewRequest works it out),
// for a streamed body, and out nil where the answer is not needed.
func (a *Adapter) sendSized(ctx context.Context, method, path, token, contentType string, body io.Reader, size int64, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.api+path, body)
	if err != nil {
		// The operator's API URL is malformed; nothing here names the token.
		return platform.Errorf(platform.Permanent, 0, "X: the API URL is not valid")
	}
	if size >= 0 {
		req.ContentLength = size
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.client.Do(req)
	if err != nil {
		return platform.TransportError(ctx, "X", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return platform.TransportError(ctx, "X", err, token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return a.classify(resp, data, token)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		kind := platform.Transient
		if path == "/2/tweets" {
			kind = platform.Permanent // see the design above: the tweet may exist
		}
		return platform.Errorf(kind, resp.StatusCode, "X sent an unreadable answer")
	}
	return nil
}

// problem is X's error body: a problem at the top level ({title, detail, type, status}),
// errors listed in errors[] ({message} or {title, detail}), or both.
type problem struct {
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
	Errors []struct {
		Message string `json:"message"`
		Title   string `json:"title"`
		Detail  string `json:"detail"`
	} `json:"errors"`
}

// describe is X's own account of the failure, the most specific first.
func (p problem) describe() string {
	for _, e := range p.Errors {
		if s := firstNonEmpty(e.Detail, e.Message, e.Title); s != "" {
			return s
		}
	}
	return firstNonEmpty(p.Detail, p.Title)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// classify turns a failed answer into a platform.Error (see the table at the top).
func (a *Adapter) classify(resp *http.Response, body []byte, token string) *platform.Error {
	code := resp.StatusCode
	var p problem
	msg := ""
	if json.Unmarshal(body, &p) == nil {
		msg = p.describe()
	}
	if msg == "" {
		msg = http.StatusText(code)
	}
	// X does not echo the token, but a proxy in front of it might.
	msg = strings.ReplaceAll(msg, token, "[redacted]")
	switch {
	case code == http.StatusUnauthorized:
		return &platform.Error{Kind: platform.TokenRejected, Status: code, Message: "X rejected the access token"}
	case code == http.StatusForbidden:
		return &platform.Error{Kind: platform.Permanent, Status: code, Message: "X refused the post: " + msg}
	case code == http.StatusTooManyRequests:
		return &platform.Error{Kind: platform.Transient, Status: code, Message: "X rate limit reached", RetryAfter: a.retryAfter(resp.Header)}
	case code >= 500 || code == http.StatusRequestTimeout:
		return &platform.Error{Kind: platform.Transient, Status: code, Message: "X error: " + msg}
	case code >= 300 && code < 400:
		return &platform.Error{Kind: platform.Permanent, Status: code, Message: "X redirected the request; check OCTOPOST_TWITTER_API_URL"}
	}
	return &platform.Error{Kind: platform.Permanent, Status: code, Message: "X refused the post: " + msg}
}

// retryAfter reads when X's rate-limit window resets: x-rate-limit-reset in epoch seconds
// or, from a proxy that adds one, Retry-After.
func (a *Adapter) retryAfter(h http.Header) time.Duration {
	if v := h.Get("X-Rate-Limit-Reset"); v != "" {
		if secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && secs > 0 {
			return max(time.Unix(secs, 0).Sub(a.now()), 0)
		}
	}
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
			return time.Duration(s) * time.Second
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(a.now()), 0)
		}
	}
	return 0
}
