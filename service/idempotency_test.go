package service_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

func idempotencySetup(t *testing.T) (*service.Service, *clock, service.Scope) {
	t.Helper()
	c := &clock{now: time.Date(2026, 4, 3, 12, 0, 0, 0, time.UTC)}
	svc := service.New(newTestDB(t), c, nil, service.Config{})
	u, err := svc.CreateUser(t.Context(), "dev@example.com", "")
	require.NoError(t, err)
	return svc, c, service.Scope{UserID: u.ID, Mode: service.ModeLive}
}

func TestIdempotencyClaimReplayAndReuse(t *testing.T) {
	t.Parallel()
	svc, c, sc := idempotencySetup(t)
	ctx := t.Context()

	first, err := svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyProceed, first.Outcome)

	got, err := svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyInUse, got.Outcome, "the first is still in flight")
	got, err = svc.ClaimIdempotencyKey(ctx, sc, "k", "other")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyReused, got.Outcome)

	require.NoError(t, svc.CompleteIdempotencyKey(ctx, first.Record, 201, []byte(`{"Content-Type":["application/json"]}`), []byte(`{"id":"post_1"}`)))
	got, err = svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyReplay, got.Outcome)
	require.Equal(t, 201, got.Record.Status)
	require.JSONEq(t, `{"id":"post_1"}`, string(got.Record.Body))
	got, err = svc.ClaimIdempotencyKey(ctx, sc, "k", "other")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyReused, got.Outcome)

	// Kept for 24 hours, then forgotten.
	c.now = c.now.Add(service.IdempotencyTTL - time.Microsecond)
	got, err = svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyReplay, got.Outcome)
	c.now = c.now.Add(time.Microsecond)
	require.NoError(t, svc.DeleteExpiredIdempotencyKeys(ctx))
	got, err = svc.ClaimIdempotencyKey(ctx, sc, "k", "other")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyProceed, got.Outcome)
}

func TestIdempotencyKeepsOnly2xxAnd4xxWithinTheBound(t *testing.T) {
	t.Parallel()
	svc, _, sc := idempotencySetup(t)
	ctx := t.Context()
	for _, tc := range []struct {
		status int
		body   []byte
		kept   bool
	}{
		{200, []byte("{}"), true},
		{404, []byte(`{"error":"Post not found","code":"not_found"}`), true},
		{422, []byte("{}"), true},
		{500, []byte(`{"error":"Internal server error","code":"internal_error"}`), false},
		{503, nil, false},
		{201, make([]byte, service.MaxIdempotentResponse), true},
		{201, make([]byte, service.MaxIdempotentResponse+1), false},
	} {
		key := "k" + string(rune('a'+tc.status%26)) + string(rune('a'+len(tc.body)%26))
		claim, err := svc.ClaimIdempotencyKey(ctx, sc, key, "fp")
		require.NoError(t, err)
		require.Equal(t, service.IdempotencyProceed, claim.Outcome)
		require.NoError(t, svc.CompleteIdempotencyKey(ctx, claim.Record, tc.status, []byte("{}"), tc.body))
		again, err := svc.ClaimIdempotencyKey(ctx, sc, key, "fp")
		require.NoError(t, err)
		if tc.kept {
			require.Equal(t, service.IdempotencyReplay, again.Outcome, "status %d, %d bytes", tc.status, len(tc.body))
			require.Equal(t, tc.status, again.Record.Status)
			require.Len(t, again.Record.Body, len(tc.body))
		} else {
			require.Equal(t, service.IdempotencyProceed, again.Outcome, "status %d, %d bytes: released, runs again", tc.status, len(tc.body))
		}
	}
}

func TestIdempotencyAbandonedClaimIsTakenOver(t *testing.T) {
	t.Parallel()
	svc, c, sc := idempotencySetup(t)
	ctx := t.Context()
	first, err := svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)

	c.now = c.now.Add(service.IdempotencyLease - time.Second)
	got, err := svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyInUse, got.Outcome)

	c.now = c.now.Add(time.Second)
	second, err := svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyProceed, second.Outcome, "the lease lapsed: taken over")

	// The first claimer, back late, changes nothing; the second's response is kept.
	require.NoError(t, svc.CompleteIdempotencyKey(ctx, first.Record, 201, nil, []byte("late")))
	require.NoError(t, svc.ReleaseIdempotencyKey(ctx, first.Record))
	require.NoError(t, svc.CompleteIdempotencyKey(ctx, second.Record, 201, nil, []byte("kept")))
	got, err = svc.ClaimIdempotencyKey(ctx, sc, "k", "fp")
	require.NoError(t, err)
	require.Equal(t, service.IdempotencyReplay, got.Outcome)
	require.Equal(t, "kept", string(got.Record.Body))
}
