package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/password"
)

// The dummy hash costs what a real check does only while it has today's parameters.
func TestDummyHashHasTheCurrentParameters(t *testing.T) {
	t.Parallel()
	h, err := password.Hash("anything at all")
	require.NoError(t, err)
	params := func(phc string) string { return strings.Join(strings.Split(phc, "$")[:4], "$") }
	require.Equal(t, params(h), params(service.DummyHash))
	ok, err := password.Verify(service.DummyHash, "")
	require.NoError(t, err, "well-formed")
	require.False(t, ok)
}

// hashSlots serializes the tests that hold every hashing slot of the process.
var hashSlots sync.Mutex

// holdHashSlots takes every hashing slot of the process until the returned func is
// called; other tests' hashing waits meanwhile.
func holdHashSlots(t *testing.T) func() {
	t.Helper()
	hashSlots.Lock()
	held := make(chan struct{})
	inside := make(chan struct{}, service.HashConcurrency)
	var wg sync.WaitGroup
	for range service.HashConcurrency {
		wg.Go(func() {
			require.NoError(t, service.WithHashSlot(context.Background(), func() {
				inside <- struct{}{}
				<-held
			}))
		})
	}
	for range service.HashConcurrency {
		<-inside
	}
	var once sync.Once
	release := func() { once.Do(func() { close(held); wg.Wait(); hashSlots.Unlock() }) }
	t.Cleanup(release)
	return release
}

// At most two hashes run at once; a third waits for a slot, or for its context to end.
func TestHashingIsBoundedToTwoAtOnce(t *testing.T) {
	t.Parallel()
	require.Equal(t, 2, service.HashConcurrency)
	release := holdHashSlots(t)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	ran := false
	require.ErrorIs(t, service.WithHashSlot(ctx, func() { ran = true }), context.DeadlineExceeded)
	require.False(t, ran)

	release()
	require.NoError(t, service.WithHashSlot(t.Context(), func() { ran = true }))
	require.True(t, ran)
}

// A refused sign-in hashes nothing: it is answered while every hashing slot is taken.
// One that is not refused, for an email without a user, waits for a slot: it checks the
// password against the dummy hash, as a real one would.
func TestSignInRefusalHashesNothingAndUnknownEmailsHash(t *testing.T) {
	t.Parallel()
	svc, _, _ := userSetup(t)
	ctx := t.Context()
	for range service.SignInEmailLimit {
		_, _, err := svc.SignIn(ctx, "nobody@example.com", "wrong password", "192.0.2.1", "test")
		require.ErrorIs(t, err, service.ErrSignInFailed)
	}

	release := holdHashSlots(t)
	_, _, err := svc.SignIn(ctx, "nobody@example.com", "wrong password", "192.0.2.1", "test")
	var le *service.SignInLimitedError
	require.ErrorAs(t, err, &le, "answered without a hashing slot")

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, _, err = svc.SignIn(short, "someone-else@example.com", "wrong password", "192.0.2.2", "test")
	require.ErrorIs(t, err, context.DeadlineExceeded, "it waited for a slot to hash")
	release()

	// The attempt that never got to hash was taken back: nine more failures leave the
	// tenth to be checked.
	for i := range service.SignInEmailLimit {
		_, _, err = svc.SignIn(ctx, "someone-else@example.com", "wrong password", "192.0.2.2", "test")
		require.ErrorIs(t, err, service.ErrSignInFailed, "attempt %d", i+1)
	}
	_, _, err = svc.SignIn(ctx, "someone-else@example.com", "wrong password", "192.0.2.2", "test")
	require.ErrorAs(t, err, &le)
}
