// Package hostmodule is a host of the library written as a separate Go
// module would write it, with the library's public API only: it provisions
// its hooks by key (Registry.Ensure), mounts the form, web and email
// handlers, and its Trigger binds each event into the host's own types
// (Event.Bind), in sync or durable queue mode alike.
//
// Its test posts a multipart form with tags[], a file and an int, a
// GitHub-style JSON webhook and an order email, in both modes, and checks
// that the bound values are the same.
package hostmodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound"
	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/webhook"
)

// Signup is what the host's sign-up form posts.
type Signup struct {
	Name    string     `form:"name"`
	Age     int        `form:"age"`
	Tags    []string   `form:"tags"` // tags[]=a&tags[]=b
	Consent bool       `form:"consent"`
	CV      hooks.File `form:"cv"`
}

// Push is the part of a GitHub push webhook the host uses.
type Push struct {
	Ref        string `json:"ref"`
	Repository struct {
		ID       int64  `json:"id"`
		FullName string `json:"full_name"`
	} `json:"repository"`
	Commits []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"commits"`
	Installation any `json:"installation"` // left as JSON values
}

// OrderMail is what the host reads from an order confirmation it is Bcc'd
// on: message fields and the schema.org Order in its HTML.
type OrderMail struct {
	From      string    `json:"from"`
	FromName  string    `json:"from_name"`
	Subject   string    `json:"subject"`
	MessageID string    `json:"message_id"`
	InReplyTo []string  `json:"in_reply_to"`
	Date      time.Time `json:"date"`
	Text      string    `json:"text"`
	Order     struct {
		OrderNumber   string `json:"orderNumber"`
		AcceptedOffer struct {
			Price         string `json:"price"`
			PriceCurrency string `json:"priceCurrency"`
			ItemOffered   struct {
				Name string `json:"name"`
			} `json:"itemOffered"`
		} `json:"acceptedOffer"`
	} `json:"Order"`
	Attachments []hooks.File `json:"attachments"`
}

// Received is one event the host's Trigger took: the event and the value
// it was bound into (a Signup, Push or OrderMail).
type Received struct {
	Event *hooks.Event
	Value any
}

// Options configures a Host.
type Options struct {
	// Queue delivers through the durable queue; false calls the Trigger
	// before the sender is answered.
	Queue       bool
	BaseURL     string // as hooks.RegistryOptions
	EmailDomain string // the domain of email hook addresses (emailhook Domains)
}

// Host is the host's wiring of the library.
type Host struct {
	Registry *hooks.Registry
	Keys     *hooks.Keyring
	// Signups, Pushes and Orders are the host's hooks.
	Signups, Pushes, Orders *hooks.Hook

	in    *inbound.Handler
	queue *hooks.Queue // nil in sync mode

	mu       sync.Mutex
	received []Received
	arrived  chan struct{} // signalled at each Received
}

// New provisions the host's hooks in st (once, whatever the number of
// starts) and builds its handlers.
func New(ctx context.Context, st store.Store, opts Options) (*Host, error) {
	h := &Host{arrived: make(chan struct{}, 64)}
	trigger := hooks.TriggerFunc(h.fire)
	o := inbound.Options{BaseURL: opts.BaseURL, Trigger: trigger, Email: &emailhook.HandlerOptions{}}
	if opts.EmailDomain != "" {
		o.Email.Domains = []string{opts.EmailDomain}
	}
	if opts.Queue {
		var err error
		if h.queue, err = hooks.NewQueue(st, trigger, hooks.QueueOptions{}); err != nil {
			return nil, err
		}
		o.Trigger, o.Delivery = nil, h.queue
	}
	in, err := inbound.New(st, o)
	if err != nil {
		return nil, err
	}
	h.in, h.Registry, h.Keys = in, in.Registry(), in.Keyring()
	// Provision after the handlers are built: each kind is known to the
	// registry through its handler.
	for _, pr := range []struct {
		hook **hooks.Hook
		key  string
		spec hooks.HookSpec
	}{
		{&h.Signups, "signup", hooks.HookSpec{Name: "Sign-up", Kind: formhook.KindName}},
		{&h.Pushes, "github-push", hooks.HookSpec{Name: "GitHub pushes", Kind: webhook.KindName}},
		{&h.Orders, "order-mail", hooks.HookSpec{Name: "Order mails", Kind: emailhook.KindName}},
	} {
		if *pr.hook, _, err = h.Registry.Ensure(ctx, "", pr.key, pr.spec); err != nil {
			return nil, fmt.Errorf("provision %s: %w", pr.key, err)
		}
	}
	return h, nil
}

// ServeHTTP serves the hooks: form hooks under /hooks/form/, webhooks under
// /hooks/web/ and email as message/rfc822 at /hooks/email.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.in.ServeHTTP(w, r) }

// Start starts the queue's dispatcher (nothing in sync mode).
func (h *Host) Start(ctx context.Context) error {
	if h.queue == nil {
		return nil
	}
	return h.queue.Start(ctx)
}

// Shutdown stops the queue's dispatcher, waiting for deliveries in flight.
func (h *Host) Shutdown(ctx context.Context) error {
	if h.queue == nil {
		return nil
	}
	return h.queue.Shutdown(ctx)
}

// errUnknownHook is the Trigger's answer to an event of a hook the host
// did not provision (one an admin added).
var errUnknownHook = errors.New("hostmodule: no handler for this hook")

// fire is the host's Trigger: it binds the event into the type of its
// hook. It is called concurrently.
func (h *Host) fire(_ context.Context, e *hooks.Event) error {
	var v any
	switch e.HookID {
	case h.Signups.ID:
		v = new(Signup)
	case h.Pushes.ID:
		v = new(Push)
	case h.Orders.ID:
		v = new(OrderMail)
	default:
		return errUnknownHook
	}
	if err := e.Bind(v); err != nil {
		// A value that will never fit: the sender (sync mode) sees 400
		// naming the field; the queue would retry, then park it as dead.
		return &hooks.Error{Status: http.StatusBadRequest, Code: "invalid_field", Message: err.Error(), Err: err}
	}
	h.mu.Lock()
	h.received = append(h.received, Received{Event: e, Value: v})
	h.mu.Unlock()
	select {
	case h.arrived <- struct{}{}:
	default:
	}
	return nil
}

// Received returns what the Trigger took so far, in order.
func (h *Host) Received() []Received {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Received(nil), h.received...)
}

// Wait waits until the Trigger has taken n events or ctx is done, and
// returns what it took.
func (h *Host) Wait(ctx context.Context, n int) ([]Received, error) {
	for {
		if r := h.Received(); len(r) >= n {
			return r, nil
		}
		select {
		case <-h.arrived:
		case <-ctx.Done():
			return h.Received(), ctx.Err()
		}
	}
}
