package hardening

import (
	"context"
	"net"
	"net/smtp"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

// TestSMTPPartialFailureFiresOnce sends one message to two email hooks of
// a server in sync mode whose Trigger can take the first hook's events but
// not yet the second's: its events go to a NATS JetStream stream that
// captures only the first hook's subject, so publishing the second's
// fails (no stream answers) and DATA is answered 451. The sender retries
// the whole message; once the stream captures the second hook too, the
// retry is taken. Each hook must be fired exactly once: the first hook's
// event is in the stream once, not once per try.
//
// It needs NATS with JetStream on INBOUND_TEST_NATS_ADDR (default
// 127.0.0.1:4222), and skips without it (fails under CI=true).
func TestSMTPPartialFailureFiresOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/server")
	}
	ctx := context.Background()
	addr := os.Getenv("INBOUND_TEST_NATS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:4222"
	}
	if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err != nil {
		testenv.Need(t, "NATS on %s: %v", addr, err)
	} else {
		_ = c.Close()
	}
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		testenv.Need(t, "NATS on %s: %v", addr, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	name := "inbound_hardening_" + time.Now().UTC().Format("150405_000000000")
	// The stream exists before the server starts, so the server uses it as
	// it is; it captures nothing of the server's until the hooks exist.
	cfg := jetstream.StreamConfig{Name: name, Subjects: []string{name + ".none"}, Storage: jetstream.MemoryStorage}
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		testenv.Need(t, "JetStream on %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })

	s := startServer(t, buildServer(t), "sync",
		"-trigger", "nats://"+addr+"?stream="+name+"&subject="+name+".{kind}.{hook_id}")
	first := s.createHook(t, "Orders", "email")
	second := s.createHook(t, "Shipping", "email")
	subject := func(h hookOut) string { return name + ".email." + h.ID }
	capture := func(hs ...hookOut) {
		t.Helper()
		cfg.Subjects = nil
		for _, h := range hs {
			cfg.Subjects = append(cfg.Subjects, subject(h))
		}
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatalf("update stream: %v", err)
		}
	}
	held := func() (int, int) {
		t.Helper()
		st, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx, jetstream.WithSubjectFilter(name+".>"))
		if err != nil {
			t.Fatal(err)
		}
		return int(info.State.Subjects[subject(first)]), int(info.State.Subjects[subject(second)])
	}
	msg := []byte("From: Shop <shop@example.com>\r\n" +
		"To: ada@example.org\r\n" +
		"Subject: Your order 1234\r\n" +
		"Message-ID: <partial-failure-1234@shop.example.com>\r\n" +
		"Date: Fri, 27 Nov 2026 08:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n" +
		`<html><body><script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"1234"}</script></body></html>` + "\r\n")
	send := func() int {
		t.Helper()
		err := smtp.SendMail(s.smtpAddr, nil, "shop@example.com", []string{first.Address, second.Address}, msg)
		s.alive(t)
		return replyCode(err)
	}

	capture(first)
	if got := send(); got != 451 {
		t.Fatalf("first try: got %d, want 451 (the second hook cannot take it yet)", got)
	}
	if a, b := held(); a != 1 || b != 0 {
		t.Fatalf("after the 451: the stream holds %d and %d events of the hooks, want 1 and 0", a, b)
	}
	if got := send(); got != 451 {
		t.Fatalf("second try: got %d, want 451", got)
	}
	capture(first, second)
	if got := send(); got != 250 {
		t.Fatalf("third try: got %d, want 250", got)
	}
	if a, b := held(); a != 1 || b != 1 {
		t.Fatalf("after the retries: the stream holds %d and %d events of the hooks, want 1 and 1", a, b)
	}
	// A copy after the 250 (a sender that lost the answer) is taken and
	// fires nothing.
	if got := send(); got != 250 {
		t.Fatalf("fourth try: got %d, want 250", got)
	}
	if a, b := held(); a != 1 || b != 1 {
		t.Fatalf("after a fourth copy: the stream holds %d and %d events of the hooks, want 1 and 1", a, b)
	}
}
