package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
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
	"github.com/inbound-hooks/inbound/store/storetest"
)

var t0 = time.Date(2026, time.May, 6, 7, 8, 9, 0, time.UTC)

func openTest(t *testing.T, path string, opts *Options) *driver {
	t.Helper()
	s, err := openDriver(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// applyLog waits until every event logged is in the bbolt file, for the
// tests that read or change the file directly.
func applyLog(t *testing.T, s *driver) {
	t.Helper()
	if err := s.waitApplied(context.Background()); err != nil {
		t.Fatalf("applying the log: %v", err)
	}
}

// openPortable is openTest through Open: the store as hosts get it.
func openPortable(t *testing.T, path string, opts *Options) store.Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	paths := map[store.Store]string{}
	var mu sync.Mutex
	newStore := func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "inbound.db")
		s := openPortable(t, path, &Options{NoSync: true})
		mu.Lock()
		paths[s] = path
		mu.Unlock()
		return s
	}
	reopen := func(t *testing.T, s store.Store) store.Store {
		mu.Lock()
		path := paths[s]
		mu.Unlock()
		if err := s.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		return openPortable(t, path, &Options{NoSync: true})
	}
	storetest.Run(t, newStore, storetest.WithReopen(reopen), storetest.WithCapabilities(storetest.LocalQueue, storetest.Idempotency))
}

// TestConformanceSync runs the kit once more with fsync on, as in
// production; only the quick groups, to keep the run short.
func TestConformanceSync(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		return openTest(t, filepath.Join(t.TempDir(), "inbound.db"), nil)
	}, storetest.WithConcurrency(8))
}

func TestKeySecretNotStored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.db")
	s, err := openDriver(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "ibk_live_Secret-Value-That-Must-Not-Hit-Disk-7f3a"
	sum := sha256.Sum256([]byte(secret))
	k := &store.Key{ID: "k1", Org: "acme", Name: "ci", Roles: []string{"org.hooks"}, Hash: sum[:], CreatedAt: t0}
	if err := s.CreateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(secret)) {
		t.Fatalf("database file contains the plaintext secret")
	}
	if enc := base64.StdEncoding.EncodeToString(sum[:]); !bytes.Contains(data, []byte(enc)) {
		t.Fatalf("database file does not contain the key hash %s", enc)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	openTest(t, path, nil)
	start := time.Now()
	s2, err := openDriver(path, &Options{Timeout: 200 * time.Millisecond})
	elapsed := time.Since(start)
	if err == nil {
		s2.Close()
		t.Fatalf("second Open of a file in use: got nil error, want %v", ErrLocked)
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: got %v, want %v", err, ErrLocked)
	}
	if elapsed > 2*time.Second {
		t.Fatalf("second Open took %v, want about the 200ms timeout", elapsed)
	}
	t.Logf("second Open failed after %v: %v", elapsed, err)
}

func TestOpenBadPath(t *testing.T) {
	dir := t.TempDir()
	if _, err := openDriver(filepath.Join(dir, "missing", "x.db"), nil); err == nil {
		t.Fatalf("Open in a missing directory: got nil error")
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, bytes.Repeat([]byte("not a bolt file "), 1024), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := openDriver(garbage, nil); err == nil {
		t.Fatalf("Open of a non-bbolt file: got nil error")
	}
}

func TestOpenFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mode.db")
	openTest(t, path, &Options{FileMode: 0o640})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm() &^ 0o022; got != 0o640&^0o022 {
		t.Fatalf("file mode: got %v, want %v", fi.Mode().Perm(), os.FileMode(0o640))
	}
}

func event(i int, key string) *store.QueuedEvent {
	return &store.QueuedEvent{
		ID:             fmt.Sprintf("ev%06d", i),
		Org:            "acme",
		HookID:         "h1",
		IdempotencyKey: key,
		Payload:        []byte(`{"n":` + fmt.Sprint(i) + `}`),
		NextAttempt:    t0,
		CreatedAt:      t0.Add(time.Duration(i) * time.Millisecond),
		UpdatedAt:      t0,
	}
}

// TestGroupCommit holds the log writer on its first Enqueue until every
// other caller is waiting, then checks that they share one log write, that
// per-request outcomes stay separate, and that all of it is durable.
func TestGroupCommit(t *testing.T) {
	const n = 64
	path := filepath.Join(t.TempDir(), "group.db")
	s, err := openDriver(path, nil) // with fsync
	if err != nil {
		t.Fatal(err)
	}
	var calling atomic.Int32
	release := make(chan struct{})
	first := true
	s.beforeLog = func() {
		if first {
			first = false
			<-release
		}
	}
	var mu sync.Mutex
	var batches []int
	s.onLog = func(k int) {
		mu.Lock()
		batches = append(batches, k)
		mu.Unlock()
	}
	ctx := context.Background()
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := fmt.Sprintf("k%d", i)
			if i == n-1 {
				key = "k0" // duplicate of request 0 (or 0 of it), in the same group
			}
			e := event(i, key)
			if i == n-2 {
				e.ID = event(0, "").ID // ID conflict with request 0
			}
			calling.Add(1)
			ids[i], errs[i] = s.Enqueue(ctx, e, t0.Add(-time.Hour))
		}()
	}
	deadline := time.Now().Add(10 * time.Second)
	for calling.Load() < n && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let the callers block on the channel
	close(release)
	wg.Wait()

	mu.Lock()
	total, largest := 0, 0
	for _, k := range batches {
		total += k
		largest = max(largest, k)
	}
	mu.Unlock()
	if total != n {
		t.Fatalf("requests logged: got %d, want %d", total, n)
	}
	if largest < n/2 {
		t.Fatalf("largest group: got %d (groups %v), want at least %d", largest, batches, n/2)
	}
	t.Logf("%d requests in %d log writes %v", n, len(batches), batches)

	// Exactly one of requests 0 and n-1 (same key) won; the other is a
	// duplicate naming it. Exactly one of 0 and n-2 (same ID) won.
	ok, dup, conflict := 0, 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrDuplicate):
			dup++
			if ids[i] != event(0, "").ID && ids[i] != event(n-1, "").ID {
				t.Fatalf("duplicate names %q", ids[i])
			}
		case errors.Is(err, store.ErrConflict):
			conflict++
		default:
			t.Fatalf("Enqueue %d: %v", i, err)
		}
	}
	if dup+conflict < 1 || ok+dup+conflict != n {
		t.Fatalf("outcomes: ok %d, duplicate %d, conflict %d", ok, dup, conflict)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, nil)
	got, err := s.CountEvents(ctx, store.StatePending)
	if err != nil {
		t.Fatal(err)
	}
	if got != ok {
		t.Fatalf("pending after reopen: got %d, want %d", got, ok)
	}
	for i, err := range errs {
		if err == nil {
			if _, err := s.GetEvent(ctx, "acme", ids[i]); err != nil {
				t.Fatalf("GetEvent(%s) after reopen: %v", ids[i], err)
			}
		}
	}
}

// TestGroupCommitMany has many callers race without any help and checks
// that every event is durable.
func TestGroupCommitMany(t *testing.T) {
	const callers, each = 32, 20
	path := filepath.Join(t.TempDir(), "many.db")
	s, err := openDriver(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	var txs atomic.Int32
	s.onLog = func(int) { txs.Add(1) }
	var wg sync.WaitGroup
	errs := make(chan error, callers*each)
	for c := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				i := c*each + j
				if _, err := s.Enqueue(context.Background(), event(i, fmt.Sprintf("key%d", i)), t0); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Enqueue: %v", err)
	}
	t.Logf("%d enqueues in %d log writes", callers*each, txs.Load())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, nil)
	evs, err := s.ListEvents(context.Background(), "acme", store.EventQuery{State: store.StatePending})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != callers*each {
		t.Fatalf("events after reopen: got %d, want %d", len(evs), callers*each)
	}
}

func TestEnqueueContext(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "ctx.db"), &Options{NoSync: true})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := store.Portable(s).Enqueue(ctx, event(1, ""), t0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Enqueue with a cancelled context: got %v, want %v", err, context.Canceled)
	}
	// A caller still waiting to be taken gives up when its context ends.
	release := make(chan struct{})
	var once sync.Once
	s.beforeLog = func() { once.Do(func() { <-release }) }
	done := make(chan error, 1)
	go func() {
		_, err := s.Enqueue(context.Background(), event(2, ""), t0)
		done <- err
	}()
	time.Sleep(50 * time.Millisecond) // event 2 holds the log writer
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Enqueue(ctx, event(3, ""), t0); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Enqueue while the log writer is busy: got %v, want %v", err, context.DeadlineExceeded)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("held Enqueue: %v", err)
	}
	n, err := s.CountEvents(context.Background(), store.StatePending)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("pending: got %d, want 1", n)
	}
}

func TestCloseWithEnqueuers(t *testing.T) {
	s, err := openDriver(filepath.Join(t.TempDir(), "close.db"), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				_, err := s.Enqueue(context.Background(), event(c*100+j, ""), t0)
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("Enqueue: %v", err)
					return
				}
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
}

func TestKeyEncoding(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Unix(0, 0),
		t0,
		t0.Add(time.Nanosecond),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
	}
	for i := 1; i < len(times); i++ {
		a, b := appendTime(nil, times[i-1]), appendTime(nil, times[i])
		if bytes.Compare(a, b) >= 0 {
			t.Fatalf("time key order: %v sorts at or after %v", times[i-1], times[i])
		}
		if got := parseTime(b); !got.Equal(times[i]) {
			t.Fatalf("parseTime: got %v, want %v", got, times[i])
		}
	}
	for _, tc := range []struct{ in, want []byte }{
		{[]byte{1, 2}, []byte{1, 3}},
		{[]byte{1, 0xff}, []byte{2}},
		{[]byte{0xff, 0xff}, nil},
	} {
		if got := prefixEnd(tc.in); !bytes.Equal(got, tc.want) {
			t.Fatalf("prefixEnd(%x): got %x, want %x", tc.in, got, tc.want)
		}
	}
}

func TestInvalidLengths(t *testing.T) {
	s := openPortable(t, filepath.Join(t.TempDir(), "len.db"), &Options{NoSync: true})
	ctx := context.Background()
	long := string(bytes.Repeat([]byte("x"), store.MaxIDLen+1))
	e := event(1, "")
	e.ID = long
	if _, err := s.Enqueue(ctx, e, t0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Enqueue(long ID): got %v, want %v", err, store.ErrInvalid)
	}
	e = event(1, string(bytes.Repeat([]byte("k"), store.MaxIdempotencyKeyLen+1)))
	if _, err := s.Enqueue(ctx, e, t0); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("Enqueue(long key): got %v, want %v", err, store.ErrInvalid)
	}
	h := &store.Hook{ID: "h", Token: long}
	if err := s.CreateHook(ctx, h); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("CreateHook(long token): got %v, want %v", err, store.ErrInvalid)
	}
}

// TestCorruptRecord damages queued events' delivery states (or removes
// their payloads) and checks that a claim parks them as dead, keeping
// their bytes, and still claims the others in the same call.
func TestCorruptRecord(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(tx *bolt.Tx, r *eventRecord) error
		payload string // the dead event's Payload
		hookID  string
	}{
		{"record", func(tx *bolt.Tx, r *eventRecord) error {
			if err := deletePayload(tx, []byte(r.ID)); err != nil {
				return err
			}
			return tx.Bucket(bStates).Put([]byte(r.ID), []byte("{not a record"))
		}, "{not a record", ""},
		{"payload", func(tx *bolt.Tx, r *eventRecord) error {
			return deletePayload(tx, []byte(r.ID))
		}, "", "h1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTest(t, filepath.Join(t.TempDir(), "corrupt.db"), &Options{NoSync: true})
			ctx := context.Background()
			for i := 1; i <= 4; i++ {
				if _, err := s.Enqueue(ctx, event(i, ""), t0); err != nil {
					t.Fatal(err)
				}
			}
			// Events 1 and 3 are damaged; 2 and 4 are not.
			applyLog(t, s)
			for _, i := range []int{1, 3} {
				err := s.db.Update(func(tx *bolt.Tx) error {
					old, err := getRecord(tx, event(i, "").ID)
					if err != nil {
						return err
					}
					return tc.corrupt(tx, old)
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.GetEvent(ctx, "acme", event(1, "").ID); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("GetEvent(corrupt): got %v, want %v", err, ErrCorrupt)
			}
			evs, err := s.Claim(ctx, t0.Add(time.Hour), time.Minute, 2)
			if err != nil {
				t.Fatalf("Claim: got %v, want nil", err)
			}
			var ids []string
			for _, ev := range evs {
				ids = append(ids, ev.ID)
			}
			if want := []string{event(2, "").ID, event(4, "").ID}; !slices.Equal(ids, want) {
				t.Fatalf("Claim: got %v, want %v", ids, want)
			}
			for _, i := range []int{1, 3} {
				ev, err := s.GetEvent(ctx, "acme", event(i, "").ID)
				if err != nil {
					t.Fatalf("GetEvent(parked %d): %v", i, err)
				}
				if ev.State != store.StateDead || ev.LastError != "unreadable record" {
					t.Fatalf("parked %d: got %s %q, want dead %q", i, ev.State, ev.LastError, "unreadable record")
				}
				if string(ev.Payload) != tc.payload || ev.HookID != tc.hookID || !ev.CreatedAt.Equal(event(i, "").CreatedAt) {
					t.Fatalf("parked %d: got payload %q hook %q created %v, want %q %q %v",
						i, ev.Payload, ev.HookID, ev.CreatedAt, tc.payload, tc.hookID, event(i, "").CreatedAt)
				}
			}
			for state, want := range map[store.EventState]int{store.StatePending: 2, store.StateDead: 2} {
				if n, err := s.CountEvents(ctx, state); err != nil || n != want {
					t.Fatalf("CountEvents(%s): got %d, %v; want %d", state, n, err, want)
				}
				list, err := s.ListEvents(ctx, "acme", store.EventQuery{State: state, Limit: 10})
				if err != nil || len(list) != want {
					t.Fatalf("ListEvents(%s): got %d, %v; want %d", state, len(list), err, want)
				}
				for _, ev := range list {
					if ev.State != state {
						t.Fatalf("ListEvents(%s): got %s in state %s", state, ev.ID, ev.State)
					}
				}
			}
			// Parked events are not claimed again.
			evs, err = s.Claim(ctx, t0.Add(2*time.Hour), time.Minute, 10)
			if err != nil || len(evs) != 2 {
				t.Fatalf("Claim(later): got %d events, %v; want 2", len(evs), err)
			}
		})
	}
}
