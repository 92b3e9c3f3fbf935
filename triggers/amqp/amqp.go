package amqptrigger

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/triggers/internal/topic"
)

// Defaults of Options.
const (
	DefaultRoutingKey  = "inbound.{kind}.{hook_id}"
	DefaultRemember    = 16384
	DefaultDialTimeout = 10 * time.Second
)

// Message properties and the headers every message carries.
const (
	ContentType       = "application/json" // the payload is the event as JSON
	Type              = "inbound.event"    // the Type property
	AppID             = "inbound"          // the AppId property
	HeaderHookID      = "Inbound-Hook-Id"
	HeaderHookKind    = "Inbound-Hook-Kind"
	HeaderOrg         = "Inbound-Org"          // only when the event has an org
	HeaderContentType = "Inbound-Content-Type" // the content type the hook received
)

// defaultHeartbeat is the heartbeat interval when Config.Heartbeat is 0.
const defaultHeartbeat = 10 * time.Second

// returnsBuffer is the capacity of a channel's returned-message queue. The
// library drops a return its listener does not take within a second, and
// only finishing Fire calls drain it (see Fire), so it must hold the
// returns of every publish in flight at once.
const returnsBuffer = 4096

// Options configures a Trigger. The zero value publishes to the default
// exchange with DefaultRoutingKey.
type Options struct {
	// Exchange is the exchange messages are published to; "" is the
	// default exchange, which routes to the queue named by the routing key.
	// The host declares it (and the queues bound to it).
	Exchange string
	// RoutingKey is the routing key template: dot-separated tokens, each a
	// literal or one of {org}, {hook_id}, {kind} and {hook_name}, with an
	// event's values cleaned as for a NATS subject. For the default
	// exchange, a literal queue name such as "inbound". "" means
	// DefaultRoutingKey ("inbound.{kind}.{hook_id}", for a topic exchange).
	RoutingKey string
	// Config is the connection's configuration (credentials from the URL
	// unless SASL is set, TLS); its Dial is replaced by one that honours
	// Fire's context and DialTimeout. A zero Heartbeat means 10s (as
	// amqp.Dial), so that a dead connection is noticed.
	Config amqp.Config
	// DialTimeout bounds connecting and the AMQP handshake when Fire's
	// context has no earlier deadline; 0 means DefaultDialTimeout (10s).
	DialTimeout time.Duration
	// Remember is how many recently confirmed event IDs are kept, so that
	// a retry of an event the broker confirmed (an attempt that timed out
	// after the confirm) is not published again; 0 means DefaultRemember
	// (16384), a negative value keeps none.
	Remember int
	// Logger receives connection logs and skipped duplicates; nil discards
	// them.
	Logger *slog.Logger
}

// Trigger publishes each event to RabbitMQ as a persistent message with
// publisher confirms. It connects on the first Fire, and again on the next
// Fire after the connection or channel closed. It is safe for concurrent
// use; Close releases the connection.
type Trigger struct {
	url      string
	exchange string
	key      *topic.Template
	cfg      amqp.Config
	dialTO   time.Duration
	log      *slog.Logger

	dial chan struct{} // a one-slot semaphore: one connect at a time

	mu       sync.Mutex
	closed   bool
	conn     *amqp.Connection
	ch       *amqp.Channel
	returns  chan amqp.Return       // ch's returned messages; drained by Fire
	returned map[string]amqp.Return // by message ID, until its Fire looks
	pending  map[string]*publishing // by event ID: published, confirm not yet taken
	recent   *recentIDs             // confirmed event IDs
}

// publishing is one publish whose confirm a Fire waits for; a retry of the
// same event waits for it too instead of publishing again.
type publishing struct {
	dc *amqp.DeferredConfirmation
}

var _ hooks.Trigger = (*Trigger)(nil)

// New returns a Trigger for the broker at url
// ("amqp://user:password@host:5672/vhost"). It does not connect: the first
// Fire does. It returns an error for a malformed url or routing key.
func New(url string, opts Options) (*Trigger, error) {
	if _, err := amqp.ParseURI(url); err != nil {
		return nil, fmt.Errorf("amqptrigger: url: %w", err)
	}
	if opts.RoutingKey == "" {
		opts.RoutingKey = DefaultRoutingKey
	}
	key, err := topic.Parse(opts.RoutingKey)
	if err != nil {
		return nil, fmt.Errorf("amqptrigger: routing key: %w", err)
	}
	if opts.DialTimeout < 0 {
		return nil, fmt.Errorf("amqptrigger: dial timeout %v is negative", opts.DialTimeout)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = DefaultDialTimeout
	}
	if opts.Remember == 0 {
		opts.Remember = DefaultRemember
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Config.Heartbeat == 0 {
		opts.Config.Heartbeat = defaultHeartbeat
	}
	return &Trigger{url: url, exchange: opts.Exchange, key: key, cfg: opts.Config, dialTO: opts.DialTimeout,
		log: opts.Logger, dial: make(chan struct{}, 1), returned: map[string]amqp.Return{},
		pending: map[string]*publishing{}, recent: newRecentIDs(opts.Remember)}, nil
}

// Publishing returns the routing key and message Fire publishes for e: the
// event as JSON (hooks.Event.MarshalJSON, the library's one JSON
// shape), persistent, with the event ID as MessageId and the headers.
func (t *Trigger) Publishing(e *hooks.Event) (string, amqp.Publishing, error) {
	if e == nil || e.ID == "" {
		return "", amqp.Publishing{}, ErrNilEvent
	}
	body, err := e.MarshalJSON() // what json.Marshal(e) gives, without its second pass over the bytes
	if err != nil {
		return "", amqp.Publishing{}, fmt.Errorf("amqptrigger: encode event %s: %w", e.ID, err)
	}
	h := amqp.Table{HeaderHookID: e.HookID, HeaderHookKind: string(e.HookKind)}
	if e.Org != "" {
		h[HeaderOrg] = e.Org
	}
	if e.ContentType != "" {
		h[HeaderContentType] = e.ContentType
	}
	return t.key.Render(e), amqp.Publishing{
		Headers: h, ContentType: ContentType, DeliveryMode: amqp.Persistent, MessageId: e.ID,
		Timestamp: e.ReceivedAt, Type: Type, AppId: AppID, Body: body,
	}, nil
}

// Fire publishes e as a persistent message with publisher confirms and
// returns after the broker confirmed it: a nil error means the broker took
// responsibility for the message (for a durable queue, it is on disk). The
// message is mandatory: one the broker cannot route is returned, and Fire
// reports ErrReturned. A nack, a channel or connection that closed before
// the confirm (ErrNacked), a failed connect, or ctx ending first are
// errors, which the queue retries.
//
// A retry of an event whose earlier publish is still unconfirmed waits for
// that publish's confirm rather than publishing again, and a retry of one
// confirmed recently (Options.Remember) returns nil at once; so an attempt
// that timed out after the broker accepted the message does not put a
// second copy on the queue.
func (t *Trigger) Fire(ctx context.Context, e *hooks.Event) error {
	key, msg, err := t.Publishing(e)
	if err != nil {
		return err
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return ErrClosed
	}
	if t.recent.has(e.ID) {
		t.mu.Unlock()
		t.log.DebugContext(ctx, "amqptrigger: event already confirmed", "event", e.ID)
		return nil
	}
	p := t.pending[e.ID]
	t.mu.Unlock()

	if p == nil {
		ch, err := t.channel(ctx)
		if err != nil {
			return fmt.Errorf("amqptrigger: event %s: %w", e.ID, err)
		}
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, t.exchange, key, true, false, msg)
		if err != nil {
			return fmt.Errorf("amqptrigger: publish event %s: %w", e.ID, err)
		}
		p = &publishing{dc: dc}
		t.mu.Lock()
		t.pending[e.ID] = p
		t.mu.Unlock()
	}

	select {
	case <-p.dc.Done():
	case <-ctx.Done():
		// The publish stays pending: a retry waits for its confirm.
		return fmt.Errorf("amqptrigger: event %s: no confirm: %w", e.ID, ctx.Err())
	}

	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[e.ID] == p {
		delete(t.pending, e.ID)
	}
	// The library hands a returned message to t.returns before it handles
	// the confirm that follows it on the wire, in the same goroutine; so
	// every return that precedes this confirm is in the buffer now.
	// Draining here, rather than in a goroutine of our own, is what makes
	// that ordering hold for the check below.
	t.drainReturns()
	ret, returned := t.returned[e.ID]
	delete(t.returned, e.ID)
	switch {
	case !p.dc.Acked():
		return fmt.Errorf("amqptrigger: event %s: %w (nack or closed channel)", e.ID, ErrNacked)
	case returned:
		return fmt.Errorf("amqptrigger: event %s to exchange %q with key %q: %w: %d %s",
			e.ID, t.exchange, key, ErrReturned, ret.ReplyCode, ret.ReplyText)
	}
	t.recent.add(e.ID)
	return nil
}

// drainReturns moves the buffered returns into t.returned. t.mu is held.
func (t *Trigger) drainReturns() {
	for t.returns != nil {
		select {
		case r, ok := <-t.returns:
			if !ok {
				t.returns = nil
				return
			}
			if r.MessageId != "" {
				t.returned[r.MessageId] = r
			}
		default:
			return
		}
	}
}

// channel returns the open confirm channel, connecting first when there is
// none or it closed.
func (t *Trigger) channel(ctx context.Context) (*amqp.Channel, error) {
	if ch := t.current(); ch != nil {
		return ch, nil
	}
	select {
	case t.dial <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-t.dial }()
	if ch := t.current(); ch != nil { // another Fire connected meanwhile
		return ch, nil
	}
	conn, ch, returns, err := t.connect(ctx)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		_ = conn.Close()
		return nil, ErrClosed
	}
	if t.conn != nil {
		_ = t.conn.Close()
	}
	t.conn, t.ch = conn, ch
	t.drainReturns() // the old channel's: their Fires got nacks
	t.returns = returns
	return ch, nil
}

// current returns the open channel, or nil.
func (t *Trigger) current() *amqp.Channel {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ch != nil && !t.ch.IsClosed() && !t.conn.IsClosed() {
		return t.ch
	}
	return nil
}

// connect dials the broker and opens a channel in confirm mode.
func (t *Trigger) connect(ctx context.Context) (*amqp.Connection, *amqp.Channel, chan amqp.Return, error) {
	deadline := time.Now().Add(t.dialTO)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	cfg := t.cfg
	cfg.Dial = func(network, addr string) (net.Conn, error) {
		dctx, cancel := context.WithDeadline(ctx, deadline)
		defer cancel()
		var d net.Dialer
		c, err := d.DialContext(dctx, network, addr)
		if err != nil {
			return nil, err
		}
		// Bounds the TLS and AMQP handshakes; the library clears it once
		// the connection is open.
		if err := c.SetDeadline(deadline); err != nil {
			_ = c.Close()
			return nil, err
		}
		return c, nil
	}
	conn, err := amqp.DialConfig(t.url, cfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("connect: %w", err)
	}
	ch, err := conn.Channel()
	if err != nil {
		_ = conn.Close()
		return nil, nil, nil, fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Confirm(false); err != nil {
		_ = conn.Close()
		return nil, nil, nil, fmt.Errorf("confirm mode: %w", err)
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, returnsBuffer))
	t.log.InfoContext(ctx, "amqptrigger: connected", "addr", conn.RemoteAddr().String())
	return conn, ch, returns, nil
}

// Close closes the connection; Fire returns ErrClosed afterwards.
func (t *Trigger) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closed = true
	if t.conn == nil {
		return nil
	}
	err := t.conn.Close()
	t.conn, t.ch = nil, nil
	if err != nil && err != amqp.ErrClosed {
		return fmt.Errorf("amqptrigger: close: %w", err)
	}
	return nil
}

// recentIDs is a bounded set of IDs that forgets the oldest first.
type recentIDs struct {
	set  map[string]struct{}
	ring []string
	next int
}

func newRecentIDs(n int) *recentIDs {
	if n < 0 {
		n = 0
	}
	return &recentIDs{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recentIDs) has(id string) bool {
	_, ok := r.set[id]
	return ok
}

func (r *recentIDs) add(id string) {
	if len(r.ring) == 0 || r.has(id) {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
