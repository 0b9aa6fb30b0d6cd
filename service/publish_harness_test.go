package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
	"github.com/octopost/octopost/service/platform"
	"github.com/octopost/octopost/service/platform/platforms"
	"github.com/octopost/octopost/service/secretbox"
)

// The publishing tests run the engine on a real SQLite store, with a fake clock, fake
// platforms and a fake queue whose jobs the test runs by hand (runDue), so that no test
// waits for a schedule. db/queue runs the same engine on River, on both databases.

// pubClock is a settable clock, safe for the concurrent jobs of a test.
type pubClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *pubClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *pubClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakePlatform is a platform that publishes into memory. It fails the calls the test
// scripts, and, when idempotent, publishes a repeated idempotency key only once, as
// Mastodon does.
type fakePlatform struct {
	name       service.Platform
	idempotent bool

	mu     sync.Mutex
	calls  []platform.Post // every Publish call, in order
	posts  []platform.Post // what was published
	byKey  map[string]platform.Ref
	script []error // the outcomes of the next calls: an error, or nil to publish
	// during runs inside the next call that publishes, before it returns (a test
	// interleaves another job there); after it, the call returns err instead of the ref
	// (a process dying right after the platform published).
	during func()
	after  error
}

func (f *fakePlatform) Idempotent() bool { return f.idempotent }

func (f *fakePlatform) Connect(context.Context, platform.Credentials) (platform.Profile, platform.Credentials, error) {
	return platform.Profile{}, nil, errors.New("fakePlatform only publishes")
}

func (f *fakePlatform) Publish(_ context.Context, _ platform.Credentials, p platform.Post) (platform.Ref, platform.Credentials, error) {
	f.mu.Lock()
	f.calls = append(f.calls, p)
	if len(f.script) > 0 {
		err := f.script[0]
		f.script = f.script[1:]
		if err != nil {
			f.mu.Unlock()
			return platform.Ref{}, nil, err
		}
	}
	if ref, ok := f.byKey[p.IdempotencyKey]; ok && f.idempotent {
		f.mu.Unlock()
		return ref, nil, nil
	}
	f.posts = append(f.posts, p)
	n := len(f.posts)
	ref := platform.Ref{ID: fmt.Sprintf("%s-%d", f.name, n), URL: fmt.Sprintf("https://%s.example/p/%d", f.name, n)}
	if f.byKey == nil {
		f.byKey = map[string]platform.Ref{}
	}
	f.byKey[p.IdempotencyKey] = ref
	during, after := f.during, f.after
	f.during, f.after = nil, nil
	f.mu.Unlock()
	if during != nil {
		during()
	}
	if after != nil {
		return platform.Ref{}, nil, after
	}
	return ref, nil, nil
}

func (f *fakePlatform) fail(errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script = append(f.script, errs...)
}

func (f *fakePlatform) published() []platform.Post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posts)
}

func (f *fakePlatform) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// pubRenderer renders a post's publishing state into events, for the tests to read.
type pubRenderer struct{}

func (pubRenderer) Account(a service.Account) any {
	return map[string]any{"id": a.ID, "is_active": a.IsActive}
}

func (pubRenderer) Post(p service.Post) any {
	return map[string]any{"id": p.ID, "status": p.Status, "platform_results": p.PlatformResults}
}

// queuedJob is a job in the fake queue.
type queuedJob struct {
	job       service.PublishJob
	due       time.Time
	cancelled bool
	done      bool
}

// fakeQueue keeps jobs in memory. It checks that jobs are enqueued and cancelled inside
// a transaction, as the engine promises.
type fakeQueue struct {
	mu   sync.Mutex
	jobs []*queuedJob
}

func inTx(tx service.Store) error {
	if tx.DriverTx() == nil {
		return errors.New("fakeQueue: called outside a transaction")
	}
	return nil
}

func (q *fakeQueue) Enqueue(_ context.Context, tx service.Store, jobs ...service.Job) error {
	if err := inTx(tx); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, job := range jobs {
		j, ok := job.(service.PublishJob)
		if !ok {
			return fmt.Errorf("fakeQueue: unexpected kind of job %q", service.KindOf(job))
		}
		j.ID = fmt.Sprint("job-", len(q.jobs)+1)
		q.jobs = append(q.jobs, &queuedJob{job: j, due: j.RunAt})
	}
	return nil
}

func (q *fakeQueue) CancelPost(_ context.Context, tx service.Store, postID string) error {
	if err := inTx(tx); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if j.job.PostID == postID && !j.done {
			j.cancelled = true
		}
	}
	return nil
}

// waiting returns the jobs neither done nor cancelled.
func (q *fakeQueue) waiting() []service.PublishJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []service.PublishJob
	for _, j := range q.jobs {
		if !j.done && !j.cancelled {
			out = append(out, j.job)
		}
	}
	return out
}

// all returns every job ever enqueued, cancelled or not.
func (q *fakeQueue) all() []queuedJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]queuedJob, len(q.jobs))
	for i, j := range q.jobs {
		out[i] = *j
	}
	return out
}

// next returns the first waiting job that is due at now.
func (q *fakeQueue) next(now time.Time) *queuedJob {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range q.jobs {
		if !j.done && !j.cancelled && !j.due.After(now) {
			return j
		}
	}
	return nil
}

func (q *fakeQueue) settle(j *queuedJob, retryIn time.Duration, now time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if retryIn > 0 {
		j.due = now.Add(retryIn)
		return
	}
	j.done = true
}

type pubBundle struct {
	ctx       context.Context
	store     *db.DB
	svc       *service.Service
	clock     *pubClock
	queue     *fakeQueue
	box       *secretbox.Box
	platforms map[service.Platform]*fakePlatform
	live      service.Scope
	test      service.Scope
	other     service.Scope
}

// retry is the tests' retry policy: short, and with a value per try to tell them apart.
var retry = service.Retry{MaxTries: 3, Backoff: []time.Duration{10 * time.Second, 20 * time.Second}}

// newPublishBundle returns a service on a fresh database, with live accounts connected
// on every platform in connected.
func newPublishBundle(t *testing.T, connected ...service.Platform) *pubBundle {
	t.Helper()
	ctx := t.Context()
	d := newTestDB(t)
	box := newTestBox(t)

	b := &pubBundle{
		ctx: ctx, store: d, box: box, queue: &fakeQueue{},
		clock:     &pubClock{now: time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)},
		platforms: map[service.Platform]*fakePlatform{},
	}
	adapters := map[service.Platform]platform.Adapter{}
	for _, p := range service.Platforms {
		f := &fakePlatform{name: p}
		b.platforms[p] = f
		adapters[p] = f
	}
	b.svc = service.New(d, b.clock, nil, service.Config{Platforms: platforms.All, Adapters: adapters, Secrets: box, Render: pubRenderer{}})
	b.svc.SetQueue(b.queue, retry)

	user, err := b.svc.CreateUser(ctx, "owner@example.com", "")
	require.NoError(t, err)
	other, err := b.svc.CreateUser(ctx, "other@example.com", "")
	require.NoError(t, err)
	b.live = service.Scope{UserID: user.ID, Mode: service.ModeLive}
	b.test = service.Scope{UserID: user.ID, Mode: service.ModeTest}
	b.other = service.Scope{UserID: other.ID, Mode: service.ModeLive}
	for _, p := range connected {
		b.connect(t, b.live, p, nil)
	}
	return b
}

// connect stores an active account of sc on p, with creds sealed when given.
func (b *pubBundle) connect(t *testing.T, sc service.Scope, p service.Platform, creds platform.Credentials) service.Account {
	t.Helper()
	a := service.Account{
		ID: id.New(id.Account), Scope: sc, Platform: p, PlatformUserID: "u-" + string(p),
		Username: "alice", DisplayName: "Alice", IsActive: true, ConnectedAt: b.clock.Now(),
	}
	if creds != nil {
		plaintext, err := json.Marshal(creds)
		require.NoError(t, err)
		a.Credentials = b.box.Seal(plaintext)
	}
	if sc.Mode == service.ModeTest {
		a.Simulate = service.SimulateNone
	}
	require.NoError(t, b.store.CreateAccount(b.ctx, a))
	return a
}

func (b *pubBundle) createPost(t *testing.T, sc service.Scope, in service.PostInput) service.Post {
	t.Helper()
	if in.Content == "" {
		in.Content = "Hello from Octopost"
	}
	p, err := b.svc.CreatePost(b.ctx, sc, in)
	require.NoError(t, err)
	return p
}

func (b *pubBundle) publish(t *testing.T, sc service.Scope, postID string) service.Post {
	t.Helper()
	p, err := b.svc.PublishPost(b.ctx, sc, postID)
	require.NoError(t, err)
	require.Equal(t, service.PostPublishing, p.Status)
	return p
}

func (b *pubBundle) post(t *testing.T, sc service.Scope, postID string) service.Post {
	t.Helper()
	p, err := b.svc.GetPost(b.ctx, sc, postID)
	require.NoError(t, err)
	return p
}

// runDue runs every job that is due, and the jobs those enqueue, until none is due at
// the clock's time. It returns how many ran.
func (b *pubBundle) runDue(t *testing.T) int {
	t.Helper()
	ran := 0
	for j := b.queue.next(b.clock.Now()); j != nil; j = b.queue.next(b.clock.Now()) {
		retryIn, err := b.svc.RunPublishJob(b.ctx, j.job)
		require.NoError(t, err, "job %+v", j.job)
		b.queue.settle(j, retryIn, b.clock.Now())
		ran++
		require.Less(t, ran, 1000, "jobs keep coming")
	}
	return ran
}

func (b *pubBundle) attempts(t *testing.T, p service.Post, pl service.Platform) []service.PublishAttempt {
	t.Helper()
	list, err := b.store.ListAttempts(b.ctx, p.Scope, p.ID, pl)
	require.NoError(t, err)
	return list
}

// events returns the types of sc's events, in order, and the events.
func (b *pubBundle) events(t *testing.T, sc service.Scope) ([]service.EventType, []service.Event) {
	t.Helper()
	list, err := b.store.ListEvents(b.ctx, sc)
	require.NoError(t, err)
	types := make([]service.EventType, len(list))
	for i, e := range list {
		types[i] = e.Type
	}
	return types, list
}

// eventPost decodes the post an event carries, as pubRenderer wrote it.
func eventPost(t *testing.T, e service.Event) (status string, results map[string]service.PlatformResult) {
	t.Helper()
	var data struct {
		Post struct {
			Status  string                            `json:"status"`
			Results map[string]service.PlatformResult `json:"platform_results"`
		} `json:"post"`
	}
	require.NoError(t, json.Unmarshal(e.Data, &data))
	return data.Post.Status, data.Post.Results
}

// problem is a validation problem a test expects: its field, and the platform its
// message names.
type problem struct {
	field    string
	platform service.Platform
}

// requireProblems checks that err is a validation error with exactly these problems, in
// order.
func requireProblems(t *testing.T, err error, want ...problem) []service.FieldError {
	t.Helper()
	var se *service.Error
	require.ErrorAs(t, err, &se)
	require.Equal(t, service.KindValidation, se.Kind, "%v", err)
	var fields []string
	for _, f := range se.Fields {
		fields = append(fields, f.Field)
	}
	var wantFields []string
	for _, w := range want {
		wantFields = append(wantFields, w.field)
	}
	require.Equal(t, wantFields, fields, "%v", err)
	for i, w := range want {
		require.Contains(t, se.Fields[i].Message, string(w.platform)+":", "problem %d", i)
	}
	return se.Fields
}

func transient(msg string, retryAfter time.Duration) error {
	return &platform.Error{Kind: platform.Transient, Status: 503, Message: msg, RetryAfter: retryAfter}
}

func permanent(msg string) error {
	return &platform.Error{Kind: platform.Permanent, Status: 422, Message: msg}
}
