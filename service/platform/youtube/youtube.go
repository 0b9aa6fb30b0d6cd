package youtube

// The adapter publishes a post as one YouTube video, with the account's OAuth access token
// as a Bearer token: the video is fetched from its URL and streamed to YouTube through the
// resumable upload (upload.go), whose metadata is
//
//	{snippet: {title, description, tags}, status: {privacyStatus, selfDeclaredMadeForKids: false}}
//
//	title        platform_options.youtube.title, else the post's first line, cut to 100
//	             characters
//	description  the post's text, at most 5000 UTF-8 bytes
//	tags         the text's #hashtags, in order, without the # and without repeats, as many
//	             as fit YouTube's 500 characters for all tags (a tag counts its characters,
//	             plus a comma between tags); the rest are left out rather than the post
//	             refused
//	privacy      platform_options.youtube.privacy_status, else public
//
// YouTube refuses < and > in titles and descriptions. The post's validation already refuses
// them (textlimit, and the options' title); the adapter refuses them too (Permanent), rather
// than stripping them, so a video never goes out with a text other than the one written.
//
// The answer is the video resource {id, snippet, status}; its public URL is
// https://www.youtube.com/watch?v={id}. YouTube has no idempotency key, so the adapter does
// not claim Idempotent: a publish whose answer was lost is not sent again blindly (it would
// upload the video twice).
//
// A post is one video (Spec.Replies false): a thread's segments go out as separate videos,
// in order, each with its own video and its own first line as title (a segment without a
// video is refused at validation). A post's images are for its other platforms
// (Spec.MaxImages 0) and are not sent.
//
// Failures are classified from the status and Google's structured error body {error: {code,
// message, status, errors: [{reason, domain, message}]}}, by reason, never by text:
//
//	401                                   TokenRejected (the token expired or was revoked),
//	                                      except youtubeSignupRequired: Permanent, the
//	                                      account has no channel
//	403 rateLimitExceeded,                Transient, with Retry-After when Google sends one
//	    userRateLimitExceeded, 429
//	403 quotaExceeded, dailyLimitExceeded Permanent: the project's daily quota (10,000 units,
//	                                      an upload costing 1,600) is spent until midnight
//	                                      Pacific time, which the engine's retries (about an
//	                                      hour) would not reach; the message says so, and the
//	                                      post may be published again once it resets
//	403 uploadLimitExceeded               Permanent: the channel's own daily upload limit
//	400 invalidTitle, invalidDescription, Permanent, with Google's message
//	    invalidTags, other 4xx
//	408, 5xx, no answer                   Transient (a chunk is first retried in place:
//	                                      upload.go)

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
)

// KeyAccessToken is the credential holding the account's OAuth access token.
const KeyAccessToken = platform.KeyOAuthAccessToken

// maxResponse bounds what is read of an answer: Google's are a few kilobytes.
const maxResponse = 1 << 20

// YouTube's limits on a video's texts.
const (
	maxDescriptionBytes = 5000
	maxTagsChars        = 500
)

// Adapter is the YouTube platform.Adapter.
type Adapter struct {
	client *http.Client
	api    string
	now    func() time.Time

	// chunkSize is how many bytes each PUT of the upload carries (a multiple of 256 KiB);
	// retryWait is the pause before asking an upload session where it stands after a
	// failed chunk. Both are small in tests.
	chunkSize int
	retryWait time.Duration
}

var _ platform.Adapter = (*Adapter)(nil)

// New returns an adapter calling Google's API at apiBase (the real one,
// https://www.googleapis.com, when empty). A nil client means netpolicy's client for public
// addresses.
func New(client *http.Client, apiBase string) *Adapter {
	if apiBase == "" {
		apiBase = defaultAPIURL
	}
	if client == nil {
		client = netpolicy.Client(false, 30*time.Second)
	}
	return &Adapter{
		client: client, api: strings.TrimSuffix(apiBase, "/"), now: time.Now,
		chunkSize: defaultChunkSize, retryWait: defaultRetryWait,
	}
}

// channel is the part of a channel resource the profile reads.
type channel struct {
	ID      string `json:"id"`
	Snippet struct {
		Title      string `json:"title"`
		CustomURL  string `json:"customUrl"`
		Thumbnails struct {
			Default struct {
				URL string `json:"url"`
			} `json:"default"`
		} `json:"thumbnails"`
	} `json:"snippet"`
}

// Connect checks the access token by reading the user's channel and returns its profile;
// the credentials are stored as given.
func (a *Adapter) Connect(ctx context.Context, creds platform.Credentials) (platform.Profile, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.InvalidCredentials, 0, "YouTube: access_token is required")
	}
	var out struct {
		Items []channel `json:"items"`
	}
	if _, err := a.call(ctx, http.MethodGet, a.api+"/youtube/v3/channels?part=snippet&mine=true", token, nil, nil, &out); err != nil {
		var pe *platform.Error
		if errors.As(err, &pe) && pe.Kind == platform.TokenRejected {
			return platform.Profile{}, nil, &platform.Error{Kind: platform.InvalidCredentials, Status: pe.Status, Message: pe.Message}
		}
		return platform.Profile{}, nil, err
	}
	if len(out.Items) == 0 {
		return platform.Profile{}, nil, platform.Errorf(platform.Permanent, 0,
			"YouTube: this Google account has no YouTube channel; create one on YouTube, then connect again")
	}
	ch := out.Items[0]
	if ch.ID == "" {
		return platform.Profile{}, nil, platform.Errorf(platform.Transient, 0, "YouTube sent a channel without an id")
	}
	username := strings.TrimPrefix(ch.Snippet.CustomURL, "@")
	if username == "" {
		username = ch.ID
	}
	return platform.Profile{
		UserID: ch.ID, Username: username, DisplayName: ch.Snippet.Title, AvatarURL: ch.Snippet.Thumbnails.Default.URL,
	}, creds, nil
}

// videoMeta is the resumable upload's metadata (a video resource without its id).
type videoMeta struct {
	Snippet struct {
		Title       string   `json:"title"`
		Description string   `json:"description"`
		Tags        []string `json:"tags,omitempty"`
	} `json:"snippet"`
	Status struct {
		PrivacyStatus           string `json:"privacyStatus"`
		SelfDeclaredMadeForKids bool   `json:"selfDeclaredMadeForKids"`
	} `json:"status"`
}

// Publish uploads the post's video with its title, description and tags. The credentials
// never change here.
func (a *Adapter) Publish(ctx context.Context, creds platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	token := creds[KeyAccessToken]
	if token == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.TokenRejected, 0, "YouTube: the account has no access token; connect it again")
	}
	if p.VideoURL == "" {
		return platform.Ref{}, nil, platform.Errorf(platform.Permanent, 0, "YouTube: a post needs a video")
	}
	meta, err := metadata(p)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	id, err := a.upload(ctx, token, meta, p.VideoURL)
	if err != nil {
		return platform.Ref{}, nil, err
	}
	return platform.Ref{ID: id, URL: "https://www.youtube.com/watch?v=" + id}, nil, nil
}

// metadata builds the video's metadata from the post and its options (see the top).
func metadata(p platform.Post) (videoMeta, error) {
	var m videoMeta
	o, err := decodeOptions(p.Options)
	if err != nil {
		return m, platform.Errorf(platform.Permanent, 0, "YouTube: platform_options must be an object with title and privacy_status")
	}
	if o.Title != nil {
		if msg := titleProblem(*o.Title); msg != "" {
			return m, platform.Errorf(platform.Permanent, 0, "YouTube: the title %s", msg)
		}
		m.Snippet.Title = strings.TrimSpace(*o.Title)
	} else {
		first, _, _ := strings.Cut(p.Text, "\n")
		m.Snippet.Title = cut(strings.TrimSpace(first), maxTitle)
		if m.Snippet.Title == "" {
			return m, platform.Errorf(platform.Permanent, 0, "YouTube: the video needs a title: the post's first line is empty")
		}
	}
	if strings.ContainsAny(m.Snippet.Title, "<>") || strings.ContainsAny(p.Text, "<>") {
		return m, platform.Errorf(platform.Permanent, 0, "YouTube: the title and description must not contain < or >")
	}
	if len(p.Text) > maxDescriptionBytes {
		return m, platform.Errorf(platform.Permanent, 0, "YouTube: the description is %d bytes, more than YouTube's %d", len(p.Text), maxDescriptionBytes)
	}
	m.Snippet.Description = p.Text
	m.Snippet.Tags = Tags(p.Text)
	m.Status.PrivacyStatus = PrivacyPublic
	if o.PrivacyStatus != "" {
		m.Status.PrivacyStatus = o.PrivacyStatus
	}
	return m, nil
}

// cut returns s's first n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// hashtag is a #hashtag: letters, marks, digits and underscores after a # that does not
// follow a word character (so a URL's fragment or "C#" is none).
var hashtag = regexp.MustCompile(`(?:^|[^\p{L}\p{M}\p{N}_&/])#([\p{L}\p{M}\p{N}_]+)`)

// Tags returns the text's hashtags as YouTube tags: in order, without repeats (ignoring
// case), as many as fit 500 characters with a comma between them.
func Tags(text string) []string {
	var tags []string
	seen := map[string]bool{}
	total := 0
	for _, m := range hashtag.FindAllStringSubmatch(text, -1) {
		tag := m[1]
		key := strings.ToLower(tag)
		if seen[key] {
			continue
		}
		n := utf8.RuneCountInString(tag)
		if len(tags) > 0 {
			n++ // the comma
		}
		if total+n > maxTagsChars {
			continue // a shorter one further on may still fit
		}
		seen[key] = true
		total += n
		tags = append(tags, tag)
	}
	return tags
}

// call sends a JSON request (body nil: none) with the bearer token and the extra headers,
// classifies a failure and decodes a successful answer into out (nil: not read). It
// returns the answer's headers.
func (a *Adapter) call(ctx context.Context, method, url, token string, header http.Header, body, out any) (http.Header, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("youtube: encode request: %w", err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		return nil, platform.Errorf(platform.Permanent, 0, "YouTube: the API URL (%s) is not valid", SettingAPIURL)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, platform.TransportError(ctx, "YouTube", err, token)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, platform.TransportError(ctx, "YouTube", err, token)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.Header, a.classify(resp, data, token)
	}
	if out == nil {
		return resp.Header, nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return resp.Header, platform.Errorf(platform.Transient, resp.StatusCode, "YouTube sent an unreadable answer")
	}
	return resp.Header, nil
}

// googleError is Google's error body.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason  string `json:"reason"`
			Domain  string `json:"domain"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"error"`
}

// reason is the first reason Google gave, "" when none.
func (g googleError) reason() string {
	for _, e := range g.Error.Errors {
		if e.Reason != "" {
			return e.Reason
		}
	}
	return ""
}

// classify turns a failed answer into a platform.Error (see the table at the top).
func (a *Adapter) classify(resp *http.Response, body []byte, token string) *platform.Error {
	code := resp.StatusCode
	var g googleError
	_ = json.Unmarshal(body, &g) // an unreadable body leaves the status alone to decide
	reason := g.reason()
	msg := strings.TrimSpace(g.Error.Message)
	if msg == "" {
		msg = http.StatusText(code)
	}
	if reason != "" {
		msg += " (" + reason + ")"
	}
	// Google does not echo the token, but a proxy in front of it might.
	msg = "YouTube: " + strings.ReplaceAll(msg, token, "[redacted]")
	e := &platform.Error{Status: code, Message: msg}
	switch {
	case code == http.StatusUnauthorized && reason == "youtubeSignupRequired":
		e.Kind = platform.Permanent
		e.Message = "YouTube: this Google account has no YouTube channel; create one on YouTube, then publish again"
	case code == http.StatusUnauthorized:
		e.Kind = platform.TokenRejected
	case code == http.StatusTooManyRequests || reason == "rateLimitExceeded" || reason == "userRateLimitExceeded":
		e.Kind, e.RetryAfter = platform.Transient, a.retryAfter(resp.Header)
	case reason == "quotaExceeded" || reason == "dailyLimitExceeded":
		e.Kind = platform.Permanent
		e.Message = "YouTube: the app's daily API quota is spent; it resets at midnight Pacific time, publish again after that (" + reason + ")"
	case reason == "uploadLimitExceeded":
		e.Kind = platform.Permanent
		e.Message = "YouTube: the channel has reached its daily upload limit; publish again tomorrow (" + reason + ")"
	case code == http.StatusRequestTimeout || code >= 500:
		e.Kind, e.RetryAfter = platform.Transient, a.retryAfter(resp.Header)
	default:
		e.Kind = platform.Permanent
	}
	return e
}

// retryAfter reads Retry-After (seconds or an HTTP date), 0 when absent.
func (a *Adapter) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(a.now()), 0)
	}
	return 0
}
