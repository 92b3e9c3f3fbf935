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
//	GET    /admin/keys                     -> {"keys":[{"id","name","roles","created_at","last_used"}...],"known_roles":[{"name","description"}...]} (never the key itself)
//	DELETE /admin/keys/{id}                -> 204
//	GET    /admin/events?...               -> {"events":[...],"next_cursor"} (with Options.Events; see Events)
//	GET    /admin/events/{id}              -> the event's delivery status and content
//	POST   /admin/events/{id}/replay       -> 202 status; 409 not_dead unless the event is dead
//	POST   /admin/events/replay            {"ids":[...]} -> {"replayed":[id...],"failed":[{"id","code","message"}...]}
//	GET    /admin/activity                 -> {"hooks":[activity.Summary...]} (with Options.Activity)
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
// # Events
//
// With Options.Events (a durable queue), GET /admin/events lists the
// org's queued events, newest first, as hooks.EventStatus values (ID,
// hook, state, attempts, last error, size, idempotency key, times),
// without their content. Its query parameters, all optional, combine:
//
//	state   pending, delivered or dead; absent for every state
//	hook    a hook ID
//	key     an idempotency key (exact)
//	id      an event ID: the list holds that event alone, if the other
//	        parameters select it
//	since   RFC 3339 time: created at or after it
//	until   RFC 3339 time: created before it
//	limit   page size; 0 or absent means 100, at most 1000
//	cursor  the next_cursor of the previous page
//
// A full page carries next_cursor; pass it back for the next, older page.
// The cursor is a position (the last event's creation time and ID), not
// an offset, so events arriving meanwhile neither repeat nor shift the
// pages. GET /admin/events/{id} adds the event itself (data, headers as
// redacted when it arrived, files). POST /admin/events/replay replays a
// selection of dead events at once: each that is not dead or not found is
// reported in "failed" and the others are replayed.
//
// # Activity and keys
//
// With Options.Activity (an *activity.Counter set as the Observer of the
// Telemetry the Pipeline, SyncDelivery and Queue use), GET /admin/activity
// gives each of the org's hooks its accepted, rejected and failed counts
// per minute over the last hour and per hour over the last day, with its
// last error. The counts are this process's own (see package activity).
//
// A key's "last_used" is the later of this process's own record and what
// the store keeps (written at most once a minute per key, see
// hooks.APIKey); it is absent for a key never used. "known_roles" lists
// the roles the library checks (org.hooks: post to webhooks); a key may
// carry others for the host's own checks.
//
// A webhook's "settings" show its signature configuration without the
// secrets, with a fingerprint per secret; "add_secret" and
// "drop_old_secrets" rotate them (see webhook.Settings).
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
