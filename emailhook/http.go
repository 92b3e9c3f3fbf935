package emailhook

import (
	"fmt"
	"mime"
	"net/http"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// RecipientHeader names the HTTP header that gives the envelope recipient
// of a message posted to a Handler. The query parameter "recipient" may be
// used instead.
const RecipientHeader = "X-Envelope-To"

// HandlerOptions configures a Handler. The zero value works.
type HandlerOptions struct {
	// Domains lists the recipient domains accepted, as in SMTPOptions.
	Domains []string
	// MaxMessageBytes limits a message; default DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// Extractor reads messages; nil uses one with default options and
	// MaxMessageBytes.
	Extractor *Extractor
}

// Handler receives raw messages over HTTP, for hosts whose mail arrives
// through another system (an MTA pipe, a mail provider's inbound relay).
//
// The request is POST with Content-Type message/rfc822 and the whole
// message as body; the envelope recipient, which names the hook, is given
// in the X-Envelope-To header or the "recipient" query parameter (the
// message's own To and Cc are not used: a Bcc'd hook address is never in
// them). Like the SMTP backend, it takes no credential beyond the address.
// Answers are those of the HTTP hook kinds: 202 {"id":"<event id>"}, 400
// without a recipient or for an unparsable message, 404 for an unknown
// recipient, 405, 413, 415 and 503.
type Handler struct {
	p    *hooks.Pipeline
	opts HandlerOptions
	x    *Extractor
}

// NewHandler returns a Handler feeding p, and registers the email hook
// kind with p's Registry: addresses are token@Domains[0].
func NewHandler(p *hooks.Pipeline, opts HandlerOptions) (*Handler, error) {
	if p == nil {
		return nil, ErrNilPipeline
	}
	if opts.MaxMessageBytes < 0 {
		return nil, fmt.Errorf("%w: MaxMessageBytes must not be negative", ErrInvalidOptions)
	}
	if opts.MaxMessageBytes == 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if err := register(p, opts.Domains); err != nil {
		return nil, err
	}
	h := &Handler{p: p, opts: opts, x: opts.Extractor}
	if h.x == nil {
		x, err := NewExtractor(ExtractOptions{MaxMessageBytes: opts.MaxMessageBytes})
		if err != nil {
			return nil, err
		}
		h.x = x
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		intake.WriteError(w, hooks.NewError(http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "use POST"))
		return
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "message/rfc822" {
		intake.WriteError(w, hooks.NewError(http.StatusUnsupportedMediaType, errcode.UnsupportedMedia,
			"send the raw message with Content-Type: message/rfc822"))
		return
	}
	to := r.Header.Get(RecipientHeader)
	if to == "" {
		to = r.URL.Query().Get("recipient")
	}
	if to == "" {
		intake.WriteError(w, hooks.NewError(http.StatusBadRequest, CodeNoRecipient,
			"give the envelope recipient in the "+RecipientHeader+" header or the recipient parameter"))
		return
	}
	token, ok := splitRecipient(to, h.opts.Domains)
	if !ok {
		intake.WriteError(w, hooks.NewError(http.StatusNotFound, errcode.NotFound, "no such hook"))
		return
	}
	a := &hooks.Arrival{
		Kind: KindName, Token: token, Method: r.Method, Path: r.URL.Path, RemoteAddr: r.RemoteAddr,
		Header: r.Header, Body: r.Body, ContentLength: r.ContentLength, MaxBytes: h.opts.MaxMessageBytes,
	}
	d := &delivery{parsed: &parsedMessage{x: h.x}, recipients: map[string][]string{token: {to}}}
	intake.WriteResult(w, h.p.Ingest(r.Context(), a, d))
}
