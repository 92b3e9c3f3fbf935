package store

import (
	"errors"
	"fmt"
)

// Sentinel errors every Store implementation returns (wrapped or bare), so
// that callers can match them with errors.Is whatever the backend.
var (
	// ErrNotFound means the record does not exist, or belongs to another org.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a record with the same ID or unique field (a hook
	// token, for example) already exists.
	ErrConflict = errors.New("store: conflict")
	// ErrStale means a write was refused because the record changed since
	// the caller read it: a hook whose Revision is no longer the stored one
	// (HookStore.UpdateHook), or a queued event whose claim was taken over
	// or settled by someone else (QueueStore.Complete and Fail). It matches
	// ErrConflict as well, so callers that only check ErrConflict still
	// see a refusal; callers that retry check ErrStale first.
	ErrStale = fmt.Errorf("%w: stale revision or claim", ErrConflict)
	// ErrDuplicate is returned by QueueStore.Enqueue when an event with the
	// same hook and idempotency key was enqueued inside the dedup window.
	ErrDuplicate = errors.New("store: duplicate idempotency key")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrInvalid means a record failed the store's own checks (an empty ID,
	// for example). It signals a programming error in the caller.
	ErrInvalid = errors.New("store: invalid record")
)
