package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// BenchmarkEnqueue compares group commit (Enqueue) with a bare baseline
// that runs one bbolt read-write transaction, so one fsync, per event
// (enqueueDirect), on files of the same kind with fsync on, for one caller
// and for 64 concurrent callers. ops/s is the figure to compare. The
// nosync variants take the disk out (fsync latency on shared machines
// varies tenfold from minute to minute) to show what the committer itself
// costs a lone caller.
func BenchmarkEnqueue(b *testing.B) {
	for _, variant := range []struct {
		prefix string
		noSync bool
	}{{"", false}, {"nosync/", true}} {
		for _, mode := range []string{"baseline", "group"} {
			for _, callers := range []int{1, 64} {
				benchmarkEnqueue(b, variant.prefix, variant.noSync, mode, callers)
			}
		}
	}
}

func benchmarkEnqueue(b *testing.B, prefix string, noSync bool, mode string, callers int) {
	b.Run(fmt.Sprintf("%s%s/parallel-%d", prefix, mode, callers), func(b *testing.B) {
		s, err := Open(filepath.Join(b.TempDir(), "bench.db"), &Options{NoSync: noSync})
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		var seq atomic.Int64
		since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		one := func() {
			i := seq.Add(1)
			e := &store.QueuedEvent{
				ID:             fmt.Sprintf("ev%012d", i),
				Org:            "acme",
				HookID:         "h1",
				IdempotencyKey: fmt.Sprintf("key%d", i),
				Payload:        []byte(`{"data":{"name":"Ada","email":"ada@example.com"}}`),
				NextAttempt:    since,
				CreatedAt:      since.Add(time.Duration(i)),
				UpdatedAt:      since,
			}
			var err error
			if mode == "group" {
				_, err = s.Enqueue(context.Background(), e, since)
			} else {
				_, err = s.enqueueDirect(e, since)
			}
			if err != nil {
				b.Error(err)
			}
		}
		b.ResetTimer()
		if callers == 1 {
			for range b.N {
				one()
			}
		} else {
			// RunParallel starts parallelism*GOMAXPROCS goroutines.
			b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					one()
				}
			})
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}
