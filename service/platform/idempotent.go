package platform

import "time"

// Idempotent is implemented by an Adapter whose platform recognises a repeated send of
// the same Post.IdempotencyKey and publishes it only once: Mastodon's Idempotency-Key
// header, Bluesky's record key derived from the key, the sandbox. When a process dies
// between sending a post and recording the outcome, the publishing engine sends it again
// only through an adapter that reports true here; through any other it records the
// outcome as unknown instead, since sending again could publish the post twice.
type Idempotent interface {
	Idempotent() bool
}

// IsIdempotent reports whether a repeated send through a, with the same idempotency
// key, publishes at most once.
func IsIdempotent(a Adapter) bool {
	i, ok := a.(Idempotent)
	return ok && i.Idempotent()
}

// IdempotencyWindow is implemented by an Idempotent adapter whose platform remembers an
// idempotency key only for a while (Mastodon: about an hour). A send left in flight for
// longer than the window is not sent again: the platform would no longer recognise it.
type IdempotencyWindow interface {
	IdempotencyWindow() time.Duration
}
