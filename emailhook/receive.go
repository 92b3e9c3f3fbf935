package emailhook

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
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

// intake is the hooks.Intake of email hooks: no authentication beyond the
// address, and a decoder that reads the message and its structured data.
type intake struct {
	parsed     *parsedMessage
	recipients []string        // the envelope recipients that name this hook
	auth       *hooks.MailAuth // the verdicts of an AuthChecker, or nil
}

func (in *intake) Authenticate(context.Context, *hooks.Hook, *hooks.Arrival) error { return nil }

func (in *intake) Decode(_ context.Context, _ *hooks.Hook, _ *hooks.Arrival, body []byte) (*hooks.Decoded, error) {
	msg, err := in.parsed.get(body)
	switch {
	case errors.Is(err, ErrMessageTooLarge):
		return nil, &hooks.Error{Status: http.StatusRequestEntityTooLarge, Code: hooks.CodePayloadTooLarge,
			Message: "the message is larger than the limit", Err: err}
	case err != nil:
		return nil, &hooks.Error{Status: http.StatusBadRequest, Code: CodeMalformedMessage,
			Message: "the message could not be parsed as RFC 5322 mail", Err: err}
	}
	email := messageToEmail(msg, in.recipients)
	email.Auth = in.auth
	return &hooks.Decoded{
		Data:           emailData(email),
		ContentType:    "message/rfc822",
		Email:          email,
		IdempotencyKey: msg.MessageID,
	}, nil
}

func messageToEmail(msg *Message, recipients []string) *hooks.Email {
	e := &hooks.Email{
		Recipients: append([]string(nil), recipients...),
		Subject:    msg.Subject,
		MessageID:  msg.MessageID,
		Date:       msg.Date,
		Objects:    msg.Objects,
	}
	if len(msg.From) > 0 {
		e.From = msg.From[0].Address
	}
	for _, a := range msg.To {
		e.To = append(e.To, a.Address)
	}
	for _, a := range msg.Cc {
		e.Cc = append(e.Cc, a.Address)
	}
	if e.Objects == nil {
		e.Objects = []map[string]any{}
	}
	for _, w := range msg.Warnings {
		e.Warnings = append(e.Warnings, w.String())
	}
	return e
}

// emailData is the event data of an email hook: the message fields and the
// extracted objects, as JSON-compatible values, so that example data and
// field lists work as for the other kinds.
func emailData(e *hooks.Email) map[string]any {
	objs := make([]any, len(e.Objects))
	for i, o := range e.Objects {
		objs[i] = o
	}
	d := map[string]any{
		"from":       e.From,
		"to":         stringsToAny(e.To),
		"cc":         stringsToAny(e.Cc),
		"recipients": stringsToAny(e.Recipients),
		"subject":    e.Subject,
		"message_id": e.MessageID,
		"objects":    objs,
	}
	if !e.Date.IsZero() {
		d["date"] = e.Date.UTC().Format(time.RFC3339)
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
