package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// fileSize returns the size of the file at path.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// churn enqueues n events of size bytes each, delivers them and prunes
// every delivered event, as a queue does under its retention.
func churn(t *testing.T, s *driver, round, n, size int) {
	t.Helper()
	ctx := context.Background()
	now := t0.Add(time.Duration(round) * time.Hour)
	for i := range n {
		e := &store.QueuedEvent{ID: fmt.Sprintf("ev%04d%04d", round, i), HookID: "h1", Payload: bytes.Repeat([]byte{byte(i)}, size),
			NextAttempt: now, CreatedAt: now, UpdatedAt: now}
		if _, err := s.Enqueue(ctx, e, now); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.Claim(ctx, now, time.Minute, n)
	if err != nil || len(evs) != n {
		t.Fatalf("claim: got %d events, %v", len(evs), err)
	}
	for _, e := range evs {
		if err := s.Complete(ctx, e.ID, e.Attempts, now); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := s.Prune(ctx, now.Add(time.Second)); err != nil || got != n {
		t.Fatalf("prune: got %d, %v; want %d", got, err, n)
	}
}

// TestFileStopsGrowingUnderRetention checks that a store whose delivered
// events are pruned reuses the freed pages: after the first rounds, steady
// writing and pruning does not grow the file.
func TestFileStopsGrowingUnderRetention(t *testing.T) {
	path := filepath.Join(t.TempDir(), "steady.db")
	s := openTest(t, path, &Options{NoSync: true})
	const rounds, warmup = 30, 5
	var sizes []int64
	for r := range rounds {
		churn(t, s, r, 20, 100<<10) // 2 MB a round
		sizes = append(sizes, fileSize(t, path))
	}
	t.Logf("file size by round: %v", sizes)
	for r := warmup; r < rounds; r++ {
		if sizes[r] > sizes[warmup-1] {
			t.Fatalf("round %d: the file grew to %d bytes from %d after round %d: freed pages are not reused",
				r, sizes[r], sizes[warmup-1], warmup-1)
		}
	}
}

// TestCompact checks that Compact gives back the space of a pruned burst,
// keeps what is live (a hook, a pending event), leaves its source as it
// was, and refuses a source in use and a destination that exists.
func TestCompact(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "burst.db"), filepath.Join(dir, "compact.db")
	s := openTest(t, src, &Options{NoSync: true})
	ctx := context.Background()
	hk := &store.Hook{ID: "h1", Org: "acme", Kind: "form", Token: "tok1", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreateHook(ctx, hk); err != nil {
		t.Fatal(err)
	}
	for r := range 5 {
		churn(t, s, r, 40, 256<<10) // 10 MB a round, delivered and pruned
	}
	keep := event(1, "k")
	if _, err := s.Enqueue(ctx, keep, t0); err != nil {
		t.Fatal(err)
	}
	if err := Compact(dst, src, &Options{Timeout: 50 * time.Millisecond}); !errors.Is(err, ErrLocked) {
		t.Fatalf("Compact of an open store: got %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, src)
	if err := Compact(dst, src, nil); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	after := fileSize(t, dst)
	t.Logf("compacted %d bytes into %d", before, after)
	if before < 10<<20 || after > 1<<20 {
		t.Fatalf("got %d bytes before and %d after, want over 10 MiB before and at most 1 MiB after", before, after)
	}
	if got := fileSize(t, src); got != before {
		t.Errorf("the source changed size: %d, was %d", got, before)
	}
	if err := Compact(dst, src, nil); !errors.Is(err, fs.ErrExist) {
		t.Errorf("Compact into an existing file: got %v, want fs.ErrExist", err)
	}
	if fi, _ := os.Stat(dst); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode: got %v, want 0600", fi.Mode().Perm())
	}
	c := openTest(t, dst, nil)
	if got, err := c.HookByToken(ctx, "tok1"); err != nil || got.ID != "h1" {
		t.Fatalf("hook after Compact: got %+v, %v", got, err)
	}
	if n, err := c.CountEvents(ctx, store.StatePending); err != nil || n != 1 {
		t.Fatalf("pending events after Compact: got %d, %v; want 1", n, err)
	}
	if got, err := c.GetEvent(ctx, keep.Org, keep.ID); err != nil || !bytes.Equal(got.Payload, keep.Payload) {
		t.Fatalf("event after Compact: got %+v, %v", got, err)
	}
	// The compacted file takes new writes.
	churn(t, c, 9, 5, 1<<10)
}
