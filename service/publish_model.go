package service

import (
	"context"
	"time"

	"github.com/octopost/octopost/service/platform"
)

// AttemptState is where one send of a post, or of one of its thread segments, to one
// platform is.
type AttemptState string

const (
	// AttemptPending has not been sent yet, or is to be sent again after a transient failure.
	AttemptPending AttemptState = "pending"
	// AttemptInFlight was committed just before the call to the platform, and its outcome
	// has not been recorded: found by a later run of the same job, the process died mid-call.
	AttemptInFlight AttemptState = "in_flight"
	// AttemptDone was accepted by the platform; Ref says where it is.
	AttemptDone AttemptState = "done"
	// AttemptFailed was given up; Error says why.
	AttemptFailed AttemptState = "failed"
)

// PublishAttempt is the durable record of sending one part of a post (its content, or one
// thread segment) to one platform. It is written, and committed, before and after every
// call to the platform, which is what lets a post go out at most once per platform.
type PublishAttempt struct {
	Scope    Scope
	PostID   string
	Platform Platform
	Segment  int // 0 is the post's own content, n its n-th thread segment
	State    AttemptState
	// IdempotencyKey is the same for every send of this part, across retries and restarts.
	IdempotencyKey string
	// Owner is the job that last moved the attempt to in flight.
	Owner     string
	Tries     int // sends started
	Ref       platform.Ref
	Error     string // why it failed, or the last transient failure while pending
	UpdatedAt time.Time
}

// PublishJob is one unit of publishing work that the Queue runs: either the job of a
// scheduled post (Platform empty), which starts its run when it comes due and publishes
// its first platform itself, or publishing a post to one platform.
type PublishJob struct {
	Scope  Scope
	PostID string
	// Generation is the post's Generation when the job was enqueued; the job does nothing
	// once the post has moved on.
	Generation int64
	Platform   Platform
	// Then are the platforms whose jobs start when this one's platform has finished: the
	// others of a cross-linked post wait for its primary platform, to link to it.
	Then []Platform
	// RunAt is when the job is due; zero means now.
	RunAt time.Time
	// ID is set by the queue when it runs the job: the same for every run of the job, and
	// different from every other job's. An attempt in flight owned by this ID was left
	// by an earlier run of this very job that died mid-call.
	ID string
}

// Job is one unit of work the Queue runs, of one of the kinds the service defines: a
// PublishJob or a DeliveryJob. The set is closed (jobKind is unexported), so the queue can
// map every kind to its own stored form and worker, and refuses a kind it does not know.
type Job interface {
	jobKind() JobKind
}

// JobKind names a kind of job.
type JobKind string

const (
	JobPublish JobKind = "publish"
	JobDeliver JobKind = "deliver"
)

func (PublishJob) jobKind() JobKind { return JobPublish }

// KindOf returns j's kind.
func KindOf(j Job) JobKind { return j.jobKind() }

// PublishJobs returns jobs as Jobs, for Enqueue.
func PublishJobs(jobs []PublishJob) []Job {
	out := make([]Job, len(jobs))
	for i, j := range jobs {
		out[i] = j
	}
	return out
}

// Queue is the durable job queue behind publishing and webhook delivery: one seam for
// every kind of job. Both methods work inside tx, a Store handed out by InTx, so jobs
// appear and disappear atomically with the change that calls for them. The queue reaches
// the database's transaction through tx.DriverTx, which a wrapper of the store (tracing,
// metrics) passes through, never by knowing the concrete store. db/queue implements it
// over River.
type Queue interface {
	// Enqueue adds jobs, of any kinds; they run once tx commits.
	Enqueue(ctx context.Context, tx Store, jobs ...Job) error
	// CancelPost cancels the post's publishing jobs that have not started running. A job
	// that is already running is left alone: the generation check makes it a no-op.
	CancelPost(ctx context.Context, tx Store, postID string) error
}

// Retry says how a transient platform failure (a 5xx, a timeout, a 429) is retried.
type Retry struct {
	// MaxTries is how many sends of one part are started before a transient failure is
	// recorded as final.
	MaxTries int
	// Backoff[i] is the wait after the (i+1)-th failed send; the last value repeats. A
	// platform's own Retry-After wins when it is longer.
	Backoff []time.Duration
}

// DefaultRetry gives a platform about an hour to recover: 8 sends, the last one 58 minutes
// after the first.
var DefaultRetry = Retry{
	MaxTries: 8,
	Backoff: []time.Duration{
		15 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
		10 * time.Minute, 15 * time.Minute, 25 * time.Minute,
	},
}

func (r Retry) wait(tries int, retryAfter time.Duration) time.Duration {
	d := r.Backoff[min(max(tries-1, 0), len(r.Backoff)-1)]
	return max(d, retryAfter)
}
