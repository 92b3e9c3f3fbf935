package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// idempotencyStore returns s as a store.IdempotencyStore, failing the test
// if the capability is declared but missing and skipping it if the store
// has neither declared nor implemented it.
func idempotencyStore(t *testing.T, e *env, s store.Store) store.IdempotencyStore {
	t.Helper()
	is, ok := store.As[store.IdempotencyStore](s)
	switch {
	case !ok && e.cfg.caps[Idempotency]:
		t.Fatalf("storetest: the store declares %s but store.As finds no store.IdempotencyStore in %T", Idempotency, s)
	case !ok:
		t.Skipf("storetest: store.As finds no store.IdempotencyStore in %T", s)
	}
	return is
}

// reserve calls ReserveKey and checks its answer: the event ID, and the
// error it must match (nil for a reservation).
func reserve(t *testing.T, is store.IdempotencyStore, hookID, key, eventID string, now, until time.Time, wantID string, wantErr error) {
	t.Helper()
	id, err := is.ReserveKey(context.Background(), hookID, key, eventID, now, until)
	what := fmt.Sprintf("ReserveKey(%s, %q, %s)", hookID, key, eventID)
	if wantErr == nil {
		noErr(t, what, err)
	} else {
		wantOnlyErr(t, what, err, wantErr)
	}
	if id != wantID {
		t.Fatalf("%s: got ID %q, want %q", what, id, wantID)
	}
}

// wantOnlyErr is wantErr that also refuses ErrDuplicate for ErrConflict and
// the other way round, since the two answers mean different things.
func wantOnlyErr(t *testing.T, what string, err, want error) {
	t.Helper()
	wantErr(t, what, err, want)
	for _, other := range []error{store.ErrDuplicate, store.ErrConflict} {
		if other != want && errors.Is(err, other) {
			t.Fatalf("%s: got error %v, which also matches %v", what, err, other)
		}
	}
}

func idempotencyCases() []testCase {
	ctx := context.Background()
	const day = 24 * time.Hour
	return []testCase{
		{name: "ReserveConfirm", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			reserve(t, is, "h1", "k1", "e1", at(0), at(time.Minute), "e1", nil)
			// Reserved: another copy is told a delivery is in progress.
			reserve(t, is, "h1", "k1", "e2", at(time.Second), at(time.Minute), "e1", store.ErrConflict)
			noErr(t, "ConfirmKey", is.ConfirmKey(ctx, "h1", "k1", "e1", at(2*time.Second), at(day)))
			// Confirmed: a later copy is a duplicate of e1, for the window.
			reserve(t, is, "h1", "k1", "e3", at(time.Hour), at(time.Hour+time.Minute), "e1", store.ErrDuplicate)
			reserve(t, is, "h1", "k1", "e4", at(day-time.Microsecond), at(day+time.Minute), "e1", store.ErrDuplicate)
			// Expired at its expiry: the key is taken again.
			reserve(t, is, "h1", "k1", "e5", at(day), at(day+time.Minute), "e5", nil)
		}},
		{name: "PerHook", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			reserve(t, is, "h1", "k1", "e1", at(0), at(time.Minute), "e1", nil)
			reserve(t, is, "h2", "k1", "e2", at(0), at(time.Minute), "e2", nil)
			reserve(t, is, "h1", "k2", "e3", at(0), at(time.Minute), "e3", nil)
			// Keys are bytes: case and length matter.
			reserve(t, is, "h1", "K1", "e4", at(0), at(time.Minute), "e4", nil)
			reserve(t, is, "h1", "k1 ", "e5", at(0), at(time.Minute), "e5", nil)
		}},
		{name: "Release", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			reserve(t, is, "h1", "k1", "e1", at(0), at(time.Minute), "e1", nil)
			// Another event's release changes nothing.
			noErr(t, "ReleaseKey(other event)", is.ReleaseKey(ctx, "h1", "k1", "e9"))
			reserve(t, is, "h1", "k1", "e2", at(0), at(time.Minute), "e1", store.ErrConflict)
			// The holder's release lets the next copy through.
			noErr(t, "ReleaseKey", is.ReleaseKey(ctx, "h1", "k1", "e1"))
			reserve(t, is, "h1", "k1", "e2", at(time.Second), at(time.Minute), "e2", nil)
			// Releasing what is absent is no error.
			noErr(t, "ReleaseKey(absent)", is.ReleaseKey(ctx, "h1", "nope", "e1"))
		}},
		{name: "ExpiredReservation", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			reserve(t, is, "h1", "k1", "e1", at(0), at(time.Minute), "e1", nil)
			// The reservation ran out (its holder died): the key is taken.
			reserve(t, is, "h1", "k1", "e2", at(time.Minute), at(2*time.Minute), "e2", nil)
			// The first holder's late confirmation does not take it back
			// while the new reservation runs...
			wantErr(t, "ConfirmKey(stale)", is.ConfirmKey(ctx, "h1", "k1", "e1", at(time.Minute+time.Second), at(day)), store.ErrStale)
			reserve(t, is, "h1", "k1", "e3", at(time.Minute+time.Second), at(3*time.Minute), "e2", store.ErrConflict)
			// ...nor does its late release.
			noErr(t, "ReleaseKey(stale)", is.ReleaseKey(ctx, "h1", "k1", "e1"))
			reserve(t, is, "h1", "k1", "e3", at(time.Minute+time.Second), at(3*time.Minute), "e2", store.ErrConflict)
			noErr(t, "ConfirmKey", is.ConfirmKey(ctx, "h1", "k1", "e2", at(time.Minute+2*time.Second), at(day)))
			reserve(t, is, "h1", "k1", "e3", at(time.Hour), at(time.Hour+time.Minute), "e2", store.ErrDuplicate)
			// A confirmation with no record (pruned meanwhile) records it.
			noErr(t, "ConfirmKey(absent)", is.ConfirmKey(ctx, "h1", "k9", "e7", at(0), at(day)))
			reserve(t, is, "h1", "k9", "e8", at(time.Hour), at(time.Hour+time.Minute), "e7", store.ErrDuplicate)
		}},
		{name: "Prune", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			for i := range 5 {
				reserve(t, is, "h1", fmt.Sprint("k", i), fmt.Sprint("e", i), at(0), at(time.Duration(i+1)*time.Hour), fmt.Sprint("e", i), nil)
			}
			noErr(t, "ConfirmKey", is.ConfirmKey(ctx, "h1", "k4", "e4", at(0), at(day)))
			n, err := is.PruneKeys(ctx, at(2*time.Hour))
			noErr(t, "PruneKeys", err)
			if n != 2 {
				t.Fatalf("PruneKeys: got %d, want 2 (expiring at 1h and 2h)", n)
			}
			n, err = is.PruneKeys(ctx, at(2*time.Hour))
			noErr(t, "PruneKeys(again)", err)
			if n != 0 {
				t.Fatalf("PruneKeys(again): got %d, want 0", n)
			}
			// What is left still counts at a time before its expiry.
			reserve(t, is, "h1", "k2", "x", at(0), at(time.Minute), "e2", store.ErrConflict)
			reserve(t, is, "h1", "k4", "x", at(0), at(time.Minute), "e4", store.ErrDuplicate)
			// What was pruned is free.
			reserve(t, is, "h1", "k0", "x", at(0), at(time.Minute), "x", nil)
		}},
		{name: "Bytes", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			// Keys come from senders: any bytes, up to the limit.
			for i, k := range []string{"<a@b.example>", "k\x00ey", "\xff\xfe", strings.Repeat("x", store.MaxIdempotencyKeyLen)} {
				id := fmt.Sprint("e", i)
				reserve(t, is, "h1", k, id, at(0), at(time.Minute), id, nil)
				reserve(t, is, "h1", k, "x", at(0), at(time.Minute), id, store.ErrConflict)
			}
		}},
		{name: "Invalid", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			for _, c := range [][3]string{{"", "k", "e"}, {"h", "", "e"}, {"h", "k", ""},
				{"h", strings.Repeat("k", store.MaxIdempotencyKeyLen+1), "e"}} {
				_, err := is.ReserveKey(ctx, c[0], c[1], c[2], at(0), at(time.Minute))
				wantErr(t, fmt.Sprintf("ReserveKey(%q, %.8q, %q)", c[0], c[1], c[2]), err, store.ErrInvalid)
				wantErr(t, "ConfirmKey", is.ConfirmKey(ctx, c[0], c[1], c[2], at(0), at(time.Minute)), store.ErrInvalid)
				wantErr(t, "ReleaseKey", is.ReleaseKey(ctx, c[0], c[1], c[2]), store.ErrInvalid)
			}
		}},
		{name: "Closed", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			is := idempotencyStore(t, e, s)
			noErr(t, "Close", s.Close())
			_, err := is.ReserveKey(ctx, "h1", "k1", "e1", at(0), at(time.Minute))
			wantErr(t, "ReserveKey after Close", err, store.ErrClosed)
			wantErr(t, "ConfirmKey after Close", is.ConfirmKey(ctx, "h1", "k1", "e1", at(0), at(time.Minute)), store.ErrClosed)
			wantErr(t, "ReleaseKey after Close", is.ReleaseKey(ctx, "h1", "k1", "e1"), store.ErrClosed)
			_, err = is.PruneKeys(ctx, at(0))
			wantErr(t, "PruneKeys after Close", err, store.ErrClosed)
		}},
		{name: "ConcurrentReserve", fn: func(t *testing.T, e *env) {
			is := idempotencyStore(t, e, e.newStore(t))
			// Many copies of one key at once: exactly one reserves it, and
			// every other is told it is in progress by that one.
			n := e.cfg.concurrency
			ids := make([]string, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					ids[i], errs[i] = is.ReserveKey(ctx, "h1", "k1", fmt.Sprint("e", i), at(0), at(time.Minute))
				})
			}
			wg.Wait()
			winner := ""
			for i := range n {
				if errs[i] == nil {
					if winner != "" {
						t.Fatalf("ReserveKey: both %s and e%d reserved the key", winner, i)
					}
					winner = fmt.Sprint("e", i)
				}
			}
			if winner == "" {
				t.Fatalf("ReserveKey: nobody reserved the key: %v", errs)
			}
			for i := range n {
				if errs[i] != nil {
					wantOnlyErr(t, fmt.Sprint("ReserveKey e", i), errs[i], store.ErrConflict)
				}
				if ids[i] != winner {
					t.Fatalf("ReserveKey e%d: got ID %q, want %q", i, ids[i], winner)
				}
			}
		}},
		{name: "Persistence", needsReopen: true, fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			is := idempotencyStore(t, e, s)
			reserve(t, is, "h1", "k1", "e1", at(0), at(time.Minute), "e1", nil)
			noErr(t, "ConfirmKey", is.ConfirmKey(ctx, "h1", "k1", "e1", at(0), at(day)))
			reserve(t, is, "h1", "k2", "e2", at(0), at(time.Minute), "e2", nil)
			s = e.cfg.reopen(t, s)
			is = idempotencyStore(t, e, s)
			reserve(t, is, "h1", "k1", "x", at(time.Hour), at(2*time.Hour), "e1", store.ErrDuplicate)
			reserve(t, is, "h1", "k2", "x", at(time.Second), at(2*time.Hour), "e2", store.ErrConflict)
			n, err := is.PruneKeys(ctx, at(time.Hour))
			noErr(t, "PruneKeys", err)
			if n != 1 {
				t.Fatalf("PruneKeys after reopen: got %d, want 1", n)
			}
		}},
	}
}
