package emailhook

import (
	"crypto/tls"
	"errors"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/internal/testenv"
)

// serverTLS returns a server TLS config with a new self-signed certificate
// for mx.in.example.com, and a client config that trusts it.
func serverTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	certPEM, keyPEM := testenv.Certificate(t, "mx.in.example.com")
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}},
		&tls.Config{ServerName: "mx.in.example.com", RootCAs: testenv.CertPool(t, certPEM)}
}

func TestSMTPStartTLS(t *testing.T) {
	env := newEmailEnv(t)
	srvTLS, cliTLS := serverTLS(t)
	addr := startSMTP(t, env.p, SMTPOptions{Hostname: "mx.in.example.com", TLSConfig: srvTLS})
	hookAddr := env.reg.Address(env.hook)

	c := dialSMTP(t, addr)
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("EHLO: STARTTLS not advertised by a server with a TLSConfig")
	}
	if err := c.StartTLS(cliTLS); err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	state, ok := c.TLSConnectionState()
	if !ok || !state.HandshakeComplete {
		t.Fatal("no TLS after STARTTLS")
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS advertised again on a TLS connection")
	}
	sendOn(t, c, "shop@example.net", hookAddr, orderMessage("customer@example.org"))
	evs := env.trig.all()
	if len(evs) != 1 || evs[0].Email == nil || evs[0].Email.Subject != "Your order 1234" {
		t.Fatalf("events after a delivery over TLS: got %d, want the order", len(evs))
	}

	// A client that does not trust the certificate fails its handshake;
	// the server goes on serving.
	bad := dialSMTP(t, addr)
	if err := bad.StartTLS(&tls.Config{ServerName: "mx.in.example.com"}); err == nil {
		t.Fatal("STARTTLS with an untrusted certificate: got no error")
	}
	again := dialSMTP(t, addr)
	if err := again.StartTLS(cliTLS); err != nil {
		t.Fatalf("STARTTLS after a failed handshake: %v", err)
	}
	sendOn(t, again, "shop@example.net", hookAddr, orderMessage("customer@example.org"))
	if n := len(env.trig.all()); n != 2 {
		t.Fatalf("events: got %d, want 2", n)
	}
}

func TestSMTPPlaintextDoesNotOfferTLS(t *testing.T) {
	env := newEmailEnv(t)
	addr := startSMTP(t, env.p, SMTPOptions{})
	c := dialSMTP(t, addr)
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Fatal("EHLO: STARTTLS advertised by a server without a TLSConfig")
	}
	id, err := c.Text.Cmd("STARTTLS")
	if err != nil {
		t.Fatal(err)
	}
	c.Text.StartResponse(id)
	_, _, err = c.Text.ReadResponse(220)
	c.Text.EndResponse(id)
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 502 {
		t.Fatalf("STARTTLS on a plaintext server: got %v, want 502", err)
	}
	// The plaintext server still takes mail.
	sendOn(t, c, "shop@example.net", env.reg.Address(env.hook), orderMessage("x@example.org"))
}

func TestSMTPRequireTLS(t *testing.T) {
	env := newEmailEnv(t)
	if _, err := NewBackend(env.p, SMTPOptions{Domains: []string{"in.example.com"}, RequireTLS: true}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("RequireTLS without a TLSConfig: got %v, want ErrInvalidOptions", err)
	}
	srvTLS, cliTLS := serverTLS(t)
	addr := startSMTP(t, env.p, SMTPOptions{TLSConfig: srvTLS, RequireTLS: true})
	c := dialSMTP(t, addr)
	err := c.Mail("shop@example.net")
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 530 {
		t.Fatalf("MAIL before STARTTLS: got %v, want 530", err)
	}
	if err := c.StartTLS(cliTLS); err != nil {
		t.Fatal(err)
	}
	sendOn(t, c, "shop@example.net", env.reg.Address(env.hook), orderMessage("x@example.org"))
	if n := len(env.trig.all()); n != 1 {
		t.Fatalf("events: got %d, want 1", n)
	}
}

// sendOn sends one message on an open client.
func sendOn(t *testing.T, c *smtp.Client, from, to, msg string) {
	t.Helper()
	if err := c.Mail(from); err != nil {
		t.Fatalf("MAIL: %v", err)
	}
	if err := c.Rcpt(to); err != nil {
		t.Fatalf("RCPT: %v", err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatalf("DATA: %v", err)
	}
	if _, err := strings.NewReader(msg).WriteTo(w); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("end of DATA: %v", err)
	}
}

// addrConn reports another client address, as the connections of a
// PROXY-protocol listener do.
type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// addrListener wraps a listener whose connections report remote.
type addrListener struct {
	net.Listener
	remote net.Addr
}

func (l addrListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return addrConn{c, l.remote}, nil
}

// TestSMTPRemoteAddrFromListener checks that the client address of an
// event is the one the listener's connection reports: a host behind a
// proxy can serve on a listener that reads the PROXY protocol (go-smtp has
// no support of its own) and get the sender's address.
func TestSMTPRemoteAddrFromListener(t *testing.T) {
	env := newEmailEnv(t)
	b, err := NewBackend(env.p, SMTPOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := b.NewServer(ln.Addr().String())
	sender := &net.TCPAddr{IP: net.ParseIP("203.0.113.9"), Port: 41000}
	go func() { _ = srv.Serve(addrListener{ln, sender}) }()
	t.Cleanup(func() { srv.Close() })
	if err := smtp.SendMail(ln.Addr().String(), nil, "shop@example.net", []string{env.reg.Address(env.hook)},
		[]byte(orderMessage("x@example.org"))); err != nil {
		t.Fatal(err)
	}
	if evs := env.trig.all(); len(evs) != 1 || evs[0].RemoteAddr != sender.String() {
		t.Fatalf("events: got %+v, want one from %s", evs, sender)
	}
}
