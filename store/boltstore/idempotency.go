package boltstore

import (
	"bytes"
	"context"
	"fmt"
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

// ReserveKey implements store.IdempotencyStore. Like the queue writes, it
// shares a commit (and an fsync) with concurrent writes; the reservations
// of one group are applied one after the other, so concurrent copies of
// a key reserve it once.
func (s *driver) ReserveKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) (string, error) {
	ik := idemKey(hookID, key)
	var id string
	err := s.write(ctx, func(tx *bolt.Tx) (reqErr, txErr error) {
		old, ok, err := getSeen(tx, ik)
		if err != nil {
			return nil, err
		}
		if ok && old.expires.After(now) {
			id = old.eventID
			if old.confirmed {
				return fmt.Errorf("boltstore: key of event %q: %w", id, store.ErrDuplicate), nil
			}
			return fmt.Errorf("boltstore: key reserved by event %q: %w", id, store.ErrConflict), nil
		}
		id = eventID
		return nil, putSeen(tx, ik, old, ok, seenRecord{expires: until, eventID: eventID})
	})
	return id, err
}

// ConfirmKey implements store.IdempotencyStore.
func (s *driver) ConfirmKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) error {
	ik := idemKey(hookID, key)
	return s.write(ctx, func(tx *bolt.Tx) (reqErr, txErr error) {
		old, ok, err := getSeen(tx, ik)
		if err != nil {
			return nil, err
		}
		if ok && old.eventID != eventID && old.expires.After(now) {
			return fmt.Errorf("boltstore: key held by event %q: %w", old.eventID, store.ErrStale), nil
		}
		return nil, putSeen(tx, ik, old, ok, seenRecord{expires: until, confirmed: true, eventID: eventID})
	})
}

// ReleaseKey implements store.IdempotencyStore.
func (s *driver) ReleaseKey(ctx context.Context, hookID, key, eventID string) error {
	ik := idemKey(hookID, key)
	return s.write(ctx, func(tx *bolt.Tx) (reqErr, txErr error) {
		old, ok, err := getSeen(tx, ik)
		if err != nil || !ok || old.eventID != eventID {
			return nil, err
		}
		return nil, deleteSeen(tx, ik, old)
	})
}

// PruneKeys implements store.IdempotencyStore. It walks the expiry index,
// so it reads only what it deletes.
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
