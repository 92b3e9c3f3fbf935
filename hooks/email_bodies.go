package hooks

import (
	"bytes"
	"context"
)

// EmailBodies reads an email's text and HTML bodies from its raw message,
// exactly as the email kind read them when it accepted the message: the
// same message gives the same bodies. emailhook.Bodies is one; see
// QueueOptions.EmailBodies.
type EmailBodies func(raw []byte) (text, html string, err error)

// bodiesOrigin is what a kind read an email event's bodies from
// (Decoded.BodiesFromRaw): the raw message, and the bodies it gave.
type bodiesOrigin struct {
	raw        []byte
	text, html string
}

type bodiesOriginKey struct{}

// withBodiesOrigin returns ctx carrying e's raw body and email bodies as
// the kind's decoder made them, for the Delivery to check that they are
// still those (bodiesFromRaw).
func withBodiesOrigin(ctx context.Context, e *Event) context.Context {
	return context.WithValue(ctx, bodiesOriginKey{}, &bodiesOrigin{raw: e.Raw, text: e.Email.Text, html: e.Email.HTML})
}

// bodiesFromRaw reports whether e's email bodies are what an EmailBodies
// function reads from e.Raw: the kind said so when it decoded them (ctx
// carries their origin), and neither they nor Raw changed since. The
// comparisons cost nothing for the same strings and bytes (equal data
// pointers and lengths), the usual case.
func bodiesFromRaw(ctx context.Context, e *Event) bool {
	o, ok := ctx.Value(bodiesOriginKey{}).(*bodiesOrigin)
	return ok && e.Email != nil && e.Raw != nil && bytes.Equal(e.Raw, o.raw) &&
		e.Email.Text == o.text && e.Email.HTML == o.html
}
