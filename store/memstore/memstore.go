package memstore

import (
	"container/heap"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// driver is the in-memory store, which New puts behind the portable
// layer (store.Portable). It is safe for concurrent use.
type driver struct {
	mu     sync.RWMutex
	closed bool
	hooks  map[string]*store.Hook         // by ID
	tokens map[string]string              // token -> hook ID
	keys   map[string]*store.Key          // by ID
	debug  map[string][]*store.DebugEntry // by hook ID, oldest first
	events map[string]*store.QueuedEvent  // by ID
	idem   map[idemKey]string             // hook+key -> newest event ID
	seen   map[idemKey]seenKey            // hook+key -> IdempotencyStore record
	counts map[store.EventState]int       // events per state

	// The pending index (see pendingIndex): pendingSet maps each pending
	// event's ID to the generation of its current entry in pending.
	pending    pendingIndex
	pendingSet map[string]uint64
	gen        uint64 // the last generation handed out
}

type idemKey struct{ hookID, key string }

var (
	_ store.KeyUsageStore = (*driver)(nil)
	_ store.Store         = (*driver)(nil)
	_ store.LocalQueue    = (*driver)(nil)
)

// New returns an empty in-memory store.Store, behind the portable layer
// (store.Portable). store.As finds its store.LocalQueue,
// store.IdempotencyStore and store.KeyUsageStore.
func New() store.Store { return store.Portable(newDriver()) }

func newDriver() *driver {
	return &driver{
		hooks:  map[string]*store.Hook{},
		tokens: map[string]string{},
		keys:   map[string]*store.Key{},
		debug:  map[string][]*store.DebugEntry{},
		events: map[string]*store.QueuedEvent{},
		idem:   map[idemKey]string{},
		seen:   map[idemKey]seenKey{},
		counts: map[store.EventState]int{},

		pendingSet: map[string]uint64{},
	}
}

// Close empties the store; later calls of any method return
// store.ErrClosed. Closing twice returns store.ErrClosed.
func (s *driver) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	s.closed = true
	s.hooks, s.tokens, s.keys, s.debug = nil, nil, nil, nil
	s.events, s.idem, s.seen, s.counts = nil, nil, nil, nil
	s.pending, s.pendingSet = nil, nil
	return nil
}

// read takes the read lock and reports ErrClosed; the caller unlocks.
// (The portable layer checked ctx.)
func (s *driver) read() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

// write takes the write lock and reports ErrClosed; the caller unlocks.
func (s *driver) write() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	return nil
}

func notFound(what, id string) error {
	return fmt.Errorf("memstore: %s %q: %w", what, id, store.ErrNotFound)
}

// copyHook returns a deep copy of h, a caller's record the store keeps.
func copyHook(h *store.Hook) *store.Hook {
	c := *h
	c.ExampleData = slices.Clone(h.ExampleData)
	c.Settings = slices.Clone(h.Settings)
	return &c
}

// returnHook returns a copy of a kept record for a caller: it shares the
// record's ExampleData and Settings, which are read-only in returned
// records (store.Hook) and never changed in place here (an update keeps
// a new copy).
func returnHook(h *store.Hook) *store.Hook {
	c := *h
	return &c
}

func copyKey(k *store.Key) *store.Key {
	c := *k
	c.Roles = slices.Clone(k.Roles)
	c.Hash = slices.Clone(k.Hash)
	return &c
}

func copyDebug(e *store.DebugEntry) *store.DebugEntry {
	c := *e
	c.Data = slices.Clone(e.Data)
	return &c
}

// copyEvent copies e's delivery state; the payload is shared, as the
// contract makes returned payloads read-only.
func copyEvent(e *store.QueuedEvent) *store.QueuedEvent {
	c := *e
	return &c
}

// byCreated orders records by creation time, then ID.
func byCreated(at, bt time.Time, aid, bid string) int {
	if c := at.Compare(bt); c != 0 {
		return c
	}
	return strings.Compare(aid, bid)
}

// CreateHook implements store.HookStore.
func (s *driver) CreateHook(ctx context.Context, h *store.Hook) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.hooks[h.ID]; ok {
		return fmt.Errorf("memstore: hook ID %q in use: %w", h.ID, store.ErrConflict)
	}
	if _, ok := s.tokens[h.Token]; ok {
		return fmt.Errorf("memstore: hook token in use: %w", store.ErrConflict)
	}
	c := copyHook(h)
	c.Revision = 0
	s.hooks[h.ID] = c
	s.tokens[h.Token] = h.ID
	return nil
}

// GetHook implements store.HookStore.
func (s *driver) GetHook(ctx context.Context, org, id string) (*store.Hook, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	h, ok := s.hooks[id]
	if !ok || h.Org != org {
		return nil, notFound("hook", id)
	}
	return returnHook(h), nil
}

// HookByToken implements store.HookStore.
func (s *driver) HookByToken(ctx context.Context, token string) (*store.Hook, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	id, ok := s.tokens[token]
	if !ok {
		return nil, fmt.Errorf("memstore: hook token: %w", store.ErrNotFound)
	}
	return returnHook(s.hooks[id]), nil
}

// ListHooks implements store.HookStore.
func (s *driver) ListHooks(ctx context.Context, org string) ([]*store.Hook, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*store.Hook
	for _, h := range s.hooks {
		if h.Org == org {
			out = append(out, returnHook(h))
		}
	}
	slices.SortFunc(out, func(a, b *store.Hook) int { return byCreated(a.CreatedAt, b.CreatedAt, a.ID, b.ID) })
	return out, nil
}

// UpdateHook implements store.HookStore.
func (s *driver) UpdateHook(ctx context.Context, h *store.Hook) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	old, ok := s.hooks[h.ID]
	if !ok || old.Org != h.Org {
		return notFound("hook", h.ID)
	}
	if old.Revision != h.Revision {
		return fmt.Errorf("memstore: hook %q is at revision %d, not %d: %w", h.ID, old.Revision, h.Revision, store.ErrStale)
	}
	if h.Token != old.Token {
		if _, ok := s.tokens[h.Token]; ok {
			return fmt.Errorf("memstore: hook token in use: %w", store.ErrConflict)
		}
		delete(s.tokens, old.Token)
		s.tokens[h.Token] = h.ID
	}
	c := copyHook(h)
	c.Revision = old.Revision + 1
	s.hooks[h.ID] = c
	return nil
}

// DeleteHook implements store.HookStore.
func (s *driver) DeleteHook(ctx context.Context, org, id string) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	if !ok || h.Org != org {
		return notFound("hook", id)
	}
	delete(s.tokens, h.Token)
	delete(s.hooks, id)
	delete(s.debug, id)
	return nil
}

// CreateKey implements store.KeyStore.
func (s *driver) CreateKey(ctx context.Context, k *store.Key) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if _, ok := s.keys[k.ID]; ok {
		return fmt.Errorf("memstore: key ID %q in use: %w", k.ID, store.ErrConflict)
	}
	c := copyKey(k)
	c.LastUsed = time.Time{}
	s.keys[k.ID] = c
	return nil
}

// TouchKey implements store.KeyUsageStore.
func (s *driver) TouchKey(ctx context.Context, id string, at time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	if k, ok := s.keys[id]; ok && at.After(k.LastUsed) {
		k.LastUsed = at
	}
	return nil
}

// GetKey implements store.KeyStore.
func (s *driver) GetKey(ctx context.Context, id string) (*store.Key, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	k, ok := s.keys[id]
	if !ok {
		return nil, notFound("key", id)
	}
	return copyKey(k), nil
}

// ListKeys implements store.KeyStore.
func (s *driver) ListKeys(ctx context.Context, org string) ([]*store.Key, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*store.Key
	for _, k := range s.keys {
		if k.Org == org {
			out = append(out, copyKey(k))
		}
	}
	slices.SortFunc(out, func(a, b *store.Key) int { return byCreated(a.CreatedAt, b.CreatedAt, a.ID, b.ID) })
	return out, nil
}

// DeleteKey implements store.KeyStore.
func (s *driver) DeleteKey(ctx context.Context, org, id string) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k, ok := s.keys[id]
	if !ok || k.Org != org {
		return notFound("key", id)
	}
	delete(s.keys, id)
	return nil
}

// AppendDebug implements store.DebugStore. Entries are ordered by ID,
// which callers make time-sortable; an entry whose ID is already stored
// for the hook replaces it.
func (s *driver) AppendDebug(ctx context.Context, e *store.DebugEntry, keep int) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	list := s.debug[e.HookID]
	i, found := slices.BinarySearchFunc(list, e.ID, func(d *store.DebugEntry, id string) int { return strings.Compare(d.ID, id) })
	if found {
		list[i] = copyDebug(e)
	} else {
		list = slices.Insert(list, i, copyDebug(e))
	}
	if len(list) > keep {
		list = slices.Clone(list[len(list)-keep:])
	}
	s.debug[e.HookID] = list
	return nil
}

// ListDebug implements store.DebugStore.
func (s *driver) ListDebug(ctx context.Context, hookID string) ([]*store.DebugEntry, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	list := s.debug[hookID]
	out := make([]*store.DebugEntry, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, copyDebug(list[i]))
	}
	return out, nil
}

// GetDebug implements store.DebugStore.
func (s *driver) GetDebug(ctx context.Context, hookID, id string) (*store.DebugEntry, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	for _, e := range s.debug[hookID] {
		if e.ID == id {
			return copyDebug(e), nil
		}
	}
	return nil, notFound("debug entry", id)
}

// ClearDebug implements store.DebugStore.
func (s *driver) ClearDebug(ctx context.Context, hookID string) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	delete(s.debug, hookID)
	return nil
}

// setState moves ev to state, keeping the counters right. The caller
// sets ev's other fields, then calls s.reindexEvent(ev).
func (s *driver) setState(ev *store.QueuedEvent, state store.EventState) {
	if ev.State != "" {
		s.counts[ev.State]--
	}
	ev.State = state
	s.counts[state]++
}

// reindexEvent updates the pending index after a change of ev's State or
// NextAttempt.
func (s *driver) reindexEvent(ev *store.QueuedEvent) {
	s.reindex(ev.ID, ev.State == store.StatePending, ev.NextAttempt, ev.CreatedAt)
}

// Enqueue implements store.QueueStore. The store keeps e.Payload as it
// is, without a copy.
func (s *driver) Enqueue(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time) (string, error) {
	return s.enqueue(ctx, e, dedupSince, false, 0)
}

// EnqueueClaimed implements store.LocalQueue: the event is stored already
// claimed, under the same lock as Enqueue.
func (s *driver) EnqueueClaimed(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time, lease time.Duration) (string, error) {
	return s.enqueue(ctx, e, dedupSince, true, lease)
}

// CompleteLater implements store.LocalQueue. A memory store has nothing
// to make durable, so it completes at once.
func (s *driver) CompleteLater(id string, attempts int, now time.Time) {
	_ = s.Complete(context.Background(), id, attempts, now)
}

// FlushCompletions implements store.LocalQueue; CompleteLater left
// nothing to commit.
func (s *driver) FlushCompletions(ctx context.Context) error {
	if err := s.read(); err != nil {
		return err
	}
	s.mu.RUnlock()
	return nil
}

func (s *driver) enqueue(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time, claim bool, lease time.Duration) (string, error) {
	if err := s.write(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	if _, ok := s.events[e.ID]; ok {
		return "", fmt.Errorf("memstore: event ID %q in use: %w", e.ID, store.ErrConflict)
	}
	ik := idemKey{e.HookID, e.IdempotencyKey}
	if e.IdempotencyKey != "" {
		if prev, ok := s.idem[ik]; ok {
			if p := s.events[prev]; p != nil && !p.CreatedAt.Before(dedupSince) {
				return prev, fmt.Errorf("memstore: event %q: %w", prev, store.ErrDuplicate)
			}
		}
	}
	ev := copyEvent(e)
	ev.State = ""
	ev.Attempts = 0
	ev.LastError = ""
	ev.PayloadSize = int64(len(e.Payload))
	if claim {
		ev.Attempts = 1
		ev.UpdatedAt = e.NextAttempt
		ev.NextAttempt = e.NextAttempt.Add(lease)
	}
	s.events[ev.ID] = ev
	s.setState(ev, store.StatePending)
	s.reindexEvent(ev)
	if e.IdempotencyKey != "" {
		// The index names the newest event with the key: if that one is
		// outside a window, so are all the others.
		if prev := s.events[s.idem[ik]]; prev == nil || !ev.CreatedAt.Before(prev.CreatedAt) {
			s.idem[ik] = ev.ID
		}
	}
	return ev.ID, nil
}

// Claim implements store.QueueStore. Due events are taken by NextAttempt,
// then CreatedAt, then ID, from a heap of pending events: a claim of k
// events costs O(k log n) (plus the stale entries it drops), whatever the
// backlog.
func (s *driver) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
	if err := s.write(); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	var due []*store.QueuedEvent
	for len(due) < limit && len(s.pending) > 0 {
		top := &s.pending[0]
		if !s.current(top) {
			heap.Pop(&s.pending)
			continue
		}
		if top.next.After(now) {
			break
		}
		due = append(due, s.events[top.id])
		heap.Pop(&s.pending)
	}
	// Re-index only after the walk: with a lease of zero or less a
	// claimed event is due again at once and must not be taken twice.
	out := make([]*store.QueuedEvent, len(due))
	for i, ev := range due {
		ev.Attempts++
		ev.NextAttempt = now.Add(lease)
		ev.UpdatedAt = now
		s.reindexEvent(ev)
		out[i] = copyEvent(ev)
	}
	return out, nil
}

// Complete implements store.QueueStore.
func (s *driver) Complete(ctx context.Context, id string, attempts int, now time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ev, err := s.claimed(id, attempts)
	if err != nil {
		return err
	}
	s.setState(ev, store.StateDelivered)
	ev.UpdatedAt = now
	s.reindexEvent(ev)
	return nil
}

// Fail implements store.QueueStore. It leaves UpdatedAt at the time of
// the claim, as it is given no clock reading.
func (s *driver) Fail(ctx context.Context, id string, attempts int, lastError string, next time.Time, dead bool) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ev, err := s.claimed(id, attempts)
	if err != nil {
		return err
	}
	ev.LastError = lastError
	ev.NextAttempt = next
	if dead {
		s.setState(ev, store.StateDead)
	} else {
		s.setState(ev, store.StatePending)
	}
	s.reindexEvent(ev)
	return nil
}

// claimed returns the event id if it is still held by the claim that
// gave it the Attempts value attempts; the caller holds the write lock.
func (s *driver) claimed(id string, attempts int) (*store.QueuedEvent, error) {
	ev, ok := s.events[id]
	if !ok {
		return nil, notFound("event", id)
	}
	if ev.State != store.StatePending || ev.Attempts != attempts {
		return nil, fmt.Errorf("memstore: event %q is %s at attempt %d, not pending at attempt %d: %w",
			id, ev.State, ev.Attempts, attempts, store.ErrStale)
	}
	return ev, nil
}

// GetEvent implements store.QueueStore.
func (s *driver) GetEvent(ctx context.Context, org, id string) (*store.QueuedEvent, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	ev, ok := s.events[id]
	if !ok || ev.Org != org {
		return nil, notFound("event", id)
	}
	return copyEvent(ev), nil
}

// ListEvents implements store.QueueStore: newest (by CreatedAt, then ID)
// first. It looks at every event of the store.
func (s *driver) ListEvents(ctx context.Context, org string, q store.EventQuery) ([]*store.QueuedEvent, error) {
	if err := s.read(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	var out []*store.QueuedEvent
	for _, ev := range s.events {
		if ev.Org == org && q.Match(ev) {
			out = append(out, ev)
		}
	}
	slices.SortFunc(out, func(a, b *store.QueuedEvent) int { return byCreated(b.CreatedAt, a.CreatedAt, b.ID, a.ID) })
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	for i, ev := range out {
		out[i] = copyEvent(ev)
		out[i].Payload = nil // a list carries delivery states only
	}
	return out, nil
}

// Replay implements store.QueueStore.
func (s *driver) Replay(ctx context.Context, org, id string, now time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	ev, ok := s.events[id]
	if !ok || ev.Org != org {
		return notFound("event", id)
	}
	if ev.State != store.StateDead {
		return fmt.Errorf("memstore: event %q is %s, not dead: %w", id, ev.State, store.ErrConflict)
	}
	s.setState(ev, store.StatePending)
	ev.Attempts = 0
	ev.NextAttempt = now
	ev.UpdatedAt = now
	s.reindexEvent(ev)
	return nil
}

// Prune implements store.QueueStore.
func (s *driver) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := s.write(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for id, ev := range s.events {
		if ev.State != store.StateDelivered || !ev.UpdatedAt.Before(before) {
			continue
		}
		ik := idemKey{ev.HookID, ev.IdempotencyKey}
		if ev.IdempotencyKey != "" && s.idem[ik] == id {
			delete(s.idem, ik)
		}
		s.counts[ev.State]--
		delete(s.events, id)
		n++
	}
	return n, nil
}

// CountEvents implements store.QueueStore.
func (s *driver) CountEvents(ctx context.Context, state store.EventState) (int, error) {
	if err := s.read(); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	return s.counts[state], nil
}
