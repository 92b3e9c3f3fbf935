package hooks

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
)

// instrumentationName names the library's meter and tracer.
const instrumentationName = "github.com/inbound-hooks/inbound/hooks"

// Metric names, in the OpenTelemetry style. Every measurement carries the
// attribute inbound.hook.kind; rejections also inbound.reason (the error
// code), and failed deliveries inbound.mode ("sync" or "queue").
const (
	metricReceived        = "inbound.events.received" // arrivals that resolved to a hook
	metricAccepted        = "inbound.events.accepted" // answered 2xx (delivered, queued, duplicate or dropped)
	metricRejected        = "inbound.events.rejected" // answered 4xx/5xx, by reason
	metricFired           = "inbound.events.fired"    // Trigger.Fire returned nil
	metricFailed          = "inbound.events.failed"   // Trigger.Fire returned an error
	metricDead            = "inbound.events.dead"     // parked as dead after the last attempt
	metricIngestDuration  = "inbound.ingest.duration" // seconds from arrival to answer
	metricTriggerDuration = "inbound.trigger.duration"
	metricQueueDepth      = "inbound.queue.depth" // pending events in the durable queue
)

// Telemetry chooses where the library's metrics and traces go. The zero
// value uses the global providers (otel.GetMeterProvider and
// otel.GetTracerProvider), which discard everything until the host installs
// an SDK. The library depends on the OpenTelemetry API only.
type Telemetry struct {
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
	// Observer, when not nil, is told of the outcomes the accepted,
	// rejected and failed metrics count, with the hook each concerns (see
	// Observer). Package activity keeps per-hook counts from it.
	Observer Observer
}

// Observer hears, per hook, what the metrics inbound.events.accepted,
// inbound.events.rejected and inbound.events.failed count: Observe(hookID,
// OutcomeAccepted, "") for an arrival answered with success,
// (hookID, OutcomeRejected, code) for one refused (4xx or 5xx, with its
// error code), and (hookID, OutcomeFailed, message) for each Trigger call
// that returned an error, sync or queued (with the error's message). It
// is called concurrently, on the ingest path and by the dispatcher's
// workers: it must be fast and must not block.
type Observer interface {
	Observe(hookID, outcome, detail string)
}

// instruments are the metric instruments and tracer of one component.
type instruments struct {
	meter    metric.Meter
	tracer   trace.Tracer
	received metric.Int64Counter
	accepted metric.Int64Counter
	rejected metric.Int64Counter
	fired    metric.Int64Counter
	failed   metric.Int64Counter
	dead     metric.Int64Counter
	ingest   metric.Float64Histogram
	trigger  metric.Float64Histogram
	obs      Observer // nil: none
	// internalSpan starts the trigger's span: the options, made once.
	internalSpan []trace.SpanStartOption
	kindMu       sync.Mutex
	kindAttr     atomic.Pointer[map[Kind]*kindLabel] // copied on write
}

// kindLabel is the attribute inbound.hook.kind of one kind, as the option
// slices the instruments' Add and Record take: made once per kind, so that
// a measurement passes them on without allocating.
type kindLabel struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

func (t Telemetry) instruments() *instruments {
	mp, tp := t.MeterProvider, t.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	m := mp.Meter(instrumentationName)
	ins := &instruments{meter: m, tracer: tp.Tracer(instrumentationName), obs: t.Observer,
		internalSpan: []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindInternal)}}
	counter := func(name, desc string) metric.Int64Counter {
		c, err := m.Int64Counter(name, metric.WithDescription(desc), metric.WithUnit("{event}"))
		if err != nil || c == nil {
			c, _ = noop.Meter{}.Int64Counter(name)
		}
		return c
	}
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithDescription(desc), metric.WithUnit("s"))
		if err != nil || h == nil {
			h, _ = noop.Meter{}.Float64Histogram(name)
		}
		return h
	}
	ins.received = counter(metricReceived, "Arrivals that resolved to a hook")
	ins.accepted = counter(metricAccepted, "Arrivals answered with success")
	ins.rejected = counter(metricRejected, "Arrivals refused, by reason")
	ins.fired = counter(metricFired, "Events the Trigger accepted")
	ins.failed = counter(metricFailed, "Trigger calls that returned an error")
	ins.dead = counter(metricDead, "Events parked as dead after their last attempt")
	ins.ingest = hist(metricIngestDuration, "Time from arrival to answer")
	ins.trigger = hist(metricTriggerDuration, "Time spent in Trigger.Fire")
	ins.kindAttr.Store(&map[Kind]*kindLabel{})
	return ins
}

// maxKindLabels bounds how many kinds get a cached attribute set; the kind
// name is the label, and kinds are few.
const maxKindLabels = 64

// kind returns the label of k (the kind's name, as its KindSpec
// registers it). The label of each kind is built once and then read
// without a lock or an allocation.
func (ins *instruments) kind(k Kind) *kindLabel {
	if l, ok := (*ins.kindAttr.Load())[k]; ok {
		return l
	}
	o := metric.WithAttributeSet(attribute.NewSet(attribute.String("inbound.hook.kind", string(k))))
	l := &kindLabel{add: []metric.AddOption{o}, record: []metric.RecordOption{o}}
	ins.kindMu.Lock()
	defer ins.kindMu.Unlock()
	old := *ins.kindAttr.Load()
	if len(old) >= maxKindLabels {
		return l
	}
	m := make(map[Kind]*kindLabel, len(old)+1)
	for name, label := range old {
		m[name] = label
	}
	m[k] = l
	ins.kindAttr.Store(&m)
	return l
}

// fire calls t.Fire for e inside a span, and records its duration and
// outcome. It is the one place the library calls a Trigger.
func (ins *instruments) fire(ctx context.Context, t Trigger, e *Event, mode string) error {
	ctx, span := ins.tracer.Start(ctx, "inbound.trigger", ins.internalSpan...)
	if span.IsRecording() { // attributes cost allocations a no-op tracer would drop
		setTriggerAttributes(span, e, mode)
	}
	start := time.Now()
	err := safeFire(ctx, t, e)
	label := ins.kind(e.HookKind)
	ins.trigger.Record(ctx, time.Since(start).Seconds(), label.record...)
	if err != nil {
		ins.countFailed(ctx, span, e, mode, err)
	} else {
		ins.fired.Add(ctx, 1, label.add...)
	}
	span.End()
	return err
}

// setTriggerAttributes labels a recording trigger span with the event.
// It and the count functions below are apart from fire and Ingest so that
// what only some calls need does not enlarge every call's stack frame.
func setTriggerAttributes(span trace.Span, e *Event, mode string) {
	span.SetAttributes(attribute.String("inbound.hook.id", e.HookID), attribute.String("inbound.event.id", e.ID),
		attribute.String("inbound.hook.kind", string(e.HookKind)), attribute.String("inbound.mode", mode))
}

// countFailed counts and reports a Trigger call that returned err.
func (ins *instruments) countFailed(ctx context.Context, span trace.Span, e *Event, mode string, err error) {
	ins.failed.Add(ctx, 1, metric.WithAttributes(attribute.String("inbound.hook.kind", string(e.HookKind)),
		attribute.String("inbound.mode", mode)))
	span.SetStatus(codes.Error, "trigger failed")
	if ins.obs != nil {
		ins.obs.Observe(e.HookID, OutcomeFailed, err.Error())
	}
}

// countRejected counts and reports an arrival at h refused with code.
func (ins *instruments) countRejected(ctx context.Context, span trace.Span, h *Hook, code string) {
	ins.rejected.Add(ctx, 1, metric.WithAttributes(attribute.String("inbound.hook.kind", string(h.Kind)),
		attribute.String("inbound.reason", code)))
	span.SetStatus(codes.Error, code)
	if ins.obs != nil {
		ins.obs.Observe(h.ID, OutcomeRejected, code)
	}
}

// safeFire calls t.Fire, turning a panic into an error so that one bad
// event cannot take the process (or a dispatcher worker) down.
func safeFire(ctx context.Context, t Trigger, e *Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("hooks: trigger panicked: %v", r)
		}
	}()
	return t.Fire(ctx, e)
}

// observeDepth registers an observable gauge of the pending events in a
// durable queue; the returned function unregisters it.
func (ins *instruments) observeDepth(depth func(context.Context) (int, error)) (func(), error) {
	g, err := ins.meter.Int64ObservableGauge(metricQueueDepth,
		metric.WithDescription("Events waiting for delivery in the durable queue"), metric.WithUnit("{event}"))
	if err != nil {
		return func() {}, err
	}
	reg, err := ins.meter.RegisterCallback(func(ctx context.Context, o metric.Observer) error {
		n, err := depth(ctx)
		if err != nil {
			return err
		}
		o.ObserveInt64(g, int64(n))
		return nil
	}, g)
	if err != nil {
		return func() {}, err
	}
	return func() { _ = reg.Unregister() }, nil
}
