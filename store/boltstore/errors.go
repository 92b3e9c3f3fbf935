package boltstore

import "errors"

// Errors of package boltstore. Record-level errors are those of package
// store (store.ErrNotFound and the rest), wrapped.
var (
	// ErrLocked means another process, or another Store in this one,
	// holds the database file open; Open gave up after Options.Timeout.
	ErrLocked = errors.New("boltstore: database file is in use")
	// ErrVersion means the file was written by an incompatible version of
	// this package.
	ErrVersion = errors.New("boltstore: unsupported file version")
	// ErrCorrupt means a stored record could not be decoded.
	ErrCorrupt = errors.New("boltstore: corrupt record")
)
