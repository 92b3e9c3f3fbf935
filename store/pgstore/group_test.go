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
