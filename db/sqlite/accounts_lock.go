package sqlite

import (
	"context"

	"github.com/octopost/octopost/service"
)

// GetAccountForUpdate is GetAccount: inside InTx the transaction already holds SQLite's
// write lock (BEGIN IMMEDIATE), so no other writer can change the account until it ends.
func (s *Store) GetAccountForUpdate(ctx context.Context, sc service.Scope, id string) (service.Account, error) {
	return s.GetAccount(ctx, sc, id)
}

// LocksDatabase is true: a transaction that writes holds SQLite's one write lock.
func (s *Store) LocksDatabase() bool { return true }
