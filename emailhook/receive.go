package emailhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	netmail "net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
)

// Error codes of email hook answers, beside those of package hooks.
const (
	CodeMalformedMessage = "malformed_message"
	CodeNoRecipient      = "recipient_required"
)

// splitRecipient returns the hook token of an envelope recipient such as
// "Token+tag@in.example.com": the local part without any "+tag", checked
// against domains (case-insensitively; empty domains accepts any). It
// returns false when the address is not one of ours.
// maxEmailBodyBytes caps hooks.Email.Text and HTML: a longer body is cut
// there (at a character boundary) and BodiesTruncated is set.
const maxEmailBodyBytes = 256 << 10

func splitRecipient(addr string, domains []string) (string, bool) {
	addr = strings.TrimSpace(addr)
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "<"), ">")
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", false
	}
	local, domain := addr[:at], strings.TrimSuffix(addr[at+1:], ".")
	if len(domains) > 0 {
		ok := false
		for _, d := range domains {
			if strings.EqualFold(d, domain) {
				ok = true
				break
			}
		}
		if !ok {
			return "", false
		}
	}
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return strings.ToLower(local), local != ""
}

// parsedMessage parses one raw message once, however many hook recipients
// it goes to.
type parsedMessage struct {
	x    *Extractor
	once sync.Once
	msg  *Message
	err  error
}

func (p *parsedMessage) get(body []byte) (*Message, error) {
	p.once.Do(func() { p.msg, p.err = p.x.ReadMessage(bytes.NewReader(body)) })
	return p.msg, p.err
}

// delivery is the hooks.Intake of one message: the message is parsed
// once, however many hook recipients it goes to, and NewSession gives each
// hook's arrival its own session, as for the other kinds.
type delivery struct {
	parsed     *parsedMessage
	recipients map[string][]string // hook token -> the envelope addresses naming it
	auth       *hooks.MailAuth     // the verdicts of an AuthChecker, or nil
}

// NewSession returns the state of the message's arrival at one hook.
func (d *delivery) NewSession(h *hooks.Hook, a *hooks.Arrival) hooks.Session {
	return &hookSession{parsed: d.parsed, recipients: d.recipients[a.Token], auth: d.auth, policy: settingsOf(h).SenderPolicy}
}

// hookSession is one message's arrival at one email hook: no authentication
// beyond the address, and a decoder that reads the message and its
// structured data.
type hookSession struct {
	parsed     *parsedMessage
	recipients []string        // the envelope recipients that name this hook
	auth       *hooks.MailAuth // the verdicts of an AuthChecker, or nil
	policy     *SenderPolicy   // the hook's, or nil
}

func (*hookSession) Authenticate(context.Context) error { return nil }

func (s *hookSession) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	msg, err := s.parsed.get(body)
	switch {
	case errors.Is(err, ErrMessageTooLarge):
		return nil, &hooks.Error{Status: http.StatusRequestEntityTooLarge, Code: errcode.PayloadTooLarge,
			Message: "the message is larger than the limit", Err: err}
	case err != nil:
		return nil, &hooks.Error{Status: http.StatusBadRequest, Code: CodeMalformedMessage,
			Message: "the message could not be parsed as RFC 5322 mail", Err: err}
	}
	email, files := messageToEmail(msg, s.recipients)
	email.Auth = s.auth
	if p := s.policy; p != nil && (p.Mode == PolicyFlag || p.Mode == PolicyReject) {
		email.Sender = p.Check(email)
		if !email.Sender.Allowed && p.Mode == PolicyReject {
			return nil, &hooks.Error{Status: http.StatusForbidden, Code: CodeSenderNotAllowed,
				Message: "the sender is not allowed to send to this address: " + email.Sender.Reason}
		}
	}
	return &hooks.Decoded{
		Data:           emailData(email),
		ContentType:    "message/rfc822",
		Email:          email,
		Files:          files,
		IdempotencyKey: msg.MessageID,
		PartsFromRaw:   true, // see Parts
	}, nil
}

// Parts reads from the raw message raw, exactly as an email hook does when
// it accepts the message, the parts its event carries decoded: the text
// and HTML bodies (hooks.Email's Text and HTML, decoded to UTF-8 and each
// cut at 256 KiB) and the attachments' contents (the event's Files), but
// not the structured data. It is a hooks.EmailParts: set as
// hooks.QueueOptions.EmailParts, it lets a queue store an email's message
// once, not its decoded parts beside it, and read them again from the
// message on the rare read back. A message an email hook accepted always
// reads: its size is not limited here.
func Parts(raw []byte) (*hooks.MessageParts, error) {
	x := &Extractor{maxMessage: max(int64(len(raw))+1, DefaultMaxMessageBytes)}
	msg, err := x.readMessage(bytes.NewReader(raw), false)
	if err != nil {
		return nil, err
	}
	p := &hooks.MessageParts{Attachments: make([][]byte, len(msg.Attachments))}
	p.Text, _ = capText(msg.Text, maxEmailBodyBytes)
	p.HTML, _ = capText(msg.HTML, maxEmailBodyBytes)
	for i, a := range msg.Attachments {
		p.Attachments[i] = a.Content
	}
	return p, nil
}

// messageToEmail returns the Email of an event for msg and its attachments
// as the event's Files.
func messageToEmail(msg *Message, recipients []string) (*hooks.Email, []hooks.File) {
	e := &hooks.Email{
		Recipients: append([]string(nil), recipients...),
		Subject:    msg.Subject,
		MessageID:  msg.MessageID,
		InReplyTo:  msg.InReplyTo,
		References: msg.References,
		Date:       msg.Date,
		To:         addresses(msg.To),
		Cc:         addresses(msg.Cc),
		ReplyTo:    addresses(msg.ReplyTo),
		Objects:    msg.Objects,
	}
	if e.Objects == nil {
		e.Objects = []map[string]any{}
	}
	if len(msg.From) > 0 {
		e.From, e.FromName = msg.From[0].Address, msg.From[0].Name
	}
	var cut bool
	e.Text, cut = capText(msg.Text, maxEmailBodyBytes)
	e.BodiesTruncated = cut
	e.HTML, cut = capText(msg.HTML, maxEmailBodyBytes)
	e.BodiesTruncated = e.BodiesTruncated || cut
	for _, w := range msg.Warnings {
		e.Warnings = append(e.Warnings, w.String())
	}
	var files []hooks.File
	for _, a := range msg.Attachments {
		sum := sha256.Sum256(a.Content)
		files = append(files, hooks.File{
			Field: AttachmentsField, Name: a.Name, ContentType: a.ContentType, Size: int64(len(a.Content)),
			SHA256: hex.EncodeToString(sum[:]), ContentID: a.ContentID, Inline: a.Inline, Content: a.Content,
		})
	}
	return e, files
}

// AttachmentsField is the Field of the Files that carry an email's
// attachments, and the name they bind to (hooks.Bind).
const AttachmentsField = "attachments"

func addresses(as []*netmail.Address) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Address)
	}
	return out
}

// capText returns s cut to at most max bytes at a character boundary, and
// whether it was cut.
func capText(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	s = s[:max]
	// Drop the bytes of a character the cut split (at most UTFMax-1).
	for i := 0; i < utf8.UTFMax-1 && len(s) > 0; i++ {
		if r, size := utf8.DecodeLastRuneInString(s); r != utf8.RuneError || size != 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s, true
}

// emailData is the event data of an email hook: the header fields as
// JSON-compatible values, so that example data and field lists work as for
// the other kinds. The objects and bodies are in the Email alone, not
// copied here.
func emailData(e *hooks.Email) map[string]any {
	d := map[string]any{
		"from":       e.From,
		"to":         stringsToAny(e.To),
		"cc":         stringsToAny(e.Cc),
		"recipients": stringsToAny(e.Recipients),
		"subject":    e.Subject,
		"message_id": e.MessageID,
	}
	if e.FromName != "" {
		d["from_name"] = e.FromName
	}
	if len(e.ReplyTo) > 0 {
		d["reply_to"] = stringsToAny(e.ReplyTo)
	}
	if len(e.InReplyTo) > 0 {
		d["in_reply_to"] = stringsToAny(e.InReplyTo)
	}
	if len(e.References) > 0 {
		d["references"] = stringsToAny(e.References)
	}
	if !e.Date.IsZero() {
		d["date"] = e.Date.UTC().Format(time.RFC3339)
	}
	if len(e.Warnings) > 0 {
		// Also here so that the debug log, which keeps Data, shows what
		// was skipped.
		d["warnings"] = stringsToAny(e.Warnings)
	}
	return d
}

func stringsToAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
