package postgres

import (
	"context"

	"github.com/octopost/octopost/service"
)

// GetAccountForUpdate locks the account's row with SELECT … FOR UPDATE, then reads it:
// inside InTx, other transactions that lock or change it wait until this one ends, and
// then read what it wrote (READ COMMITTED takes a new snapshot per statement, so the read
// that follows the lock sees the winner's credentials). Outside a transaction the lock
// ends with the statement, and this is GetAccount.
func (s *Store) GetAccountForUpdate(ctx context.Context, sc service.Scope, id string) (service.Account, error) {
	if s.tx != nil {
		var locked string
		err := s.tx.QueryRow(ctx, `SELECT id FROM accounts WHERE id = $1 AND user_id = $2 AND mode = $3 FOR UPDATE`,
			id, sc.UserID, string(sc.Mode)).Scan(&locked)
		if err != nil {
			return service.Account{}, readErr("lock account", err)
		}
	}
	return s.GetAccount(ctx, sc, id)
}
