// Package admin is the JSON admin API of inbound, with a small embedded
// HTML page, that a host mounts on its mux:
//
//	h, err := admin.New(reg, keys, debugLog, admin.Options{Authorizer: admin.BearerToken(token)})
//	mux.Handle("/admin/", h)
//
// The API (paths under Options.Prefix, "/admin" by default):
//
//	POST   /admin/hooks                    {"name","description","type","settings"} -> 201 hook
//	GET    /admin/hooks                    -> {"hooks":[hook...]}
//	GET    /admin/hooks/{id}               -> hook
//	PATCH  /admin/hooks/{id}               {"name","description","debug","disabled","example_data","settings"} -> hook
//	DELETE /admin/hooks/{id}               -> 204 (its debug entries go with it)
//	POST   /admin/hooks/{id}/rotate        -> hook with its new address; the old one answers 404
//	GET    /admin/hooks/{id}/debug-logs    -> {"entries":[entry...]}, newest first
//	POST   /admin/hooks/{id}/example-data  {"from_debug_entry":"<entry id>"} or {"data":...} -> hook
//	GET    /admin/hooks/{id}/fields        -> {"fields":[{"path","type"}...]}
//	POST   /admin/keys                     {"name","roles"} -> 201 {"id","name","roles","key","created_at"}
//	GET    /admin/keys                     -> {"keys":[...]} (never the key itself)
//	DELETE /admin/keys/{id}                -> 204
//	GET    /admin/events?state=dead&limit=N -> {"events":[...]} (with Options.Events; state defaults to dead)
//	GET    /admin/events/{id}              -> the event's delivery status and content
//	POST   /admin/events/{id}/replay       -> 202 status; 409 not_dead unless the event is dead
//	GET    /admin/                         the admin page (HTML; it asks for the token)
//
// A hook is {"id","type","name","description","address","debug","disabled",
// "example_data","settings","created_at","updated_at"}. "type" is a kind
// registered with the Registry (the kind handlers the host built register
// theirs: "form", "web", "email"), and "address" comes from that kind,
// under the prefix its handler is mounted at. "settings" is the JSON of
// the kind's settings type (formhook.Settings, webhook.Settings, ...); a
// PATCH's "settings" object changes the members it gives and keeps the
// others, inside the Registry's compare-and-swap, so that concurrent
// PATCHes of different settings all stay. Entries are
// debuglog.Entry values. Errors use the shape of every inbound answer,
// {"error":{"code","message"}} (intake.WriteError): 400 for malformed JSON,
// unknown fields or an invalid field, 401 for a missing or wrong
// credential, 404 for an unknown id, 405 for a wrong method, 413 for a
// body over Options.MaxBodyBytes (1 MiB), 503 when the store fails.
//
// The package sits above the core (hooks), the debug log and the kinds: it
// imports hooks and debuglog and knows no kind; nothing below imports it.
//
// # Orgs
//
// The Authorizer the host supplies says which org each request acts for.
// Every route is scoped to that org: another org's hook, debug entry or
// key id answers 404, exactly like an id that does not exist.
//
// # Security
//
// Every API route requires the Authorizer's approval; the page and its
// script and style do not (they hold nothing secret) and ask for the token
// in the browser, keep it in sessionStorage and send it as a Bearer token.
// The page is served with a strict Content-Security-Policy (no inline
// script or style, no external origin), X-Frame-Options DENY and nosniff,
// and renders every value as text, never as HTML: debug entries hold what
// strangers posted. API keys are shown once, in the 201 answer that
// creates them. Webhook signature settings may hold secrets and are never
// returned: a hook says only whether one is configured
// (settings.signature_configured). BearerToken compares in constant time.
//
// # Caveats
//
// The page needs the API under the same prefix it is served from. Debug
// entries are best effort (package debuglog): an entry may be missing when
// the store was slow or down.
package admin
