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

// write hands apply to the committer and waits until the group holding it
// is committed (and, unless NoSync, fsynced). ctx is honoured until the
// committer takes the request; after that write waits for the commit and
// reports its outcome, so that a caller never misses a committed change.
// The caller has checked its arguments; write takes the read lock itself.
func (s *Store) write(ctx context.Context, apply applyFunc) error {
	if err := s.enter(ctx); err != nil {
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
// read-write transaction: one fsync for the group.
func (s *Store) commitLoop() {
	defer close(s.done)
	batch := make([]*writeReq, 0, s.maxBatch)
	for {
		select {
		case <-s.quit:
			return
		case r := <-s.reqs:
			if s.beforeDrain != nil {
				s.beforeDrain()
			}
			batch = append(batch[:0], r)
		drain:
			for len(batch) < s.maxBatch {
				select {
				case r := <-s.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			s.commit(batch)
			clear(batch) // drop references to answered requests
		}
	}
}

// commit applies batch in one transaction, in arrival order, and answers
// every request. A request's own failure (a conflict, a duplicate, an
// unknown ID) does not affect the others. If the transaction itself fails,
// each request is retried in a transaction of its own, so that one bad
// request cannot fail its group.
func (s *Store) commit(batch []*writeReq) {
	results := make([]error, len(batch))
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, r := range batch {
			reqErr, txErr := r.apply(tx)
			if txErr != nil {
				return txErr
			}
			results[i] = reqErr
		}
		return nil
	})
	if s.onCommit != nil {
		s.onCommit(len(batch))
	}
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			s.commit([]*writeReq{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			results[i] = err
		}
		r.res <- results[i]
	}
}

// enqueueDirect is Enqueue without group commit: one transaction (and one
// fsync) per call. It is the benchmarks' baseline.
func (s *Store) enqueueDirect(e *store.QueuedEvent, since time.Time) (string, error) {
	var id string
	var reqErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		rec, data, err := newPending(e)
		if err != nil {
			return err
		}
		var txErr error
		id, reqErr, txErr = enqueueTx(tx, rec, data, since)
		return txErr
	})
	if err != nil {
		return "", err
	}
	return id, reqErr
}
