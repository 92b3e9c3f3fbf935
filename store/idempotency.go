package store

import (
	"context"
	"time"
)

// IdempotencyStore is an optional interface of a Store: it remembers the
// idempotency keys of arrivals that were delivered without the queue (sync
// delivery), so that a repeated arrival is acknowledged instead of fired
// twice, by every process sharing the store. (The queue keeps its keys
// with its events; see QueueStore.Enqueue.) package hooks finds it with As
// on the store its Registry was given.
//
// A key is recorded per hook, in two steps around the delivery: ReserveKey
// before it (so that concurrent copies agree on one), then ConfirmKey when
// it succeeded, or ReleaseKey when it failed (so that the sender's retry
// goes through). A record counts until its expiry, compared with the now
// the caller passes (a Store never reads its own clock); an expired record
// is as good as absent and is replaced by the next ReserveKey.
//
// Its methods are called concurrently.
type IdempotencyStore interface {
	// ReserveKey records key for hookID as reserved by eventID until
	// until, unless the hook has an unexpired record of that key (one
	// whose expiry is after now): then it changes nothing and returns the
	// record's event ID with an error matching ErrDuplicate when the
	// record is confirmed, or ErrConflict while it is only reserved (a
	// delivery in progress). Otherwise it returns eventID and nil.
	// Concurrent calls for one hook and key reserve it once.
	ReserveKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) (string, error)
	// ConfirmKey records key for hookID as confirmed by eventID until
	// until: eventID's reservation becomes a record that later copies are
	// acknowledged with. A record of another event that is still
	// unexpired at now is left alone, and ConfirmKey returns an error
	// matching ErrStale (the reservation ran out and another copy took
	// the key meanwhile).
	ConfirmKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) error
	// ReleaseKey removes the record of key for hookID if it is eventID's,
	// so that the next copy is delivered; another event's record is left
	// alone. It returns nil in both cases.
	ReleaseKey(ctx context.Context, hookID, key, eventID string) error
	// PruneKeys deletes the records that expired at or before now and
	// returns how many it deleted.
	PruneKeys(ctx context.Context, now time.Time) (int, error)
}
