package store

import "fmt"

// Limits on the strings a Store indexes. A driver may accept more; these
// are what every driver of this module accepts, and what checkHook,
// checkKey, checkDebugEntry and checkEvent enforce.
const (
	MaxIDLen             = 1024 // IDs, orgs, tokens, hook IDs
	MaxIdempotencyKeyLen = 4096
)

// The checks below are the one copy of the argument rules every driver
// shares (nil records, empty or over-long IDs), which the portable layer
// applies before a driver sees a call, so that each driver keeps only
// what is its own (PostgreSQL refusing NUL bytes in text, for example).
// Each returns an error matching ErrInvalid, whose message names the
// field and not its value.

// checkHook checks a hook given to CreateHook or UpdateHook.
func checkHook(h *Hook) error {
	if h == nil {
		return invalid("nil hook")
	}
	return firstErr(checkID("hook ID", h.ID), checkID("hook token", h.Token), checkLen("org", h.Org, MaxIDLen))
}

// checkKey checks a key given to CreateKey.
func checkKey(k *Key) error {
	if k == nil {
		return invalid("nil key")
	}
	return firstErr(checkID("key ID", k.ID), checkLen("org", k.Org, MaxIDLen))
}

// checkDebugEntry checks an entry given to AppendDebug.
func checkDebugEntry(e *DebugEntry) error {
	if e == nil {
		return invalid("nil debug entry")
	}
	return firstErr(checkID("debug entry ID", e.ID), checkID("debug entry hook ID", e.HookID))
}

// checkEvent checks an event given to Enqueue (or EnqueueClaimed).
func checkEvent(e *QueuedEvent) error {
	if e == nil {
		return invalid("nil event")
	}
	return firstErr(checkID("event ID", e.ID), checkLen("event org", e.Org, MaxIDLen),
		checkLen("event hook ID", e.HookID, MaxIDLen),
		checkLen("idempotency key", e.IdempotencyKey, MaxIdempotencyKeyLen))
}

// checkSeenKey checks the arguments of the IdempotencyStore methods: a
// hook ID and an event ID (not empty, at most MaxIDLen bytes) and a key
// (not empty, at most MaxIdempotencyKeyLen bytes).
func checkSeenKey(hookID, key, eventID string) error {
	if key == "" {
		return invalid("idempotency key is empty")
	}
	return firstErr(checkID("hook ID", hookID), checkID("event ID", eventID),
		checkLen("idempotency key", key, MaxIdempotencyKeyLen))
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
