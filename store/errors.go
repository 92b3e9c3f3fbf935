package store

import "errors"

// Sentinel errors every Store implementation returns (wrapped or bare), so
// that callers can match them with errors.Is whatever the backend.
var (
	// ErrNotFound means the record does not exist, or belongs to another org.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a record with the same ID or unique field (a hook
	// token, for example) already exists.
	ErrConflict = errors.New("store: conflict")
	// ErrDuplicate is returned by QueueStore.Enqueue when an event with the
	// same hook and idempotency key was enqueued inside the dedup window.
	ErrDuplicate = errors.New("store: duplicate idempotency key")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrInvalid means a record failed the store's own checks (an empty ID,
	// for example). It signals a programming error in the caller.
	ErrInvalid = errors.New("store: invalid record")
)
