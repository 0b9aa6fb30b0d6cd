package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// newAccount returns an active account of the scope on platform with only the required
// fields set, connected at b.now plus offset.
func (b *testBundle) newAccount(sc service.Scope, platform service.Platform, offset time.Duration) service.Account {
	return service.Account{
		ID:             id.New(id.Account),
		Scope:          sc,
		Platform:       platform,
		PlatformUserID: "109348",
		Username:       "octo",
		DisplayName:    "Octo",
		IsActive:       true,
		ConnectedAt:    b.now.Add(offset),
	}
}

// sealed is what a sealed credential blob looks like to the store: opaque bytes, which
// must survive byte for byte (zero bytes and invalid UTF-8 included).
var sealed = []byte{0x01, 0x00, 0xff, 0xfe, 'n', 'o', 'n', 'c', 'e', 0x00, 0x80, 0x7f}

// fullAccount returns a live account of the scope with every field set.
func (b *testBundle) fullAccount(sc service.Scope) service.Account {
	a := b.newAccount(sc, "mastodon", 0)
	a.PlatformUserID = "109348_ünï"
	a.Username = "octo@mastodon.example"
	a.DisplayName = "Octo 🐙 \"the\" poster"
	a.AvatarURL = new("https://files.mastodon.example/avatars/octo.png")
	a.LastUsedAt = new(b.now.Add(time.Hour))
	a.Credentials = append([]byte(nil), sealed...)
	return a
}

// sandboxAccount returns a test-mode account that simulates a failure.
func (b *testBundle) sandboxAccount(sc service.Scope) service.Account {
	a := b.newAccount(sc, "twitter", 0)
	a.Simulate = service.SimulateRateLimited
	return a
}

func (b *testBundle) createAccount(t *testing.T, a service.Account) service.Account {
	t.Helper()
	require.NoError(t, b.store.CreateAccount(b.ctx, a))
	return a
}

func (b *testBundle) requireAccount(t *testing.T, want service.Account) {
	t.Helper()
	got, err := b.store.GetAccount(b.ctx, want.Scope, want.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func (b *testBundle) requireNoAccount(t *testing.T, sc service.Scope, accountID string) {
	t.Helper()
	_, err := b.store.GetAccount(b.ctx, sc, accountID)
	require.ErrorIs(t, err, service.ErrNotFound)
}

func (b *testBundle) newEvent(sc service.Scope, typ service.EventType, data string) service.Event {
	return service.Event{ID: id.New(id.Event), Scope: sc, Type: typ, Data: []byte(data), CreatedAt: b.now}
}

func (b *testBundle) requireEvents(t *testing.T, sc service.Scope, want ...service.Event) {
	t.Helper()
	got, err := b.store.ListEvents(b.ctx, sc)
	require.NoError(t, err)
	if len(want) == 0 {
		require.Empty(t, got)
		return
	}
	require.Equal(t, want, got)
}

func (s *suite) accounts(t *testing.T) {
	t.Run("RoundTripEveryField", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.fullAccount(b.scope)
		a.ConnectedAt = b.now.In(zone)
		a.LastUsedAt = new(a.LastUsedAt.In(zone))
		b.createAccount(t, a)

		want := b.fullAccount(b.scope)
		want.ID = a.ID
		b.requireAccount(t, want)

		got, err := b.store.GetAccount(b.ctx, b.scope, a.ID)
		require.NoError(t, err)
		requireUTC(t, &got.ConnectedAt, got.LastUsedAt)
	})

	t.Run("RoundTripMinimal", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.createAccount(t, b.newAccount(b.scope, "discord", 0))
		b.requireAccount(t, a)
		got, err := b.store.GetAccount(b.ctx, b.scope, a.ID)
		require.NoError(t, err)
		require.Nil(t, got.Credentials, "no credentials read back as nil")
		require.Nil(t, got.AvatarURL)
		require.Nil(t, got.LastUsedAt)
		require.Nil(t, got.InactiveReason)
		require.Empty(t, got.Simulate)
	})

	t.Run("RoundTripInactive", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.fullAccount(b.scope)
		a.IsActive = false
		a.InactiveReason = new("Mastodon refused the token: \"invalid_grant\" — reconnect ✓")
		b.createAccount(t, a)
		b.requireAccount(t, a)
	})

	t.Run("RoundTripSandbox", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		for _, sim := range []service.Simulate{
			service.SimulateNone, service.SimulateTokenExpired, service.SimulateRateLimited, service.SimulateServerError,
		} {
			a := b.sandboxAccount(b.testScope)
			a.Simulate = sim
			b.createAccount(t, a)
			b.requireAccount(t, a)
		}
	})

	t.Run("OtherScopesDoNotSeeIt", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.createAccount(t, b.fullAccount(b.scope))
		for _, sc := range []service.Scope{b.testScope, b.other} {
			b.requireNoAccount(t, sc, a.ID)

			_, err := b.store.ActiveAccount(b.ctx, sc, a.Platform)
			require.ErrorIs(t, err, service.ErrNotFound)

			changed := a
			changed.Scope = sc
			changed.IsActive = false
			changed.Credentials = []byte("attacker")
			require.ErrorIs(t, b.store.UpdateAccount(b.ctx, changed), service.ErrNotFound)
			require.ErrorIs(t, b.store.DeleteAccount(b.ctx, sc, a.ID), service.ErrNotFound)

			list, err := b.store.ListAccounts(b.ctx, sc)
			require.NoError(t, err)
			require.Empty(t, list)
		}
		b.requireAccount(t, a)
	})

	t.Run("ListOldestFirst", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		first := b.createAccount(t, b.fullAccount(b.scope))
		b.createAccount(t, b.sandboxAccount(b.testScope))
		second := b.createAccount(t, b.newAccount(b.scope, "bluesky", 0))
		b.createAccount(t, b.newAccount(b.other, "bluesky", 0))
		inactive := b.newAccount(b.scope, "mastodon", time.Minute)
		inactive.IsActive = false
		third := b.createAccount(t, inactive)

		got, err := b.store.ListAccounts(b.ctx, b.scope)
		require.NoError(t, err)
		require.Equal(t, []service.Account{first, second, third}, got)

		got, err = b.store.ListAccounts(b.ctx, service.Scope{UserID: b.other.UserID, Mode: service.ModeTest})
		require.NoError(t, err)
		require.Empty(t, got)
	})

	t.Run("ActiveAccountIsTheLatestConnectedActiveOne", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		_, err := b.store.ActiveAccount(b.ctx, b.scope, "mastodon")
		require.ErrorIs(t, err, service.ErrNotFound, "no account at all")

		older := b.createAccount(t, b.newAccount(b.scope, "mastodon", -time.Hour))
		got, err := b.store.ActiveAccount(b.ctx, b.scope, "mastodon")
		require.NoError(t, err)
		require.Equal(t, older, got)

		latest := b.createAccount(t, b.newAccount(b.scope, "mastodon", 0))
		// Created after latest but connected before it: connected_at decides, not the id.
		b.createAccount(t, b.newAccount(b.scope, "mastodon", -time.Minute))
		// Connected later, but inactive, on another platform or in another scope.
		newerInactive := b.newAccount(b.scope, "mastodon", time.Hour)
		newerInactive.IsActive = false
		b.createAccount(t, newerInactive)
		b.createAccount(t, b.newAccount(b.scope, "bluesky", 2*time.Hour))
		b.createAccount(t, b.newAccount(b.testScope, "mastodon", 2*time.Hour))
		b.createAccount(t, b.newAccount(b.other, "mastodon", 2*time.Hour))

		got, err = b.store.ActiveAccount(b.ctx, b.scope, "mastodon")
		require.NoError(t, err)
		require.Equal(t, latest, got)

		// Once it is marked inactive, the next most recently connected one takes over.
		latest.IsActive = false
		require.NoError(t, b.store.UpdateAccount(b.ctx, latest))
		got, err = b.store.ActiveAccount(b.ctx, b.scope, "mastodon")
		require.NoError(t, err)
		require.Equal(t, b.now.Add(-time.Minute), got.ConnectedAt)

		_, err = b.store.ActiveAccount(b.ctx, b.scope, "telegram")
		require.ErrorIs(t, err, service.ErrNotFound, "none on that platform")
	})

	t.Run("ActiveAccountOnlyInactive", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.newAccount(b.scope, "slack", 0)
		a.IsActive = false
		b.createAccount(t, a)
		_, err := b.store.ActiveAccount(b.ctx, b.scope, "slack")
		require.ErrorIs(t, err, service.ErrNotFound)
	})

	t.Run("ActiveAccountTieGoesToTheNewestID", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		b.createAccount(t, b.newAccount(b.scope, "telegram", 0))
		second := b.createAccount(t, b.newAccount(b.scope, "telegram", 0))
		got, err := b.store.ActiveAccount(b.ctx, b.scope, "telegram")
		require.NoError(t, err)
		require.Equal(t, second, got)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.createAccount(t, b.newAccount(b.scope, "mastodon", 0))
		updated := b.fullAccount(b.scope)
		updated.ID = a.ID
		updated.IsActive = false
		updated.InactiveReason = new("the platform refused the token")
		updated.Simulate = service.SimulateServerError
		updated.Platform = "bluesky"                    // ignored
		updated.ConnectedAt = b.now.Add(24 * time.Hour) // ignored
		require.NoError(t, b.store.UpdateAccount(b.ctx, updated))

		want := updated
		want.Platform = a.Platform
		want.ConnectedAt = a.ConnectedAt
		b.requireAccount(t, want)

		// Back again: the nullable fields are cleared.
		require.NoError(t, b.store.UpdateAccount(b.ctx, a))
		b.requireAccount(t, a)

		require.ErrorIs(t, b.store.UpdateAccount(b.ctx, b.newAccount(b.scope, "mastodon", 0)), service.ErrNotFound)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.createAccount(t, b.fullAccount(b.scope))
		keep := b.createAccount(t, b.newAccount(b.scope, "mastodon", 0))
		require.NoError(t, b.store.DeleteAccount(b.ctx, b.scope, a.ID))
		b.requireNoAccount(t, b.scope, a.ID)
		require.ErrorIs(t, b.store.DeleteAccount(b.ctx, b.scope, a.ID), service.ErrNotFound)
		b.requireAccount(t, keep)
	})

	t.Run("DuplicateID", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.createAccount(t, b.newAccount(b.scope, "mastodon", 0))
		require.ErrorIs(t, b.store.CreateAccount(b.ctx, a), service.ErrDuplicate)
	})

	t.Run("Events", func(t *testing.T) {
		t.Parallel()
		s.events(t)
	})
}

func (s *suite) events(t *testing.T) {
	t.Run("ListOldestFirstPerScope", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		b.requireEvents(t, b.scope)
		// The data is kept as written, byte for byte: spacing, key order and escapes.
		first := b.newEvent(b.scope, service.EventAccountConnected,
			`{"account": {"id": "acc_1", "platform": "mastodon", "display_name": "Octo \u00fc 🐙", "avatar_url": null}}`)
		second := b.newEvent(b.scope, service.EventAccountDisconnected, `{"account":{"zeta":1,"alpha":[true,false]}}`)
		second.CreatedAt = b.now.Add(time.Second).In(zone)
		testEvent := b.newEvent(b.testScope, service.EventPostPublished, `{"post":{"id":"post_1"}}`)
		otherEvent := b.newEvent(b.other, service.EventPostFailed, `{"post":{"id":"post_2"}}`)
		for _, e := range []service.Event{first, testEvent, second, otherEvent} {
			require.NoError(t, b.store.AddEvent(b.ctx, e))
		}

		second.CreatedAt = second.CreatedAt.UTC()
		b.requireEvents(t, b.scope, first, second)
		b.requireEvents(t, b.testScope, testEvent)
		b.requireEvents(t, b.other, otherEvent)
		b.requireEvents(t, service.Scope{UserID: b.other.UserID, Mode: service.ModeTest})

		got, err := b.store.ListEvents(b.ctx, b.scope)
		require.NoError(t, err)
		requireUTC(t, &got[0].CreatedAt, &got[1].CreatedAt)
	})

	t.Run("DuplicateID", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		e := b.newEvent(b.scope, service.EventPostScheduled, `{"post":{}}`)
		require.NoError(t, b.store.AddEvent(b.ctx, e))
		require.ErrorIs(t, b.store.AddEvent(b.ctx, e), service.ErrDuplicate)
	})

	t.Run("WrittenWithTheChangeInOneTransaction", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		committed := b.newAccount(b.scope, "mastodon", 0)
		connected := b.newEvent(b.scope, service.EventAccountConnected, `{"account":{}}`)
		require.NoError(t, b.store.InTx(b.ctx, func(tx service.Store) error {
			if err := tx.CreateAccount(b.ctx, committed); err != nil {
				return err
			}
			// The transaction reads its own writes.
			got, err := tx.ActiveAccount(b.ctx, b.scope, "mastodon")
			require.NoError(t, err)
			require.Equal(t, committed, got)
			return tx.AddEvent(b.ctx, connected)
		}))
		b.requireAccount(t, committed)
		b.requireEvents(t, b.scope, connected)

		rolledBack := b.newAccount(b.scope, "bluesky", 0)
		errStop := errors.New("stop")
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			require.NoError(t, tx.CreateAccount(b.ctx, rolledBack))
			changed := committed
			changed.IsActive = false
			require.NoError(t, tx.UpdateAccount(b.ctx, changed))
			require.NoError(t, tx.DeleteAccount(b.ctx, b.scope, committed.ID))
			require.NoError(t, tx.AddEvent(b.ctx, b.newEvent(b.scope, service.EventAccountDisconnected, `{"account":{}}`)))
			list, err := tx.ListEvents(b.ctx, b.scope)
			require.NoError(t, err)
			require.Len(t, list, 2)
			accounts, err := tx.ListAccounts(b.ctx, b.scope)
			require.NoError(t, err)
			require.Equal(t, []service.Account{rolledBack}, accounts)
			return errStop
		})
		require.ErrorIs(t, err, errStop)
		b.requireNoAccount(t, b.scope, rolledBack.ID)
		b.requireAccount(t, committed)
		b.requireEvents(t, b.scope, connected)
	})
}
