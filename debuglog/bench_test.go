package debuglog_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// BenchmarkIngest runs the pipeline for a 1 KiB JSON body three ways in one
// run: a pipeline with no Recorder (the baseline), a pipeline with a Log
// but the hook's debug off, and the same with debug on. The first two
// should cost the same: the pipeline calls Record only when Debug is on.
func BenchmarkIngest(b *testing.B) {
	body := []byte(`{"name":"` + string(bytes.Repeat([]byte("x"), 1000)) + `"}`)
	nop := hooks.Sync(hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }))
	cases := []struct {
		name     string
		recorder bool
		debug    bool
	}{
		{"no-recorder", false, false},
		{"debug-off", true, false},
		{"debug-on", true, true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ctx := context.Background()
			s := memstore.New()
			reg, _ := hooks.NewRegistry(s, hooks.RegistryOptions{})
			_ = reg.Register(formKind{})
			opts := hooks.PipelineOptions{Delivery: nop}
			var l *debuglog.Log
			if c.recorder {
				var err error
				l, err = debuglog.New(s, debuglog.Options{Buffer: 1024})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close(ctx)
				opts.Recorder = l
			}
			p, _ := hooks.NewPipeline(reg, opts)
			h, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "bench", Kind: formKind{}.Kind()})
			if c.debug {
				on := true
				_, _ = reg.Update(ctx, "", h.ID, hooks.HookUpdate{Debug: &on})
			}
			hdr := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer x"}}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			for b.Loop() {
				res := p.Ingest(ctx, &hooks.Arrival{Kind: formKind{}.Kind(), Token: h.Token, Method: "POST",
					Path: "/hooks/form/" + h.Token, Header: hdr, Body: bytes.NewReader(body)}, jsonIntake{})
				if res.Err != nil {
					b.Fatal(res.Err)
				}
			}
			b.StopTimer()
			if l != nil {
				_ = l.Flush(ctx)
				b.ReportMetric(float64(l.Dropped())/float64(b.N), "dropped/op")
			}
		})
	}
}
