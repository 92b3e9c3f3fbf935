package pgstore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// BenchmarkQueue measures the store side of queue mode: Enqueue with an
// idempotency key (what a 2xx waits for), and a Claim+Complete cycle (what
// a dispatcher does per event), on pgstore beside memstore as the bare
// baseline, in one run. Compare ns/op of the pairs.
func BenchmarkQueue(b *testing.B) {
	dsn := testDSN(b)
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memstore", func(b *testing.B) store.Store { s := memstore.New(); b.Cleanup(func() { s.Close() }); return s }},
		{"pgstore", func(b *testing.B) store.Store { return openStore(b, dsn, newSchema(b, dsn)) }},
	}
	ctx := context.Background()
	for _, st := range stores {
		b.Run("Enqueue/"+st.name, func(b *testing.B) {
			s := st.open(b)
			var n atomic.Int64
			b.SetParallelism(4) // 4*GOMAXPROCS concurrent requests
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					id := fmt.Sprintf("e%012d", i)
					if _, err := s.Enqueue(ctx, event(id, "h1", "key-"+id, t0), t0); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run("ClaimComplete/"+st.name, func(b *testing.B) {
			s := st.open(b)
			for i := range b.N {
				if _, err := s.Enqueue(ctx, event(fmt.Sprintf("e%012d", i), "h1", "", t0), t0); err != nil {
					b.Fatal(err)
				}
			}
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					evs, err := s.Claim(ctx, t0.Add(time.Hour), time.Hour, 1)
					if err != nil {
						b.Error(err)
						return
					}
					for _, ev := range evs {
						if err := s.Complete(ctx, ev.ID, ev.Attempts, t0.Add(time.Hour)); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
		})
	}
}
