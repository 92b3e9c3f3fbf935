package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"golang.org/x/time/rate"

	"github.com/inbound-hooks/inbound"
	"github.com/inbound-hooks/inbound/activity"
	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/examples/contactform"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/store/pgstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// config is what the flags set.
type config struct {
	Addr        string
	Data        string // bbolt file, when PG is empty
	PG          string // PostgreSQL DSN; empty uses bbolt
	PGSchema    string
	BaseURL     string
	EmailDomain string
	AdminToken  string
	SMTPAddr    string        // empty turns SMTP off
	Trusted     []string      // proxies (CIDRs) whose X-Forwarded-For is believed
	FormRate    float64       // form posts per second per client, all form hooks; 0 turns the limit off
	Delivery    string        // "queue" (default) or "sync"
	Lease       time.Duration // queue lease; 0 means the library default
	Seed        bool          // create demo hooks and a key in an empty store
	Trigger     string        // where events go: stdout, nats://..., river, amqp://... (trigger.go)
	Stdout      io.Writer     // event lines only
	Logger      *slog.Logger

	// SMTP holds the SMTP listener's name and TLS files (tls.go).
	SMTP smtpConfig

	// Providers holds the inbound mail providers' credentials (providers.go).
	Providers providerConfig
}

// server is the demo host: a store, the hooks core, the kind handlers, the
// admin API and an optional SMTP listener.
type server struct {
	cfg      config
	store    store.Store
	reg      *hooks.Registry
	keys     *hooks.Keyring
	dlog     *debuglog.Log
	queue    *hooks.Queue // nil in sync mode
	pipeline *hooks.Pipeline
	smtp     *emailhook.Backend
	contact  *contactform.Handler
	mux      *http.ServeMux
	trigger  hooks.Trigger
	// closeTrigger releases the trigger's connection.
	closeTrigger func() error
	// stopMetrics shuts the metrics SDK down.
	stopMetrics func() error
}

// newServer opens the store and builds the handlers.
func newServer(ctx context.Context, cfg config) (*server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.Delivery == "" {
		cfg.Delivery = "queue"
	}
	if cfg.Delivery != "queue" && cfg.Delivery != "sync" {
		return nil, fmt.Errorf("-delivery must be queue or sync, not %q", cfg.Delivery)
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &server{cfg: cfg, store: st}
	if s.trigger, s.closeTrigger, err = openTrigger(ctx, cfg, st); err != nil {
		_ = st.Close()
		return nil, err
	}
	if err := s.build(); err != nil {
		_ = s.closeTrigger()
		_ = st.Close()
		return nil, err
	}
	return s, nil
}

func openStore(ctx context.Context, cfg config) (store.Store, error) {
	if cfg.PG != "" {
		return pgstore.Open(ctx, cfg.PG, &pgstore.Options{Schema: cfg.PGSchema, MaxConns: 16, Logger: cfg.Logger})
	}
	st, err := boltstore.Open(cfg.Data, &boltstore.Options{Timeout: time.Second})
	if errors.Is(err, boltstore.ErrLocked) {
		return nil, fmt.Errorf("%s is in use by another process (a running server?): %w", cfg.Data, err)
	}
	return st, err
}

func (s *server) build() error {
	var err error
	log := s.cfg.Logger
	if s.dlog, err = debuglog.New(s.store, debuglog.Options{Logger: log}); err != nil {
		return err
	}
	tel, metrics, stopMetrics, err := newMetrics()
	if err != nil {
		return err
	}
	s.stopMetrics = stopMetrics
	// The admin page's per-hook activity hears what the metrics count.
	act := activity.New(activity.Options{})
	tel.Observer = act
	opts := inbound.Options{BaseURL: s.cfg.BaseURL, Recorder: s.dlog, Logger: log, Telemetry: tel,
		Email: &emailhook.HandlerOptions{Domains: []string{s.cfg.EmailDomain}}}
	if s.cfg.Delivery == "queue" {
		if s.queue, err = hooks.NewQueue(s.store, s.trigger, hooks.QueueOptions{Logger: log, Lease: s.cfg.Lease, Telemetry: tel,
			EmailParts: emailhook.Parts}); err != nil {
			return err
		}
		opts.Delivery = s.queue
	} else {
		opts.Trigger = s.trigger
	}
	opts.Form.RateLimit, opts.Form.Burst = formRate(s.cfg.FormRate)
	opts.Form.TrustedProxies = s.cfg.Trusted
	// One handler answers the form hooks, webhooks and email posts under
	// /hooks/; its Registry gives the addresses it answers.
	hooksHandler, err := inbound.New(s.store, opts)
	if err != nil {
		return err
	}
	s.reg, s.keys, s.pipeline = hooksHandler.Registry(), hooksHandler.Keyring(), hooksHandler.Pipeline()
	smtpTLSConfig, certName, err := s.cfg.SMTP.tlsConfig(log)
	if err != nil {
		return err
	}
	hostname := s.cfg.SMTP.Hostname
	if hostname == "" {
		hostname = certName
	}
	if s.smtp, err = emailhook.NewBackend(s.pipeline, emailhook.SMTPOptions{Domains: opts.Email.Domains, Hostname: hostname,
		TLSConfig: smtpTLSConfig, RequireTLS: s.cfg.SMTP.RequireTLS, Logger: log}); err != nil {
		return err
	}
	adminOpts := admin.Options{Authorizer: admin.BearerToken(s.cfg.AdminToken), Logger: log, Activity: act}
	if s.queue != nil {
		adminOpts.Events = s.queue
	}
	adm, err := admin.New(s.reg, s.keys, s.dlog, adminOpts)
	if err != nil {
		return err
	}
	// The contact page posts to the demo's "Contact" form hook, looked up
	// at each view so that it follows a rotated address.
	if s.contact, err = contactform.New(contactform.Options{ActionFunc: s.contactAddress, Logger: log}); err != nil {
		return err
	}
	s.mux = http.NewServeMux()
	s.mux.Handle(hooksHandler.Prefix(), hooksHandler)
	if err := s.mountProviders(s.mux); err != nil {
		return err
	}
	s.mux.Handle("/admin/", adm)
	s.mux.Handle(contactform.DefaultPrefix, s.contact)
	s.mux.Handle("GET /metrics", metrics)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin/", http.StatusFound)
	})
	return nil
}

// formRate turns -form-rate into the form Handler's limit: perSecond
// posts a second per client, with a burst of formBurst or of one second's
// posts, whichever is larger; 0 (or less) turns the limit off.
func formRate(perSecond float64) (rate.Limit, int) {
	if perSecond <= 0 {
		return 0, 0
	}
	return rate.Limit(perSecond), max(formBurst, int(math.Ceil(perSecond)))
}

// formBurst is the least burst of the demo's form rate limit.
const formBurst = 10

// contactHook is the name of the form hook the contact page posts to.
const contactHook = "Contact"

// contactAddress returns the address of the first enabled form hook named
// contactHook.
func (s *server) contactAddress(ctx context.Context) (string, error) {
	hs, err := s.reg.List(ctx, "")
	if err != nil {
		return "", err
	}
	for _, h := range hs {
		if h.Kind == formhook.KindName && h.Name == contactHook && !h.Disabled {
			return s.reg.Address(h), nil
		}
	}
	return "", fmt.Errorf("no enabled form hook named %q: create one in the admin page", contactHook)
}

// Handler returns the server's HTTP handler.
func (s *server) Handler() http.Handler { return s.mux }

// Serve answers HTTP on ln, and SMTP on smtpLn when it is not nil, until
// ctx is done; then it shuts down gracefully: listeners first, then the
// queue's in-flight deliveries, then the debug log.
func (s *server) Serve(ctx context.Context, ln, smtpLn net.Listener) error {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	if s.queue != nil {
		if err := s.queue.Start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	var smtpSrv interface{ Close() error }
	if smtpLn != nil {
		ss := s.smtp.NewServer(smtpLn.Addr().String())
		smtpSrv = ss
		go func() { errc <- ss.Serve(smtpLn) }()
	}
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if smtpSrv != nil {
		_ = smtpSrv.Close()
	}
	if s.queue != nil {
		if err := s.queue.Shutdown(shutdownCtx); err != nil {
			s.cfg.Logger.Warn("queue shutdown", "err", err)
		}
	}
	if errors.Is(serveErr, http.ErrServerClosed) || errors.Is(serveErr, smtp.ErrServerClosed) {
		serveErr = nil
	}
	return serveErr
}

// Close flushes the debug log and closes the store.
func (s *server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.dlog.Close(ctx)
	_ = s.stopMetrics()
	_ = s.closeTrigger()
	return s.store.Close()
}

// lineTrigger is the demo's stand-in for a workflow engine: it writes each
// event as one JSON line. It is safe for concurrent use.
type lineTrigger struct {
	mu sync.Mutex
	w  io.Writer
}

// Fire writes e as one line: the event in its one JSON encoding
// (Event.MarshalJSON, the shape schema/event.schema.json describes),
// without its raw body, its headers and the contents of its files, which
// a terminal has no use for.
func (t *lineTrigger) Fire(_ context.Context, e *hooks.Event) error {
	line := *e
	line.Raw, line.Header = nil, nil
	if len(e.Files) > 0 {
		line.Files = slices.Clone(e.Files)
		for i := range line.Files {
			line.Files[i].Content = nil
		}
	}
	buf := lineBufs.Get().(*[]byte)
	b, err := line.AppendJSON((*buf)[:0])
	if err != nil {
		lineBufs.Put(buf)
		return fmt.Errorf("encode event: %w", err)
	}
	b = append(b, '\n')
	t.mu.Lock()
	_, err = t.w.Write(b)
	t.mu.Unlock()
	if cap(b) <= maxPooledLine {
		*buf = b
		lineBufs.Put(buf)
	}
	return err
}

// lineBufs holds the buffers event lines are written into: an email's
// line holds its HTML body, which would otherwise be a new allocation of
// that size for every message.
var lineBufs = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledLine is the largest line buffer put back in lineBufs; an
// email's bodies are at most 256 KiB each, so a line seldom needs more.
const maxPooledLine = 1 << 20

// baseURLFor derives the public URL from a listen address: ":8080" and
// "0.0.0.0:8080" give http://localhost:8080.
func baseURLFor(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8080"
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// newAdminToken returns 256 random bits in hex.
func newAdminToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// seed creates a demo form hook, webhook, email hook and API key when the
// store has no hooks, and returns what to print, or "" when it created
// nothing. The hooks are provisioned by key (Registry.Ensure), so replicas
// that start together on one empty database make one set, and only the
// replica that made the webhook makes the key.
func (s *server) seed(ctx context.Context) (string, error) {
	existing, err := s.reg.List(ctx, "")
	if err != nil || len(existing) > 0 {
		return "", err
	}
	form, _, err := s.reg.Ensure(ctx, "", "contact", hooks.HookSpec{Name: contactHook, Kind: formhook.KindName,
		Settings: s.contact.Settings(s.cfg.BaseURL)})
	if err != nil {
		return "", err
	}
	web, created, err := s.reg.Ensure(ctx, "", "orders", hooks.HookSpec{Name: "Orders", Kind: webhook.KindName})
	if err != nil {
		return "", err
	}
	mail, _, err := s.reg.Ensure(ctx, "", "order-mails", hooks.HookSpec{Name: "Order mails", Kind: emailhook.KindName})
	if err != nil {
		return "", err
	}
	if !created {
		return "", nil // another replica seeded the store and holds the key
	}
	_, key, err := s.keys.Create(ctx, "", "demo", []string{hooks.RoleHooks})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Created demo hooks and an API key (the key is shown only now):\n\n")
	fmt.Fprintf(&b, "  form hook  \"Contact\":     %s\n", s.reg.Address(form))
	fmt.Fprintf(&b, "  webhook    \"Orders\":      %s\n", s.reg.Address(web))
	fmt.Fprintf(&b, "  email hook \"Order mails\": %s\n", s.reg.Address(mail))
	fmt.Fprintf(&b, "  API key    \"demo\":        %s\n\n", key)
	fmt.Fprintf(&b, "Open the contact page, %s/contact/, or send to them:\n\n", s.cfg.BaseURL)
	fmt.Fprintf(&b, "  curl -F name=Ada -F email=ada@example.com -F 'tags[]=a' -F 'tags[]=b' -F cv=@examples/server/cv.txt %s\n", s.reg.Address(form))
	fmt.Fprintf(&b, "  curl --data-urlencode 'message=Hello, world' %s\n", s.reg.Address(form))
	fmt.Fprintf(&b, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"order\":42}' %s\n", key, s.reg.Address(web))
	fmt.Fprintf(&b, "  curl -H 'Content-Type: message/rfc822' -H 'X-Envelope-To: %s' --data-binary @examples/server/order.eml %s/hooks/email\n", s.reg.Address(mail), s.cfg.BaseURL)
	if s.cfg.SMTPAddr != "" {
		fmt.Fprintf(&b, "  curl smtp://%s --mail-from orders@shop.example --mail-rcpt %s --upload-file examples/server/order.eml\n",
			smtpHostPort(s.cfg.SMTPAddr), s.reg.Address(mail))
	}
	b.WriteString(s.adminHelp())
	return b.String(), nil
}

// howTo lists the existing hooks.
func (s *server) howTo(ctx context.Context) (string, error) {
	hs, err := s.reg.List(ctx, "")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("Hooks:\n\n")
	for _, h := range hs {
		state := ""
		if h.Disabled {
			state = " (disabled)"
		}
		fmt.Fprintf(&b, "  %-5s %-20q %s%s\n", h.Kind, h.Name, s.reg.Address(h), state)
	}
	b.WriteString(s.adminHelp())
	return b.String(), nil
}

// adminHelp tells how to manage hooks and keys with the admin page and API.
func (s *server) adminHelp() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nManage hooks and keys in the admin page, %s/admin/ (it asks for the admin token), or the API:\n\n", s.cfg.BaseURL)
	fmt.Fprintf(&b, "  curl -H \"Authorization: Bearer $INBOUND_ADMIN_TOKEN\" -d '{\"name\":\"Signup\",\"type\":\"form\"}' %s/admin/hooks\n", s.cfg.BaseURL)
	fmt.Fprintf(&b, "  curl -H \"Authorization: Bearer $INBOUND_ADMIN_TOKEN\" -d '{\"name\":\"ci\",\"roles\":[\"org.hooks\"]}' %s/admin/keys\n", s.cfg.BaseURL)
	if s.queue != nil {
		fmt.Fprintf(&b, "  curl -H \"Authorization: Bearer $INBOUND_ADMIN_TOKEN\" '%s/admin/events?state=dead'\n", s.cfg.BaseURL)
	}
	return b.String()
}

// smtpHostPort turns a listen address such as ":2525" into one a client can
// dial, such as "localhost:2525".
func smtpHostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
