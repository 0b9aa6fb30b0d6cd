package service

// The queue
//
// Besides a time of its own (scheduled_at), a post can be given a place in its user's
// queue: Octopost picks its time. The queue of a user and mode publishes at the slots of
// its settings (QueueSettings: active hours per weekday in a time zone, spaced by an
// interval; package slots computes them), one post per slot, oldest first.
//
// A post in the queue is queued (approved: it will take the next free slot) or pending
// (waiting for someone's approval: it holds no slot). Both have status "queued". The
// queue's order is (queued_at, id): queued_at is set when the post enters the queue and
// kept while it is pending, so approving a post puts it back where it was, not at the end.
// Unapproving, deleting, scheduling or publishing a queued post now frees its place, and
// the posts after it move up one slot each.
//
// A queued post's position k (1 for the oldest approved post) is the slot it is expected
// to take: the k-th of the schedule's slots after now. Positions are computed on read, from
// the queue itself, so nothing stored has to move when a post leaves it. To keep that read
// bounded, a scope holds at most QueueMax posts, queued and pending together.
//
// The slots fire in service/queue_fire.go; this file holds the settings, the posts' queue
// states and what is read of them.

import "time"

// QueueState is where a post is in its scope's queue.
type QueueState string

const (
	QueueNone    QueueState = ""        // not in the queue
	QueueQueued  QueueState = "queued"  // approved: takes the next free slot, oldest first
	QueuePending QueueState = "pending" // waiting for approval; holds its original place
)

// QueuePlace is where an approved queued post stands: Position 1 is the next to publish,
// and ExpectedAt the slot it is expected to take (nil when the settings cannot give one).
type QueuePlace struct {
	Position   int
	ExpectedAt *time.Time
}
