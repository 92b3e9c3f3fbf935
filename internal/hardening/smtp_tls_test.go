package hardening

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net/smtp"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

// mxName is the host name of the suite's TLS certificates.
const mxName = "mx.in.localhost"

// TestSMTPTLS runs examples/server as an MX would: with -smtp-tls-cert and
// -smtp-tls-key it offers STARTTLS, takes mail over it and in the clear
// (opportunistic TLS), and serves a renewed certificate without a restart;
// without them it does not offer STARTTLS; with -smtp-require-tls it
// refuses mail before STARTTLS; with a bad file it does not start.
func TestSMTPTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs examples/server; skipped with -short")
	}
	bin := buildServer(t)
	dir := t.TempDir()
	certFile, keyFile, certPEM := testenv.CertificateFiles(t, dir, mxName)

	t.Run("starttls", func(t *testing.T) {
		s := startServer(t, bin, "queue", "-smtp-tls-cert", certFile, "-smtp-tls-key", keyFile)
		rcpt := s.createHook(t, "TLS mail", "email").Address
		c := dialEHLO(t, s)
		if ok, _ := c.Extension("STARTTLS"); !ok {
			t.Fatal("EHLO: STARTTLS not offered with -smtp-tls-cert")
		}
		got := startTLS(t, c, certPEM)
		sendMessage(t, c, rcpt, "tls-over-starttls")
		s.waitSubject(t, "tls-over-starttls")
		if !bytes.Equal(got, der(t, certPEM)) {
			t.Error("STARTTLS: the server showed another certificate")
		}

		// Opportunistic TLS: a sender that does not ask for it is served too.
		plain := dialEHLO(t, s)
		sendMessage(t, plain, rcpt, "tls-in-the-clear")
		s.waitSubject(t, "tls-in-the-clear")

		// A renewal rewrites the files: new connections get the new
		// certificate from the running server.
		_, _, renewed := testenv.CertificateFiles(t, dir, mxName)
		later := time.Now().Add(time.Minute)
		for _, f := range []string{certFile, keyFile} {
			if err := os.Chtimes(f, later, later); err != nil {
				t.Fatal(err)
			}
		}
		c = dialEHLO(t, s)
		if got := startTLS(t, c, renewed); !bytes.Equal(got, der(t, renewed)) {
			t.Fatal("after the renewal: the server showed the old certificate")
		}
		sendMessage(t, c, rcpt, "tls-after-renewal")
		s.waitSubject(t, "tls-after-renewal")
		s.alive(t)
		s.stop(t)
	})

	t.Run("plaintext", func(t *testing.T) {
		s := startServer(t, bin, "sync")
		c := dialEHLO(t, s)
		if ok, _ := c.Extension("STARTTLS"); ok {
			t.Fatal("EHLO: STARTTLS offered without a certificate")
		}
		if code := cmdCode(t, c, "STARTTLS"); code != 502 {
			t.Fatalf("STARTTLS without a certificate: got %d, want 502", code)
		}
		s.stop(t)
	})

	t.Run("require tls", func(t *testing.T) {
		// A fresh pair: the renewal above overwrote the first one.
		reqDir := t.TempDir()
		cf, kf, pemReq := testenv.CertificateFiles(t, reqDir, mxName)
		s := startServer(t, bin, "sync", "-smtp-tls-cert", cf, "-smtp-tls-key", kf, "-smtp-require-tls")
		rcpt := s.createHook(t, "Relay", "email").Address
		c := dialEHLO(t, s)
		if code := replyCode(c.Mail("shop@example.com")); code != 530 {
			t.Fatalf("MAIL before STARTTLS: got %d, want 530", code)
		}
		startTLS(t, c, pemReq)
		sendMessage(t, c, rcpt, "tls-required")
		s.waitSubject(t, "tls-required")
		s.stop(t)
	})

	t.Run("bad files", func(t *testing.T) {
		missing := filepath.Join(dir, "missing.pem")
		for _, args := range [][]string{
			{"-smtp-tls-cert", missing, "-smtp-tls-key", keyFile},
			{"-smtp-tls-cert", keyFile, "-smtp-tls-key", keyFile},
			{"-smtp-tls-cert", certFile},
		} {
			cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-smtp-addr", "127.0.0.1:0",
				"-data", filepath.Join(t.TempDir(), "inbound.db"), "-admin-token", adminToken}, args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			done := make(chan error, 1)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			var err error
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Fatalf("%v: the server did not exit", args)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Errorf("%v: got %v, want exit status 1", args, err)
			}
			if out := stderr.String(); !strings.Contains(out, "server: -smtp-tls-") || strings.Contains(strings.ToLower(out), "panic") {
				t.Errorf("%v: stderr %q, want one error line naming the flag", args, out)
			}
		}
	})
}

// dialEHLO connects to the server's SMTP listener and greets it.
func dialEHLO(t *testing.T, s *server) *smtp.Client {
	t.Helper()
	c, err := smtp.Dial(s.smtpAddr)
	if err != nil {
		t.Fatalf("SMTP dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Hello("client.example"); err != nil {
		t.Fatalf("EHLO: %v", err)
	}
	return c
}

// startTLS upgrades c, trusting only roots, and returns the DER of the
// certificate the server showed.
func startTLS(t *testing.T, c *smtp.Client, roots []byte) []byte {
	t.Helper()
	if err := c.StartTLS(&tls.Config{ServerName: mxName, RootCAs: testenv.CertPool(t, roots)}); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	state, ok := c.TLSConnectionState()
	if !ok || len(state.PeerCertificates) == 0 {
		t.Fatal("no TLS after STARTTLS")
	}
	return state.PeerCertificates[0].Raw
}

// sendMessage sends one message with the given subject to rcpt on c.
func sendMessage(t *testing.T, c *smtp.Client, rcpt, subject string) {
	t.Helper()
	if err := c.Mail("shop@example.com"); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		t.Fatalf("RCPT: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := w.Write(message(subject, "<p>over SMTP</p>")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
}

// waitSubject waits for the event of the message with the given subject.
func (s *server) waitSubject(t *testing.T, subject string) {
	t.Helper()
	if _, _, ok := s.events.wait(10*time.Second, func(_ string, e eventLine) bool {
		return e.Email != nil && e.Email.Subject == subject
	}); !ok {
		t.Fatalf("the message %q was not delivered", subject)
	}
}

// cmdCode sends one command on c and returns the reply code.
func cmdCode(t *testing.T, c *smtp.Client, cmd string) int {
	t.Helper()
	id, err := c.Text.Cmd("%s", cmd)
	if err != nil {
		t.Fatal(err)
	}
	c.Text.StartResponse(id)
	defer c.Text.EndResponse(id)
	code, _, err := c.Text.ReadResponse(0)
	var te *textproto.Error
	if err != nil && !errors.As(err, &te) {
		t.Fatal(err)
	}
	return code
}

// der returns the DER bytes of the first PEM block in b.
func der(t *testing.T, b []byte) []byte {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM block")
	}
	return blk.Bytes
}
