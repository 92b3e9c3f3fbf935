package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/pem"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/internal/testenv"
)

const mxName = "mx.in.localhost"

// emailHookAddr returns the address of the seeded email hook, waiting for
// the seeding that serveOn does as it starts.
func emailHookAddr(t *testing.T, s *server) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		hs, err := s.reg.List(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			if h.Kind == emailhook.KindName {
				return s.reg.Address(h)
			}
		}
	}
	t.Fatal("no seeded email hook")
	return ""
}

// greeting returns the first line the SMTP server at addr sends.
func greeting(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	return line
}

// sendTLS delivers msg to rcpt over STARTTLS with a client trusting
// roots, and returns the certificate the server showed.
func sendTLS(t *testing.T, addr string, roots []byte, rcpt, msg string) []byte {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("EHLO: no STARTTLS")
	}
	if err := c.StartTLS(&tls.Config{ServerName: mxName, RootCAs: testenv.CertPool(t, roots)}); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	state, _ := c.TLSConnectionState()
	if err := c.Mail("shop@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
	_ = c.Quit()
	return state.PeerCertificates[0].Raw
}

// touch moves the modification times of files forward by d, so that a
// rewrite within the file system's time granularity is still seen.
func touch(t *testing.T, d time.Duration, files ...string) {
	t.Helper()
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(f, time.Time{}, fi.ModTime().Add(d)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSMTPStartTLSFlags(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, certPEM := testenv.CertificateFiles(t, dir, mxName)
	s, _, smtpAddr, stdout, stderr := startServerWith(t, "sync", func(c *config) {
		c.SMTP.TLSCert, c.SMTP.TLSKey = certFile, keyFile
	})
	rcpt := emailHookAddr(t, s)
	msg := "From: shop@example.net\r\nTo: x@example.org\r\nSubject: Over TLS\r\nMessage-ID: <tls-1@example.net>\r\n\r\nHello\r\n"

	// The greeting names the certificate's host when -smtp-hostname is unset.
	if g := greeting(t, smtpAddr); !strings.HasPrefix(g, "220 "+mxName+" ") {
		t.Errorf("greeting: got %q, want it to name %s", g, mxName)
	}
	if !strings.Contains(stderr.String(), "STARTTLS with "+certFile) {
		t.Errorf("the banner does not say STARTTLS is on:\n%s", stderr.String())
	}
	sendTLS(t, smtpAddr, certPEM, rcpt, msg)
	if lines := waitLines(t, stdout, 1); len(lines) != 1 || lines[0].Email == nil || lines[0].Email.Subject != "Over TLS" {
		t.Fatalf("event lines: got %+v, want the message sent over TLS", lines)
	}

	// A renewal replaces the files: the next connection gets the new
	// certificate, without a restart.
	_, _, renewed := testenv.CertificateFiles(t, dir, mxName)
	touch(t, time.Minute, certFile, keyFile)
	got := sendTLS(t, smtpAddr, renewed, rcpt, strings.Replace(msg, "tls-1", "tls-2", 1))
	if want := pemDER(t, renewed); !bytes.Equal(got, want) {
		t.Fatal("after the renewal the server still shows the old certificate")
	}
	if !strings.Contains(stderr.String(), "SMTP TLS certificate reloaded") {
		t.Errorf("no reload logged:\n%s", stderr.String())
	}

	// A change that does not load (a key half-written) keeps the
	// certificate in use and is logged.
	if err := os.WriteFile(keyFile, []byte("-----BEGIN PRIVATE KEY-----\ntruncated"), 0o600); err != nil {
		t.Fatal(err)
	}
	touch(t, 2*time.Minute, keyFile)
	for i := range 2 { // logged once, however many handshakes see it
		got = sendTLS(t, smtpAddr, renewed, rcpt, strings.Replace(msg, "tls-1", "tls-bad-"+string(rune('a'+i)), 1))
		if !bytes.Equal(got, pemDER(t, renewed)) {
			t.Fatal("a broken renewal replaced the certificate in use")
		}
	}
	if n := strings.Count(stderr.String(), "does not load"); n != 1 {
		t.Errorf("broken renewal logged %d times, want once:\n%s", n, stderr.String())
	}
	if lines := waitLines(t, stdout, 4); len(lines) != 4 {
		t.Fatalf("event lines: got %d, want 4", len(lines))
	}
}

// pemDER returns the DER bytes of the first PEM block in b.
func pemDER(t *testing.T, b []byte) []byte {
	t.Helper()
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM block")
	}
	return blk.Bytes
}

func TestSMTPTLSFlagErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := testenv.CertificateFiles(t, dir, mxName)
	otherDir := filepath.Join(dir, "other")
	if err := os.Mkdir(otherDir, 0o700); err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := testenv.CertificateFiles(t, otherDir, mxName)
	missing := filepath.Join(dir, "no-such-cert.pem")
	tests := []struct {
		name string
		args []string
		want []string // in the error
	}{
		{"missing cert", []string{"-smtp-tls-cert", missing, "-smtp-tls-key", keyFile}, []string{"-smtp-tls-cert", missing, "no such file"}},
		{"missing key", []string{"-smtp-tls-cert", certFile, "-smtp-tls-key", missing}, []string{"-smtp-tls-key", missing}},
		{"key of another certificate", []string{"-smtp-tls-cert", certFile, "-smtp-tls-key", otherKey}, []string{"-smtp-tls-cert", certFile, "private key does not match"}},
		{"key as cert", []string{"-smtp-tls-cert", keyFile, "-smtp-tls-key", keyFile}, []string{"-smtp-tls-cert", keyFile}},
		{"cert alone", []string{"-smtp-tls-cert", certFile}, []string{"go together"}},
		{"key alone", []string{"-smtp-tls-key", keyFile}, []string{"go together"}},
		{"require without cert", []string{"-smtp-require-tls"}, []string{"-smtp-require-tls needs"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-addr", "127.0.0.1:0", "-smtp-addr", "127.0.0.1:0", "-seed=false",
				"-data", filepath.Join(dir, "db"+string(rune('a'+i)))}, tt.args...)
			var stderr bytes.Buffer
			err := run(context.Background(), args, nil, &stderr, func(string) string { return "" })
			if err == nil {
				t.Fatal("the server started, want a startup error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if got := exitStatus(err, &stderr); got != 1 {
				t.Errorf("exit status %d, want 1", got)
			}
		})
	}
}
