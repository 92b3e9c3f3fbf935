// Package intake is the kit of a hook kind's author: what an HTTP kind's
// handler needs around the pipeline of package hooks, kept apart from the
// host's API (Registry, Keyring, Pipeline, Event, Trigger, Queue).
//
// A kind package (formhook, webhook, emailhook, or a host's own) does four
// things:
//
//  1. It registers a hooks.KindSpec with the pipeline's Registry from its
//     handler's constructor: the kind's name, its settings type (a struct
//     with JSON tags implementing hooks.Settings, validated when saved)
//     and its address, built from where its handler is mounted
//     (HTTPOptions.URL).
//  2. It implements hooks.Intake: NewSession returns one hooks.Session per
//     arrival, which authenticates the sender (before the body is read),
//     then decodes the body (hooks.DecodeBody for the HTTP media types),
//     keeping what authentication learned for decoding.
//  3. Its handler turns a request into an arrival and runs the pipeline
//     (Ingest), and answers with WriteResult (WriteError for an answer of
//     its own); errors carry their status, code (package hooks/errcode)
//     and response headers in a *hooks.Error.
//  4. Its settings reach the session through hooks.Hook.Settings, decoded
//     once per hook revision by the Registry.
//
// How new inputs slot in: a provider's inbound-mail endpoint (Mailgun,
// SendGrid, Postmark) is another handler of the email kind in emailhook,
// turning the provider's post into arrivals whose sessions decode it; a new
// media type (XML) is a case of hooks.DecodeBody that every HTTP kind gets;
// a new kind is a package with a KindSpec, a Settings type, an Intake and a
// handler, wired by the host (mux.Handle(h.Prefix(), h)). None of them
// touches package hooks' Registry, Pipeline or this package.
//
// # Security
//
// ReadLimited never returns a truncated body as a whole one, and the
// pipeline reads every body with it. TokenFromPath accepts exactly one
// path segment, so that a token cannot be smuggled through a longer path.
package intake
