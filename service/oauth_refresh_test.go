package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/fake"
	"github.com/octopost/octopost/service/platform/oauth"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/platform/twitter"
)

// refreshBundle is the publishing engine with the real X adapter against a fake X, whose
// token endpoint (a fake of its own) issues the access tokens its API accepts.
type refreshBundle struct {
	*pubBundle
	api     *fake.Twitter
	x       *fake.TwitterOAuth
	client  *oauth.Client
	account service.Account
	// hold, when set, is called with each request to the token endpoint before it is sent.
	hold func()
}

type holdTransport struct{ b *refreshBundle }

func (h holdTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if h.b.hold != nil {
		h.b.hold()
	}
	return http.DefaultTransport.RoundTrip(r)
}

// newRefreshBundle connects an X account whose access token (the fake API's) expires at
// expiresAt, with a refresh token the fake X issued.
func newRefreshBundle(t *testing.T, expiresAt time.Time) *refreshBundle {
	t.Helper()
	api := fake.NewTwitter(t)
	x := fake.NewTwitterOAuth(t)
	x.OnToken = api.AcceptToken
	d := newTestDB(t)
	rb := &refreshBundle{api: api, x: x}
	b := &pubBundle{
		ctx: t.Context(), store: d, box: newTestBox(t), queue: &fakeQueue{},
		// X's expiry is counted from the real clock: the fake one starts there.
		clock: &pubClock{now: time.Now().UTC().Truncate(time.Second)},
	}
	values := map[string]string{
		"OCTOPOST_TWITTER_CLIENT_ID":     x.ClientID,
		"OCTOPOST_TWITTER_CLIENT_SECRET": x.ClientSecret,
		"OCTOPOST_TWITTER_AUTH_URL":      x.URL + "/i/oauth2/authorize",
		"OCTOPOST_TWITTER_TOKEN_URL":     x.URL + "/2/oauth2/token",
		"OCTOPOST_TWITTER_API_URL":       api.URL,
	}
	provider := func(p service.Platform) (service.OAuthProvider, error) {
		spec, _ := platforms.All.Lookup(string(p))
		return oauth.New(spec, func(name string) string { return values[name] },
			&http.Client{Transport: holdTransport{rb}, Timeout: 10 * time.Second}, oauthPublicURL)
	}
	b.svc = service.New(d, b.clock, nil, service.Config{
		Platforms: platforms.All, Secrets: b.box, Render: pubRenderer{},
		Adapters: map[service.Platform]platform.Adapter{"twitter": twitter.New(http.DefaultClient, api.URL)},
		OAuth:    service.OAuthConfig{PublicURL: oauthPublicURL, Provider: provider},
	})
	b.svc.SetQueue(b.queue, retry)
	user, err := b.svc.CreateUser(b.ctx, "owner@example.com", "")
	require.NoError(t, err)
	b.live = service.Scope{UserID: user.ID, Mode: service.ModeLive}
	rb.pubBundle = b
	rb.account = b.connect(t, b.live, "twitter", platform.Credentials{
		"access_token":  api.Token,
		"refresh_token": x.IssueRefreshToken(),
		"expires_at":    strconv.FormatInt(expiresAt.Unix(), 10),
	})
	p, err := provider("twitter")
	require.NoError(t, err)
	rb.client = p.(*oauth.Client)
	return rb
}

// stored returns the account as stored, and its credentials opened.
func (b *refreshBundle) stored(t *testing.T) (service.Account, platform.Credentials) {
	t.Helper()
	a, err := b.store.GetAccount(b.ctx, b.live, b.account.ID)
	require.NoError(t, err)
	plaintext, err := b.box.Open(a.Credentials)
	require.NoError(t, err)
	var creds platform.Credentials
	require.NoError(t, json.Unmarshal(plaintext, &creds))
	return a, creds
}

func (b *refreshBundle) publishOnX(t *testing.T, content string) service.Post {
	t.Helper()
	p := b.createPost(t, b.live, service.PostInput{Content: content, Platforms: []service.Platform{"twitter"}})
	b.publish(t, b.live, p.ID)
	return p
}

func TestRefreshBeforeExpiryStoresTheRotatedToken(t *testing.T) {
	t.Parallel()
	b := newRefreshBundle(t, time.Now().Add(2*time.Minute)) // within the 5-minute margin
	_, before := b.stored(t)
	// Once refreshed, the old access token is not needed: X would take it for two more
	// minutes, the fake not at all, so the tweet proves the new token was used.
	b.api.RevokeToken(before["access_token"])

	p := b.publishOnX(t, "Hello with a fresh token")
	b.runDue(t)

	got := b.post(t, b.live, p.ID)
	require.True(t, got.PlatformResults["twitter"].Success, "%+v", got.PlatformResults)
	require.Len(t, b.api.Tweets(), 1)
	issued, refused := b.x.Refreshes()
	require.Equal(t, 1, issued)
	require.Zero(t, refused)

	a, after := b.stored(t)
	require.True(t, a.IsActive)
	require.NotEqual(t, before["access_token"], after["access_token"])
	require.NotEqual(t, before["refresh_token"], after["refresh_token"], "the rotated refresh token is stored")
	expiresAt, err := strconv.ParseInt(after["expires_at"], 10, 64)
	require.NoError(t, err)
	require.InDelta(t, time.Now().Add(2*time.Hour).Unix(), expiresAt, 60)

	// The old refresh token is dead at X; the stored one is good.
	_, err = b.client.Refresh(b.ctx, before)
	require.Equal(t, platform.TokenRejected, platform.KindOf(err), "%v", err)

	// A token good for two more hours is not refreshed again.
	b.publishOnX(t, "Hello again, same token")
	b.runDue(t)
	require.Len(t, b.api.Tweets(), 2)
	issued, _ = b.x.Refreshes()
	require.Equal(t, 1, issued)
	_, err = b.client.Refresh(b.ctx, after)
	require.NoError(t, err, "the stored refresh token was never spent")
}

func TestRefreshOnA401RetriesTheCallOnce(t *testing.T) {
	t.Parallel()
	b := newRefreshBundle(t, time.Now().Add(time.Hour)) // not due for a refresh
	_, before := b.stored(t)
	b.api.RevokeToken(before["access_token"]) // X rejects it early

	p := b.publishOnX(t, "Hello after a 401")
	b.runDue(t)

	got := b.post(t, b.live, p.ID)
	require.True(t, got.PlatformResults["twitter"].Success, "%+v", got.PlatformResults)
	require.Equal(t, 2, b.api.Calls("/2/tweets"), "the 401, then the retry with the new token")
	require.Len(t, b.api.Tweets(), 1)
	issued, _ := b.x.Refreshes()
	require.Equal(t, 1, issued)
	a, after := b.stored(t)
	require.True(t, a.IsActive)
	require.NotEqual(t, before["refresh_token"], after["refresh_token"])
	require.Equal(t, 1, b.attempts(t, p, "twitter")[0].Tries, "one try: the refresh and retry are inside it")
}

func TestRefreshInvalidGrantDisconnectsTheAccount(t *testing.T) {
	t.Parallel()
	b := newRefreshBundle(t, time.Now().Add(time.Minute))
	_, before := b.stored(t)
	b.x.RevokeRefreshToken(before["refresh_token"]) // the user revoked the app

	p := b.publishOnX(t, "Hello from a revoked app")
	b.runDue(t)

	got := b.post(t, b.live, p.ID)
	result := got.PlatformResults["twitter"]
	require.False(t, result.Success)
	require.Contains(t, result.Error, "connect the account again")
	require.Empty(t, b.api.Tweets())
	require.Zero(t, b.api.Calls("/2/tweets"), "no call with a token about to expire")

	a, _ := b.stored(t)
	require.False(t, a.IsActive)
	types, events := b.events(t, b.live)
	require.Contains(t, types, service.EventAccountDisconnected)
	for _, e := range events {
		if e.Type == service.EventAccountDisconnected {
			var data struct {
				Reason string `json:"reason"`
			}
			require.NoError(t, json.Unmarshal(e.Data, &data))
			require.Equal(t, result.Error, data.Reason)
		}
	}
}

func TestRefreshServerErrorIsRetriedAndKeepsTheAccount(t *testing.T) {
	t.Parallel()
	b := newRefreshBundle(t, time.Now().Add(time.Minute))
	_, before := b.stored(t)
	b.x.FailRefreshes(1)

	p := b.publishOnX(t, "Hello through an outage")
	b.runDue(t)

	got := b.post(t, b.live, p.ID)
	_, finished := got.PlatformResults["twitter"]
	require.False(t, finished, "a 5xx is transient: the part waits for its retry")
	attempt := b.attempts(t, p, "twitter")[0]
	require.Equal(t, service.AttemptPending, attempt.State)
	a, kept := b.stored(t)
	require.True(t, a.IsActive)
	require.Equal(t, before, kept, "nothing was granted, nothing changes")
	types, _ := b.events(t, b.live)
	require.NotContains(t, types, service.EventAccountDisconnected)

	b.clock.Advance(retry.Backoff[0])
	b.runDue(t)
	got = b.post(t, b.live, p.ID)
	require.True(t, got.PlatformResults["twitter"].Success, "%+v", got.PlatformResults)
	issued, refused := b.x.Refreshes()
	require.Equal(t, 1, issued)
	require.Zero(t, refused)
}

// Two jobs of one account, the second reading the account's credentials while the first
// is refreshing them: it waits for the first's transaction and uses the token the first
// stored, never spending the refresh token the first already spent.
func TestConcurrentRefreshesOfOneAccountRefreshOnce(t *testing.T) {
	t.Parallel()
	b := newRefreshBundle(t, time.Now().Add(time.Minute))
	first := b.publishOnX(t, "Hello from the first job")
	second := b.publishOnX(t, "Hello from the second job")
	jobs := b.queue.waiting()
	require.Len(t, jobs, 2)

	refreshing, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.hold = func() {
		once.Do(func() {
			close(refreshing)
			<-release
		})
	}
	run := func(job service.PublishJob) error {
		_, err := b.svc.RunPublishJob(context.WithoutCancel(b.ctx), job)
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	wg.Go(func() { errs[0] = run(jobs[0]) })
	select { // the first job is at the token endpoint, holding the account's row
	case <-refreshing:
	case <-time.After(10 * time.Second):
		close(release)
		wg.Wait()
		t.Fatal("the first job never refreshed the token")
	}
	wg.Go(func() { errs[1] = run(jobs[1]) })
	// Give the second job time to read the old credentials and queue for the row.
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])

	issued, refused := b.x.Refreshes()
	require.Equal(t, 1, issued, "one refresh for both jobs")
	require.Zero(t, refused, "no spent refresh token was sent")
	for _, p := range []service.Post{first, second} {
		got := b.post(t, b.live, p.ID)
		require.True(t, got.PlatformResults["twitter"].Success, "%+v", got.PlatformResults)
	}
	require.Len(t, b.api.Tweets(), 2)
	a, _ := b.stored(t)
	require.True(t, a.IsActive)
}

// A refresh waits for the platform outside any transaction that would hold up other
// writes: on SQLite, whose one write lock a transaction holds, a slow token endpoint
// used to stall every write until it answered. The refreshes of one account are still
// serialized (TestConcurrentRefreshesOfOneAccountRefreshOnce).
func TestRefreshDoesNotHoldUpOtherWrites(t *testing.T) {
	t.Parallel()
	b := newRefreshBundle(t, time.Now().Add(time.Minute))
	p := b.publishOnX(t, "Hello while the token endpoint is slow")
	jobs := b.queue.waiting()
	require.Len(t, jobs, 1)

	refreshing, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	b.hold = func() {
		once.Do(func() {
			close(refreshing)
			<-release
		})
	}
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { _, runErr = b.svc.RunPublishJob(context.WithoutCancel(b.ctx), jobs[0]) })
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
		wg.Wait()
	}()
	select {
	case <-refreshing:
	case <-time.After(10 * time.Second):
		t.Fatal("the job never refreshed the token")
	}

	written := make(chan error, 1)
	go func() {
		_, err := b.svc.CreatePost(b.ctx, b.live, service.PostInput{Content: "Written meanwhile", Platforms: []service.Platform{"twitter"}})
		written <- err
	}()
	select {
	case err := <-written:
		require.NoError(t, err)
	case <-time.After(10 * time.Second): // a deadlock guard, not a speed check
		t.Fatal("a write waited for the token endpoint")
	}

	close(release)
	wg.Wait()
	require.NoError(t, runErr)
	got := b.post(t, b.live, p.ID)
	require.True(t, got.PlatformResults["twitter"].Success, "%+v", got.PlatformResults)
}
