package pgstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// TestBytesExact checks that payloads, documents, idempotency keys and
// error texts come back byte for byte, including bytes a PostgreSQL text
// column refuses, and that such bytes in a text field give ErrInvalid, not
// an opaque error.
func TestBytesExact(t *testing.T) {
	dsn := testDSN(t)
	s := openStore(t, dsn, newSchema(t, dsn))
	ctx := context.Background()
	odd := "a\x00b\xff\xfe c\u00e9"
	for i, tc := range []struct {
		name    string
		key     string
		payload []byte
		lastErr string
	}{
		{"empty payload", "", []byte{}, ""},
		{"nil payload", "", nil, ""},
		{"NUL and invalid UTF-8", odd, []byte(odd), odd},
		{"all bytes", string(allBytes()), allBytes(), string(allBytes())},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("e%d", i)
			e := event(id, "h1", tc.key, t0)
			e.Payload = tc.payload
			if _, err := s.Enqueue(ctx, e, t0); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			if err := s.Fail(ctx, id, 0, tc.lastErr, t0, true); err != nil {
				t.Fatalf("Fail: %v", err)
			}
			got, err := s.GetEvent(ctx, "org1", id)
			if err != nil {
				t.Fatalf("GetEvent: %v", err)
			}
			if !bytes.Equal(got.Payload, tc.payload) {
				t.Fatalf("Payload: got %q, want %q", got.Payload, tc.payload)
			}
			if got.IdempotencyKey != tc.key {
				t.Fatalf("IdempotencyKey: got %q, want %q", got.IdempotencyKey, tc.key)
			}
			if got.LastError != tc.lastErr {
				t.Fatalf("LastError: got %q, want %q", got.LastError, tc.lastErr)
			}
			if tc.key != "" {
				dupID, err := s.Enqueue(ctx, event(id+"-again", "h1", tc.key, t0), t0)
				if !errors.Is(err, store.ErrDuplicate) || dupID != id {
					t.Fatalf("Enqueue(same key): got %q, %v, want %q, %v", dupID, err, id, store.ErrDuplicate)
				}
			}
		})
	}

	for _, tc := range []struct {
		name string
		hook *store.Hook
	}{
		{"NUL in name", &store.Hook{ID: "h1", Token: "t1", Name: "a\x00b"}},
		{"invalid UTF-8 in description", &store.Hook{ID: "h2", Token: "t2", Description: "\xff"}},
		{"NUL in ID", &store.Hook{ID: "h\x003", Token: "t3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.hook.CreatedAt, tc.hook.UpdatedAt = t0, t0
			if err := s.CreateHook(ctx, tc.hook); !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("CreateHook: got %v, want %v", err, store.ErrInvalid)
			}
		})
	}
}

func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func TestCanceledContext(t *testing.T) {
	dsn := testDSN(t)
	s := openStore(t, dsn, newSchema(t, dsn))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Enqueue(ctx, event("e1", "h1", "k", t0), t0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue(canceled): got %v, want %v", err, context.Canceled)
	}
	if _, err := s.Claim(ctx, t0, time.Minute, 10); !errors.Is(err, context.Canceled) {
		t.Fatalf("Claim(canceled): got %v, want %v", err, context.Canceled)
	}
}

// FuzzEnqueue stores arbitrary payloads, keys and error texts: each comes
// back exactly, and the key deduplicates.
func FuzzEnqueue(f *testing.F) {
	dsn := testDSN(f)
	s := openStore(f, dsn, newSchema(f, dsn))
	f.Add([]byte(`{"a":1}`), "key", "error")
	f.Add([]byte{}, "", "")
	f.Add([]byte{0, 0xff, 0xfe}, "\x00", "\xff")
	f.Add([]byte("\u00e9\u2028"), "k\u00e9y with spaces", "line\nbreak")
	n := 0
	f.Fuzz(func(t *testing.T, payload []byte, key, lastErr string) {
		ctx := context.Background()
		n++
		id := fmt.Sprintf("f%08d-%d", n, time.Now().UnixNano())
		hookID := "h-" + id // a fresh hook: keys of earlier runs do not interfere
		e := event(id, hookID, key, t0)
		e.Payload = payload
		if _, err := s.Enqueue(ctx, e, t0); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		if err := s.Fail(ctx, id, 0, lastErr, t0, false); err != nil {
			t.Fatalf("Fail: %v", err)
		}
		got, err := s.GetEvent(ctx, "org1", id)
		if err != nil {
			t.Fatalf("GetEvent: %v", err)
		}
		if !bytes.Equal(got.Payload, payload) || got.IdempotencyKey != key || got.LastError != lastErr {
			t.Fatalf("round trip: got %q %q %q, want %q %q %q", got.Payload, got.IdempotencyKey, got.LastError, payload, key, lastErr)
		}
		if key != "" {
			dup, err := s.Enqueue(ctx, event(id+"b", hookID, key, t0), t0)
			if !errors.Is(err, store.ErrDuplicate) || dup != id {
				t.Fatalf("Enqueue(same key): got %q, %v, want %q, %v", dup, err, id, store.ErrDuplicate)
			}
		}
	})
}
