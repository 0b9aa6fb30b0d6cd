package bluesky

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service/netpolicy"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
)

type testBundle struct {
	fake    *fake.Bluesky
	images  *fake.Images
	adapter *Adapter
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	b := fake.NewBluesky(t)
	return &testBundle{fake: b, images: fake.NewImages(t), adapter: New(netpolicy.Client(true, 5*time.Second), b.URL)}
}

// connect connects the fake's account and returns the credentials to publish with.
func (b *testBundle) connect(t *testing.T) platform.Credentials {
	t.Helper()
	_, creds, err := b.adapter.Connect(context.Background(), platform.Credentials{
		KeyIdentifier: b.fake.Handle, KeyAppPassword: b.fake.AppPassword,
	})
	require.NoError(t, err)
	return creds
}

func requireKind(t *testing.T, err error, kind platform.Kind, status int) *platform.Error {
	t.Helper()
	var pe *platform.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, kind, pe.Kind, pe.Error())
	require.Equal(t, status, pe.Status)
	return pe
}

func TestConnect(t *testing.T) {
	t.Parallel()
	b := setup(t)

	profile, creds, err := b.adapter.Connect(context.Background(), platform.Credentials{
		KeyIdentifier: b.fake.Handle, KeyAppPassword: b.fake.AppPassword,
	})
	require.NoError(t, err)
	require.Equal(t, platform.Profile{
		UserID:      b.fake.DID,
		Username:    b.fake.Handle,
		DisplayName: "Alice 🦋",
		AvatarURL:   "https://cdn.bsky.app/img/avatar/plain/" + b.fake.DID + "/bafkreialiceavatar@jpeg",
	}, profile)
	require.Equal(t, b.fake.DID, creds[KeyDID])
	require.Equal(t, b.fake.Handle, creds[KeyHandle])
	require.Equal(t, b.fake.Handle, creds[KeyIdentifier])
	require.Equal(t, b.fake.AppPassword, creds[KeyAppPassword])
	require.NotEmpty(t, creds[KeyAccessJWT])
	require.NotEmpty(t, creds[KeyRefreshJWT])
	require.NotContains(t, creds, KeyServiceURL, "the default service is not pinned into the account")
	require.Equal(t, 1, b.fake.SessionCount())
}

func TestConnectWithServiceURL(t *testing.T) {
	t.Parallel()
	pds := fake.NewBluesky(t)
	a := New(netpolicy.Client(true, 5*time.Second), "http://127.0.0.1:1") // the default is not used

	_, creds, err := a.Connect(context.Background(), platform.Credentials{
		KeyIdentifier: pds.DID, KeyAppPassword: pds.AppPassword, KeyServiceURL: pds.URL + "/",
	})
	require.NoError(t, err)
	require.Equal(t, pds.URL+"/", creds[KeyServiceURL])

	_, _, err = a.Publish(context.Background(), creds, platform.Post{Text: "from my own PDS", IdempotencyKey: "k"})
	require.NoError(t, err)
	require.Len(t, pds.Records(), 1)
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("wrong password", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{KeyIdentifier: b.fake.Handle, KeyAppPassword: "nope-nope-nope-nope"})
		pe := requireKind(t, err, platform.InvalidCredentials, http.StatusUnauthorized)
		require.Equal(t, "Bluesky rejected the identifier or app password", pe.Message)
		require.NotContains(t, pe.Error(), "nope")
	})

	t.Run("sign-in code required", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.RequireAuthFactor()
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{KeyIdentifier: b.fake.Handle, KeyAppPassword: b.fake.AppPassword})
		pe := requireKind(t, err, platform.InvalidCredentials, http.StatusUnauthorized)
		require.Contains(t, pe.Message, "app password")
	})

	t.Run("missing fields", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{KeyIdentifier: b.fake.Handle})
		requireKind(t, err, platform.InvalidCredentials, 0)
		require.Zero(t, b.fake.Calls("com.atproto.server.createSession"))
	})

	t.Run("bad service_url", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		for _, raw := range []string{"bsky.social", "ftp://bsky.social", "https://bsky.social/xrpc", "https://u:p@bsky.social"} {
			_, _, err := b.adapter.Connect(ctx, platform.Credentials{KeyIdentifier: "a", KeyAppPassword: "b", KeyServiceURL: raw})
			pe := requireKind(t, err, platform.InvalidCredentials, 0)
			require.Contains(t, pe.Message, "service_url")
		}
	})

	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("com.atproto.server.createSession", 1, http.StatusTooManyRequests)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{KeyIdentifier: b.fake.Handle, KeyAppPassword: b.fake.AppPassword})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests)
		require.InDelta(t, 30*time.Second, pe.RetryAfter, float64(2*time.Second))
	})

	t.Run("outage", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.fake.FailNext("app.bsky.actor.getProfile", 1, http.StatusBadGateway)
		_, _, err := b.adapter.Connect(ctx, platform.Credentials{KeyIdentifier: b.fake.Handle, KeyAppPassword: b.fake.AppPassword})
		requireKind(t, err, platform.Transient, http.StatusBadGateway)
	})
}

func TestPublish(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	before := time.Now().Add(-time.Second)

	ref, newCreds, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "Hello, Bluesky", IdempotencyKey: "post_1:bluesky:0"})
	require.NoError(t, err)
	require.Nil(t, newCreds, "the session was still good")

	records := b.fake.Records()
	require.Len(t, records, 1)
	rec := records[0]
	require.Equal(t, "Hello, Bluesky", rec.Text)
	require.Equal(t, recordKey("post_1:bluesky:0"), rec.RKey)
	require.Equal(t, platform.Ref{
		ID:  "at://" + b.fake.DID + "/app.bsky.feed.post/" + rec.RKey,
		CID: rec.CID,
		URL: "https://bsky.app/profile/" + b.fake.Handle + "/post/" + rec.RKey,
	}, ref)
	created, err := time.Parse(time.RFC3339, rec.CreatedAt)
	require.NoError(t, err)
	require.WithinRange(t, created, before, time.Now().Add(time.Second))
	require.Empty(t, rec.Facets)
	require.NotContains(t, rec.Value, "reply")
}

func TestSessionIsReused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	for i := range 10 {
		_, newCreds, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "post", IdempotencyKey: "k" + string(rune('a'+i))})
		require.NoError(t, err)
		require.Nil(t, newCreds)
	}
	require.Len(t, b.fake.Records(), 10)
	require.Equal(t, 1, b.fake.SessionCount(), "one session, made by Connect")
	require.Zero(t, b.fake.Calls("com.atproto.server.refreshSession"))
}

func TestExpiredSessionIsRefreshed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	b.fake.ExpireAccessTokens()

	_, refreshed, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "one", IdempotencyKey: "k1"})
	require.NoError(t, err)
	require.NotNil(t, refreshed, "the refreshed session is handed back for storage")
	require.NotEqual(t, creds[KeyAccessJWT], refreshed[KeyAccessJWT])
	require.NotEqual(t, creds[KeyRefreshJWT], refreshed[KeyRefreshJWT], "refresh tokens rotate")
	require.Equal(t, creds[KeyAppPassword], refreshed[KeyAppPassword])
	require.Equal(t, creds[KeyDID], refreshed[KeyDID])
	require.Equal(t, 1, b.fake.Calls("com.atproto.server.refreshSession"))
	require.Equal(t, 2, b.fake.Calls("com.atproto.repo.createRecord"), "the refused call, then its retry")
	require.Len(t, b.fake.Records(), 1)
	require.Equal(t, 1, b.fake.SessionCount())

	_, again, err := b.adapter.Publish(context.Background(), refreshed, platform.Post{Text: "two", IdempotencyKey: "k2"})
	require.NoError(t, err)
	require.Nil(t, again, "the stored session works as it is")
	require.Equal(t, 1, b.fake.Calls("com.atproto.server.refreshSession"))
}

func TestRefreshFallsBackToAppPassword(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	b.fake.ExpireAccessTokens()
	b.fake.RevokeRefreshTokens() // a refresh token past its two months

	_, renewed, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "still here", IdempotencyKey: "k"})
	require.NoError(t, err)
	require.NotNil(t, renewed)
	require.Equal(t, 2, b.fake.SessionCount(), "a new session from the stored app password")
	require.Len(t, b.fake.Records(), 1)
}

func TestRevokedAppPasswordRejectsToken(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	b.fake.ExpireAccessTokens()
	b.fake.RevokeAppPassword()

	_, _, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "x", IdempotencyKey: "k"})
	pe := requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized)
	require.Equal(t, "Bluesky rejected the app password", pe.Message)
	require.Empty(t, b.fake.Records())

	// Without a stored app password there is nothing to fall back on.
	delete(creds, KeyAppPassword)
	_, _, err = b.adapter.Publish(context.Background(), creds, platform.Post{Text: "x", IdempotencyKey: "k"})
	pe = requireKind(t, err, platform.TokenRejected, http.StatusBadRequest)
	require.Equal(t, "Bluesky ended the session", pe.Message)
}

func TestRefreshOutageIsTransient(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	b.fake.ExpireAccessTokens()
	b.fake.FailNext("com.atproto.server.refreshSession", 1, http.StatusServiceUnavailable)

	_, newCreds, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "x", IdempotencyKey: "k"})
	requireKind(t, err, platform.Transient, http.StatusServiceUnavailable)
	require.Nil(t, newCreds)
	require.Equal(t, 1, b.fake.SessionCount(), "an outage is no reason for a new session")
}

func TestPublishWithoutSessionLogsIn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := platform.Credentials{KeyIdentifier: b.fake.Handle, KeyAppPassword: b.fake.AppPassword}

	_, newCreds, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: "x", IdempotencyKey: "k"})
	require.NoError(t, err)
	require.NotEmpty(t, newCreds[KeyAccessJWT], "the session made is handed back for storage")
	require.Equal(t, b.fake.DID, newCreds[KeyDID])
	require.Equal(t, 1, b.fake.SessionCount())

	_, again, err := b.adapter.Publish(context.Background(), newCreds, platform.Post{Text: "y", IdempotencyKey: "k2"})
	require.NoError(t, err)
	require.Nil(t, again)
	require.Equal(t, 1, b.fake.SessionCount())
	require.Len(t, b.fake.Records(), 2)
}

func TestDuplicateRecordKeyIsSuccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	post := platform.Post{Text: "exactly once", IdempotencyKey: "post_9:bluesky:0"}

	first, _, err := b.adapter.Publish(context.Background(), creds, post)
	require.NoError(t, err)
	again, _, err := b.adapter.Publish(context.Background(), creds, post)
	require.NoError(t, err)
	require.Equal(t, first, again)
	require.Len(t, b.fake.Records(), 1)
	require.Equal(t, 1, b.fake.Calls("com.atproto.repo.getRecord"))
}

// The answer to a create is lost (a timeout, a crash); the retry must find the post.
func TestRetryAfterTimeoutDoesNotDuplicate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	post := platform.Post{Text: "slow", IdempotencyKey: "post_8:bluesky:0"}
	slow := New(netpolicy.Client(true, 100*time.Millisecond), b.fake.URL)
	b.fake.SetDelay(time.Second)

	_, _, err := slow.Publish(context.Background(), creds, post)
	require.Error(t, err)
	require.Equal(t, platform.Transient, platform.KindOf(err))
	require.Len(t, b.fake.Records(), 1, "the PDS stored it before the client gave up")

	b.fake.SetDelay(0)
	ref, _, err := b.adapter.Publish(context.Background(), creds, post)
	require.NoError(t, err)
	require.Equal(t, b.fake.Records()[0].URI, ref.ID)
	require.Len(t, b.fake.Records(), 1)
}

func TestThread(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	ctx := context.Background()

	root, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "1/3", IdempotencyKey: "t:0"})
	require.NoError(t, err)
	second, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "2/3", ReplyTo: &root, Root: &root, IdempotencyKey: "t:1"})
	require.NoError(t, err)
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "3/3", ReplyTo: &second, Root: &root, IdempotencyKey: "t:2"})
	require.NoError(t, err)

	records := b.fake.Records()
	require.Len(t, records, 3)
	require.Equal(t, fake.BlueskyStrongRef{URI: root.ID, CID: root.CID}, records[1].ReplyRoot)
	require.Equal(t, fake.BlueskyStrongRef{URI: root.ID, CID: root.CID}, records[1].ReplyParent)
	require.Equal(t, fake.BlueskyStrongRef{URI: root.ID, CID: root.CID}, records[2].ReplyRoot)
	require.Equal(t, fake.BlueskyStrongRef{URI: second.ID, CID: second.CID}, records[2].ReplyParent)

	// A reply given no Root replies to a root post: the parent is the root.
	_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "re", ReplyTo: &root, IdempotencyKey: "t:3"})
	require.NoError(t, err)
	require.Equal(t, records[1].ReplyRoot, b.fake.Records()[3].ReplyRoot)
}

func TestFacetsUseByteOffsets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	text := "🦋 日本語のテキスト: see https://example.com/a_(b) and #golang! 👍🏽 #東京"

	_, _, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: text, IdempotencyKey: "k"})
	require.NoError(t, err)
	facets := b.fake.Records()[0].Facets
	require.Len(t, facets, 3)
	require.Equal(t, fake.BlueskyFacet{
		ByteStart: strings.Index(text, "https"), ByteEnd: strings.Index(text, " and"),
		Type: "link", Value: "https://example.com/a_(b)", Covered: "https://example.com/a_(b)",
	}, facets[0])
	require.Equal(t, "tag", facets[1].Type)
	require.Equal(t, "golang", facets[1].Value)
	require.Equal(t, "#golang", facets[1].Covered)
	require.Equal(t, "東京", facets[2].Value)
	require.Equal(t, "#東京", facets[2].Covered)
}

func TestImages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	wide := b.images.Add("/wide.png", "image/png", fake.PNG(8, 4))
	// Misdeclared as JPEG: the PDS stores the type it sniffs, and the embed must agree.
	misdeclared := b.images.Add("/x.jpg", "image/jpeg", fake.PNG(2, 2))

	_, _, err := b.adapter.Publish(context.Background(), creds, platform.Post{
		Text:           "pictures",
		Images:         []platform.Image{{URL: wide, AltText: "a wide one"}, {URL: misdeclared}},
		IdempotencyKey: "k",
	})
	require.NoError(t, err)
	rec := b.fake.Records()[0]
	require.Len(t, rec.Images, 2)
	require.Equal(t, "a wide one", rec.Images[0].Alt)
	require.Equal(t, "image/png", rec.Images[0].MimeType)
	require.Equal(t, len(fake.PNG(8, 4)), rec.Images[0].Size)
	require.Equal(t, "", rec.Images[1].Alt)
	require.Equal(t, "image/png", rec.Images[1].MimeType)
	require.Equal(t, 2, b.fake.Calls("com.atproto.repo.uploadBlob"))
	embed := rec.Value["embed"].(map[string]any)
	first := embed["images"].([]any)[0].(map[string]any)
	require.Equal(t, map[string]any{"width": json.Number("8"), "height": json.Number("4")}, first["aspectRatio"])
}

func TestImageErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("too large", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		padded := append(fake.PNG(1, 1), make([]byte, maxImageBytes)...) // a PNG with trailing bytes
		big := b.images.Add("/big.png", "image/png", padded)
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "x", Images: []platform.Image{{URL: big}}, IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Permanent, 0)
		require.Contains(t, pe.Message, "larger than the platform's limit of 1000000 bytes")
		require.Zero(t, b.fake.Calls("com.atproto.repo.uploadBlob"))
	})

	t.Run("more than four", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		img := platform.Image{URL: b.images.Add("/a.png", "image/png", fake.PNG(1, 1))}
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "x", Images: []platform.Image{img, img, img, img, img}, IdempotencyKey: "k"})
		requireKind(t, err, platform.Permanent, 0)
	})

	t.Run("image host down", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "x", Images: []platform.Image{{URL: "http://127.0.0.1:1/a.png"}}, IdempotencyKey: "k"})
		require.Error(t, err)
		require.Equal(t, platform.Transient, platform.KindOf(err))
	})

	t.Run("upload with an expired session", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		b.fake.ExpireAccessTokens()
		img := platform.Image{URL: b.images.Add("/a.png", "image/png", fake.PNG(1, 1))}
		_, newCreds, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "x", Images: []platform.Image{img}, IdempotencyKey: "k"})
		require.NoError(t, err)
		require.NotNil(t, newCreds)
		require.Equal(t, 1, b.fake.Calls("com.atproto.server.refreshSession"))
	})
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("invalid record", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: strings.Repeat("é", 301), IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Permanent, http.StatusBadRequest)
		require.Equal(t, "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes", pe.Message)
		require.Equal(t, 1, b.fake.Calls("com.atproto.repo.getRecord"), "a refusal is checked against a lost earlier answer")

		// 300 graphemes pass, though they are more runes and bytes: a flag is two runes.
		_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: strings.Repeat("🇯🇵", 300), IdempotencyKey: "k2"})
		require.NoError(t, err)
	})

	t.Run("rate limited", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		b.fake.FailNext("com.atproto.repo.createRecord", 1, http.StatusTooManyRequests)
		_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "x", IdempotencyKey: "k"})
		pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests)
		require.InDelta(t, 30*time.Second, pe.RetryAfter, float64(2*time.Second), "from ratelimit-reset")
		require.Zero(t, b.fake.Calls("com.atproto.repo.getRecord"))
	})

	for _, code := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			creds := b.connect(t)
			b.fake.FailNext("com.atproto.repo.createRecord", 1, code)
			_, _, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "x", IdempotencyKey: "k"})
			requireKind(t, err, platform.Transient, code)
			require.Empty(t, b.fake.Records())

			_, _, err = b.adapter.Publish(ctx, creds, platform.Post{Text: "x", IdempotencyKey: "k"})
			require.NoError(t, err, "the retry goes through")
			require.Len(t, b.fake.Records(), 1)
		})
	}

	t.Run("refused after a fresh session", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		b.fake.FailNext("com.atproto.repo.createRecord", 2, http.StatusUnauthorized)
		_, newCreds, err := b.adapter.Publish(ctx, creds, platform.Post{Text: "x", IdempotencyKey: "k"})
		requireKind(t, err, platform.TokenRejected, http.StatusUnauthorized)
		require.NotNil(t, newCreds, "the refreshed session is stored even when the publish fails")
	})

	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, _, err := b.adapter.Publish(cctx, creds, platform.Post{Text: "x", IdempotencyKey: "k"})
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestRecordKey(t *testing.T) {
	t.Parallel()
	require.True(t, platform.IsIdempotent(New(http.DefaultClient, "https://bsky.social")))
	k := recordKey("post_01JQ8Z7X4T9M2K5V6W3N0P1R8S:bluesky:0")
	require.Regexp(t, `^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$`, k, "TID syntax")
	require.Equal(t, k, recordKey("post_01JQ8Z7X4T9M2K5V6W3N0P1R8S:bluesky:0"))
	require.NotEqual(t, k, recordKey("post_01JQ8Z7X4T9M2K5V6W3N0P1R8S:bluesky:1"))
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	a := New(http.DefaultClient, "https://bsky.social")
	a.now = func() time.Time { return now }
	for name, tc := range map[string]struct {
		header http.Header
		want   time.Duration
	}{
		"ratelimit-reset":  {http.Header{"Ratelimit-Reset": {"1800000090"}}, 90 * time.Second},
		"reset passed":     {http.Header{"Ratelimit-Reset": {"1799999990"}}, 0},
		"Retry-After secs": {http.Header{"Retry-After": {"15"}}, 15 * time.Second},
		"Retry-After date": {http.Header{"Retry-After": {now.Add(time.Minute).UTC().Format(http.TimeFormat)}}, time.Minute},
		"garbage":          {http.Header{"Ratelimit-Reset": {"tomorrow"}}, 0},
		"nothing":          {http.Header{}, 0},
	} {
		require.Equal(t, tc.want, a.retryAfter(tc.header), name)
	}
}

// A private address is refused on every attempt, so it is Permanent: recorded at once,
// not retried for an hour (issue 6 item 7b). The message names what failed without the
// URL's credentials or query, or the session.
func TestPrivateAddressesArePermanent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("image URL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		a := New(fake.StrictClient(5*time.Second, b.fake.URL), b.fake.URL)
		img := b.images.Add("/a.png", "image/png", fake.PNG(2, 2))
		port := img[strings.LastIndex(img, ":")+1 : strings.Index(img, "/a.png")]
		for _, raw := range []string{
			strings.Replace(img, "http://", "http://alice:hunter2@", 1) + "?signature=s3cr3t#frag",
			"http://[::ffff:127.0.0.1]:" + port + "/a.png?signature=s3cr3t",
		} {
			_, _, err := a.Publish(ctx, creds, platform.Post{Text: "x", Images: []platform.Image{{URL: raw}}, IdempotencyKey: "k"})
			pe := requireKind(t, err, platform.Permanent, 0)
			require.ErrorIs(t, err, netpolicy.ErrNotPublic)
			require.Contains(t, pe.Message, "/a.png")
			for _, secret := range []string{"hunter2", "s3cr3t", "frag", creds[KeyAccessJWT]} {
				require.NotContains(t, err.Error(), secret, raw)
			}
		}
		require.Zero(t, b.images.Requests(), "the image host was never reached")
		require.Zero(t, b.fake.Calls("com.atproto.repo.uploadBlob"))
		require.Empty(t, b.fake.Records())
	})
	t.Run("PDS URL", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		creds := b.connect(t)
		// The account's own PDS, on 127.0.0.1; the default is never used (nor looked up).
		creds[KeyServiceURL] = b.fake.URL
		a := New(netpolicy.Client(false, 5*time.Second), "https://bsky.invalid")
		_, _, err := a.Publish(ctx, creds, platform.Post{Text: "x", IdempotencyKey: "k"})
		requireKind(t, err, platform.Permanent, 0)
		require.ErrorIs(t, err, netpolicy.ErrNotPublic)
		require.NotContains(t, err.Error(), creds[KeyAccessJWT])

		_, _, err = a.Connect(ctx, platform.Credentials{KeyIdentifier: b.fake.Handle, KeyAppPassword: b.fake.AppPassword, KeyServiceURL: b.fake.URL})
		require.ErrorIs(t, err, netpolicy.ErrNotPublic, "the service answers \"must point to a public address\"")
		require.NotEqual(t, platform.Transient, platform.KindOf(err))
		require.NotContains(t, err.Error(), b.fake.AppPassword)
		require.Empty(t, b.fake.Records())
		require.Equal(t, 1, b.fake.Calls("com.atproto.server.createSession"), "only the test's own connect")
	})
}

// Mentions become facets naming the DID their handle resolves to, over their UTF-8 byte
// range; a handle that does not resolve stays plain text.
func TestMentions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	const bob = "did:plc:bobbobbobbobbobbobbobbob"
	b.fake.AddHandle("bob.example.com", bob)
	text := "🦋 日本語のテキスト @bob.example.com, see (@Alice.bsky.test) 👍🏽 #東京 and @nobody.example.com; bob@example.com"

	_, _, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: text, IdempotencyKey: "m"})
	require.NoError(t, err)
	facets := b.fake.Records()[0].Facets
	require.Len(t, facets, 3)
	at := strings.Index(text, "@bob")
	require.Equal(t, 4+1+8*3+1, at, "the emoji is 4 bytes, each of the 8 CJK characters 3")
	require.Equal(t, fake.BlueskyFacet{ByteStart: at, ByteEnd: at + len("@bob.example.com"), Type: "mention", Value: bob, Covered: "@bob.example.com"}, facets[0])
	at = strings.Index(text, "@Alice")
	require.Equal(t, fake.BlueskyFacet{ByteStart: at, ByteEnd: at + len("@Alice.bsky.test"), Type: "mention", Value: b.fake.DID, Covered: "@Alice.bsky.test"}, facets[1])
	require.Equal(t, "tag", facets[2].Type)
	require.Equal(t, 3, b.fake.Calls("com.atproto.identity.resolveHandle"), "bob, alice and nobody; the address is no mention")
}

// A post resolves at most maxMentions distinct handles; the rest stay plain text.
func TestMentionsAreBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	var text strings.Builder
	for i := range maxMentions + 2 {
		handle := "u" + strconv.Itoa(i) + ".example.com"
		b.fake.AddHandle(handle, "did:plc:user"+strconv.Itoa(i))
		text.WriteString("@" + handle + " ")
	}
	text.WriteString("@u0.example.com again")

	_, _, err := b.adapter.Publish(context.Background(), creds, platform.Post{Text: text.String(), IdempotencyKey: "b"})
	require.NoError(t, err)
	facets := b.fake.Records()[0].Facets
	require.Len(t, facets, maxMentions+1, "the first ten handles, u0 twice")
	require.Equal(t, "did:plc:user0", facets[maxMentions].Value)
	require.Equal(t, maxMentions, b.fake.Calls("com.atproto.identity.resolveHandle"))
}

// A resolver that is down fails the publish as Transient, so that the post is not sent
// without its mention for good; nothing is created, and the retry publishes it whole.
func TestMentionResolverDown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	creds := b.connect(t)
	b.fake.AddHandle("bob.example.com", "did:plc:bob")
	post := platform.Post{Text: "hello @bob.example.com", IdempotencyKey: "d"}

	b.fake.FailNext("com.atproto.identity.resolveHandle", 1, http.StatusServiceUnavailable)
	_, _, err := b.adapter.Publish(context.Background(), creds, post)
	requireKind(t, err, platform.Transient, http.StatusServiceUnavailable)
	require.Empty(t, b.fake.Records())

	b.fake.FailNext("com.atproto.identity.resolveHandle", 1, http.StatusTooManyRequests)
	_, _, err = b.adapter.Publish(context.Background(), creds, post)
	pe := requireKind(t, err, platform.Transient, http.StatusTooManyRequests)
	require.Positive(t, pe.RetryAfter)

	_, _, err = b.adapter.Publish(context.Background(), creds, post)
	require.NoError(t, err)
	require.Equal(t, "mention", b.fake.Records()[0].Facets[0].Type)

	// A handle the resolver refuses (400) is no outage: plain text, published.
	b.fake.FailNext("com.atproto.identity.resolveHandle", 1, http.StatusBadRequest)
	_, _, err = b.adapter.Publish(context.Background(), creds, platform.Post{Text: "again @bob.example.com", IdempotencyKey: "e"})
	require.NoError(t, err)
	require.Empty(t, b.fake.Records()[1].Facets)
}
