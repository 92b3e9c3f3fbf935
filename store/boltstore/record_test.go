package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

func TestRecordRoundTrip(t *testing.T) {
	tests := []eventRecord{
		{ID: "ev1", Org: "acme", HookID: "h1", IdempotencyKey: "k\u2028<&>\"", State: store.StateDead,
			Attempts: 3, LastError: "trigger: 503", NextAttempt: t0.Add(time.Minute), CreatedAt: t0, UpdatedAt: t0.Add(time.Second)},
		{ID: "ev2", State: store.StatePending, Claimed: true, NextAttempt: time.Time{}.UTC(), CreatedAt: time.Time{}.UTC(), UpdatedAt: time.Time{}.UTC()},
		{ID: "ev3", Org: strings.Repeat("o", 300), HookID: "\x00\xff", State: store.StateDelivered, Attempts: 1 << 20,
			LastError: strings.Repeat("é", 500), NextAttempt: t0, CreatedAt: t0.Add(-time.Hour), UpdatedAt: t0.Add(time.Nanosecond)},
	}
	for _, want := range tests {
		t.Run(want.ID, func(t *testing.T) {
			b := want.encode()
			got, err := decodeRecord(want.ID, b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, &want) {
				t.Fatalf("got %+v, want %+v", got, &want)
			}
		})
	}
	// A pending record of a 1 KiB event is tens of bytes, not a copy of
	// the event.
	r := tests[0]
	if n := len(r.encode()); n > 100 {
		t.Fatalf("encoded record: got %d bytes, want at most 100", n)
	}
}

// FuzzDecodeRecord checks, for arbitrary stored bytes, that decodeRecord
// returns a record or an error wrapping ErrCorrupt, never panics, and that
// what it decodes encodes back to the same bytes.
func FuzzDecodeRecord(f *testing.F) {
	f.Add((&eventRecord{ID: "e", Org: "o", HookID: "h", IdempotencyKey: "k", State: store.StatePending,
		Attempts: 2, LastError: "x", NextAttempt: t0, CreatedAt: t0, UpdatedAt: t0}).encode())
	f.Add([]byte{1, 0})
	f.Add([]byte{1, 9, 0})
	f.Add([]byte(`{"ID":"e1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeRecord("id", data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error: got %v, want one wrapping %v", err, ErrCorrupt)
			}
			return
		}
		back, err := decodeRecord("id", r.encode())
		if err != nil || !reflect.DeepEqual(back, r) {
			t.Fatalf("re-decoded: got %+v, %v, want %+v", back, err, r)
		}
	})
}

// TestMigrateV1 writes a file as version 1 of this package did (JSON
// records with base64 payloads in one bucket) and checks that Open moves
// every event to version 2's layout, unchanged, undecodable ones included.
func TestMigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	pending := &store.QueuedEvent{ID: "e1", Org: "acme", HookID: "h1", IdempotencyKey: "k1",
		Payload: []byte(`{"id":"e1"}`), State: store.StatePending, NextAttempt: t0, CreatedAt: t0, UpdatedAt: t0}
	dead := &store.QueuedEvent{ID: "e2", Org: "acme", HookID: "h1", Payload: []byte{0, 0xff},
		State: store.StateDead, Attempts: 10, LastError: "gave up", NextAttempt: t0, CreatedAt: t0.Add(time.Second), UpdatedAt: t0.Add(time.Hour)}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bMeta, bHooks, bTokens, bHookOrg, bKeys, bKeyOrg, bDebug, bEventsV1, bIdem, bPending, bDelivered, bOrgState, bCounts} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bMeta).Put(keyVersion, []byte("1")); err != nil {
			return err
		}
		for _, e := range []*store.QueuedEvent{pending, dead} {
			data, err := json.Marshal(e)
			if err != nil {
				return err
			}
			if err := tx.Bucket(bEventsV1).Put([]byte(e.ID), data); err != nil {
				return err
			}
			if err := tx.Bucket(bOrgState).Put(orgStateKey(e.Org, string(e.State), e.CreatedAt, e.ID), nil); err != nil {
				return err
			}
			if err := addCount(tx, e.State, 1); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bEventsV1).Put([]byte("e3"), []byte("{damaged")); err != nil {
			return err
		}
		if err := tx.Bucket(bPending).Put(pendingKey(t0.Add(time.Minute), t0.Add(time.Minute), "e3"), nil); err != nil {
			return err
		}
		if err := addCount(tx, store.StatePending, 1); err != nil {
			return err
		}
		if err := tx.Bucket(bIdem).Put(idemKey("h1", "k1"), append(appendTime(nil, t0), "e1"...)); err != nil {
			return err
		}
		return tx.Bucket(bPending).Put(pendingKey(t0, t0, "e1"), nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s := openTest(t, path, &Options{NoSync: true})
	ctx := context.Background()
	for _, want := range []*store.QueuedEvent{pending, dead} {
		want.PayloadSize = int64(len(want.Payload))
		got, err := s.GetEvent(ctx, "acme", want.ID)
		if err != nil {
			t.Fatalf("GetEvent(%s): %v", want.ID, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("GetEvent(%s): got %+v, want %+v", want.ID, got, want)
		}
	}
	if _, err := s.Enqueue(ctx, &store.QueuedEvent{ID: "e9", HookID: "h1", IdempotencyKey: "k1", CreatedAt: t0}, t0); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("Enqueue(key of a migrated event): got %v, want %v", err, store.ErrDuplicate)
	}
	evs, err := s.Claim(ctx, t0.Add(time.Hour), time.Minute, 10)
	if err != nil || len(evs) != 1 || evs[0].ID != "e1" || !bytes.Equal(evs[0].Payload, pending.Payload) {
		t.Fatalf("Claim: got %+v, %v, want e1 with its payload", evs, err)
	}
	damaged, err := s.GetEvent(ctx, "", "e3")
	if err != nil || damaged.State != store.StateDead || string(damaged.Payload) != "{damaged" {
		t.Fatalf("damaged record: got %+v, %v, want dead with its bytes as payload", damaged, err)
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bEventsV1) != nil {
			t.Error("version 1's bucket is still there")
		}
		if v := tx.Bucket(bMeta).Get(keyVersion); !bytes.Equal(v, fileVersion) {
			t.Errorf("version: got %q, want %q", v, fileVersion)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateV2 turns a file back into version 2 (delivery state records
// of record version 1, without the payload's size) and checks that Open
// gives every record its size, and that lists show it.
func TestMigrateV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	s := openTest(t, path, &Options{NoSync: true})
	ctx := context.Background()
	sizes := map[string]int{"small": 10, "big": bigPayload + 5, "empty": 0}
	for id, n := range sizes {
		e := &store.QueuedEvent{ID: id, HookID: "h1", Payload: bytes.Repeat([]byte("x"), n), NextAttempt: t0, CreatedAt: t0, UpdatedAt: t0}
		if _, err := s.Enqueue(ctx, e, t0); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bStates)
		for id := range sizes {
			r, err := decodeRecord(id, b.Get([]byte(id)))
			if err != nil {
				return err
			}
			// Record version 1: no size after the attempts.
			v2 := r.encode()
			_, w := binary.Uvarint(v2[2:])
			_, ws := binary.Uvarint(v2[2+w:])
			v1 := append(append([]byte{recordVersionV1, v2[1]}, v2[2:2+w]...), v2[2+w+ws:]...)
			if back, err := decodeRecord(id, v1); err != nil || back.PayloadSize != 0 || back.CreatedAt != r.CreatedAt {
				t.Fatalf("version 1 record: got %+v, %v", back, err)
			}
			if err := b.Put([]byte(id), v1); err != nil {
				return err
			}
		}
		return tx.Bucket(bMeta).Put(keyVersion, []byte("2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, &Options{NoSync: true})
	evs, err := s.ListEvents(ctx, "", store.EventQuery{})
	if err != nil || len(evs) != len(sizes) {
		t.Fatalf("ListEvents: got %d, %v", len(evs), err)
	}
	for _, e := range evs {
		if e.PayloadSize != int64(sizes[e.ID]) {
			t.Errorf("%s: PayloadSize %d, want %d", e.ID, e.PayloadSize, sizes[e.ID])
		}
	}
	err = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get(keyVersion); !bytes.Equal(v, fileVersion) {
			t.Errorf("version: got %q, want %q", v, fileVersion)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenReleasesClaims checks that Open makes the events an earlier run
// had claimed (through Claim or EnqueueClaimed) due at once, and leaves
// retries scheduled by Fail at their time.
func TestOpenReleasesClaims(t *testing.T) {
	path := filepath.Join(t.TempDir(), "claims.db")
	s := openTest(t, path, &Options{NoSync: true})
	ctx := context.Background()
	ev := func(id string) *store.QueuedEvent {
		return &store.QueuedEvent{ID: id, HookID: "h1", Payload: []byte(id), NextAttempt: t0, CreatedAt: t0, UpdatedAt: t0}
	}
	if _, err := s.EnqueueClaimed(ctx, ev("handed"), t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"claimed", "retry"} {
		if _, err := s.Enqueue(ctx, ev(id), t0); err != nil {
			t.Fatal(err)
		}
	}
	if evs, err := s.Claim(ctx, t0, time.Hour, 10); err != nil || len(evs) != 2 {
		t.Fatalf("Claim: got %d, %v", len(evs), err)
	}
	if err := s.Fail(ctx, "retry", 1, "later", t0.Add(2*time.Hour), false); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, &Options{NoSync: true})
	evs, err := s.Claim(ctx, t0, time.Minute, 10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range evs {
		ids = append(ids, e.ID)
		if e.Attempts != 2 {
			t.Errorf("%s: attempts %d, want 2", e.ID, e.Attempts)
		}
	}
	if strings.Join(ids, ",") != "claimed,handed" {
		t.Fatalf("Claim after reopen: got %v, want [claimed handed] (the retry waits)", ids)
	}
}
