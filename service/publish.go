package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/octopost/octopost/service/id"
)

// How publishing works
//
// Publishing a post starts a run: in one transaction the post becomes publishing, its
// Generation goes up, every platform to publish gets a pending attempt per part (the
// content, then each thread segment), and one job per platform is enqueued. Each
// platform's job then sends the parts in order, recording each send durably before and
// after the call (publish_send.go), and finally records the platform's result on the
// post; the last platform to finish settles the post's status and records its event.
//
// A scheduled post has one job, due at scheduled_for, that starts the run then. Changing
// or clearing the schedule bumps the Generation and cancels that job, so a job that
// fires anyway finds a generation that is not its own and does nothing.
//
// The due job does not stop at starting the run: it keeps the first platform for itself
// and publishes it, and only the other platforms get jobs of their own. The transaction
// that starts the run also claims the platform's first part for the due job (in flight,
// owned by the job), and the transaction that records the last part's answer also
// records the platform's result, so a single-platform post costs one job and two write
// transactions rather than two jobs and four: when a thousand posts come due in the same
// second, the database is what they queue for. A due job that runs again (a crash, a
// retry) finds the run after its generation in progress and carries on as the platform
// whose part it owns. It keeps a platform only when no other platform waits for it: with
// cross-linking, the primary platform's job starts the others when it finishes
// (PublishJob.Then), and that job is enqueued as before.

// publishing is how the service reaches its job queue.
type publishing struct {
	queue Queue
	retry Retry
}

// errNoQueue is returned when publishing is asked of a service that has no queue.
var errNoQueue = errors.New("service: no publishing queue is configured (SetQueue)")

// SetQueue connects the service to the job queue that publishes posts, and says how
// transient platform failures are retried (a Retry without MaxTries or Backoff takes
// DefaultRetry's). Call it once, before the service is used: the queue runs its jobs
// through the service, so it is made after it.
func (s *Service) SetQueue(q Queue, r Retry) {
	if r.MaxTries < 1 {
		r.MaxTries = DefaultRetry.MaxTries
	}
	if len(r.Backoff) == 0 {
		r.Backoff = DefaultRetry.Backoff
	}
	s.publishing = publishing{queue: q, retry: r}
}

// PublishPost starts publishing a post now: a draft, a scheduled post (early), a failed
// post, or the failed platforms of a published one. Each platform is checked first (an
// active account, the platform's text limit, its media requirement) and a problem with any
// of them fails the whole request. The post comes back publishing; its platform_results
// fill in as each platform finishes.
func (s *Service) PublishPost(ctx context.Context, scope Scope, postID string) (Post, error) {
	if s.publishing.queue == nil {
		return Post{}, errNoQueue
	}
	var started Post
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, scope, postID)
		if errors.Is(err, ErrNotFound) {
			return NotFound("Post")
		}
		if err != nil {
			return err
		}
		targets := unpublished(p)
		switch {
		case p.Status == PostPublishing:
			return Conflict("Post is already being published")
		case p.Status == PostPublished && len(targets) == 0:
			return Conflict("Post has already been published")
		case len(targets) == 0:
			var problems Problems
			problems.Add("/platforms", "the post has no platform to publish to")
			return problems.Err()
		}
		found, _, err := s.checkPublishable(ctx, tx, p, targets)
		if err != nil {
			return err
		}
		var problems Problems
		for _, f := range found {
			problems = append(problems, f.FieldError)
		}
		if err := problems.Err(); err != nil {
			return err
		}
		// Publishing a scheduled post early: its start job must not fire later. (A stale
		// job would do nothing, but cancelling spares the queue the run.)
		if p.Status == PostScheduled {
			if err := s.publishing.queue.CancelPost(ctx, tx, p.ID); err != nil {
				return err
			}
		}
		started, _, err = s.startPublishing(ctx, tx, p, targets, nil, nil)
		return err
	})
	return started, err
}

// unpublished lists the post's platforms that have not succeeded, in the post's order:
// what a run publishes to.
func unpublished(p Post) []Platform {
	var out []Platform
	for _, pl := range p.Platforms {
		if !p.PlatformResults[pl].Success {
			out = append(out, pl)
		}
	}
	return out
}

// keptRun is the platform a scheduled post's due job keeps for itself when it starts the
// run: the job as that platform's, and what sending needs, its first part already claimed.
type keptRun struct {
	job      PublishJob
	post     Post
	attempts []PublishAttempt
	sender   sender
	claimed  int // the index of the part claimed in the starting transaction
}

// startPublishing starts a run in tx: p becomes publishing under a new generation, and
// every platform of targets gets its attempts and, in turn, its job. rejected holds the
// platforms that cannot be published, with why; they are recorded as failed at once.
//
// due is the scheduled post's job starting the run, or nil. The first platform's job,
// when nothing waits for it, is then not enqueued: its first part is claimed for due in
// tx, and kept says what due needs to publish it once tx has committed.
func (s *Service) startPublishing(ctx context.Context, tx Store, p Post, targets []Platform, rejected map[Platform]string, due *dueStart) (_ Post, kept *keptRun, _ error) {
	now := s.clock.Now()
	p.Generation++
	p.Status = PostPublishing
	p.UpdatedAt = now
	// A queued post that starts publishing, now or at its slot, leaves the queue.
	p.Queue, p.QueuedAt, p.QueuePlace = QueueNone, nil, nil
	// Results of earlier runs stay only for the platforms that succeeded: the others are
	// being published again, and a platform no longer in the post is not shown.
	results := make(map[Platform]PlatformResult, len(p.Platforms))
	for _, pl := range p.Platforms {
		if r, ok := p.PlatformResults[pl]; ok && r.Success {
			results[pl] = r
		}
	}
	for pl, why := range rejected {
		results[pl] = PlatformResult{Error: why}
	}
	if len(results) == 0 {
		results = nil // as the store reads back no results
	}
	p.PlatformResults = results
	var jobs []PublishJob
	if len(targets) > 0 {
		var err error
		if jobs, err = s.runJobs(ctx, tx, p, targets); err != nil {
			return Post{}, nil, err
		}
	}
	if due != nil && len(jobs) > 0 && len(jobs[0].Then) == 0 {
		if account, ok := due.accounts[jobs[0].Platform]; ok {
			var err error
			if kept, err = s.keep(ctx, tx, p, jobs[0], account, due.job.ID, now); err != nil {
				return Post{}, nil, err
			}
		}
	}
	for _, pl := range targets {
		if kept != nil && pl == kept.job.Platform {
			continue // its attempts are written
		}
		if _, _, err := s.prepareAttempts(ctx, tx, p, pl, now, ""); err != nil {
			return Post{}, nil, err
		}
	}
	if err := s.settle(ctx, tx, &p); err != nil {
		return Post{}, nil, err
	}
	if err := tx.UpdatePost(ctx, p); err != nil {
		return Post{}, nil, err
	}
	if kept != nil {
		kept.post = p
		jobs = jobs[1:]
	}
	if len(jobs) == 0 {
		return p, kept, nil
	}
	return p, kept, s.publishing.queue.Enqueue(ctx, tx, PublishJobs(jobs)...)
}

// dueStart is a scheduled post's job starting its run, and the active accounts found in
// the starting transaction, by platform.
type dueStart struct {
	job      PublishJob
	accounts map[Platform]Account
}

// keep prepares, in tx, the attempts of job's platform with the first part not yet done
// claimed for owner, the due job starting the run, which publishes that platform itself,
// through account, instead of enqueueing job. It returns nil, having written nothing,
// when the platform cannot be sent to as it stands (it is then enqueued and fails in its
// own job, as before) or when every part is already done.
func (s *Service) keep(ctx context.Context, tx Store, p Post, job PublishJob, account Account, owner string, now time.Time) (*keptRun, error) {
	snd, why, err := s.senderFor(ctx, tx, p, account)
	if err != nil || why != "" {
		return nil, err
	}
	attempts, claimed, err := s.prepareAttempts(ctx, tx, p, job.Platform, now, owner)
	if err != nil {
		return nil, err
	}
	if claimed < 0 {
		// Every part went out in an earlier run: the platform's own job records that.
		return nil, nil
	}
	job.ID = owner
	return &keptRun{job: job, attempts: attempts, sender: snd, claimed: claimed}, nil
}

// runJobs returns the jobs that publish p to targets. With cross-linking, the primary
// platform goes first and its job starts the others when it finishes, so they can link
// to it; otherwise every platform starts at once.
func (s *Service) runJobs(ctx context.Context, tx Store, p Post, targets []Platform) ([]PublishJob, error) {
	job := func(pl Platform) PublishJob {
		return PublishJob{Scope: p.Scope, PostID: p.ID, Generation: p.Generation, Platform: pl}
	}
	primary, ok, err := s.crossLinkPrimary(ctx, tx, p)
	if err != nil {
		return nil, err
	}
	if ok && slices.Contains(targets, primary) {
		first := job(primary)
		first.Then = slices.DeleteFunc(slices.Clone(targets), func(pl Platform) bool { return pl == primary })
		return []PublishJob{first}, nil
	}
	jobs := make([]PublishJob, len(targets))
	for i, pl := range targets {
		jobs[i] = job(pl)
	}
	return jobs, nil
}

// prepareAttempts gives every part of p a pending attempt on pl for the new run, and
// returns the attempts by segment. Parts already published in an earlier run stay done:
// a thread resumes where it stopped rather than going out twice. With an owner, the
// first part not done is claimed for it instead, written in flight (claimed is its
// index; -1 when every part is done): the transaction that starts the run is then also
// the one that records, before the call, that the owner is sending it.
func (s *Service) prepareAttempts(ctx context.Context, tx Store, p Post, pl Platform, now time.Time, owner string) (attempts []PublishAttempt, claimed int, err error) {
	// A platform's first run has no attempts to read: a run writes every part's attempt,
	// so when the first part has none, no part has. Write that first (the common case, and
	// one statement fewer), and read only when it exists.
	first := PublishAttempt{
		Scope: p.Scope, PostID: p.ID, Platform: pl, IdempotencyKey: idempotencyKey(p.ID, pl, 0),
		State: AttemptPending, UpdatedAt: now,
	}
	if owner != "" {
		first.State, first.Owner, first.Tries = AttemptInFlight, owner, 1
	}
	switch err := tx.CreateAttempt(ctx, first); {
	case err == nil:
		return s.createAttempts(ctx, tx, p, pl, now, first)
	case !errors.Is(err, ErrDuplicate):
		return nil, -1, err
	}
	existing, err := tx.ListAttempts(ctx, p.Scope, p.ID, pl)
	if err != nil {
		return nil, -1, err
	}
	bySegment := make(map[int]PublishAttempt, len(existing))
	for _, a := range existing {
		bySegment[a.Segment] = a
	}
	claimed = -1
	attempts = make([]PublishAttempt, len(p.Segments)+1)
	for segment := range attempts {
		a, ok := bySegment[segment]
		next := a
		if !ok {
			next = PublishAttempt{
				Scope: p.Scope, PostID: p.ID, Platform: pl, Segment: segment,
				IdempotencyKey: idempotencyKey(p.ID, pl, segment),
			}
		}
		if !ok || a.State != AttemptDone {
			next.State, next.Owner, next.Tries, next.Error, next.UpdatedAt = AttemptPending, "", 0, "", now
			if owner != "" && claimed < 0 {
				next.State, next.Owner, next.Tries, claimed = AttemptInFlight, owner, 1, segment
			}
		}
		switch {
		case !ok:
			err = tx.CreateAttempt(ctx, next)
		case a.State != AttemptDone:
			err = tx.UpdateAttempt(ctx, next, a)
		}
		if err != nil {
			return nil, -1, err
		}
		attempts[segment] = next
	}
	return attempts, claimed, nil
}

// createAttempts writes the pending attempts of p's thread segments on pl after first,
// the first part's, just written (in flight when it was claimed): the platform's first run.
func (s *Service) createAttempts(ctx context.Context, tx Store, p Post, pl Platform, now time.Time, first PublishAttempt) ([]PublishAttempt, int, error) {
	attempts := make([]PublishAttempt, len(p.Segments)+1)
	attempts[0] = first
	for segment := 1; segment < len(attempts); segment++ {
		attempts[segment] = PublishAttempt{
			Scope: p.Scope, PostID: p.ID, Platform: pl, Segment: segment,
			IdempotencyKey: idempotencyKey(p.ID, pl, segment), State: AttemptPending, UpdatedAt: now,
		}
		if err := tx.CreateAttempt(ctx, attempts[segment]); err != nil {
			return nil, -1, err
		}
	}
	claimed := -1
	if first.State == AttemptInFlight {
		claimed = 0
	}
	return attempts, claimed, nil
}

// idempotencyKey is the same for every send of one part of a post to one platform, in
// every run, so that a platform that deduplicates never publishes that part twice.
func idempotencyKey(postID string, pl Platform, segment int) string {
	return fmt.Sprintf("%s:%s:%d", postID, pl, segment)
}

// RunPublishJob does one job of the queue's. A positive retryIn asks the queue to run the
// same job again after that long (a transient platform failure, retried as Retry says).
// An error is an internal failure, such as the database being unreachable, which the
// queue retries on its own schedule; when it gives up, it calls GiveUpPublishJob.
func (s *Service) RunPublishJob(ctx context.Context, job PublishJob) (retryIn time.Duration, err error) {
	if job.Platform == "" {
		return s.runScheduled(ctx, job)
	}
	return s.publishPlatform(ctx, job)
}

// runScheduled runs the job of a scheduled post: it starts the run when the post comes
// due, and publishes the platform it kept (see startPublishing). Run again once the run
// has started, it carries on as that platform's job.
func (s *Service) runScheduled(ctx context.Context, job PublishJob) (time.Duration, error) {
	kept, started, err := s.startScheduled(ctx, job)
	switch {
	case err != nil:
		return 0, err
	case kept != nil:
		return s.sendParts(ctx, kept.job, kept.post, kept.attempts, kept.sender, kept.claimed)
	case !started:
		return 0, nil
	}
	asPlatform, ok, err := s.keptPlatform(ctx, job)
	if err != nil || !ok {
		return 0, err
	}
	return s.publishPlatform(ctx, asPlatform)
}

// startedBy reports whether p's run in progress may be the one the scheduled post's job
// started: the run after the job's generation. (Publishing the post early starts that
// run too; keptPlatform tells them apart.)
func startedBy(p Post, due PublishJob) bool {
	return p.Status == PostPublishing && p.Generation == due.Generation+1
}

// keptPlatform returns the scheduled post's job as the job of the platform it kept when
// it started the run: the platform with a part the job owns, in the run's generation.
// ok is false when it kept none (every platform got its own job, or the run is not the
// job's).
func (s *Service) keptPlatform(ctx context.Context, job PublishJob) (_ PublishJob, ok bool, _ error) {
	p, err := s.store.GetPost(ctx, job.Scope, job.PostID)
	if errors.Is(err, ErrNotFound) {
		return job, false, nil
	}
	if err != nil {
		return job, false, err
	}
	for _, pl := range p.Platforms {
		attempts, err := s.store.ListAttempts(ctx, job.Scope, job.PostID, pl)
		if err != nil {
			return job, false, err
		}
		for _, a := range attempts {
			if a.Owner == job.ID {
				job.Platform = pl
				job.Generation++
				return job, true, nil
			}
		}
	}
	return job, false, nil
}

// startScheduled starts the run of a scheduled post that has come due, unless the post
// has since been rescheduled, unscheduled, published or deleted. Nobody is waiting for an
// answer, so a platform that cannot be published is recorded as failed, and the others go
// ahead. kept is the platform the job keeps for itself; started reports that the run of
// the job's generation had already started (the job runs again).
func (s *Service) startScheduled(ctx context.Context, job PublishJob) (kept *keptRun, started bool, err error) {
	err = s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, job.Scope, job.PostID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if p.Status != PostScheduled || p.Generation != job.Generation {
			started = startedBy(p, job)
			return nil
		}
		targets := unpublished(p)
		found, accounts, err := s.checkPublishable(ctx, tx, p, targets)
		if err != nil {
			return err
		}
		targets, rejected := refuse(targets, found)
		_, kept, err = s.startPublishing(ctx, tx, p, targets, rejected, &dueStart{job: job, accounts: accounts})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return kept, started, nil
}

// GiveUpPublishJob ends a job that the queue will not run again after internal failures
// (cause, which is not shown to the post's owner): a scheduled post that could not start
// fails on all its platforms, and a platform that could not finish fails, with a part it
// left in flight recorded as unknown. So the post does not stay publishing forever.
func (s *Service) GiveUpPublishJob(ctx context.Context, job PublishJob, cause error) error {
	why := "an internal error stopped publishing; publish the post again to retry"
	if job.Platform == "" {
		started := false
		err := s.store.InTx(ctx, func(tx Store) error {
			p, err := tx.GetPostForUpdate(ctx, job.Scope, job.PostID)
			if errors.Is(err, ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if p.Status != PostScheduled || p.Generation != job.Generation {
				started = startedBy(p, job)
				return nil
			}
			rejected := map[Platform]string{}
			for _, pl := range unpublished(p) {
				rejected[pl] = why
			}
			_, _, err = s.startPublishing(ctx, tx, p, nil, rejected, nil)
			return err
		})
		if err != nil || !started {
			return err
		}
		// The run started: give up the platform the job kept, as that platform's job.
		var ok bool
		if job, ok, err = s.keptPlatform(ctx, job); err != nil || !ok {
			return err
		}
	}
	attempts, err := s.store.ListAttempts(ctx, job.Scope, job.PostID, job.Platform)
	if err != nil {
		return fmt.Errorf("giving up on %s after %v: %w", job.Platform, cause, err)
	}
	for _, a := range attempts {
		if a.State != AttemptInFlight || a.Owner != job.ID {
			continue
		}
		failed := a
		failed.State, failed.Error, failed.UpdatedAt = AttemptFailed, outcomeUnknown, s.clock.Now()
		result := PlatformResult{Error: outcomeUnknown}
		return s.record(ctx, job, outcome{attempt: failed, from: a, result: &result})
	}
	return s.finishPlatform(ctx, job, PlatformResult{Error: why})
}

// isCurrent reports whether job belongs to p's run in progress.
func isCurrent(p Post, job PublishJob) bool {
	return p.Status == PostPublishing && p.Generation == job.Generation
}

// settle ends the run in tx once every platform of p has a result: p is published if any
// platform succeeded, failed if none did, and the matching event is recorded with it.
func (s *Service) settle(ctx context.Context, tx Store, p *Post) error {
	succeeded := false
	for _, pl := range p.Platforms {
		r, ok := p.PlatformResults[pl]
		if !ok {
			return nil
		}
		succeeded = succeeded || r.Success
	}
	now := s.clock.Now()
	p.UpdatedAt = now
	typ := EventPostFailed
	p.Status = PostFailed
	if succeeded {
		typ = EventPostPublished
		p.Status = PostPublished
		if p.PublishedAt == nil {
			p.PublishedAt = &now
		}
	}
	event, err := s.postEvent(typ, *p)
	if err != nil {
		return err
	}
	return s.recordEvent(ctx, tx, event)
}

// postEventData is a post event's data: the post as the API shows it.
type postEventData struct {
	Post any `json:"post"`
}

func (s *Service) postEvent(typ EventType, p Post) (Event, error) {
	if s.config.Render == nil {
		return Event{}, errors.New("service: no EventRenderer is configured to record events")
	}
	data, err := json.Marshal(postEventData{Post: s.config.Render.Post(p)})
	if err != nil {
		return Event{}, fmt.Errorf("encoding %s event: %w", typ, err)
	}
	return Event{ID: id.New(id.Event), Scope: p.Scope, Type: typ, Data: data, CreatedAt: s.clock.Now()}, nil
}
