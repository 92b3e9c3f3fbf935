package boltstore

import (
	"errors"
	"fmt"
)

// Errors of package boltstore. Record-level errors are those of package
// store (store.ErrNotFound and the rest), wrapped.
var (
	// ErrLocked means another process, or another store in this one,
	// holds the database file open; Open gave up after Options.Timeout.
	ErrLocked = errors.New("boltstore: database file is in use")
	// ErrVersion means the file was written by an incompatible version of
	// this package.
	ErrVersion = errors.New("boltstore: unsupported file version")
	// ErrCorrupt means a stored record could not be decoded.
	ErrCorrupt = errors.New("boltstore: corrupt record")
	// ErrUnappliedLog means Compact was given a file whose queue log
	// (the file beside it, its name ending in "-wal") holds events not yet
	// in the file, as a crash leaves it: open and close the store first,
	// which applies them.
	ErrUnappliedLog = errors.New("boltstore: the file's log holds events not yet applied")
)

// PanicError is the error a write returns when applying it panicked
// inside the committer (a bug, or a fault of the file underneath). The
// committer recovers, as bbolt's DB.Batch does: the group is rolled back,
// the other writes of the group are committed without it, and the store
// goes on.
type PanicError struct {
	Value any // what the write panicked with
}

func (e *PanicError) Error() string { return fmt.Sprintf("boltstore: write panicked: %v", e.Value) }
