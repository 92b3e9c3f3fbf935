package pgstore

import "errors"

// Errors of package pgstore. Errors about records are the sentinels of
// package store (store.ErrNotFound, store.ErrConflict, ...), wrapped.
var (
	// ErrOptions means Open or New was given unusable options: an empty
	// DSN, a nil pool, a schema name PostgreSQL cannot hold, a negative
	// MaxConns.
	ErrOptions = errors.New("pgstore: invalid options")
	// ErrSchemaTooNew means the database schema was migrated by a newer
	// version of this package than the running one; the store refuses to
	// use tables it does not know.
	ErrSchemaTooNew = errors.New("pgstore: database schema is newer than this program")
)
