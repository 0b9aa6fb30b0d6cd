package service

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// How the queue's slots fire
//
// A queued post has no time of its own: it waits for a slot of its user's queue in its
// mode (the settings' active hours, interval and time zone, service/slots). Slots are
// fired by a sweep, FireQueueSlots, which the job queue runs every 15 seconds (db/queue:
// a River periodic job that the elected leader enqueues; whichever instance fetches the
// job runs it). A sweep:
//
//   - lists the scopes with at least one approved queued post (QueueScopes: an index of
//     the queued posts only, so a sweep costs the queues, not the posts);
//   - for each, reads the settings and takes the latest slot at or before now
//     (Schedule.Last). A slot more than QueueSlotGrace (5 minutes) old is let go: the
//     server was down, or the sweep could not run, when it came, and firing it now would
//     publish at a time nobody chose. So after downtime the queue resumes at its next
//     slot (or at the latest one, if it passed less than 5 minutes ago), never with a
//     burst of the slots missed;
//   - for a slot within the grace, in ONE transaction: takes the scope's oldest queued
//     post (OldestQueuedPostForUpdate, which locks it), claims the slot for it
//     (ClaimQueueSlot: a row keyed by user, mode and the slot's time, which is refused
//     when it is already there), takes the post out of the queue and starts publishing
//     it as PublishPost does: the same run, the same jobs, and so the same post.published
//     or post.failed event when it settles. A platform that cannot be published (no
//     active account any more, a text now too long for it) fails at once with the reason
//     PublishPost would have given, the others go ahead, as for a scheduled post: the
//     post has left the queue and the slot is used, so a post that cannot go out never
//     holds up the ones behind it.
//
// Each slot therefore publishes at most one post, however many instances sweep at the
// same moment and on either engine: the claim row is the one fact they agree on, and it
// is written in the transaction that takes the post out of the queue, so a slot is
// never claimed without its post started, nor a post started by a slot without the
// claim. An empty queue at a slot claims nothing, a slot that only settings saved after
// it made is not fired, and a slot takes only a post that was in the line at its time (queued_at at or before it; a pending post keeps its queued_at,
// so one approved within the grace takes the slot its place entitles it to): a post
// queued after a slot waits for the next one, the expected_at the API showed for it. A sweep that runs again within the grace finds its slot
// claimed and does nothing; one scope's failure (unreadable settings) is reported and
// the other scopes are still swept. A sweep costs one read of the scopes, one of each
// scope's settings, and a transaction only for the scopes whose slot is within the
// grace. The claims are kept for 8 days, the furthest Schedule.Last looks back, and
// deleted by the sweep after that.

// QueueSlotGrace is how late a slot of the queue may still publish its post: a slot that
// passed longer ago than this, while no sweep ran (the server was down), is skipped, and
// the queue resumes at its next slot.
const QueueSlotGrace = 5 * time.Minute

// queueSlotRetention is how long a claimed slot is remembered: Schedule.Last never looks
// further back, so an older claim can never be asked about again.
const queueSlotRetention = 8 * 24 * time.Hour

// FiredSlot is a slot a sweep fired: the post it started publishing.
type FiredSlot struct {
	Scope  Scope
	At     time.Time
	PostID string
}

// maxSweepErrors bounds the failures one sweep reports, so that its error stays short
// when many scopes fail alike.
const maxSweepErrors = 5

// FireQueueSlots is one sweep of the queues (see the top of this file): it starts
// publishing one post for each slot that came in the last QueueSlotGrace and is not
// claimed yet, and returns the slots it fired. An error names the scopes it could not
// sweep; the others were swept.
func (s *Service) FireQueueSlots(ctx context.Context) ([]FiredSlot, error) {
	if s.publishing.queue == nil {
		return nil, errNoQueue
	}
	scopes, err := s.store.QueueScopes(ctx)
	if err != nil {
		return nil, fmt.Errorf("queue sweep: %w", err)
	}
	var fired []FiredSlot
	var errs []error
	failed := 0
	for _, sc := range scopes {
		if err := ctx.Err(); err != nil {
			errs = append(errs, err)
			break
		}
		f, ok, err := s.fireSlot(ctx, sc)
		switch {
		case err != nil:
			failed++
			if failed <= maxSweepErrors {
				errs = append(errs, fmt.Errorf("queue of user %s (%s): %w", sc.UserID, sc.Mode, err))
			}
		case ok:
			fired = append(fired, f)
		}
	}
	if failed > maxSweepErrors {
		errs = append(errs, fmt.Errorf("and %d more queues", failed-maxSweepErrors))
	}
	if err := s.store.DeleteQueueSlotsBefore(ctx, s.clock.Now().Add(-queueSlotRetention)); err != nil {
		errs = append(errs, fmt.Errorf("deleting old slots: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return fired, fmt.Errorf("queue sweep: %w", err)
	}
	return fired, nil
}

// fireSlot fires the scope's latest slot, if it came within the grace and is not
// claimed yet, with the scope's oldest queued post.
func (s *Service) fireSlot(ctx context.Context, sc Scope) (FiredSlot, bool, error) {
	settings, err := s.QueueSettings(ctx, sc)
	if err != nil {
		return FiredSlot{}, false, err
	}
	schedule, err := settings.Schedule()
	if err != nil {
		return FiredSlot{}, false, err
	}
	now := s.clock.Now()
	at, ok := schedule.Last(now)
	if !ok || now.Sub(at) > QueueSlotGrace {
		return FiredSlot{}, false, nil
	}
	if settings.UpdatedAt != nil && settings.UpdatedAt.After(at) {
		// The slot came before the settings that make it: nobody was told of it (the
		// posts' expected_at showed the next slot), so it is not fired late.
		return FiredSlot{}, false, nil
	}
	at = at.UTC() // Last gives the slot in the queue's zone; the service's times are UTC
	var fired FiredSlot
	err = s.store.InTx(ctx, func(tx Store) error {
		fired = FiredSlot{}
		p, err := tx.OldestQueuedPostForUpdate(ctx, sc)
		if errors.Is(err, ErrNotFound) {
			return nil // emptied since the scopes were listed: nothing to claim
		}
		if err != nil {
			return err
		}
		if p.QueuedAt != nil && p.QueuedAt.After(at) {
			// Even the oldest post came after the slot: it waits for the next one, which
			// its expected_at has said all along, rather than go out late at this one.
			return nil
		}
		claimed, err := tx.ClaimQueueSlot(ctx, sc, at, p.ID)
		if err != nil || !claimed {
			return err
		}
		if err := s.startQueued(ctx, tx, p); err != nil {
			return err
		}
		fired = FiredSlot{Scope: sc, At: at, PostID: p.ID}
		return nil
	})
	return fired, fired.PostID != "", err
}

// startQueued starts publishing p, in tx, as PublishPost would (which takes it out of the
// queue); the platforms PublishPost would refuse fail at once, with its reasons, since
// nobody waits for an answer (as for a scheduled post).
func (s *Service) startQueued(ctx context.Context, tx Store, p Post) error {
	targets := unpublished(p)
	found, _, err := s.checkPublishable(ctx, tx, p, targets)
	if err != nil {
		return err
	}
	targets, rejected := refuse(targets, found)
	_, _, err = s.startPublishing(ctx, tx, p, targets, rejected, nil)
	return err
}
