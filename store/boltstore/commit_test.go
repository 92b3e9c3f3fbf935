package boltstore

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/inbound-hooks/inbound/store"
)

// holdGroup makes the committer wait, after taking its first request,
// until every one of calls has been started and had time to block on the
// committer, so that they all fall into one group. It returns the group
// sizes seen, readable after the calls have returned.
func holdGroup(t *testing.T, s *driver, calls []func()) []int {
	t.Helper()
	release := make(chan struct{})
	var once sync.Once
	s.beforeDrain = func() { once.Do(func() { <-release }) }
	var mu sync.Mutex
	var batches []int
	s.onCommit = func(k int) {
		mu.Lock()
		batches = append(batches, k)
		mu.Unlock()
	}
	var started atomic.Int32
	var wg sync.WaitGroup
	for _, call := range calls {
		wg.Go(func() {
			started.Add(1)
			call()
		})
	}
	deadline := time.Now().Add(10 * time.Second)
	for int(started.Load()) < len(calls) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let the calls block on the channel
	close(release)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(batches)
}

// TestGroupCommitMixed puts every kind of queue write into one group, with
// some requests that fail on their own, and checks each outcome, that the
// failures did not fail the group, and that all of it is durable.
func TestGroupCommitMixed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mixed.db")
	s, err := openDriver(path, nil) // with fsync
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Before the group: 10 and 11 claimed (leased), 12 dead, 13 pending.
	for _, i := range []int{10, 11, 12} {
		if _, err := s.Enqueue(ctx, event(i, ""), t0); err != nil {
			t.Fatal(err)
		}
	}
	if evs, err := s.Claim(ctx, t0, time.Hour, 10); err != nil || len(evs) != 3 {
		t.Fatalf("Claim before the group: got %d events, %v; want 3", len(evs), err)
	}
	if err := s.Fail(ctx, event(12, "").ID, 1, "gone", t0, true); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, event(13, ""), t0); err != nil {
		t.Fatal(err)
	}

	var claimed []*store.QueuedEvent
	errs := map[string]error{}
	var mu sync.Mutex
	set := func(name string, err error) {
		mu.Lock()
		errs[name] = err
		mu.Unlock()
	}
	calls := []func(){
		func() { _, err := s.Enqueue(ctx, event(1, "k1"), t0); set("enqueue 1", err) },
		func() { _, err := s.Enqueue(ctx, event(2, "k2"), t0); set("enqueue 2", err) },
		func() { _, err := s.Enqueue(ctx, event(10, ""), t0); set("enqueue 10 again", err) },
		func() { set("complete 10", s.Complete(ctx, event(10, "").ID, 1, t0.Add(time.Second))) },
		func() { set("complete unknown", s.Complete(ctx, "nope", 1, t0)) },
		func() { set("fail 11", s.Fail(ctx, event(11, "").ID, 1, "boom", t0.Add(time.Hour), false)) },
		func() { set("fail unknown", s.Fail(ctx, "nope", 1, "boom", t0, false)) },
		func() { set("replay 12", s.Replay(ctx, "acme", event(12, "").ID, t0)) },
		func() { set("replay 13 (pending)", s.Replay(ctx, "acme", event(13, "").ID, t0)) },
		func() { set("replay 12 other org", s.Replay(ctx, "other", event(12, "").ID, t0)) },
		func() {
			evs, err := s.Claim(ctx, t0, time.Minute, 100)
			mu.Lock()
			claimed = evs
			mu.Unlock()
			set("claim", err)
		},
	}
	batches := holdGroup(t, s, calls)
	if slices.Max(batches) < len(calls)/2 {
		t.Fatalf("largest group: got %d (groups %v), want at least %d", slices.Max(batches), batches, len(calls)/2)
	}
	t.Logf("%d requests in groups %v", len(calls), batches)
	want := map[string]error{
		"enqueue 1": nil, "enqueue 2": nil, "enqueue 10 again": store.ErrConflict,
		"complete 10": nil, "complete unknown": store.ErrNotFound,
		"fail 11": nil, "fail unknown": store.ErrNotFound,
		"replay 12": nil, "replay 13 (pending)": store.ErrConflict, "replay 12 other org": store.ErrNotFound,
		"claim": nil,
	}
	for name, w := range want {
		t.Run(name, func(t *testing.T) {
			got := errs[name]
			if !errors.Is(got, w) {
				t.Fatalf("got %v, want %v", got, w)
			}
		})
	}
	// The claim ran somewhere in the group: it took 13 (due before the
	// group) and possibly the events enqueued or replayed before it.
	var ids []string
	for _, ev := range claimed {
		ids = append(ids, ev.ID)
		if !slices.Contains([]string{event(1, "").ID, event(2, "").ID, event(12, "").ID, event(13, "").ID}, ev.ID) {
			t.Fatalf("claimed %s, which was not due", ev.ID)
		}
	}
	if !slices.Contains(ids, event(13, "").ID) {
		t.Fatalf("claimed %v, want it to hold %s", ids, event(13, "").ID)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, nil)
	states := map[int]store.EventState{
		1: store.StatePending, 2: store.StatePending, 10: store.StateDelivered,
		11: store.StatePending, 12: store.StatePending, 13: store.StatePending,
	}
	for i, w := range states {
		ev, err := s.GetEvent(ctx, "acme", event(i, "").ID)
		if err != nil {
			t.Fatalf("GetEvent(%d) after reopen: %v", i, err)
		}
		if ev.State != w {
			t.Fatalf("event %d after reopen: got %s, want %s", i, ev.State, w)
		}
	}
	if ev, _ := s.GetEvent(ctx, "acme", event(11, "").ID); ev.LastError != "boom" || !ev.NextAttempt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("event 11 after reopen: got error %q next %v, want %q %v", ev.LastError, ev.NextAttempt, "boom", t0.Add(time.Hour))
	}
	for state, w := range map[store.EventState]int{store.StatePending: 5, store.StateDelivered: 1, store.StateDead: 0} {
		if n, err := s.CountEvents(ctx, state); err != nil || n != w {
			t.Fatalf("CountEvents(%s): got %d, %v; want %d", state, n, err, w)
		}
	}
}

// TestGroupCommitTxFailure makes one request of a group fail its
// transaction (a claim that meets an unstorable record after it has changed
// others) and checks that only that request fails: the group is rolled
// back and the others are committed one by one.
func TestGroupCommitTxFailure(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "txfail.db"), &Options{NoSync: true})
	ctx := context.Background()
	for _, i := range []int{1, 2, 3} {
		if _, err := s.Enqueue(ctx, event(i, ""), t0); err != nil {
			t.Fatal(err)
		}
	}
	applyLog(t, s)
	// Event 2's record is readable but its Org is longer than a bbolt key
	// may be (written past Enqueue's checks): leasing it fails the
	// transaction after event 1 was leased.
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := getRecord(tx, event(2, "").ID)
		if err != nil {
			return err
		}
		r := *old
		r.Org = strings.Repeat("x", bolt.MaxKeySize)
		return tx.Bucket(bStates).Put([]byte(r.ID), r.encode())
	})
	if err != nil {
		t.Fatal(err)
	}
	var claimErr, completeErr error
	enqueueErrs := make([]error, 4)
	calls := []func(){
		func() { _, claimErr = s.Claim(ctx, t0, time.Minute, 10) },
		func() { completeErr = s.Complete(ctx, event(3, "").ID, 0, t0) },
	}
	for i := range enqueueErrs {
		calls = append(calls, func() { _, enqueueErrs[i] = s.Enqueue(ctx, event(20+i, ""), t0.Add(time.Hour)) })
	}
	batches := holdGroup(t, s, calls)
	t.Logf("%d requests in groups %v", len(calls), batches)
	if !errors.Is(claimErr, berrors.ErrKeyTooLarge) {
		t.Fatalf("Claim: got %v, want %v", claimErr, berrors.ErrKeyTooLarge)
	}
	if completeErr != nil {
		t.Fatalf("Complete: got %v, want nil", completeErr)
	}
	for i, err := range enqueueErrs {
		if err != nil {
			t.Fatalf("Enqueue %d: got %v, want nil", i, err)
		}
	}
	// The failed claim changed nothing: event 1 was not leased.
	ev, err := s.GetEvent(ctx, "acme", event(1, "").ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Attempts != 0 || !ev.NextAttempt.Equal(t0) {
		t.Fatalf("event 1 after the failed claim: got attempts %d next %v, want 0 %v", ev.Attempts, ev.NextAttempt, t0)
	}
	if n, err := s.CountEvents(ctx, store.StatePending); err != nil || n != 2+len(enqueueErrs) {
		t.Fatalf("pending: got %d, %v; want %d", n, err, 2+len(enqueueErrs))
	}
}

// TestWriteContext checks that every queue write gives up while it waits
// for a busy committer once its context ends, and changes nothing.
func TestWriteContext(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wctx.db"), &Options{NoSync: true})
	ctx := context.Background()
	if _, err := s.Enqueue(ctx, event(1, ""), t0); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var once sync.Once
	s.beforeDrain = func() { once.Do(func() { <-release }) }
	held := make(chan error, 1)
	go func() { held <- s.FlushCompletions(ctx) }()
	time.Sleep(50 * time.Millisecond) // the flush holds the committer
	cases := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"claim", func(ctx context.Context) error { _, err := s.Claim(ctx, t0, time.Minute, 1); return err }},
		{"complete", func(ctx context.Context) error { return s.Complete(ctx, event(1, "").ID, 0, t0) }},
		{"fail", func(ctx context.Context) error { return s.Fail(ctx, event(1, "").ID, 0, "x", t0, true) }},
		{"replay", func(ctx context.Context) error { return s.Replay(ctx, "acme", event(1, "").ID, t0) }},
		{"append debug", func(ctx context.Context) error {
			return s.AppendDebug(ctx, &store.DebugEntry{ID: "d1", HookID: "h1", Time: t0, Data: []byte(`{}`)}, 10)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			if err := tc.call(cctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v, want %v", err, context.DeadlineExceeded)
			}
		})
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("held FlushCompletions: %v", err)
	}
	ev, err := s.GetEvent(ctx, "acme", event(1, "").ID)
	if err != nil {
		t.Fatal(err)
	}
	if ev.State != store.StatePending || ev.Attempts != 0 {
		t.Fatalf("event 1: got %s with %d attempts, want pending with 0", ev.State, ev.Attempts)
	}
	if d, err := s.ListDebug(ctx, "h1"); err != nil || len(d) != 0 {
		t.Fatalf("debug entries: got %d, %v; want 0", len(d), err)
	}
}

// TestGroupCommitPanic checks that a write panicking inside the committer
// fails alone, with a *PanicError, while the rest of its group commits,
// and that the store goes on.
func TestGroupCommitPanic(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "panic.db"), &Options{NoSync: true})
	ctx := context.Background()
	var panicErr error
	enqueueErrs := make([]error, 4)
	calls := []func(){
		func() {
			panicErr = s.write(ctx, func(tx *bolt.Tx) (error, error) {
				if err := tx.Bucket(bMeta).Put([]byte("half"), []byte("done")); err != nil {
					return nil, err
				}
				panic("boom")
			})
		},
	}
	for i := range enqueueErrs {
		calls = append(calls, func() { _, enqueueErrs[i] = s.Enqueue(ctx, event(i+1, ""), t0) })
	}
	batches := holdGroup(t, s, calls)
	t.Logf("%d requests in groups %v", len(calls), batches)
	var pe *PanicError
	if !errors.As(panicErr, &pe) || pe.Value != "boom" {
		t.Fatalf("panicking write: got %v, want a *PanicError of %q", panicErr, "boom")
	}
	for i, err := range enqueueErrs {
		if err != nil {
			t.Fatalf("Enqueue %d: got %v, want nil", i, err)
		}
	}
	if n, err := s.CountEvents(ctx, store.StatePending); err != nil || n != len(enqueueErrs) {
		t.Fatalf("pending: got %d, %v; want %d", n, err, len(enqueueErrs))
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bMeta).Get([]byte("half")); v != nil {
			t.Error("the panicking write's change was committed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Enqueue(ctx, event(9, ""), t0); err != nil {
		t.Fatalf("Enqueue after the panic: %v", err)
	}
}

// TestCompleteLaterAlone checks that a completion left by CompleteLater is
// committed within LazyDelay when no other write comes to carry it.
func TestCompleteLaterAlone(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "lazy.db"), &Options{NoSync: true, LazyDelay: 5 * time.Millisecond})
	ctx := context.Background()
	e := event(1, "")
	if _, err := s.EnqueueClaimed(ctx, e, t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	s.CompleteLater(e.ID, 1, t0.Add(time.Second))
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev, err := s.GetEvent(ctx, e.Org, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ev.State == store.StateDelivered {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("state after CompleteLater and no other write: got %s, want delivered", ev.State)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLazyDelayNotPushedOut checks that lazy work of another kind coming
// while the LazyDelay timer runs does not start it over: a key change
// followed, before LazyDelay, by a completion is still committed within
// LazyDelay of the change.
func TestLazyDelayNotPushedOut(t *testing.T) {
	const delay = 500 * time.Millisecond
	s := openTest(t, filepath.Join(t.TempDir(), "delay.db"), &Options{NoSync: true, LazyDelay: delay})
	start := time.Now()
	if _, err := s.ReserveKey(context.Background(), "h1", "k1", "e1", t0, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(delay * 3 / 5)
	s.CompleteLater("unknown", 1, t0) // dropped by the commit: no such event
	for {
		var ok bool
		err := s.db.View(func(tx *bolt.Tx) error {
			_, found, err := getSeen(tx, idemKey("h1", "k1"))
			ok = found
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			break
		}
		// Started over, the timer would fire 1.6 delays after the change.
		if time.Since(start) > delay*3/2 {
			t.Fatalf("the reservation was not committed %v after it was made (LazyDelay %v)", time.Since(start), delay)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
