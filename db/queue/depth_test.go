package queue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/db"
)

// TestDepthCountsWaitingJobsByKind: with the queue not started, two scheduled posts wait
// as two publishing jobs, and a deleted one's cancelled job is no longer counted.
func TestDepthCountsWaitingJobsByKind(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, d *db.DB) {
		b := setup(t, d, &testClock{now: time.Now()}, Options{})
		depth, err := Depth(b.ctx, d)
		require.NoError(t, err)
		require.Empty(t, depth)

		at := time.Now().Add(time.Hour)
		b.createPost(t, &at)
		gone := b.createPost(t, &at)
		b.createPost(t, &at)
		require.NoError(t, b.svc.DeletePost(b.ctx, b.scope, gone.ID))

		depth, err = Depth(b.ctx, d)
		require.NoError(t, err)
		require.Equal(t, map[string]int{publishArgs{}.Kind(): 2}, depth)
		require.Contains(t, JobKinds(), publishArgs{}.Kind())
	})
}
