package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// newAPIKey returns a key of the scope's user and mode with only the required fields set.
func (b *testBundle) newAPIKey(sc service.Scope) service.APIKey {
	keyID := id.New(id.APIKey)
	sum := sha256.Sum256([]byte(keyID))
	return service.APIKey{
		ID:        keyID,
		UserID:    sc.UserID,
		Name:      "CI key",
		Mode:      sc.Mode,
		Hash:      hex.EncodeToString(sum[:]),
		Hint:      "oct_" + string(sc.Mode) + "_…a1B2",
		CreatedAt: b.now,
	}
}

func (b *testBundle) createAPIKey(t *testing.T, k service.APIKey) service.APIKey {
	t.Helper()
	require.NoError(t, b.store.CreateAPIKey(b.ctx, k))
	return k
}

func (s *suite) apiKeys(t *testing.T) {
	t.Run("RoundTripEveryField", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.newAPIKey(b.testScope)
		k.Permissions = []service.Permission{"posts:read", "webhooks:write"}
		k.CreatedAt = b.now.In(zone)
		k.LastUsedAt = new(b.now.Add(time.Minute).In(zone))
		k.RevokedAt = new(b.now.Add(time.Hour).In(zone))
		b.createAPIKey(t, k)

		got, err := b.store.GetAPIKeyByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		want := k
		want.CreatedAt = b.now
		want.LastUsedAt = new(b.now.Add(time.Minute))
		want.RevokedAt = new(b.now.Add(time.Hour))
		require.Equal(t, want, got)
		requireUTC(t, &got.CreatedAt, got.LastUsedAt, got.RevokedAt)
	})

	t.Run("RoundTripMinimal", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.createAPIKey(t, b.newAPIKey(b.scope))

		got, err := b.store.GetAPIKeyByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		require.Equal(t, k, got)
		require.Nil(t, got.Permissions, "no permissions (full access) reads back as nil")
		require.True(t, got.Allows("webhooks:write"))
	})

	t.Run("EmptyPermissionsReadBackNil", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.newAPIKey(b.scope)
		k.Permissions = []service.Permission{}
		b.createAPIKey(t, k)

		got, err := b.store.GetAPIKeyByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		require.Nil(t, got.Permissions)
	})

	t.Run("DuplicateHash", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.createAPIKey(t, b.newAPIKey(b.scope))
		dup := b.newAPIKey(b.scope)
		dup.Hash = k.Hash
		require.ErrorIs(t, b.store.CreateAPIKey(b.ctx, dup), service.ErrDuplicate)
	})

	t.Run("UnknownUser", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.newAPIKey(service.Scope{UserID: id.New(id.User), Mode: service.ModeLive})
		require.Error(t, b.store.CreateAPIKey(b.ctx, k))
	})

	t.Run("UnknownHash", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		b.createAPIKey(t, b.newAPIKey(b.scope))
		_, err := b.store.GetAPIKeyByHash(b.ctx, "0000")
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("ListNewestFirstBothModesOwnKeysOnly", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		first := b.createAPIKey(t, b.newAPIKey(b.scope))
		b.createAPIKey(t, b.newAPIKey(b.other))
		second := b.createAPIKey(t, b.newAPIKey(b.testScope))
		third := b.createAPIKey(t, b.newAPIKey(b.scope))

		got, err := b.store.ListAPIKeys(b.ctx, b.user.ID)
		require.NoError(t, err)
		require.Equal(t, []service.APIKey{third, second, first}, got)

		got, err = b.store.ListAPIKeys(b.ctx, id.New(id.User))
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("RevokeIsIdempotent", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.createAPIKey(t, b.newAPIKey(b.scope))
		at := b.now.Add(time.Hour)

		got, err := b.store.RevokeAPIKey(b.ctx, k.ID, at)
		require.NoError(t, err)
		want := k
		want.RevokedAt = &at
		require.Equal(t, want, got)

		// A second revocation keeps the first time.
		got, err = b.store.RevokeAPIKey(b.ctx, k.ID, at.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, want, got)

		stored, err := b.store.GetAPIKeyByHash(b.ctx, k.Hash)
		require.NoError(t, err)
		require.Equal(t, want, stored)
	})

	t.Run("RevokeUnknown", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		_, err := b.store.RevokeAPIKey(b.ctx, id.New(id.APIKey), b.now)
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("TouchAtMostOncePerMinAge", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		k := b.createAPIKey(t, b.newAPIKey(b.scope))
		other := b.createAPIKey(t, b.newAPIKey(b.scope))
		const minAge = time.Minute
		lastUsed := func() *time.Time {
			t.Helper()
			got, err := b.store.GetAPIKeyByHash(b.ctx, k.Hash)
			require.NoError(t, err)
			return got.LastUsedAt
		}

		// Never used: the first touch always lands.
		t0 := b.now
		require.NoError(t, b.store.TouchAPIKey(b.ctx, k.ID, t0, minAge))
		require.Equal(t, &t0, lastUsed())

		// Within minAge of the last touch: unchanged.
		require.NoError(t, b.store.TouchAPIKey(b.ctx, k.ID, t0.Add(minAge-time.Microsecond), minAge))
		require.Equal(t, &t0, lastUsed())

		// minAge later: updated.
		t1 := t0.Add(minAge)
		require.NoError(t, b.store.TouchAPIKey(b.ctx, k.ID, t1, minAge))
		require.Equal(t, &t1, lastUsed())

		// A touch older than the stored time never moves it back.
		require.NoError(t, b.store.TouchAPIKey(b.ctx, k.ID, t0, minAge))
		require.Equal(t, &t1, lastUsed())

		// Only the touched key changes; an unknown id is not an error.
		got, err := b.store.GetAPIKeyByHash(b.ctx, other.Hash)
		require.NoError(t, err)
		require.Nil(t, got.LastUsedAt)
		require.NoError(t, b.store.TouchAPIKey(b.ctx, id.New(id.APIKey), t1, minAge))
	})
}
