package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/inbound-hooks/inbound/store"
)

// Options configures Open. The zero value (or nil) works.
type Options struct {
	// Timeout is how long Open waits for the file lock held by another
	// process or Store before failing with ErrLocked. Zero or negative
	// means 1 second; Open never waits forever.
	Timeout time.Duration
	// FileMode is the permission of a new database file; zero means 0600.
	FileMode os.FileMode
	// NoSync skips fsync after each commit. It is UNSAFE: a crash or power
	// loss can lose acknowledged events or corrupt the file. It exists for
	// tests only.
	NoSync bool
	// MaxBatch caps how many concurrent queue writes (Enqueue, Claim,
	// Complete, Fail, Replay) and AppendDebug calls share one commit; zero
	// or negative means 256.
	MaxBatch int
}

// Limits on the strings that become parts of index keys.
const (
	maxIDLen  = 1024 // IDs, orgs, tokens, hook IDs
	maxKeyLen = 4096 // idempotency keys
)

// Store is a store.Store in one bbolt file. It is safe for concurrent use
// within one process; see the package documentation for the caveats.
type Store struct {
	db       *bolt.DB
	maxBatch int

	mu     sync.RWMutex // held for reading by every call, for writing by Close
	closed bool

	reqs chan *writeReq // to the committer; unbuffered
	quit chan struct{}  // closed by Close to stop the committer
	done chan struct{}  // closed by the committer when it stops

	// Test hooks, set before the first write and only read by the
	// committer: beforeDrain runs after it takes a batch's first request,
	// onCommit after each group transaction with the batch size.
	beforeDrain func()
	onCommit    func(n int)
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path. It fails with
// ErrLocked when the file is held by another process or Store for longer
// than opts.Timeout.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	if o.FileMode == 0 {
		o.FileMode = 0o600
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 256
	}
	db, err := bolt.Open(path, o.FileMode, &bolt.Options{
		Timeout:      o.Timeout,
		NoSync:       o.NoSync,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, fmt.Errorf("%w: %s (waited %v for its lock)", ErrLocked, path, o.Timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		switch v := meta.Get(keyVersion); {
		case v == nil:
			return meta.Put(keyVersion, fileVersion)
		case !bytes.Equal(v, fileVersion):
			return fmt.Errorf("%w: %q, want %q", ErrVersion, v, fileVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("boltstore: open %s: %w", path, err)
	}
	s := &Store{
		db:       db,
		maxBatch: o.MaxBatch,
		reqs:     make(chan *writeReq),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	go s.commitLoop()
	return s, nil
}

// Close waits for calls in progress, stops the committer and closes the
// file. Later calls return store.ErrClosed, as does a second Close.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return store.ErrClosed
	}
	s.closed = true
	s.mu.Unlock()
	close(s.quit)
	<-s.done
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("boltstore: close: %w", err)
	}
	return nil
}

// enter checks ctx and takes the read lock; the caller must call s.leave.
func (s *Store) enter(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return store.ErrClosed
	}
	return nil
}

func (s *Store) leave() { s.mu.RUnlock() }

// view and update run fn in a transaction after enter.
func (s *Store) view(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := s.enter(ctx); err != nil {
		return err
	}
	defer s.leave()
	return s.db.View(fn)
}

func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	if err := s.enter(ctx); err != nil {
		return err
	}
	defer s.leave()
	return s.db.Update(fn)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("boltstore: %s: %w", fmt.Sprintf(format, args...), store.ErrInvalid)
}

func notFound(what, id string) error {
	return fmt.Errorf("boltstore: %s %q: %w", what, id, store.ErrNotFound)
}

func checkID(what, id string) error {
	if id == "" {
		return invalid("%s is empty", what)
	}
	if len(id) > maxIDLen {
		return invalid("%s is longer than %d bytes", what, maxIDLen)
	}
	return nil
}

func checkLen(what, s string, limit int) error {
	if len(s) > limit {
		return invalid("%s is longer than %d bytes", what, limit)
	}
	return nil
}

func put(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("boltstore: encode: %w", err)
	}
	return b.Put(k, data)
}

// ---- hooks ----

func checkHook(h *store.Hook) error {
	if h == nil {
		return invalid("nil hook")
	}
	if err := checkID("hook ID", h.ID); err != nil {
		return err
	}
	if err := checkID("hook token", h.Token); err != nil {
		return err
	}
	return checkLen("org", h.Org, maxIDLen)
}

func getHook(tx *bolt.Tx, id string) (*store.Hook, error) {
	data := tx.Bucket(bHooks).Get([]byte(id))
	if data == nil {
		return nil, notFound("hook", id)
	}
	var h store.Hook
	if err := decode("hook", []byte(id), data, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// CreateHook implements store.HookStore.
func (s *Store) CreateHook(ctx context.Context, h *store.Hook) error {
	if err := checkHook(h); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bHooks).Get([]byte(h.ID)) != nil {
			return fmt.Errorf("boltstore: hook ID %q in use: %w", h.ID, store.ErrConflict)
		}
		if tx.Bucket(bTokens).Get([]byte(h.Token)) != nil {
			return fmt.Errorf("boltstore: hook token in use: %w", store.ErrConflict)
		}
		rec := *h
		rec.Revision = 0
		if err := put(tx.Bucket(bHooks), []byte(h.ID), &rec); err != nil {
			return err
		}
		if err := tx.Bucket(bTokens).Put([]byte(h.Token), []byte(h.ID)); err != nil {
			return err
		}
		return tx.Bucket(bHookOrg).Put(orgKey(h.Org, h.CreatedAt, h.ID), nil)
	})
}

// GetHook implements store.HookStore.
func (s *Store) GetHook(ctx context.Context, org, id string) (*store.Hook, error) {
	var h *store.Hook
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		h, err = getHook(tx, id)
		if err == nil && h.Org != org {
			h, err = nil, notFound("hook", id)
		}
		return err
	})
	return h, err
}

// HookByToken implements store.HookStore.
func (s *Store) HookByToken(ctx context.Context, token string) (*store.Hook, error) {
	var h *store.Hook
	err := s.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket(bTokens).Get([]byte(token))
		if id == nil {
			return fmt.Errorf("boltstore: hook token: %w", store.ErrNotFound)
		}
		var err error
		h, err = getHook(tx, string(id))
		return err
	})
	return h, err
}

// ListHooks implements store.HookStore.
func (s *Store) ListHooks(ctx context.Context, org string) ([]*store.Hook, error) {
	var out []*store.Hook
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := appendLP(nil, org)
		c := tx.Bucket(bHookOrg).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			h, err := getHook(tx, string(k[len(prefix)+timeKeyLen:]))
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return nil
	})
	return out, err
}

// UpdateHook implements store.HookStore.
func (s *Store) UpdateHook(ctx context.Context, h *store.Hook) error {
	if err := checkHook(h); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getHook(tx, h.ID)
		if err != nil {
			return err
		}
		if old.Org != h.Org {
			return notFound("hook", h.ID)
		}
		if old.Revision != h.Revision {
			return fmt.Errorf("boltstore: hook %q is at revision %d, not %d: %w", h.ID, old.Revision, h.Revision, store.ErrStale)
		}
		tokens := tx.Bucket(bTokens)
		if old.Token != h.Token {
			if tokens.Get([]byte(h.Token)) != nil {
				return fmt.Errorf("boltstore: hook token in use: %w", store.ErrConflict)
			}
			if err := tokens.Delete([]byte(old.Token)); err != nil {
				return err
			}
			if err := tokens.Put([]byte(h.Token), []byte(h.ID)); err != nil {
				return err
			}
		}
		if !old.CreatedAt.Equal(h.CreatedAt) {
			if err := tx.Bucket(bHookOrg).Delete(orgKey(old.Org, old.CreatedAt, old.ID)); err != nil {
				return err
			}
			if err := tx.Bucket(bHookOrg).Put(orgKey(h.Org, h.CreatedAt, h.ID), nil); err != nil {
				return err
			}
		}
		rec := *h
		rec.Revision = old.Revision + 1
		return put(tx.Bucket(bHooks), []byte(h.ID), &rec)
	})
}

// DeleteHook implements store.HookStore.
func (s *Store) DeleteHook(ctx context.Context, org, id string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getHook(tx, id)
		if err != nil {
			return err
		}
		if old.Org != org {
			return notFound("hook", id)
		}
		if err := tx.Bucket(bTokens).Delete([]byte(old.Token)); err != nil {
			return err
		}
		if err := tx.Bucket(bHookOrg).Delete(orgKey(old.Org, old.CreatedAt, old.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bHooks).Delete([]byte(id)); err != nil {
			return err
		}
		return clearDebug(tx, id)
	})
}

// ---- keys ----

func getKey(tx *bolt.Tx, id string) (*store.Key, error) {
	data := tx.Bucket(bKeys).Get([]byte(id))
	if data == nil {
		return nil, notFound("key", id)
	}
	var k store.Key
	if err := decode("key", []byte(id), data, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateKey implements store.KeyStore.
func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	if k == nil {
		return invalid("nil key")
	}
	if err := checkID("key ID", k.ID); err != nil {
		return err
	}
	if err := checkLen("org", k.Org, maxIDLen); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bKeys).Get([]byte(k.ID)) != nil {
			return fmt.Errorf("boltstore: key ID %q in use: %w", k.ID, store.ErrConflict)
		}
		if err := put(tx.Bucket(bKeys), []byte(k.ID), k); err != nil {
			return err
		}
		return tx.Bucket(bKeyOrg).Put(orgKey(k.Org, k.CreatedAt, k.ID), nil)
	})
}

// GetKey implements store.KeyStore.
func (s *Store) GetKey(ctx context.Context, id string) (*store.Key, error) {
	var k *store.Key
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var err error
		k, err = getKey(tx, id)
		return err
	})
	return k, err
}

// ListKeys implements store.KeyStore.
func (s *Store) ListKeys(ctx context.Context, org string) ([]*store.Key, error) {
	var out []*store.Key
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := appendLP(nil, org)
		c := tx.Bucket(bKeyOrg).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			key, err := getKey(tx, string(k[len(prefix)+timeKeyLen:]))
			if err != nil {
				return err
			}
			out = append(out, key)
		}
		return nil
	})
	return out, err
}

// DeleteKey implements store.KeyStore.
func (s *Store) DeleteKey(ctx context.Context, org, id string) error {
	return s.update(ctx, func(tx *bolt.Tx) error {
		old, err := getKey(tx, id)
		if err != nil {
			return err
		}
		if old.Org != org {
			return notFound("key", id)
		}
		if err := tx.Bucket(bKeyOrg).Delete(orgKey(old.Org, old.CreatedAt, old.ID)); err != nil {
			return err
		}
		return tx.Bucket(bKeys).Delete([]byte(id))
	})
}

// ---- debug entries ----

// AppendDebug implements store.DebugStore. A hook's entries are kept in
// its own nested bucket ordered by entry ID (which callers make
// time-sortable); an entry with an ID already stored replaces it.
func (s *Store) AppendDebug(ctx context.Context, e *store.DebugEntry, keep int) error {
	if e == nil {
		return invalid("nil debug entry")
	}
	if err := checkID("debug entry ID", e.ID); err != nil {
		return err
	}
	if err := checkID("debug entry hook ID", e.HookID); err != nil {
		return err
	}
	keep = max(keep, 1)
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("boltstore: encode: %w", err)
	}
	// Every failure below is the transaction's: the group is retried
	// request by request.
	hookID, id := []byte(e.HookID), []byte(e.ID)
	return s.write(ctx, func(tx *bolt.Tx) (error, error) {
		return nil, appendDebugTx(tx, hookID, id, data, keep)
	})
}

// appendDebugTx stores the encoded entry data under id in the hook's
// bucket and drops the hook's oldest entries beyond keep.
func appendDebugTx(tx *bolt.Tx, hookID, id, data []byte, keep int) error {
	b, err := tx.Bucket(bDebug).CreateBucketIfNotExists(hookID)
	if err != nil {
		return err
	}
	if err := b.Put(id, data); err != nil {
		return err
	}
	n := 0
	c := b.Cursor()
	for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
		n++
	}
	var drop [][]byte
	for k, _ := c.First(); k != nil && n > keep; k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
		n--
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// ListDebug implements store.DebugStore.
func (s *Store) ListDebug(ctx context.Context, hookID string) ([]*store.DebugEntry, error) {
	var out []*store.DebugEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bDebug).Bucket([]byte(hookID))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			var e store.DebugEntry
			if err := decode("debug entry", k, v, &e); err != nil {
				return err
			}
			out = append(out, &e)
		}
		return nil
	})
	return out, err
}

// GetDebug implements store.DebugStore.
func (s *Store) GetDebug(ctx context.Context, hookID, id string) (*store.DebugEntry, error) {
	var out *store.DebugEntry
	err := s.view(ctx, func(tx *bolt.Tx) error {
		var data []byte
		if b := tx.Bucket(bDebug).Bucket([]byte(hookID)); b != nil && id != "" {
			data = b.Get([]byte(id))
		}
		if data == nil {
			return notFound("debug entry", id)
		}
		var e store.DebugEntry
		if err := decode("debug entry", []byte(id), data, &e); err != nil {
			return err
		}
		out = &e
		return nil
	})
	return out, err
}

// ClearDebug implements store.DebugStore.
func (s *Store) ClearDebug(ctx context.Context, hookID string) error {
	return s.update(ctx, func(tx *bolt.Tx) error { return clearDebug(tx, hookID) })
}

func clearDebug(tx *bolt.Tx, hookID string) error {
	if hookID == "" {
		return nil
	}
	err := tx.Bucket(bDebug).DeleteBucket([]byte(hookID))
	if errors.Is(err, berrors.ErrBucketNotFound) {
		return nil
	}
	return err
}

// ---- queue ----

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

// saveEvent writes ev and its index entries and count; old, when not
// nil, is the stored version whose index entries it replaces. data is
// ev's encoding, or nil to have saveEvent encode it.
func saveEvent(tx *bolt.Tx, old, ev *eventRecord, data []byte) error {
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
	if data == nil {
		var err error
		if data, err = ev.encode(); err != nil {
			return err
		}
	}
	return tx.Bucket(bEvents).Put([]byte(ev.ID), data)
}

func checkEvent(e *store.QueuedEvent) error {
	if e == nil {
		return invalid("nil event")
	}
	if err := checkID("event ID", e.ID); err != nil {
		return err
	}
	if err := checkLen("event org", e.Org, maxIDLen); err != nil {
		return err
	}
	if err := checkLen("event hook ID", e.HookID, maxIDLen); err != nil {
		return err
	}
	return checkLen("idempotency key", e.IdempotencyKey, maxKeyLen)
}

// newPending returns the record Enqueue stores for e, and its encoding:
// e as a pending event with no attempts yet.
func newPending(e *store.QueuedEvent) (*eventRecord, []byte, error) {
	r, err := newRecord(e)
	if err != nil {
		return nil, nil, err
	}
	r.State = store.StatePending
	r.Attempts = 0
	r.LastError = ""
	data, err := r.encode()
	if err != nil {
		return nil, nil, err
	}
	return r, data, nil
}

// enqueueTx applies one Enqueue of e (made by newPending, with its
// encoding data) inside tx. reqErr is the request's own outcome (a
// conflict or a duplicate) and leaves tx untouched; txErr means the
// transaction itself failed.
func enqueueTx(tx *bolt.Tx, e *eventRecord, data []byte, dedupSince time.Time) (id string, reqErr, txErr error) {
	if tx.Bucket(bEvents).Get([]byte(e.ID)) != nil {
		return "", fmt.Errorf("boltstore: event ID %q in use: %w", e.ID, store.ErrConflict), nil
	}
	idem := tx.Bucket(bIdem)
	var ik []byte
	replaceIdem := false
	if e.IdempotencyKey != "" {
		ik = idemKey(e.HookID, e.IdempotencyKey)
		prev := idem.Get(ik)
		switch {
		case prev == nil:
			replaceIdem = true
		case len(prev) < timeKeyLen:
			return "", nil, fmt.Errorf("%w: idempotency entry of hook %q", ErrCorrupt, e.HookID)
		default:
			prevCreated := parseTime(prev)
			if !prevCreated.Before(dedupSince) {
				prevID := string(prev[timeKeyLen:])
				return prevID, fmt.Errorf("boltstore: event %q: %w", prevID, store.ErrDuplicate), nil
			}
			// The index names the newest event with the key: if that one
			// is outside a window, so are all the others.
			replaceIdem = !e.CreatedAt.Before(prevCreated)
		}
	}
	if err := saveEvent(tx, nil, e, data); err != nil {
		return "", nil, err
	}
	if replaceIdem {
		if err := idem.Put(ik, append(appendTime(nil, e.CreatedAt), e.ID...)); err != nil {
			return "", nil, err
		}
	}
	return e.ID, nil, nil
}

// Enqueue implements store.QueueStore. Concurrent calls share one
// transaction and one fsync with each other and with the other queue
// writes (group commit); a call returns once its event is durable. ctx is
// honoured until the committer takes the request; after that the call
// waits for the commit and reports its outcome.
func (s *Store) Enqueue(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time) (string, error) {
	if err := checkEvent(e); err != nil {
		return "", err
	}
	// Encode here, in the caller's goroutine, not in the committer's.
	rec, data, err := newPending(e)
	if err != nil {
		return "", err
	}
	var id string
	err = s.write(ctx, func(tx *bolt.Tx) (reqErr, txErr error) {
		id, reqErr, txErr = enqueueTx(tx, rec, data, dedupSince)
		return reqErr, txErr
	})
	return id, err
}

// Claim implements store.QueueStore. Due events are taken by NextAttempt,
// then CreatedAt, then ID, from an index that holds only pending events.
// The claim shares its transaction and fsync with concurrent writes.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
	if limit < 1 {
		if err := s.enter(ctx); err != nil {
			return nil, err
		}
		s.leave()
		return nil, nil
	}
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
// record cannot be decoded is parked as dead in the same transaction (see
// parkUnreadable) and the claim goes on with the others, so that one
// damaged record does not stop every delivery.
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

// claimOne leases the pending event id inside tx and returns it. It
// returns an error wrapping ErrCorrupt, and changes nothing, if the
// record or its payload cannot be decoded.
func claimOne(tx *bolt.Tx, id string, now time.Time, lease time.Duration) (*store.QueuedEvent, error) {
	old, err := getRecord(tx, id)
	if err != nil {
		return nil, err
	}
	r := *old
	r.Attempts++
	r.NextAttempt = now.Add(lease)
	r.UpdatedAt = now
	ev, err := r.event() // decoded now: a corrupt payload is found here
	if err != nil {
		return nil, err
	}
	if err := saveEvent(tx, old, &r, nil); err != nil {
		return nil, err
	}
	return ev, nil
}

// parkUnreadable takes the event id, whose pending index entry is k, out
// of the pending index and stores it as dead with LastError
// unreadableError. The stored bytes that could not be decoded (the whole
// record, or only its payload) become the dead event's Payload, so that an
// admin can still look at them. Fields lost with an undecodable record are
// rebuilt from the indexes: CreatedAt from k, Org from the org/state
// index (found by a scan of that index, on this rare path only). An index
// entry without a record is dropped.
func parkUnreadable(tx *bolt.Tx, k []byte, id string, now time.Time) error {
	data := tx.Bucket(bEvents).Get([]byte(id))
	if data == nil {
		return tx.Bucket(bPending).Delete(k)
	}
	var old eventRecord
	if json.Unmarshal(data, &old) == nil {
		// Only the payload is unreadable.
		raw, err := json.Marshal([]byte(old.Payload))
		if err != nil {
			return fmt.Errorf("boltstore: encode: %w", err)
		}
		r := old
		r.Payload, r.State, r.LastError, r.UpdatedAt = raw, store.StateDead, unreadableError, now
		if err := tx.Bucket(bPending).Delete(k); err != nil { // in case k is not old's own key
			return err
		}
		return saveEvent(tx, &old, &r, nil)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("boltstore: encode: %w", err)
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
	r := &eventRecord{ID: id, Org: org, Payload: raw, State: store.StateDead, LastError: unreadableError,
		NextAttempt: parseTime(k), CreatedAt: created, UpdatedAt: now}
	return saveEvent(tx, nil, r, nil)
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

// cutLP is the inverse of appendLP: it returns the first field of b and
// the bytes after it.
func cutLP(b []byte) (string, []byte, bool) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)-w) {
		return "", nil, false
	}
	return string(b[w : w+int(n)]), b[w+int(n):], true
}

// changeEvent loads the event, lets fn change a copy, and saves it, in a
// transaction shared with concurrent writes. fn must not keep ev.
func (s *Store) changeEvent(ctx context.Context, org *string, id string, fn func(ev *eventRecord) error) error {
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
	ev := *old
	if err := fn(&ev); err != nil {
		return err, nil
	}
	return nil, saveEvent(tx, old, &ev, nil)
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
func (s *Store) Complete(ctx context.Context, id string, attempts int, now time.Time) error {
	return s.changeEvent(ctx, nil, id, completeFn(attempts, now))
}

// Fail implements store.QueueStore. It leaves UpdatedAt at the time of
// the claim, as it is given no clock reading.
func (s *Store) Fail(ctx context.Context, id string, attempts int, lastError string, next time.Time, dead bool) error {
	return s.changeEvent(ctx, nil, id, failFn(attempts, lastError, next, dead))
}

// GetEvent implements store.QueueStore.
func (s *Store) GetEvent(ctx context.Context, org, id string) (*store.QueuedEvent, error) {
	var out *store.QueuedEvent
	err := s.view(ctx, func(tx *bolt.Tx) error {
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
// first. A limit below 1 means no limit.
func (s *Store) ListEvents(ctx context.Context, org string, state store.EventState, limit int) ([]*store.QueuedEvent, error) {
	var out []*store.QueuedEvent
	err := s.view(ctx, func(tx *bolt.Tx) error {
		prefix := orgStatePrefix(org, string(state))
		c := tx.Bucket(bOrgState).Cursor()
		var k []byte
		if end := prefixEnd(prefix); end == nil {
			k, _ = c.Last()
		} else if k, _ = c.Seek(end); k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			if limit > 0 && len(out) >= limit {
				break
			}
			ev, err := getEvent(tx, string(k[len(prefix)+timeKeyLen:]))
			if err != nil {
				return err
			}
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}

// Replay implements store.QueueStore.
func (s *Store) Replay(ctx context.Context, org, id string, now time.Time) error {
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
// events ordered by UpdatedAt, so it reads only what it deletes.
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	n := 0
	err := s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		beforeKey := appendTime(nil, before)
		var ids []string
		c := tx.Bucket(bDelivered).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:min(len(k), timeKeyLen)], beforeKey) < 0; k, _ = c.Next() {
			ids = append(ids, string(k[min(len(k), timeKeyLen):]))
		}
		for _, id := range ids {
			ev, err := getRecord(tx, id) // the payload is not needed
			if err != nil {
				return err
			}
			if ev.IdempotencyKey != "" {
				ik := idemKey(ev.HookID, ev.IdempotencyKey)
				if v := tx.Bucket(bIdem).Get(ik); len(v) >= timeKeyLen && string(v[timeKeyLen:]) == id {
					if err := tx.Bucket(bIdem).Delete(ik); err != nil {
						return err
					}
				}
			}
			if err := unindexEvent(tx, ev); err != nil {
				return err
			}
			if err := tx.Bucket(bEvents).Delete([]byte(id)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// CountEvents implements store.QueueStore; it reads a counter kept with
// the events, not the events.
func (s *Store) CountEvents(ctx context.Context, state store.EventState) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bolt.Tx) error {
		if v := tx.Bucket(bCounts).Get([]byte(state)); len(v) == 8 {
			n = int(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return n, err
}
