package storetest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/octopost/octopost/service"
)

func (s *suite) accountLocks(t *testing.T) {
	t.Run("GetAccountForUpdateInTx", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.createAccount(t, b.fullAccount(b.scope))
		err := b.store.InTx(b.ctx, func(tx service.Store) error {
			got, err := tx.GetAccountForUpdate(b.ctx, b.scope, a.ID)
			require.NoError(t, err)
			require.Equal(t, a, got)
			return nil
		})
		require.NoError(t, err)

		for _, sc := range []service.Scope{b.testScope, b.other} {
			err := b.store.InTx(b.ctx, func(tx service.Store) error {
				_, err := tx.GetAccountForUpdate(b.ctx, sc, a.ID)
				return err
			})
			require.ErrorIs(t, err, service.ErrNotFound)
		}
	})

	// Two token refreshes of one account: the second must wait for the first and read the
	// credentials it stored, never the ones from before (whose refresh token is spent).
	t.Run("GetAccountForUpdateSerialisesWriters", func(t *testing.T) {
		t.Parallel()
		b := s.setup(t)

		a := b.createAccount(t, b.newAccount(b.scope, "twitter", 0))
		appendCredentials := func(suffix string, holdLock func()) error {
			return b.store.InTx(b.ctx, func(tx service.Store) error {
				got, err := tx.GetAccountForUpdate(b.ctx, b.scope, a.ID)
				if err != nil {
					return err
				}
				holdLock()
				got.Credentials = append(got.Credentials, suffix...)
				return tx.UpdateAccount(b.ctx, got)
			})
		}

		racePastLock(t, appendCredentials)

		got, err := b.store.GetAccount(b.ctx, b.scope, a.ID)
		require.NoError(t, err)
		require.Equal(t, " +first +second", string(got.Credentials))
	})
}
