package store

import (
	"context"
	"time"
)

// Store is everything the library keeps. Implementations must be safe for
// concurrent use by multiple goroutines; every method that does I/O takes a
// context first. Records passed in and returned are copies: a Store never
// keeps a caller's pointer, and callers may modify what they get back,
// except the byte slices a field's documentation says are read-only (a
// Hook's ExampleData and Settings, a QueuedEvent's Payload), which a store
// may share among the records it returns: replace such a slice, never
// change its bytes.
type Store interface {
	HookStore
	KeyStore
	DebugStore
	QueueStore
	// Close releases the store's resources. Methods called after Close
	// return ErrClosed.
	Close() error
}

// Hook is the stored form of a hook. Package hooks owns its meaning; the
// store only keeps it and enforces uniqueness of ID and Token.
type Hook struct {
	ID          string
	Org         string // tenant; "" for a single-tenant host
	Kind        string // "form", "web" or "email"
	Name        string
	Description string
	Token       string // unique across all orgs; lowercase
	Debug       bool
	Disabled    bool
	// ExampleData (a JSON document, or nil) and Settings (a JSON document
	// owned by package hooks, or nil) are read-only in a returned record:
	// a store may share them with its cache and other callers, so that
	// HookByToken, asked on every request, copies neither (example data
	// may be hundreds of KiB). CreateHook and UpdateHook copy them.
	ExampleData []byte
	Settings    []byte
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Revision counts the hook's successful updates: CreateHook stores 0
	// whatever it is given, and each UpdateHook stores the given Revision
	// plus one. It makes UpdateHook a compare-and-swap (optimistic
	// concurrency): read, change, write back what was read.
	Revision int64
}

// HookStore keeps hooks. Org-scoped methods treat a hook of another org as
// absent (ErrNotFound).
type HookStore interface {
	// CreateHook stores a new hook, with Revision 0. It returns
	// ErrConflict if the ID or the token is already in use.
	CreateHook(ctx context.Context, h *Hook) error
	// GetHook returns the hook with the given org and ID.
	GetHook(ctx context.Context, org, id string) (*Hook, error)
	// HookByToken returns the hook whose token is exactly token, whatever
	// its org. Callers lowercase the token first.
	HookByToken(ctx context.Context, token string) (*Hook, error)
	// ListHooks returns the org's hooks ordered by CreatedAt, then ID.
	ListHooks(ctx context.Context, org string) ([]*Hook, error)
	// UpdateHook replaces the stored hook with the same org and ID, if the
	// stored Revision is still h.Revision, and stores Revision+1 (h itself
	// is not modified). If another update came first it returns an error
	// matching ErrStale (and so ErrConflict) and changes nothing; the
	// caller re-reads and re-applies its change. A changed token must be
	// unique (an error matching ErrConflict but not ErrStale otherwise);
	// the old token stops resolving at once.
	UpdateHook(ctx context.Context, h *Hook) error
	// DeleteHook removes the hook and its debug entries.
	DeleteHook(ctx context.Context, org, id string) error
}

// Key is the stored form of an API key. Only a hash of the secret is kept.
type Key struct {
	ID        string
	Org       string
	Name      string
	Roles     []string
	Hash      []byte // SHA-256 of the secret; never the secret itself
	CreatedAt time.Time
	// LastUsed is when the key was last used, as a KeyUsageStore keeps it
	// (zero if never, or without one). ListKeys returns it; GetKey, which
	// serves authentication, may leave it zero. CreateKey ignores it.
	LastUsed time.Time
}

// KeyUsageStore is an optional interface of a KeyStore that keeps when
// each key was last used. hooks.Keyring finds it with As and
// calls it in the background, at most about once a minute per key, never
// on the path of an authentication. Its methods are called concurrently.
type KeyUsageStore interface {
	// TouchKey records that key id was used at at, unless the stored time
	// is later. An unknown (or revoked) key is ignored: no error.
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// KeyStore keeps API keys.
type KeyStore interface {
	// CreateKey stores a new key; ErrConflict if the ID is in use.
	CreateKey(ctx context.Context, k *Key) error
	// GetKey returns the key with the given ID, whatever its org. It is
	// used to authenticate a presented key.
	GetKey(ctx context.Context, id string) (*Key, error)
	// ListKeys returns the org's keys ordered by CreatedAt, then ID.
	ListKeys(ctx context.Context, org string) ([]*Key, error)
	// DeleteKey removes (revokes) the org's key.
	DeleteKey(ctx context.Context, org, id string) error
}

// DebugEntry is one recorded interaction with a hook. Package debuglog owns
// the content of Data.
type DebugEntry struct {
	ID     string // unique and time-sortable
	HookID string
	Time   time.Time
	Data   []byte // a JSON document
}

// DebugStore keeps the most recent debug entries of each hook.
type DebugStore interface {
	// AppendDebug stores e and, in the same transaction, drops the hook's
	// oldest entries so that at most keep remain (keep < 1 means 1).
	AppendDebug(ctx context.Context, e *DebugEntry, keep int) error
	// ListDebug returns the hook's entries, newest first.
	ListDebug(ctx context.Context, hookID string) ([]*DebugEntry, error)
	// GetDebug returns one of the hook's entries.
	GetDebug(ctx context.Context, hookID, id string) (*DebugEntry, error)
	// ClearDebug removes all of the hook's entries.
	ClearDebug(ctx context.Context, hookID string) error
}

// EventState is where a queued event is in its delivery.
type EventState string

// The states of a queued event.
const (
	StatePending   EventState = "pending"   // waiting for (another) delivery attempt
	StateDelivered EventState = "delivered" // the trigger accepted it
	StateDead      EventState = "dead"      // parked after too many failed attempts
)

// QueuedEvent is an event committed for durable delivery. It has two
// parts that a QueueStore keeps apart: the encoded event (Payload), opaque
// bytes written once by Enqueue and never rewritten, and the small
// delivery state (State, Attempts, LastError, NextAttempt, CreatedAt,
// UpdatedAt), which Claim, Complete, Fail and Replay change alone. A
// store's write of a delivery state must not copy, decode or re-encode the
// payload, so that the cost of settling an event does not grow with its
// size.
type QueuedEvent struct {
	ID             string // unique and time-sortable
	Org            string
	HookID         string
	IdempotencyKey string // "" when the event carries none
	// Payload is the encoded event, owned by package hooks. Enqueue takes
	// the slice (the store may keep it rather than copy it); a Payload a
	// store returns is read-only (it may be shared with the store and with
	// other callers). ListEvents leaves it nil.
	Payload []byte
	// PayloadSize is the length of Payload in bytes, kept with the
	// delivery state so that a list can show it without reading the
	// payload. Stores set it on every record they return; Enqueue
	// ignores what the caller says.
	PayloadSize int64
	State       EventState
	Attempts    int       // delivery attempts started so far
	LastError   string    // the last attempt's error, if any
	NextAttempt time.Time // pending events are not claimed before this
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// QueueStore keeps events for at-least-once delivery. Records it returns
// are the caller's, except their Payload, which is read-only (see
// QueuedEvent).
type QueueStore interface {
	// Enqueue durably commits e (State pending, Attempts 0, LastError
	// empty, whatever e says) before returning. If e.IdempotencyKey is not
	// empty and an event of the same hook with the same key was created at
	// or after dedupSince, nothing is stored and Enqueue returns that
	// event's ID with ErrDuplicate. An ID in use gives ErrConflict. The
	// store may keep e.Payload: the caller must not change it afterwards.
	Enqueue(ctx context.Context, e *QueuedEvent, dedupSince time.Time) (string, error)
	// Claim returns up to limit pending events whose NextAttempt is at or
	// before now, oldest first, with their Payload (read-only), after
	// incrementing their Attempts and moving their NextAttempt to now+lease
	// and their UpdatedAt to now, so that no other claimer takes them while
	// the lease runs. An event whose claimer dies is claimed again when its
	// lease expires. Claim changes delivery state only.
	Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*QueuedEvent, error)
	// Complete marks a claimed event delivered, with UpdatedAt now.
	// attempts is the Attempts value of the claimed record: it identifies
	// the claim, since every Claim increments it. Complete applies only if
	// the stored event is still pending with that Attempts; otherwise (the
	// lease ran out and another claimer took the event, or settled it) it
	// returns an error matching ErrStale (and ErrConflict) and changes
	// nothing. An unknown ID gives ErrNotFound.
	Complete(ctx context.Context, id string, attempts int, now time.Time) error
	// Fail records a failed attempt of the claim identified by attempts
	// (as for Complete, with the same ErrStale and ErrNotFound): LastError
	// becomes lastError and the event goes back to pending with the given
	// NextAttempt, or to dead when dead is true. UpdatedAt keeps the time
	// of the claim.
	Fail(ctx context.Context, id string, attempts int, lastError string, next time.Time, dead bool) error
	// GetEvent returns the org's event with its Payload (read-only).
	GetEvent(ctx context.Context, org, id string) (*QueuedEvent, error)
	// ListEvents returns up to q.Limit of the org's events that q
	// matches (see EventQuery.Match), newest (by CreatedAt, then ID)
	// first, without their Payload (PayloadSize is set): a list reads
	// delivery states only. When q.After.ID is not empty the list
	// continues after that event (see EventCursor).
	ListEvents(ctx context.Context, org string, q EventQuery) ([]*QueuedEvent, error)
	// Replay moves the org's dead event back to pending, with Attempts
	// reset, LastError kept, and NextAttempt and UpdatedAt now. Replaying
	// an event that is not dead returns ErrConflict.
	Replay(ctx context.Context, org, id string, now time.Time) error
	// Prune deletes delivered events last updated before before, with
	// their payloads and idempotency keys, and returns how many it deleted.
	Prune(ctx context.Context, before time.Time) (int, error)
	// CountEvents returns how many events are in the given state.
	CountEvents(ctx context.Context, state EventState) (int, error)
}

// LocalQueue is an optional interface of a QueueStore that lets the
// process that accepted an event deliver it at once, with no Claim and no
// read of the store: the event is committed already claimed (its lease
// stored with it, as Claim stores one), handed to a local worker, and its
// completion may be committed lazily. The store is read back only after a
// crash, a failed attempt or a lease that ran out. Since the claim is an
// ordinary stored lease, a queue shared by several processes can offer it
// too (pgstore does: another replica takes the event only once the lease
// runs out); boltstore (an exclusive lock on its file) and memstore (in
// this process) offer it with no other claimer at all. package hooks finds
// it by a type assertion.
//
// Its methods are called concurrently.
type LocalQueue interface {
	QueueStore
	// EnqueueClaimed is Enqueue of an event that is claimed in the same
	// commit, as if Claim had taken it at e.NextAttempt: it is stored
	// pending with Attempts 1, UpdatedAt e.NextAttempt and NextAttempt
	// e.NextAttempt+lease. The caller then delivers it and reports the
	// outcome with Complete, CompleteLater or Fail for attempts 1. If the
	// caller dies first, the event is claimed again when the lease runs
	// out. Duplicates and conflicts are reported as by Enqueue (nothing is
	// claimed then).
	EnqueueClaimed(ctx context.Context, e *QueuedEvent, dedupSince time.Time, lease time.Duration) (string, error)
	// CompleteLater is Complete without waiting for the change to be
	// durable: it returns at once, and the store commits the change with
	// its next write, or within a short delay that the implementation
	// documents (far below any sensible lease), or at Close. A stale claim
	// or an unknown ID is dropped silently, as Complete would have changed
	// nothing. If the process dies before that commit, the event is
	// delivered again once its lease runs out: at least once, not exactly
	// once.
	CompleteLater(id string, attempts int, now time.Time)
	// FlushCompletions commits what CompleteLater left, durably, before
	// it returns (a dispatcher's Shutdown calls it).
	FlushCompletions(ctx context.Context) error
}
