package service

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// Sending a post to one platform, at most once
//
// Every part (the content, then each thread segment) has an attempt, moved through
// pending → in_flight → done | failed by compare-and-set writes: in_flight (with the
// idempotency key and the job's ID) committed before the call to the platform, done or
// failed committed after it. (A scheduled post's first part is claimed in the
// transaction that starts its run, and the last part's answer is committed with the
// platform's result: fewer transactions, the same order.) A job that finds one of its parts in flight was
// itself stopped mid-call (a crash, a shutdown, its timeout), and cannot know whether the
// platform published it. It sends again, with the same key, only where the platform
// deduplicates (platform.Idempotent); elsewhere it records the outcome as unknown rather
// than risk a duplicate. A part in flight for another job, or a compare-and-set lost to
// another writer, is an error, retried by the queue: two jobs never both send a part.

// outcomeUnknown is recorded for a part whose job died mid-call, on a platform that cannot
// tell a repeated send from a new post.
const outcomeUnknown = "the outcome of the earlier attempt is unknown; not retried to avoid a duplicate post"

// recordTimeout bounds recording the outcome of a call after the job's own context has
// ended: the platform has answered, and a shutdown must not lose what it said.
const recordTimeout = 30 * time.Second

// errStale is returned inside publishing when the post's run is no longer the job's.
var errStale = errors.New("the post's publishing run has moved on")

// publishPlatform sends p's parts to the job's platform, from the first not yet done, and
// records the platform's result when they are all done or one has failed for good.
func (s *Service) publishPlatform(ctx context.Context, job PublishJob) (time.Duration, error) {
	p, err := s.store.GetPost(ctx, job.Scope, job.PostID)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if _, finished := p.PlatformResults[job.Platform]; finished || !isCurrent(p, job) {
		return 0, nil
	}
	attempts, err := s.store.ListAttempts(ctx, job.Scope, job.PostID, job.Platform)
	if err != nil {
		return 0, err
	}
	snd, why, err := s.newSender(ctx, s.store, p, job.Platform)
	if err != nil {
		return 0, err
	}
	if why != "" {
		return 0, s.finishPlatform(ctx, job, PlatformResult{Error: why})
	}
	return s.sendParts(ctx, job, p, attempts, snd, -1)
}

// sender is what sending a post's parts to one platform needs, read before the first send.
type sender struct {
	account  Account
	spec     platform.Spec
	adapter  platform.Adapter
	creds    platform.Credentials
	messages []part // the post's parts as the platform gets them, the first with its cross-link
}

// newSender reads, through store, what sending p to pl needs. why says instead, to the
// post's owner, why pl cannot be published: no active account, or no adapter for it.
func (s *Service) newSender(ctx context.Context, store Store, p Post, pl Platform) (_ sender, why string, _ error) {
	account, err := store.ActiveAccount(ctx, p.Scope, pl)
	if errors.Is(err, ErrNotFound) {
		return sender{}, fmt.Sprintf("no active %s account is connected", pl), nil
	}
	if err != nil {
		return sender{}, "", err
	}
	return s.senderFor(ctx, store, p, account)
}

// senderFor is newSender through account, the platform's active account.
func (s *Service) senderFor(ctx context.Context, store Store, p Post, account Account) (_ sender, why string, _ error) {
	adapter, err := s.adapterFor(account)
	if err != nil {
		return sender{}, err.Error(), nil
	}
	spec, err := s.spec(account.Platform)
	if err != nil {
		return sender{}, err.Error(), nil
	}
	creds, err := s.AccountCredentials(ctx, account)
	if err != nil {
		return sender{}, "", err
	}
	maxChars := 0
	if spec.AccountLimit != nil {
		maxChars = spec.AccountLimit(creds)
	}
	messages := partsFor(p, account.Platform)
	if messages[0].content, err = s.withCrossLink(ctx, store, p, messages[0], spec, maxChars); err != nil {
		return sender{}, "", err
	}
	return sender{account: account, spec: spec, adapter: adapter, creds: creds, messages: messages}, "", nil
}

// sendParts sends p's parts to the job's platform through snd, from the first not yet
// done (attempts are the platform's, by segment), and records the platform's result when
// they are all done or one has failed for good. preclaimed is the index of the part the
// job claimed in the transaction that started the run, sent without claiming it again;
// -1 when there is none.
func (s *Service) sendParts(ctx context.Context, job PublishJob, p Post, attempts []PublishAttempt, snd sender, preclaimed int) (time.Duration, error) {
	messages, account, adapter, creds := snd.messages, snd.account, snd.adapter, snd.creds
	if len(attempts) < len(messages) {
		return 0, fmt.Errorf("post %s on %s: %d attempts for %d parts", p.ID, job.Platform, len(attempts), len(messages))
	}
	fail := func(why string) (time.Duration, error) {
		return 0, s.finishPlatform(ctx, job, PlatformResult{Error: why})
	}
	var first, prev platform.Ref
	for i, msg := range messages {
		a := attempts[i]
		if i != preclaimed {
			switch a.State {
			case AttemptDone:
				prev = a.Ref
				if i == 0 {
					first = a.Ref
				}
				continue
			case AttemptFailed:
				return fail(a.Error)
			case AttemptInFlight:
				if a.Owner != job.ID {
					return 0, fmt.Errorf("post %s on %s: part %d is in flight in job %s", p.ID, job.Platform, i, a.Owner)
				}
				if !s.mayResend(adapter, a) {
					failed := a
					failed.State, failed.Error, failed.UpdatedAt = AttemptFailed, outcomeUnknown, s.clock.Now()
					result := PlatformResult{Error: outcomeUnknown}
					return 0, s.record(ctx, job, outcome{attempt: failed, from: a, account: account, result: &result})
				}
			}
			var err error
			a, err = s.claim(ctx, job, a)
			if errors.Is(err, errStale) {
				return 0, nil
			}
			if err != nil {
				return 0, err
			}
		}
		claimed := a
		// Every part carries the platform's options: a thread's replies keep its settings.
		post := platformPost(msg, p.PlatformOptions[job.Platform])
		post.IdempotencyKey = claimed.IdempotencyKey
		if i > 0 && snd.spec.Replies {
			replyTo, root := prev, first
			post.ReplyTo, post.Root = &replyTo, &root
		}
		if i == 0 && claimed.Tries == 1 {
			due := dueTime(p, attempts[0], preclaimed == 0)
			s.observer().SchedulingDelay(job.Platform, max(s.clock.Now().Sub(due), 0))
		}
		// An OAuth token is refreshed first when it is about to expire, and once more on a
		// 401 (oauth_refresh.go).
		ref, refreshed, sendErr := s.publishFresh(ctx, account, adapter, &creds, post)
		if refreshed != nil {
			creds = refreshed
		}
		if sendErr != nil && ctx.Err() != nil {
			// Stopped mid-call: whether the platform published is as unknown as after a
			// crash. The part stays in flight, for the job's next run to decide.
			return 0, ctx.Err()
		}
		prev = ref
		if i == 0 {
			first = ref
		}
		// The last part's success is the platform's: recorded in the same transaction.
		var success *PlatformResult
		if i == len(messages)-1 {
			success = &PlatformResult{Success: true, PostID: first.ID, PostURL: first.URL}
		}
		recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
		retryIn, stop, err := s.recordSend(recordCtx, job, account, claimed, ref, refreshed, sendErr, success)
		cancel()
		if err != nil || stop {
			return retryIn, err
		}
	}
	// Every part was done before this run (it stopped between the last part and the
	// platform's result).
	return 0, s.finishPlatform(ctx, job, PlatformResult{Success: true, PostID: first.ID, PostURL: first.URL})
}

// dueTime is when p's run was due to send its first part: the time p was scheduled for,
// when the scheduled job's run claimed that part as it started; otherwise the time the
// run prepared the part's attempt (first, as read before this run claimed it), which is
// when p was published, or when its cross-linked primary platform finished.
func dueTime(p Post, first PublishAttempt, preclaimed bool) time.Time {
	if preclaimed && p.ScheduledFor != nil {
		return *p.ScheduledFor
	}
	return first.UpdatedAt
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// withCrossLink returns the text of first, p's first part as the spec's platform gets it
// (its own content, or the post's), with the cross-link appended where p has one for the
// platform and the result still fits the platform's limit. A post is checked against the
// limits before it starts, when the primary post's URL is not known yet, so a link that
// would push it over is left off rather than failing the platform. An error reading the
// preset fails the job, to be retried, rather than sending without the link.
func (s *Service) withCrossLink(ctx context.Context, store Store, p Post, first part, spec platform.Spec, maxChars int) (string, error) {
	link, err := s.crossLink(ctx, store, p, Platform(spec.ID))
	if link == "" || err != nil {
		return first.content, err
	}
	text := first.content + "\n\n" + link
	image, video := first.media.has()
	if spec.Text(text, image || video, maxChars) != nil {
		return first.content, nil
	}
	return text, nil
}

// mayResend reports whether a part found in flight can be sent again without risking a
// duplicate: the platform deduplicates by key, and still remembers the key.
func (s *Service) mayResend(adapter platform.Adapter, a PublishAttempt) bool {
	if !platform.IsIdempotent(adapter) {
		return false
	}
	if w, ok := adapter.(platform.IdempotencyWindow); ok {
		return s.clock.Now().Sub(a.UpdatedAt) < w.IdempotencyWindow()
	}
	return true
}

// claim moves a to in flight for job, and commits that before anything is sent. It fails
// with errStale when the post's run is no longer the job's, and with ErrNotFound when
// another writer changed a first.
func (s *Service) claim(ctx context.Context, job PublishJob, a PublishAttempt) (PublishAttempt, error) {
	next := a
	next.State, next.Owner, next.Tries, next.UpdatedAt = AttemptInFlight, job.ID, a.Tries+1, s.clock.Now()
	err := s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, job.Scope, job.PostID)
		if errors.Is(err, ErrNotFound) {
			return errStale
		}
		if err != nil {
			return err
		}
		if _, finished := p.PlatformResults[job.Platform]; finished || !isCurrent(p, job) {
			return errStale
		}
		return tx.UpdateAttempt(ctx, next, a)
	})
	return next, err
}

// recordSend records the platform's answer to sending claimed: done, pending again for a
// transient failure to retry (retryIn says when), or failed, which ends the platform
// (stop). Refreshed credentials are kept either way. success, when not nil, is the
// platform's result should the send have succeeded (it was the last part): recorded with
// it, it ends the platform too.
func (s *Service) recordSend(ctx context.Context, job PublishJob, account Account, claimed PublishAttempt, ref platform.Ref, refreshed platform.Credentials, sendErr error, success *PlatformResult) (retryIn time.Duration, stop bool, err error) {
	next := claimed
	next.UpdatedAt = s.clock.Now()
	o := outcome{attempt: next, from: claimed, account: account, refreshed: refreshed}
	if sendErr == nil {
		s.observer().PublishAttempt(job.Platform, PublishSucceeded)
		o.attempt.State, o.attempt.Ref, o.attempt.Error = AttemptDone, ref, ""
		o.used = true
		o.result = success
		return 0, success != nil, s.record(ctx, job, o)
	}
	why := failureMessage(job.Platform, sendErr)
	var pe *platform.Error
	var retryAfter time.Duration
	if errors.As(sendErr, &pe) {
		retryAfter = pe.RetryAfter
	}
	kind := platform.KindOf(sendErr)
	if kind == platform.Transient && claimed.Tries < s.publishing.retry.MaxTries {
		s.observer().PublishAttempt(job.Platform, PublishRetrying)
		o.attempt.State, o.attempt.Error = AttemptPending, why
		return s.publishing.retry.wait(claimed.Tries, retryAfter), true, s.record(ctx, job, o)
	}
	if kind == platform.Transient {
		why = fmt.Sprintf("%s (gave up after %d tries)", why, claimed.Tries)
	}
	o.attempt.State, o.attempt.Error = AttemptFailed, why
	o.result = &PlatformResult{Error: why}
	o.rejected = kind == platform.TokenRejected
	if o.rejected {
		s.observer().PublishAttempt(job.Platform, PublishTokenRejected)
	} else {
		s.observer().PublishAttempt(job.Platform, PublishFailed)
	}
	return 0, true, s.record(ctx, job, o)
}

// failureMessage is what the post's owner sees of a failed send. Only a classified
// platform error's message is shown: it never holds a secret, whereas a raw network error
// can quote a URL with a token in it (Telegram's bot URLs).
func failureMessage(pl Platform, err error) string {
	var pe *platform.Error
	if errors.As(err, &pe) {
		return pe.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("%s did not answer in time", pl)
	}
	return fmt.Sprintf("%s could not be reached", pl)
}

// outcome is what one transaction records after a call to a platform, or instead of one.
type outcome struct {
	attempt, from PublishAttempt // the part's new state, written over from
	account       Account
	used          bool                 // the account just published: touch it
	refreshed     platform.Credentials // credentials to store from now on, if not nil
	result        *PlatformResult      // the platform's result, when this ends it
	rejected      bool                 // the platform rejected the account's token
}

// record writes o in one transaction, under the post's lock.
func (s *Service) record(ctx context.Context, job PublishJob, o outcome) error {
	return s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, job.Scope, job.PostID)
		if err != nil {
			return err
		}
		if err := tx.UpdateAttempt(ctx, o.attempt, o.from); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, o); err != nil || o.result == nil {
			return err
		}
		var rejected *Account
		if o.rejected {
			rejected = &o.account
		}
		return s.finishIn(ctx, tx, p, job, *o.result, rejected)
	})
}

// touch records, in tx, what o's send changed of its account: refreshed credentials
// always, and that it was just used at most once a minute, like an API key's
// last_used_at. Every post through an account writes the same row, so touching it on
// each would make a burst of one account's posts queue for that row (PostgreSQL locks it
// until the transaction ends), for a timestamp nobody reads to the second.
func (s *Service) touch(ctx context.Context, tx Store, o outcome) error {
	if o.refreshed != nil {
		return s.updateAccount(ctx, tx, o.account, o.used, o.refreshed)
	}
	now := s.clock.Now()
	recent := func(a Account) bool { return a.LastUsedAt != nil && now.Sub(*a.LastUsedAt) < lastUsedGranularity }
	// The account as the job read it is no newer than the stored one: when that was used
	// within the minute, so was this, and nothing needs reading.
	if !o.used || recent(o.account) {
		return nil
	}
	current, err := tx.GetAccount(ctx, o.account.Scope, o.account.ID)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	if recent(current) {
		return nil
	}
	current.LastUsedAt = &now
	return tx.UpdateAccount(ctx, current)
}

// finishPlatform records the job's platform's result on its own.
func (s *Service) finishPlatform(ctx context.Context, job PublishJob, result PlatformResult) error {
	return s.store.InTx(ctx, func(tx Store) error {
		p, err := tx.GetPostForUpdate(ctx, job.Scope, job.PostID)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return s.finishIn(ctx, tx, p, job, result, nil)
	})
}

// finishIn records, in tx and with p locked, the result of publishing p to the job's
// platform, once: for the job's run, and only while the platform has no result. When the
// platform rejected the account's token (rejected), the account is marked inactive. The
// platforms waiting for this one (job.Then) start now, and when this was the last platform
// to finish, the post settles.
func (s *Service) finishIn(ctx context.Context, tx Store, p Post, job PublishJob, result PlatformResult, rejected *Account) error {
	if _, finished := p.PlatformResults[job.Platform]; finished || !isCurrent(p, job) {
		return nil
	}
	p.PlatformResults = maps.Clone(p.PlatformResults)
	if p.PlatformResults == nil {
		p.PlatformResults = map[Platform]PlatformResult{}
	}
	p.PlatformResults[job.Platform] = result
	p.UpdatedAt = s.clock.Now()
	if rejected != nil {
		if err := s.MarkAccountInactive(ctx, tx, *rejected, result.Error); err != nil {
			return err
		}
	}
	var next []PublishJob
	for _, pl := range job.Then {
		if _, finished := p.PlatformResults[pl]; !finished {
			next = append(next, PublishJob{Scope: p.Scope, PostID: p.ID, Generation: p.Generation, Platform: pl})
		}
	}
	if len(next) > 0 {
		if err := s.publishing.queue.Enqueue(ctx, tx, PublishJobs(next)...); err != nil {
			return err
		}
	}
	if err := s.settle(ctx, tx, &p); err != nil {
		return err
	}
	return tx.UpdatePost(ctx, p)
}
