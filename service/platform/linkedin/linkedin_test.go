package linkedin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

type testBundle struct {
	fake    *fake.LinkedIn
	adapter *Adapter
	creds   platform.Credentials
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	f := fake.NewLinkedIn(t)
	return &testBundle{
		fake:    f,
		adapter: New(netpolicy.Client(true, 5*time.Second), f.URL),
		creds:   platform.Credentials{KeyAccessToken: f.Token, KeyPersonID: f.Member.Sub, "expires_at": "1893456000"},
	}
}

// requireKind checks err's classification, and that it never names the token.
func requireKind(t *testing.T, err error, kind platform.Kind, status int, token string) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, pe.Error())
	require.Equal(t, status, pe.Status, pe.Error())
	require.NotContains(t, err.Error(), token, "the token never appears in an error")
	return pe
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()

	profile, creds, err := b.adapter.Connect(ctx, platform.Credentials{KeyAccessToken: b.fake.Token})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID: b.fake.Member.Sub, Username: "urn:li:person:" + b.fake.Member.Sub,
		DisplayName: b.fake.Member.Name, AvatarURL: b.fake.Member.Picture,
	}, profile)
	require.Equal(t, platform.Credentials{KeyAccessToken: b.fake.Token, KeyPersonID: b.fake.Member.Sub}, creds,
		"the member id is kept for the author URN")

	_, _, err = b.adapter.Connect(ctx, platform.Credentials{KeyAccessToken: "not-the-token"})
	pe := requireKind(t, err, platform.InvalidCredentials, http.StatusUnauthorized, "not-the-token")
	require.Equal(t, "LinkedIn rejected the access token", pe.Message)

	_, _, err = b.adapter.Connect(ctx, platform.Credentials{})
	requireKind(t, err, platform.InvalidCredentials, 0, b.fake.Token)
	require.Equal(t, 2, b.fake.Calls("/v2/userinfo"), "a missing token is refused before any request")
}

func TestPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)

	ref, creds, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: "Hello from Octopost", IdempotencyKey: "k"})
	require.NoError(t, err)
	require.Nil(t, creds, "publishing never changes credentials that hold the member id")
	posts := b.fake.Posts()
	require.Len(t, posts, 1)
	require.True(t, strings.HasPrefix(ref.ID, "urn:li:share:"), ref.ID)
	require.Equal(t, platform.Ref{ID: posts[0].URN, URL: "https://www.linkedin.com/feed/update/" + posts[0].URN}, ref)
	require.Equal(t, fake.LinkedInPost{
		URN: ref.ID, Author: "urn:li:person:" + b.fake.Member.Sub,
		Commentary: "Hello from Octopost", Text: "Hello from Octopost",
		Visibility: "PUBLIC", FeedDistribution: "MAIN_FEED",
		Authorization: "Bearer " + b.fake.Token, Version: Version,
	}, posts[0])
	require.Zero(t, b.fake.Calls("/v2/userinfo"), "the stored member id, not a profile read")
}

// An account stored without its member id (connected before it was kept) reads it once
// and hands it back to be stored.
func TestPublishReadsAMissingMemberID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	delete(b.creds, KeyPersonID)

	_, creds, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "first"})
	require.NoError(t, err)
	require.Equal(t, b.fake.Member.Sub, creds[KeyPersonID])
	require.Equal(t, b.creds[KeyAccessToken], creds[KeyAccessToken])
	require.Equal(t, b.creds["expires_at"], creds["expires_at"], "the rest of the credentials kept")

	_, again, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "second"})
	require.NoError(t, err)
	require.Nil(t, again)
	require.Equal(t, 1, b.fake.Calls("/v2/userinfo"))

	// The read with a revoked token is the account's token rejected, not a bad input.
	b.fake.RevokeToken(b.fake.Token)
	_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "third"})
	requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized, b.fake.Token)
}

// LinkedIn's commentary is little text: every reserved character is escaped, so the post
// reads as written instead of being cut at the first of them.
func TestPublishEscapesLittleText(t *testing.T) {
	t.Parallel()
	b := setup(t)
	text := `Ship it (v2.0) #launch @team <3 a_b*c~d [x] {y} back\slash |pipe — done`

	_, _, err := b.adapter.Publish(context.Background(), b.creds, platform.Post{Text: text})
	require.NoError(t, err)
	posts := b.fake.Posts()
	require.Len(t, posts, 1)
	require.Equal(t, text, posts[0].Text, "shown whole, as written")
	require.Equal(t, `Ship it \(v2.0\) \#launch \@team \<3 a\_b\*c\~d \[x\] \{y\} back\\slash \|pipe — done`, posts[0].Commentary)
}

func TestEscapeLittleText(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                     "",
		"plain words, émoji 🎉": "plain words, émoji 🎉",
		`\|{}@[]()<>#*_~`:      `\\\|\{\}\@\[\]\(\)\<\>\#\*\_\~`,
		"a\\(b":                `a\\\(b`,
	} {
		require.Equal(t, want, escapeLittleText(in), in)
	}
}

// LinkedIn has no reply chain: a thread's parts are separate posts, in order.
func TestPublishThreadAsSeparatePosts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.False(t, Spec.Replies)

	var refs []platform.Ref
	for i, text := range []string{"1/3 a thread", "2/3 goes on", "3/3 and ends"} {
		p := platform.Post{Text: text}
		if i > 0 {
			p.ReplyTo, p.Root = &refs[i-1], &refs[0]
		}
		ref, _, err := b.adapter.Publish(context.Background(), b.creds, p)
		require.NoError(t, err)
		refs = append(refs, ref)
	}
	posts := b.fake.Posts()
	require.Len(t, posts, 3)
	for i, p := range posts {
		require.Equal(t, refs[i].ID, p.URN)
		require.Equal(t, []string{"1/3 a thread", "2/3 goes on", "3/3 and ends"}[i], p.Text)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)

	for i, tc := range []struct {
		options string
		want    string
	}{
		{``, "PUBLIC"},
		{`null`, "PUBLIC"},
		{`{}`, "PUBLIC"},
		{`{"visibility": "public"}`, "PUBLIC"},
		{`{"visibility": "connections"}`, "CONNECTIONS"},
	} {
		require.Empty(t, Spec.Options(json.RawMessage(tc.options), platform.Post{}), tc.options)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "post " + string(rune('a'+i)), Options: json.RawMessage(tc.options)})
		require.NoError(t, err, tc.options)
		posts := b.fake.Posts()
		require.Equal(t, tc.want, posts[len(posts)-1].Visibility, tc.options)
	}

	require.Equal(t, []platform.OptionProblem{{Path: "/visibility", Message: `must be "public" or "connections"`}},
		Spec.Options(json.RawMessage(`{"visibility": "unlisted"}`), platform.Post{}))
	problems := Spec.Options(json.RawMessage(`{"visibilty": "public"}`), platform.Post{})
	require.Len(t, problems, 1)
	require.Empty(t, problems[0].Path)

	// Options the validation would have refused are refused again here, before any call.
	for _, bad := range []string{`{"visibility": "unlisted"}`, `{"spoiler_text": "x"}`, `[1]`} {
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "never", Options: json.RawMessage(bad)})
		requireKind(t, err, platform.Permanent, 0, b.fake.Token)
	}
	require.Equal(t, 5, b.fake.Calls("/rest/posts"))
}

// One image is content.media, several content.multiImage; each is registered for the
// member, streamed to its upload URL, and named with its alt text.
func TestPublishImages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	images := fake.NewImages(t)
	png := images.Add("/a.png", "image/png", fake.PNG(4, 4))
	sniffed := images.Add("/b", "", fake.PNG(2, 2)) // no Content-Type: sniffed

	ref, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "one picture", Images: []platform.Image{{URL: png, AltText: "a tiny square"}}})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(ref.ID, "urn:li:ugcPost:"), ref.ID)
	_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "two pictures", Images: []platform.Image{{URL: png, AltText: "first"}, {URL: sniffed}}})
	require.NoError(t, err)

	posts := b.fake.Posts()
	require.Len(t, posts, 2)
	require.Len(t, posts[0].Images, 1)
	require.Equal(t, "a tiny square", posts[0].Images[0].AltText)
	require.Equal(t, "image/png", posts[0].Images[0].ContentType)
	require.Equal(t, len(fake.PNG(4, 4)), posts[0].Images[0].Size)
	require.Equal(t, b.fake.PersonURN(), posts[0].Images[0].Owner)
	require.Len(t, posts[1].Images, 2)
	require.Equal(t, "first", posts[1].Images[0].AltText)
	require.Equal(t, len(fake.PNG(2, 2)), posts[1].Images[1].Size)
	require.Empty(t, posts[1].Images[1].AltText)
	registered, uploaded := b.fake.Images()
	require.Equal(t, 3, registered)
	require.Equal(t, 3, uploaded)
}

func TestPublishMediaFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("21 images", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		imgs := make([]platform.Image, 21)
		for i := range imgs {
			imgs[i] = platform.Image{URL: "http://127.0.0.1:1/a.png"}
		}
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: imgs})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Equal(t, "LinkedIn: a post takes at most 20 images, not 21", pe.Message)
		require.Zero(t, b.fake.Calls("/rest/images"))
		require.Equal(t, 20, Spec.MaxImages)
	})

	t.Run("image missing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: images.URL + "/gone.png"}}})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "HTTP 404")
		require.Empty(t, b.fake.Posts())
	})

	t.Run("not an image", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		page := images.Add("/page", "text/html", []byte("<html>hello</html>"))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: page}}})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "is not an image")
		_, uploaded := b.fake.Images()
		require.Zero(t, uploaded, "nothing was streamed to LinkedIn")
	})

	t.Run("image too large", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		big := images.Add("/big.png", "image/png", make([]byte, maxImageBytes+1))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: big}}})
		pe := requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.Contains(t, pe.Message, "larger than the platform's limit")
		require.Empty(t, b.fake.Posts())
	})

	t.Run("alt text refused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		img := images.Add("/a.png", "image/png", fake.PNG(4, 4))
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: img, AltText: strings.Repeat("d", 4087)}}})
		pe := requireKind(t, err, platform.Permanent, http.StatusUnprocessableEntity, b.fake.Token)
		require.Equal(t, "LinkedIn refused the post: ERROR :: /content :: altText is longer than 4086 characters", pe.Message)
		require.Empty(t, b.fake.Posts())
	})

	t.Run("image at a private address", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		images := fake.NewImages(t)
		img := images.Add("/a.png", "image/png", fake.PNG(4, 4))
		a := New(fake.StrictClient(5*time.Second, b.fake.URL), b.fake.URL)
		_, _, err := a.Publish(ctx, b.creds, platform.Post{Text: "x", Images: []platform.Image{{URL: img}}})
		requireKind(t, err, platform.Permanent, 0, b.fake.Token)
		require.ErrorIs(t, err, netpolicy.ErrNotPublic)
		require.Zero(t, images.Requests(), "the image host was never reached")
		require.Empty(t, b.fake.Posts())
	})
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("token rejected", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RevokeToken(b.fake.Token)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized, b.fake.Token)
		require.Equal(t, "LinkedIn rejected the access token", pe.Message)

		_, _, err = b.adapter.Publish(ctx, platform.Credentials{}, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, 0, b.fake.Token)
	})

	t.Run("token expired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.SetNow(func() time.Time { return time.Now().Add(61 * 24 * time.Hour) })
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized, b.fake.Token)
	})

	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/rest/posts", 1, http.StatusTooManyRequests)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests, b.fake.Token)
		require.Equal(t, defaultRetryAfter, pe.RetryAfter, "LinkedIn said nothing: the default wait")

		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		require.NoError(t, err, "the next request goes through")
	})

	for _, code := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.fake.FailNext("", 1, code)
			_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
			pe := requireKind(t, err, platform.Transient, code, b.fake.Token)
			require.Equal(t, "LinkedIn error: "+http.StatusText(code), pe.Message)
			require.Empty(t, b.fake.Posts())
		})
	}

	// LinkedIn refuses the same commentary twice from one member: permanent, recorded
	// once, and said as a duplicate.
	t.Run("duplicate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		first, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "same words"})
		require.NoError(t, err)
		_, _, err = b.adapter.Publish(ctx, b.creds, platform.Post{Text: "same words"})
		pe := requireKind(t, err, platform.Permanent, http.StatusUnprocessableEntity, b.fake.Token)
		require.Equal(t, "LinkedIn refused the post as a duplicate of an earlier one: Content is a duplicate of "+first.ID, pe.Message)
		require.Zero(t, pe.RetryAfter)
		require.Len(t, b.fake.Posts(), 1)
	})

	t.Run("too long", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: strings.Repeat("a", 3001)})
		pe := requireKind(t, err, platform.Permanent, http.StatusUnprocessableEntity, b.fake.Token)
		require.Equal(t, "LinkedIn refused the post: ERROR :: /commentary :: length exceeds 3000 characters", pe.Message)
	})

	t.Run("no permission to post", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("/rest/posts", 1, http.StatusForbidden)
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Permanent, http.StatusForbidden, b.fake.Token)
		require.Contains(t, pe.Message, "LinkedIn refused the post: Not enough permissions")
	})

	t.Run("version retired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.SetVersions("209901", "209912") // every version so far is retired
		_, _, err := b.adapter.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		pe := requireKind(t, err, platform.Permanent, http.StatusUpgradeRequired, b.fake.Token)
		require.Equal(t, "LinkedIn no longer serves API version "+Version+"; this Octopost must be updated", pe.Message)
	})

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.SetDelay(2 * time.Second)
		slow := New(netpolicy.Client(true, 100*time.Millisecond), b.fake.URL)
		_, _, err := slow.Publish(ctx, b.creds, platform.Post{Text: "hi"})
		requireKind(t, err, platform.Transient, 0, b.fake.Token)
	})

	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		a := New(netpolicy.Client(true, 5*time.Second), "http://127.0.0.1:1")
		_, _, err := a.Publish(ctx, platform.Credentials{KeyAccessToken: "secret-token", KeyPersonID: "p"}, platform.Post{Text: "hi"})
		requireKind(t, err, platform.Transient, 0, "secret-token")
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := b.adapter.Publish(cctx, b.creds, platform.Post{Text: "hi"})
		require.ErrorIs(t, err, context.Canceled)
		require.NotContains(t, err.Error(), b.fake.Token)
	})
}

// LinkedIn's API at a private address (a misconfigured OCTOPOST_LINKEDIN_API_URL) is
// refused by the production client on every attempt: Permanent, and nothing is sent.
func TestPrivateAddressIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := New(netpolicy.Client(false, 5*time.Second), b.fake.URL)

	_, _, err := a.Publish(context.Background(), b.creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, 0, b.fake.Token)
	require.ErrorIs(t, err, netpolicy.ErrNotPublic)

	_, _, err = a.Connect(context.Background(), b.creds)
	require.ErrorIs(t, err, netpolicy.ErrNotPublic)
	require.Zero(t, b.fake.Calls("/rest/posts")+b.fake.Calls("/v2/userinfo"))
}

// Whatever answers in LinkedIn's place, its words never carry the token into an error;
// a 201 that names no post is not retried (the post likely exists); and the token goes
// with an image upload only to LinkedIn's own hosts.
func TestAnswersFromSomethingElse(t *testing.T) {
	t.Parallel()
	const token = "leaky-token-0123456789"
	var status int
	var body string
	var uploadAuth []string
	uploads := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uploadAuth = append(uploadAuth, r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(uploads.Close)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rest/images" {
			writeJSONForTest(w, map[string]any{"value": map[string]string{"uploadUrl": uploads.URL + "/up", "image": "urn:li:image:1"}})
			return
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	a := New(netpolicy.Client(true, 5*time.Second), srv.URL)
	creds := platform.Credentials{KeyAccessToken: token, KeyPersonID: "p"}
	ctx := context.Background()

	status, body = http.StatusBadRequest, `{"status":400,"message":"bad header: Bearer `+token+`"}`
	_, _, err := a.Publish(ctx, creds, platform.Post{Text: "hi"})
	pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest, token)
	require.Equal(t, "LinkedIn refused the post: bad header: Bearer [redacted]", pe.Message)

	status, body = http.StatusBadGateway, `<html>proxy error</html>`
	_, _, err = a.Publish(ctx, creds, platform.Post{Text: "hi"})
	pe = requireKind(t, err, platform.Transient, http.StatusBadGateway, token)
	require.Equal(t, "LinkedIn error: Bad Gateway", pe.Message)

	status, body = http.StatusCreated, ``
	_, _, err = a.Publish(ctx, creds, platform.Post{Text: "hi"})
	pe = requireKind(t, err, platform.Permanent, http.StatusCreated, token)
	require.Contains(t, pe.Message, "named no post")

	status, body = http.StatusFound, ``
	_, _, err = a.Publish(ctx, creds, platform.Post{Text: "hi"})
	requireKind(t, err, platform.Permanent, http.StatusFound, token)

	images := fake.NewImages(t)
	img := images.Add("/a.png", "image/png", fake.PNG(2, 2))
	status, body = http.StatusCreated, ``
	_, _, err = a.Publish(ctx, creds, platform.Post{Text: "hi", Images: []platform.Image{{URL: img}}})
	require.Error(t, err) // the post's 201 names nothing; the upload went first
	require.Equal(t, []string{""}, uploadAuth, "an upload URL on another host is not given the token")
}

func writeJSONForTest(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func TestOwnHost(t *testing.T) {
	t.Parallel()
	a := New(http.DefaultClient, "http://127.0.0.1:9")
	for raw, want := range map[string]bool{
		"https://www.linkedin.com/dms-uploads/x":      true,
		"https://api.linkedin.com/mediaUpload/x":      true,
		"https://linkedin.com/x":                      true,
		"http://www.linkedin.com/dms-uploads/x":       false, // not over TLS
		"https://www.linkedin.com.evil.example/x":     false,
		"https://evillinkedin.com/x":                  false,
		"http://127.0.0.1:9/dms-uploads/x":            true, // the configured API's host
		"http://127.0.0.1:10/dms-uploads/x":           false,
		"https://media.licdn.com/dms/image/upload/xy": false,
	} {
		u, err := url.Parse(raw)
		require.NoError(t, err)
		require.Equal(t, want, a.ownHost(u), raw)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := New(http.DefaultClient, "")
	a.now = func() time.Time { return now }
	for name, tc := range map[string]struct {
		header http.Header
		want   time.Duration
	}{
		"seconds":      {http.Header{"Retry-After": {"120"}}, 2 * time.Minute},
		"date":         {http.Header{"Retry-After": {"Fri, 01 May 2026 12:00:30 GMT"}}, 30 * time.Second},
		"date past":    {http.Header{"Retry-After": {"Fri, 01 May 2026 11:00:00 GMT"}}, 0},
		"garbage":      {http.Header{"Retry-After": {"later"}}, defaultRetryAfter},
		"nothing said": {http.Header{}, defaultRetryAfter},
	} {
		require.Equal(t, tc.want, a.retryAfter(tc.header), name)
	}
}

func TestDefaultAPIBase(t *testing.T) {
	t.Parallel()
	require.Equal(t, "https://api.linkedin.com", New(nil, "").api)
	require.Equal(t, "http://127.0.0.1:9", New(nil, "http://127.0.0.1:9/").api)
}
