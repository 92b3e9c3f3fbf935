package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/webhook"
)

// newBenchServer returns examples/server on bbolt (fsync on), or on
// PostgreSQL when pg, with its queue started in queue mode and event lines
// written to io.Discard; the benchmark's cleanup shuts it down.
func newBenchServer(b *testing.B, delivery string, pg bool) *server {
	b.Helper()
	ctx := context.Background()
	cfg := config{Data: filepath.Join(b.TempDir(), "inbound.db"), Delivery: delivery,
		BaseURL: "http://127.0.0.1", EmailDomain: "in.localhost", AdminToken: "admin-secret", Stdout: io.Discard}
	if pg {
		cfg.PG = testenv.PostgresDSN(b)
		cfg.PGSchema = testenv.PostgresSchema(b, cfg.PG, "server_bench_")
	}
	s, err := newServer(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	if s.queue != nil {
		if err := s.queue.Start(sctx); err != nil {
			b.Fatal(err)
		}
	}
	b.Cleanup(func() {
		if s.queue != nil {
			_ = s.queue.Shutdown(context.Background())
		}
		cancel()
		_ = s.Close()
	})
	return s
}

// benchServer returns newBenchServer's server with a webhook changed by
// update (its debug setting, its example data), the hook's address path
// and an API key for it.
func benchServer(b *testing.B, delivery string, update hooks.HookUpdate, pg bool) (*server, string, string) {
	b.Helper()
	ctx := context.Background()
	s := newBenchServer(b, delivery, pg)
	h, err := s.reg.Create(ctx, "", hooks.HookSpec{Name: "perf", Kind: webhook.KindName})
	if err != nil {
		b.Fatal(err)
	}
	if h, err = s.reg.Update(ctx, "", h.ID, update); err != nil {
		b.Fatal(err)
	}
	_, key, err := s.keys.Create(ctx, "", "perf", []string{hooks.RoleHooks})
	if err != nil {
		b.Fatal(err)
	}
	addr := s.reg.Address(h)
	return s, addr[len(s.cfg.BaseURL):], key
}

// BenchmarkServerWebhook measures examples/server's own per-request work
// on the yardstick's request (a webhook with an API key, 1 KiB JSON),
// without the network: ServeHTTP on the server's mux with an
// httptest.ResponseRecorder, one request at a time, so that allocs/op and
// B/op are the request's own and a CPU profile or an instruction count
// shows where a request's work goes. sync is sync delivery on bbolt with
// the event line written (to io.Discard) by the demo's trigger; sync-debug
// the same with the hook's debug log on; sync-example the same with 64 KiB
// of example data on the hook (which a lookup must not copy); queue is queue delivery on bbolt
// (fsync on: each op waits for its commit, and the hand-off worker writes
// the event line); queue-64 the same with 64 requests at once. bare is
// the baseline handler, in the same run.
func BenchmarkServerWebhook(b *testing.B) {
	body := baseline.Body(1024)
	post := func(b *testing.B, h http.Handler, path, key string) {
		req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			b.Errorf("status %d: %s", rec.Code, rec.Body)
		}
	}
	run := func(b *testing.B, h http.Handler, path, key string) {
		b.Helper()
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			post(b, h, path, key)
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, baseline.Handler(), "/hook", "") })
	// queue-64: 64 requests at once (RunParallel), whose commits the
	// store groups; strace -f -c of this run gives the fdatasyncs per
	// event. queue-64-pg: the same on PostgreSQL (skipped without
	// INBOUND_TEST_PG_DSN).
	for _, pg := range []bool{false, true} {
		name := "queue-64"
		if pg {
			name += "-pg"
		}
		b.Run(name, func(b *testing.B) {
			s, path, key := benchServer(b, "queue", hooks.HookUpdate{}, pg)
			h := s.Handler()
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					post(b, h, path, key)
				}
			})
		})
	}
	on := true
	example := json.RawMessage(baseline.Body(64 << 10))
	for _, c := range []struct {
		name     string
		delivery string
		update   hooks.HookUpdate
	}{
		{"sync", "sync", hooks.HookUpdate{}},
		{"sync-debug", "sync", hooks.HookUpdate{Debug: &on}},
		{"sync-example", "sync", hooks.HookUpdate{ExampleData: &example}},
		{"queue", "queue", hooks.HookUpdate{}},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, path, key := benchServer(b, c.delivery, c.update, false)
			run(b, s.Handler(), path, key)
		})
	}
}
