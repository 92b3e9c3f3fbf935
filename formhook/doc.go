// Package formhook receives form hooks: public addresses that HTML forms
// and browsers post to, at {base}{prefix}{token}, where prefix is where the
// Handler is mounted (Options.Prefix, "/hooks/form/" by default). New
// registers the kind "form" (KindName) with the pipeline's Registry, so
// that the addresses the Registry and the admin API give are the Handler's.
//
// A Handler resolves the token, reads the body under the pipeline's limit,
// decodes application/x-www-form-urlencoded, multipart/form-data (file
// parts become Event.Files) or JSON with hooks.DecodeBody, and hands the
// event to the pipeline's Delivery. It answers 202 {"id":"<event id>"}, or
// a JSON error (see intake.WriteError).
//
// # Protections
//
// Per hook (Settings, the hook's hooks.Hook.Settings; the admin API's
// "settings" object of a form hook):
//
//   - AllowedOrigins: CORS. OPTIONS (a preflight) on a known hook answers
//     204 with Allow: OPTIONS, POST; for an allowed Origin it adds
//     Access-Control-Allow-Origin (the origin, or "*" when the list holds
//     "*"), Access-Control-Allow-Methods: POST,
//     Access-Control-Allow-Headers: Content-Type and Access-Control-Max-Age.
//     A disallowed origin gets no CORS headers. OPTIONS on an unknown token
//     answers 404. The answer to the post itself (success or error) carries
//     Access-Control-Allow-Origin for an allowed origin, and Vary: Origin
//     whenever the hook lists origins. Plain HTML form posts need no CORS.
//   - RedirectURL: a browser post (Accept lists text/html, and not
//     application/json at an equal or higher quality) that is accepted is
//     answered 303 See Other to it. Anything else gets JSON. Errors are JSON
//     for browsers too: the contract's error shape is kept everywhere, and a
//     page that wants friendly errors posts with fetch() and reads them.
//   - Honeypot: a field people leave empty (hide it with CSS and
//     autocomplete="off"). Filled (any value but "" or null), the post is
//     answered exactly like an accepted one (202 with an ID of the usual
//     shape, or the 303), fires nothing, and is recorded in the debug log as
//     "dropped" with reason "honeypot" and its data. Empty, the field is
//     removed from the event data.
//   - RateLimit: a token bucket per client and hook ({"per_second": 0.5,
//     "burst": 5}), besides the Handler's; a post over it is answered 429
//     rate_limited with Retry-After after its hook is resolved and before
//     its body is read, and is recorded in the hook's debug log.
//
// Per Handler (Options):
//
//   - RateLimit and Burst: a token bucket (golang.org/x/time/rate) per
//     client: an IPv4 address or an IPv6 /64. A post over the limit is
//     answered 429 with Retry-After (the limiter's delay, rounded up to a
//     second) before the hook is looked up or the body read; the refused
//     post consumes no token.
//   - TrustedProxies: the client address is the peer's unless the peer is
//     a trusted proxy; then it is the right-most X-Forwarded-For address that
//     is not a trusted proxy. Without trusted proxies X-Forwarded-For is
//     ignored: anyone can write it.
//   - Captcha: a CaptchaVerifier the host plugs in. Every post must carry a
//     token in CaptchaField (default "captcha-response"): missing, 400
//     captcha_missing; rejected, 403 captcha_failed; provider unreachable,
//     503 captcha_unavailable. The field is removed from the event data. The
//     honeypot is checked first, so bots do not cost provider calls.
//
// # Security
//
// A form hook's address is public: it takes no authentication, and anyone
// who knows it can post. Treat the data as untrusted input. Bodies are read
// under a limit and never decoded when truncated; form arrays are limited
// (a[99999999]=x is refused, not allocated), as are form key nesting and
// the number of fields and parts. The redirect target comes only from the
// hook's settings, never from the request, so the hook is no open
// redirector.
//
// # Caveats
//
//   - Rate-limit state is kept for at most MaxClients clients. A client idle
//     long enough for its bucket to refill is forgotten at no cost; when more
//     clients than that are active at once, the least recently seen is
//     forgotten and starts again with a full burst.
//   - Preflights and rate-limited posts are not recorded in the debug log
//     (they never reach a hook), and preflights are not rate limited.
//   - Event.Raw is the exact body, so it still holds the honeypot and
//     captcha fields that the event data no longer shows.
//   - A peer that is not an IP address (a Unix socket) counts as a trusted
//     proxy when TrustedProxies is set; without it, all such clients share
//     one rate-limit bucket.
package formhook
