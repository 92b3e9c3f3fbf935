package storetest

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// newEvent returns a pending event created (and due) at created.
func newEvent(id, org, hookID, key string, created time.Time) *store.QueuedEvent {
	return &store.QueuedEvent{
		ID:             id,
		Org:            org,
		HookID:         hookID,
		IdempotencyKey: key,
		Payload:        []byte(`{"event":"` + id + `"}`),
		State:          store.StatePending,
		NextAttempt:    created,
		CreatedAt:      created,
		UpdatedAt:      created,
	}
}

// farPast is a dedup cutoff before every event the kit creates.
var farPast = base.Add(-1000 * time.Hour)

func mustEnqueue(t *testing.T, s store.Store, e *store.QueuedEvent, since time.Time) {
	t.Helper()
	id, err := s.Enqueue(context.Background(), e, since)
	noErr(t, "Enqueue "+e.ID, err)
	if id != e.ID {
		t.Fatalf("Enqueue: got ID %q, want %q", id, e.ID)
	}
}

func mustGetEvent(t *testing.T, s store.Store, org, id string) *store.QueuedEvent {
	t.Helper()
	ev, err := s.GetEvent(context.Background(), org, id)
	noErr(t, "GetEvent "+id, err)
	return ev
}

func checkCount(t *testing.T, s store.Store, state store.EventState, want int) {
	t.Helper()
	n, err := s.CountEvents(context.Background(), state)
	noErr(t, "CountEvents", err)
	if n != want {
		t.Fatalf("CountEvents(%s): got %d, want %d", state, n, want)
	}
}

func checkState(t *testing.T, what string, ev *store.QueuedEvent, state store.EventState, attempts int) {
	t.Helper()
	if ev.State != state {
		t.Fatalf("%s: State: got %q, want %q", what, ev.State, state)
	}
	if ev.Attempts != attempts {
		t.Fatalf("%s: Attempts: got %d, want %d", what, ev.Attempts, attempts)
	}
}

func claimIDs(t *testing.T, s store.Store, now time.Time, lease time.Duration, limit int) []string {
	t.Helper()
	evs, err := s.Claim(context.Background(), now, lease, limit)
	noErr(t, "Claim", err)
	return eventIDs(evs)
}

func queueCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "EnqueueGet", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			want := newEvent("e1", "org1", "h1", "key1", at(0))
			want.State = "" // Enqueue makes it pending whatever it says
			want.Attempts = 7
			mustEnqueue(t, s, want, farPast)
			got := mustGetEvent(t, s, "org1", "e1")
			checkEvent(t, "GetEvent", got, want)
			checkState(t, "GetEvent", got, store.StatePending, 0)
			if !sameTime(got.NextAttempt, want.NextAttempt) {
				t.Fatalf("NextAttempt: got %v, want %v", got.NextAttempt, want.NextAttempt)
			}
			if got.LastError != "" {
				t.Fatalf("LastError: got %q, want empty", got.LastError)
			}
			_, err := s.GetEvent(ctx, "org2", "e1")
			wantErr(t, "GetEvent(other org)", err, store.ErrNotFound)
			_, err = s.GetEvent(ctx, "org1", "nope")
			wantErr(t, "GetEvent(unknown)", err, store.ErrNotFound)
			checkCount(t, s, store.StatePending, 1)
		}},
		{name: "EnqueueInvalidAndConflict", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			_, err := s.Enqueue(ctx, nil, farPast)
			wantErr(t, "Enqueue(nil)", err, store.ErrInvalid)
			_, err = s.Enqueue(ctx, newEvent("", "org1", "h1", "", at(0)), farPast)
			wantErr(t, "Enqueue(empty ID)", err, store.ErrInvalid)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "", at(0)), farPast)
			_, err = s.Enqueue(ctx, newEvent("e1", "org2", "h2", "", at(1)), farPast)
			wantErr(t, "Enqueue(same ID)", err, store.ErrConflict)
			checkCount(t, s, store.StatePending, 1)
			if got := mustGetEvent(t, s, "org1", "e1"); got.HookID != "h1" {
				t.Fatalf("GetEvent after conflict: HookID: got %q, want %q", got.HookID, "h1")
			}
		}},
		{name: "Dedup", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "key1", at(time.Hour)), farPast)
			// Inside the window (created at or after dedupSince): duplicate.
			for _, since := range []time.Time{farPast, at(time.Hour)} {
				id, err := s.Enqueue(ctx, newEvent("e2", "org1", "h1", "key1", at(2*time.Hour)), since)
				wantErr(t, "Enqueue(duplicate key)", err, store.ErrDuplicate)
				if id != "e1" {
					t.Fatalf("Enqueue(duplicate key): got ID %q, want %q", id, "e1")
				}
			}
			_, err := s.GetEvent(ctx, "org1", "e2")
			wantErr(t, "GetEvent(duplicate)", err, store.ErrNotFound)
			checkCount(t, s, store.StatePending, 1)
			// Another hook with the same key is independent; so are events
			// without a key.
			mustEnqueue(t, s, newEvent("e3", "org1", "h2", "key1", at(2*time.Hour)), farPast)
			mustEnqueue(t, s, newEvent("e4", "org1", "h1", "", at(2*time.Hour)), farPast)
			mustEnqueue(t, s, newEvent("e5", "org1", "h1", "", at(2*time.Hour)), farPast)
			mustEnqueue(t, s, newEvent("e6", "org1", "h1", "key2", at(2*time.Hour)), farPast)
			// Outside the window: accepted.
			mustEnqueue(t, s, newEvent("e7", "org1", "h1", "key1", at(3*time.Hour)), at(time.Hour+time.Microsecond))
			// Both e1 and e7 are in this window; either answers.
			id, err := s.Enqueue(ctx, newEvent("e8", "org1", "h1", "key1", at(4*time.Hour)), farPast)
			wantErr(t, "Enqueue(duplicate of two)", err, store.ErrDuplicate)
			if id != "e7" && id != "e1" {
				t.Fatalf("Enqueue(duplicate of two): got ID %q, want %q or %q", id, "e7", "e1")
			}
			// Only e7 is in this one.
			id, err = s.Enqueue(ctx, newEvent("e9", "org1", "h1", "key1", at(4*time.Hour)), at(2*time.Hour))
			wantErr(t, "Enqueue(duplicate of newer)", err, store.ErrDuplicate)
			if id != "e7" {
				t.Fatalf("Enqueue(duplicate of newer): got ID %q, want %q", id, "e7")
			}
			checkCount(t, s, store.StatePending, 6)
			// The key still deduplicates once the event is delivered.
			noErr(t, "Complete", s.Complete(ctx, "e3", 0, at(3*time.Hour)))
			id, err = s.Enqueue(ctx, newEvent("e10", "org1", "h2", "key1", at(4*time.Hour)), farPast)
			wantErr(t, "Enqueue(duplicate of delivered)", err, store.ErrDuplicate)
			if id != "e3" {
				t.Fatalf("Enqueue(duplicate of delivered): got ID %q, want %q", id, "e3")
			}
		}},
		{name: "ClaimOrderLimitLease", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			// Enqueued out of order; all due at their creation time.
			for _, i := range []int{3, 1, 4, 0, 2} {
				mustEnqueue(t, s, newEvent(fmt.Sprintf("e%d", i), "org1", "h1", "", at(time.Duration(i)*time.Minute)), farPast)
			}
			future := newEvent("e9", "org1", "h1", "", at(0))
			future.NextAttempt = at(time.Hour)
			mustEnqueue(t, s, future, farPast)

			now := at(10 * time.Minute)
			lease := 30 * time.Second
			evs, err := s.Claim(ctx, now, lease, 2)
			noErr(t, "Claim", err)
			checkIDs(t, "Claim(limit 2)", eventIDs(evs), []string{"e0", "e1"})
			for _, ev := range evs {
				checkState(t, "claimed "+ev.ID, ev, store.StatePending, 1)
				if !sameTime(ev.NextAttempt, now.Add(lease)) {
					t.Fatalf("claimed %s: NextAttempt: got %v, want %v", ev.ID, ev.NextAttempt, now.Add(lease))
				}
				checkEvent(t, "claimed "+ev.ID, ev, newEvent(ev.ID, "org1", "h1", "", ev.CreatedAt))
			}
			stored := mustGetEvent(t, s, "org1", "e0")
			checkState(t, "GetEvent(claimed)", stored, store.StatePending, 1)
			if !sameTime(stored.NextAttempt, now.Add(lease)) {
				t.Fatalf("GetEvent(claimed): NextAttempt: got %v, want %v", stored.NextAttempt, now.Add(lease))
			}
			// Claimed events are not handed out again while the lease runs;
			// the future event is not due.
			checkIDs(t, "Claim(rest)", claimIDs(t, s, now, lease, 10), []string{"e2", "e3", "e4"})
			checkIDs(t, "Claim(none left)", claimIDs(t, s, now.Add(lease-time.Microsecond), lease, 10), nil)
			// When the lease expires they are claimed again.
			evs, err = s.Claim(ctx, now.Add(lease), 2*time.Hour, 10)
			noErr(t, "Claim", err)
			checkIDs(t, "Claim(after lease)", eventIDs(evs), []string{"e0", "e1", "e2", "e3", "e4"})
			for _, ev := range evs {
				checkState(t, "reclaimed "+ev.ID, ev, store.StatePending, 2)
			}
			// The future event comes due at its NextAttempt.
			checkIDs(t, "Claim(future due)", claimIDs(t, s, at(time.Hour), lease, 10), []string{"e9"})
			checkIDs(t, "Claim(limit 0)", claimIDs(t, s, at(10*time.Hour), lease, 0), nil)
			checkCount(t, s, store.StatePending, 6)
		}},
		{name: "CompleteFail", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			for i := range 3 {
				mustEnqueue(t, s, newEvent(fmt.Sprintf("e%d", i), "org1", "h1", "", at(time.Duration(i)*time.Second)), farPast)
			}
			now := at(time.Minute)
			checkIDs(t, "Claim", claimIDs(t, s, now, time.Minute, 10), []string{"e0", "e1", "e2"})

			noErr(t, "Complete", s.Complete(ctx, "e0", 1, now.Add(time.Second)))
			got := mustGetEvent(t, s, "org1", "e0")
			checkState(t, "completed", got, store.StateDelivered, 1)
			if !sameTime(got.UpdatedAt, now.Add(time.Second)) {
				t.Fatalf("completed: UpdatedAt: got %v, want %v", got.UpdatedAt, now.Add(time.Second))
			}

			next := at(time.Hour)
			noErr(t, "Fail", s.Fail(ctx, "e1", 1, "trigger said no", next, false))
			got = mustGetEvent(t, s, "org1", "e1")
			checkState(t, "failed", got, store.StatePending, 1)
			if got.LastError != "trigger said no" {
				t.Fatalf("failed: LastError: got %q, want %q", got.LastError, "trigger said no")
			}
			if !sameTime(got.NextAttempt, next) {
				t.Fatalf("failed: NextAttempt: got %v, want %v", got.NextAttempt, next)
			}

			noErr(t, "Fail(dead)", s.Fail(ctx, "e2", 1, "gave up", next, true))
			got = mustGetEvent(t, s, "org1", "e2")
			checkState(t, "dead", got, store.StateDead, 1)
			if got.LastError != "gave up" {
				t.Fatalf("dead: LastError: got %q, want %q", got.LastError, "gave up")
			}
			checkCount(t, s, store.StatePending, 1)
			checkCount(t, s, store.StateDelivered, 1)
			checkCount(t, s, store.StateDead, 1)

			// Neither delivered nor dead events are claimed; the failed one
			// waits for its NextAttempt.
			checkIDs(t, "Claim(before next)", claimIDs(t, s, next.Add(-time.Microsecond), time.Minute, 10), nil)
			evs, err := s.Claim(ctx, next.Add(24*time.Hour), time.Minute, 10)
			noErr(t, "Claim", err)
			checkIDs(t, "Claim(after next)", eventIDs(evs), []string{"e1"})
			checkState(t, "claimed after fail", evs[0], store.StatePending, 2)

			wantErr(t, "Complete(unknown)", s.Complete(ctx, "nope", 1, now), store.ErrNotFound)
			wantErr(t, "Fail(unknown)", s.Fail(ctx, "nope", 1, "x", now, false), store.ErrNotFound)
		}},
		{name: "StaleClaim", fn: func(t *testing.T, e *env) {
			// A claimer slower than its lease: the events are claimed again,
			// and the first claim's outcome must not overwrite the second's.
			s := e.newStore(t)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "", at(0)), farPast)
			mustEnqueue(t, s, newEvent("e2", "org1", "h1", "", at(time.Second)), farPast)
			now, lease := at(time.Minute), time.Minute
			checkIDs(t, "Claim", claimIDs(t, s, now, lease, 10), []string{"e1", "e2"})
			again, err := s.Claim(ctx, now.Add(lease), lease, 10)
			noErr(t, "Claim(after lease)", err)
			checkIDs(t, "Claim(after lease)", eventIDs(again), []string{"e1", "e2"})
			for _, ev := range again {
				checkState(t, "reclaimed "+ev.ID, ev, store.StatePending, 2)
			}
			unchanged := func(what, id string) {
				t.Helper()
				got := mustGetEvent(t, s, "org1", id)
				checkState(t, what, got, store.StatePending, 2)
				if got.LastError != "" {
					t.Fatalf("%s: LastError: got %q, want empty", what, got.LastError)
				}
				if !sameTime(got.NextAttempt, now.Add(2*lease)) {
					t.Fatalf("%s: NextAttempt: got %v, want %v", what, got.NextAttempt, now.Add(2*lease))
				}
			}
			err = s.Complete(ctx, "e1", 1, now.Add(time.Second))
			wantErr(t, "Complete(stale claim)", err, store.ErrStale)
			wantErr(t, "Complete(stale claim)", err, store.ErrConflict)
			unchanged("after a stale Complete", "e1")
			for _, dead := range []bool{false, true} {
				err = s.Fail(ctx, "e2", 1, "first claim failed", at(time.Hour), dead)
				wantErr(t, fmt.Sprintf("Fail(stale claim, dead %v)", dead), err, store.ErrStale)
				wantErr(t, fmt.Sprintf("Fail(stale claim, dead %v)", dead), err, store.ErrConflict)
				unchanged(fmt.Sprintf("after a stale Fail (dead %v)", dead), "e2")
			}
			wantErr(t, "Complete(claim not yet made)", s.Complete(ctx, "e1", 3, now), store.ErrStale)
			checkCount(t, s, store.StatePending, 2)

			// The current claim's outcome is recorded.
			noErr(t, "Complete(current claim)", s.Complete(ctx, "e1", 2, now.Add(lease)))
			checkState(t, "completed", mustGetEvent(t, s, "org1", "e1"), store.StateDelivered, 2)
			noErr(t, "Fail(current claim)", s.Fail(ctx, "e2", 2, "gave up", now.Add(lease), true))
			checkState(t, "failed", mustGetEvent(t, s, "org1", "e2"), store.StateDead, 2)
			// A settled event is no claim's any more.
			wantErr(t, "Complete(delivered)", s.Complete(ctx, "e1", 2, now), store.ErrStale)
			wantErr(t, "Fail(delivered)", s.Fail(ctx, "e1", 2, "x", now, false), store.ErrStale)
			wantErr(t, "Complete(dead)", s.Complete(ctx, "e2", 2, now), store.ErrStale)
			wantErr(t, "Fail(dead)", s.Fail(ctx, "e2", 2, "x", now, false), store.ErrStale)
			checkState(t, "delivered after stale calls", mustGetEvent(t, s, "org1", "e1"), store.StateDelivered, 2)
			checkState(t, "dead after stale calls", mustGetEvent(t, s, "org1", "e2"), store.StateDead, 2)
			checkCount(t, s, store.StatePending, 0)
			checkCount(t, s, store.StateDelivered, 1)
			checkCount(t, s, store.StateDead, 1)
		}},
		{name: "ListEvents", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			for i := range 5 {
				mustEnqueue(t, s, newEvent(fmt.Sprintf("e%d", i), "org1", "h1", "", at(time.Duration(i)*time.Second)), farPast)
			}
			mustEnqueue(t, s, newEvent("x0", "org2", "h2", "", at(time.Hour)), farPast)
			mustEnqueue(t, s, newEvent("x1", "org2", "h2", "", at(time.Hour)), farPast)
			now := at(time.Minute)
			checkIDs(t, "Claim", claimIDs(t, s, now, time.Minute, 3), []string{"e0", "e1", "e2"})
			noErr(t, "Complete", s.Complete(ctx, "e0", 1, now))
			noErr(t, "Complete", s.Complete(ctx, "e2", 1, now))
			noErr(t, "Fail", s.Fail(ctx, "e1", 1, "boom", now, true))
			noErr(t, "Fail", s.Fail(ctx, "x1", 0, "boom", now, true))

			list := func(org string, state store.EventState, limit int) []string {
				t.Helper()
				evs, err := s.ListEvents(ctx, org, store.EventQuery{State: state, Limit: limit})
				noErr(t, "ListEvents", err)
				for _, ev := range evs {
					if ev.Org != org || ev.State != state {
						t.Fatalf("ListEvents(%q, %s): got event %s of org %q in state %s", org, state, ev.ID, ev.Org, ev.State)
					}
				}
				return eventIDs(evs)
			}
			checkIDs(t, "ListEvents(pending)", list("org1", store.StatePending, 10), []string{"e4", "e3"})
			checkIDs(t, "ListEvents(delivered)", list("org1", store.StateDelivered, 10), []string{"e2", "e0"})
			checkIDs(t, "ListEvents(delivered, limit 1)", list("org1", store.StateDelivered, 1), []string{"e2"})
			checkIDs(t, "ListEvents(dead)", list("org1", store.StateDead, 10), []string{"e1"})
			checkIDs(t, "ListEvents(org2 dead)", list("org2", store.StateDead, 10), []string{"x1"})
			checkIDs(t, "ListEvents(org2 pending)", list("org2", store.StatePending, 10), []string{"x0"})
			checkIDs(t, "ListEvents(org3)", list("org3", store.StatePending, 10), nil)
			checkCount(t, s, store.StatePending, 3)
			checkCount(t, s, store.StateDelivered, 2)
			checkCount(t, s, store.StateDead, 2)
		}},
		{name: "Replay", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "", at(0)), farPast)
			mustEnqueue(t, s, newEvent("e2", "org1", "h1", "", at(time.Second)), farPast)
			now := at(time.Minute)
			checkIDs(t, "Claim", claimIDs(t, s, now, time.Minute, 10), []string{"e1", "e2"})
			noErr(t, "Fail(dead)", s.Fail(ctx, "e1", 1, "boom", now, true))
			wantErr(t, "Replay(pending)", s.Replay(ctx, "org1", "e2", now), store.ErrConflict)
			wantErr(t, "Replay(other org)", s.Replay(ctx, "org2", "e1", now), store.ErrNotFound)
			wantErr(t, "Replay(unknown)", s.Replay(ctx, "org1", "nope", now), store.ErrNotFound)
			checkState(t, "after refused replays", mustGetEvent(t, s, "org1", "e1"), store.StateDead, 1)

			later := at(time.Hour)
			noErr(t, "Complete", s.Complete(ctx, "e2", 1, now))
			wantErr(t, "Replay(delivered)", s.Replay(ctx, "org1", "e2", later), store.ErrConflict)
			noErr(t, "Replay", s.Replay(ctx, "org1", "e1", later))
			got := mustGetEvent(t, s, "org1", "e1")
			checkState(t, "replayed", got, store.StatePending, 0)
			if !sameTime(got.NextAttempt, later) {
				t.Fatalf("replayed: NextAttempt: got %v, want %v", got.NextAttempt, later)
			}
			checkCount(t, s, store.StateDead, 0)
			wantErr(t, "Replay(again)", s.Replay(ctx, "org1", "e1", later), store.ErrConflict)
			checkIDs(t, "Claim(before replay time)", claimIDs(t, s, later.Add(-time.Microsecond), time.Minute, 10), nil)
			evs, err := s.Claim(ctx, later, time.Minute, 10)
			noErr(t, "Claim", err)
			checkIDs(t, "Claim(after replay)", eventIDs(evs), []string{"e1"})
			checkState(t, "claimed after replay", evs[0], store.StatePending, 1)
		}},
		{name: "Prune", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "k1", at(0)), farPast)
			mustEnqueue(t, s, newEvent("e2", "org1", "h1", "k2", at(0)), farPast)
			mustEnqueue(t, s, newEvent("e3", "org1", "h1", "k3", at(0)), farPast)
			mustEnqueue(t, s, newEvent("e4", "org1", "h1", "k4", at(0)), farPast)
			mustEnqueue(t, s, newEvent("e5", "org1", "h1", "k5", at(0)), farPast)
			checkIDs(t, "Claim", claimIDs(t, s, at(0), time.Minute, 10), []string{"e1", "e2", "e3", "e4", "e5"})
			noErr(t, "Complete", s.Complete(ctx, "e1", 1, at(time.Hour)))
			noErr(t, "Complete", s.Complete(ctx, "e2", 1, at(2*time.Hour)))
			noErr(t, "Complete", s.Complete(ctx, "e3", 1, at(3*time.Hour)))
			noErr(t, "Fail(dead)", s.Fail(ctx, "e4", 1, "boom", at(time.Hour), true))
			// e5 stays pending.

			n, err := s.Prune(ctx, at(2*time.Hour))
			noErr(t, "Prune", err)
			if n != 1 {
				t.Fatalf("Prune: got %d, want 1", n)
			}
			_, err = s.GetEvent(ctx, "org1", "e1")
			wantErr(t, "GetEvent(pruned)", err, store.ErrNotFound)
			for _, id := range []string{"e2", "e3", "e4", "e5"} {
				mustGetEvent(t, s, "org1", id)
			}
			checkCount(t, s, store.StateDelivered, 2)
			// The pruned event's key is free; the others still deduplicate.
			mustEnqueue(t, s, newEvent("e6", "org1", "h1", "k1", at(4*time.Hour)), farPast)
			id, err := s.Enqueue(ctx, newEvent("e7", "org1", "h1", "k2", at(4*time.Hour)), farPast)
			wantErr(t, "Enqueue(key of kept delivered)", err, store.ErrDuplicate)
			if id != "e2" {
				t.Fatalf("Enqueue(key of kept delivered): got ID %q, want %q", id, "e2")
			}
			n, err = s.Prune(ctx, at(100*time.Hour))
			noErr(t, "Prune", err)
			if n != 2 {
				t.Fatalf("Prune(all delivered): got %d, want 2", n)
			}
			checkCount(t, s, store.StateDelivered, 0)
			checkCount(t, s, store.StateDead, 1)
			checkCount(t, s, store.StatePending, 2)
			n, err = s.Prune(ctx, at(100*time.Hour))
			noErr(t, "Prune", err)
			if n != 0 {
				t.Fatalf("Prune(nothing): got %d, want 0", n)
			}
		}},
		{name: "PruneKeepsNewerKeyOwner", fn: func(t *testing.T, e *env) {
			// An old delivered event and a newer event share a key (the
			// newer one came outside the window). Pruning the old one must
			// not free the key of the newer one.
			s := e.newStore(t)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "k", at(0)), farPast)
			checkIDs(t, "Claim", claimIDs(t, s, at(0), time.Minute, 10), []string{"e1"})
			noErr(t, "Complete", s.Complete(ctx, "e1", 1, at(time.Minute)))
			mustEnqueue(t, s, newEvent("e2", "org1", "h1", "k", at(48*time.Hour)), at(24*time.Hour))
			n, err := s.Prune(ctx, at(time.Hour))
			noErr(t, "Prune", err)
			if n != 1 {
				t.Fatalf("Prune: got %d, want 1", n)
			}
			id, err := s.Enqueue(ctx, newEvent("e3", "org1", "h1", "k", at(49*time.Hour)), at(24*time.Hour))
			wantErr(t, "Enqueue(key of newer event)", err, store.ErrDuplicate)
			if id != "e2" {
				t.Fatalf("Enqueue(key of newer event): got ID %q, want %q", id, "e2")
			}
		}},
		{name: "Copies", fn: func(t *testing.T, e *env) {
			// Delivery states go in and out as copies; payloads are handed
			// over at Enqueue and read-only when returned (not changed here).
			s := e.newStore(t)
			in := newEvent("e1", "org1", "h1", "k", at(0))
			want := newEvent("e1", "org1", "h1", "k", at(0))
			mustEnqueue(t, s, in, farPast)
			in.State, in.Attempts, in.HookID = store.StateDead, 5, "changed"
			got := mustGetEvent(t, s, "org1", "e1")
			checkEvent(t, "GetEvent after changing the input", got, want)
			checkState(t, "GetEvent after changing the input", got, store.StatePending, 0)
			got.Attempts, got.State, got.Org = 99, store.StateDead, "x"
			evs, err := s.Claim(ctx, at(0), time.Minute, 10)
			noErr(t, "Claim", err)
			checkEvent(t, "Claim after changing a returned record", evs[0], want)
			checkState(t, "Claim after changing a returned record", evs[0], store.StatePending, 1)
			evs[0].Attempts, evs[0].LastError = 42, "x"
			list, err := s.ListEvents(ctx, "org1", store.EventQuery{State: store.StatePending, Limit: 10})
			noErr(t, "ListEvents", err)
			checkState(t, "ListEvents after changing a claimed record", list[0], store.StatePending, 1)
			if list[0].LastError != "" {
				t.Fatalf("ListEvents after changing a claimed record: LastError: got %q", list[0].LastError)
			}
			list[0].State = store.StateDead
			got = mustGetEvent(t, s, "org1", "e1")
			checkEvent(t, "GetEvent after changing a listed record", got, want)
			checkState(t, "GetEvent after changing a listed record", got, store.StatePending, 1)
		}},
		{name: "PayloadWrittenOnce", fn: func(t *testing.T, e *env) {
			// The payload comes back byte for byte from Claim and GetEvent,
			// whatever the delivery state went through, for any bytes and
			// any size.
			s := e.newStore(t)
			big := make([]byte, 3<<20) // larger than a page, a chunk, a TOAST slice
			for i := range big {
				big[i] = byte(i*7 + i>>9)
			}
			all := make([]byte, 256)
			for i := range all {
				all[i] = byte(i)
			}
			payloads := map[string][]byte{"big": big, "all": all, "json": []byte(`{"a":1}`), "empty": {}}
			i := 0
			for _, id := range []string{"all", "big", "empty", "json"} {
				ev := newEvent(id, "org1", "h1", "", at(time.Duration(i)*time.Second))
				ev.Payload = bytes.Clone(payloads[id])
				mustEnqueue(t, s, ev, farPast)
				i++
			}
			checkPayload := func(what string, ev *store.QueuedEvent) {
				t.Helper()
				if want := payloads[ev.ID]; !bytes.Equal(ev.Payload, want) {
					t.Fatalf("%s %s: Payload: got %d bytes, want %d (equal: false)", what, ev.ID, len(ev.Payload), len(want))
				}
			}
			now := at(time.Minute)
			evs, err := s.Claim(ctx, now, time.Minute, 10)
			noErr(t, "Claim", err)
			checkIDs(t, "Claim", eventIDs(evs), []string{"all", "big", "empty", "json"})
			for _, ev := range evs {
				checkPayload("Claim", ev)
			}
			noErr(t, "Fail", s.Fail(ctx, "all", 1, "again", now, false))
			noErr(t, "Fail(dead)", s.Fail(ctx, "big", 1, "dead", now, true))
			noErr(t, "Complete", s.Complete(ctx, "json", 1, now))
			noErr(t, "Replay", s.Replay(ctx, "org1", "big", now))
			evs, err = s.Claim(ctx, now, time.Minute, 10)
			noErr(t, "Claim again", err)
			checkIDs(t, "Claim again", sortedCopy(eventIDs(evs)), []string{"all", "big"})
			for _, ev := range evs {
				checkPayload("Claim again", ev)
			}
			for id := range payloads {
				checkPayload("GetEvent", mustGetEvent(t, s, "org1", id))
			}
		}},
		{name: "ListWithoutPayload", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "k", at(0)), farPast)
			list, err := s.ListEvents(ctx, "org1", store.EventQuery{State: store.StatePending})
			noErr(t, "ListEvents", err)
			checkIDs(t, "ListEvents", eventIDs(list), []string{"e1"})
			if list[0].Payload != nil {
				t.Fatalf("ListEvents: Payload: got %q, want nil (a list carries delivery states only)", list[0].Payload)
			}
			if want := int64(len(`{"event":"e1"}`)); list[0].PayloadSize != want {
				t.Fatalf("ListEvents: PayloadSize: got %d, want %d", list[0].PayloadSize, want)
			}
			if got := mustGetEvent(t, s, "org1", "e1"); got.PayloadSize != int64(len(got.Payload)) {
				t.Fatalf("GetEvent: PayloadSize: got %d, want %d", got.PayloadSize, len(got.Payload))
			}
			if list[0].HookID != "h1" || list[0].IdempotencyKey != "k" || !sameTime(list[0].CreatedAt, at(0)) {
				t.Fatalf("ListEvents: got %+v, want hook h1, key k, created %v", list[0], at(0))
			}
		}},
		{name: "ListEventsQuery", fn: func(t *testing.T, e *env) {
			// Events e0..e9, one second apart; hooks alternate h1/h2;
			// e3 and e7 carry the key "k"; e0, e1 delivered, e2 dead.
			s := e.newStore(t)
			for i := range 10 {
				h, key := "h1", ""
				if i%2 == 1 {
					h = "h2"
				}
				if i == 3 || i == 7 {
					key = "k"
				}
				since := farPast
				if i == 7 { // e3 (same hook and key) is outside the window
					since = at(5 * time.Second)
				}
				mustEnqueue(t, s, newEvent(fmt.Sprintf("e%d", i), "org1", h, key, at(time.Duration(i)*time.Second)), since)
			}
			// Two events created in the same instant: ordered by ID.
			mustEnqueue(t, s, newEvent("s1", "org1", "h1", "", at(20*time.Second)), farPast)
			mustEnqueue(t, s, newEvent("s2", "org1", "h1", "", at(20*time.Second)), farPast)
			mustEnqueue(t, s, newEvent("o1", "org2", "h1", "k", at(5*time.Second)), farPast)
			now := at(time.Minute)
			checkIDs(t, "Claim", claimIDs(t, s, now, time.Minute, 3), []string{"e0", "e1", "e2"})
			noErr(t, "Complete", s.Complete(ctx, "e0", 1, now))
			noErr(t, "Complete", s.Complete(ctx, "e1", 1, now))
			noErr(t, "Fail", s.Fail(ctx, "e2", 1, "boom", now, true))

			list := func(q store.EventQuery) []string {
				t.Helper()
				evs, err := s.ListEvents(ctx, "org1", q)
				noErr(t, "ListEvents", err)
				for _, ev := range evs {
					if ev.Org != "org1" || ev.Payload != nil || ev.PayloadSize == 0 {
						t.Fatalf("ListEvents(%+v): got %+v", q, ev)
					}
				}
				return eventIDs(evs)
			}
			all := []string{"s2", "s1", "e9", "e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1", "e0"}
			for _, c := range []struct {
				name string
				q    store.EventQuery
				want []string
			}{
				{"all", store.EventQuery{}, all},
				{"limit", store.EventQuery{Limit: 3}, all[:3]},
				{"delivered", store.EventQuery{State: store.StateDelivered}, []string{"e1", "e0"}},
				{"dead", store.EventQuery{State: store.StateDead}, []string{"e2"}},
				{"unknown state", store.EventQuery{State: "lost"}, nil},
				{"hook", store.EventQuery{HookID: "h2"}, []string{"e9", "e7", "e5", "e3", "e1"}},
				{"hook and state", store.EventQuery{HookID: "h2", State: store.StatePending, Limit: 2}, []string{"e9", "e7"}},
				{"key", store.EventQuery{IdempotencyKey: "k"}, []string{"e7", "e3"}},
				{"key and hook", store.EventQuery{IdempotencyKey: "k", HookID: "h1"}, nil},
				{"since", store.EventQuery{Since: at(8 * time.Second)}, all[:4]},
				{"until", store.EventQuery{Until: at(2 * time.Second)}, []string{"e1", "e0"}},
				{"range", store.EventQuery{Since: at(2 * time.Second), Until: at(4 * time.Second)}, []string{"e3", "e2"}},
				{"after", store.EventQuery{After: store.EventCursor{CreatedAt: at(20 * time.Second), ID: "s2"}, Limit: 2}, []string{"s1", "e9"}},
				{"after, pending", store.EventQuery{State: store.StatePending, After: store.EventCursor{CreatedAt: at(4 * time.Second), ID: "e4"}}, []string{"e3"}},
			} {
				checkIDs(t, "ListEvents("+c.name+")", list(c.q), c.want)
			}

			// Paging by cursor returns every event once, even with events
			// arriving between pages (newer ones, as new arrivals are).
			for pass, st := range []store.EventState{"", store.StatePending} {
				var got []string
				q := store.EventQuery{State: st, Limit: 3}
				for page := 0; ; page++ {
					evs, err := s.ListEvents(ctx, "org1", q)
					noErr(t, "ListEvents page", err)
					if len(evs) == 0 {
						break
					}
					got = append(got, eventIDs(evs)...)
					q.After = store.CursorOf(evs[len(evs)-1])
					mustEnqueue(t, s, newEvent(fmt.Sprintf("n%d%d", pass, page), "org1", "h1", "", at(time.Duration(30+10*pass+page)*time.Second)), farPast)
				}
				want := all
				if st == store.StatePending {
					// The first pass's arrivals are pending too.
					want = []string{"n03", "n02", "n01", "n00", "s2", "s1", "e9", "e8", "e7", "e6", "e5", "e4", "e3"}
				}
				checkIDs(t, fmt.Sprintf("pages of %q", st), got, want)
			}
		}},
		{name: "DeliveryTimes", fn: func(t *testing.T, e *env) {
			// Claim stamps UpdatedAt; Fail keeps it (it is given no clock
			// reading) and sets LastError, which Replay keeps.
			s := e.newStore(t)
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "", at(0)), farPast)
			claimAt := at(time.Minute)
			evs, err := s.Claim(ctx, claimAt, time.Minute, 1)
			noErr(t, "Claim", err)
			if !sameTime(evs[0].UpdatedAt, claimAt) {
				t.Fatalf("Claim: UpdatedAt: got %v, want %v", evs[0].UpdatedAt, claimAt)
			}
			noErr(t, "Fail", s.Fail(ctx, "e1", 1, "boom", at(time.Hour), true))
			got := mustGetEvent(t, s, "org1", "e1")
			if !sameTime(got.UpdatedAt, claimAt) || !sameTime(got.CreatedAt, at(0)) {
				t.Fatalf("Fail: UpdatedAt, CreatedAt: got %v, %v, want %v, %v", got.UpdatedAt, got.CreatedAt, claimAt, at(0))
			}
			noErr(t, "Replay", s.Replay(ctx, "org1", "e1", at(2*time.Hour)))
			got = mustGetEvent(t, s, "org1", "e1")
			if got.LastError != "boom" || !sameTime(got.UpdatedAt, at(2*time.Hour)) {
				t.Fatalf("Replay: LastError, UpdatedAt: got %q, %v, want %q, %v", got.LastError, got.UpdatedAt, "boom", at(2*time.Hour))
			}
		}},
	}
}

// sortedCopy returns ids sorted, leaving ids as it was.
func sortedCopy(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}
