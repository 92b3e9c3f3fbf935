package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"
)

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg := config{Stdout: stdout}
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", ":8080", "HTTP listen address")
	fs.StringVar(&cfg.Data, "data", "./inbound.db", "bbolt data file (when -pg is empty)")
	fs.StringVar(&cfg.PG, "pg", getenv("INBOUND_PG_DSN"), "PostgreSQL DSN; use PostgreSQL instead of bbolt (env INBOUND_PG_DSN)")
	fs.StringVar(&cfg.PGSchema, "pg-schema", "inbound", "PostgreSQL schema the store owns")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "public URL of the HTTP hooks (default derived from -addr)")
	fs.StringVar(&cfg.EmailDomain, "email-domain", "in.localhost", "domain of email hook addresses")
	fs.StringVar(&cfg.AdminToken, "admin-token", getenv("INBOUND_ADMIN_TOKEN"), "admin API token (env INBOUND_ADMIN_TOKEN; generated when empty)")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", ":2525", "SMTP listen address for email hooks; empty turns SMTP off")
	fs.StringVar(&cfg.SMTP.Hostname, "smtp-hostname", "", "SMTP server name in the greeting, such as the MX host name (default the TLS certificate's first name, else localhost)")
	fs.StringVar(&cfg.SMTP.TLSCert, "smtp-tls-cert", "", "PEM certificate (chain) file for SMTP STARTTLS; reloaded when it changes")
	fs.StringVar(&cfg.SMTP.TLSKey, "smtp-tls-key", "", "PEM private key file of -smtp-tls-cert")
	fs.BoolVar(&cfg.SMTP.RequireTLS, "smtp-require-tls", false, "refuse mail sent before STARTTLS (not for a public MX: RFC 3207 forbids it there)")
	fs.StringVar(&cfg.Delivery, "delivery", "queue", "queue (commit, then deliver at least once) or sync (call the trigger before answering)")
	fs.DurationVar(&cfg.Lease, "queue-lease", 0, "how long a claimed event is reserved before another replica may retry it (default 30s); a trigger attempt gets at most half of it")
	fs.StringVar(&cfg.Trigger, "trigger", "stdout", triggerUsage)
	fs.BoolVar(&cfg.Seed, "seed", true, "create demo hooks and an API key when the store has no hooks")
	addProviderFlags(fs, &cfg.Providers, getenv)
	trusted := fs.String("trusted-proxies", "", "comma-separated CIDRs of proxies whose X-Forwarded-For is believed (rate limiting)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, c := range strings.Split(*trusted, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		cfg.Trusted = append(cfg.Trusted, c) // formhook.New validates them
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: manage hooks and keys with the admin API or page", fs.Args())
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = baseURLFor(cfg.Addr)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	generated := cfg.AdminToken == ""
	if generated {
		cfg.AdminToken = newAdminToken()
	}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	s, err := newServer(openCtx, cfg)
	cancel()
	if err != nil {
		return err
	}
	defer s.Close()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	var smtpLn net.Listener
	if cfg.SMTPAddr != "" {
		if smtpLn, err = net.Listen("tcp", cfg.SMTPAddr); err != nil {
			_ = ln.Close()
			return fmt.Errorf("SMTP listener: %w", err)
		}
	}
	return serveOn(ctx, s, ln, smtpLn, stderr, generated)
}

// serveOn prints how to use the server to stderr, then serves.
func serveOn(ctx context.Context, s *server, ln, smtpLn net.Listener, stderr io.Writer, generatedToken bool) error {
	closeAll := func() {
		_ = ln.Close()
		if smtpLn != nil {
			_ = smtpLn.Close()
		}
	}
	store := s.cfg.Data
	if s.cfg.PG != "" {
		store = "PostgreSQL schema " + s.cfg.PGSchema
	}
	fmt.Fprintf(stderr, "inbound example server on %s (HTTP %s", s.cfg.BaseURL, ln.Addr())
	if smtpLn != nil {
		fmt.Fprintf(stderr, ", SMTP %s", smtpLn.Addr())
	}
	fmt.Fprintf(stderr, "), %s delivery, data in %s\n", s.cfg.Delivery, store)
	if smtpLn != nil && s.cfg.SMTP.TLSCert != "" {
		fmt.Fprintf(stderr, "SMTP offers STARTTLS with %s (reloaded when it changes)\n", s.cfg.SMTP.TLSCert)
	}
	if generatedToken {
		fmt.Fprintf(stderr, "admin token (generated; set INBOUND_ADMIN_TOKEN to choose one): %s\n", s.cfg.AdminToken)
	}
	var banner string
	var err error
	if s.cfg.Seed {
		banner, err = s.seed(ctx)
	}
	if err == nil && banner == "" {
		banner, err = s.howTo(ctx)
	}
	if err != nil {
		closeAll()
		return err
	}
	fmt.Fprintf(stderr, "\n%s\n", banner)
	fmt.Fprintf(stderr, "%s Ctrl-C stops.\n\n", whereEventsGo(s.cfg.Trigger))
	s.cfg.Logger.Info("serving", "addr", ln.Addr().String())
	return s.Serve(ctx, ln, smtpLn)
}

// whereEventsGo is the start-up line that says where the -trigger flag
// sends events, with any password in a broker URL redacted.
func whereEventsGo(trigger string) string {
	if trigger == "" || trigger == "stdout" {
		return "Each event is printed on stdout as one JSON line."
	}
	return "Each event goes to " + redactURL(trigger) + "."
}
