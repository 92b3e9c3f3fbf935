package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

// snapshot copies the store's bbolt file and log, as a crash would leave
// them at this moment, to a new directory and returns the copy's path.
// The store must be between commits (a committer with nothing to do).
func snapshot(t *testing.T, path string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy.db")
	for _, suffix := range []string{"", walSuffix} {
		data, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// unapplied is how many events s has logged and not applied.
func unapplied(s *driver) int {
	s.log.mu.Lock()
	defer s.log.mu.Unlock()
	return len(s.log.ids)
}

// payloadOf is the payload the log tests give event i.
func payloadOf(i, size int) []byte {
	return bytes.Repeat([]byte{byte('a' + i%26)}, size)
}

// TestLogRecovery leaves events in the log alone, as a crash before the
// committer applied them would, and checks that Open applies them: every
// event is there with its payload, claims are released, idempotency keys
// still deduplicate, and the log is removed at Close.
func TestLogRecovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openTest(t, path, &Options{LazyDelay: time.Hour})
	ctx := context.Background()
	const n = 20
	for i := range n {
		e := event(i, fmt.Sprintf("key%d", i%10)) // keys 0..9 twice: the second of each is a duplicate
		e.Payload = payloadOf(i, 100+i)
		var err error
		if i%3 == 0 {
			_, err = s.EnqueueClaimed(ctx, e, t0.Add(-time.Hour), time.Hour)
		} else {
			_, err = s.Enqueue(ctx, e, t0.Add(-time.Hour))
		}
		if i < 10 && err != nil || i >= 10 && !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("Enqueue %d: %v", i, err)
		}
	}
	if got := unapplied(s); got != 10 {
		t.Fatalf("events waiting in the log: got %d, want 10 (LazyDelay is an hour)", got)
	}
	copyPath := snapshot(t, path)

	c := openTest(t, copyPath, nil)
	if got := unapplied(c); got != 0 {
		t.Fatalf("a reopened store's log: got %d events, want 0", got)
	}
	for i := range 10 {
		ev, err := c.GetEvent(ctx, "acme", event(i, "").ID)
		if err != nil {
			t.Fatalf("event %d after recovery: %v", i, err)
		}
		if !bytes.Equal(ev.Payload, payloadOf(i, 100+i)) {
			t.Fatalf("event %d payload: got %d bytes, want %d", i, len(ev.Payload), 100+i)
		}
		if ev.State != store.StatePending {
			t.Fatalf("event %d: got %s, want pending", i, ev.State)
		}
	}
	evs, err := c.Claim(ctx, t0.Add(time.Minute), time.Minute, 100)
	if err != nil || len(evs) != 10 {
		t.Fatalf("Claim after recovery: got %d events, %v; want 10 (claims of the crashed run released)", len(evs), err)
	}
	if id, err := c.Enqueue(ctx, event(99, "key3"), t0.Add(-time.Hour)); !errors.Is(err, store.ErrDuplicate) || id != event(3, "").ID {
		t.Fatalf("Enqueue of a recovered key: got %q, %v; want %q, %v", id, err, event(3, "").ID, store.ErrDuplicate)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(copyPath + walSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("log after Close: %v, want it removed", err)
	}
}

// TestLogDamage cuts the log short and damages a record, as a crash in
// the middle of a write may, and checks that Open applies the records
// before the damage and none after it.
func TestLogDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openTest(t, path, &Options{LazyDelay: time.Hour})
	ctx := context.Background()
	const n = 6
	var ends []int64 // where each record ends
	for i := range n {
		e := event(i, "")
		e.Payload = payloadOf(i, 50)
		if _, err := s.Enqueue(ctx, e, t0); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, s.wal.off)
	}
	cases := []struct {
		name   string
		damage func(log []byte) []byte
		want   int
	}{
		{"intact", func(b []byte) []byte { return b }, n},
		{"last cut short", func(b []byte) []byte { return b[:ends[n-1]-10] }, n - 1},
		{"header of the last cut short", func(b []byte) []byte { return b[:ends[n-2]+3] }, n - 1},
		{"third damaged", func(b []byte) []byte { b[ends[1]+20] ^= 0xff; return b }, 2},
		{"third's length damaged", func(b []byte) []byte { b[ends[1]+1] ^= 0x40; return b }, 2},
		{"zeros", func(b []byte) []byte { return make([]byte, len(b)) }, 0},
		{"empty", func(b []byte) []byte { return nil }, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			copyPath := snapshot(t, path)
			data, err := os.ReadFile(copyPath + walSuffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(copyPath+walSuffix, tc.damage(data), 0o600); err != nil {
				t.Fatal(err)
			}
			c := openTest(t, copyPath, &Options{NoSync: true})
			got, err := c.CountEvents(ctx, store.StatePending)
			if err != nil || got != tc.want {
				t.Fatalf("events recovered: got %d, %v; want %d", got, err, tc.want)
			}
			for i := range tc.want {
				if _, err := c.GetEvent(ctx, "acme", event(i, "").ID); err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
			}
		})
	}
	t.Run("not a log", func(t *testing.T) {
		copyPath := snapshot(t, path)
		if err := os.WriteFile(copyPath+walSuffix, []byte("something else entirely"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := openDriver(copyPath, nil); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("Open with a foreign log file: got %v, want %v", err, ErrCorrupt)
		}
	})
}

// TestLogRestart runs a store with small log limits through many rounds
// of its log, concurrently, and checks that the log starts over, that
// the backlog stays bounded, and that a copy taken at any moment (between
// commits) and the store itself after Close hold every acknowledged event.
func TestLogRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openTest(t, path, &Options{LazyDelay: time.Hour})
	s.limits.applySoon, s.limits.applySoonBytes = 1<<20, 1<<30
	s.limits.maxUnapplied, s.limits.restartAt, s.limits.restartMax = 8<<10, 4<<10, 16<<10
	var mostUnapplied atomic.Int64
	s.onLog = func(int) {
		s.log.mu.Lock()
		b := s.log.bytes
		s.log.mu.Unlock()
		if b > mostUnapplied.Load() {
			mostUnapplied.Store(b)
		}
	}
	ctx := context.Background()
	const callers, each, size = 4, 50, 300
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for j := range each {
				i := c*each + j
				e := event(i, fmt.Sprintf("k%d", i))
				e.Payload = payloadOf(i, size)
				if _, err := s.Enqueue(ctx, e, t0); err != nil {
					t.Errorf("Enqueue %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if s.wal.epoch < 5 {
		t.Fatalf("log rounds: epoch %d after %d KiB through a 16 KiB log, want it started over many times", s.wal.epoch, callers*each*size>>10)
	}
	// A group may take the backlog one group past the bound.
	if most := mostUnapplied.Load(); most > 8<<10+int64(callers*size)*2 {
		t.Fatalf("largest backlog: %d bytes, want about 8 KiB at most", most)
	}
	copyPath := snapshot(t, path)
	for _, p := range []string{copyPath, path} {
		if p == path {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}
		c := openTest(t, p, &Options{NoSync: true})
		if n, err := c.CountEvents(ctx, store.StatePending); err != nil || n != callers*each {
			t.Fatalf("events in %s: got %d, %v; want %d", filepath.Base(p), n, err, callers*each)
		}
		if _, err := c.Enqueue(ctx, event(999, "k7"), t0); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("Enqueue of a logged key: got %v, want %v", err, store.ErrDuplicate)
		}
		_ = c.Close()
	}
}

// TestLogCompletionsFollowEvents hands events off and completes them at
// once, many at a time, so that completions and the events they complete
// reach the committer together, and checks that no completion is lost:
// after Close every event is delivered.
func TestLogCompletionsFollowEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openTest(t, path, &Options{NoSync: true, LazyDelay: time.Millisecond})
	ctx := context.Background()
	const callers, each = 8, 100
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for j := range each {
				e := event(c*each+j, "")
				if _, err := s.EnqueueClaimed(ctx, e, t0, time.Hour); err != nil {
					t.Errorf("EnqueueClaimed: %v", err)
					return
				}
				s.CompleteLater(e.ID, 1, t0)
			}
		})
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	c := openTest(t, path, &Options{NoSync: true})
	if n, err := c.CountEvents(ctx, store.StateDelivered); err != nil || n != callers*each {
		t.Fatalf("delivered: got %d, %v; want %d", n, err, callers*each)
	}
}

// TestLogWriteFailure breaks the log file under a running store and
// checks that Enqueue fails from then on with an error naming the log,
// while reads and the other writes go on.
func TestLogWriteFailure(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "log.db"), &Options{NoSync: true})
	ctx := context.Background()
	if _, err := s.Enqueue(ctx, event(1, ""), t0); err != nil {
		t.Fatal(err)
	}
	if err := s.wal.f.Close(); err != nil { // the next write fails
		t.Fatal(err)
	}
	for i := 2; i <= 3; i++ {
		if _, err := s.Enqueue(ctx, event(i, ""), t0); err == nil || !bytes.Contains([]byte(err.Error()), []byte("log")) {
			t.Fatalf("Enqueue %d on a broken log: got %v, want an error about the log", i, err)
		}
	}
	if _, err := s.GetEvent(ctx, "acme", event(1, "").ID); err != nil {
		t.Fatalf("GetEvent after the log broke: %v", err)
	}
	if evs, err := s.Claim(ctx, t0, time.Minute, 10); err != nil || len(evs) != 1 {
		t.Fatalf("Claim after the log broke: got %d events, %v; want 1", len(evs), err)
	}
	if n, err := s.CountEvents(ctx, store.StatePending); err != nil || n != 1 {
		t.Fatalf("pending: got %d, %v; want 1", n, err)
	}
}

// TestCompactUnappliedLog checks that Compact refuses a file whose log
// holds events not yet applied, which the copy would lose.
func TestCompactUnappliedLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openTest(t, path, &Options{LazyDelay: time.Hour})
	if _, err := s.Enqueue(context.Background(), event(1, ""), t0); err != nil {
		t.Fatal(err)
	}
	copyPath := snapshot(t, path)
	err := Compact(filepath.Join(t.TempDir(), "out.db"), copyPath, nil)
	if !errors.Is(err, ErrUnappliedLog) {
		t.Fatalf("Compact with an unapplied log: got %v, want %v", err, ErrUnappliedLog)
	}
	// Opening and closing the store applies the log; Compact then works.
	c, err := openDriver(copyPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Compact(filepath.Join(t.TempDir(), "out.db"), copyPath, nil); err != nil {
		t.Fatalf("Compact after reopening: %v", err)
	}
}

// TestLogFoldsCompletions completes handed-off events before the
// committer applies them and checks that they are stored delivered at
// once (no pending index entry left behind), that a stale completion
// changes nothing, and that the counts agree.
func TestLogFoldsCompletions(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "log.db"), &Options{NoSync: true, LazyDelay: time.Hour})
	ctx := context.Background()
	t1 := t0.Add(time.Second)
	for i := range 4 {
		if _, err := s.EnqueueClaimed(ctx, event(i, ""), t0, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	s.CompleteLater(event(0, "").ID, 1, t1)
	s.CompleteLater(event(1, "").ID, 1, t1)
	s.CompleteLater(event(1, "").ID, 1, t1) // twice: the second is stale
	s.CompleteLater(event(2, "").ID, 2, t1) // stale: attempt 2 never claimed
	if got := unapplied(s); got != 4 {
		t.Fatalf("events waiting in the log: got %d, want 4", got)
	}
	var sizes []int
	s.onCommit = func(n int) { sizes = append(sizes, n) }
	if err := s.FlushCompletions(ctx); err != nil {
		t.Fatal(err)
	}
	// One commit: the flush, the 4 events, and no completion left to
	// apply on its own (2 folded into their events, 2 stale ones dropped).
	if !slices.Equal(sizes, []int{5}) {
		t.Fatalf("commit sizes: got %v, want [5]", sizes)
	}
	for i, want := range []store.EventState{store.StateDelivered, store.StateDelivered, store.StatePending, store.StatePending} {
		ev, err := s.GetEvent(ctx, "acme", event(i, "").ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev.State != want || ev.Attempts != 1 {
			t.Fatalf("event %d: got %s at attempt %d, want %s at attempt 1", i, ev.State, ev.Attempts, want)
		}
		if want == store.StateDelivered && !ev.UpdatedAt.Equal(t1) {
			t.Fatalf("event %d delivered at %v, want %v", i, ev.UpdatedAt, t1)
		}
	}
	for st, want := range map[store.EventState]int{store.StatePending: 2, store.StateDelivered: 2} {
		if n, err := s.CountEvents(ctx, st); err != nil || n != want {
			t.Fatalf("%s: got %d, %v; want %d", st, n, err, want)
		}
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bPending).Stats().KeyN; n != 2 {
			return fmt.Errorf("pending index: %d entries, want 2", n)
		}
		if n := tx.Bucket(bOrgState).Stats().KeyN; n != 4 {
			return fmt.Errorf("org/state index: %d entries, want 4", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Pruning the delivered ones leaves the pending ones.
	if n, err := s.Prune(ctx, t1.Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("Prune: got %d, %v; want 2", n, err)
	}
}

// TestLogDirectLargeEvent checks that an event with a large payload is
// committed straight to the file, not logged (its payload is written
// once), that it is durable when Enqueue returns, and that its
// idempotency key deduplicates at once.
func TestLogDirectLargeEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := openTest(t, path, &Options{LazyDelay: time.Hour})
	s.limits.directPayload = 1000
	ctx := context.Background()
	small := event(1, "small")
	small.Payload = payloadOf(1, 999)
	if _, err := s.Enqueue(ctx, small, t0); err != nil {
		t.Fatal(err)
	}
	off := s.wal.off
	large := event(2, "large")
	large.Payload = payloadOf(2, 1000)
	if _, err := s.EnqueueClaimed(ctx, large, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if s.wal.off != off {
		t.Fatalf("the log grew by %d bytes for a large event, want 0", s.wal.off-off)
	}
	if got := unapplied(s); got != 0 {
		t.Fatalf("events waiting in the log: got %d, want 0 (the large event's commit applied the small one first)", got)
	}
	if id, err := s.Enqueue(ctx, event(3, "large"), t0); !errors.Is(err, store.ErrDuplicate) || id != large.ID {
		t.Fatalf("Enqueue with the large event's key: got %q, %v; want %q, %v", id, err, large.ID, store.ErrDuplicate)
	}
	c := openTest(t, snapshot(t, path), &Options{NoSync: true})
	ev, err := c.GetEvent(ctx, "acme", large.ID)
	if err != nil || !bytes.Equal(ev.Payload, large.Payload) {
		t.Fatalf("large event after a crash: %v", err)
	}
}
