package emailhook

import (
	"context"
	"fmt"
	"io"
	"net/smtp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// countingStore counts the token lookups that reach the store.
type countingStore struct {
	store.Store
	byToken atomic.Int64
}

// Unwrap lets store.As find the optional abilities of the wrapped store.
func (s *countingStore) Unwrap() store.Store { return s.Store }

func (s *countingStore) HookByToken(ctx context.Context, token string) (*store.Hook, error) {
	s.byToken.Add(1)
	return s.Store.HookByToken(ctx, token)
}

// reuseEnv is a pipeline over a countingStore with n email hooks.
type reuseEnv struct {
	st    *countingStore
	p     *hooks.Pipeline
	trig  *recorder
	hooks []*hooks.Hook
	addrs []string
}

func newReuseEnv(t testing.TB, n int) *reuseEnv {
	t.Helper()
	st := &countingStore{Store: memstore.New()}
	t.Cleanup(func() { st.Close() })
	// No idempotency keys: the tests deliver one message (one Message-ID)
	// more than once and count every delivery.
	reg, err := hooks.NewRegistry(noKeys{st}, hooks.RegistryOptions{})
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
	env := &reuseEnv{st: st, p: p, trig: trig}
	for i := range n {
		h, err := reg.Create(context.Background(), "", hooks.HookSpec{Name: fmt.Sprintf("Hook %d", i), Kind: KindName})
		if err != nil {
			t.Fatal(err)
		}
		env.hooks = append(env.hooks, h)
		env.addrs = append(env.addrs, reg.Address(h))
	}
	return env
}

// TestSMTPOneLookupPerRcpt checks that each RCPT TO looks its hook up once
// and that DATA delivers to the hooks found then, without asking the store
// again.
func TestSMTPOneLookupPerRcpt(t *testing.T) {
	env := newReuseEnv(t, 3)
	addr := startSMTP(t, env.p, SMTPOptions{})
	// The first hook twice (once with a subaddress): 4 RCPTs, 3 hooks.
	rcpts := append(append([]string(nil), env.addrs...), strings.Replace(env.addrs[0], "@", "+x@", 1))
	before := env.st.byToken.Load()
	if err := smtp.SendMail(addr, nil, "shop@example.net", rcpts, []byte(orderMessage("x@example.org"))); err != nil {
		t.Fatal(err)
	}
	if got, want := env.st.byToken.Load()-before, int64(len(rcpts)); got != want {
		t.Errorf("store lookups by token: got %d, want %d (one per RCPT TO, none at DATA)", got, want)
	}
	evs := env.trig.all()
	if len(evs) != 3 {
		t.Fatalf("events: got %d, want 3 (one per hook)", len(evs))
	}
	for _, e := range evs {
		if e.HookID == env.hooks[0].ID && len(e.Email.Recipients) != 2 {
			t.Errorf("recipients of the first hook: got %v, want both of its addresses", e.Email.Recipients)
		}
	}
}

// TestSMTPMessageSharedAcrossRecipients checks that a message to many
// hooks is read once and shared: the events carry the same bytes, and the
// memory a message costs does not grow with a copy per recipient.
func TestSMTPMessageSharedAcrossRecipients(t *testing.T) {
	const size = 1 << 20
	msg := bigMessage(size)
	one := newReuseEnv(t, 1)
	many := newReuseEnv(t, 8)
	cost := func(env *reuseEnv) uint64 {
		t.Helper()
		deliver(t, env, msg) // warm up: the extractor's pools and the registry's caches
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		start := ms.TotalAlloc
		deliver(t, env, msg)
		runtime.ReadMemStats(&ms)
		return ms.TotalAlloc - start
	}
	c1, c8 := cost(one), cost(many)
	evs := many.trig.all()
	if len(evs) != 16 {
		t.Fatalf("events: got %d, want 16", len(evs))
	}
	t.Logf("bytes allocated for a %d-byte message: %d to 1 hook, %d to 8 hooks", size, c1, c8)
	// Each further hook costs its event, not another copy of the message.
	if extra := int64(c8) - int64(c1); extra > size {
		t.Errorf("7 more hooks cost %d more bytes, want less than one copy of the %d-byte message", extra, size)
	}
	last := evs[len(evs)-8:]
	for _, e := range last[1:] {
		if len(e.Raw) != len(last[0].Raw) || &e.Raw[0] != &last[0].Raw[0] {
			t.Fatalf("events of one message hold different copies of it")
		}
	}
}

// deliver runs one SMTP transaction to every hook of env on a session,
// without a network connection.
func deliver(t testing.TB, env *reuseEnv, msg string) {
	t.Helper()
	b, err := NewBackend(env.p, SMTPOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{b: b, remote: "192.0.2.1:25"}
	if err := s.Mail("shop@example.net", nil); err != nil {
		t.Fatal(err)
	}
	for _, a := range env.addrs {
		if err := s.Rcpt(a, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Data(strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	s.Reset()
}

// bigMessage is an order confirmation of about size bytes, mostly a
// plain-text part.
func bigMessage(size int) string {
	var b strings.Builder
	b.WriteString("From: Shop <shop@example.net>\r\nTo: x@example.org\r\nSubject: Big order\r\n" +
		"Message-ID: <big@example.net>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
	line := strings.Repeat("0123456789", 7) + "\r\n"
	for b.Len() < size-len(line) {
		b.WriteString(line)
	}
	return b.String()
}

// TestSMTPHookChangedAfterRcpt checks that DATA delivers to the hook RCPT
// TO accepted, as it was then, even if it was disabled in between: the
// message is treated as having arrived at RCPT time.
func TestSMTPHookChangedAfterRcpt(t *testing.T) {
	env := newEmailEnv(t)
	addr := startSMTP(t, env.p, SMTPOptions{})
	c := dialSMTP(t, addr)
	if err := c.Mail("shop@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(env.reg.Address(env.hook)); err != nil {
		t.Fatal(err)
	}
	on := true
	if _, err := env.reg.Update(context.Background(), "", env.hook.ID, hooks.HookUpdate{Disabled: &on}); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, orderMessage("x@example.org")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	if evs := env.trig.all(); len(evs) != 1 || evs[0].HookID != env.hook.ID {
		t.Fatalf("events: got %d, want 1 for the hook RCPT accepted", len(evs))
	}
	// The next transaction sees the hook disabled.
	if err := c.Mail("shop@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(env.reg.Address(env.hook)); err == nil {
		t.Fatal("RCPT to a disabled hook: accepted, want 550")
	}
}
