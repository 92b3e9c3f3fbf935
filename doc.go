// Package inbound is the short way to mount the library in a Go server:
// New builds, over one store, the hook Registry, the API-key Keyring, the
// ingest Pipeline and the form hook and webhook handlers (and, when asked,
// the email hook's HTTP handler), and returns one http.Handler that
// answers all of them under one prefix ("/hooks/" by default):
//
//	in, err := inbound.New(st, inbound.Options{BaseURL: "https://example.com", Trigger: trigger})
//	...
//	mux.Handle(in.Prefix(), in)
//	h, _, err := in.Registry().Ensure(ctx, "", "contact", hooks.HookSpec{Name: "Contact", Kind: formhook.KindName})
//	fmt.Println(in.Registry().Address(h)) // https://example.com/hooks/form/<token>
//
// The addresses the Registry gives (and the admin API shows) are made of
// where the kind handlers answer, so they follow Options.Prefix,
// Options.Form.Prefix and Options.Web.Prefix.
//
// Each arrival becomes a hooks.Event handed to the host's hooks.Trigger:
// before the sender is answered (Options.Trigger), or through a durable
// hooks.Queue (Options.Delivery) that the host starts and shuts down.
//
// What New builds is reachable for the rest of the wiring: Registry and
// Keyring for package admin (admin.New(in.Registry(), in.Keyring(), ...)),
// Pipeline for an SMTP listener (emailhook.NewBackend) or a mail
// provider's handler. A host that needs a piece New does not offer builds
// it from packages hooks, formhook, webhook and emailhook directly, as
// examples/server does: New only calls their constructors.
//
// # Security
//
// Form hook addresses are public; webhooks need an API key with the
// hooks.RoleHooks role (Keyring.Create). Every answer outside the kinds'
// paths is the JSON 404 of an unknown hook, so the Handler tells nothing
// of what else is mounted.
package inbound
