package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/baseline"
)

// BenchmarkServerEmail25MiB posts a 25 MiB message (an 18.6 MiB
// attachment in base64) to examples/server's /hooks/email over a loopback
// listener, in queue mode on bbolt with fsync on, and reports the time from
// the start of the POST to the 202 (ms/message). bare is a handler that
// only reads the body; bare-fsync one that also writes it to a file and
// syncs it (baseline.DurableHandler), the disk's floor for a body made
// durable before its 2xx: the queue writes the message once, so on a slow
// disk its figure follows bare-fsync's.
func BenchmarkServerEmail25MiB(b *testing.B) {
	msg := baseline.BigEmail(25<<20-64<<10, "big@example.com")
	run := func(b *testing.B, h http.Handler, path, to string) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		var total time.Duration
		for i := range b.N {
			m := bytes.Replace(msg, []byte("Message-ID: <big@"), []byte(fmt.Sprintf("Message-ID: <big-%d@", i)), 1)
			took, err := baseline.Post(srv.URL+path, http.Header{"Content-Type": {"message/rfc822"}, emailhook.RecipientHeader: {to}}, m)
			if err != nil {
				b.Fatal(err)
			}
			total += took
		}
		b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/message")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("bare", func(b *testing.B) {
		run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(http.StatusAccepted)
		}), "/", "")
	})
	b.Run("bare-fsync", func(b *testing.B) { run(b, baseline.DurableHandler(b.TempDir()), "/", "") })
	b.Run("queue", func(b *testing.B) {
		s := newBenchServer(b, "queue", false)
		h, err := s.reg.Create(context.Background(), "", hooks.HookSpec{Name: "mail", Kind: emailhook.KindName})
		if err != nil {
			b.Fatal(err)
		}
		run(b, s.Handler(), "/hooks/email", s.reg.Address(h))
	})
}
