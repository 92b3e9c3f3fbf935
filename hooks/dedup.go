package hooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store"
)

// The pipeline deduplicates by idempotency key (Idempotency-Key, a
// signature scheme's delivery id, an email's Message-ID) whatever the
// delivery, in one of two ways that answer the sender alike (2xx with the
// first event's ID, Duplicate set):
//
//   - a Queue deduplicates as it commits: the key is stored with the event,
//     in the same write, and QueueOptions.DedupWindow is its window;
//   - any other Delivery (Sync) is wrapped by keyDedup below, when the
//     Registry's store is a store.IdempotencyStore: the key is reserved
//     before the Trigger runs, confirmed when it succeeded (for
//     PipelineOptions.DedupWindow) and released when it failed, so that the
//     sender's retry fires. The store is shared by every process that shares
//     it (pgstore: every replica).
//
// An arrival without a key costs nothing more either way.

// dedupLease is how long a reservation holds a key while its delivery
// runs. A copy arriving meanwhile is answered 503 with Retry-After (it is
// not known yet whether the first copy will succeed); a process that dies
// mid-delivery leaves the key to the next copy after the lease. A Trigger
// that runs longer than the lease may see a copy that arrived after the
// lease fire beside it.
const dedupLease = 5 * time.Minute

// dedupPruneInterval is how often expired keys are pruned, from the path
// of a keyed arrival, in the background.
const dedupPruneInterval = time.Hour

// keyDedup deduplicates keyed arrivals of a Delivery that does not
// deduplicate itself, through a store.IdempotencyStore.
type keyDedup struct {
	st        store.IdempotencyStore
	window    time.Duration
	now       func() time.Time
	log       *slog.Logger
	nextPrune atomic.Int64 // Unix nanoseconds; 0: at the first keyed arrival
	pruning   atomic.Bool
}

// newKeyDedup returns the dedup of a pipeline delivering with d, or nil
// when d deduplicates itself (a Queue) or the store keeps no keys.
func newKeyDedup(d Delivery, s store.HookStore, window time.Duration, now func() time.Time, log *slog.Logger) *keyDedup {
	if _, ok := d.(*Queue); ok {
		return nil
	}
	st, ok := store.As[store.IdempotencyStore](s)
	if !ok {
		return nil
	}
	return &keyDedup{st: st, window: window, now: now, log: log}
}

// deliver reserves e's key for its hook, delivers e with del, and
// confirms the key when that succeeded or releases it when it failed. A
// key already confirmed within the window gives the first event's ID
// with Duplicate, and del is not called.
func (k *keyDedup) deliver(ctx context.Context, del Delivery, e *Event) (Receipt, error) {
	key := storedKey(e.IdempotencyKey)
	now := k.now().UTC()
	id, err := k.st.ReserveKey(ctx, e.HookID, key, e.ID, now, now.Add(dedupLease))
	switch {
	case errors.Is(err, store.ErrDuplicate) && id != "":
		return Receipt{ID: id, Duplicate: true}, nil
	case errors.Is(err, store.ErrConflict):
		return Receipt{}, &Error{Status: http.StatusServiceUnavailable, Code: errcode.InProgress,
			Message:    "an arrival with the same idempotency key is being delivered; try again later",
			RetryAfter: 5 * time.Second, Err: err}
	case err != nil:
		return Receipt{}, fmt.Errorf("hooks: reserve idempotency key of event %s: %w", e.ID, err)
	}
	k.maybePrune(ctx, now)
	r, err := del.Deliver(ctx, e)
	// The outcome is recorded even when the sender went away meanwhile.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCallTimeout)
	defer cancel()
	if err != nil || r.Duplicate {
		// Failed: the sender's retry must fire. (A Delivery that found the
		// duplicate itself keeps the key.)
		if rerr := k.st.ReleaseKey(sctx, e.HookID, key, e.ID); rerr != nil {
			k.log.ErrorContext(ctx, "inbound: releasing an idempotency key failed; a retry is refused until the reservation runs out",
				"hook", e.HookID, "event", e.ID, "lease", dedupLease, "err", rerr)
		}
		return r, err
	}
	if cerr := k.st.ConfirmKey(sctx, e.HookID, key, e.ID, k.now().UTC(), now.Add(k.window)); cerr != nil {
		k.log.ErrorContext(ctx, "inbound: recording a delivered event's idempotency key failed; a copy after the reservation runs out fires again",
			"hook", e.HookID, "event", e.ID, "lease", dedupLease, "err", cerr)
	}
	return r, nil
}

// maybePrune starts a prune of expired keys in the background when the
// last one is dedupPruneInterval old, unless one runs.
func (k *keyDedup) maybePrune(ctx context.Context, now time.Time) {
	next := k.nextPrune.Load()
	if now.UnixNano() < next || !k.nextPrune.CompareAndSwap(next, now.Add(dedupPruneInterval).UnixNano()) {
		return
	}
	if !k.pruning.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer k.pruning.Store(false)
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCallTimeout)
		defer cancel()
		n, err := k.st.PruneKeys(pctx, now)
		switch {
		case err != nil:
			k.log.WarnContext(pctx, "inbound: pruning expired idempotency keys failed", "err", err)
		case n > 0:
			k.log.InfoContext(pctx, "inbound: pruned expired idempotency keys", "count", n)
		}
	}()
}
