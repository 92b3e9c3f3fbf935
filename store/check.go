package store

import "fmt"

// Limits on the strings a Store indexes. A driver may accept more; these
// are what every driver of this module accepts, and what CheckHook,
// CheckKey, CheckDebugEntry and CheckEvent enforce.
const (
	MaxIDLen             = 1024 // IDs, orgs, tokens, hook IDs
	MaxIdempotencyKeyLen = 4096
)

// The checks below are the one copy of the argument rules the drivers of
// this module share (nil records, empty or over-long IDs), so that each
// driver keeps only what is its own (PostgreSQL refusing NUL bytes in
// text, for example). Each returns an error matching ErrInvalid, whose
// message names the field and not its value.

// CheckHook checks a hook given to CreateHook or UpdateHook.
func CheckHook(h *Hook) error {
	if h == nil {
		return invalid("nil hook")
	}
	return firstErr(checkID("hook ID", h.ID), checkID("hook token", h.Token), checkLen("org", h.Org, MaxIDLen))
}

// CheckKey checks a key given to CreateKey.
func CheckKey(k *Key) error {
	if k == nil {
		return invalid("nil key")
	}
	return firstErr(checkID("key ID", k.ID), checkLen("org", k.Org, MaxIDLen))
}

// CheckDebugEntry checks an entry given to AppendDebug.
func CheckDebugEntry(e *DebugEntry) error {
	if e == nil {
		return invalid("nil debug entry")
	}
	return firstErr(checkID("debug entry ID", e.ID), checkID("debug entry hook ID", e.HookID))
}

// CheckEvent checks an event given to Enqueue (or EnqueueClaimed).
func CheckEvent(e *QueuedEvent) error {
	if e == nil {
		return invalid("nil event")
	}
	return firstErr(checkID("event ID", e.ID), checkLen("event org", e.Org, MaxIDLen),
		checkLen("event hook ID", e.HookID, MaxIDLen),
		checkLen("idempotency key", e.IdempotencyKey, MaxIdempotencyKeyLen))
}

func invalid(what string) error { return fmt.Errorf("store: %s: %w", what, ErrInvalid) }

func checkID(what, id string) error {
	if id == "" {
		return invalid(what + " is empty")
	}
	return checkLen(what, id, MaxIDLen)
}

func checkLen(what, s string, limit int) error {
	if len(s) > limit {
		return invalid(fmt.Sprintf("%s is longer than %d bytes", what, limit))
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
