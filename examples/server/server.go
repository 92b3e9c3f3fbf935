package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/boltstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// config is what the flags set.
type config struct {
	Addr        string
	Data        string
	BaseURL     string
	EmailDomain string
	AdminToken  string
	SMTPAddr    string
	Stdout      io.Writer // event lines only
	Logger      *slog.Logger
}

// server is the demo host: a store, the hooks core, and an HTTP mux.
type server struct {
	cfg      config
	store    store.Store
	reg      *hooks.Registry
	keys     *hooks.Keyring
	pipeline *hooks.Pipeline
	mux      *http.ServeMux
}

// newServer opens the data file and builds the handlers.
func newServer(cfg config) (*server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	st, err := boltstore.Open(cfg.Data, &boltstore.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, boltstore.ErrLocked) {
			return nil, fmt.Errorf("%s is in use by another process (a running server?): stop it first: %w", cfg.Data, err)
		}
		return nil, err
	}
	s := &server{cfg: cfg, store: st}
	if err := s.build(); err != nil {
		_ = st.Close()
		return nil, err
	}
	return s, nil
}

func (s *server) build() error {
	var err error
	if s.reg, err = hooks.NewRegistry(s.store, hooks.RegistryOptions{BaseURL: s.cfg.BaseURL, EmailDomain: s.cfg.EmailDomain}); err != nil {
		return err
	}
	if s.keys, err = hooks.NewKeyring(s.store, hooks.KeyringOptions{}); err != nil {
		return err
	}
	trigger := &lineTrigger{w: s.cfg.Stdout}
	if s.pipeline, err = hooks.NewPipeline(s.reg, hooks.PipelineOptions{
		Delivery: hooks.Sync(trigger), Logger: s.cfg.Logger}); err != nil {
		return err
	}
	form, err := formhook.New(s.pipeline, formhook.Options{})
	if err != nil {
		return err
	}
	web, err := webhook.New(s.pipeline, s.keys, webhook.Options{})
	if err != nil {
		return err
	}
	s.mux = http.NewServeMux()
	s.mux.Handle(formhook.DefaultPrefix, form)
	s.mux.Handle(webhook.DefaultPrefix, web)
	// The admin API (package hooks/admin) mounts here in one line when it lands.
	return nil
}

// Handler returns the server's HTTP handler.
func (s *server) Handler() http.Handler { return s.mux }

// Serve answers HTTP on ln until ctx is done, then shuts down gracefully.
func (s *server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close closes the data file.
func (s *server) Close() error { return s.store.Close() }

// lineTrigger is the demo's stand-in for a workflow engine: it writes each
// event as one JSON line. It is safe for concurrent use.
type lineTrigger struct {
	mu sync.Mutex
	w  io.Writer
}

// eventLine is what lineTrigger writes: the event without its raw body,
// headers or file contents.
type eventLine struct {
	ID             string       `json:"id"`
	HookID         string       `json:"hook_id"`
	Kind           hooks.Kind   `json:"kind"`
	HookName       string       `json:"hook_name"`
	ReceivedAt     time.Time    `json:"received_at"`
	ContentType    string       `json:"content_type,omitempty"`
	IdempotencyKey string       `json:"idempotency_key,omitempty"`
	Data           any          `json:"data"`
	Files          []fileMeta   `json:"files,omitempty"`
	Email          *hooks.Email `json:"email,omitempty"`
}

type fileMeta struct {
	Field       string `json:"field"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// Fire writes e as one line.
func (t *lineTrigger) Fire(_ context.Context, e *hooks.Event) error {
	line := eventLine{ID: e.ID, HookID: e.HookID, Kind: e.HookKind, HookName: e.HookName,
		ReceivedAt: e.ReceivedAt, ContentType: e.ContentType, IdempotencyKey: e.IdempotencyKey,
		Data: e.Data, Email: e.Email}
	for _, f := range e.Files {
		line.Files = append(line.Files, fileMeta{f.Field, f.Name, f.ContentType, f.Size, f.SHA256})
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("encode event: %w", err)
	}
	b = append(b, '\n')
	t.mu.Lock()
	defer t.mu.Unlock()
	_, err = t.w.Write(b)
	return err
}

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

// seed creates a demo form hook, webhook and key when the store has no
// hooks, and returns what to print, or "" when it created nothing.
func (s *server) seed(ctx context.Context) (string, error) {
	existing, err := s.reg.List(ctx, "")
	if err != nil {
		return "", err
	}
	if len(existing) > 0 {
		return "", nil
	}
	form, err := s.reg.Create(ctx, "", hooks.HookSpec{Name: "Contact", Kind: hooks.KindForm})
	if err != nil {
		return "", err
	}
	web, err := s.reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: hooks.KindWeb})
	if err != nil {
		return "", err
	}
	_, key, err := s.keys.Create(ctx, "", "demo", []string{hooks.RoleHooks})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Created a demo form hook, a webhook and an API key (the key is shown only now):\n\n")
	fmt.Fprintf(&b, "  form hook \"Contact\": %s\n  webhook   \"Orders\":  %s\n  API key   \"demo\":    %s\n\n", s.reg.Address(form), s.reg.Address(web), key)
	fmt.Fprintf(&b, "Send to them:\n\n")
	fmt.Fprintf(&b, "  curl -F name=Ada -F email=ada@example.com -F 'tags[]=a' -F 'tags[]=b' %s\n", s.reg.Address(form))
	fmt.Fprintf(&b, "  curl --data-urlencode 'message=Hello, world' %s\n", s.reg.Address(form))
	fmt.Fprintf(&b, "  curl -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' -d '{\"order\":42}' %s\n", key, s.reg.Address(web))
	return b.String(), nil
}

// howTo lists the existing hooks with a curl line each.
func (s *server) howTo(ctx context.Context) (string, error) {
	hs, err := s.reg.List(ctx, "")
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hooks in %s:\n\n", s.cfg.Data)
	for _, h := range hs {
		fmt.Fprintf(&b, "  %-5s %-20q %s\n", h.Kind, h.Name, s.reg.Address(h))
	}
	for _, h := range hs {
		if h.Disabled {
			continue
		}
		switch h.Kind {
		case hooks.KindForm:
			fmt.Fprintf(&b, "\nPost to %q:\n  curl -F name=Ada %s\n", h.Name, s.reg.Address(h))
		case hooks.KindWeb:
			fmt.Fprintf(&b, "\nPost to %q (with a key from create-key):\n  curl -H 'Authorization: Bearer <key>' -H 'Content-Type: application/json' -d '{\"order\":42}' %s\n",
				h.Name, s.reg.Address(h))
		}
	}
	fmt.Fprintf(&b, "\nCreate more (stop the server first; it holds %s):\n", s.cfg.Data)
	fmt.Fprintf(&b, "  go run ./examples/server create-hook -kind form -name Contact\n")
	fmt.Fprintf(&b, "  go run ./examples/server create-key -name ci -roles org.hooks\n")
	return b.String(), nil
}
