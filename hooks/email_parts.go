package hooks

import (
	"bytes"
	"context"
)

// MessageParts are the parts of an email's raw message that its Event
// carries decoded: the text and HTML bodies (Email.Text and Email.HTML)
// and the attachments' contents (the Content of each of its Files, in
// order).
type MessageParts struct {
	Text, HTML  string
	Attachments [][]byte
}

// EmailParts reads MessageParts from an email's raw message, exactly as
// the email kind read them when it accepted the message: the same message
// gives the same parts. emailhook.Parts is one; see
// QueueOptions.EmailParts.
type EmailParts func(raw []byte) (*MessageParts, error)

// partsOrigin is what a kind read an email event's parts from
// (Decoded.PartsFromRaw): the raw message, and the parts it gave.
type partsOrigin struct {
	raw        []byte
	text, html string
	files      [][]byte
}

type partsOriginKey struct{}

// withPartsOrigin returns ctx carrying e's raw body and email parts as
// the kind's decoder made them, for the Delivery to check that they are
// still those (partsFromRaw).
func withPartsOrigin(ctx context.Context, e *Event) context.Context {
	o := &partsOrigin{raw: e.Raw, text: e.Email.Text, html: e.Email.HTML, files: make([][]byte, len(e.Files))}
	for i := range e.Files {
		o.files[i] = e.Files[i].Content
	}
	return context.WithValue(ctx, partsOriginKey{}, o)
}

// partsFromRaw reports whether e's email parts are what an EmailParts
// function reads from e.Raw: the kind said so when it decoded them (ctx
// carries their origin), and neither they nor Raw changed since. The
// comparisons cost nothing for the same strings and slices (equal data
// pointers and lengths), the usual case.
func partsFromRaw(ctx context.Context, e *Event) bool {
	o, ok := ctx.Value(partsOriginKey{}).(*partsOrigin)
	if !ok || e.Email == nil || e.Raw == nil || len(e.Files) != len(o.files) || !bytes.Equal(e.Raw, o.raw) ||
		e.Email.Text != o.text || e.Email.HTML != o.html {
		return false
	}
	for i := range e.Files {
		if !bytes.Equal(e.Files[i].Content, o.files[i]) {
			return false
		}
	}
	return true
}
