package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
)

// TestEnqueueGroupCommit enqueues from many goroutines at once: events
// share transactions, and each caller still gets its own answer (stored,
// a duplicate of the one event that won its key, or an ID in use).
func TestEnqueueGroupCommit(t *testing.T) {
	dsn := testDSN(t)
	s := openStore(t, dsn, newSchema(t, dsn))
	ctx := context.Background()
	if _, err := s.Enqueue(ctx, event("taken", "h1", "", t0), t0); err != nil {
		t.Fatal(err)
	}
	before := pgstore.EnqueueGroups(s)
	const n = 200
	ids := make([]string, n)
	errs := make([]error, n)
	start(n, func(i int) {
		var e *store.QueuedEvent
		switch {
		case i%10 == 0: // 20 events with one key: one is stored
			e = event(fmt.Sprintf("k%03d", i), "h1", "same", t0)
		case i%10 == 1: // 20 events with the ID in use
			e = event("taken", "h1", "", t0)
		default:
			e = event(fmt.Sprintf("e%03d", i), "h1", fmt.Sprintf("key%03d", i), t0)
		}
		ids[i], errs[i] = s.Enqueue(ctx, e, t0.Add(-time.Hour))
	})
	groups := pgstore.EnqueueGroups(s) - before
	winner := ""
	for i := range n {
		switch {
		case i%10 == 0:
			if errs[i] == nil {
				if winner != "" {
					t.Fatalf("two events stored with one key: %s and %s", winner, ids[i])
				}
				winner = ids[i]
			}
		case i%10 == 1:
			if !errors.Is(errs[i], store.ErrConflict) {
				t.Fatalf("Enqueue(ID in use): got %v, want %v", errs[i], store.ErrConflict)
			}
		default:
			if errs[i] != nil || ids[i] != fmt.Sprintf("e%03d", i) {
				t.Fatalf("Enqueue %d: got %q, %v", i, ids[i], errs[i])
			}
		}
	}
	if winner == "" {
		t.Fatal("no event with the shared key was stored")
	}
	for i := 0; i < n; i += 10 {
		if ids[i] != winner && (!errors.Is(errs[i], store.ErrDuplicate) || ids[i] != winner) {
			t.Fatalf("Enqueue(shared key) %d: got %q, %v, want %q with %v", i, ids[i], errs[i], winner, store.ErrDuplicate)
		}
	}
	if c, err := s.CountEvents(ctx, store.StatePending); err != nil || c != 1+1+n*8/10 {
		t.Fatalf("CountEvents: got %d, %v, want %d", c, err, 1+1+n*8/10)
	}
	t.Logf("%d Enqueues in %d transactions", n, groups)
	if groups >= n {
		t.Fatalf("transactions: got %d for %d concurrent Enqueues, want fewer (group commit)", groups, n)
	}
}

// TestCompleteGroupCommit completes claimed events from many goroutines
// at once, each event twice and some with a stale attempt number: one
// completion of each event applies, the others get ErrStale, and unknown
// IDs ErrNotFound.
func TestCompleteGroupCommit(t *testing.T) {
	dsn := testDSN(t)
	s := openStore(t, dsn, newSchema(t, dsn))
	ctx := context.Background()
	const n = 60
	for i := range n {
		if _, err := s.Enqueue(ctx, event(fmt.Sprintf("e%03d", i), "h1", "", t0), t0); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := s.Claim(ctx, t0, time.Hour, n)
	if err != nil || len(evs) != n {
		t.Fatalf("Claim: got %d, %v", len(evs), err)
	}
	errs := make([]error, 3*n+1)
	start(3*n+1, func(i int) {
		switch {
		case i == 3*n:
			errs[i] = s.Complete(ctx, "unknown", 1, t0)
		case i >= 2*n: // a stale claim
			errs[i] = s.Complete(ctx, evs[i%n].ID, 7, t0)
		default: // each event twice
			errs[i] = s.Complete(ctx, evs[i%n].ID, evs[i%n].Attempts, t0)
		}
	})
	for i := range n {
		a, b := errs[i], errs[i+n]
		if (a == nil) == (b == nil) {
			t.Fatalf("event %s completed twice at once: got %v and %v, want one nil and one %v", evs[i].ID, a, b, store.ErrStale)
		}
		if e := errors.Join(a, b); !errors.Is(e, store.ErrStale) {
			t.Fatalf("second completion of %s: got %v, want %v", evs[i].ID, e, store.ErrStale)
		}
		if !errors.Is(errs[i+2*n], store.ErrStale) {
			t.Fatalf("stale completion of %s: got %v, want %v", evs[i].ID, errs[i+2*n], store.ErrStale)
		}
	}
	if !errors.Is(errs[3*n], store.ErrNotFound) {
		t.Fatalf("Complete(unknown): got %v, want %v", errs[3*n], store.ErrNotFound)
	}
	if c, err := s.CountEvents(ctx, store.StateDelivered); err != nil || c != n {
		t.Fatalf("CountEvents(delivered): got %d, %v, want %d", c, err, n)
	}
}

// TestEnqueueGroupMixed commits one group of events that need each kind
// of answer (stored; a duplicate of an older event; stored over a key
// whose event is older than the window; a duplicate of an earlier event
// of the group, for its hook only; an ID in use, before and within the
// group) and checks that each event gets the answer, and leaves the
// event, that it gets enqueued alone after the ones before it. The group
// is one transaction, and one more for each event that repeats an ID or
// key of the group.
func TestEnqueueGroupMixed(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	since := t0.Add(-time.Hour)
	open := func() store.Store {
		s := openStore(t, dsn, newSchema(t, dsn))
		for _, e := range []*store.QueuedEvent{
			event("old", "h1", "k-old", t0.Add(-10*time.Minute)),
			event("stale", "h1", "k-stale", t0.Add(-2*time.Hour)),
		} {
			if _, err := s.Enqueue(ctx, e, since); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	members := func() []*store.QueuedEvent {
		return []*store.QueuedEvent{
			event("n1", "h1", "k1", t0),      // stored
			event("d1", "h1", "k-old", t0),   // duplicate of old
			event("a1", "h1", "k2", t0),      // stored
			event("a2", "h1", "k2", t0),      // duplicate of a1, within the group
			event("old", "h1", "k3", t0),     // ID in use
			event("n2", "h1", "", t0),        // stored, no key
			event("r1", "h1", "k-stale", t0), // stored: stale is older than the window
			event("n1", "h1", "k4", t0),      // ID in use, within the group
			event("b1", "h2", "k2", t0),      // stored: another hook's key
			event("a3", "h1", "k2", t0),      // duplicate of a1 again
			event("d2", "h1", "k-stale", t0), // duplicate of r1, within the group
		}
	}
	kind := func(err error) string {
		switch {
		case err == nil:
			return "ok"
		case errors.Is(err, store.ErrDuplicate):
			return "duplicate"
		case errors.Is(err, store.ErrConflict):
			return "conflict"
		}
		return err.Error()
	}

	alone := open()
	evs := members()
	wantIDs, wantKinds := make([]string, len(evs)), make([]string, len(evs))
	for i, e := range evs {
		id, err := alone.Enqueue(ctx, e, since)
		wantIDs[i], wantKinds[i] = id, kind(err)
	}

	grouped := open()
	before := pgstore.EnqueueGroups(grouped)
	ids, errs := pgstore.EnqueueGroup(grouped, members(), since)
	if got, want := pgstore.EnqueueGroups(grouped)-before, int64(1+4); got != want {
		t.Errorf("transactions: got %d, want %d (the group, then a2, n1, a3 and d2 alone)", got, want)
	}
	for i, e := range evs {
		if ids[i] != wantIDs[i] || kind(errs[i]) != wantKinds[i] {
			t.Errorf("event %d (%s, key %q): grouped %q, %s; alone %q, %s", i, e.ID, e.IdempotencyKey,
				ids[i], kind(errs[i]), wantIDs[i], wantKinds[i])
		}
	}
	for _, id := range []string{"old", "stale", "n1", "d1", "a1", "a2", "n2", "r1", "b1", "a3", "d2"} {
		a, errA := alone.GetEvent(ctx, "org1", id)
		g, errG := grouped.GetEvent(ctx, "org1", id)
		if kind(errA) != kind(errG) || errA == nil && (a.IdempotencyKey != g.IdempotencyKey || a.State != g.State ||
			a.Attempts != g.Attempts || string(a.Payload) != string(g.Payload) || a.PayloadSize != g.PayloadSize) {
			t.Errorf("event %s: grouped %+v, %v; alone %+v, %v", id, g, errG, a, errA)
		}
	}
}

// TestPlanSettingsEnd checks that the planner settings an Enqueue and a
// Complete make for their own statements end with their transactions:
// the pool's connection (the store's only one) is back to the server's
// settings for the host's queries.
func TestPlanSettingsEnd(t *testing.T) {
	dsn := testDSN(t)
	ctx := context.Background()
	s, err := pgstore.Open(ctx, dsn, &pgstore.Options{Schema: newSchema(t, dsn), MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pool, _ := pgstore.Pool(s)
	show := func() string {
		var mode, seq, bitmap string
		if err := pool.QueryRow(ctx, `SELECT current_setting('plan_cache_mode'), current_setting('enable_seqscan'),
	current_setting('enable_bitmapscan')`).Scan(&mode, &seq, &bitmap); err != nil {
			t.Fatal(err)
		}
		return mode + " " + seq + " " + bitmap
	}
	want := show()
	if _, err := s.Enqueue(ctx, event("e1", "h1", "k1", t0), t0); err != nil {
		t.Fatal(err)
	}
	if got := show(); got != want {
		t.Fatalf("after Enqueue: got %q, want %q", got, want)
	}
	evs, err := s.Claim(ctx, t0, time.Hour, 1)
	if err != nil || len(evs) != 1 {
		t.Fatalf("Claim: got %d, %v", len(evs), err)
	}
	local, _ := store.As[store.LocalQueue](s)
	local.CompleteLater(evs[0].ID, evs[0].Attempts, t0)
	if err := local.FlushCompletions(ctx); err != nil {
		t.Fatal(err)
	}
	if got := show(); got != want {
		t.Fatalf("after FlushCompletions: got %q, want %q", got, want)
	}
	if ev, err := s.GetEvent(ctx, "org1", "e1"); err != nil || ev.State != store.StateDelivered {
		t.Fatalf("GetEvent: got %+v, %v, want delivered", ev, err)
	}
}
