package postgres

// DriverTx hands the transaction to the job queue (service.Store.DriverTx): a pgx.Tx,
// or nil outside a transaction.
func (s *Store) DriverTx() any {
	if s.tx == nil {
		return nil // not a nil *pipeTx in a non-nil interface
	}
	return s.Tx()
}
