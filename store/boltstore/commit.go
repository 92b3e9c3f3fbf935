package boltstore

import (
	"context"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// applyFunc applies one write request inside the group's transaction.
// reqErr is the request's own outcome (not found, a conflict, a
// duplicate) and must leave tx untouched, so that the other requests of
// the group still commit; txErr means tx may be half changed, so the group
// is rolled back and every request retried in a transaction of its own.
// An applyFunc may run more than once (a retry after a group failure), so
// it must set its results afresh on each run.
type applyFunc func(tx *bolt.Tx) (reqErr, txErr error)

// writeReq is one write call waiting for the committer.
type writeReq struct {
	apply applyFunc
	res   chan error // buffered, 1
}

// lazyComplete is a CompleteLater waiting for a commit.
type lazyComplete struct {
	id       string
	attempts int
	now      time.Time
}

// write hands apply to the committer and waits until the group holding it
// is committed (and, unless NoSync, fsynced). ctx is honoured until the
// committer takes the request; after that write waits for the commit and
// reports its outcome, so that a caller never misses a committed change.
// The caller has checked its arguments; write takes the read lock itself.
func (s *driver) write(ctx context.Context, apply applyFunc) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	r := &writeReq{apply: apply, res: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-r.res
}

// commitLoop is the group committer. It takes one request, then whatever
// other requests are already waiting (without waiting for more, so an idle
// store commits a lone write at once), and commits them all in one
// read-write transaction: one fsync for the group. Events logged by the
// log writer, completions left by CompleteLater and seen-key changes ride
// along with the next group; if no write comes within lazyDelay, they
// get a commit of their own (at once when the log writer asks:
// applyNow). On quit it commits what waits, then stops.
func (s *driver) commitLoop() {
	defer close(s.done)
	batch := make([]*writeReq, 0, s.maxBatch)
	lazyTimer := time.NewTimer(time.Hour)
	lazyTimer.Stop()
	armed := false // lazyTimer runs
	for {
		select {
		case <-s.quit:
			s.commit(nil)
			return
		case <-s.lazyKick:
			// A running timer is left alone: the kicks of the log, of
			// CompleteLater and of the key changes would otherwise push
			// each other's commit out past lazyDelay.
			if !armed {
				lazyTimer.Reset(s.lazyDelay)
				armed = true
			}
		case <-lazyTimer.C:
			armed = false
			s.commit(nil)
		case <-s.applyNow:
			s.commit(nil)
		case r := <-s.reqs:
			if s.beforeDrain != nil {
				s.beforeDrain()
			}
			batch = drain(s.reqs, append(batch[:0], r), s.maxBatch)
			s.commit(batch)
			clear(batch) // drop references to answered requests
		}
	}
}

// drain appends to batch what c holds ready, without waiting, until
// batch holds limit.
func drain[T any](c <-chan T, batch []T, limit int) []T {
	for len(batch) < limit {
		select {
		case r := <-c:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// takeWaiting returns the events logged, the completions and the
// seen-key changes waiting for a commit, and forgets them. It takes them
// at one instant: a completion comes after its event was logged, so the
// events the completions taken need are among those taken (or applied
// before). It runs after the batch was taken, so a request of the batch
// (PruneKeys) sees every key change made before it was called.
func (s *driver) takeWaiting() ([]*loggedEvent, []lazyComplete, []keyChange) {
	s.lazyMu.Lock()
	defer s.lazyMu.Unlock()
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	logged, lazy, keys := s.log.waiting, s.lazy, s.keys.waiting
	s.log.waiting, s.lazy, s.keys.waiting = nil, nil, nil
	return logged, lazy, keys
}

// applyLazy applies the waiting completions inside tx. A completion that
// no longer applies (a stale claim, an unknown event) is dropped: Complete
// would have changed nothing either.
func applyLazy(tx *bolt.Tx, lazy []lazyComplete) error {
	for _, l := range lazy {
		if _, txErr := changeEventTx(tx, nil, l.id, completeFn(l.attempts, l.now)); txErr != nil {
			return txErr
		}
	}
	return nil
}

// safeApply runs r.apply, turning a panic into a transaction error, so
// that the group is rolled back and retried without losing the committer.
func safeApply(tx *bolt.Tx, r *writeReq) (reqErr, txErr error) {
	defer func() {
		if p := recover(); p != nil {
			reqErr, txErr = nil, &PanicError{Value: p}
		}
	}()
	return r.apply(tx)
}

// commit applies the events logged, the completions and the seen-key
// changes waiting for a commit, then batch, in one transaction (see
// commitGroup).
func (s *driver) commit(batch []*writeReq) {
	logged, lazy, keys := s.takeWaiting()
	if len(batch) == 0 && len(lazy) == 0 && len(logged) == 0 && len(keys) == 0 {
		return
	}
	lazy = foldCompletions(logged, lazy)
	s.commitGroup(batch, lazy, logged, keys)
}

// foldCompletions applies to the logged events the completions of lazy
// that complete them (events handed off, delivered and completed before
// the committer applied them, the usual case under load): such an event
// is stored delivered at once, instead of pending and then moved to
// delivered in the same transaction. It returns the other completions.
func foldCompletions(logged []*loggedEvent, lazy []lazyComplete) []lazyComplete {
	if len(logged) == 0 || len(lazy) == 0 {
		return lazy
	}
	byID := make(map[string]*loggedEvent, len(logged))
	for _, ev := range logged {
		byID[ev.rec.ID] = ev
	}
	rest := lazy[:0]
	for _, l := range lazy {
		ev := byID[l.id]
		if ev == nil {
			rest = append(rest, l)
			continue
		}
		if r, err := changed(ev.rec, completeFn(l.attempts, l.now)); err == nil {
			ev.rec = r
		} // else stale: Complete would have changed nothing either
	}
	return rest
}

// commitGroup applies logged, lazy, keys and batch in one transaction, in
// that order, and answers every request. A request's own failure (a
// conflict, a duplicate, an unknown ID) does not affect the others. If the
// transaction itself fails (or a request panics), the logged events are
// applied in a transaction of their own (and wait for the next commit if
// that fails too), so are the lazy completions and the key changes, and
// each request is retried alone, so that one bad request cannot fail its
// group. The key changes leave the overlay before the requests are
// answered, so that a PruneKeys that returned left none it deleted there.
func (s *driver) commitGroup(batch []*writeReq, lazy []lazyComplete, logged []*loggedEvent, keys []keyChange) {
	results := make([]error, len(batch))
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := applyLogged(tx, logged); err != nil {
			return err
		}
		if err := applyLazy(tx, lazy); err != nil {
			return err
		}
		if err := applyKeys(tx, keys); err != nil {
			return err
		}
		for i, r := range batch {
			reqErr, txErr := safeApply(tx, r)
			if txErr != nil {
				return txErr
			}
			results[i] = reqErr
		}
		return nil
	})
	if s.onCommit != nil {
		s.onCommit(len(batch) + len(lazy) + len(logged) + len(keys))
	}
	if err != nil && (len(batch) > 1 || len(lazy) > 0 || len(logged) > 0 || len(keys) > 0) {
		if len(logged) > 0 {
			s.appliedLogged(logged, s.db.Update(func(tx *bolt.Tx) error { return applyLogged(tx, logged) }))
		}
		if len(lazy) > 0 {
			// Lost only if this fails too: the events are then delivered
			// again when their lease runs out.
			_ = s.db.Update(func(tx *bolt.Tx) error { return applyLazy(tx, lazy) })
		}
		if len(keys) > 0 {
			// Lost only if this fails too, like the completions: the
			// overlay forgets them and reads fall back to the file (see
			// the Durability note in idempotency.go for what a lost
			// record means).
			_ = s.db.Update(func(tx *bolt.Tx) error { return applyKeys(tx, keys) })
			s.forgetKeys(keys)
		}
		for _, r := range batch {
			s.commitGroup([]*writeReq{r}, nil, nil, nil)
		}
		return
	}
	s.appliedLogged(logged, nil)
	s.forgetKeys(keys)
	for i, r := range batch {
		if err != nil {
			results[i] = err
		}
		r.res <- results[i]
	}
}

// enqueueDirect is Enqueue without group commit: one transaction (and one
// fsync) per call. It is the benchmarks' baseline.
func (s *driver) enqueueDirect(e *store.QueuedEvent, since time.Time) (string, error) {
	var id string
	var reqErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		var txErr error
		id, reqErr, txErr = enqueueTx(tx, newPending(e, false, 0), e.Payload, since)
		return txErr
	})
	if err != nil {
		return "", err
	}
	return id, reqErr
}
