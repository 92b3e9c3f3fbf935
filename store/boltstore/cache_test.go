package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// TestLookupCacheExact rotates tokens and revokes keys while other
// goroutines look them up: once a write has returned, no lookup in the
// process sees what it replaced (the cache is dropped after the commit,
// and a read that raced the write is not cached).
func TestLookupCacheExact(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "c.db"), nil)
	ctx := context.Background()
	now := time.Unix(1e9, 0).UTC()
	h := &store.Hook{ID: "h1", Token: "t0", CreatedAt: now, UpdatedAt: now}
	if err := s.CreateHook(ctx, h); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s.HookByToken(ctx, fmt.Sprintf("t%d", i%8))
				s.GetHook(ctx, "", "h1")
				s.GetKey(ctx, fmt.Sprintf("k%d", i%8))
			}
		}()
	}
	for i := 1; i <= 200; i++ {
		old := h.Token
		h.Token = fmt.Sprintf("t%d", i)
		if err := s.UpdateHook(ctx, h); err != nil {
			t.Fatal(err)
		}
		h.Revision++
		if _, err := s.HookByToken(ctx, old); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rotation %d: old token: got %v, want %v", i, err, store.ErrNotFound)
		}
		got, err := s.HookByToken(ctx, h.Token)
		if err != nil || got.Revision != h.Revision {
			t.Fatalf("rotation %d: new token: got %v, %v, want revision %d", i, got, err, h.Revision)
		}
		if g, err := s.GetHook(ctx, "", "h1"); err != nil || g.Token != h.Token {
			t.Fatalf("rotation %d: GetHook: got %v, %v", i, g, err)
		}
		kid := fmt.Sprintf("k%d", i%8)
		if err := s.CreateKey(ctx, &store.Key{ID: kid, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetKey(ctx, kid); err != nil {
			t.Fatalf("key %s after create: %v", kid, err)
		}
		if err := s.DeleteKey(ctx, "", kid); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetKey(ctx, kid); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("key %s after revocation: got %v, want %v", kid, err, store.ErrNotFound)
		}
	}
	close(stop)
	wg.Wait()
	if err := s.DeleteHook(ctx, "", "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HookByToken(ctx, h.Token); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after delete: got %v, want %v", err, store.ErrNotFound)
	}
	if _, err := s.GetHook(ctx, "", "h1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetHook after delete: got %v, want %v", err, store.ErrNotFound)
	}
}
