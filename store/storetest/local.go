package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// localQueue returns s as a store.LocalQueue, failing the test if the
// capability is declared but missing and skipping it if the store has
// neither declared nor implemented it.
func localQueue(t *testing.T, e *env, s store.Store) store.LocalQueue {
	t.Helper()
	lq, ok := store.As[store.LocalQueue](s)
	switch {
	case !ok && e.cfg.caps[LocalQueue]:
		t.Fatalf("storetest: the store declares %s but store.As finds no store.LocalQueue in %T", LocalQueue, s)
	case !ok:
		t.Skipf("storetest: store.As finds no store.LocalQueue in %T", s)
	}
	return lq
}

func localQueueCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "EnqueueClaimed", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			lq := localQueue(t, e, s)
			lease := time.Minute
			ev := newEvent("e1", "org1", "h1", "k1", at(0))
			id, err := lq.EnqueueClaimed(ctx, ev, farPast, lease)
			noErr(t, "EnqueueClaimed", err)
			if id != "e1" {
				t.Fatalf("EnqueueClaimed: got ID %q, want %q", id, "e1")
			}
			got := mustGetEvent(t, s, "org1", "e1")
			checkEvent(t, "GetEvent", got, newEvent("e1", "org1", "h1", "k1", at(0)))
			checkState(t, "GetEvent", got, store.StatePending, 1)
			if !sameTime(got.NextAttempt, at(lease)) || !sameTime(got.UpdatedAt, at(0)) {
				t.Fatalf("GetEvent: NextAttempt, UpdatedAt: got %v, %v, want %v, %v", got.NextAttempt, got.UpdatedAt, at(lease), at(0))
			}
			checkCount(t, s, store.StatePending, 1)
			// Claimed: not handed to a Claim while the lease runs.
			checkIDs(t, "Claim(lease running)", claimIDs(t, s, at(lease-time.Microsecond), lease, 10), nil)
			// The idempotency key deduplicates as for Enqueue, and a
			// duplicate is not claimed.
			id, err = lq.EnqueueClaimed(ctx, newEvent("e2", "org1", "h1", "k1", at(time.Second)), farPast, lease)
			wantErr(t, "EnqueueClaimed(duplicate)", err, store.ErrDuplicate)
			if id != "e1" {
				t.Fatalf("EnqueueClaimed(duplicate): got ID %q, want %q", id, "e1")
			}
			_, err = s.Enqueue(ctx, newEvent("e3", "org1", "h1", "k1", at(time.Second)), farPast)
			wantErr(t, "Enqueue(duplicate of a claimed one)", err, store.ErrDuplicate)
			_, err = lq.EnqueueClaimed(ctx, newEvent("e1", "org1", "h1", "", at(0)), farPast, lease)
			wantErr(t, "EnqueueClaimed(same ID)", err, store.ErrConflict)
			_, err = lq.EnqueueClaimed(ctx, nil, farPast, lease)
			wantErr(t, "EnqueueClaimed(nil)", err, store.ErrInvalid)
			checkCount(t, s, store.StatePending, 1)
			// The claim is attempt 1: a stale attempt is refused.
			wantErr(t, "Complete(attempt 0)", s.Complete(ctx, "e1", 0, at(time.Second)), store.ErrStale)
			noErr(t, "Complete(attempt 1)", s.Complete(ctx, "e1", 1, at(time.Second)))
			checkState(t, "completed", mustGetEvent(t, s, "org1", "e1"), store.StateDelivered, 1)
		}},
		{name: "LeaseRunsOut", fn: func(t *testing.T, e *env) {
			// The process that took the event died: a Claim after the lease
			// takes it again, and the first claim's outcome is stale.
			s := e.newStore(t)
			lq := localQueue(t, e, s)
			_, err := lq.EnqueueClaimed(ctx, newEvent("e1", "org1", "h1", "", at(0)), farPast, time.Minute)
			noErr(t, "EnqueueClaimed", err)
			evs, err := s.Claim(ctx, at(time.Minute), time.Minute, 10)
			noErr(t, "Claim(after lease)", err)
			checkIDs(t, "Claim(after lease)", eventIDs(evs), []string{"e1"})
			checkState(t, "reclaimed", evs[0], store.StatePending, 2)
			checkEvent(t, "reclaimed", evs[0], newEvent("e1", "org1", "h1", "", at(0)))
			wantErr(t, "Fail(first claim)", s.Fail(ctx, "e1", 1, "late", at(time.Hour), false), store.ErrStale)
			lq.CompleteLater("e1", 1, at(time.Hour)) // stale: dropped
			noErr(t, "Fail(current claim)", s.Fail(ctx, "e1", 2, "boom", at(time.Hour), false))
			noErr(t, "FlushCompletions", lq.FlushCompletions(ctx))
			got := mustGetEvent(t, s, "org1", "e1")
			checkState(t, "after a stale CompleteLater", got, store.StatePending, 2)
			if got.LastError != "boom" {
				t.Fatalf("LastError: got %q, want %q", got.LastError, "boom")
			}
		}},
		{name: "CompleteLaterStaleBesideCurrent", fn: func(t *testing.T, e *env) {
			// A stale completion of the first claim and the current one
			// wait together: the current one holds, in a flush and with
			// the next write alike.
			s := e.newStore(t)
			lq := localQueue(t, e, s)
			for _, id := range []string{"e1", "e2"} {
				_, err := lq.EnqueueClaimed(ctx, newEvent(id, "org1", "h1", "", at(0)), farPast, time.Minute)
				noErr(t, "EnqueueClaimed "+id, err)
			}
			evs, err := s.Claim(ctx, at(time.Minute), time.Minute, 10)
			noErr(t, "Claim(after lease)", err)
			checkIDs(t, "Claim(after lease)", eventIDs(evs), []string{"e1", "e2"})
			lq.CompleteLater("e1", 1, at(time.Hour)) // stale
			lq.CompleteLater("e1", 2, at(time.Hour))
			noErr(t, "FlushCompletions", lq.FlushCompletions(ctx))
			checkState(t, "flushed", mustGetEvent(t, s, "org1", "e1"), store.StateDelivered, 2)
			lq.CompleteLater("e2", 2, at(time.Hour))
			lq.CompleteLater("e2", 1, at(time.Hour)) // stale, after the current one
			mustEnqueue(t, s, newEvent("e3", "org1", "h1", "", at(0)), farPast)
			noErr(t, "FlushCompletions", lq.FlushCompletions(ctx))
			checkState(t, "with the next write", mustGetEvent(t, s, "org1", "e2"), store.StateDelivered, 2)
		}},
		{name: "CompleteLater", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			lq := localQueue(t, e, s)
			for _, id := range []string{"e1", "e2", "e3"} {
				_, err := lq.EnqueueClaimed(ctx, newEvent(id, "org1", "h1", id, at(0)), farPast, time.Minute)
				noErr(t, "EnqueueClaimed "+id, err)
			}
			lq.CompleteLater("e1", 1, at(time.Second))
			lq.CompleteLater("e2", 1, at(2*time.Second))
			lq.CompleteLater("nope", 1, at(time.Second)) // unknown: dropped
			noErr(t, "FlushCompletions", lq.FlushCompletions(ctx))
			for _, id := range []string{"e1", "e2"} {
				checkState(t, "completed later "+id, mustGetEvent(t, s, "org1", id), store.StateDelivered, 1)
			}
			checkState(t, "not completed", mustGetEvent(t, s, "org1", "e3"), store.StatePending, 1)
			checkCount(t, s, store.StateDelivered, 2)
			checkCount(t, s, store.StatePending, 1)
			// A completed-later event is pruned like any delivered one.
			n, err := s.Prune(ctx, at(time.Hour))
			noErr(t, "Prune", err)
			if n != 2 {
				t.Fatalf("Prune: got %d, want 2", n)
			}
			// The next write carries a completion left for later.
			lq.CompleteLater("e3", 1, at(time.Minute))
			mustEnqueue(t, s, newEvent("e4", "org1", "h1", "", at(0)), farPast)
			checkState(t, "completed with the next write", mustGetEvent(t, s, "org1", "e3"), store.StateDelivered, 1)
		}},
		{name: "CompleteLaterSurvivesClose", needsReopen: true, fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			lq := localQueue(t, e, s)
			_, err := lq.EnqueueClaimed(ctx, newEvent("e1", "org1", "h1", "", at(0)), farPast, time.Hour)
			noErr(t, "EnqueueClaimed", err)
			lq.CompleteLater("e1", 1, at(time.Second))
			s = e.cfg.reopen(t, s) // Close commits what is left
			checkState(t, "after reopen", mustGetEvent(t, s, "org1", "e1"), store.StateDelivered, 1)
		}},
		{name: "ClaimedSurvivesReopen", needsReopen: true, fn: func(t *testing.T, e *env) {
			// A claimed event of a process that is gone is claimed again:
			// at once, or at the latest when its lease runs out.
			s := e.newStore(t)
			lq := localQueue(t, e, s)
			_, err := lq.EnqueueClaimed(ctx, newEvent("e1", "org1", "h1", "", at(0)), farPast, time.Hour)
			noErr(t, "EnqueueClaimed", err)
			s = e.cfg.reopen(t, s)
			evs, err := s.Claim(ctx, at(time.Hour), time.Minute, 10)
			noErr(t, "Claim after reopen", err)
			checkIDs(t, "Claim after reopen", eventIDs(evs), []string{"e1"})
			checkEvent(t, "Claim after reopen", evs[0], newEvent("e1", "org1", "h1", "", at(0)))
			checkState(t, "Claim after reopen", evs[0], store.StatePending, 2)
		}},
	}
}
