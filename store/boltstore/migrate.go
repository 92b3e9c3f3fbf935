package boltstore

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// recordV1 is a queued event as file version 1 stored it: one JSON
// document per event, the payload in base64 inside it.
type recordV1 struct {
	ID             string
	Org            string
	HookID         string
	IdempotencyKey string
	Payload        []byte
	State          store.EventState
	Attempts       int
	LastError      string
	NextAttempt    time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// migrateV1 moves version 1's events into version 2's buckets, inside the
// transaction Open runs: each payload once, as bytes, and each delivery
// state as a binary record. The index buckets have the same keys in both
// versions. A record that cannot be decoded is moved as it is, so that
// the first Claim that meets it parks it as dead with its bytes kept.
func migrateV1(tx *bolt.Tx) error {
	if old := tx.Bucket(bEventsV1); old != nil {
		err := old.ForEach(func(k, v []byte) error {
			var r recordV1
			if json.Unmarshal(v, &r) != nil || r.ID != string(k) {
				return tx.Bucket(bStates).Put(k, v)
			}
			if err := putPayload(tx, k, r.Payload); err != nil {
				return err
			}
			rec := eventRecord{ID: r.ID, Org: r.Org, HookID: r.HookID, IdempotencyKey: r.IdempotencyKey,
				State: r.State, Attempts: r.Attempts, LastError: r.LastError,
				NextAttempt: r.NextAttempt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
			if _, ok := encodeState(r.State); !ok {
				return tx.Bucket(bStates).Put(k, v)
			}
			return tx.Bucket(bStates).Put(k, rec.encode())
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket(bEventsV1); err != nil {
			return err
		}
	}
	return tx.Bucket(bMeta).Put(keyVersion, fileVersion)
}
