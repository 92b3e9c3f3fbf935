package emailhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 parts
	"github.com/emersion/go-message/mail"
)

// Message is a parsed email with the structured data of its HTML part.
type Message struct {
	// From, To and Cc are the header addresses, display names decoded. The
	// envelope recipients (where a Bcc'd hook address appears) are not part
	// of the message: they come from the SMTP transaction.
	From []*netmail.Address
	To   []*netmail.Address
	Cc   []*netmail.Address
	// Subject is the decoded Subject header.
	Subject string
	// MessageID is the Message-ID without angle brackets; empty if absent.
	MessageID string
	// Date is the Date header; the zero time if absent or unreadable.
	Date time.Time
	// HTML and Text are the first text/html and text/plain parts that are
	// not attachments, decoded (transfer encoding and charset) to UTF-8.
	HTML string
	Text string
	// Objects and Warnings are Extract's result for HTML, plus warnings
	// about unreadable headers or charsets. A message without an HTML part
	// has no objects.
	Objects  []map[string]any
	Warnings []Warning
}

// WarnHeader reports a header or part that could not be read as declared.
const WarnHeader WarningKind = "unreadable header"

// ReadMessage parses a raw RFC 5322 message using an Extractor with default
// options (messages up to DefaultMaxMessageBytes). See (*Extractor).ReadMessage.
func ReadMessage(r io.Reader) (*Message, error) {
	x, err := shared()
	if err != nil {
		return nil, err
	}
	return x.ReadMessage(r)
}

// ReadMessage parses a raw RFC 5322 message from r, reading at most
// MaxMessageBytes (a longer message fails with ErrMessageTooLarge; it is
// never truncated). It walks multipart/alternative, /related and /mixed,
// decodes quoted-printable and base64 once, converts other charsets to
// UTF-8, and extracts the structured data of the HTML part. Input that is
// not a message (including one without header fields) fails with an error
// wrapping ErrMalformedMessage. Problems with single headers, a part's
// charset or the structured data are Warnings, not errors.
func (x *Extractor) ReadMessage(r io.Reader) (*Message, error) {
	lr := &limitedReader{r: r, n: x.maxMessage}
	tooLarge := func() error { return fmt.Errorf("%w: more than %d bytes", ErrMessageTooLarge, x.maxMessage) }
	e, err := message.Read(lr)
	msg := &Message{}
	if err != nil {
		if lr.exceeded {
			return nil, tooLarge()
		}
		if !message.IsUnknownCharset(err) || e == nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
		}
		msg.Warnings = append(msg.Warnings, Warning{Source: "message", Kind: WarnHeader, Detail: err.Error()})
	}
	if e.Header.Len() == 0 {
		return nil, fmt.Errorf("%w: no header fields", ErrMalformedMessage)
	}
	x.readHeader(&mail.Header{Header: e.Header}, msg)

	w := &partWalker{x: x, msg: msg}
	if err := w.walk(e, 0); err != nil {
		if lr.exceeded || errors.Is(err, ErrMessageTooLarge) {
			return nil, tooLarge()
		}
		return nil, err
	}
	// Whatever follows the last part still counts against the limit.
	if _, err := io.Copy(io.Discard, lr); err != nil || lr.exceeded {
		if lr.exceeded || errors.Is(err, ErrMessageTooLarge) {
			return nil, tooLarge()
		}
		return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
	}
	if msg.HTML != "" {
		res, _ := x.Extract([]byte(msg.HTML)) // problems are in res.Warnings
		msg.Objects = res.Objects
		msg.Warnings = append(msg.Warnings, res.Warnings...)
	}
	return msg, nil
}

// MaxMultipartDepth is how deeply ReadMessage descends into nested
// multipart entities. Real mail nests three or four levels; the cap keeps
// parsing linear, since every level stacks one more reader that each byte
// of a deeper part passes through. Deeper parts are skipped with a warning.
const MaxMultipartDepth = 16

// WarnTooDeepMIME reports multipart entities nested deeper than
// MaxMultipartDepth, whose parts were skipped.
const WarnTooDeepMIME WarningKind = "multipart nested too deeply"

// partWalker finds the first inline text/html and text/plain parts.
type partWalker struct {
	x                  *Extractor
	msg                *Message
	htmlSeen, textSeen bool
	deepWarned         bool
}

func (w *partWalker) walk(e *message.Entity, depth int) error {
	if mr := e.MultipartReader(); mr != nil {
		if depth >= MaxMultipartDepth {
			if !w.deepWarned {
				w.deepWarned = true
				w.msg.Warnings = append(w.msg.Warnings, Warning{Source: "message", Kind: WarnTooDeepMIME,
					Detail: fmt.Sprintf("parts below %d nested multipart levels were skipped", MaxMultipartDepth)})
			}
			return nil // the enclosing reader skips the rest of this entity
		}
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				if errors.Is(err, ErrMessageTooLarge) {
					return err
				}
				if !message.IsUnknownCharset(err) || p == nil {
					return fmt.Errorf("%w: %v", ErrMalformedMessage, err)
				}
				w.msg.Warnings = append(w.msg.Warnings, Warning{Source: "part", Kind: WarnHeader, Detail: err.Error()})
			}
			if err := w.walk(p, depth+1); err != nil {
				return err
			}
		}
	}
	if disp, _, _ := e.Header.ContentDisposition(); strings.EqualFold(disp, "attachment") {
		return nil // attachments are not read; their bytes still count
	}
	ct, _, _ := e.Header.ContentType()
	if ct == "" && depth == 0 {
		ct = "text/plain" // RFC 2045: a message without Content-Type is plain text
	}
	if !(ct == "text/html" && !w.htmlSeen) && !(ct == "text/plain" && !w.textSeen) {
		return nil
	}
	// Decoding cannot grow a part beyond a few bytes per input byte
	// (charset conversion), so this bound is generous but finite.
	body, err := readBounded(e.Body, 4*w.x.maxMessage)
	if err != nil {
		if errors.Is(err, ErrMessageTooLarge) {
			return err
		}
		return fmt.Errorf("%w: %s part: %v", ErrMalformedMessage, ct, err)
	}
	if ct == "text/html" {
		w.msg.HTML, w.htmlSeen = string(body), true
	} else {
		w.msg.Text, w.textSeen = string(body), true
	}
	return nil
}

// readHeader fills the header fields of msg, recording unreadable ones.
func (x *Extractor) readHeader(h *mail.Header, msg *Message) {
	warn := func(field string, err error) {
		msg.Warnings = append(msg.Warnings, Warning{Source: "header " + field, Kind: WarnHeader, Detail: err.Error()})
	}
	var err error
	if msg.From, err = h.AddressList("From"); err != nil {
		warn("From", err)
	}
	if msg.To, err = h.AddressList("To"); err != nil {
		warn("To", err)
	}
	if msg.Cc, err = h.AddressList("Cc"); err != nil {
		warn("Cc", err)
	}
	if msg.Subject, err = h.Subject(); err != nil {
		warn("Subject", err)
		msg.Subject = h.Get("Subject")
	}
	if msg.MessageID, err = h.MessageID(); err != nil || (msg.MessageID == "" && h.Get("Message-Id") != "") {
		// Not RFC 5322 syntax: keep what the sender wrote, minus brackets.
		msg.MessageID = strings.Trim(strings.TrimSpace(h.Get("Message-Id")), "<>")
	}
	if msg.Date, err = h.Date(); err != nil {
		warn("Date", err)
	}
}

// limitedReader reads at most n bytes from r; reading past n fails with
// ErrMessageTooLarge and sets exceeded.
type limitedReader struct {
	r        io.Reader
	n        int64
	exceeded bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.exceeded {
		return 0, ErrMessageTooLarge
	}
	if l.n <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, ErrMessageTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// readBounded reads r to the end, failing with ErrMessageTooLarge beyond max
// bytes.
func readBounded(r io.Reader, max int64) ([]byte, error) {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if n > max {
		return nil, ErrMessageTooLarge
	}
	return buf.Bytes(), nil
}
