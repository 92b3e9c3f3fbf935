package hooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/internal/limit"
)

// defaultMaxBodyBytes is the default body limit of the pipeline: 1 MiB.
const defaultMaxBodyBytes = 1 << 20

// Arrival is one request to a hook as a kind package hands it to the
// pipeline: the address token and what came with it, before the body is
// read.
type Arrival struct {
	Kind       Kind
	Token      string // from the URL path or the email local part
	Method     string // the HTTP method, or "SMTP"
	Path       string // the URL path, or the envelope recipient
	RemoteAddr string
	Header     http.Header // as received; redacted before it is kept
	// Body is read by the pipeline, under MaxBytes. A body longer than the
	// limit is rejected with 413 and never decoded.
	Body io.Reader
	// ContentLength is the length the sender declared, or -1 (or 0) when
	// unknown. A declared length over the limit is refused with 413 before
	// the body is read.
	ContentLength int64
	// MaxBytes overrides the pipeline's body limit when positive.
	MaxBytes int64
	// Raw is the body when Body is nil: bytes the kind has already read,
	// such as an SMTP message going to several hooks. They become the
	// Event's Raw as they are, shared and never modified, and are held to
	// the limit like a read body.
	Raw []byte
	// Hook, when not nil, is the hook of Kind and Token that the kind has
	// already resolved (an SMTP backend resolves each recipient at RCPT
	// time): Ingest uses it instead of looking Token up again.
	Hook *Hook
}

// Decoded is what a kind's decoder makes of a body.
type Decoded struct {
	Data           any
	ContentType    string // the media type the body was decoded as
	Files          []File
	Email          *Email
	IdempotencyKey string
	// PartsFromRaw says that Email's Text and HTML and the Files'
	// contents are what EmailParts functions (emailhook.Parts) read from
	// the body alone, which becomes the event's Raw: a Queue with
	// QueueOptions.EmailParts then stores the body without them beside
	// it.
	PartsFromRaw bool
	// Drop, when not empty, accepts the arrival without building or
	// delivering an event (a filled honeypot, for example). It is the reason
	// recorded in the debug log.
	Drop string
}

// Intake is what a hook kind supplies to the pipeline, in the manner of
// go-smtp's Backend: NewSession is called once for each arrival, after its
// hook is resolved, and the Session it returns holds what that arrival
// learns (what authentication found, for decoding). NewSession is called
// concurrently; it should not do I/O (Authenticate does).
type Intake interface {
	NewSession(h *Hook, a *Arrival) Session
}

// Session is one arrival's state, used by one goroutine: Authenticate,
// then, if it passed and the body was read under the limit, Decode. Errors
// should be *Error values (the status, code and headers the sender sees);
// any other error answers 400 malformed_body from Decode and 503 from
// Authenticate.
//
// A Session may also implement HeaderRedacter.
type Session interface {
	// Authenticate checks the sender before the body is read (an API key,
	// for example). Kinds without authentication return nil.
	Authenticate(ctx context.Context) error
	// Decode checks what needs the exact bytes (a signature) and decodes
	// body. It must not keep body beyond the returned values.
	Decode(ctx context.Context, body []byte) (*Decoded, error)
}

// HeaderRedacter is implemented by a Session that knows headers to redact
// in the event and the debug log besides those RedactHeader always redacts
// (the webhook: the header of a signature scheme whose name is
// configurable). RedactHeaders is called after Authenticate, whatever its
// outcome.
type HeaderRedacter interface {
	RedactHeaders() []string
}

// Receipt says what a Delivery did with an event.
type Receipt struct {
	ID        string // the event ID the sender sees
	Duplicate bool   // an earlier event with the same idempotency key was found; ID is its ID
}

// Delivery hands events to the Trigger: at once (Sync) or through a
// durable queue. Deliver is called concurrently.
type Delivery interface {
	Deliver(ctx context.Context, e *Event) (Receipt, error)
}

// Sync returns a Delivery that calls t.Fire before the sender is answered,
// with the global OpenTelemetry providers. Build a SyncDelivery to choose
// others.
func Sync(t Trigger) Delivery { return &SyncDelivery{Trigger: t} }

// SyncDelivery calls the Trigger before the sender is answered: a Trigger
// error reaches the sender (503 with Retry-After, or the status of an
// *Error). No event is stored, so nothing is retried but by the sender.
// The Pipeline deduplicates its arrivals by idempotency key (see
// PipelineOptions.DedupWindow), so that the sender's retry of an arrival
// that was fired is acknowledged, not fired again.
type SyncDelivery struct {
	Trigger   Trigger
	Telemetry Telemetry // the zero value uses the global providers

	once sync.Once
	ins  *instruments
}

// Deliver fires e and returns its ID.
func (s *SyncDelivery) Deliver(ctx context.Context, e *Event) (Receipt, error) {
	s.once.Do(func() { s.ins = s.Telemetry.instruments() })
	if err := s.ins.fire(ctx, s.Trigger, e, "sync"); err != nil {
		return Receipt{}, &TriggerError{Err: err}
	}
	return Receipt{ID: e.ID}, nil
}

// TriggerError wraps an error returned by a Trigger, so that the pipeline
// can tell a trigger failure from a store failure.
type TriggerError struct{ Err error }

// Error returns the Trigger's error message with a "hooks: trigger: " prefix.
func (e *TriggerError) Error() string { return "hooks: trigger: " + e.Err.Error() }

// Unwrap returns the Trigger's error.
func (e *TriggerError) Unwrap() error { return e.Err }

// Outcomes recorded for an interaction.
const (
	OutcomeAccepted  = "accepted"  // an event was delivered (or queued)
	OutcomeDuplicate = "duplicate" // acknowledged; an earlier event had the same idempotency key
	OutcomeDropped   = "dropped"   // acknowledged without an event (honeypot, ...)
	OutcomeRejected  = "rejected"  // the sender's request was refused (4xx)
	OutcomeFailed    = "failed"    // the trigger or the store failed (5xx)
)

// Interaction is one request to a hook, as the debug log records it.
type Interaction struct {
	Hook       *Hook
	Time       time.Time
	RemoteAddr string
	Method     string
	Path       string
	Status     int
	Outcome    string      // one of the Outcome constants
	Reason     string      // the error code or drop reason; "" when accepted
	Header     http.Header // redacted, at most 16 KiB (see Event.Header)
	// HeadersDropped and HeaderBytesDropped count the header values, and
	// their bytes, left out of Header (see Event.Header).
	HeadersDropped     int
	HeaderBytesDropped int
	Body               []byte // what was read of the body; the recorder caps it
	Data               any    // the decoded data, when decoding got that far
	EventID            string
	TriggerErr         string // the trigger's error message, when it failed
	Duration           time.Duration
}

// Recorder keeps interactions with hooks whose Debug setting is on.
// Record is called concurrently, after the outcome is known and before the
// sender is answered: it must not block on slow storage (package debuglog
// queues and drops instead). It may keep in; the pipeline does not change
// it afterwards.
type Recorder interface {
	Record(ctx context.Context, in *Interaction)
}

// PipelineOptions configures a Pipeline.
type PipelineOptions struct {
	// Delivery hands accepted events to the Trigger. Required.
	Delivery Delivery
	// Recorder records interactions of hooks with Debug on; nil records
	// nothing.
	Recorder Recorder
	// MaxBodyBytes limits bodies; 0 means 1 MiB.
	MaxBodyBytes int64
	// Logger receives operational logs (never secrets or bodies); nil
	// discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// Telemetry chooses the OpenTelemetry providers; the zero value uses
	// the global ones.
	Telemetry Telemetry
	// DedupWindow is how long an idempotency key is remembered for its
	// hook when Delivery is not a Queue (a Queue deduplicates as it
	// commits, with QueueOptions.DedupWindow): an arrival with the same key
	// inside the window is acknowledged with the first event's ID and not
	// delivered again. It needs a Registry store that implements
	// store.IdempotencyStore (memstore, boltstore and pgstore do); 0 means
	// 24h.
	DedupWindow time.Duration
}

// Pipeline is the ingest path every hook kind runs: resolve the hook by
// token, authenticate, read the body under a limit, decode, build the
// Event, record the interaction when the hook's debug is on, deliver, and
// report the outcome for the kind to answer. It is safe for concurrent use.
type Pipeline struct {
	reg      *Registry
	delivery Delivery
	recorder Recorder
	maxBody  int64
	log      *slog.Logger
	now      func() time.Time
	ids      IDGenerator
	ins      *instruments
	dedup    *keyDedup // nil: Delivery deduplicates itself, or the store keeps no keys
	names    headerNames
}

// NewPipeline returns a Pipeline resolving tokens with reg.
func NewPipeline(reg *Registry, opts PipelineOptions) (*Pipeline, error) {
	if reg == nil {
		return nil, invalid("registry", "is nil")
	}
	if opts.Delivery == nil {
		return nil, invalid("delivery", "is nil")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, invalid("max_body_bytes", "must not be negative")
	}
	if opts.DedupWindow < 0 {
		return nil, invalid("dedup_window", "must not be negative")
	}
	if opts.DedupWindow == 0 {
		opts.DedupWindow = defaultQueueDedupWindow
	}
	p := &Pipeline{reg: reg, delivery: opts.Delivery, recorder: opts.Recorder,
		maxBody: opts.MaxBodyBytes, log: opts.Logger, now: opts.Now, ins: opts.Telemetry.instruments()}
	if p.maxBody == 0 {
		p.maxBody = defaultMaxBodyBytes
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.now == nil {
		p.now = time.Now
	}
	p.dedup = newKeyDedup(opts.Delivery, reg.store, opts.DedupWindow, p.now, p.log)
	return p, nil
}

// Registry returns the registry the pipeline resolves tokens with.
func (p *Pipeline) Registry() *Registry { return p.reg }

// Result is the outcome of one arrival, for the kind to answer.
type Result struct {
	Hook      *Hook  // nil when the token resolved to no hook
	Event     *Event // nil when no event was built
	EventID   string // the ID the sender sees; "" on error
	Duplicate bool
	Dropped   string // the drop reason, when the arrival was dropped
	Status    int    // 202 on success, else Err.Status
	Err       *Error // nil on success
}

// Ingest runs the pipeline for one arrival.
func (p *Pipeline) Ingest(ctx context.Context, a *Arrival, in Intake) *Result {
	start := p.now()
	h := a.Hook
	if h == nil {
		var err error
		if h, err = p.reg.Lookup(ctx, a.Kind, a.Token); err != nil {
			return p.lookupFailed(ctx, a, err)
		}
	}
	ctx, span := p.ins.tracer.Start(ctx, "inbound.ingest")
	defer span.End()
	recording := span.IsRecording() // attributes cost allocations a no-op tracer would drop
	if recording {
		setIngestAttributes(span, h)
	}
	label := p.ins.kind(h.Kind)
	p.ins.received.Add(ctx, 1, label.add...)
	// run fills in what it learns; the interaction reaches the heap (and
	// the recorder) only for a hook whose debug setting is on. Its fields
	// are set one by one: a composite literal would be built in a
	// temporary of its own and copied, doubling its room in this frame,
	// which is on the stack under every Trigger call.
	var scratch Interaction
	scratch.Hook, scratch.Time, scratch.RemoteAddr, scratch.Method, scratch.Path = h, start.UTC(), a.RemoteAddr, a.Method, a.Path
	res := p.run(ctx, h, a, in, &scratch)
	if res.Err == nil {
		p.ins.accepted.Add(ctx, 1, label.add...)
		if p.ins.obs != nil {
			p.ins.obs.Observe(h.ID, OutcomeAccepted, "")
		}
	} else {
		p.ins.countRejected(ctx, span, h, res.Err.Code)
	}
	if recording {
		setStatusAttribute(span, res.Status)
	}
	p.ins.ingest.Record(ctx, p.now().Sub(start).Seconds(), label.record...)
	if h.Debug && p.recorder != nil {
		p.record(ctx, &scratch, a, res, start)
	}
	return res
}

// lookupFailed is the Result of an arrival whose token did not resolve:
// 404 for no such hook, 503 for a store failure.
func (p *Pipeline) lookupFailed(ctx context.Context, a *Arrival, err error) *Result {
	if errors.Is(err, ErrNotFound) {
		return &Result{Status: http.StatusNotFound, Err: NewError(http.StatusNotFound, errcode.NotFound, "no such hook")}
	}
	p.log.ErrorContext(ctx, "inbound: hook lookup failed", "kind", a.Kind, "err", err)
	return failed(nil, storeUnavailable(err))
}

// record hands the recorder the interaction of an arrival at a hook
// whose debug setting is on: scratch, as run filled it in, with the
// outcome. It is apart from Ingest, as are setIngestAttributes and
// countRejected, so that what only some arrivals need does not enlarge
// the stack frame of every arrival.
func (p *Pipeline) record(ctx context.Context, scratch *Interaction, a *Arrival, res *Result, start time.Time) {
	rec := new(Interaction)
	*rec = *scratch
	rec.Status = res.Status
	rec.Duration = p.now().Sub(start)
	if rec.Header == nil {
		rec.Header, rec.HeadersDropped, rec.HeaderBytesDropped = keptHeader(a.Header, maxHeaderBytes, &p.names)
	}
	switch {
	case res.Err == nil && res.Duplicate:
		rec.Outcome = OutcomeDuplicate
	case res.Err == nil && res.Dropped != "":
		rec.Outcome, rec.Reason = OutcomeDropped, res.Dropped
	case res.Err == nil:
		rec.Outcome = OutcomeAccepted
	case res.Status >= 500:
		rec.Outcome, rec.Reason = OutcomeFailed, res.Err.Code
	default:
		rec.Outcome, rec.Reason = OutcomeRejected, res.Err.Code
	}
	rec.EventID = res.EventID
	p.recorder.Record(ctx, rec)
}

func (p *Pipeline) run(ctx context.Context, h *Hook, a *Arrival, in Intake, rec *Interaction) *Result {
	sess := in.NewSession(h, a)
	authErr := sess.Authenticate(ctx)
	var redact []string
	if hr, ok := sess.(HeaderRedacter); ok {
		redact = hr.RedactHeaders()
	}
	// The headers the event and the debug log keep: redacted and capped,
	// once for both.
	hdr, hdrDropped, hdrDroppedBytes := keptHeader(a.Header, maxHeaderBytes, &p.names, redact...)
	rec.Header, rec.HeadersDropped, rec.HeaderBytesDropped = hdr, hdrDropped, hdrDroppedBytes
	if authErr != nil {
		return failed(h, asStepError(authErr, http.StatusServiceUnavailable))
	}
	max := p.maxBody
	if a.MaxBytes > 0 {
		max = a.MaxBytes
	}
	if a.ContentLength > max || a.Body == nil && int64(len(a.Raw)) > max {
		return failed(h, bodyError(limit.ErrTooLarge, max))
	}
	body := a.Raw
	if a.Body != nil {
		var err error
		if body, err = limit.ReadSized(a.Body, max, a.ContentLength); err != nil {
			rec.Body = body
			return failed(h, bodyError(err, max))
		}
	}
	rec.Body = body
	dec, err := sess.Decode(ctx, body)
	if err != nil {
		return failed(h, asStepError(err, http.StatusBadRequest))
	}
	rec.Data = dec.Data
	if dec.Drop != "" {
		return &Result{Hook: h, Dropped: dec.Drop, Status: http.StatusAccepted}
	}
	now := p.now().UTC()
	e := &Event{
		ID: p.ids.New(now), Org: h.Org, HookID: h.ID, HookKind: h.Kind, HookName: h.Name,
		ReceivedAt: now, Data: dec.Data, Raw: body, ContentType: dec.ContentType,
		Header: hdr, HeadersDropped: hdrDropped, HeaderBytesDropped: hdrDroppedBytes,
		RemoteAddr: a.RemoteAddr, Files: dec.Files, Email: dec.Email, IdempotencyKey: dec.IdempotencyKey,
	}
	if dec.PartsFromRaw && e.Email != nil {
		ctx = withPartsOrigin(ctx, e)
	}
	var receipt Receipt
	if p.dedup != nil && e.IdempotencyKey != "" {
		receipt, err = p.dedup.deliver(ctx, p.delivery, e)
	} else {
		receipt, err = p.delivery.Deliver(ctx, e)
	}
	if err != nil {
		return p.deliveryFailed(ctx, h, e, rec, err)
	}
	return &Result{Hook: h, Event: e, EventID: receipt.ID, Duplicate: receipt.Duplicate, Status: http.StatusAccepted}
}

// deliveryFailed is the Result of an event whose delivery returned err:
// the status of an *Error from the Trigger or the Delivery, else 503. It
// is apart from run, as lookupFailed is from Ingest, so that the error
// paths do not enlarge the stack frame of every arrival.
func (p *Pipeline) deliveryFailed(ctx context.Context, h *Hook, e *Event, rec *Interaction, err error) *Result {
	var te *TriggerError
	if errors.As(err, &te) {
		rec.TriggerErr = te.Err.Error()
		var he *Error
		if errors.As(te.Err, &he) {
			he = AsError(he)
			return &Result{Hook: h, Event: e, Status: he.Status, Err: he}
		}
		p.log.WarnContext(ctx, "inbound: trigger failed", "hook", h.ID, "event", e.ID, "err", te.Err)
		return &Result{Hook: h, Event: e, Status: http.StatusServiceUnavailable,
			Err: &Error{Status: http.StatusServiceUnavailable, Code: errcode.Unavailable,
				Message: "the receiver is temporarily unavailable; try again later", RetryAfter: 5 * time.Second, Err: err}}
	}
	if he := (*Error)(nil); errors.As(err, &he) {
		he = AsError(he)
		return &Result{Hook: h, Event: e, Status: he.Status, Err: he}
	}
	p.log.ErrorContext(ctx, "inbound: delivery failed", "hook", h.ID, "event", e.ID, "err", err)
	return failed(h, storeUnavailable(err))
}

// setIngestAttributes labels a recording ingest span with the hook.
func setIngestAttributes(span trace.Span, h *Hook) {
	span.SetAttributes(attribute.String("inbound.hook.kind", string(h.Kind)), attribute.String("inbound.hook.id", h.ID))
}

// setStatusAttribute labels a recording ingest span with the answer's
// status.
func setStatusAttribute(span trace.Span, status int) {
	span.SetAttributes(attribute.Int("http.response.status_code", status))
}

func failed(h *Hook, e *Error) *Result { return &Result{Hook: h, Status: e.Status, Err: e} }

func storeUnavailable(err error) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: errcode.Unavailable,
		Message: "the service is temporarily unavailable; try again later", RetryAfter: 5 * time.Second, Err: err}
}

// asStepError turns an Intake step's error into an *Error; errors that are
// not *Error get the given status (400 malformed_body or 503).
func asStepError(err error, status int) *Error {
	var he *Error
	if errors.As(err, &he) {
		return AsError(he)
	}
	if status == http.StatusBadRequest {
		return &Error{Status: status, Code: errcode.MalformedBody, Message: "the body could not be decoded", Err: err}
	}
	return storeUnavailable(err)
}

func bodyError(err error, max int64) *Error {
	if errors.Is(err, limit.ErrTooLarge) {
		return &Error{Status: http.StatusRequestEntityTooLarge, Code: errcode.PayloadTooLarge,
			Message: fmt.Sprintf("the body is larger than the limit of %d bytes", max), Err: err}
	}
	return &Error{Status: http.StatusBadRequest, Code: errcode.BadRequest, Message: "the body could not be read", Err: err}
}
