package emailhook

import (
	"context"
	"errors"
	"net"
	"net/smtp"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/inbound-hooks/inbound/internal/testenv"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// recorder is a Trigger that keeps the events it is given.
type recorder struct {
	mu       sync.Mutex
	events   []*hooks.Event
	err      error
	failHook string // when set, only this hook's events fail with err
}

func (r *recorder) Fire(_ context.Context, e *hooks.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil && (r.failHook == "" || r.failHook == e.HookID) {
		return r.err
	}
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) all() []*hooks.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*hooks.Event(nil), r.events...)
}

type emailEnv struct {
	reg  *hooks.Registry
	p    *hooks.Pipeline
	trig *recorder
	hook *hooks.Hook
}

// noKeys is a store that hides its store.IdempotencyStore, so that a
// sync pipeline on it does not deduplicate.
type noKeys struct{ store.Store }

// newEmailEnv returns a sync pipeline with one email hook, on a store that
// keeps no idempotency keys: most tests here deliver one message (one
// Message-ID) several times and compare the events. newDedupEmailEnv
// keeps them.
func newEmailEnv(t *testing.T) *emailEnv {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	return newEmailEnvOn(t, noKeys{st})
}

// newDedupEmailEnv is newEmailEnv on a store that keeps idempotency keys,
// as a host's does: a message is fired once per hook.
func newDedupEmailEnv(t *testing.T) *emailEnv {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	return newEmailEnvOn(t, st)
}

func newEmailEnvOn(t testing.TB, st store.Store) *emailEnv {
	t.Helper()
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	trig := &recorder{}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(trig)})
	if err != nil {
		t.Fatal(err)
	}
	if err := register(p, []string{"in.example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(formKind{}); err != nil {
		t.Fatal(err)
	}
	h, err := reg.Create(context.Background(), "", hooks.HookSpec{Name: "Orders", Kind: KindName})
	if err != nil {
		t.Fatal(err)
	}
	return &emailEnv{reg: reg, p: p, trig: trig, hook: h}
}

// startSMTP serves the backend on a loopback listener and returns its address.
//
// The env registered the email kind at in.example.com: a Backend of the
// same pipeline gives its hooks the same addresses, so it is given that
// domain unless the test chose others.
func startSMTP(t *testing.T, p *hooks.Pipeline, opts SMTPOptions) string {
	if opts.Domains == nil {
		opts.Domains = []string{"in.example.com"}
	}
	t.Helper()
	b, err := NewBackend(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := b.NewServer(ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func orderMessage(to string) string {
	return "From: Shop <shop@example.net>\r\n" +
		"To: " + to + "\r\n" +
		"Subject: Your order 1234\r\n" +
		"Message-ID: <order-1234@example.net>\r\n" +
		"Date: Fri, 27 Nov 2026 08:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		`<html><body><script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"1234"}</script><p>Thanks!</p></body></html>` + "\r\n"
}

func TestSMTPBccDelivery(t *testing.T) {
	env := newEmailEnv(t)
	addr := startSMTP(t, env.p, SMTPOptions{Domains: []string{"in.example.com"}})
	hookAddr := env.reg.Address(env.hook)

	// The hook's address is only Bcc'd: it is in RCPT TO, never in the headers.
	// Upper case checks that recipients are matched case-insensitively.
	err := smtp.SendMail(addr, nil, "shop@example.net",
		[]string{"customer@example.org", strings.ToUpper(hookAddr)}, []byte(orderMessage("customer@example.org")))
	if err == nil || !strings.Contains(err.Error(), "550") {
		// customer@example.org is not ours: net/smtp stops at the first refused RCPT.
		t.Fatalf("SendMail with a foreign recipient: got %v, want a 550 refusal", err)
	}
	if n := len(env.trig.all()); n != 0 {
		t.Fatalf("events after a refused transaction: got %d, want 0", n)
	}

	if err := smtp.SendMail(addr, nil, "shop@example.net", []string{strings.ToUpper(hookAddr)},
		[]byte(orderMessage("customer@example.org"))); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	evs := env.trig.all()
	if len(evs) != 1 {
		t.Fatalf("events: got %d, want 1", len(evs))
	}
	e := evs[0]
	if e.HookID != env.hook.ID || e.HookKind != KindName {
		t.Errorf("hook: got %s/%s, want %s/email", e.HookID, e.HookKind, env.hook.ID)
	}
	if e.Email == nil {
		t.Fatal("event has no Email")
	}
	if got, want := e.Email.Subject, "Your order 1234"; got != want {
		t.Errorf("subject: got %q, want %q", got, want)
	}
	if got, want := e.Email.MessageID, "order-1234@example.net"; got != want {
		t.Errorf("message id: got %q, want %q", got, want)
	}
	if got := e.Email.Recipients; len(got) != 1 || !strings.EqualFold(got[0], hookAddr) {
		t.Errorf("recipients: got %v, want [%s]", got, hookAddr)
	}
	if got := e.Email.To; len(got) != 1 || got[0] != "customer@example.org" {
		t.Errorf("to: got %v, want [customer@example.org]", got)
	}
	if len(e.Email.Objects) != 1 || e.Email.Objects[0]["@type"] != "Order" || e.Email.Objects[0]["orderNumber"] != "1234" {
		t.Errorf("objects: got %v, want one Order 1234", e.Email.Objects)
	}
	data, _ := e.Data.(map[string]any)
	if data["subject"] != "Your order 1234" {
		t.Errorf("data.subject: got %v", data["subject"])
	}
	if e.IdempotencyKey != "order-1234@example.net" {
		t.Errorf("idempotency key: got %q", e.IdempotencyKey)
	}
	if !strings.Contains(string(e.Raw), "Subject: Your order 1234") {
		t.Error("Raw does not hold the message")
	}
}

// session drives a raw SMTP conversation and returns the client.
func dialSMTP(t *testing.T, addr string) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSMTPRcptDecisions(t *testing.T) {
	env := newEmailEnv(t)
	ctx := context.Background()
	disabled, err := env.reg.Create(ctx, "", hooks.HookSpec{Name: "Off", Kind: KindName})
	if err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := env.reg.Update(ctx, "", disabled.ID, hooks.HookUpdate{Disabled: &on}); err != nil {
		t.Fatal(err)
	}
	form, err := env.reg.Create(ctx, "", hooks.HookSpec{Name: "Form", Kind: "form"})
	if err != nil {
		t.Fatal(err)
	}
	addr := startSMTP(t, env.p, SMTPOptions{Domains: []string{"in.example.com"}})
	tests := []struct {
		name string
		rcpt string
		ok   bool
	}{
		{"hook", env.hook.Token + "@in.example.com", true},
		{"upper case", strings.ToUpper(env.hook.Token) + "@IN.EXAMPLE.COM", true},
		{"subaddress", env.hook.Token + "+orders@in.example.com", true},
		{"unknown token", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@in.example.com", false},
		{"other domain", env.hook.Token + "@elsewhere.example", false},
		{"disabled hook", disabled.Token + "@in.example.com", false},
		{"form hook token", form.Token + "@in.example.com", false},
		{"no domain", env.hook.Token, false}, // refused by go-smtp's syntax check (501)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dialSMTP(t, addr)
			if err := c.Mail("shop@example.net"); err != nil {
				t.Fatal(err)
			}
			err := c.Rcpt(tt.rcpt)
			if tt.ok && err != nil {
				t.Fatalf("RCPT %s: got %v, want accepted", tt.rcpt, err)
			}
			if !tt.ok && (err == nil || !strings.HasPrefix(err.Error(), "5")) {
				t.Fatalf("RCPT %s: got %v, want a permanent (5xx) refusal", tt.rcpt, err)
			}
		})
	}
}

func TestSMTPLimitsAndFailures(t *testing.T) {
	env := newEmailEnv(t)
	hookAddr := env.reg.Address(env.hook)

	t.Run("too large", func(t *testing.T) {
		addr := startSMTP(t, env.p, SMTPOptions{MaxMessageBytes: 1024})
		big := orderMessage(hookAddr) + strings.Repeat(strings.Repeat("x", 70)+"\r\n", 60)
		err := smtp.SendMail(addr, nil, "a@example.net", []string{hookAddr}, []byte(big))
		if err == nil || !strings.Contains(err.Error(), "552") {
			t.Fatalf("got %v, want 552", err)
		}
	})
	t.Run("too many recipients", func(t *testing.T) {
		addr := startSMTP(t, env.p, SMTPOptions{MaxRecipients: 1})
		c := dialSMTP(t, addr)
		if err := c.Mail("a@example.net"); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt(hookAddr); err != nil {
			t.Fatal(err)
		}
		if err := c.Rcpt(hookAddr); err == nil {
			t.Fatal("second RCPT accepted, want refusal")
		}
	})
	t.Run("trigger failure is temporary", func(t *testing.T) {
		addr := startSMTP(t, env.p, SMTPOptions{})
		env.trig.mu.Lock()
		env.trig.err = errors.New("engine down")
		env.trig.mu.Unlock()
		defer func() { env.trig.mu.Lock(); env.trig.err = nil; env.trig.mu.Unlock() }()
		err := smtp.SendMail(addr, nil, "a@example.net", []string{hookAddr}, []byte(orderMessage(hookAddr)))
		if err == nil || !strings.Contains(err.Error(), "451") {
			t.Fatalf("got %v, want 451", err)
		}
	})
	t.Run("server keeps serving", func(t *testing.T) {
		addr := startSMTP(t, env.p, SMTPOptions{})
		before := len(env.trig.all())
		if err := smtp.SendMail(addr, nil, "a@example.net", []string{hookAddr}, []byte(orderMessage(hookAddr))); err != nil {
			t.Fatal(err)
		}
		if got := len(env.trig.all()); got != before+1 {
			t.Fatalf("events: got %d, want %d", got, before+1)
		}
	})
}

func TestSMTPTwoHooksOneMessage(t *testing.T) {
	env := newEmailEnv(t)
	other, err := env.reg.Create(context.Background(), "", hooks.HookSpec{Name: "Shipping", Kind: KindName})
	if err != nil {
		t.Fatal(err)
	}
	addr := startSMTP(t, env.p, SMTPOptions{})
	rcpts := []string{env.reg.Address(env.hook), env.reg.Address(other), env.reg.Address(env.hook)}
	if err := smtp.SendMail(addr, nil, "a@example.net", rcpts, []byte(orderMessage("x@example.org"))); err != nil {
		t.Fatal(err)
	}
	evs := env.trig.all()
	if len(evs) != 2 {
		t.Fatalf("events: got %d, want one per hook (2)", len(evs))
	}
	seen := map[string]bool{}
	for _, e := range evs {
		seen[e.HookID] = true
	}
	if !seen[env.hook.ID] || !seen[other.ID] {
		t.Fatalf("hooks fired: got %v, want both", seen)
	}
}

// TestSMTPPartialFailureFiresOnce is a message to two hooks of which one
// fails for a while: DATA answers 451, the sender retries the whole
// message, and the hook that took it the first time is not fired again
// (its Message-ID was recorded), while the other is fired once it works.
func TestSMTPPartialFailureFiresOnce(t *testing.T) {
	env := newDedupEmailEnv(t)
	other, err := env.reg.Create(context.Background(), "", hooks.HookSpec{Name: "Shipping", Kind: KindName})
	if err != nil {
		t.Fatal(err)
	}
	addr := startSMTP(t, env.p, SMTPOptions{})
	rcpts := []string{env.reg.Address(env.hook), env.reg.Address(other)}
	msg := []byte(orderMessage("x@example.org"))
	env.trig.mu.Lock()
	env.trig.err, env.trig.failHook = errors.New("engine down"), other.ID
	env.trig.mu.Unlock()
	err = smtp.SendMail(addr, nil, "a@example.net", rcpts, msg)
	if err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("first try: got %v, want 451", err)
	}
	fired := func() map[string]int {
		n := map[string]int{}
		for _, e := range env.trig.all() {
			n[e.HookID]++
		}
		return n
	}
	if got := fired(); got[env.hook.ID] != 1 || got[other.ID] != 0 {
		t.Fatalf("after the 451: fired %v, want the first hook once", got)
	}
	// The sender retries while the second hook still fails, then after.
	if err := smtp.SendMail(addr, nil, "a@example.net", rcpts, msg); err == nil || !strings.Contains(err.Error(), "451") {
		t.Fatalf("second try: got %v, want 451", err)
	}
	env.trig.mu.Lock()
	env.trig.err = nil
	env.trig.mu.Unlock()
	if err := smtp.SendMail(addr, nil, "a@example.net", rcpts, msg); err != nil {
		t.Fatalf("third try: %v", err)
	}
	if got := fired(); got[env.hook.ID] != 1 || got[other.ID] != 1 {
		t.Fatalf("after the retries: fired %v, want each hook once", got)
	}
	// A fourth copy (the sender lost the 250) changes nothing and is taken.
	if err := smtp.SendMail(addr, nil, "a@example.net", rcpts, msg); err != nil {
		t.Fatalf("fourth try: %v", err)
	}
	if got := fired(); got[env.hook.ID] != 1 || got[other.ID] != 1 {
		t.Fatalf("after a fourth copy: fired %v, want each hook once", got)
	}
}

func TestSMTPCorpusMessage(t *testing.T) {
	raw, err := os.ReadFile("../../shared/corpus/email/kitinerary/synthetic/flight-booking.eml")
	if err != nil {
		testenv.Need(t, "the shared corpus is not present: %v", err)
	}
	env := newEmailEnv(t)
	addr := startSMTP(t, env.p, SMTPOptions{})
	if err := smtp.SendMail(addr, nil, "a@example.net", []string{env.reg.Address(env.hook)}, raw); err != nil {
		t.Fatal(err)
	}
	evs := env.trig.all()
	if len(evs) != 1 || len(evs[0].Email.Objects) == 0 {
		t.Fatalf("got %d events, want 1 with objects", len(evs))
	}
}

// formKind stands in for the form hook kind, so that a test can make a hook
// of another kind.
type formKind struct{}

func (formKind) Kind() hooks.Kind               { return "form" }
func (formKind) NewSettings() hooks.Settings    { return &Settings{} }
func (formKind) Address(_, token string) string { return "/hooks/form/" + token }
