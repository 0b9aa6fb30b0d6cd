package queue

import (
	"context"
	"errors"
	"time"

	"github.com/riverqueue/river"

	"github.com/octopost/octopost/service"
)

// publishArgs are a service.PublishJob as River stores it.
type publishArgs struct {
	UserID     string             `json:"user_id"`
	Mode       service.Mode       `json:"mode"`
	PostID     string             `json:"post_id"`
	Generation int64              `json:"generation"`
	Platform   service.Platform   `json:"platform,omitempty"` // empty: start a scheduled post
	Then       []service.Platform `json:"then,omitempty"`
}

// Kind names the job in River's table; it must never change while jobs of it exist.
func (publishArgs) Kind() string { return "octopost_publish" }

func argsOf(j service.PublishJob) publishArgs {
	return publishArgs{
		UserID: j.Scope.UserID, Mode: j.Scope.Mode, PostID: j.PostID,
		Generation: j.Generation, Platform: j.Platform, Then: j.Then,
	}
}

func (a publishArgs) job(id int64) service.PublishJob {
	return service.PublishJob{
		Scope:  service.Scope{UserID: a.UserID, Mode: a.Mode},
		PostID: a.PostID, Generation: a.Generation, Platform: a.Platform, Then: a.Then,
		ID: jobID(id),
	}
}

// giveUpTimeout bounds recording that a job is given up, after its own context may have
// ended.
const giveUpTimeout = 30 * time.Second

// worker runs publishing jobs through the service.
type worker struct {
	river.WorkerDefaults[publishArgs]
	svc *service.Service
}

// Work runs the job. A transient platform failure snoozes it, which River does not count
// as an attempt; an internal failure is returned for River to retry with its backoff,
// and on the last attempt the job is given up, so that its post does not stay publishing.
func (w *worker) Work(ctx context.Context, job *river.Job[publishArgs]) error {
	pj := job.Args.job(job.ID)
	retryIn, err := w.svc.RunPublishJob(ctx, pj)
	switch {
	case err != nil && job.Attempt >= job.MaxAttempts:
		giveUpCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveUpTimeout)
		defer cancel()
		return errors.Join(err, w.svc.GiveUpPublishJob(giveUpCtx, pj, err))
	case err != nil:
		return err
	case retryIn > 0:
		return river.JobSnooze(retryIn)
	}
	return nil
}

// deliverArgs are a service.DeliveryJob as River stores it.
type deliverArgs struct {
	UserID     string       `json:"user_id"`
	Mode       service.Mode `json:"mode"`
	DeliveryID string       `json:"delivery_id"`
}

// Kind names the job in River's table; it must never change while jobs of it exist.
func (deliverArgs) Kind() string { return "octopost_deliver" }

func deliverArgsOf(j service.DeliveryJob) deliverArgs {
	return deliverArgs{UserID: j.Scope.UserID, Mode: j.Scope.Mode, DeliveryID: j.DeliveryID}
}

func (a deliverArgs) job(id int64) service.DeliveryJob {
	return service.DeliveryJob{Scope: service.Scope{UserID: a.UserID, Mode: a.Mode}, DeliveryID: a.DeliveryID, ID: jobID(id)}
}

// deliveryWorker runs webhook delivery jobs through the service.
type deliveryWorker struct {
	river.WorkerDefaults[deliverArgs]
	svc *service.Service
}

// Work makes the delivery's next attempt. A failed attempt snoozes the job until the next
// one on the delivery schedule (River does not count a snooze as an attempt); an internal
// failure is returned for River to retry, and on the last attempt the delivery is settled
// as failed, so that it does not stay pending.
func (w *deliveryWorker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	dj := job.Args.job(job.ID)
	retryIn, err := w.svc.RunDeliveryJob(ctx, dj)
	switch {
	case err != nil && job.Attempt >= job.MaxAttempts:
		giveUpCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), giveUpTimeout)
		defer cancel()
		return errors.Join(err, w.svc.GiveUpDeliveryJob(giveUpCtx, dj, err))
	case err != nil:
		return err
	case retryIn > 0:
		return river.JobSnooze(retryIn)
	}
	return nil
}
