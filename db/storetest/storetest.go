// Package storetest is the conformance suite every service.Store implementation must
// pass, so that the SQLite and PostgreSQL stores behave alike. An engine's test runs it
// with a constructor for fresh, migrated, empty stores:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) service.Store { return openFreshStore(t) })
//	}
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
	"github.com/octopost/octopost/service/id"
)

// Run runs the suite. newStore must return a store on an empty, migrated database of its
// own, closed when t ends; every subtest calls it once and runs in parallel with the rest.
func Run(t *testing.T, newStore func(t *testing.T) service.Store) {
	s := &suite{newStore: newStore}
	for _, group := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"Users", s.users},
		{"APIKeys", s.apiKeys},
		{"Passwords", s.passwords},
		{"Sessions", s.sessions},
		{"SignInWindows", s.signInWindows},
		{"UserAPIKeys", s.userAPIKeys},
		{"Posts", s.posts},
		{"ListPosts", s.listPosts},
		{"Queue", s.queue},
		{"QueueSlots", s.queueSlots},
		{"Presets", s.presets},
		{"Webhooks", s.webhooks},
		{"WebhookSecrets", s.webhookSecrets},
		{"Deliveries", s.deliveries},
		{"Publishing", s.publishing},
		{"Accounts", s.accounts},
		{"AccountLocks", s.accountLocks},
		{"OAuthStates", s.oauthStates},
		{"RateLimits", s.rateLimits},
		{"IdempotencyKeys", s.idempotencyKeys},
		{"InTx", s.inTx},
	} {
		t.Run(group.name, func(t *testing.T) {
			t.Parallel()
			group.run(t)
		})
	}
}

type suite struct {
	newStore func(t *testing.T) service.Store
}

// testBundle is what a subtest starts from: a fresh store holding two users.
type testBundle struct {
	ctx   context.Context
	store service.Store
	now   time.Time // UTC, with microseconds: what the service's clock gives

	user      service.User
	scope     service.Scope // user, live
	testScope service.Scope // user, test: same user, other mode
	other     service.Scope // another user, live
}

func (s *suite) setup(t *testing.T) *testBundle {
	t.Helper()
	b := &testBundle{
		ctx:   t.Context(),
		store: s.newStore(t),
		now:   time.Date(2026, 4, 3, 12, 30, 15, 123456000, time.UTC),
	}
	b.user = b.createUser(t, "owner@example.com")
	otherUser := b.createUser(t, "other@example.com")
	b.scope = service.Scope{UserID: b.user.ID, Mode: service.ModeLive}
	b.testScope = service.Scope{UserID: b.user.ID, Mode: service.ModeTest}
	b.other = service.Scope{UserID: otherUser.ID, Mode: service.ModeLive}
	return b
}

func (b *testBundle) createUser(t *testing.T, email string) service.User {
	t.Helper()
	u := service.User{ID: id.New(id.User), Email: email, CreatedAt: b.now}
	require.NoError(t, b.store.CreateUser(b.ctx, u))
	return u
}

// zone is a non-UTC time zone: times written in it must read back as the same instant, in UTC.
var zone = time.FixedZone("UTC+2", 2*60*60)

// requireUTC fails unless every time is in UTC.
func requireUTC(t *testing.T, times ...*time.Time) {
	t.Helper()
	for i, tm := range times {
		if tm != nil {
			require.Equal(t, time.UTC, tm.Location(), "time %d", i)
		}
	}
}

func (s *suite) users(t *testing.T) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		u := service.User{ID: id.New(id.User), Email: "new@example.com", CreatedAt: b.now.In(zone)}
		require.NoError(t, b.store.CreateUser(b.ctx, u))

		got, err := b.store.GetUserByEmail(b.ctx, "new@example.com")
		require.NoError(t, err)
		require.Equal(t, service.User{ID: u.ID, Email: u.Email, CreatedAt: b.now}, got)
		requireUTC(t, &got.CreatedAt)
	})

	t.Run("DuplicateEmail", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		err := b.store.CreateUser(b.ctx, service.User{ID: id.New(id.User), Email: b.user.Email, CreatedAt: b.now})
		require.ErrorIs(t, err, service.ErrDuplicate)

		got, err := b.store.GetUserByEmail(b.ctx, b.user.Email)
		require.NoError(t, err)
		require.Equal(t, b.user, got)
	})

	t.Run("UnknownEmail", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		_, err := b.store.GetUserByEmail(b.ctx, "nobody@example.com")
		require.ErrorIs(t, err, service.ErrNotFound)
	})
}
