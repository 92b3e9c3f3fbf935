package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/internal/loadgen"
)

// benchConns is how many connections post at once.
const benchConns = 16

// deliver posts b.N webhook events of 1 KiB over benchConns connections
// and waits until the queue delivered them all, inside the timer. It
// reports req/s (the senders' answers) and events/s (posted and
// delivered: the end-to-end rate) and returns events/s.
func deliver(b *testing.B, ts *triggerServer) float64 {
	b.Helper()
	tr := loadgen.NewTransport(benchConns)
	defer tr.CloseIdleConnections()
	opts := loadgen.Options{URL: ts.url, Body: baseline.Body(1024), Connections: benchConns,
		Header: http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + ts.key}},
		Client: &http.Client{Transport: tr}}
	opts.Requests = 2 * benchConns // warm the connections and the engine up
	if _, err := loadgen.Run(context.Background(), opts); err != nil {
		b.Fatal(err)
	}
	ts.waitDrained(b, time.Minute)
	opts.Requests = b.N
	b.ResetTimer()
	start := time.Now()
	res, err := loadgen.Run(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	ts.waitDrained(b, 5*time.Minute)
	elapsed := time.Since(start)
	b.StopTimer()
	if res.Errors > 0 {
		b.Fatalf("%d errors: %v (status %v)", res.Errors, res.FirstError, res.Status)
	}
	eps := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(res.Throughput(), "req/s")
	b.ReportMetric(eps, "events/s")
	b.ReportMetric(float64(res.Percentile(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
	return eps
}

// BenchmarkTrigger measures examples/server in queue mode delivering to
// each -trigger engine, beside the stdout trigger (writing to io.Discard)
// on the same store in the same run: b.N webhook posts of a 1 KiB JSON body
// over 16 connections, timed until the last event is delivered (stream
// ack, job insert commit, publisher confirm). x-stdout is an engine's
// events/s over the stdout trigger's. NATS and RabbitMQ run on the bbolt
// store (fsync on); River needs the PostgreSQL store, so it has its own
// stdout baseline there. Engines skip (fail under CI=true) when their
// server is missing.
func BenchmarkTrigger(b *testing.B) {
	for _, group := range []struct {
		store   string
		pg      bool
		engines []engine
	}{
		{"bolt", false, []engine{engines[0], engines[2]}},
		{"pg", true, []engine{engines[1]}},
	} {
		var stdout float64
		b.Run(group.store+"/stdout", func(b *testing.B) {
			ts := startTriggerServer(b, "stdout", group.pg, nil) // lines go to io.Discard
			stdout = deliver(b, ts)
		})
		for _, e := range group.engines {
			b.Run(group.store+"/"+e.name, func(b *testing.B) {
				spec, count := e.setup(b)
				ts := startTriggerServer(b, spec, group.pg, nil)
				eps := deliver(b, ts)
				if stdout > 0 {
					b.ReportMetric(eps/stdout, "x-stdout")
				}
				if got, want := count(b, ts.s), b.N+2*benchConns; got != want {
					b.Fatalf("%s holds %d events, want %d", e.name, got, want)
				}
			})
		}
	}
}
