package natstrigger

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/triggers/internal/topic"
)

// DefaultSubject is the subject template when Options.Subject is empty.
const DefaultSubject = "inbound.{kind}.{hook_id}"

// The headers every message carries besides Nats-Msg-Id (the event ID).
const (
	HeaderEventID     = "Inbound-Event-Id"
	HeaderHookID      = "Inbound-Hook-Id"
	HeaderHookKind    = "Inbound-Hook-Kind"
	HeaderOrg         = "Inbound-Org"          // only when the event has an org
	HeaderContentType = "Inbound-Content-Type" // the content type the hook received
	// ContentType is the Content-Type header's value: the payload is the
	// event as JSON.
	ContentType = "application/json"
)

// Publisher publishes a message to a JetStream stream and returns the
// stream's ack. jetstream.JetStream (from jetstream.New) implements it.
type Publisher interface {
	PublishMsg(ctx context.Context, msg *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error)
}

// Options configures a Trigger. The zero value works.
type Options struct {
	// Subject is the subject template: dot-separated tokens, each a literal
	// or one of {org}, {hook_id}, {kind} and {hook_name}. An event's values
	// have dots, wildcards and spaces replaced by "_" and an empty value
	// becomes "_", so an event never changes the number of tokens. The
	// stream must capture the subjects (for the default, "inbound.>").
	// "" means DefaultSubject ("inbound.{kind}.{hook_id}").
	Subject string
	// Stream, when set, is the stream the ack must come from: a publish
	// stored by any other stream is an error (the server rejects it), so a
	// subject captured by the wrong stream is noticed. "" accepts any.
	Stream string
	// Logger receives debug logs of duplicate acks; nil discards them.
	Logger *slog.Logger
}

// Trigger publishes each event to JetStream. It is safe for concurrent use.
type Trigger struct {
	js      Publisher
	subject *topic.Template
	stream  string
	log     *slog.Logger
}

var _ hooks.Trigger = (*Trigger)(nil)

// New returns a Trigger that publishes with js. It returns an error
// wrapping topic.ErrTemplate for an unusable Options.Subject.
func New(js Publisher, opts Options) (*Trigger, error) {
	if js == nil {
		return nil, ErrNilPublisher
	}
	if opts.Subject == "" {
		opts.Subject = DefaultSubject
	}
	subj, err := topic.Parse(opts.Subject)
	if err != nil {
		return nil, fmt.Errorf("natstrigger: subject: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Trigger{js: js, subject: subj, stream: opts.Stream, log: opts.Logger}, nil
}

// Msg returns the message Fire publishes for e: the subject from the
// template, the event as JSON (hooks.Event.MarshalJSON, the library's one
// JSON shape) and the headers. Nats-Msg-Id is set by Fire.
func (t *Trigger) Msg(e *hooks.Event) (*nats.Msg, error) {
	if e == nil || e.ID == "" {
		return nil, ErrNilEvent
	}
	data, err := e.MarshalJSON() // what json.Marshal(e) gives, without its second pass over the bytes
	if err != nil {
		return nil, fmt.Errorf("natstrigger: encode event %s: %w", e.ID, err)
	}
	m := nats.NewMsg(t.subject.Render(e))
	m.Data = data
	m.Header.Set("Content-Type", ContentType)
	m.Header.Set(HeaderEventID, e.ID)
	m.Header.Set(HeaderHookID, e.HookID)
	m.Header.Set(HeaderHookKind, string(e.HookKind))
	if e.Org != "" {
		m.Header.Set(HeaderOrg, e.Org)
	}
	if e.ContentType != "" {
		m.Header.Set(HeaderContentType, e.ContentType)
	}
	return m, nil
}

// Fire publishes e with its ID as Nats-Msg-Id and returns after the
// stream's ack, so a nil error means JetStream stored the event. A publish
// of an ID the stream already holds (a redelivery within the stream's
// duplicate window) is acked as a duplicate and not stored again; Fire
// returns nil for it. Any other outcome (no stream for the subject, a
// disconnected client, no ack before ctx ends) is an error, which the
// queue retries.
func (t *Trigger) Fire(ctx context.Context, e *hooks.Event) error {
	m, err := t.Msg(e)
	if err != nil {
		return err
	}
	opts := []jetstream.PublishOpt{jetstream.WithMsgID(e.ID)}
	if t.stream != "" {
		opts = append(opts, jetstream.WithExpectStream(t.stream))
	}
	ack, err := t.js.PublishMsg(ctx, m, opts...)
	if err != nil {
		return fmt.Errorf("natstrigger: publish event %s to %s: %w", e.ID, m.Subject, err)
	}
	if ack.Duplicate {
		t.log.DebugContext(ctx, "natstrigger: event was already in the stream", "event", e.ID,
			"stream", ack.Stream, "seq", ack.Sequence)
	}
	return nil
}
