package boltstore

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

func at(d time.Duration) time.Time { return t0.Add(d) }

// checkReserve calls ReserveKey for hook h1 and checks its answer: the
// event ID, and an error matching wantErr (nil for none).
func checkReserve(s *driver, key, eventID string, now, until time.Time, wantID string, wantErr error) error {
	id, err := s.ReserveKey(context.Background(), "h1", key, eventID, now, until)
	if id != wantID || !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
		return fmt.Errorf("ReserveKey(%.12q, %s): got %q, %v; want %q, %v", key, eventID, id, err, wantID, wantErr)
	}
	return nil
}

// reserveKey is checkReserve failing the test.
func reserveKey(t *testing.T, s *driver, key, eventID string, now, until time.Time, wantID string, wantErr error) {
	t.Helper()
	if err := checkReserve(s, key, eventID, now, until, wantID, wantErr); err != nil {
		t.Fatal(err)
	}
}

// fileSeen returns the record of key that the bbolt file holds.
func fileSeen(t *testing.T, s *driver, key string) (seenRecord, bool) {
	t.Helper()
	var r seenRecord
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		r, ok, err = getSeen(tx, idemKey("h1", key))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, ok
}

// overlayLen returns how many keys the overlay holds.
func overlayLen(s *driver) int {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	return len(s.keys.newest)
}

// within runs fn on a goroutine of its own and fails the test unless it
// returns within 5 seconds, with no error.
func within(t *testing.T, what string, fn func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return while the committer was held", what)
	}
}

// TestKeysDoNotWaitForCommit holds the committer in the middle of a write
// and checks that ReserveKey, ConfirmKey and ReleaseKey still return, that
// later calls see their records although the file does not hold them yet,
// and that the next commit writes them.
func TestKeysDoNotWaitForCommit(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "nowait.db"), &Options{NoSync: true})
	ctx := context.Background()
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.beforeDrain = func() { once.Do(func() { close(held); <-release }) }
	flushed := make(chan error, 1)
	go func() { flushed <- s.FlushCompletions(ctx) }()
	<-held

	within(t, "the key calls", func() error {
		return errors.Join(
			checkReserve(s, "k1", "e1", at(0), at(time.Minute), "e1", nil),
			s.ConfirmKey(ctx, "h1", "k1", "e1", at(time.Second), at(time.Hour)),
			checkReserve(s, "k2", "e2", at(0), at(time.Minute), "e2", nil),
			s.ReleaseKey(ctx, "h1", "k2", "e2"),
			checkReserve(s, "k1", "x", at(2*time.Second), at(time.Minute), "e1", store.ErrDuplicate),
			checkReserve(s, "k2", "e3", at(2*time.Second), at(time.Minute), "e3", nil),
			checkReserve(s, "k2", "x", at(3*time.Second), at(time.Minute), "e3", store.ErrConflict),
		)
	})
	for _, k := range []string{"k1", "k2"} {
		if r, ok := fileSeen(t, s, k); ok {
			t.Fatalf("file holds %s (%+v) while the committer is held", k, r)
		}
	}

	close(release)
	if err := <-flushed; err != nil {
		t.Fatalf("FlushCompletions: %v", err)
	}
	// The flush's commit took the changes made before it.
	if r, ok := fileSeen(t, s, "k1"); !ok || !r.confirmed || r.eventID != "e1" || !r.expires.Equal(at(time.Hour)) {
		t.Fatalf("file's k1: got %+v (%v), want confirmed by e1 until %v", r, ok, at(time.Hour))
	}
	if r, ok := fileSeen(t, s, "k2"); !ok || r.confirmed || r.eventID != "e3" {
		t.Fatalf("file's k2: got %+v (%v), want reserved by e3", r, ok)
	}
	if n := overlayLen(s); n != 0 {
		t.Fatalf("overlay after the commit: %d keys, want 0", n)
	}
}

// TestKeysAloneCommitted checks that key changes with no other write to
// carry them are committed within LazyDelay.
func TestKeysAloneCommitted(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "alone.db"), &Options{NoSync: true, LazyDelay: 5 * time.Millisecond})
	reserveKey(t, s, "k1", "e1", at(0), at(time.Minute), "e1", nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := fileSeen(t, s, "k1"); ok && overlayLen(s) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the reservation was not committed without another write")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestKeysReopen checks that Close commits the key changes still waiting
// (LazyDelay is far away), so that the reopened store has every record:
// a confirmed key is a duplicate, a reserved one in progress, a released
// one free.
func TestKeysReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reopen.db")
	s, err := openDriver(path, &Options{LazyDelay: time.Hour}) // with fsync
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reserveKey(t, s, "k3", "e3", at(0), at(time.Hour), "e3", nil)
	if err := s.FlushCompletions(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := fileSeen(t, s, "k3"); !ok {
		t.Fatal("k3 was not committed by FlushCompletions")
	}
	reserveKey(t, s, "k1", "e1", at(0), at(time.Minute), "e1", nil)
	if err := s.ConfirmKey(ctx, "h1", "k1", "e1", at(0), at(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	reserveKey(t, s, "k2", "e2", at(0), at(time.Hour), "e2", nil)
	if err := s.ReleaseKey(ctx, "h1", "k3", "e3"); err != nil {
		t.Fatal(err)
	}
	if _, ok := fileSeen(t, s, "k1"); ok {
		t.Fatal("k1 was committed before LazyDelay or Close")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReserveKey(ctx, "h1", "k9", "e9", at(0), at(time.Minute)); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("ReserveKey after Close: got %v, want %v", err, store.ErrClosed)
	}
	s = openTest(t, path, nil)
	reserveKey(t, s, "k1", "x", at(time.Minute), at(2*time.Hour), "e1", store.ErrDuplicate)
	reserveKey(t, s, "k2", "x", at(time.Minute), at(2*time.Hour), "e2", store.ErrConflict)
	reserveKey(t, s, "k3", "x", at(time.Minute), at(2*time.Hour), "x", nil)
}

// TestKeysNewerChangeKept changes a key again while the commit of its
// first change is over but the committer has not yet dropped that change
// from the overlay: the newer change must stay there (the file still
// holds the older record) until its own commit.
func TestKeysNewerChangeKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	s, err := openDriver(path, &Options{NoSync: true, LazyDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reserveKey(t, s, "k1", "e1", at(0), at(time.Minute), "e1", nil)
	committed, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	s.onCommit = func(int) { once.Do(func() { close(committed); <-release }) }
	flushed := make(chan error, 1)
	go func() { flushed <- s.FlushCompletions(ctx) }()
	<-committed
	if r, ok := fileSeen(t, s, "k1"); !ok || r.confirmed {
		t.Fatalf("file's k1 after the first commit: got %+v (%v), want reserved", r, ok)
	}
	if err := s.ConfirmKey(ctx, "h1", "k1", "e1", at(time.Second), at(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if r, ok := fileSeen(t, s, "k1"); !ok || r.confirmed {
		t.Fatalf("file's k1 before the confirmation's commit: got %+v (%v), want reserved", r, ok)
	}
	reserveKey(t, s, "k1", "x", at(2*time.Minute), at(time.Hour), "e1", store.ErrDuplicate)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, &Options{NoSync: true})
	reserveKey(t, s, "k1", "x", at(2*time.Minute), at(time.Hour), "e1", store.ErrDuplicate)
}

// TestKeysPruneCountsOverlay checks that PruneKeys deletes and counts the
// records not yet committed, and sees their changes in order: a record
// committed earlier whose newer change moved its expiry out is kept.
func TestKeysPruneCountsOverlay(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "prune.db"), &Options{NoSync: true, LazyDelay: time.Hour})
	ctx := context.Background()
	reserveKey(t, s, "k5", "e5", at(0), at(time.Hour), "e5", nil)
	if err := s.FlushCompletions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmKey(ctx, "h1", "k5", "e5", at(0), at(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		k := fmt.Sprint("k", i)
		reserveKey(t, s, k, "e"+k, at(0), at(time.Duration(i)*time.Hour), "e"+k, nil)
	}
	reserveKey(t, s, "k4", "e4", at(0), at(time.Hour), "e4", nil)
	if err := s.ReleaseKey(ctx, "h1", "k4", "e4"); err != nil {
		t.Fatal(err)
	}
	if _, ok := fileSeen(t, s, "k1"); ok {
		t.Fatal("k1 was committed before PruneKeys")
	}
	n, err := s.PruneKeys(ctx, at(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PruneKeys: got %d, %v; want 2 (k1 and k2)", n, err)
	}
	if n := overlayLen(s); n != 0 {
		t.Fatalf("overlay after PruneKeys: %d keys, want 0", n)
	}
	reserveKey(t, s, "k1", "x", at(0), at(time.Minute), "x", nil)
	reserveKey(t, s, "k2", "y", at(0), at(time.Minute), "y", nil)
	reserveKey(t, s, "k3", "x", at(0), at(time.Minute), "ek3", store.ErrConflict)
	reserveKey(t, s, "k5", "x", at(3*time.Hour), at(4*time.Hour), "e5", store.ErrDuplicate)
}

// TestKeysConcurrentReserve has many goroutines reserve one key at once,
// round after round, while commits run (a short LazyDelay, and a loop of
// flushes and prunes): exactly one reserves each key, every other is told
// that one holds it, and after its confirmation every copy is a
// duplicate of it.
func TestKeysConcurrentReserve(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "concurrent.db"), &Options{NoSync: true, LazyDelay: time.Millisecond})
	ctx := context.Background()
	stop := make(chan struct{})
	var bg sync.WaitGroup
	bg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := s.FlushCompletions(ctx); err != nil {
				t.Error(err)
			}
			if _, err := s.PruneKeys(ctx, at(0)); err != nil {
				t.Error(err)
			}
		}
	})
	const rounds, copies = 20, 16
	for r := range rounds {
		key := fmt.Sprint("k", r)
		ids := make([]string, copies)
		errs := make([]error, copies)
		var wg sync.WaitGroup
		for i := range copies {
			wg.Go(func() {
				ids[i], errs[i] = s.ReserveKey(ctx, "h1", key, fmt.Sprint("e", i), at(0), at(time.Minute))
			})
		}
		wg.Wait()
		winner := ""
		for i, err := range errs {
			if err == nil {
				if winner != "" {
					t.Fatalf("%s: both %s and e%d reserved it", key, winner, i)
				}
				winner = ids[i]
			}
		}
		if winner == "" {
			t.Fatalf("%s: nobody reserved it: %v", key, errs)
		}
		for i, err := range errs {
			if err != nil && (!errors.Is(err, store.ErrConflict) || ids[i] != winner) {
				t.Fatalf("%s, e%d: got %q, %v; want %q, %v", key, i, ids[i], err, winner, store.ErrConflict)
			}
		}
		for i := range copies {
			wg.Go(func() {
				if i == 0 {
					errs[i] = s.ConfirmKey(ctx, "h1", key, winner, at(time.Second), at(time.Hour))
					return
				}
				ids[i], errs[i] = s.ReserveKey(ctx, "h1", key, fmt.Sprint("f", i), at(time.Second), at(time.Minute))
			})
		}
		wg.Wait()
		if errs[0] != nil {
			t.Fatalf("%s: ConfirmKey: %v", key, errs[0])
		}
		for i := 1; i < copies; i++ {
			if ids[i] != winner || !(errors.Is(errs[i], store.ErrConflict) || errors.Is(errs[i], store.ErrDuplicate)) {
				t.Fatalf("%s, f%d during the confirmation: got %q, %v; want %q", key, i, ids[i], errs[i], winner)
			}
		}
		reserveKey(t, s, key, "z", at(2*time.Second), at(time.Minute), winner, store.ErrDuplicate)
	}
	close(stop)
	bg.Wait()
}

// TestKeysCommitFailure makes the commit of key changes fail (a key too
// long for bbolt, which only a call past the portable layer can give),
// alone too: the changes leave the overlay, reads fall back to the file,
// the request that carried them commits, and the store goes on.
func TestKeysCommitFailure(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "keyfail.db"), &Options{NoSync: true, LazyDelay: time.Hour})
	ctx := context.Background()
	long := strings.Repeat("k", bolt.MaxKeySize)
	reserveKey(t, s, long, "e1", at(0), at(time.Minute), "e1", nil)
	reserveKey(t, s, long, "x", at(0), at(time.Minute), "e1", store.ErrConflict)
	if err := s.AppendDebug(ctx, &store.DebugEntry{ID: "d1", HookID: "h1", Time: t0, Data: []byte(`{}`)}, 10); err != nil {
		t.Fatalf("AppendDebug that carried the failing keys: %v", err)
	}
	if n := overlayLen(s); n != 0 {
		t.Fatalf("overlay after the failed commit: %d keys, want 0", n)
	}
	// Lost: the key is free again.
	reserveKey(t, s, long, "e2", at(0), at(time.Minute), "e2", nil)
	if d, err := s.ListDebug(ctx, "h1"); err != nil || len(d) != 1 {
		t.Fatalf("debug entries: got %d, %v; want 1", len(d), err)
	}
	if err := s.FlushCompletions(ctx); err != nil {
		t.Fatal(err)
	}
	reserveKey(t, s, "k1", "e3", at(0), at(time.Minute), "e3", nil)
	if err := s.FlushCompletions(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := fileSeen(t, s, "k1"); !ok {
		t.Fatal("a key reserved after the failure was not committed")
	}
}

// keyOps is one way to reserve and confirm a key, for the benchmark;
// flush, when set, commits what the calls left waiting.
type keyOps struct {
	reserve func(key, eventID string, now, until time.Time) error
	confirm func(key, eventID string, now, until time.Time) error
	flush   func() error
}

// mapKeyOps is the bare baseline: the same decisions in a map under a
// mutex, with no file at all.
func mapKeyOps() keyOps {
	var mu sync.Mutex
	m := map[string]seenRecord{}
	return keyOps{
		reserve: func(key, eventID string, now, until time.Time) error {
			mu.Lock()
			defer mu.Unlock()
			if old, ok := m[key]; reserveRefused(old, ok, now) != nil {
				return store.ErrConflict
			}
			m[key] = seenRecord{expires: until, eventID: eventID}
			return nil
		},
		confirm: func(key, eventID string, now, until time.Time) error {
			mu.Lock()
			defer mu.Unlock()
			if old, ok := m[key]; confirmRefused(old, ok, eventID, now) != nil {
				return store.ErrStale
			}
			m[key] = seenRecord{expires: until, confirmed: true, eventID: eventID}
			return nil
		},
	}
}

// durableKeyOps is the path the store took before the overlay: each call
// a write of the committer, returning once its commit is durable.
func durableKeyOps(s *driver) keyOps {
	ctx := context.Background()
	return keyOps{
		reserve: func(key, eventID string, now, until time.Time) error {
			ik := idemKey("h1", key)
			return s.write(ctx, func(tx *bolt.Tx) (reqErr, txErr error) {
				old, ok, err := getSeen(tx, ik)
				if err != nil {
					return nil, err
				}
				if err := reserveRefused(old, ok, now); err != nil {
					return err, nil
				}
				return nil, putSeen(tx, ik, old, ok, seenRecord{expires: until, eventID: eventID})
			})
		},
		confirm: func(key, eventID string, now, until time.Time) error {
			ik := idemKey("h1", key)
			return s.write(ctx, func(tx *bolt.Tx) (reqErr, txErr error) {
				old, ok, err := getSeen(tx, ik)
				if err != nil {
					return nil, err
				}
				if err := confirmRefused(old, ok, eventID, now); err != nil {
					return err, nil
				}
				return nil, putSeen(tx, ik, old, ok, seenRecord{expires: until, confirmed: true, eventID: eventID})
			})
		},
	}
}

// lazyKeyOps is the store's IdempotencyStore.
func lazyKeyOps(s *driver) keyOps {
	ctx := context.Background()
	return keyOps{
		reserve: func(key, eventID string, now, until time.Time) error {
			_, err := s.ReserveKey(ctx, "h1", key, eventID, now, until)
			return err
		},
		confirm: func(key, eventID string, now, until time.Time) error {
			return s.ConfirmKey(ctx, "h1", key, eventID, now, until)
		},
		flush: func() error { return s.FlushCompletions(ctx) },
	}
}

// BenchmarkIdempotencyKeys measures what keyDedup in package hooks asks
// of the store per keyed arrival: ReserveKey then ConfirmKey of a new
// key, for 1 and 16 concurrent callers, with fsync on. lazy is the
// store's IdempotencyStore (decided in memory, committed later); durable
// is the earlier path, a group commit per call; map is the bare floor,
// the same decisions in a map under a mutex. The lazy run ends with a
// commit of what its calls left waiting.
func BenchmarkIdempotencyKeys(b *testing.B) {
	for _, mode := range []string{"map", "durable", "lazy"} {
		for _, callers := range []int{1, 16} {
			b.Run(fmt.Sprintf("%s/parallel-%d", mode, callers), func(b *testing.B) {
				s, err := openDriver(filepath.Join(b.TempDir(), "keys.db"), nil)
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				ops := map[string]func() keyOps{
					"map":     mapKeyOps,
					"durable": func() keyOps { return durableKeyOps(s) },
					"lazy":    func() keyOps { return lazyKeyOps(s) },
				}[mode]()
				benchmarkKeys(b, ops, callers)
			})
		}
	}
}

func benchmarkKeys(b *testing.B, ops keyOps, callers int) {
	var seq atomic.Int64
	one := func() {
		i := seq.Add(1)
		key := fmt.Sprintf("<%d.bench@mail.example>", i)
		id := fmt.Sprintf("ev%012d", i)
		now := at(time.Duration(i))
		if err := ops.reserve(key, id, now, now.Add(5*time.Minute)); err != nil {
			b.Error(err)
		}
		if err := ops.confirm(key, id, now, now.Add(24*time.Hour)); err != nil {
			b.Error(err)
		}
	}
	b.ResetTimer()
	runCallers(b, callers, one)
	if ops.flush != nil {
		if err := ops.flush(); err != nil {
			b.Error(err)
		}
	}
	b.StopTimer() // not Close
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
