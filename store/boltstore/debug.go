package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/inbound-hooks/inbound/store"
)

// AppendDebug implements store.DebugStore. A hook's entries are kept in
// its own nested bucket ordered by entry ID (which callers make
// time-sortable); an entry with an ID already stored replaces it.
func (s *driver) AppendDebug(ctx context.Context, e *store.DebugEntry, keep int) error {
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
func (s *driver) ListDebug(ctx context.Context, hookID string) ([]*store.DebugEntry, error) {
	var out []*store.DebugEntry
	err := s.view(func(tx *bolt.Tx) error {
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
func (s *driver) GetDebug(ctx context.Context, hookID, id string) (*store.DebugEntry, error) {
	var out *store.DebugEntry
	err := s.view(func(tx *bolt.Tx) error {
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
func (s *driver) ClearDebug(ctx context.Context, hookID string) error {
	return s.update(func(tx *bolt.Tx) error { return clearDebug(tx, hookID) })
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
