package boltstore

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

var _ store.IdempotencyStore = (*driver)(nil)

// A seen-key record (bucket bSeen) is timeKey(expires), one byte (1 when
// confirmed, 0 when reserved), then the event ID. bSeenExp indexes the
// records by expiry, so that PruneKeys reads only what it deletes. Open
// creates both buckets in a file made before they existed (which had no
// records to index), so the file version stays the same.

const seenHeadLen = timeKeyLen + 1

type seenRecord struct {
	expires   time.Time
	confirmed bool
	eventID   string
}

func (r seenRecord) encode() []byte {
	b := appendTime(make([]byte, 0, seenHeadLen+len(r.eventID)), r.expires)
	flag := byte(0)
	if r.confirmed {
		flag = 1
	}
	return append(append(b, flag), r.eventID...)
}

// getSeen returns the record of ik, or ok false when there is none.
func getSeen(tx *bolt.Tx, ik []byte) (r seenRecord, ok bool, err error) {
	v := tx.Bucket(bSeen).Get(ik)
	if v == nil {
		return r, false, nil
	}
	if len(v) < seenHeadLen {
		return r, false, fmt.Errorf("%w: seen-key record", ErrCorrupt)
	}
	return seenRecord{expires: parseTime(v), confirmed: v[timeKeyLen] == 1, eventID: string(v[seenHeadLen:])}, true, nil
}

func seenExpKey(expires time.Time, ik []byte) []byte {
	return append(appendTime(make([]byte, 0, timeKeyLen+len(ik)), expires), ik...)
}

// putSeen replaces the record of ik (old, when ok) with r, keeping the
// expiry index in step.
func putSeen(tx *bolt.Tx, ik []byte, old seenRecord, ok bool, r seenRecord) error {
	if ok {
		if err := tx.Bucket(bSeenExp).Delete(seenExpKey(old.expires, ik)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bSeen).Put(ik, r.encode()); err != nil {
		return err
	}
	return tx.Bucket(bSeenExp).Put(seenExpKey(r.expires, ik), nil)
}

func deleteSeen(tx *bolt.Tx, ik []byte, old seenRecord) error {
	if err := tx.Bucket(bSeenExp).Delete(seenExpKey(old.expires, ik)); err != nil {
		return err
	}
	return tx.Bucket(bSeen).Delete(ik)
}

// Seen-key records are written lazily. The file is locked to this
// process, so every change of a record is made here, and ReserveKey,
// ConfirmKey and ReleaseKey decide in memory, exactly: against the
// overlay (keyOverlay), which holds every change not yet committed, and
// then against the file. A change goes into the overlay and into the list
// the committer takes with its next transaction (with the events logged
// and the completions left by CompleteLater), or after LazyDelay, or on
// Close; the call returns without waiting for that commit.
//
// What a crash loses, and why that is allowed, is in the package
// documentation ("Idempotency keys").

// keyChange is one change of the seen-key record of ik: the record it
// now holds, or its deletion (del). seq orders the changes of the store.
type keyChange struct {
	ik  string
	seq uint64
	rec seenRecord
	del bool
}

// keyOverlay is the seen-key changes not yet committed. mu is held by
// each IdempotencyStore call while it decides against newest and the
// file and records its change, so that concurrent calls for one key
// decide one after the other. The committer takes waiting (at the same
// instant as the logged events and completions, see takeWaiting) and,
// once the transaction holding them is over, drops from newest the
// changes no newer change replaced (forgetKeys): a record is so always in
// the overlay or in the file, and a lookup never falls between them.
type keyOverlay struct {
	mu      sync.Mutex
	newest  map[string]keyChange // ik -> newest change not yet committed
	waiting []keyChange          // not yet taken by the committer, in order
	seq     uint64               // of the last change
}

// seen returns the current record of ik: the overlay's, else the file's.
// The caller holds s.keys.mu.
func (s *driver) seen(ik string) (r seenRecord, ok bool, err error) {
	if c, in := s.keys.newest[ik]; in {
		return c.rec, !c.del, nil
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		r, ok, err = getSeen(tx, []byte(ik))
		return err
	})
	return r, ok, err
}

// change records a change of ik in the overlay and queues it for the
// committer, which it wakes to start the LazyDelay timer when the queue
// was empty. The caller holds s.keys.mu.
func (s *driver) change(ik string, r seenRecord, del bool) {
	k := &s.keys
	k.seq++
	c := keyChange{ik: ik, seq: k.seq, rec: r, del: del}
	k.newest[ik] = c
	k.waiting = append(k.waiting, c)
	if len(k.waiting) == 1 {
		kick(s.lazyKick)
	}
}

// lockKeys enters the store and takes the overlay's lock; the caller
// must call s.unlockKeys.
func (s *driver) lockKeys() error {
	if err := s.enter(); err != nil {
		return err
	}
	s.keys.mu.Lock()
	return nil
}

func (s *driver) unlockKeys() {
	s.keys.mu.Unlock()
	s.leave()
}

// ReserveKey implements store.IdempotencyStore. It decides in memory and
// returns before the reservation is committed (within LazyDelay; see
// above for what a crash loses), so it does not wait and ignores ctx.
// Concurrent calls for a key decide one after the other.
func (s *driver) ReserveKey(_ context.Context, hookID, key, eventID string, now, until time.Time) (string, error) {
	if err := s.lockKeys(); err != nil {
		return "", err
	}
	defer s.unlockKeys()
	ik := string(idemKey(hookID, key))
	old, ok, err := s.seen(ik)
	if err != nil {
		return "", err
	}
	if err := reserveRefused(old, ok, now); err != nil {
		return old.eventID, err
	}
	s.change(ik, seenRecord{expires: until, eventID: eventID}, false)
	return eventID, nil
}

// reserveRefused is why ReserveKey may not reserve a key whose record is
// old (when ok) at now: ErrDuplicate while a confirmed record counts,
// ErrConflict while a reservation does; nil when it may.
func reserveRefused(old seenRecord, ok bool, now time.Time) error {
	switch {
	case !ok || !old.expires.After(now):
		return nil
	case old.confirmed:
		return fmt.Errorf("boltstore: key of event %q: %w", old.eventID, store.ErrDuplicate)
	}
	return fmt.Errorf("boltstore: key reserved by event %q: %w", old.eventID, store.ErrConflict)
}

// confirmRefused is why ConfirmKey may not confirm eventID's key whose
// record is old (when ok) at now: ErrStale while another event's record
// counts; nil when it may.
func confirmRefused(old seenRecord, ok bool, eventID string, now time.Time) error {
	if ok && old.eventID != eventID && old.expires.After(now) {
		return fmt.Errorf("boltstore: key held by event %q: %w", old.eventID, store.ErrStale)
	}
	return nil
}

// ConfirmKey implements store.IdempotencyStore. Like ReserveKey it
// returns before the confirmation is committed (within LazyDelay): a
// crash before that commit lets a later copy fire again.
func (s *driver) ConfirmKey(_ context.Context, hookID, key, eventID string, now, until time.Time) error {
	if err := s.lockKeys(); err != nil {
		return err
	}
	defer s.unlockKeys()
	ik := string(idemKey(hookID, key))
	old, ok, err := s.seen(ik)
	if err != nil {
		return err
	}
	if err := confirmRefused(old, ok, eventID, now); err != nil {
		return err
	}
	s.change(ik, seenRecord{expires: until, confirmed: true, eventID: eventID}, false)
	return nil
}

// ReleaseKey implements store.IdempotencyStore. Like ReserveKey it
// returns before the deletion is committed (within LazyDelay): after a
// crash before that commit, the reservation holds the key until it runs
// out.
func (s *driver) ReleaseKey(_ context.Context, hookID, key, eventID string) error {
	if err := s.lockKeys(); err != nil {
		return err
	}
	defer s.unlockKeys()
	ik := string(idemKey(hookID, key))
	old, ok, err := s.seen(ik)
	if err != nil || !ok || old.eventID != eventID {
		return err
	}
	s.change(ik, seenRecord{}, true)
	return nil
}

// applyKeys writes the seen-key changes inside tx. Each change is the
// whole new state of its record, so only the last change of each key is
// written (a reservation confirmed before the commit is written once,
// confirmed), whatever the file holds then (a PruneKeys may have deleted
// the record a change was decided on).
func applyKeys(tx *bolt.Tx, keys []keyChange) error {
	last := make(map[string]uint64, len(keys))
	for _, c := range keys {
		last[c.ik] = c.seq
	}
	for _, c := range keys {
		if last[c.ik] != c.seq {
			continue
		}
		ik := []byte(c.ik)
		old, ok, err := getSeen(tx, ik)
		if err != nil {
			return err
		}
		switch {
		case !c.del:
			err = putSeen(tx, ik, old, ok, c.rec)
		case ok:
			err = deleteSeen(tx, ik, old)
		}
		if err != nil {
			return fmt.Errorf("boltstore: write seen key: %w", err)
		}
	}
	return nil
}

// forgetKeys drops from the overlay the changes of keys, whose
// transaction is over (committed, or given up: reads then fall back to
// the file), unless a newer change of the same key came meanwhile: that
// one stays until its own transaction.
func (s *driver) forgetKeys(keys []keyChange) {
	if len(keys) == 0 {
		return
	}
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	for _, c := range keys {
		if s.keys.newest[c.ik].seq == c.seq {
			delete(s.keys.newest, c.ik)
		}
	}
}

// PruneKeys implements store.IdempotencyStore. It walks the expiry index,
// so it reads only what it deletes. Unlike the other three it is durable
// before it returns: it is a write of the committer, whose transaction
// applies the waiting seen-key changes first, so it counts and deletes
// the records still in the overlay too.
func (s *driver) PruneKeys(ctx context.Context, now time.Time) (int, error) {
	n := 0
	err := s.write(ctx, func(tx *bolt.Tx) (reqErr, txErr error) {
		n = 0
		end := appendTime(nil, now)
		var expired [][]byte
		c := tx.Bucket(bSeenExp).Cursor()
		for k, _ := c.First(); len(k) >= timeKeyLen && bytes.Compare(k[:timeKeyLen], end) <= 0; k, _ = c.Next() {
			expired = append(expired, bytes.Clone(k))
		}
		for _, k := range expired {
			if err := tx.Bucket(bSeenExp).Delete(k); err != nil {
				return nil, err
			}
			if err := tx.Bucket(bSeen).Delete(k[timeKeyLen:]); err != nil {
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
