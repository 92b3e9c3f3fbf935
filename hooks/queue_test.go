package hooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// testStores are the stores the tests of what depends on a store's
// behaviour (the queue, the Registry's lookups and updates) run against.
var testStores = []struct {
	name string
	new  func(t *testing.T) store.Store
}{
	{"memstore", func(t *testing.T) store.Store {
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"memstore-shared", func(t *testing.T) store.Store {
		// Without store.LocalQueue: every event goes through Claim, as on
		// a store that several processes share.
		s := memstore.New()
		t.Cleanup(func() { _ = s.Close() })
		return sharedStore{s}
	}},
	{"boltstore", func(t *testing.T) store.Store {
		// A real file with fsync: the durability the queue promises.
		s, err := boltstore.Open(filepath.Join(t.TempDir(), "q.db"), nil)
		if err != nil {
			t.Fatalf("boltstore.Open: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

// sharedStore hides the optional interfaces of the Store it wraps.
type sharedStore struct{ store.Store }

// forStores runs fn once per store as a subtest.
func forStores(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	for _, st := range testStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			fn(t, st.new(t))
		})
	}
}

// fakeClock is a settable clock for Now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recorder is a Trigger that counts calls per event ID and can fail.
type recorder struct {
	mu     sync.Mutex
	calls  map[string]int
	events []*hooks.Event
	fail   func(e *hooks.Event, call int) error // nil: always succeed
}

func newRecorder(fail func(e *hooks.Event, call int) error) *recorder {
	return &recorder{calls: map[string]int{}, fail: fail}
}

func (r *recorder) Fire(_ context.Context, e *hooks.Event) error {
	r.mu.Lock()
	r.calls[e.ID]++
	n := r.calls[e.ID]
	r.mu.Unlock()
	if r.fail != nil {
		if err := r.fail(e, n); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	return nil
}

func (r *recorder) Calls(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

func (r *recorder) Delivered() []*hooks.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*hooks.Event(nil), r.events...)
}

// fastOptions are options for tests with a real clock: tiny backoffs and
// polls.
func fastOptions() hooks.QueueOptions {
	return hooks.QueueOptions{MinBackoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond,
		PollInterval: 2 * time.Millisecond}
}

// startQueue makes and starts a Queue, shut down at cleanup.
func startQueue(t *testing.T, s store.QueueStore, tr hooks.Trigger, opts hooks.QueueOptions) *hooks.Queue {
	t.Helper()
	q := newQueue(t, s, tr, opts)
	if err := q.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := q.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return q
}

func newQueue(t *testing.T, s store.QueueStore, tr hooks.Trigger, opts hooks.QueueOptions) *hooks.Queue {
	t.Helper()
	q, err := hooks.NewQueue(s, tr, opts)
	if err != nil {
		t.Fatalf("NewQueue: %v", err)
	}
	return q
}

var testIDs hooks.IDGenerator

func testEvent(org, hookID, key string) *hooks.Event {
	now := time.Now().UTC()
	return &hooks.Event{ID: testIDs.New(now), Org: org, HookID: hookID, HookKind: kindWeb,
		HookName: "Orders", ReceivedAt: now, Data: map[string]any{"n": json.Number("1")},
		Raw: []byte(`{"n":1}`), ContentType: "application/json", IdempotencyKey: key}
}

func deliver(t *testing.T, q *hooks.Queue, e *hooks.Event) hooks.Receipt {
	t.Helper()
	r, err := q.Deliver(context.Background(), e)
	if err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	return r
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func status(t *testing.T, q *hooks.Queue, org, id string) *hooks.EventStatus {
	t.Helper()
	st, err := q.Get(context.Background(), org, id)
	if err != nil {
		t.Fatalf("Get %s: %v", id, err)
	}
	return st
}

func waitState(t *testing.T, q *hooks.Queue, org, id, state string) *hooks.EventStatus {
	t.Helper()
	var st *hooks.EventStatus
	waitFor(t, "event "+id+" "+state, func() bool {
		st = status(t, q, org, id)
		return st.State == state
	})
	return st
}

func TestNewQueueOptions(t *testing.T) {
	s := memstore.New()
	tr := hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil })
	tests := []struct {
		name  string
		opts  hooks.QueueOptions
		field string // "" means valid
	}{
		{"zero", hooks.QueueOptions{}, ""},
		{"negative workers", hooks.QueueOptions{Workers: -1}, "workers"},
		{"negative lease", hooks.QueueOptions{Lease: -time.Second}, "lease"},
		{"lease not above timeout", hooks.QueueOptions{Lease: time.Second, AttemptTimeout: time.Second}, "lease"},
		{"default lease below timeout", hooks.QueueOptions{AttemptTimeout: time.Minute}, "lease"},
		{"max below min backoff", hooks.QueueOptions{MinBackoff: time.Minute, MaxBackoff: time.Second}, "max_backoff"},
		{"retention below dedup", hooks.QueueOptions{DedupWindow: 48 * time.Hour, Retention: 24 * time.Hour}, "retention"},
		{"default retention below dedup", hooks.QueueOptions{DedupWindow: 30 * 24 * time.Hour}, "retention"},
		{"retention equal to dedup", hooks.QueueOptions{DedupWindow: time.Hour, Retention: time.Hour}, ""},
		{"negative attempts", hooks.QueueOptions{MaxAttempts: -1}, "max_attempts"},
		{"negative poll", hooks.QueueOptions{PollInterval: -1}, "poll_interval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := hooks.NewQueue(s, tr, tt.opts)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			var ve *hooks.ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, hooks.ErrInvalid) {
				t.Fatalf("got %v, want a validation error on %q", err, tt.field)
			}
		})
	}
	if _, err := hooks.NewQueue(nil, tr, hooks.QueueOptions{}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("nil store: got %v, want ErrInvalid", err)
	}
	if _, err := hooks.NewQueue(s, nil, hooks.QueueOptions{}); !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("nil trigger: got %v, want ErrInvalid", err)
	}
}

func TestQueueRetriesUntilDelivered(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		const failures = 3
		rec := newRecorder(func(_ *hooks.Event, call int) error {
			if call <= failures {
				return fmt.Errorf("failure %d", call)
			}
			return nil
		})
		q := startQueue(t, s, rec, fastOptions())
		e := testEvent("org1", "h1", "")
		if r := deliver(t, q, e); r.ID != e.ID || r.Duplicate {
			t.Fatalf("Receipt: got %+v, want ID %s, not duplicate", r, e.ID)
		}
		st := waitState(t, q, "org1", e.ID, "delivered")
		if st.Attempts != failures+1 {
			t.Fatalf("Attempts: got %d, want %d", st.Attempts, failures+1)
		}
		if st.LastError != "failure 3" {
			t.Fatalf("LastError: got %q, want %q", st.LastError, "failure 3")
		}
		if got := rec.Calls(e.ID); got != failures+1 {
			t.Fatalf("Fire calls: got %d, want %d", got, failures+1)
		}
		if d, err := q.Depth(context.Background()); err != nil || d != 0 {
			t.Fatalf("Depth: got %d, %v, want 0, nil", d, err)
		}
	})
}

// TestQueueStaleAttemptKeepsDelivery runs an attempt that outlives its
// lease: the event is claimed again and delivered by the second attempt,
// and the first attempt's late failure must not put it back to pending
// (a third delivery) or to dead.
func TestQueueStaleAttemptKeepsDelivery(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		firstDone := make(chan struct{})
		rec := newRecorder(func(_ *hooks.Event, call int) error {
			if call == 1 {
				defer close(firstDone)
				time.Sleep(500 * time.Millisecond) // past the lease, ignoring ctx
				return errors.New("first attempt, too late")
			}
			return nil
		})
		opts := fastOptions()
		opts.Lease, opts.AttemptTimeout = 200*time.Millisecond, 100*time.Millisecond
		q := startQueue(t, s, rec, opts)
		e := testEvent("org1", "h1", "")
		deliver(t, q, e)
		waitState(t, q, "org1", e.ID, "delivered")
		select {
		case <-firstDone:
		case <-time.After(10 * time.Second):
			t.Fatal("timed out waiting for the first attempt")
		}
		// Give a wrongly re-queued event time to be fired again.
		time.Sleep(300 * time.Millisecond)
		st := status(t, q, "org1", e.ID)
		if st.State != "delivered" || st.Attempts != 2 || st.LastError != "" {
			t.Fatalf("event: got %s after %d attempts (last error %q), want delivered after 2 with no error",
				st.State, st.Attempts, st.LastError)
		}
		if got := rec.Calls(e.ID); got != 2 {
			t.Fatalf("Fire calls: got %d, want 2", got)
		}
	})
}

func TestQueueBackoffGrows(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		clock := newFakeClock()
		rec := newRecorder(func(_ *hooks.Event, call int) error { return fmt.Errorf("failure %d", call) })
		q := startQueue(t, s, rec, hooks.QueueOptions{MinBackoff: time.Second, MaxBackoff: 8 * time.Second,
			MaxAttempts: 6, PollInterval: time.Millisecond, Now: clock.Now})
		e := testEvent("org1", "h1", "")
		deliver(t, q, e)
		// The delay after failed attempt n is in [d/2, d], d = 1s*2^(n-1) capped at 8s.
		wantMax := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second}
		for i, dmax := range wantMax {
			n := i + 1
			var st *hooks.EventStatus
			waitFor(t, fmt.Sprintf("failure %d recorded", n), func() bool {
				st = status(t, q, "org1", e.ID)
				return st.LastError == fmt.Sprintf("failure %d", n) && st.State == "pending"
			})
			if st.Attempts != n {
				t.Fatalf("attempt %d: Attempts: got %d, want %d", n, st.Attempts, n)
			}
			delay := st.NextAttempt.Sub(clock.Now())
			if delay < dmax/2 || delay > dmax {
				t.Fatalf("attempt %d: delay: got %v, want in [%v, %v]", n, delay, dmax/2, dmax)
			}
			// Not due yet: no further attempt.
			time.Sleep(5 * time.Millisecond)
			if got := rec.Calls(e.ID); got != n {
				t.Fatalf("attempt %d: calls before the backoff ran out: got %d, want %d", n, got, n)
			}
			clock.Advance(delay)
		}
		st := waitState(t, q, "org1", e.ID, "dead")
		if st.Attempts != 6 || st.LastError != "failure 6" {
			t.Fatalf("dead event: got attempts %d, last error %q, want 6, %q", st.Attempts, st.LastError, "failure 6")
		}
	})
}

func TestQueueDeadAndReplay(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		var broken atomic.Bool
		broken.Store(true)
		rec := newRecorder(func(*hooks.Event, int) error {
			if broken.Load() {
				return errors.New("engine down")
			}
			return nil
		})
		opts := fastOptions()
		opts.MaxAttempts = 3
		q := startQueue(t, s, rec, opts)
		ctx := context.Background()
		e := testEvent("org1", "h1", "")
		deliver(t, q, e)
		st := waitState(t, q, "org1", e.ID, "dead")
		if st.Attempts != 3 || st.LastError != "engine down" {
			t.Fatalf("dead: got attempts %d, last error %q, want 3, %q", st.Attempts, st.LastError, "engine down")
		}
		if !st.NextAttempt.IsZero() {
			t.Fatalf("dead: NextAttempt: got %v, want zero", st.NextAttempt)
		}
		dead, err := q.Events(ctx, "org1", store.EventQuery{State: store.StateDead})
		if err != nil || len(dead) != 1 || dead[0].ID != e.ID || dead[0].HookID != "h1" || dead[0].Attempts != 3 {
			t.Fatalf("Events(dead): got %+v, %v, want the one dead event", dead, err)
		}
		if dead[0].Event != nil {
			t.Fatalf("Events(dead): Event: got %v, want nil", dead[0].Event)
		}
		if other, err := q.Events(ctx, "org2", store.EventQuery{State: store.StateDead}); err != nil || len(other) != 0 {
			t.Fatalf("Events(other org): got %+v, %v, want none", other, err)
		}
		time.Sleep(20 * time.Millisecond)
		if got := rec.Calls(e.ID); got != 3 {
			t.Fatalf("calls of a dead event: got %d, want 3", got)
		}

		for _, tt := range []struct {
			name, org, id string
			want          error
		}{
			{"unknown", "org1", "nope", hooks.ErrNotFound},
			{"other org", "org2", e.ID, hooks.ErrNotFound},
		} {
			if err := q.Replay(ctx, tt.org, tt.id); !errors.Is(err, tt.want) {
				t.Fatalf("Replay(%s): got %v, want %v", tt.name, err, tt.want)
			}
		}

		broken.Store(false)
		if err := q.Replay(ctx, "org1", e.ID); err != nil {
			t.Fatalf("Replay: %v", err)
		}
		st = waitState(t, q, "org1", e.ID, "delivered")
		if st.Attempts != 1 {
			t.Fatalf("replayed: Attempts: got %d, want 1", st.Attempts)
		}
		if got := rec.Calls(e.ID); got != 4 {
			t.Fatalf("calls: got %d, want 4", got)
		}
		if err := q.Replay(ctx, "org1", e.ID); !errors.Is(err, store.ErrConflict) {
			t.Fatalf("Replay(delivered): got %v, want store.ErrConflict", err)
		}
		del, err := q.Events(ctx, "org1", store.EventQuery{State: store.StateDelivered, Limit: 10})
		if err != nil || len(del) != 1 || del[0].ID != e.ID {
			t.Fatalf("Events(delivered): got %+v, %v", del, err)
		}
	})
}

func TestQueueEventsValidation(t *testing.T) {
	q := newQueue(t, memstore.New(), newRecorder(nil), hooks.QueueOptions{})
	ctx := context.Background()
	tests := []struct {
		name  string
		state string
		limit int
		field string
	}{
		{"every state", "", 0, ""},
		{"unknown state", "gone", 0, "state"},
		{"upper case", "DEAD", 0, "state"},
		{"negative limit", "dead", -1, "limit"},
		{"ok", "pending", 5000, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := q.Events(ctx, "", store.EventQuery{State: store.EventState(tt.state), Limit: tt.limit})
			var ve *hooks.ValidationError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("got %v, want nil", err)
			case tt.field != "" && (!errors.As(err, &ve) || ve.Field != tt.field):
				t.Fatalf("got %v, want a validation error on %q", err, tt.field)
			}
		})
	}
	if _, err := q.Get(ctx, "", "nope"); !errors.Is(err, hooks.ErrNotFound) {
		t.Fatalf("Get(unknown): got %v, want ErrNotFound", err)
	}
}

func TestQueueDedup(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		clock := newFakeClock()
		rec := newRecorder(nil)
		opts := fastOptions()
		opts.Now = clock.Now
		opts.DedupWindow = time.Hour
		opts.Retention = time.Hour
		q := startQueue(t, s, rec, opts)
		long := strings.Repeat("k", 10_000)
		tests := []struct {
			name    string
			first   *hooks.Event
			second  *hooks.Event
			advance time.Duration
			dup     bool
		}{
			{"same key", testEvent("o", "h1", "k1"), testEvent("o", "h1", "k1"), 0, true},
			{"same key near the window's end", testEvent("o", "h1", "k2"), testEvent("o", "h1", "k2"), 59 * time.Minute, true},
			{"long key", testEvent("o", "h1", long), testEvent("o", "h1", long), 0, true},
			{"long keys differing at the end", testEvent("o", "h1", long+"a"), testEvent("o", "h1", long+"b"), 0, false},
			{"other hook", testEvent("o", "h1", "k3"), testEvent("o", "h2", "k3"), 0, false},
			{"no key", testEvent("o", "h1", ""), testEvent("o", "h1", ""), 0, false},
			{"outside the window", testEvent("o", "h1", "k4"), testEvent("o", "h1", "k4"), 61 * time.Minute, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r1 := deliver(t, q, tt.first)
				waitState(t, q, "o", tt.first.ID, "delivered")
				clock.Advance(tt.advance)
				r2 := deliver(t, q, tt.second)
				if r1.ID != tt.first.ID || r1.Duplicate {
					t.Fatalf("first receipt: got %+v, want ID %s", r1, tt.first.ID)
				}
				if tt.dup {
					if r2.ID != tt.first.ID || !r2.Duplicate {
						t.Fatalf("second receipt: got %+v, want {ID:%s Duplicate:true}", r2, tt.first.ID)
					}
					time.Sleep(10 * time.Millisecond)
					if n := rec.Calls(tt.second.ID); n != 0 {
						t.Fatalf("duplicate fired %d times, want 0", n)
					}
					if _, err := q.Get(context.Background(), "o", tt.second.ID); !errors.Is(err, hooks.ErrNotFound) {
						t.Fatalf("duplicate stored: Get got %v, want ErrNotFound", err)
					}
				} else {
					if r2.ID != tt.second.ID || r2.Duplicate {
						t.Fatalf("second receipt: got %+v, want {ID:%s Duplicate:false}", r2, tt.second.ID)
					}
					waitState(t, q, "o", tt.second.ID, "delivered")
				}
				if n := rec.Calls(tt.first.ID); n != 1 {
					t.Fatalf("first fired %d times, want 1", n)
				}
			})
		}
	})
}

func TestQueueWakesOnDeliver(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		rec := newRecorder(nil)
		// An hour's poll: only the wake-up can get the event out in time.
		q := startQueue(t, s, rec, hooks.QueueOptions{PollInterval: time.Hour})
		time.Sleep(10 * time.Millisecond) // let the first (empty) claim pass
		for range 3 {
			e := testEvent("o", "h", "")
			start := time.Now()
			deliver(t, q, e)
			waitFor(t, "delivery", func() bool { return rec.Calls(e.ID) == 1 })
			if d := time.Since(start); d > time.Second {
				t.Fatalf("commit to Fire took %v, want well under the poll interval", d)
			}
		}
	})
}

func TestQueueShutdownDrains(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		release := make(chan struct{})
		var inFlight atomic.Int32
		rec := newRecorder(func(*hooks.Event, int) error {
			inFlight.Add(1)
			<-release
			return nil
		})
		opts := fastOptions()
		opts.Workers = 4
		q := newQueue(t, s, rec, opts)
		if err := q.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		if err := q.Start(context.Background()); err == nil {
			t.Fatal("second Start: got nil, want an error")
		}
		var ids []string
		for range 4 {
			e := testEvent("o", "h", "")
			ids = append(ids, e.ID)
			deliver(t, q, e)
		}
		waitFor(t, "4 attempts in flight", func() bool { return inFlight.Load() == 4 })
		done := make(chan error, 1)
		go func() { done <- q.Shutdown(context.Background()) }()
		time.Sleep(20 * time.Millisecond)
		select {
		case err := <-done:
			t.Fatalf("Shutdown returned %v before the attempts in flight finished", err)
		default:
		}
		// Accepted after Shutdown began: committed, not fired.
		late := testEvent("o", "h", "")
		deliver(t, q, late)
		close(release)
		if err := <-done; err != nil {
			t.Fatalf("Shutdown: %v", err)
		}
		for _, id := range ids {
			if st := status(t, q, "o", id); st.State != "delivered" {
				t.Fatalf("event %s after Shutdown: got %s, want delivered", id, st.State)
			}
		}
		if st := status(t, q, "o", late.ID); st.State != "pending" || st.Attempts != 0 {
			t.Fatalf("late event: got %s after %d attempts, want pending after 0", st.State, st.Attempts)
		}
		if err := q.Shutdown(context.Background()); err != nil {
			t.Fatalf("second Shutdown: %v", err)
		}
	})
}

func TestQueueShutdownTimeout(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		var started atomic.Bool
		tr := hooks.TriggerFunc(func(ctx context.Context, e *hooks.Event) error {
			started.Store(true)
			<-ctx.Done()
			return ctx.Err()
		})
		q := newQueue(t, s, tr, fastOptions())
		if err := q.Start(context.Background()); err != nil {
			t.Fatalf("Start: %v", err)
		}
		e := testEvent("o", "h", "")
		deliver(t, q, e)
		waitFor(t, "the attempt", started.Load)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		if err := q.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown: got %v, want context.DeadlineExceeded", err)
		}
		// The cancelled attempt is recorded and the event is due again at
		// once, for the next dispatcher.
		st := status(t, q, "o", e.ID)
		if st.State != "pending" || !strings.Contains(st.LastError, "dispatcher stopped") {
			t.Fatalf("after Shutdown: got %s, %q, want pending with a stop error", st.State, st.LastError)
		}
		if st.NextAttempt.After(time.Now()) {
			t.Fatalf("NextAttempt: got %v, want now or earlier", st.NextAttempt)
		}
	})
}

func TestQueueShutdownNotStarted(t *testing.T) {
	q := newQueue(t, memstore.New(), newRecorder(nil), hooks.QueueOptions{})
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: got %v, want nil", err)
	}
}

func TestQueueSeveralDispatchers(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		const n, queues = 400, 4
		rec := newRecorder(nil)
		var qs []*hooks.Queue
		for range queues {
			opts := fastOptions()
			opts.Workers = 4
			qs = append(qs, startQueue(t, s, rec, opts))
		}
		var wg sync.WaitGroup
		ids := make([]string, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := testEvent("o", "h", "")
				ids[i] = e.ID
				if _, err := qs[i%queues].Deliver(context.Background(), e); err != nil {
					t.Errorf("Deliver: %v", err)
				}
			}()
		}
		wg.Wait()
		waitFor(t, "all delivered", func() bool { return len(rec.Delivered()) >= n })
		time.Sleep(20 * time.Millisecond)
		for _, id := range ids {
			if c := rec.Calls(id); c != 1 {
				t.Fatalf("event %s fired %d times, want 1", id, c)
			}
		}
		if got := len(rec.Delivered()); got != n {
			t.Fatalf("deliveries: got %d, want %d", got, n)
		}
	})
}

func TestQueueTriggerPanics(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		rec := newRecorder(func(_ *hooks.Event, call int) error {
			if call == 1 {
				panic("boom")
			}
			return nil
		})
		q := startQueue(t, s, rec, fastOptions())
		e := testEvent("o", "h", "")
		deliver(t, q, e)
		st := waitState(t, q, "o", e.ID, "delivered")
		if st.Attempts != 2 || !strings.Contains(st.LastError, "panicked: boom") {
			t.Fatalf("got attempts %d, last error %q, want 2 and the panic", st.Attempts, st.LastError)
		}
	})
}

func TestQueuePrunesDelivered(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		clock := newFakeClock()
		var broken atomic.Bool
		broken.Store(true)
		rec := newRecorder(func(e *hooks.Event, _ int) error {
			if e.HookID == "bad" && broken.Load() {
				return errors.New("no")
			}
			return nil
		})
		opts := fastOptions()
		opts.Now, opts.MaxAttempts = clock.Now, 1
		opts.DedupWindow, opts.Retention, opts.PruneInterval = time.Hour, 2*time.Hour, time.Millisecond
		q := startQueue(t, s, rec, opts)
		good, bad := testEvent("o", "good", "key"), testEvent("o", "bad", "")
		deliver(t, q, good)
		deliver(t, q, bad)
		waitState(t, q, "o", good.ID, "delivered")
		waitState(t, q, "o", bad.ID, "dead")
		clock.Advance(2*time.Hour + time.Second)
		waitFor(t, "prune", func() bool {
			_, err := q.Get(context.Background(), "o", good.ID)
			return errors.Is(err, hooks.ErrNotFound)
		})
		if st := status(t, q, "o", bad.ID); st.State != "dead" {
			t.Fatalf("dead event after prune: got %s, want dead (kept)", st.State)
		}
	})
}

func TestQueueSameEventAsSync(t *testing.T) {
	received := time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)
	e := &hooks.Event{
		ID: testIDs.New(received), Org: "org", HookID: "h", HookKind: kindEmail, HookName: "Mail",
		ReceivedAt: received,
		Data: map[string]any{
			"big":    json.Number("12345678901234567890123"),
			"float":  json.Number("1.5e3"),
			"s":      "héllo",
			"b":      true,
			"null":   nil,
			"list":   []any{json.Number("1"), "two", []any{}, map[string]any{}},
			"nested": map[string]any{"a": map[string]any{"b": []any{json.Number("-0.0")}}},
		},
		Raw:         []byte{0xff, 0x00, 'x', '\n'},
		ContentType: "multipart/form-data",
		Header:      http.Header{"X-Test": {"a", "b"}},
		RemoteAddr:  "192.0.2.1:1234",
		Files: []hooks.File{{Field: "f", Name: "a.bin", ContentType: "application/octet-stream", Size: 3,
			SHA256: "abc", Content: []byte{1, 2, 3}}},
		Email: &hooks.Email{From: "a@example.com", To: []string{"b@example.com"}, Recipients: []string{"t@in.example.com"},
			Subject: "Hi", MessageID: "<m@x>", Date: received.Truncate(time.Second),
			Objects: []map[string]any{{"@type": "Order", "price": json.Number("9.99")}}, Warnings: []string{"w"}},
		IdempotencyKey: "<m@x>",
	}
	var syncGot *hooks.Event
	if _, err := hooks.Sync(hooks.TriggerFunc(func(_ context.Context, ev *hooks.Event) error {
		syncGot = ev
		return nil
	})).Deliver(context.Background(), e); err != nil {
		t.Fatalf("sync Deliver: %v", err)
	}
	forStores(t, func(t *testing.T, s store.Store) {
		rec := newRecorder(nil)
		q := startQueue(t, s, rec, fastOptions())
		deliver(t, q, e)
		waitFor(t, "delivery", func() bool { return len(rec.Delivered()) == 1 })
		got := rec.Delivered()[0]
		if !reflect.DeepEqual(got, syncGot) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(syncGot)
			t.Fatalf("queued event differs from the sync one:\ngot  %s\nwant %s\n(%#v)", g, w, got.Data)
		}
		st := status(t, q, "org", e.ID)
		if !reflect.DeepEqual(st.Event, syncGot) {
			t.Fatalf("Get: Event: got %+v, want %+v", st.Event, syncGot)
		}
	})
}

func TestQueueUnreadablePayloadIsDead(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		now := time.Now().UTC()
		if _, err := s.Enqueue(context.Background(), &store.QueuedEvent{ID: "bad", Org: "o", HookID: "h",
			Payload: []byte("{not json"), NextAttempt: now, CreatedAt: now, UpdatedAt: now}, now); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		rec := newRecorder(nil)
		q := startQueue(t, s, rec, fastOptions())
		st := waitState(t, q, "o", "bad", "dead")
		if st.Attempts != 1 || !strings.Contains(st.LastError, "decode") {
			t.Fatalf("got attempts %d, last error %q, want 1 and a decode error", st.Attempts, st.LastError)
		}
		if len(rec.Delivered()) != 0 {
			t.Fatal("an unreadable event reached the Trigger")
		}
		if st, err := q.Get(context.Background(), "o", "bad"); err != nil || st.Event != nil {
			t.Fatalf("Get of an unreadable event: got %+v, %v, want a status without Event", st, err)
		}
	})
}

func TestQueueDeliverInvalid(t *testing.T) {
	q := newQueue(t, memstore.New(), newRecorder(nil), hooks.QueueOptions{})
	tests := []struct {
		name string
		e    *hooks.Event
	}{
		{"nil", nil},
		{"no ID", &hooks.Event{HookID: "h"}},
		{"unencodable data", &hooks.Event{ID: "x", HookID: "h", Data: map[string]any{"n": json.Number("not a number")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := q.Deliver(context.Background(), tt.e); err == nil {
				t.Fatal("got nil, want an error")
			}
		})
	}
}

// FuzzQueueGet feeds arbitrary stored payloads to the queue's event
// decoder (through Get): it must return an event or an error, never panic.
func FuzzQueueGet(f *testing.F) {
	seed, _ := json.Marshal(testEvent("o", "h", "k"))
	f.Add(seed)
	f.Add([]byte(`{"id":"x","data":{"n":1e999}}`))
	f.Add([]byte(`{"raw":"!!"}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"email":{"date":"yesterday"}}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		s := memstore.New()
		now := time.Now().UTC()
		if _, err := s.Enqueue(context.Background(), &store.QueuedEvent{ID: "e", Org: "o", HookID: "h",
			Payload: payload, NextAttempt: now, CreatedAt: now, UpdatedAt: now}, now); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		q, err := hooks.NewQueue(s, newRecorder(nil), hooks.QueueOptions{})
		if err != nil {
			t.Fatal(err)
		}
		st, err := q.Get(context.Background(), "o", "e")
		if err != nil || st == nil || st.ID != "e" {
			t.Fatalf("Get: got %+v with a nil error", st)
		}
	})
}

func TestQueueLongErrorTruncated(t *testing.T) {
	forStores(t, func(t *testing.T, s store.Store) {
		rec := newRecorder(func(_ *hooks.Event, call int) error {
			if call == 1 {
				return errors.New(strings.Repeat("é", 5000))
			}
			return nil
		})
		q := startQueue(t, s, rec, fastOptions())
		e := testEvent("o", "h", "")
		deliver(t, q, e)
		st := waitState(t, q, "o", e.ID, "delivered")
		if len(st.LastError) == 0 || len(st.LastError) > 1000 || !utf8.ValidString(st.LastError) {
			t.Fatalf("LastError: got %d bytes (valid UTF-8: %v), want 1 to 1000 valid bytes", len(st.LastError), utf8.ValidString(st.LastError))
		}
	})
}

// bodyIntake decodes with hooks.DecodeBody, as the HTTP kinds do.
type bodyIntake struct{}

func (bodyIntake) NewSession(_ *hooks.Hook, a *hooks.Arrival) hooks.Session { return bodySession{a} }

type bodySession struct{ a *hooks.Arrival }

func (bodySession) Authenticate(context.Context) error { return nil }

func (s bodySession) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	return hooks.DecodeBody(s.a.Header.Get("Content-Type"), body, hooks.DecodeOptions{})
}

// TestQueuePipelineSameAsSync runs real bodies through the pipeline in
// sync mode and in queue mode: the Trigger must see the same Event, but
// for its ID and time.
func TestQueuePipelineSameAsSync(t *testing.T) {
	multipart := "--XyZ\r\nContent-Disposition: form-data; name=\"a[]\"\r\n\r\n1\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"a[]\"\r\n\r\n2\r\n" +
		"--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n\x00\x01\xff\r\n" +
		"--XyZ--\r\n"
	bodies := []struct {
		name, ctype, body string
	}{
		{"json", "application/json", `{"id":12345678901234567890,"f":1.50,"s":"é\u0000","a":[null,true,{"b":[]}]}`},
		{"json scalar", "application/json", `-0.5e-7`},
		{"urlencoded", "application/x-www-form-urlencoded", "name=Ann&tags=a&tags=b&x[y]=z&empty="},
		{"multipart", "multipart/form-data; boundary=XyZ", multipart},
	}
	ctx := context.Background()
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			s := memstore.New()
			reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
			if err != nil {
				t.Fatal(err)
			}
			registerTestKinds(t, reg)
			h, err := reg.Create(ctx, "org", hooks.HookSpec{Name: "Form", Kind: kindForm})
			if err != nil {
				t.Fatal(err)
			}
			run := func(d hooks.Delivery) {
				t.Helper()
				p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: d})
				if err != nil {
					t.Fatal(err)
				}
				res := p.Ingest(ctx, &hooks.Arrival{Kind: kindForm, Token: h.Token, Method: "POST",
					Path: "/hooks/form/" + h.Token, RemoteAddr: "192.0.2.7:99",
					Header: http.Header{"Content-Type": {tt.ctype}, "Idempotency-Key": {"k"}},
					Body:   strings.NewReader(tt.body)}, bodyIntake{})
				if res.Err != nil {
					t.Fatalf("Ingest: %v", res.Err)
				}
			}
			syncRec, queueRec := newRecorder(nil), newRecorder(nil)
			run(hooks.Sync(syncRec))
			run(startQueue(t, s, queueRec, fastOptions()))
			waitFor(t, "queued delivery", func() bool { return len(queueRec.Delivered()) == 1 })
			want, got := *syncRec.Delivered()[0], *queueRec.Delivered()[0]
			if got.ID == want.ID || !got.ReceivedAt.After(want.ReceivedAt) && !got.ReceivedAt.Equal(want.ReceivedAt) {
				t.Fatalf("ID/time: got %s %v after %s %v, want a new, later event", got.ID, got.ReceivedAt, want.ID, want.ReceivedAt)
			}
			got.ID, got.ReceivedAt = want.ID, want.ReceivedAt
			if !reflect.DeepEqual(got, want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(want)
				t.Fatalf("queue mode event differs from sync mode:\ngot  %s\nwant %s\ngot data  %#v\nwant data %#v", g, w, got.Data, want.Data)
			}
		})
	}
}

// A short Lease alone is enough: the attempt timeout follows it, so that the
// lease still outlasts an attempt.
func TestQueueShortLeaseDerivesAttemptTimeout(t *testing.T) {
	trig := hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil })
	if _, err := hooks.NewQueue(memstore.New(), trig, hooks.QueueOptions{Lease: 2 * time.Second}); err != nil {
		t.Fatalf("Lease 2s: %v", err)
	}
	_, err := hooks.NewQueue(memstore.New(), trig, hooks.QueueOptions{Lease: 2 * time.Second, AttemptTimeout: 3 * time.Second})
	if !errors.Is(err, hooks.ErrInvalid) {
		t.Fatalf("Lease 2s with an explicit 3s attempt: got %v, want ErrInvalid", err)
	}
}
