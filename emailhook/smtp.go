package emailhook

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// SMTPOptions configures a Backend. The zero value works.
type SMTPOptions struct {
	// Domains lists the recipient domains the backend accepts mail for,
	// compared case-insensitively. Empty accepts any domain (the local part
	// alone names the hook).
	Domains []string
	// Hostname is announced in the greeting; default "localhost".
	Hostname string
	// MaxMessageBytes limits a message; a longer one is refused with 552
	// while it is sent. Default DefaultMaxMessageBytes (25 MiB).
	MaxMessageBytes int64
	// MaxRecipients limits RCPT TO commands per message; default 50.
	MaxRecipients int
	// ReadTimeout and WriteTimeout bound each network read and write;
	// default 2 minutes each.
	ReadTimeout, WriteTimeout time.Duration
	// DeliveryTimeout bounds the delivery of one message to its hooks
	// (store and trigger); default 1 minute.
	DeliveryTimeout time.Duration
	// Extractor reads messages; nil uses one with default options and
	// MaxMessageBytes.
	Extractor *Extractor
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
	// AuthChecker, when set, checks SPF, DKIM and DMARC on every message
	// and puts the verdicts in Event.Email.Auth; nil checks nothing.
	AuthChecker *AuthChecker
	// TLSConfig, when set, turns STARTTLS on: the server advertises it in
	// its EHLO answer and upgrades the connections that ask. It needs a
	// certificate (Certificates or GetCertificate) for Hostname. Nil leaves
	// STARTTLS off and unadvertised.
	TLSConfig *tls.Config
	// RequireTLS refuses MAIL FROM on a connection that has not done
	// STARTTLS (530 5.7.0); it needs TLSConfig. Leave it off on a public
	// MX: RFC 3207 forbids requiring TLS there, and senders that cannot do
	// TLS would never get through. It suits a relay whose senders are known.
	RequireTLS bool
}

// Backend is a go-smtp Backend that receives mail for email hooks. It
// accepts RCPT TO only for existing, enabled email hooks (550 otherwise,
// decided at RCPT time, case-insensitively), routes by envelope recipients
// (a Bcc'd hook address is never in the headers), and runs the hooks
// pipeline once for each hook recipient.
//
// When some hook recipient cannot take the message now (its store or
// trigger is unavailable), DATA is answered 451 and the sender retries the
// whole message: hooks that took it already fire again unless the durable
// queue's dedup recognises its Message-ID. Mail is delivered at least once,
// never lost.
type Backend struct {
	p    *hooks.Pipeline
	opts SMTPOptions
	log  *slog.Logger
	x    *Extractor
}

var _ smtp.Backend = (*Backend)(nil)

// NewBackend returns a Backend feeding p, and registers the email hook
// kind with p's Registry: addresses are token@Domains[0].
func NewBackend(p *hooks.Pipeline, opts SMTPOptions) (*Backend, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	if opts.MaxMessageBytes < 0 || opts.MaxRecipients < 0 || opts.ReadTimeout < 0 || opts.WriteTimeout < 0 || opts.DeliveryTimeout < 0 {
		return nil, fmt.Errorf("%w: MaxMessageBytes, MaxRecipients and the timeouts must not be negative", ErrInvalidOptions)
	}
	if opts.RequireTLS && opts.TLSConfig == nil {
		return nil, fmt.Errorf("%w: RequireTLS needs a TLSConfig", ErrInvalidOptions)
	}
	if opts.Hostname == "" {
		opts.Hostname = "localhost"
	}
	if opts.MaxMessageBytes == 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.MaxRecipients == 0 {
		opts.MaxRecipients = 50
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 2 * time.Minute
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = 2 * time.Minute
	}
	if opts.DeliveryTimeout == 0 {
		opts.DeliveryTimeout = time.Minute
	}
	if err := register(p, opts.Domains); err != nil {
		return nil, err
	}
	b := &Backend{p: p, opts: opts, log: opts.Logger, x: opts.Extractor}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.x == nil {
		x, err := NewExtractor(ExtractOptions{MaxMessageBytes: opts.MaxMessageBytes})
		if err != nil {
			return nil, err
		}
		b.x = x
	}
	return b, nil
}

// NewServer returns a go-smtp server for b with the backend's limits,
// timeouts and TLS configuration applied. Start it with ListenAndServe or
// Serve(listener).
func (b *Backend) NewServer(addr string) *smtp.Server {
	s := smtp.NewServer(b)
	s.Addr = addr
	s.Domain = b.opts.Hostname
	s.TLSConfig = b.opts.TLSConfig
	s.MaxMessageBytes = b.opts.MaxMessageBytes
	s.MaxRecipients = b.opts.MaxRecipients
	s.ReadTimeout = b.opts.ReadTimeout
	s.WriteTimeout = b.opts.WriteTimeout
	s.EnableSMTPUTF8 = true
	s.ErrorLog = slogLogger{b.log}
	return s
}

// NewSession implements smtp.Backend.
func (b *Backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	remote := ""
	var ip net.IP
	if nc := c.Conn(); nc != nil {
		remote = nc.RemoteAddr().String()
		if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
			ip = ta.IP
		}
	}
	return &session{b: b, c: c, remote: remote, ip: ip}, nil
}

// session is one SMTP connection's state.
type session struct {
	b      *Backend
	c      *smtp.Conn
	remote string
	ip     net.IP // the client's, for SPF
	from   string
	rcpts  []rcpt
}

// rcpt is one hook the message goes to, as RCPT TO found it.
type rcpt struct {
	hook  *hooks.Hook
	addrs []string // the envelope addresses naming this hook
}

var (
	errNoMailbox   = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
	errTempLocal   = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Temporary failure, try again later"}
	errMalformed   = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "Message could not be parsed"}
	errLineTooLong = &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 4, 0}, Message: "Line too long"}
	errNoRcpt      = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "No valid recipients"}
	errNeedTLS     = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
)

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.b.opts.RequireTLS {
		if _, ok := s.c.TLSConnectionState(); !ok {
			return errNeedTLS
		}
	}
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	token, ok := splitRecipient(to, s.b.opts.Domains)
	if !ok {
		return errNoMailbox
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.b.opts.DeliveryTimeout)
	defer cancel()
	h, err := s.b.p.Registry().Lookup(ctx, KindName, token)
	if errors.Is(err, hooks.ErrNotFound) {
		return errNoMailbox
	}
	if err != nil {
		s.b.log.Error("inbound: smtp recipient lookup failed", "err", err)
		return errTempLocal
	}
	for i := range s.rcpts {
		if s.rcpts[i].hook.ID == h.ID {
			if !slices.Contains(s.rcpts[i].addrs, to) {
				s.rcpts[i].addrs = append(s.rcpts[i].addrs, to)
			}
			return nil
		}
	}
	// The hook is kept for DATA, which delivers to it without a second
	// lookup: a hook disabled or rotated in between still gets this
	// message, as if it had arrived a moment earlier.
	s.rcpts = append(s.rcpts, rcpt{hook: h, addrs: []string{to}})
	return nil
}

func (s *session) Data(r io.Reader) error {
	if len(s.rcpts) == 0 {
		return errNoRcpt
	}
	raw, err := intake.ReadLimited(r, s.b.opts.MaxMessageBytes)
	if errors.Is(err, intake.ErrBodyTooLarge) {
		_, _ = io.Copy(io.Discard, r) // go-smtp needs the data consumed
		return smtp.ErrDataTooLarge
	}
	if err != nil {
		var se *smtp.SMTPError
		switch {
		case errors.As(err, &se):
			return se // go-smtp's own refusal (size, ...)
		case errors.Is(err, smtp.ErrTooLongLine):
			return errLineTooLong
		}
		return errTempLocal
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.b.opts.DeliveryTimeout)
	defer cancel()
	d := &delivery{parsed: &parsedMessage{x: s.b.x}, recipients: make(map[string][]string, len(s.rcpts))}
	for _, rc := range s.rcpts {
		d.recipients[rc.hook.Token] = rc.addrs
	}
	if s.b.opts.AuthChecker != nil {
		d.auth = s.b.opts.AuthChecker.Check(ctx, s.ip, s.c.Hostname(), s.from, raw)
	}
	header := http.Header{"X-Envelope-From": {s.from}}
	var accepted, temporary, malformed, tooLarge int
	for _, rc := range s.rcpts {
		// Every hook's arrival shares raw, read once above, and the hook
		// RCPT found.
		a := &hooks.Arrival{
			Kind: KindName, Token: rc.hook.Token, Hook: rc.hook, Method: "SMTP", Path: rc.addrs[0],
			RemoteAddr: s.remote, Header: header, Raw: raw, MaxBytes: s.b.opts.MaxMessageBytes,
		}
		res := s.b.p.Ingest(ctx, a, d)
		switch {
		case res.Err == nil:
			accepted++
		case res.Status == http.StatusRequestEntityTooLarge:
			tooLarge++
		case res.Status >= 500 || res.Status == http.StatusTooManyRequests:
			temporary++
		case res.Err.Code == CodeMalformedMessage:
			malformed++
		}
	}
	switch {
	case temporary > 0:
		// Some hook could not take the message now: the sender retries the
		// whole message. A hook that took it already sees the same
		// Message-ID again, which the pipeline acknowledges without firing
		// (the queue's dedup window, or in sync mode the store's record of
		// keys); mail without a Message-ID fires such a hook again (at
		// least once, never lost).
		return errTempLocal
	case accepted > 0:
		return nil
	case tooLarge > 0:
		return smtp.ErrDataTooLarge
	case malformed > 0:
		return errMalformed
	}
	return errNoMailbox // every hook refused it (a sender policy)
}

func (s *session) Reset() {
	s.from = ""
	s.rcpts = nil
}

func (s *session) Logout() error { return nil }

// slogLogger adapts a *slog.Logger to go-smtp's Logger.
type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) {
	l.l.Warn("inbound: smtp", "msg", fmt.Sprintf(format, v...))
}

func (l slogLogger) Println(v ...any) {
	l.l.Warn("inbound: smtp", "msg", strings.TrimSuffix(fmt.Sprintln(v...), "\n"))
}
