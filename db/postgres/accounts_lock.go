package postgres

import (
	"context"

	pggen "github.com/octopost/octopost/gen/postgres"
	"github.com/octopost/octopost/service"
)

// GetAccountForUpdate reads the account and locks its row (SELECT … FOR UPDATE): inside
// InTx, other transactions that lock or change it wait until this one ends, and a lock
// that waited reads what the other transaction wrote, so the second of two refreshes sees
// the first's credentials. Outside a transaction the lock ends with the statement, and
// this is GetAccount.
func (s *Store) GetAccountForUpdate(ctx context.Context, sc service.Scope, id string) (service.Account, error) {
	r, err := s.q.GetAccountForUpdate(ctx, pggen.GetAccountForUpdateParams{ID: id, UserID: sc.UserID, Mode: string(sc.Mode)})
	if err != nil {
		return service.Account{}, readErr("lock account", err)
	}
	return accountFromRow(r), nil
}

// LocksDatabase is false: transactions lock the rows they touch.
func (s *Store) LocksDatabase() bool { return false }
