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
				NextAttempt: r.NextAttempt, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
				PayloadSize: int64(len(r.Payload))}
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

// migrateV2 brings a version 2 file to version 3, inside the transaction
// Open runs: each delivery state record gains the size of its payload
// (record version 2), so that ListEvents shows sizes without reading
// payloads. Records that cannot be decoded are left to Claim, which parks
// them.
func migrateV2(tx *bolt.Tx) error {
	b := tx.Bucket(bStates)
	var recs []*eventRecord
	err := b.ForEach(func(k, v []byte) error {
		if len(v) == 0 || v[0] != recordVersionV1 {
			return nil
		}
		r, err := decodeRecord(string(k), v)
		if err != nil {
			return nil
		}
		r.PayloadSize = payloadLen(tx, k)
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range recs { // a cursor does not survive changes to its bucket
		if err := b.Put([]byte(r.ID), r.encode()); err != nil {
			return err
		}
	}
	return tx.Bucket(bMeta).Put(keyVersion, fileVersion)
}
