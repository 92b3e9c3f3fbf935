package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// BenchPayloadSize is the size of the payloads Bench enqueues: a 1 KiB
// JSON body's queue payload is about this size.
const BenchPayloadSize = 1280

// Bench runs the kit's benchmarks on the Store newStore makes (a new,
// empty one per sub-benchmark; register its Close with b.Cleanup), behind
// the portable layer as Run checks it (store.Portable), each
// beside the same operation on memstore, the in-memory implementation of
// the same contract, in the same run: compare the pairs' ns/op (or
// events/s). Sub-benchmarks:
//
//   - Enqueue: concurrent Enqueues of BenchPayloadSize-byte payloads with
//     an idempotency key, what a queue-mode 2xx waits for;
//   - ClaimComplete: concurrent Claim of one event and its Complete, what
//     a dispatcher does per event, from a backlog;
//   - HandOff (stores with store.LocalQueue): EnqueueClaimed and
//     CompleteLater, what a local hand-off costs per event;
//   - GetEvent and HookByToken: one read each.
//
// A third-party driver's test file runs it with one call:
//
//	func BenchmarkStore(b *testing.B) { storetest.Bench(b, openForBench) }
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	b.Helper()
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memstore", func(b *testing.B) store.Store {
			s := memstore.New()
			b.Cleanup(func() { _ = s.Close() })
			return s
		}},
		{"store", portable(newStore)},
	}
	ctx := context.Background()
	payload := make([]byte, BenchPayloadSize)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	ev := func(i int64, key bool) *store.QueuedEvent {
		id := fmt.Sprintf("ev%016d", i)
		e := &store.QueuedEvent{ID: id, Org: "org1", HookID: "h1", Payload: payload,
			NextAttempt: base, CreatedAt: base.Add(time.Duration(i)), UpdatedAt: base}
		if key {
			e.IdempotencyKey = "key-" + id
		}
		return e
	}
	for _, st := range stores {
		b.Run("Enqueue/"+st.name, func(b *testing.B) {
			s := st.open(b)
			var n atomic.Int64
			b.SetBytes(BenchPayloadSize)
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Enqueue(ctx, ev(n.Add(1), true), farPast); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run("ClaimComplete/"+st.name, func(b *testing.B) {
			s := st.open(b)
			for i := range b.N {
				if _, err := s.Enqueue(ctx, ev(int64(i), false), farPast); err != nil {
					b.Fatal(err)
				}
			}
			now := base.Add(time.Hour)
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					evs, err := s.Claim(ctx, now, time.Hour, 1)
					if err != nil {
						b.Error(err)
						return
					}
					for _, e := range evs {
						if err := s.Complete(ctx, e.ID, e.Attempts, now); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
		})
		b.Run("HandOff/"+st.name, func(b *testing.B) {
			s := st.open(b)
			lq, ok := store.As[store.LocalQueue](s)
			if !ok {
				b.Skipf("storetest: %T has no store.LocalQueue", s)
			}
			var n atomic.Int64
			b.SetBytes(BenchPayloadSize)
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e := ev(n.Add(1), true)
					if _, err := lq.EnqueueClaimed(ctx, e, farPast, time.Minute); err != nil {
						b.Error(err)
						return
					}
					lq.CompleteLater(e.ID, 1, base)
				}
			})
			b.StopTimer()
			if err := lq.FlushCompletions(ctx); err != nil {
				b.Fatal(err)
			}
		})
		b.Run("GetEvent/"+st.name, func(b *testing.B) {
			s := st.open(b)
			if _, err := s.Enqueue(ctx, ev(1, false), farPast); err != nil {
				b.Fatal(err)
			}
			id := ev(1, false).ID
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.GetEvent(ctx, "org1", id); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run("HookByToken/"+st.name, func(b *testing.B) {
			s := st.open(b)
			if err := s.CreateHook(ctx, newHook("h1", "org1", "tok1", base)); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.HookByToken(ctx, "tok1"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
