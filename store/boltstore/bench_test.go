package boltstore

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/storetest"
)

// BenchmarkEnqueue compares Enqueue (the queue's log: one write and one
// fdatasync for a group of concurrent events, applied to bbolt later by
// the committer) with a bare baseline that runs one bbolt read-write
// transaction, so a commit's page writes and two fsyncs, per event
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
		s, err := openDriver(filepath.Join(b.TempDir(), "bench.db"), &Options{NoSync: noSync})
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
		runCallers(b, callers, one)
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	})
}

// BenchmarkDispatch mixes the two sides of a queue as hooks.Queue drives
// them: 64 producers Enqueue (HTTP requests), while 2 dispatchers each
// Claim up to 8 due events and Complete every claimed event from its own
// goroutine (the workers). The group variant uses the Store's methods,
// which share the committer; the baseline runs the same transaction
// bodies with one bbolt read-write transaction, so one fsync, per call;
// enqueue-only-group group-commits Enqueue alone, as the Store did before
// Claim, Complete and Fail joined the committer. events/s counts events
// both enqueued and completed.
func BenchmarkDispatch(b *testing.B) {
	for _, variant := range []struct {
		prefix string
		noSync bool
	}{{"", false}, {"nosync/", true}} {
		for _, mode := range []string{"baseline", "enqueue-only-group", "group"} {
			b.Run(variant.prefix+mode, func(b *testing.B) {
				benchmarkDispatch(b, variant.noSync, mode)
			})
		}
	}
}

// queueOps are the queue writes the dispatch benchmark makes.
type queueOps struct {
	enqueue  func(e *store.QueuedEvent, since time.Time) error
	claim    func(now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error)
	complete func(id string, attempts int, now time.Time) error
}

func directOps(s *driver) queueOps {
	return queueOps{
		enqueue: func(e *store.QueuedEvent, since time.Time) error {
			_, err := s.enqueueDirect(e, since)
			return err
		},
		claim: func(now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
			var out []*store.QueuedEvent
			err := s.db.Update(func(tx *bolt.Tx) error {
				var err error
				out, err = claimTx(tx, now, lease, limit)
				return err
			})
			return out, err
		},
		complete: func(id string, attempts int, now time.Time) error {
			var reqErr error
			err := s.db.Update(func(tx *bolt.Tx) error {
				var txErr error
				reqErr, txErr = changeEventTx(tx, nil, id, completeFn(attempts, now))
				return txErr
			})
			return cmp.Or(err, reqErr)
		},
	}
}

func groupOps(s *driver) queueOps {
	ctx := context.Background()
	return queueOps{
		enqueue: func(e *store.QueuedEvent, since time.Time) error {
			_, err := s.Enqueue(ctx, e, since)
			return err
		},
		claim: func(now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
			return s.Claim(ctx, now, lease, limit)
		},
		complete: func(id string, attempts int, now time.Time) error { return s.Complete(ctx, id, attempts, now) },
	}
}

func benchmarkDispatch(b *testing.B, noSync bool, mode string) {
	const producers, dispatchers, workers = 64, 2, 8
	s, err := openDriver(filepath.Join(b.TempDir(), "bench.db"), &Options{NoSync: noSync})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ops := directOps(s)
	switch mode {
	case "group":
		ops = groupOps(s)
	case "enqueue-only-group":
		ops.enqueue = groupOps(s).enqueue
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	payload := []byte(`{"data":{"name":"Ada","email":"ada@example.com"}}`)
	var next, completed atomic.Int64
	n := int64(b.N)
	errs := make(chan error, producers+dispatchers*workers)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	for range producers {
		wg.Go(func() {
			for i := next.Add(1); i <= n; i = next.Add(1) {
				e := &store.QueuedEvent{
					ID: fmt.Sprintf("ev%012d", i), Org: "acme", HookID: "h1",
					IdempotencyKey: fmt.Sprintf("key%d", i), Payload: payload,
					NextAttempt: now, CreatedAt: now.Add(time.Duration(i)), UpdatedAt: now,
				}
				if err := ops.enqueue(e, now); err != nil {
					report(err)
					return
				}
			}
		})
	}
	for range dispatchers {
		wg.Go(func() {
			for completed.Load() < n {
				evs, err := ops.claim(now, time.Hour, workers)
				if err != nil {
					report(err)
					return
				}
				if len(evs) == 0 {
					time.Sleep(100 * time.Microsecond) // idle: the real dispatcher waits for a nudge
					continue
				}
				var done sync.WaitGroup
				for _, ev := range evs {
					done.Go(func() {
						if err := ops.complete(ev.ID, ev.Attempts, now); err != nil {
							report(err)
						}
						completed.Add(1)
					})
				}
				done.Wait()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStore runs the conformance kit's benchmarks (storetest.Bench)
// on a file with fsync on, beside memstore.
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := openDriver(filepath.Join(b.TempDir(), "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	})
}

// BenchmarkStoredBytes enqueues events whose payload is the queue's
// encoding of a 1 KiB JSON webhook (1,251 bytes, see hooks'
// TestEncodeEventRoundTrip) and reports the bytes each event takes in the
// file (pages in use, free pages excluded; file-B/event), beside the
// payload alone (payload-B/event, the bare figure) and the delivery
// record (record-B/event).
func BenchmarkStoredBytes(b *testing.B) {
	s, err := openDriver(filepath.Join(b.TempDir(), "bytes.db"), &Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	payload := make([]byte, 1251)
	for i := range payload {
		payload[i] = 'a' + byte(i%26)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(i int) *store.QueuedEvent {
		return &store.QueuedEvent{ID: fmt.Sprintf("06h37106f0t6s%013d", i), HookID: "06h37106exq77kyazcs8fctjmm",
			Payload: payload, NextAttempt: base, CreatedAt: base.Add(time.Duration(i)), UpdatedAt: base}
	}
	used := func() int64 {
		if err := s.waitApplied(context.Background()); err != nil { // the log's events into the file
			b.Fatal(err)
		}
		var n int64
		err := s.db.View(func(tx *bolt.Tx) error {
			n = tx.Size()
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		st := s.db.Stats()
		return n - int64(st.FreePageN+st.PendingPageN)*int64(s.db.Info().PageSize)
	}
	ctx := context.Background()
	for i := range 1000 { // past the file's first pages
		if _, err := s.Enqueue(ctx, ev(-1-i), base); err != nil {
			b.Fatal(err)
		}
	}
	before := used()
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Enqueue(ctx, ev(i), base); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(payload)), "payload-B/event")
	b.ReportMetric(float64(len(newPending(ev(0), false, 0).encode())), "record-B/event")
	b.ReportMetric(float64(used()-before)/float64(b.N), "file-B/event")
}

// runCallers calls one b.N times, from callers goroutines at once
// (RunParallel) when callers is more than 1.
func runCallers(b *testing.B, callers int, one func()) {
	if callers == 1 {
		for range b.N {
			one()
		}
		return
	}
	// RunParallel starts parallelism*GOMAXPROCS goroutines.
	b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			one()
		}
	})
}
