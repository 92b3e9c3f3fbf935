package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// modelEvent is the reference model's view of an event.
type modelEvent struct {
	id            string
	state         store.EventState
	next, created time.Time
	attempts      int
}

// TestClaimMatchesModel drives the store with random queue operations
// (including leases of zero and below, and CreatedAt and NextAttempt
// ties) and checks every Claim against a reference that sorts all
// pending events, as Claim once did; and that the heap stays within its
// bound of stale entries.
func TestClaimMatchesModel(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3, 4, 5} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, seed))
			s := newDriver()
			defer s.Close()
			ctx := context.Background()
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			at := func() time.Time { return base.Add(time.Duration(rng.IntN(50)) * time.Second) }
			model := map[string]*modelEvent{}
			var ids []string
			for step := range 3000 {
				switch op := rng.IntN(10); {
				case op < 4:
					id := fmt.Sprintf("ev%05d", step)
					e := &store.QueuedEvent{ID: id, Org: "o", HookID: "h", NextAttempt: at(), CreatedAt: at()}
					if _, err := s.Enqueue(ctx, e, base); err != nil {
						t.Fatal(err)
					}
					model[id] = &modelEvent{id: id, state: store.StatePending, next: e.NextAttempt, created: e.CreatedAt}
					ids = append(ids, id)
				case op < 6:
					now := at()
					lease := time.Duration(rng.IntN(30)-5) * time.Second
					limit := rng.IntN(6)
					var want []*modelEvent
					for _, m := range model {
						if m.state == store.StatePending && !m.next.After(now) {
							want = append(want, m)
						}
					}
					slices.SortFunc(want, func(a, b *modelEvent) int {
						return cmp.Or(a.next.Compare(b.next), a.created.Compare(b.created), strings.Compare(a.id, b.id))
					})
					want = want[:min(len(want), max(limit, 0))]
					got, err := s.Claim(ctx, now, lease, limit)
					if err != nil {
						t.Fatal(err)
					}
					if len(got) != len(want) {
						t.Fatalf("step %d: Claim: got %d events, want %d", step, len(got), len(want))
					}
					for i := range got {
						if got[i].ID != want[i].id {
							t.Fatalf("step %d: Claim event %d: got %s, want %s", step, i, got[i].ID, want[i].id)
						}
						want[i].next = now.Add(lease)
						want[i].attempts++
					}
				case len(ids) == 0:
				case op < 8:
					id := ids[rng.IntN(len(ids))]
					err := s.Complete(ctx, id, model[id].attempts, at())
					if model[id].state != store.StatePending {
						if !errors.Is(err, store.ErrStale) {
							t.Fatalf("step %d: Complete of a %s event: got %v, want ErrStale", step, model[id].state, err)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					model[id].state = store.StateDelivered
				case op < 9:
					id := ids[rng.IntN(len(ids))]
					next, dead := at(), rng.IntN(3) == 0
					err := s.Fail(ctx, id, model[id].attempts, "x", next, dead)
					if model[id].state != store.StatePending {
						if !errors.Is(err, store.ErrStale) {
							t.Fatalf("step %d: Fail of a %s event: got %v, want ErrStale", step, model[id].state, err)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					model[id].next, model[id].state = next, store.StatePending
					if dead {
						model[id].state = store.StateDead
					}
				default:
					id := ids[rng.IntN(len(ids))]
					now := at()
					err := s.Replay(ctx, "o", id, now)
					if model[id].state != store.StateDead {
						if err == nil {
							t.Fatalf("step %d: Replay of a %s event: got nil, want an error", step, model[id].state)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					model[id].next, model[id].state, model[id].attempts = now, store.StatePending, 0
				}
				s.mu.Lock()
				heapLen, live := len(s.pending), len(s.pendingSet)
				s.mu.Unlock()
				if heapLen > max(minCompact, 2*live)+1 {
					t.Fatalf("step %d: pending index: got %d entries for %d pending events, want at most %d", step, heapLen, live, max(minCompact, 2*live)+1)
				}
			}
			if n, _ := s.CountEvents(ctx, store.StatePending); n != len(s.pendingSet) {
				t.Fatalf("pending events: got %d in the index, want %d", len(s.pendingSet), n)
			}
		})
	}
}

// BenchmarkClaimBacklog claims 8 events at a time from a backlog of
// 100000 pending events (most not yet due, as with retries in backoff),
// completing each, beside a baseline that claims as Claim did before the
// pending index: collect every due event, sort them, take the first 8.
func BenchmarkClaimBacklog(b *testing.B) {
	const backlog, batch = 100000, 8
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fill := func(b *testing.B) *driver {
		s := newDriver()
		for i := range backlog {
			e := &store.QueuedEvent{ID: fmt.Sprintf("ev%07d", i), HookID: "h",
				NextAttempt: base.Add(time.Duration(i%1000) * time.Hour), CreatedAt: base}
			if _, err := s.Enqueue(context.Background(), e, base); err != nil {
				b.Fatal(err)
			}
		}
		return s
	}
	now := base.Add(24 * time.Hour * 365)
	b.Run("sort-baseline", func(b *testing.B) {
		s := fill(b)
		b.ResetTimer()
		for range b.N {
			s.mu.Lock()
			var due []*store.QueuedEvent
			for id := range s.pendingSet {
				if ev := s.events[id]; !ev.NextAttempt.After(now) {
					due = append(due, ev)
				}
			}
			slices.SortFunc(due, func(a, b *store.QueuedEvent) int {
				return cmp.Or(a.NextAttempt.Compare(b.NextAttempt), byCreated(a.CreatedAt, b.CreatedAt, a.ID, b.ID))
			})
			if len(due) < batch {
				b.Fatal("backlog ran out")
			}
			for _, ev := range due[:batch] {
				ev.Attempts++
				ev.NextAttempt = now.Add(time.Hour)
				s.reindexEvent(ev)
			}
			s.mu.Unlock()
			for _, ev := range due[:batch] {
				if err := s.Complete(context.Background(), ev.ID, ev.Attempts, now); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("heap", func(b *testing.B) {
		s := fill(b)
		ctx := context.Background()
		claimed := 0
		b.ResetTimer()
		for range b.N {
			if claimed+batch > backlog {
				b.StopTimer()
				s, claimed = fill(b), 0
				b.StartTimer()
			}
			claimed += batch
			evs, err := s.Claim(ctx, now, time.Hour, batch)
			if err != nil || len(evs) != batch {
				b.Fatalf("Claim: got %d events, %v", len(evs), err)
			}
			for _, ev := range evs {
				if err := s.Complete(ctx, ev.ID, ev.Attempts, now); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}
