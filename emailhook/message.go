package emailhook

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	netmail "net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // non-UTF-8 parts
	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"
)

// Message is a parsed email with the structured data of its HTML part.
type Message struct {
	// From, To and Cc are the header addresses, display names decoded. The
	// envelope recipients (where a Bcc'd hook address appears) are not part
	// of the message: they come from the SMTP transaction.
	From []*netmail.Address
	To   []*netmail.Address
	Cc   []*netmail.Address
	// ReplyTo is the Reply-To header: where the sender wants answers to go.
	ReplyTo []*netmail.Address
	// Subject is the decoded Subject header.
	Subject string
	// MessageID is the Message-ID without angle brackets; empty if absent.
	MessageID string
	// InReplyTo and References are the message IDs of the thread this
	// message answers, without angle brackets, in header order.
	InReplyTo  []string
	References []string
	// Date is the Date header; the zero time if absent or unreadable.
	Date time.Time
	// HTML and Text are the first text/html and text/plain parts that are
	// not attachments, decoded (transfer encoding and charset) to UTF-8.
	HTML string
	Text string
	// Attachments are the other leaf parts (files, inline images, further
	// text parts, forwarded messages), in message order, at most
	// MaxAttachments of them.
	Attachments []Attachment
	// Objects and Warnings are Extract's result for HTML, plus warnings
	// about unreadable headers or charsets. A message without an HTML part
	// has no objects.
	Objects  []map[string]any
	Warnings []Warning
}

// Attachment is a leaf part of a message other than its text and HTML
// bodies, decoded from its transfer encoding.
type Attachment struct {
	// Name is the file name the sender gave (Content-Disposition filename,
	// else Content-Type name), decoded, without directories; may be empty.
	Name string
	// ContentType is the part's media type with its parameters. A text part
	// is converted to UTF-8 as a body is, and its charset parameter says
	// so.
	ContentType string
	// ContentID is the Content-ID without angle brackets (what an HTML
	// body's cid: URLs name); empty if absent.
	ContentID string
	// Inline is true unless the part's disposition is "attachment".
	Inline  bool
	Content []byte
}

// MaxAttachments is how many attachments ReadMessage keeps; further ones
// are skipped with a WarnTooManyParts warning (their bytes still count
// against the message limit).
const MaxAttachments = 100

// Warning kinds of ReadMessage.
const (
	// WarnHeader reports a header or part that could not be read as declared.
	WarnHeader WarningKind = "unreadable header"
	// WarnBrokenPart reports a part that could not be read (bad base64, a
	// transfer encoding no reader knows, a body cut short); it was skipped
	// and the rest of the message kept.
	WarnBrokenPart WarningKind = "unreadable part skipped"
	// WarnTruncated reports a multipart entity that ends without its
	// closing boundary or whose parts could not be told apart; the parts
	// read before were kept.
	WarnTruncated WarningKind = "multipart body cut short"
	// WarnTooManyParts reports attachments beyond MaxAttachments, skipped.
	WarnTooManyParts WarningKind = "too many attachments"
)

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
// UTF-8, and extracts the structured data of the HTML part.
//
// It is liberal as mail readers are: only input without a readable header
// (not a message, or no header fields at all) fails, with an error
// wrapping ErrMalformedMessage. A part that cannot be read (bad base64, an
// unknown Content-Transfer-Encoding, a body cut short) is skipped, a
// multipart entity that ends early or has no usable boundary keeps the
// parts read before it, and unreadable headers, charsets or structured
// data are left out: each is a Warning, and the rest of the message is
// kept.
func (x *Extractor) ReadMessage(r io.Reader) (*Message, error) {
	return x.readMessage(r, true)
}

// readMessage is ReadMessage, which extracts the HTML part's structured
// data when extract.
func (x *Extractor) readMessage(r io.Reader, extract bool) (*Message, error) {
	lr := &limitedReader{r: r, n: x.maxMessage}
	tooLarge := func() error { return fmt.Errorf("%w: more than %d bytes", ErrMessageTooLarge, x.maxMessage) }
	e, err := readEntity(lr)
	msg := &Message{}
	if err != nil {
		if lr.exceeded {
			return nil, tooLarge()
		}
		if e == nil || !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return nil, fmt.Errorf("%w: %v", ErrMalformedMessage, err)
		}
	}
	if e.Header.Len() == 0 {
		return nil, fmt.Errorf("%w: no header fields", ErrMalformedMessage)
	}
	x.readHeader(&mail.Header{Header: e.Header}, msg)

	w := &partWalker{x: x, msg: msg}
	defer w.release()
	if err := w.walk(e, err, "message", 0); err != nil {
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
	if extract && msg.HTML != "" {
		res, _ := x.Extract(w.html.Bytes()) // problems are in res.Warnings
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

// partWalker finds the first inline text/html and text/plain parts and
// collects the other leaf parts as attachments.
type partWalker struct {
	x                  *Extractor
	msg                *Message
	html               *bytes.Buffer // msg.HTML's bytes, for Extract; from bodyBufs
	htmlSeen, textSeen bool
	deepWarned         bool
	manyWarned         bool
}

func (w *partWalker) warn(source string, kind WarningKind, detail string) {
	w.msg.Warnings = append(w.msg.Warnings, Warning{Source: source, Kind: kind, Detail: detail})
}

// walk reads entity e, which go-message built with error newErr (an
// unknown charset or transfer encoding, or nil). source names e in
// warnings ("message", "part 2.1"). Only ErrMessageTooLarge is returned:
// everything else that goes wrong inside the message is a warning.
func (w *partWalker) walk(e *message.Entity, newErr error, source string, depth int) error {
	ct, params, _ := e.Header.ContentType()
	if strings.HasPrefix(ct, "multipart/") {
		if depth >= MaxMultipartDepth {
			if !w.deepWarned {
				w.deepWarned = true
				w.warn("message", WarnTooDeepMIME, fmt.Sprintf("parts below %d nested multipart levels were skipped", MaxMultipartDepth))
			}
			return nil // the enclosing reader skips the rest of this entity
		}
		mr := textproto.NewMultipartReader(e.Body, params["boundary"])
		for n := 1; ; n++ {
			p, err := nextPart(mr)
			if err == io.EOF {
				return nil
			}
			if errors.Is(err, ErrMessageTooLarge) {
				return err
			}
			if err != nil && (p == nil || !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err)) {
				// The parts cannot be told apart any further: keep those
				// read so far. The enclosing reader skips to its boundary.
				w.warn(source, WarnTruncated, err.Error())
				return nil
			}
			if err := w.walk(p, err, fmt.Sprintf("%s part %d", source, n), depth+1); err != nil {
				return err
			}
		}
	}
	if ct == "" && depth == 0 {
		ct = "text/plain" // RFC 2045: a message without Content-Type is plain text
	}
	if message.IsUnknownEncoding(newErr) {
		w.warn(source, WarnBrokenPart, newErr.Error())
		return nil
	}
	if newErr != nil { // an unknown charset: the bytes are kept as they are
		w.warn(source, WarnHeader, newErr.Error())
	}
	disp, _, _ := e.Header.ContentDisposition()
	attachment := strings.EqualFold(disp, "attachment")
	body := !attachment && (ct == "text/html" && !w.htmlSeen || ct == "text/plain" && !w.textSeen)
	if !body && len(w.msg.Attachments) >= MaxAttachments {
		if !w.manyWarned {
			w.manyWarned = true
			w.warn("message", WarnTooManyParts, fmt.Sprintf("parts after the first %d attachments were skipped", MaxAttachments))
		}
		return nil // the enclosing reader skips its bytes, which still count
	}
	// Decoding cannot grow a part beyond a few bytes per input byte
	// (charset conversion), so this bound is generous but finite.
	buf := bodyBufs.Get().(*bytes.Buffer)
	if err := readBounded(buf, e.Body, 4*w.x.maxMessage); err != nil {
		putBodyBuf(buf)
		if errors.Is(err, ErrMessageTooLarge) {
			return err
		}
		w.warn(source, WarnBrokenPart, err.Error())
		return nil
	}
	switch {
	case body && ct == "text/html":
		w.msg.HTML, w.htmlSeen, w.html = buf.String(), true, buf
		return nil // buf is released after Extract
	case body:
		w.msg.Text, w.textSeen = buf.String(), true
	default:
		// Never nil, even empty, whatever the pooled buffer held: the
		// same message always gives the same attachments (Parts).
		content := append([]byte{}, buf.Bytes()...)
		w.msg.Attachments = append(w.msg.Attachments, newAttachment(e, ct, params, !attachment, newErr == nil, content))
	}
	putBodyBuf(buf)
	return nil
}

// release returns the walker's buffer to bodyBufs.
func (w *partWalker) release() {
	if w.html != nil {
		putBodyBuf(w.html)
		w.html = nil
	}
}

// newAttachment describes leaf part e. converted says whether go-message
// converted a text part's charset to UTF-8.
func newAttachment(e *message.Entity, ct string, params map[string]string, inline, converted bool, content []byte) Attachment {
	ah := mail.AttachmentHeader{Header: e.Header}
	name, _ := ah.Filename()
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "." || name == ".." {
		name = ""
	}
	if ct == "" {
		ct = "text/plain"
	}
	if _, ok := params["charset"]; ok && converted && strings.HasPrefix(ct, "text/") {
		params["charset"] = "utf-8"
	}
	full := mime.FormatMediaType(ct, params)
	if full == "" {
		full = ct
	}
	return Attachment{
		Name: name, ContentType: full, Inline: inline, Content: content,
		ContentID: strings.Trim(strings.TrimSpace(e.Header.Get("Content-Id")), "<>"),
	}
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
	if msg.ReplyTo, err = h.AddressList("Reply-To"); err != nil {
		warn("Reply-To", err)
	}
	if msg.InReplyTo, err = h.MsgIDList("In-Reply-To"); err != nil {
		warn("In-Reply-To", err)
	}
	if msg.References, err = h.MsgIDList("References"); err != nil {
		warn("References", err)
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

// readBounded reads r to the end into buf, failing with ErrMessageTooLarge
// beyond max bytes.
func readBounded(buf *bytes.Buffer, r io.Reader, max int64) error {
	n, err := io.Copy(buf, io.LimitReader(r, max+1))
	if err != nil {
		return err
	}
	if n > max {
		return ErrMessageTooLarge
	}
	return nil
}

// bodyBufs holds the buffers that part bodies are decoded into before they
// are copied out (into the string of a body, or the exact-size Content of an
// attachment), so that a message's parts do not grow new buffers each.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBodyBuf is the largest buffer bodyBufs keeps: a rare huge part
// should not stay in memory.
const maxPooledBodyBuf = 1 << 20

func putBodyBuf(b *bytes.Buffer) {
	if b.Cap() > maxPooledBodyBuf {
		return
	}
	b.Reset()
	bodyBufs.Put(b)
}
