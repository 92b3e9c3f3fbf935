package loadgen_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/baseline"

	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/loadgen"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// benchStores are the stores BenchmarkQueueLoad runs queue mode on. To
// measure another store, add a line.
var benchStores = []struct {
	name string
	open func(b *testing.B) store.Store
}{
	{"bolt", func(b *testing.B) store.Store {
		// A real file with fsync before every 2xx (NoSync false).
		s, err := boltstore.Open(filepath.Join(b.TempDir(), "bench.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		return s
	}},
	{"mem", func(*testing.B) store.Store { return memstore.New() }},
	{"pg", openPGStore}, // skipped without INBOUND_TEST_PG_DSN
}

// benchBody is the 1 KiB JSON order every benchmark sends.
var benchBody = baseline.Body(1024)

// queueServer is a form hook in queue mode over s, with a Trigger that
// only counts, and its dispatcher running unless the benchmark measures
// the ingest path alone.
type queueServer struct {
	url   string
	queue *hooks.Queue
	fired atomic.Int64
}

// newSyncServer is a form hook in sync mode over s (the Trigger called
// before the 202; the store serves only the hook lookup) and returns its
// URL.
func newSyncServer(b *testing.B, s store.Store) string {
	ctx := context.Background()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := reg.Create(ctx, "", hooks.HookSpec{Name: "bench", Kind: hooks.KindForm})
	if err != nil {
		b.Fatal(err)
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }))})
	if err != nil {
		b.Fatal(err)
	}
	fh, err := formhook.New(p, formhook.Options{})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(fh)
	b.Cleanup(func() {
		srv.Close()
		_ = s.Close()
	})
	return srv.URL + "/hooks/form/" + h.Token
}

func newQueueServer(b *testing.B, s store.Store, dispatch bool) *queueServer {
	ctx := context.Background()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	h, err := reg.Create(ctx, "", hooks.HookSpec{Name: "bench", Kind: hooks.KindForm})
	if err != nil {
		b.Fatal(err)
	}
	qs := &queueServer{}
	q, err := hooks.NewQueue(s, hooks.TriggerFunc(func(context.Context, *hooks.Event) error {
		qs.fired.Add(1)
		return nil
	}), hooks.QueueOptions{})
	if err != nil {
		b.Fatal(err)
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q})
	if err != nil {
		b.Fatal(err)
	}
	fh, err := formhook.New(p, formhook.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if dispatch {
		if err := q.Start(ctx); err != nil {
			b.Fatal(err)
		}
	}
	srv := httptest.NewServer(fh)
	b.Cleanup(func() {
		srv.Close()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_ = q.Shutdown(sctx)
		_ = s.Close()
	})
	qs.url, qs.queue = srv.URL+"/hooks/form/"+h.Token, q
	return qs
}

// drain waits until the dispatcher has delivered the backlog of the
// previous round, so that rounds do not inherit each other's work.
func (qs *queueServer) drain(b *testing.B) {
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := qs.queue.Depth(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("the dispatcher did not drain: %d pending", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// load sends b.N requests over conns connections and reports req/s, p50
// and p99.
func load(b *testing.B, url string, conns int) float64 {
	b.Helper()
	tr := loadgen.NewTransport(conns)
	defer tr.CloseIdleConnections()
	opts := loadgen.Options{URL: url, Header: http.Header{"Content-Type": {"application/json"}},
		Body: benchBody, Connections: conns, Client: &http.Client{Transport: tr}}
	// Warm the connections up outside the timer.
	opts.Requests = 2 * conns
	if _, err := loadgen.Run(context.Background(), opts); err != nil {
		b.Fatal(err)
	}
	opts.Requests = b.N
	cpu0 := cpuTime()
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), opts)
	b.StopTimer()
	cpu := cpuTime() - cpu0
	if err != nil {
		b.Fatal(err)
	}
	if res.Errors > 0 {
		b.Fatalf("%d errors: %v (status %v)", res.Errors, res.FirstError, res.Status)
	}
	b.ReportMetric(res.Throughput(), "req/s")
	b.ReportMetric(float64(res.Percentile(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(res.Percentile(0.99).Microseconds())/1000, "p99-ms")
	// CPU time of the whole process (server, load generator, dispatcher)
	// per request: unlike req/s, it hardly moves with the machine's load.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/req")
	b.ReportMetric(0, "ns/op") // wall time per request is req/s's inverse; keep the line short
	return res.Throughput()
}

// cpuTime returns the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkQueueLoad measures loopback HTTP load on a form hook in queue
// mode (the event committed, with fsync for bolt, before the 202; the
// dispatcher delivering in the background) beside a bare net/http handler
// that only json.Unmarshals the same 1 KiB body, at 1 and 64 connections.
// Queue sub-benchmarks also report x-bare: their throughput over the bare
// handler's in the same run. The -ingest-only variants do not run the
// dispatcher: they measure the commit path alone, as on a replica that only
// receives.
func BenchmarkQueueLoad(b *testing.B) {
	for _, conns := range []int{1, 64} {
		var bare float64
		b.Run(fmt.Sprintf("c=%d/bare", conns), func(b *testing.B) {
			srv := httptest.NewServer(baseline.Handler())
			defer srv.Close()
			bare = load(b, srv.URL, conns)
		})
		b.Run(fmt.Sprintf("c=%d/sync-bolt", conns), func(b *testing.B) {
			rps := load(b, newSyncServer(b, benchStores[0].open(b)), conns)
			if bare > 0 {
				b.ReportMetric(rps/bare, "x-bare")
			}
		})
		for _, st := range benchStores {
			for _, dispatch := range []bool{true, false} {
				name := fmt.Sprintf("c=%d/queue-%s", conns, st.name)
				if !dispatch {
					name += "-ingest-only"
				}
				b.Run(name, func(b *testing.B) {
					qs := newQueueServer(b, st.open(b), dispatch)
					rps := load(b, qs.url, conns)
					if bare > 0 {
						b.ReportMetric(rps/bare, "x-bare")
					}
					if dispatch {
						qs.drain(b)
					}
				})
			}
		}
	}
}
