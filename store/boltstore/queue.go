package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// addCount adds d to the count of events in state.
func addCount(tx *bolt.Tx, state store.EventState, d int) error {
	b := tx.Bucket(bCounts)
	var n int64
	if v := b.Get([]byte(state)); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	n = max(n+int64(d), 0)
	return b.Put([]byte(state), binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// unindexEvent removes ev's index entries and its count.
func unindexEvent(tx *bolt.Tx, ev *eventRecord) error {
	switch ev.State {
	case store.StatePending:
		if err := tx.Bucket(bPending).Delete(pendingKey(ev.NextAttempt, ev.CreatedAt, ev.ID)); err != nil {
			return err
		}
	case store.StateDelivered:
		if err := tx.Bucket(bDelivered).Delete(deliveredKey(ev.UpdatedAt, ev.ID)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bOrgState).Delete(orgStateKey(ev.Org, string(ev.State), ev.CreatedAt, ev.ID)); err != nil {
		return err
	}
	return addCount(tx, ev.State, -1)
}

// saveRecord writes ev's delivery state, its index entries and count;
// old, when not nil, is the stored version whose index entries it
// replaces. The payload is not touched.
func saveRecord(tx *bolt.Tx, old, ev *eventRecord) error {
	if old != nil {
		if err := unindexEvent(tx, old); err != nil {
			return err
		}
	}
	switch ev.State {
	case store.StatePending:
		if err := tx.Bucket(bPending).Put(pendingKey(ev.NextAttempt, ev.CreatedAt, ev.ID), nil); err != nil {
			return err
		}
	case store.StateDelivered:
		if err := tx.Bucket(bDelivered).Put(deliveredKey(ev.UpdatedAt, ev.ID), nil); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bOrgState).Put(orgStateKey(ev.Org, string(ev.State), ev.CreatedAt, ev.ID), nil); err != nil {
		return err
	}
	if err := addCount(tx, ev.State, 1); err != nil {
		return err
	}
	return tx.Bucket(bStates).Put([]byte(ev.ID), ev.encode())
}

// appendFill is the fill percent of the buckets whose keys mostly grow
// (event IDs are time-sortable; the indexes lead with times): bbolt's
// default of one half leaves every page split by an append half empty.
const appendFill = 1.0

// packAppends sets appendFill on the buckets Enqueue appends to; bbolt
// keeps the setting for this transaction only.
func packAppends(tx *bolt.Tx) {
	for _, name := range [][]byte{bStates, bPayloads, bPending, bOrgState} {
		tx.Bucket(name).FillPercent = appendFill
	}
}

// newPending returns the delivery state Enqueue stores for e: pending with
// no attempts yet or, when claimed, with the claim of EnqueueClaimed.
func newPending(e *store.QueuedEvent, claimed bool, lease time.Duration) *eventRecord {
	r := &eventRecord{
		ID: e.ID, Org: e.Org, HookID: e.HookID, IdempotencyKey: e.IdempotencyKey,
		State: store.StatePending, NextAttempt: e.NextAttempt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
		PayloadSize: int64(len(e.Payload)),
	}
	if claimed {
		r.Attempts, r.Claimed = 1, true
		r.UpdatedAt = e.NextAttempt
		r.NextAttempt = e.NextAttempt.Add(lease)
	}
	return r
}

// enqueueTx applies one Enqueue of the event r with its payload inside
// tx, without the log: the benchmarks' baseline (enqueueDirect). reqErr
// is the request's own outcome (a conflict or a duplicate) and leaves tx
// untouched; txErr means the transaction itself failed.
func enqueueTx(tx *bolt.Tx, r *eventRecord, payload []byte, dedupSince time.Time) (id string, reqErr, txErr error) {
	packAppends(tx)
	var ik []byte
	if r.IdempotencyKey != "" {
		ik = idemKey(r.HookID, r.IdempotencyKey)
	}
	prev, hasPrev, err := lookupIdem(tx, r.HookID, ik)
	if err != nil {
		return "", nil, err
	}
	taken := tx.Bucket(bStates).Get([]byte(r.ID)) != nil
	if id, err := decideEnqueue(r, dedupSince, taken, prev, hasPrev); err != nil {
		return id, err, nil
	}
	return r.ID, nil, insertEvent(tx, r, payload)
}

// lookupIdem returns the newest stored event of hookID whose
// idempotency index key (idemKey) is ik, if ik is not empty and there is
// such an event.
func lookupIdem(tx *bolt.Tx, hookID string, ik []byte) (idemEntry, bool, error) {
	if len(ik) == 0 {
		return idemEntry{}, false, nil
	}
	prev := tx.Bucket(bIdem).Get(ik)
	switch {
	case prev == nil:
		return idemEntry{}, false, nil
	case len(prev) < timeKeyLen:
		return idemEntry{}, false, fmt.Errorf("%w: idempotency entry of hook %q", ErrCorrupt, hookID)
	}
	return idemEntry{created: parseTime(prev), id: string(prev[timeKeyLen:])}, true, nil
}

// decideEnqueue is the outcome of an Enqueue of r: its ID when it is a
// new event, or an error wrapping store.ErrConflict when its ID is taken,
// or the ID of prev and an error wrapping store.ErrDuplicate when prev,
// the newest event with r's idempotency key (hasPrev), was created within
// the window that starts at since. The index names the newest event with
// a key: if that one is outside the window, so are all the others.
func decideEnqueue(r *eventRecord, since time.Time, taken bool, prev idemEntry, hasPrev bool) (string, error) {
	switch {
	case taken:
		return "", fmt.Errorf("boltstore: event ID %q in use: %w", r.ID, store.ErrConflict)
	case hasPrev && !prev.created.Before(since):
		return prev.id, fmt.Errorf("boltstore: event %q: %w", prev.id, store.ErrDuplicate)
	}
	return r.ID, nil
}

// insertEvent stores the event r, which the log writer accepted, with its
// payload: its records, its index entries, and its idempotency key's
// entry unless that names a newer event.
func insertEvent(tx *bolt.Tx, r *eventRecord, payload []byte) error {
	if err := putPayload(tx, []byte(r.ID), payload); err != nil {
		return err
	}
	if err := saveRecord(tx, nil, r); err != nil {
		return err
	}
	if r.IdempotencyKey == "" {
		return nil
	}
	ik := idemKey(r.HookID, r.IdempotencyKey)
	idem := tx.Bucket(bIdem)
	if prev := idem.Get(ik); len(prev) >= timeKeyLen && r.CreatedAt.Before(parseTime(prev)) {
		return nil
	}
	return idem.Put(ik, append(appendTime(nil, r.CreatedAt), r.ID...))
}

// Enqueue implements store.QueueStore. The event is written to the
// queue's log (see the package documentation), with the events of
// concurrent calls: one write and one fdatasync for the group; the
// committer applies it to the bbolt file later, and a read (GetEvent,
// ListEvents, CountEvents, Claim) sees it once Enqueue has returned. The
// store keeps e.Payload until the event is applied. ctx is honoured
// until the log writer takes the request; after that the call waits for
// the write and reports its outcome.
func (s *driver) Enqueue(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time) (string, error) {
	return s.enqueueLogged(ctx, e, dedupSince, false, 0)
}

// EnqueueClaimed implements store.LocalQueue: Enqueue of an event
// claimed in the same write. A store holds its file's lock, so no other
// process claims its events.
func (s *driver) EnqueueClaimed(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time, lease time.Duration) (string, error) {
	return s.enqueueLogged(ctx, e, dedupSince, true, lease)
}

// Claim implements store.QueueStore. Due events are taken by NextAttempt,
// then CreatedAt, then ID, from an index that holds only pending events;
// only their delivery states are written, their payloads only read. The
// claim shares its transaction and fsync with concurrent writes.
func (s *driver) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
	var out []*store.QueuedEvent
	err := s.write(ctx, func(tx *bolt.Tx) (error, error) {
		var err error
		out, err = claimTx(tx, now, lease, limit)
		// A failure may come after some events were changed: it is the
		// transaction's, so the group is retried request by request.
		return nil, err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// unreadableError is the LastError of an event Claim parks as dead
// because its stored record cannot be decoded.
const unreadableError = "unreadable record"

// claimTx claims up to limit due events inside tx. A due event whose
// record cannot be decoded, or whose payload is missing, is parked as dead
// in the same transaction (see parkUnreadable) and the claim goes on with
// the others, so that one damaged record does not stop every delivery.
func claimTx(tx *bolt.Tx, now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
	nowKey := appendTime(nil, now)
	out := make([]*store.QueuedEvent, 0, limit)
	// Claimed events are skipped by later rounds: with a lease of zero or
	// less they are due again at once and must not be taken twice.
	claimed := map[string]bool{}
	for len(out) < limit {
		// Collect first, change after: a cursor does not survive changes
		// to its bucket.
		var keys [][]byte
		c := tx.Bucket(bPending).Cursor()
		for k, _ := c.First(); k != nil && len(keys) < limit-len(out); k, _ = c.Next() {
			if len(k) >= 2*timeKeyLen && bytes.Compare(k[:timeKeyLen], nowKey) > 0 {
				break
			}
			if len(k) >= 2*timeKeyLen && claimed[string(k[2*timeKeyLen:])] {
				continue
			}
			keys = append(keys, bytes.Clone(k))
		}
		parked := 0
		for _, k := range keys {
			if len(k) < 2*timeKeyLen {
				// A malformed index entry names no event: drop it.
				if err := tx.Bucket(bPending).Delete(k); err != nil {
					return nil, err
				}
				parked++
				continue
			}
			id := string(k[2*timeKeyLen:])
			ev, err := claimOne(tx, id, now, lease)
			if errors.Is(err, ErrCorrupt) || errors.Is(err, store.ErrNotFound) {
				if err := parkUnreadable(tx, k, id, now); err != nil {
					return nil, err
				}
				parked++
				continue
			}
			if err != nil {
				return nil, err
			}
			claimed[id] = true
			out = append(out, ev)
		}
		if parked == 0 {
			break // the index held no more due events than were taken
		}
	}
	return out, nil
}

// claimOne leases the pending event id inside tx and returns it with a
// copy of its payload. It returns an error wrapping ErrCorrupt, and
// changes nothing, if the record cannot be decoded or has no payload.
func claimOne(tx *bolt.Tx, id string, now time.Time, lease time.Duration) (*store.QueuedEvent, error) {
	old, err := getRecord(tx, id)
	if err != nil {
		return nil, err
	}
	p, ok := getPayload(tx, []byte(id))
	if !ok {
		return nil, fmt.Errorf("%w: event %q: no payload", ErrCorrupt, id)
	}
	r := *old
	r.Attempts++
	r.Claimed = true
	r.NextAttempt = now.Add(lease)
	r.UpdatedAt = now
	if err := saveRecord(tx, old, &r); err != nil {
		return nil, err
	}
	return r.event(clonePayload(p)), nil
}

// parkUnreadable takes the event id, whose pending index entry is k, out
// of the pending index and stores it as dead with LastError
// unreadableError. The undecodable record's bytes become the dead
// event's payload when it has none, so that an admin can still look at
// them. Fields lost with an undecodable record are rebuilt from the
// indexes: CreatedAt from k, Org from the org/state index (found by a
// scan of that index, on this rare path only). An index entry without a
// record is dropped.
func parkUnreadable(tx *bolt.Tx, k []byte, id string, now time.Time) error {
	data := tx.Bucket(bStates).Get([]byte(id))
	if data == nil {
		return tx.Bucket(bPending).Delete(k)
	}
	if old, err := decodeRecord(id, data); err == nil {
		// Only the payload is missing: the dead event gets an empty one.
		if _, ok := getPayload(tx, []byte(id)); !ok {
			if err := putPayload(tx, []byte(id), []byte{}); err != nil {
				return err
			}
		}
		r := *old
		r.State, r.LastError, r.UpdatedAt, r.Claimed = store.StateDead, unreadableError, now, false
		if err := tx.Bucket(bPending).Delete(k); err != nil { // in case k is not old's own key
			return err
		}
		return saveRecord(tx, old, &r)
	}
	created := parseTime(k[timeKeyLen:])
	org, err := dropOrgStateEntry(tx, string(store.StatePending), created, id)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bPending).Delete(k); err != nil {
		return err
	}
	if err := addCount(tx, store.StatePending, -1); err != nil {
		return err
	}
	if _, ok := getPayload(tx, []byte(id)); !ok {
		if err := putPayload(tx, []byte(id), bytes.Clone(data)); err != nil {
			return err
		}
	}
	r := &eventRecord{ID: id, Org: org, State: store.StateDead, LastError: unreadableError,
		NextAttempt: parseTime(k), CreatedAt: created, UpdatedAt: now}
	return saveRecord(tx, nil, r)
}

// dropOrgStateEntry deletes the org/state index entry of event id in the
// given state, whatever its org, and returns that org ("" when there is
// no such entry). It scans the whole index.
func dropOrgStateEntry(tx *bolt.Tx, state string, created time.Time, id string) (string, error) {
	suffix := appendTime(nil, created)
	suffix = append(suffix, id...)
	c := tx.Bucket(bOrgState).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if !bytes.HasSuffix(k, suffix) {
			continue
		}
		org, rest, ok := cutLP(k)
		if !ok {
			continue
		}
		st, rest, ok := cutLP(rest)
		if !ok || st != state || !bytes.Equal(rest, suffix) {
			continue
		}
		return org, tx.Bucket(bOrgState).Delete(bytes.Clone(k))
	}
	return "", nil
}

// changeEvent loads the event's delivery state, lets fn change a copy,
// and saves it, in a transaction shared with concurrent writes.
func (s *driver) changeEvent(ctx context.Context, org *string, id string, fn func(ev *eventRecord) error) error {
	return s.write(ctx, func(tx *bolt.Tx) (error, error) {
		return changeEventTx(tx, org, id, fn)
	})
}

// changeEventTx is changeEvent inside tx. Not finding the event, and
// fn's error, are the request's own outcome and leave tx untouched.
func changeEventTx(tx *bolt.Tx, org *string, id string, fn func(ev *eventRecord) error) (reqErr, txErr error) {
	old, err := getRecord(tx, id)
	if err != nil {
		return err, nil
	}
	if org != nil && old.Org != *org {
		return notFound("event", id), nil
	}
	ev, err := changed(old, fn)
	if err != nil {
		return err, nil
	}
	return nil, saveRecord(tx, old, ev)
}

// changed returns a copy of old changed by fn, no longer claimed
// (whatever fn changed, no claim holds the event now), or fn's error.
func changed(old *eventRecord, fn func(ev *eventRecord) error) (*eventRecord, error) {
	ev := *old
	if err := fn(&ev); err != nil {
		return nil, err
	}
	ev.Claimed = false
	return &ev, nil
}

// checkClaim reports whether ev is still held by the claim that gave it
// the Attempts value attempts: store.ErrStale otherwise.
func checkClaim(ev *eventRecord, attempts int) error {
	if ev.State != store.StatePending || ev.Attempts != attempts {
		return fmt.Errorf("boltstore: event %q is %s at attempt %d, not pending at attempt %d: %w",
			ev.ID, ev.State, ev.Attempts, attempts, store.ErrStale)
	}
	return nil
}

// completeFn and failFn are the changes Complete and Fail make, for the
// claim identified by attempts.
func completeFn(attempts int, now time.Time) func(ev *eventRecord) error {
	return func(ev *eventRecord) error {
		if err := checkClaim(ev, attempts); err != nil {
			return err
		}
		ev.State = store.StateDelivered
		ev.UpdatedAt = now
		return nil
	}
}

func failFn(attempts int, lastError string, next time.Time, dead bool) func(ev *eventRecord) error {
	return func(ev *eventRecord) error {
		if err := checkClaim(ev, attempts); err != nil {
			return err
		}
		ev.LastError = lastError
		ev.NextAttempt = next
		ev.State = store.StatePending
		if dead {
			ev.State = store.StateDead
		}
		return nil
	}
}

// Complete implements store.QueueStore. The change is durable before
// Complete returns; it shares its transaction and fsync with concurrent
// writes (the next events' Enqueue, other workers' Complete).
func (s *driver) Complete(ctx context.Context, id string, attempts int, now time.Time) error {
	return s.changeEvent(ctx, nil, id, completeFn(attempts, now))
}

// CompleteLater implements store.LocalQueue: the completion waits, in
// memory, for the committer's next transaction (another caller's write),
// or for LazyDelay, or for Close, whichever comes first; it costs no
// commit and no fsync of its own under load. A completion lost to a
// crash before that commit means one more delivery of the event once its
// lease runs out.
func (s *driver) CompleteLater(id string, attempts int, now time.Time) {
	s.lazyMu.Lock()
	if s.lazyClosed {
		s.lazyMu.Unlock()
		return
	}
	s.lazy = append(s.lazy, lazyComplete{id: id, attempts: attempts, now: now})
	first := len(s.lazy) == 1
	s.lazyMu.Unlock()
	if first {
		kick(s.lazyKick)
	}
}

// FlushCompletions implements store.LocalQueue: an empty write, whose
// commit carries what CompleteLater left.
func (s *driver) FlushCompletions(ctx context.Context) error {
	return s.write(ctx, func(*bolt.Tx) (error, error) { return nil, nil })
}

// Fail implements store.QueueStore. It leaves UpdatedAt at the time of
// the claim, as it is given no clock reading.
func (s *driver) Fail(ctx context.Context, id string, attempts int, lastError string, next time.Time, dead bool) error {
	return s.changeEvent(ctx, nil, id, failFn(attempts, lastError, next, dead))
}

// GetEvent implements store.QueueStore.
func (s *driver) GetEvent(ctx context.Context, org, id string) (*store.QueuedEvent, error) {
	if err := s.waitApplied(ctx); err != nil {
		return nil, err
	}
	var out *store.QueuedEvent
	err := s.view(func(tx *bolt.Tx) error {
		ev, err := getEvent(tx, id)
		if err != nil {
			return err
		}
		if ev.Org != org {
			return notFound("event", id)
		}
		out = ev
		return nil
	})
	return out, err
}

// ListEvents implements store.QueueStore: newest (by CreatedAt, then ID)
// first, delivery states only. It walks the index of the org's events in
// each state asked for, backwards from q.Until or the cursor, and stops
// at q.Since or once it has q.Limit matches: the hook and idempotency key
// are checked on the (small) delivery state records it meets, so a
// filter by hook alone reads the org's records in the time range until
// the page is full.
func (s *driver) ListEvents(ctx context.Context, org string, q store.EventQuery) ([]*store.QueuedEvent, error) {
	states := []store.EventState{q.State}
	if q.State == "" {
		states = []store.EventState{store.StatePending, store.StateDelivered, store.StateDead}
	} else if _, ok := encodeState(q.State); !ok {
		return nil, nil
	}
	if err := s.waitApplied(ctx); err != nil {
		return nil, err
	}
	var out []*store.QueuedEvent
	err := s.view(func(tx *bolt.Tx) error {
		for _, st := range states {
			evs, err := listState(tx, org, st, &q)
			if err != nil {
				return err
			}
			out = append(out, evs...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(states) > 1 {
		slices.SortFunc(out, func(a, b *store.QueuedEvent) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			return strings.Compare(b.ID, a.ID)
		})
		if q.Limit > 0 && len(out) > q.Limit {
			out = out[:q.Limit]
		}
	}
	return out, nil
}

// listState returns up to q.Limit of the org's events in state st that q
// matches, newest first, from the bOrgState index.
func listState(tx *bolt.Tx, org string, st store.EventState, q *store.EventQuery) ([]*store.QueuedEvent, error) {
	prefix := orgStatePrefix(org, string(st))
	// upper is a key above every one the list may return.
	upper := prefixEnd(prefix)
	if !q.Until.IsZero() {
		upper = appendTime(bytes.Clone(prefix), q.Until)
	}
	if q.After.ID != "" {
		if k := orgStateKey(org, string(st), q.After.CreatedAt, q.After.ID); upper == nil || bytes.Compare(k, upper) < 0 {
			upper = k
		}
	}
	var since []byte
	if !q.Since.IsZero() {
		since = appendTime(bytes.Clone(prefix), q.Since)
	}
	c := tx.Bucket(bOrgState).Cursor()
	var k []byte
	if upper == nil {
		k, _ = c.Last()
	} else if k, _ = c.Seek(upper); k == nil {
		k, _ = c.Last()
	} else {
		k, _ = c.Prev()
	}
	var out []*store.QueuedEvent
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		if q.Limit > 0 && len(out) >= q.Limit {
			break
		}
		if since != nil && bytes.Compare(k, since) < 0 {
			break
		}
		r, err := getRecord(tx, string(k[len(prefix)+timeKeyLen:]))
		if err != nil {
			return nil, err
		}
		if ev := r.event(nil); q.Match(ev) {
			out = append(out, ev)
		}
	}
	return out, nil
}

// Replay implements store.QueueStore.
func (s *driver) Replay(ctx context.Context, org, id string, now time.Time) error {
	return s.changeEvent(ctx, &org, id, func(ev *eventRecord) error {
		if ev.State != store.StateDead {
			return fmt.Errorf("boltstore: event %q is %s, not dead: %w", id, ev.State, store.ErrConflict)
		}
		ev.State = store.StatePending
		ev.Attempts = 0
		ev.NextAttempt = now
		ev.UpdatedAt = now
		return nil
	})
}

// Prune implements store.QueueStore. It walks an index of delivered
// events ordered by UpdatedAt, so it reads only what it deletes, and
// never reads a payload (a large one's pages are freed unread).
func (s *driver) Prune(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *bolt.Tx) (error, error) {
		n = 0
		beforeKey := appendTime(nil, before)
		var ids []string
		c := tx.Bucket(bDelivered).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:min(len(k), timeKeyLen)], beforeKey) < 0; k, _ = c.Next() {
			ids = append(ids, string(k[min(len(k), timeKeyLen):]))
		}
		for _, id := range ids {
			ev, err := getRecord(tx, id)
			if err != nil {
				return nil, err
			}
			if ev.IdempotencyKey != "" {
				ik := idemKey(ev.HookID, ev.IdempotencyKey)
				if v := tx.Bucket(bIdem).Get(ik); len(v) >= timeKeyLen && string(v[timeKeyLen:]) == id {
					if err := tx.Bucket(bIdem).Delete(ik); err != nil {
						return nil, err
					}
				}
			}
			if err := unindexEvent(tx, ev); err != nil {
				return nil, err
			}
			if err := tx.Bucket(bStates).Delete([]byte(id)); err != nil {
				return nil, err
			}
			if err := deletePayload(tx, []byte(id)); err != nil {
				return nil, err
			}
			n++
		}
		return nil, nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// CountEvents implements store.QueueStore; it reads a counter kept with
// the events, not the events.
func (s *driver) CountEvents(ctx context.Context, state store.EventState) (int, error) {
	if err := s.waitApplied(ctx); err != nil {
		return 0, err
	}
	n := 0
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bCounts).Get([]byte(state)); len(v) == 8 {
			n = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return n, err
}

// releaseClaims makes the pending events a claim holds due at the time of
// that claim (their UpdatedAt), instead of when the lease runs out. Open
// runs it: a store holds its file's lock, so the claimers of a previous
// run are gone (killed, most likely) and waiting for their leases would
// only delay deliveries. Undecodable records are left to Claim, which
// parks them.
func releaseClaims(tx *bolt.Tx) error {
	var ids []string
	c := tx.Bucket(bPending).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) > 2*timeKeyLen {
			ids = append(ids, string(k[2*timeKeyLen:]))
		}
	}
	for _, id := range ids {
		old, err := getRecord(tx, id)
		if err != nil || !old.Claimed || old.State != store.StatePending {
			continue
		}
		r := *old
		r.Claimed = false
		r.NextAttempt = old.UpdatedAt
		if err := saveRecord(tx, old, &r); err != nil {
			return err
		}
	}
	return nil
}
