package inbound

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/intake"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/webhook"
)

// DefaultPrefix is the URL path a Handler answers under when
// Options.Prefix is empty.
const DefaultPrefix = "/hooks/"

// Options configures a Handler. Set BaseURL and one of Trigger or
// Delivery; the zero value of every other field works.
type Options struct {
	// BaseURL is the public URL of the server the Handler is mounted in,
	// such as "https://example.com": a form hook's address is
	// BaseURL+"/hooks/form/"+token. Empty gives paths
	// (hooks.RegistryOptions.BaseURL).
	BaseURL string
	// Trigger receives every accepted event before the sender is answered
	// (hooks.Sync): its error answers the sender 503 with Retry-After, or
	// the status of a *hooks.Error it returns. It is called concurrently.
	Trigger hooks.Trigger
	// Delivery replaces Trigger: a *hooks.Queue for durable delivery (the
	// host starts and shuts it down), for example. Exactly one of Trigger
	// and Delivery must be set.
	Delivery hooks.Delivery

	// Prefix is the URL path the Handler answers under, starting and
	// ending with "/"; "" means DefaultPrefix. Mount the Handler there
	// (mux.Handle(h.Prefix(), h)). Form hooks are at Prefix+"form/{token}"
	// and webhooks at Prefix+"web/{token}", unless Form.Prefix or
	// Web.Prefix (which must lie under Prefix) say otherwise; the
	// addresses the Registry gives follow them.
	Prefix string
	// Form and Web configure the form hook and webhook handlers (rate
	// limit, captcha, body limits, ...).
	Form formhook.Options
	Web  webhook.Options
	// Email, when not nil, also answers email hooks posted as
	// message/rfc822 at Prefix+"email" (emailhook.Handler); nil leaves
	// email out. An SMTP listener is built apart, with
	// emailhook.NewBackend(h.Pipeline(), ...).
	Email *emailhook.HandlerOptions

	// Recorder keeps the interactions of hooks whose debug setting is on,
	// such as a *debuglog.Log; nil keeps none.
	Recorder hooks.Recorder
	// Logger receives operational logs (never secrets or bodies); nil
	// discards them.
	Logger *slog.Logger
	// Telemetry chooses the OpenTelemetry providers of the pipeline and of
	// the Trigger's delivery; the zero value uses the global ones.
	Telemetry hooks.Telemetry
}

// Handler answers the form hooks and webhooks (and, when configured, the
// email hooks) of one store under one prefix. Build it with New and mount
// it at Prefix; its Registry creates hooks and gives their addresses, and
// its Keyring creates the API keys webhook senders present. It is safe for
// concurrent use.
type Handler struct {
	prefix string
	reg    *hooks.Registry
	keys   *hooks.Keyring
	p      *hooks.Pipeline
	routes []route // longest prefix first
}

type route struct {
	prefix string
	exact  bool // the path must equal prefix (the email handler)
	h      http.Handler
}

// New builds the Registry, Keyring and Pipeline over s and the form hook
// and webhook handlers (and the email one when Options.Email is set) that
// feed it. Invalid options give an error matching hooks.ErrInvalid.
func New(s store.Store, opts Options) (*Handler, error) {
	if s == nil {
		return nil, &hooks.ValidationError{Field: "store", Reason: "is nil"}
	}
	delivery := opts.Delivery
	switch {
	case opts.Trigger != nil && delivery != nil:
		return nil, &hooks.ValidationError{Field: "trigger", Reason: "set either Trigger or Delivery, not both"}
	case opts.Trigger != nil:
		delivery = &hooks.SyncDelivery{Trigger: opts.Trigger, Telemetry: opts.Telemetry}
	case delivery == nil:
		return nil, &hooks.ValidationError{Field: "trigger", Reason: "a Trigger or a Delivery is required"}
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") {
		return nil, &hooks.ValidationError{Field: "prefix", Reason: `must start and end with "/"`}
	}
	if opts.Form.Prefix == "" {
		opts.Form.Prefix = prefix + "form/"
	}
	if opts.Web.Prefix == "" {
		opts.Web.Prefix = prefix + "web/"
	}
	for _, kp := range []struct{ field, p string }{{"form.prefix", opts.Form.Prefix}, {"web.prefix", opts.Web.Prefix}} {
		if !strings.HasPrefix(kp.p, prefix) || kp.p == prefix {
			return nil, &hooks.ValidationError{Field: kp.field, Reason: "must lie under the prefix " + prefix}
		}
	}
	if opts.Form.Prefix == opts.Web.Prefix {
		return nil, &hooks.ValidationError{Field: "web.prefix", Reason: "must differ from the form prefix"}
	}
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{BaseURL: opts.BaseURL})
	if err != nil {
		return nil, err
	}
	keys, err := hooks.NewKeyring(s, hooks.KeyringOptions{})
	if err != nil {
		return nil, err
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: delivery, Recorder: opts.Recorder,
		Logger: opts.Logger, Telemetry: opts.Telemetry})
	if err != nil {
		return nil, err
	}
	if opts.Form.Logger == nil {
		opts.Form.Logger = opts.Logger
	}
	if opts.Web.Logger == nil {
		opts.Web.Logger = opts.Logger
	}
	form, err := formhook.New(p, opts.Form)
	if err != nil {
		return nil, err
	}
	web, err := webhook.New(p, keys, opts.Web)
	if err != nil {
		return nil, err
	}
	h := &Handler{prefix: prefix, reg: reg, keys: keys, p: p}
	// The longer prefix first, so that one kind's prefix may lie under
	// the other's.
	if len(opts.Web.Prefix) > len(opts.Form.Prefix) {
		h.routes = append(h.routes, route{prefix: opts.Web.Prefix, h: web}, route{prefix: opts.Form.Prefix, h: form})
	} else {
		h.routes = append(h.routes, route{prefix: opts.Form.Prefix, h: form}, route{prefix: opts.Web.Prefix, h: web})
	}
	if opts.Email != nil {
		mail, err := emailhook.NewHandler(p, *opts.Email)
		if err != nil {
			return nil, err
		}
		h.routes = append([]route{{prefix: prefix + "email", exact: true, h: mail}}, h.routes...)
	}
	return h, nil
}

// ServeHTTP hands the request to the handler of the kind its path names;
// any other path answers 404 with the JSON error body every hook answers
// with.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, rt := range h.routes {
		if rt.exact && r.URL.Path == rt.prefix || !rt.exact && strings.HasPrefix(r.URL.Path, rt.prefix) {
			rt.h.ServeHTTP(w, r)
			return
		}
	}
	intake.WriteError(w, hooks.NewError(http.StatusNotFound, errcode.NotFound, "no such hook"))
}

// Prefix returns the URL path the Handler answers under, where the host
// mounts it: mux.Handle(h.Prefix(), h).
func (h *Handler) Prefix() string { return h.prefix }

// Registry returns the Registry that creates, changes and resolves hooks;
// its Address is answered by the Handler.
func (h *Handler) Registry() *hooks.Registry { return h.reg }

// Keyring returns the Keyring of the API keys webhook senders present
// (Authorization: Bearer <key>, with the hooks.RoleHooks role).
func (h *Handler) Keyring() *hooks.Keyring { return h.keys }

// Pipeline returns the Pipeline the handlers feed, for kinds built apart:
// an SMTP listener (emailhook.NewBackend), a mail provider's handler.
func (h *Handler) Pipeline() *hooks.Pipeline { return h.p }
