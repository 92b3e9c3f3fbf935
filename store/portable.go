package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Portable returns d behind the portable layer: a Store whose methods
// apply the argument rules every driver shares, once, before d sees the
// call, and map d's errors in one place. The drivers of this module
// (boltstore, memstore, pgstore) return their Store already behind it;
// storetest.Run puts a third-party driver behind it too. A Store that is
// already portable is returned as it is.
//
// The rules: a context that is already done gives its error and d is not
// called; a record given to a write must not be nil, its ID (and a hook's
// token, a debug entry's hook ID) must not be empty, IDs, orgs and tokens
// must be at most MaxIDLen bytes and idempotency keys at most
// MaxIdempotencyKeyLen, and so must the IDs and key given to an
// IdempotencyStore (ErrInvalid otherwise, with a message that names the
// field, not its value); AppendDebug's keep below 1 becomes 1; Claim with a limit below 1 returns
// no events without asking d; EnqueueClaimed needs a positive lease
// (ErrInvalid). A driver is left with its storage, the mapping of its own
// failures to the sentinel errors, rules its backend adds, and ErrClosed
// after Close (a race between Close and calls in flight is its own).
//
// Errors: one of d's that matches a sentinel of this package (ErrNotFound,
// ErrConflict, ErrStale, ErrDuplicate, ErrClosed, ErrInvalid) or a context
// error is returned unchanged; any other is wrapped with the name of the
// operation ("store: CreateHook: ...") and still matches d's error with
// errors.Is and errors.As.
//
// The portable Store does not implement the optional interfaces
// (LocalQueue, IdempotencyStore, KeyUsageStore, EnqueueNotifier) itself:
// As finds them, when d has them, and returns them behind the same layer.
func Portable(d Store) Store {
	if l, ok := d.(layered); ok {
		return l.layer()
	}
	return &portable{d: d}
}

// portable is the layer above a driver. Its methods add no allocation to
// a call that succeeds: the checks build errors only when they fail, and
// mapErr wraps only errors that are not already the package's.
type portable struct {
	d Store
}

// layered is what the portable Store and the views As returns of it have
// in common: the layer they belong to.
type layered interface{ layer() *portable }

func (p *portable) layer() *portable { return p }

// Wrapper is a Store that wraps another, such as a host's type that
// embeds a Store to count or trace its calls. As looks through it for the
// abilities it does not have itself, so that a wrapper need not forward
// LocalQueue, IdempotencyStore, KeyUsageStore and EnqueueNotifier one by
// one: their methods are then called on the wrapped Store directly, past
// the wrapper's own methods.
type Wrapper interface {
	Store
	// Unwrap returns the Store this one wraps.
	Unwrap() Store
}

// As returns s's ability T, or false when s does not have it. s is a
// Store, or any of the narrower interfaces (HookStore, KeyStore,
// QueueStore...) holding one, as package hooks is given.
//
// On a portable Store (see Portable): T that the portable Store itself
// satisfies (Store, HookStore, QueueStore...) gives the portable Store;
// an optional interface (LocalQueue, IdempotencyStore, KeyUsageStore,
// EnqueueNotifier) gives a view of it behind the same layer (its writes
// checked, its errors mapped) when the driver implements it, and false
// otherwise; any other T is asked of the driver, if it has a method
//
//	As(target any) bool
//
// which sets *target (a *T) to the driver's T and reports whether it
// did: that is how a driver hands out its own extras (pgstore's
// connection pool, for example) without exposing the unchecked driver.
// On any other s (a host's own Store), As is a type assertion, and when
// that fails and s is a Wrapper, As of what it wraps, as errors.As
// follows Unwrap.
//
// Look abilities up with As rather than with a type assertion: the
// portable Store does not satisfy the optional interfaces, so an
// assertion would never find them. A host that wraps a Store in its own
// type (to count or trace its calls, say) hides the abilities it neither
// forwards nor reaches through Unwrap; storetest.WithCapabilities catches
// that.
func As[T any](s any) (T, bool) {
	var zero T // not addressed: As allocates only when it asks the driver
	l, ok := s.(layered)
	if !ok {
		if t, ok := s.(T); ok {
			return t, true
		}
		if w, ok := s.(Wrapper); ok {
			return As[T](w.Unwrap())
		}
		return zero, false
	}
	p := l.layer()
	if t, ok := s.(T); ok {
		return t, true // the portable Store, or the view s already is
	}
	var view any
	switch any((*T)(nil)).(type) {
	case *LocalQueue:
		if lq, ok := p.d.(LocalQueue); ok {
			view = &localQueue{portable: p, lq: lq}
		}
	case *IdempotencyStore:
		if is, ok := p.d.(IdempotencyStore); ok {
			view = &idempotencyStore{p: p, is: is}
		}
	case *KeyUsageStore:
		if ku, ok := p.d.(KeyUsageStore); ok {
			view = &keyUsageStore{p: p, ku: ku}
		}
	case *EnqueueNotifier:
		if n, ok := p.d.(EnqueueNotifier); ok {
			view = &enqueueNotifier{p: p, n: n}
		}
	default:
		if t, ok := any(p).(T); ok {
			return t, true
		}
		if a, ok := p.d.(interface{ As(target any) bool }); ok {
			var t T
			if a.As(&t) {
				return t, true
			}
		}
		return zero, false
	}
	if view == nil {
		return zero, false
	}
	return view.(T), true
}

// mapErr is the one place where the layer maps a driver's error: nil, a
// sentinel of this package and a context error pass unchanged; anything
// else is wrapped with the operation's name.
func mapErr(op string, err error) error {
	if err == nil || known(err) {
		return err
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// known reports whether err already says what callers match: a sentinel
// of this package or a context error. (ErrStale matches ErrConflict.)
func known(err error) bool {
	for _, s := range [...]error{ErrNotFound, ErrConflict, ErrDuplicate, ErrClosed, ErrInvalid,
		context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

var errLease = invalid("lease is not positive")

// Close implements Store. The driver returns ErrClosed for calls after
// Close and for a second Close.
func (p *portable) Close() error { return mapErr("Close", p.d.Close()) }

// CreateHook implements HookStore.
func (p *portable) CreateHook(ctx context.Context, h *Hook) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkHook(h); err != nil {
		return err
	}
	return mapErr("CreateHook", p.d.CreateHook(ctx, h))
}

// GetHook implements HookStore.
func (p *portable) GetHook(ctx context.Context, org, id string) (*Hook, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := p.d.GetHook(ctx, org, id)
	return h, mapErr("GetHook", err)
}

// HookByToken implements HookStore.
func (p *portable) HookByToken(ctx context.Context, token string) (*Hook, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := p.d.HookByToken(ctx, token)
	return h, mapErr("HookByToken", err)
}

// ListHooks implements HookStore.
func (p *portable) ListHooks(ctx context.Context, org string) ([]*Hook, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	hs, err := p.d.ListHooks(ctx, org)
	return hs, mapErr("ListHooks", err)
}

// UpdateHook implements HookStore.
func (p *portable) UpdateHook(ctx context.Context, h *Hook) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkHook(h); err != nil {
		return err
	}
	return mapErr("UpdateHook", p.d.UpdateHook(ctx, h))
}

// DeleteHook implements HookStore.
func (p *portable) DeleteHook(ctx context.Context, org, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr("DeleteHook", p.d.DeleteHook(ctx, org, id))
}

// CreateKey implements KeyStore.
func (p *portable) CreateKey(ctx context.Context, k *Key) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkKey(k); err != nil {
		return err
	}
	return mapErr("CreateKey", p.d.CreateKey(ctx, k))
}

// GetKey implements KeyStore.
func (p *portable) GetKey(ctx context.Context, id string) (*Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	k, err := p.d.GetKey(ctx, id)
	return k, mapErr("GetKey", err)
}

// ListKeys implements KeyStore.
func (p *portable) ListKeys(ctx context.Context, org string) ([]*Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ks, err := p.d.ListKeys(ctx, org)
	return ks, mapErr("ListKeys", err)
}

// DeleteKey implements KeyStore.
func (p *portable) DeleteKey(ctx context.Context, org, id string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr("DeleteKey", p.d.DeleteKey(ctx, org, id))
}

// AppendDebug implements DebugStore; keep below 1 reaches the driver as 1.
func (p *portable) AppendDebug(ctx context.Context, e *DebugEntry, keep int) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkDebugEntry(e); err != nil {
		return err
	}
	return mapErr("AppendDebug", p.d.AppendDebug(ctx, e, max(keep, 1)))
}

// ListDebug implements DebugStore.
func (p *portable) ListDebug(ctx context.Context, hookID string) ([]*DebugEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	es, err := p.d.ListDebug(ctx, hookID)
	return es, mapErr("ListDebug", err)
}

// GetDebug implements DebugStore.
func (p *portable) GetDebug(ctx context.Context, hookID, id string) (*DebugEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := p.d.GetDebug(ctx, hookID, id)
	return e, mapErr("GetDebug", err)
}

// ClearDebug implements DebugStore.
func (p *portable) ClearDebug(ctx context.Context, hookID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr("ClearDebug", p.d.ClearDebug(ctx, hookID))
}

// Enqueue implements QueueStore.
func (p *portable) Enqueue(ctx context.Context, e *QueuedEvent, dedupSince time.Time) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkEvent(e); err != nil {
		return "", err
	}
	id, err := p.d.Enqueue(ctx, e, dedupSince)
	return id, mapErr("Enqueue", err)
}

// Claim implements QueueStore. A limit below 1 returns no events, and
// the driver is not called.
func (p *portable) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*QueuedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, nil
	}
	evs, err := p.d.Claim(ctx, now, lease, limit)
	return evs, mapErr("Claim", err)
}

// Complete implements QueueStore.
func (p *portable) Complete(ctx context.Context, id string, attempts int, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr("Complete", p.d.Complete(ctx, id, attempts, now))
}

// Fail implements QueueStore.
func (p *portable) Fail(ctx context.Context, id string, attempts int, lastError string, next time.Time, dead bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr("Fail", p.d.Fail(ctx, id, attempts, lastError, next, dead))
}

// GetEvent implements QueueStore.
func (p *portable) GetEvent(ctx context.Context, org, id string) (*QueuedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, err := p.d.GetEvent(ctx, org, id)
	return e, mapErr("GetEvent", err)
}

// ListEvents implements QueueStore.
func (p *portable) ListEvents(ctx context.Context, org string, q EventQuery) ([]*QueuedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	evs, err := p.d.ListEvents(ctx, org, q)
	return evs, mapErr("ListEvents", err)
}

// Replay implements QueueStore.
func (p *portable) Replay(ctx context.Context, org, id string, now time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr("Replay", p.d.Replay(ctx, org, id, now))
}

// Prune implements QueueStore.
func (p *portable) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.d.Prune(ctx, before)
	return n, mapErr("Prune", err)
}

// CountEvents implements QueueStore.
func (p *portable) CountEvents(ctx context.Context, state EventState) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := p.d.CountEvents(ctx, state)
	return n, mapErr("CountEvents", err)
}

// localQueue is the LocalQueue view of a portable Store whose driver has
// one: the QueueStore methods are the portable Store's, the others are
// checked here.
type localQueue struct {
	*portable
	lq LocalQueue
}

// EnqueueClaimed implements LocalQueue.
func (v *localQueue) EnqueueClaimed(ctx context.Context, e *QueuedEvent, dedupSince time.Time, lease time.Duration) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkEvent(e); err != nil {
		return "", err
	}
	if lease <= 0 {
		return "", errLease
	}
	id, err := v.lq.EnqueueClaimed(ctx, e, dedupSince, lease)
	return id, mapErr("EnqueueClaimed", err)
}

// CompleteLater implements LocalQueue.
func (v *localQueue) CompleteLater(id string, attempts int, now time.Time) {
	v.lq.CompleteLater(id, attempts, now)
}

// FlushCompletions implements LocalQueue.
func (v *localQueue) FlushCompletions(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return mapErr("FlushCompletions", v.lq.FlushCompletions(ctx))
}

// idempotencyStore is the IdempotencyStore view of a portable Store whose
// driver has one.
type idempotencyStore struct {
	p  *portable
	is IdempotencyStore
}

func (v *idempotencyStore) layer() *portable { return v.p }

// ReserveKey implements IdempotencyStore.
func (v *idempotencyStore) ReserveKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := checkSeenKey(hookID, key, eventID); err != nil {
		return "", err
	}
	id, err := v.is.ReserveKey(ctx, hookID, key, eventID, now, until)
	return id, mapErr("ReserveKey", err)
}

// ConfirmKey implements IdempotencyStore.
func (v *idempotencyStore) ConfirmKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkSeenKey(hookID, key, eventID); err != nil {
		return err
	}
	return mapErr("ConfirmKey", v.is.ConfirmKey(ctx, hookID, key, eventID, now, until))
}

// ReleaseKey implements IdempotencyStore.
func (v *idempotencyStore) ReleaseKey(ctx context.Context, hookID, key, eventID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkSeenKey(hookID, key, eventID); err != nil {
		return err
	}
	return mapErr("ReleaseKey", v.is.ReleaseKey(ctx, hookID, key, eventID))
}

// PruneKeys implements IdempotencyStore.
func (v *idempotencyStore) PruneKeys(ctx context.Context, now time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n, err := v.is.PruneKeys(ctx, now)
	return n, mapErr("PruneKeys", err)
}

// keyUsageStore is the KeyUsageStore view of a portable Store whose
// driver has one.
type keyUsageStore struct {
	p  *portable
	ku KeyUsageStore
}

func (v *keyUsageStore) layer() *portable { return v.p }

// TouchKey implements KeyUsageStore. An ID no key can have (empty, or
// longer than MaxIDLen) is an unknown key: ignored, as the driver would.
func (v *keyUsageStore) TouchKey(ctx context.Context, id string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if checkID("key ID", id) != nil {
		return nil
	}
	return mapErr("TouchKey", v.ku.TouchKey(ctx, id, at))
}

// enqueueNotifier is the EnqueueNotifier view of a portable Store whose
// driver has one: it hands out the driver's notifications, not the
// driver.
type enqueueNotifier struct {
	p *portable
	n EnqueueNotifier
}

func (v *enqueueNotifier) layer() *portable { return v.p }

// NotifyEnqueued implements EnqueueNotifier.
func (v *enqueueNotifier) NotifyEnqueued() (<-chan struct{}, func()) { return v.n.NotifyEnqueued() }
