package service

import (
	"context"
	"time"
)

// scheduled enqueues, in tx, the job that starts publishing p at its scheduled_for, and
// records the post.scheduled event. p is scheduled and already written with its new
// generation.
func (s *Service) scheduled(ctx context.Context, tx Store, p Post) error {
	if s.publishing.queue == nil {
		return errNoQueue
	}
	job := PublishJob{Scope: p.Scope, PostID: p.ID, Generation: p.Generation, RunAt: *p.ScheduledFor}
	if err := s.publishing.queue.Enqueue(ctx, tx, job); err != nil {
		return err
	}
	event, err := s.postEvent(EventPostScheduled, p)
	if err != nil {
		return err
	}
	return s.recordEvent(ctx, tx, event)
}

// unscheduled cancels, in tx, the job of a post that was scheduled (was is the post as it
// was). Without a queue there can be no job of this process's to cancel, and a job left
// by another finds the post changed or gone and does nothing.
func (s *Service) unscheduled(ctx context.Context, tx Store, was Post) error {
	if was.Status != PostScheduled || s.publishing.queue == nil {
		return nil
	}
	return s.publishing.queue.CancelPost(ctx, tx, was.ID)
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
