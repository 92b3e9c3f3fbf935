package boltstore

import (
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// enqueueReq is one Enqueue call waiting for the committer.
type enqueueReq struct {
	ev    *store.QueuedEvent
	since time.Time
	res   chan enqueueRes // buffered, 1
}

type enqueueRes struct {
	id  string
	err error
}

// commitLoop is the group committer. It takes one request, then whatever
// other requests are already waiting (without waiting for more, so an idle
// store commits a lone Enqueue at once), and commits them all in one
// read-write transaction: one fsync for the group.
func (s *Store) commitLoop() {
	defer close(s.done)
	batch := make([]*enqueueReq, 0, s.maxBatch)
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

// commit applies batch in one transaction and answers every request. A
// request's own failure (a conflict, a duplicate) does not affect the
// others. If the transaction itself fails, each request is retried in a
// transaction of its own, so that one bad request cannot fail its group.
func (s *Store) commit(batch []*enqueueReq) {
	results := make([]enqueueRes, len(batch))
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i, r := range batch {
			id, reqErr, txErr := enqueueTx(tx, r.ev, r.since)
			if txErr != nil {
				return txErr
			}
			results[i] = enqueueRes{id: id, err: reqErr}
		}
		return nil
	})
	if s.onCommit != nil {
		s.onCommit(len(batch))
	}
	if err != nil && len(batch) > 1 {
		for _, r := range batch {
			s.commit([]*enqueueReq{r})
		}
		return
	}
	for i, r := range batch {
		if err != nil {
			results[i] = enqueueRes{err: err}
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
		var txErr error
		id, reqErr, txErr = enqueueTx(tx, e, since)
		return txErr
	})
	if err != nil {
		return "", err
	}
	return id, reqErr
}
