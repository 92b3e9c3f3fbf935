package hooks_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// sums collects every Int64 sum and gauge the reader holds, keyed by metric
// name and its attribute values ("name kind=form reason=...").
func sums(t *testing.T, r *sdkmetric.ManualReader) map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var points []metricdata.DataPoint[int64]
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				points = d.DataPoints
			case metricdata.Gauge[int64]:
				points = d.DataPoints
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[m.Name+" count"] += int64(p.Count)
				}
			}
			for _, p := range points {
				key := m.Name
				for _, kv := range p.Attributes.ToSlice() {
					key += " " + string(kv.Key) + "=" + kv.Value.String()
				}
				out[key] += p.Value
			}
		}
	}
	return out
}

func TestTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel := hooks.Telemetry{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))}
	st := memstore.New()
	// stubIntake gives every arrival the key "k": keep no keys, so that
	// each arrival reaches the Trigger.
	reg, _ := hooks.NewRegistry(hideKeys{st}, hooks.RegistryOptions{})
	registerTestKinds(t, reg)
	fail := errors.New("engine down")
	calls := 0
	trigger := hooks.TriggerFunc(func(context.Context, *hooks.Event) error {
		calls++
		switch calls {
		case 2:
			return fail
		case 3:
			panic("host bug")
		}
		return nil
	})
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Telemetry: tel,
		Delivery: &hooks.SyncDelivery{Trigger: trigger, Telemetry: tel}})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := reg.Create(context.Background(), "", hooks.HookSpec{Name: "f", Kind: kindForm})
	ingest := func(token string, in hooks.Intake) *hooks.Result {
		return p.Ingest(context.Background(), &hooks.Arrival{Kind: kindForm, Token: token, Method: "POST",
			Body: strings.NewReader(`{}`)}, in)
	}
	ok := stubIntake{}
	if res := ingest(h.Token, ok); res.Status != http.StatusAccepted {
		t.Fatalf("first: got %d", res.Status)
	}
	if res := ingest(h.Token, ok); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("trigger error: got %d, want 503", res.Status)
	}
	if res := ingest(h.Token, ok); res.Status != http.StatusServiceUnavailable {
		t.Fatalf("trigger panic: got %d, want 503 (the panic is recovered)", res.Status)
	}
	if res := ingest(h.Token, stubIntake{decodeErr: hooks.NewError(400, "malformed_body", "bad")}); res.Status != 400 {
		t.Fatalf("bad body: got %d", res.Status)
	}
	ingest("unknowntoken0000000000000000000", ok) // no hook: not counted as received

	got := sums(t, reader)
	want := map[string]int64{
		"inbound.events.received inbound.hook.kind=form":                               4,
		"inbound.events.accepted inbound.hook.kind=form":                               1,
		"inbound.events.rejected inbound.hook.kind=form inbound.reason=unavailable":    2,
		"inbound.events.rejected inbound.hook.kind=form inbound.reason=malformed_body": 1,
		"inbound.events.fired inbound.hook.kind=form":                                  1,
		"inbound.events.failed inbound.hook.kind=form inbound.mode=sync":               2,
		"inbound.ingest.duration count":                                                4,
		"inbound.trigger.duration count":                                               3,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
}

func TestQueueTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	tel := hooks.Telemetry{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))}
	st := memstore.New()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{})
	registerTestKinds(t, reg)
	release := make(chan struct{})
	q, err := hooks.NewQueue(st, hooks.TriggerFunc(func(context.Context, *hooks.Event) error {
		<-release
		return errors.New("down")
	}),
		hooks.QueueOptions{Telemetry: tel, MaxAttempts: 1, PollInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Telemetry: tel, Delivery: q})
	h, _ := reg.Create(context.Background(), "", hooks.HookSpec{Name: "w", Kind: kindWeb})
	for i := 0; i < 3; i++ {
		p.Ingest(context.Background(), &hooks.Arrival{Kind: kindWeb, Token: h.Token, Body: strings.NewReader(`{}`)}, noKeyIntake{})
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); !errors.Is(err, hooks.ErrQueueStarted) {
		t.Errorf("second Start: got %v, want ErrQueueStarted", err)
	}
	if got := sums(t, reader)["inbound.queue.depth"]; got != 3 {
		t.Errorf("depth before delivery: got %d, want 3", got)
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	// The dead counter moves when the attempt's outcome is known; the depth
	// gauge follows the store's state, which the outcome's commit changes a
	// moment later: wait for both.
	got := sums(t, reader)
	for got["inbound.events.dead inbound.hook.kind=web"] < 3 || got["inbound.queue.depth"] != 0 {
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
		got = sums(t, reader)
	}
	if got["inbound.events.dead inbound.hook.kind=web"] != 3 {
		t.Fatalf("dead count never reached 3: %v", got)
	}
	if got["inbound.events.failed inbound.hook.kind=web inbound.mode=queue"] != 3 || got["inbound.queue.depth"] != 0 {
		t.Errorf("got %v, want 3 failed in queue mode and depth 0", got)
	}
	if err := q.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// noKeyIntake decodes any body as a string, without an idempotency key.
type noKeyIntake struct{}

func (n noKeyIntake) NewSession(*hooks.Hook, *hooks.Arrival) hooks.Session { return n }

func (noKeyIntake) Authenticate(context.Context) error { return nil }

func (noKeyIntake) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	return &hooks.Decoded{Data: string(body)}, nil
}
