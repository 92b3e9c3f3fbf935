package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
)

// commonFlags registers the flags every command takes.
func commonFlags(fs *flag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.Data, "data", "./inbound.db", "bbolt data file")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public URL of the HTTP hooks (default derived from -addr)")
	fs.StringVar(&cfg.EmailDomain, "email-domain", "in.localhost", "domain of email hook addresses")
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg := config{Stdout: stdout}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, &cfg)
	fs.StringVar(&cfg.Addr, "addr", ":8080", "HTTP listen address")
	fs.StringVar(&cfg.AdminToken, "admin-token", getenv("INBOUND_ADMIN_TOKEN"), "admin API token (env INBOUND_ADMIN_TOKEN; generated when empty)")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", ":2525", "SMTP listen address for email hooks (reserved; not served yet)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = baseURLFor(cfg.Addr)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	generated := cfg.AdminToken == ""
	if generated {
		cfg.AdminToken = newAdminToken()
	}
	s, err := newServer(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	return serveOn(ctx, s, ln, stderr, generated)
}

// serveOn prints how to use the server to stderr, then serves on ln.
func serveOn(ctx context.Context, s *server, ln net.Listener, stderr io.Writer, generatedToken bool) error {
	fmt.Fprintf(stderr, "inbound example server on %s (listening on %s), data in %s\n", s.cfg.BaseURL, ln.Addr(), s.cfg.Data)
	if generatedToken {
		fmt.Fprintf(stderr, "admin token (generated; set INBOUND_ADMIN_TOKEN to choose one): %s\n", s.cfg.AdminToken)
	}
	seeded, err := s.seed(ctx)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if seeded != "" {
		fmt.Fprintf(stderr, "\n%s\n", seeded)
	} else {
		howTo, err := s.howTo(ctx)
		if err != nil {
			_ = ln.Close()
			return err
		}
		fmt.Fprintf(stderr, "\n%s\n", howTo)
	}
	fmt.Fprintf(stderr, "Each event is printed on stdout as one JSON line. Ctrl-C stops.\n\n")
	s.cfg.Logger.Info("serving", "addr", ln.Addr().String())
	return s.Serve(ctx, ln)
}

func cmdCreateHook(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("create-hook", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, &cfg)
	kind := fs.String("kind", "form", "hook kind: form, web or email")
	name := fs.String("name", "", "hook name (required)")
	desc := fs.String("description", "", "hook description")
	org := fs.String("org", "", "org ID (empty for a single-tenant host)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = baseURLFor(":8080")
	}
	k, err := hooks.ParseKind(*kind)
	if err != nil {
		return err
	}
	s, err := newServer(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	h, err := s.reg.Create(ctx, *org, hooks.HookSpec{Name: *name, Kind: k, Description: *desc})
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created %s hook %q (id %s); its address:\n", h.Kind, h.Name, h.ID)
	fmt.Fprintln(stdout, s.reg.Address(h))
	return nil
}

func cmdCreateKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("create-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, &cfg)
	name := fs.String("name", "", "key name (required)")
	roles := fs.String("roles", hooks.RoleHooks, "comma-separated roles")
	org := fs.String("org", "", "org ID (empty for a single-tenant host)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := newServer(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	var rs []string
	for _, r := range strings.Split(*roles, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rs = append(rs, r)
		}
	}
	k, plain, err := s.keys.Create(ctx, *org, *name, rs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "created key %q (id %s, roles %s); it is shown only now:\n", k.Name, k.ID, strings.Join(k.Roles, ","))
	fmt.Fprintln(stdout, plain)
	return nil
}

func cmdListHooks(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := flag.NewFlagSet("list-hooks", flag.ContinueOnError)
	fs.SetOutput(stderr)
	commonFlags(fs, &cfg)
	org := fs.String("org", "", "org ID")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = baseURLFor(":8080")
	}
	s, err := newServer(cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	hs, err := s.reg.List(ctx, *org)
	if err != nil {
		return err
	}
	for _, h := range hs {
		state := ""
		if h.Disabled {
			state = " (disabled)"
		}
		fmt.Fprintf(stdout, "%s\t%s\t%s\t%s%s\n", h.ID, h.Kind, h.Name, s.reg.Address(h), state)
	}
	return nil
}
