package sqlite

import (
	"context"
	"time"

	sqlitegen "github.com/octopost/octopost/gen/sqlite"
	"github.com/octopost/octopost/service"
)

// The queue's sweep (service/queue_fire.go).

func (s *Store) QueueScopes(ctx context.Context) ([]service.Scope, error) {
	rows, err := s.q.QueueScopes(ctx)
	if err != nil {
		return nil, readErr("list queue scopes", err)
	}
	out := make([]service.Scope, len(rows))
	for i, r := range rows {
		out[i] = service.Scope{UserID: r.UserID, Mode: service.Mode(r.Mode)}
	}
	return out, nil
}

// OldestQueuedPostForUpdate reads the post: inside InTx the transaction already holds
// SQLite's write lock (BEGIN IMMEDIATE), so no other writer can change it until it ends.
func (s *Store) OldestQueuedPostForUpdate(ctx context.Context, sc service.Scope) (service.Post, error) {
	r, err := s.q.OldestQueuedPost(ctx, sqlitegen.OldestQueuedPostParams{UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Post{}, readErr("oldest queued post", err)
	}
	return postFromRow(r)
}

func (s *Store) ClaimQueueSlot(ctx context.Context, sc service.Scope, at time.Time, postID string) (bool, error) {
	n, err := s.q.ClaimQueueSlot(ctx, sqlitegen.ClaimQueueSlotParams{
		UserID: sc.UserID, Mode: string(sc.Mode), SlotAt: formatTime(at), PostID: postID,
	})
	if err != nil {
		return false, writeErr("claim queue slot", err)
	}
	return n > 0, nil
}

func (s *Store) DeleteQueueSlotsBefore(ctx context.Context, before time.Time) error {
	return writeErr("delete queue slots", s.q.DeleteQueueSlotsBefore(ctx, formatTime(before)))
}
