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
const WarnHeader Kind = "unreadable header"

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
	mr, err := mail.CreateReader(lr)
	msg := &Message{}
	if err != nil {
		if lr.exceeded {
			return nil, fmt.Errorf("%w: more than %d bytes", ErrMessageTooLarge, x.maxMessage)
		}
		if !message.IsUnknownCharset(err) || mr == nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
		}
		msg.Warnings = append(msg.Warnings, Warning{Source: "message", Kind: WarnHeader, Detail: err.Error()})
	}
	defer mr.Close()
	if mr.Header.Len() == 0 {
		return nil, fmt.Errorf("%w: no header fields", ErrMalformedMessage)
	}
	x.readHeader(&mr.Header, msg)

	var htmlSeen, textSeen bool
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if lr.exceeded {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrMessageTooLarge, x.maxMessage)
			}
			if !message.IsUnknownCharset(err) || p == nil {
				return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
			}
			msg.Warnings = append(msg.Warnings, Warning{Source: "part", Kind: WarnHeader, Detail: err.Error()})
		}
		h, inline := p.Header.(*mail.InlineHeader)
		if !inline {
			continue // attachments are not read; their bytes still count
		}
		ct, _, _ := h.ContentType()
		want := (ct == "text/html" && !htmlSeen) || (ct == "text/plain" && !textSeen)
		if !want {
			continue
		}
		// Decoding cannot grow a part beyond a few bytes per input byte
		// (charset conversion), so this bound is generous but finite.
		body, err := readBounded(p.Body, 4*x.maxMessage)
		if err != nil {
			if lr.exceeded || errors.Is(err, ErrMessageTooLarge) {
				return nil, fmt.Errorf("%w: more than %d bytes", ErrMessageTooLarge, x.maxMessage)
			}
			return nil, fmt.Errorf("%w: %s part: %v", ErrMalformedMessage, ct, err)
		}
		if ct == "text/html" {
			msg.HTML, htmlSeen = string(body), true
		} else {
			msg.Text, textSeen = string(body), true
		}
	}
	if lr.exceeded {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrMessageTooLarge, x.maxMessage)
	}
	if msg.HTML != "" {
		res, _ := x.Extract([]byte(msg.HTML)) // problems are in res.Warnings
		msg.Objects = res.Objects
		msg.Warnings = append(msg.Warnings, res.Warnings...)
	}
	return msg, nil
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
