package sqlite

// DriverTx hands the transaction to the job queue (service.Store.DriverTx): a *sql.Tx,
// or nil outside a transaction.
func (s *Store) DriverTx() any {
	if s.tx == nil {
		return nil // not a nil *sql.Tx in a non-nil interface
	}
	return s.tx
}
