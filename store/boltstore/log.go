package boltstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// logLimits is the flow control between the log writer and the
// committer (defaultLogLimits; tests set smaller ones).
type logLimits struct {
	// applySoon is the backlog of logged events (count, or payload bytes
	// in applySoonBytes) from which the writer asks the committer to apply
	// them at once, instead of with its next write or after LazyDelay.
	applySoon      int
	applySoonBytes int64
	// maxUnapplied is the payload bytes logged and not yet applied from
	// which the writer waits for the committer before it logs more: it
	// bounds the memory the backlog holds and the work Open redoes after a
	// crash. A single larger event is still logged, on its own.
	maxUnapplied int64
	// restartAt is the log offset from which the writer starts the log
	// over as soon as every record is applied; restartMax the offset from
	// which it waits for that to happen. The log file so stays near
	// restartMax bytes (plus the largest group) however long the store
	// runs.
	restartAt, restartMax int64
	// directPayload is the payload size from which an event is committed
	// straight to the file (insertDirect) instead of logged.
	directPayload int64
}

var defaultLogLimits = logLimits{
	applySoon:      4096,
	applySoonBytes: 8 << 20,
	maxUnapplied:   64 << 20,
	restartAt:      8 << 20,
	restartMax:     64 << 20,
	directPayload:  1 << 20,
}

// logReq is one Enqueue (or EnqueueClaimed) waiting for the log writer.
type logReq struct {
	rec     *eventRecord
	ik      string // idemKey of rec's hook and key, "" without a key
	payload []byte
	since   time.Time
	id      string
	err     error
	done    chan struct{} // closed when id and err are set
}

// idemEntry is the newest event enqueued with an idempotency key.
type idemEntry struct {
	created time.Time
	id      string
}

// logState is what the log writer and the committer share: the events
// logged and not yet applied to bbolt. Only the writer adds to it; the
// committer takes the waiting events and, once their transaction is
// committed, forgets them. An event is so always in the log state or in
// the bbolt file, or both; the writer looks in the log state first.
type logState struct {
	mu       sync.Mutex
	waiting  []*loggedEvent       // logged, not yet taken by the committer
	ids      map[string]bool      // IDs logged and not yet applied (how many events wait)
	idem     map[string]idemEntry // idemKey -> newest event logged and not yet applied
	bytes    int64                // the payload bytes of the events not yet applied
	applyErr error                // the last failure to apply, nil after a success
}

// enqueueLogged is Enqueue (EnqueueClaimed when claimed) through the
// log: the event is durable, and its outcome known, once the log writer
// has written and synced the group holding it.
func (s *driver) enqueueLogged(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time, claimed bool, lease time.Duration) (string, error) {
	if err := s.enter(); err != nil {
		return "", err
	}
	defer s.leave()
	r := &logReq{rec: newPending(e, claimed, lease), payload: e.Payload, since: dedupSince, done: make(chan struct{})}
	if e.IdempotencyKey != "" {
		r.ik = string(idemKey(e.HookID, e.IdempotencyKey))
	}
	select {
	case s.logReqs <- r:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	<-r.done
	return r.id, r.err
}

// logLoop is the log writer: like the committer it takes a request, then
// whatever requests are already waiting, and writes them with one write
// and one fdatasync.
func (s *driver) logLoop() {
	defer close(s.logDone)
	batch := make([]*logReq, 0, s.maxBatch)
	for {
		select {
		case <-s.quit:
			return
		case r := <-s.logReqs:
			if s.beforeLog != nil {
				s.beforeLog()
			}
			batch = drain(s.logReqs, append(batch[:0], r), s.maxBatch)
			s.logGroup(batch)
			if s.onLog != nil {
				s.onLog(len(batch))
			}
			for _, r := range batch {
				close(r.done)
			}
			clear(batch)
		}
	}
}

// logGroup decides each request of batch (a new event, a duplicate, an
// ID in use), writes the new events to the log with one sync, hands them
// to the committer and sets every request's outcome.
func (s *driver) logGroup(batch []*logReq) {
	fail := func(err error) {
		for _, r := range batch {
			r.id, r.err = "", err
		}
	}
	if s.logErr != nil {
		fail(s.logErr)
		return
	}
	if err := s.makeRoom(); err != nil {
		fail(err)
		return
	}
	accepted, err := s.decide(batch)
	if err != nil {
		fail(err)
		return
	}
	if len(accepted) == 0 {
		return
	}
	var direct []*logReq
	buf := s.logBuf[:0]
	evs := make([]*loggedEvent, 0, len(accepted))
	for _, r := range accepted {
		if int64(len(r.payload)) >= s.limits.directPayload {
			direct = append(direct, r)
			continue
		}
		buf = appendWALRecord(buf, s.wal.epoch, r.rec, r.payload)
		evs = append(evs, &loggedEvent{rec: r.rec, ik: r.ik, payload: r.payload,
			end: walPos{epoch: s.wal.epoch, off: s.wal.off + int64(len(buf))}})
	}
	if int64(cap(buf)) <= s.limits.applySoonBytes {
		s.logBuf = buf
	} else {
		s.logBuf = nil // do not hold a large group's copy
	}
	if len(evs) > 0 {
		if err := s.wal.append(buf); err != nil {
			// After a failed write or sync the file's state is unknown (a
			// failed fsync may have dropped the pages it was to write): no
			// later event is logged behind it. Reopening the store replays
			// what is intact.
			s.logErr = fmt.Errorf("boltstore: the queue's log failed, reopen the store: %w", err)
			for _, r := range accepted {
				r.id, r.err = "", s.logErr
			}
			return
		}
		s.handOff(evs)
	}
	for _, r := range direct {
		if err := s.insertDirect(r); err != nil {
			r.id, r.err = "", err
		}
	}
}

// insertDirect commits the large event of r straight to the file, so that
// its payload is written once, not to the log and then to the file. The
// log writer waits for that commit before it decides anything more, so
// that no decision misses the event; the committer applies the events
// logged before it first. The caller of Enqueue holds the read lock, so
// the committer runs.
func (s *driver) insertDirect(r *logReq) error {
	rec, payload := r.rec, r.payload
	w := &writeReq{res: make(chan error, 1), apply: func(tx *bolt.Tx) (reqErr, txErr error) {
		packAppends(tx)
		return nil, insertEvent(tx, rec, payload)
	}}
	s.reqs <- w
	return <-w.res
}

// decide sets the outcome of every request of batch, in order, as
// enqueueTx would in one transaction, and returns the accepted ones. It
// looks for IDs and idempotency keys among the events logged and not yet
// applied first, then in the file: an event leaves the log state only
// after its transaction is committed, so one it does not find there was
// either never logged or is already in the file. err is a failure to
// read the file.
func (s *driver) decide(batch []*logReq) ([]*logReq, error) {
	type memo struct {
		taken   bool
		prev    idemEntry
		hasPrev bool
		err     error // a damaged idempotency entry
	}
	memos := make([]memo, len(batch))
	s.log.mu.Lock()
	for i, r := range batch {
		memos[i].taken = s.log.ids[r.rec.ID]
		if r.ik != "" {
			memos[i].prev, memos[i].hasPrev = s.log.idem[r.ik]
		}
	}
	s.log.mu.Unlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		for i, r := range batch {
			m := &memos[i]
			if !m.taken {
				m.taken = tx.Bucket(bStates).Get([]byte(r.rec.ID)) != nil
			}
			if !m.hasPrev {
				m.prev, m.hasPrev, m.err = lookupIdem(tx, r.rec.HookID, []byte(r.ik))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Earlier requests of the group count as logged.
	ids := map[string]bool{}
	idem := map[string]idemEntry{}
	accepted := batch[:0:0]
	for i, r := range batch {
		m := memos[i]
		if m.err != nil {
			r.err = m.err
			continue
		}
		ik := r.ik
		if ik != "" {
			if e, ok := idem[ik]; ok {
				m.prev, m.hasPrev = e, true
			}
		}
		r.id, r.err = decideEnqueue(r.rec, r.since, m.taken || ids[r.rec.ID], m.prev, m.hasPrev)
		if r.err != nil {
			continue
		}
		if ik != "" && (!m.hasPrev || !r.rec.CreatedAt.Before(m.prev.created)) {
			idem[ik] = idemEntry{created: r.rec.CreatedAt, id: r.rec.ID}
		}
		ids[r.rec.ID] = true
		accepted = append(accepted, r)
	}
	return accepted, nil
}

// handOff gives the committer the events just logged, and records them
// in the log state for the next groups' decisions.
func (s *driver) handOff(evs []*loggedEvent) {
	l := &s.log
	l.mu.Lock()
	first := len(l.waiting) == 0
	l.waiting = append(l.waiting, evs...)
	for _, ev := range evs {
		l.ids[ev.rec.ID] = true
		if ev.ik != "" {
			if e, ok := l.idem[ev.ik]; !ok || !ev.rec.CreatedAt.Before(e.created) {
				l.idem[ev.ik] = idemEntry{created: ev.rec.CreatedAt, id: ev.rec.ID}
			}
		}
		l.bytes += int64(len(ev.payload))
	}
	soon := len(l.waiting) >= s.limits.applySoon || l.bytes >= s.limits.applySoonBytes
	l.mu.Unlock()
	switch {
	case soon:
		kick(s.applyNow)
	case first:
		kick(s.lazyKick)
	}
}

// kick sends on a channel buffered for one, unless a kick is waiting.
func kick(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// makeRoom bounds the log: it waits while the backlog holds
// limits.maxUnapplied bytes or more, and starts the log over when it is long
// and every record is applied (waiting for that once it is very long).
// It gives up when the committer fails to apply, with that error.
func (s *driver) makeRoom() error {
	for {
		l := &s.log
		l.mu.Lock()
		unapplied, bytes, applyErr := len(l.ids), l.bytes, l.applyErr
		l.mu.Unlock()
		if unapplied == 0 && s.wal.off >= s.limits.restartAt {
			return s.wal.restart()
		}
		if bytes < s.limits.maxUnapplied && s.wal.off < s.limits.restartMax {
			return nil
		}
		if applyErr != nil {
			return fmt.Errorf("boltstore: the queue's log is full and applying it fails: %w", applyErr)
		}
		kick(s.applyNow)
		select {
		case <-s.applied:
		case <-s.quit:
			return store.ErrClosed
		}
	}
}

// appliedLogged records the outcome of applying evs: on success they
// leave the log state; on failure they wait for the next commit, in
// front of those logged since.
func (s *driver) appliedLogged(evs []*loggedEvent, err error) {
	if len(evs) == 0 {
		return
	}
	l := &s.log
	l.mu.Lock()
	l.applyErr = err
	if err != nil {
		l.waiting = append(evs, l.waiting...)
		l.mu.Unlock()
		return
	}
	for _, ev := range evs {
		delete(l.ids, ev.rec.ID)
		if e, ok := l.idem[ev.ik]; ev.ik != "" && ok && e.id == ev.rec.ID {
			delete(l.idem, ev.ik)
		}
		l.bytes -= int64(len(ev.payload))
	}
	l.mu.Unlock()
	kick(s.applied)
}

// applyLogged inserts evs into tx and records the log position after the
// last. An event already in the file (applied before a crash cut the
// recording of its position short, which the same transaction prevents,
// or logged twice) is left as it is.
func applyLogged(tx *bolt.Tx, evs []*loggedEvent) error {
	if len(evs) == 0 {
		return nil
	}
	packAppends(tx)
	for _, ev := range evs {
		if tx.Bucket(bStates).Get([]byte(ev.rec.ID)) != nil {
			continue
		}
		if err := insertEvent(tx, ev.rec, ev.payload); err != nil {
			return err
		}
	}
	return tx.Bucket(bMeta).Put(keyWALPos, evs[len(evs)-1].end.encode())
}

// waitApplied returns once every event logged before the call is in the
// file, so that a read of the file sees every acknowledged Enqueue.
func (s *driver) waitApplied(ctx context.Context) error {
	s.log.mu.Lock()
	n := len(s.log.ids)
	s.log.mu.Unlock()
	if n == 0 {
		return nil
	}
	return s.write(ctx, func(*bolt.Tx) (error, error) { return nil, nil })
}

// unappliedLog returns the events the log at path holds beyond the
// position the file (read in tx) has applied, and the epoch the next log
// starts with.
func unappliedLog(tx *bolt.Tx, path string) ([]*loggedEvent, uint64, error) {
	var applied walPos
	if m := tx.Bucket(bMeta); m != nil {
		if v := m.Get(keyWALPos); v != nil {
			var ok bool
			if applied, ok = decodeWALPos(v); !ok {
				return nil, 0, fmt.Errorf("%w: log position", ErrCorrupt)
			}
		}
	}
	evs, epoch, err := readWAL(path, applied)
	if err != nil {
		return nil, 0, err
	}
	return evs, max(epoch, applied.epoch) + 1, nil
}

// recoverLog applies, in tx, what the log at path holds beyond the
// position the file has applied, and returns the epoch the next log
// starts with.
func recoverLog(tx *bolt.Tx, path string) (uint64, error) {
	evs, next, err := unappliedLog(tx, path)
	if err != nil {
		return 0, err
	}
	return next, applyLogged(tx, evs)
}
