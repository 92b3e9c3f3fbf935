// Package formhook receives form hooks: public addresses that HTML forms
// and browsers post to, at {base}/hooks/form/{token}.
//
// A Handler resolves the token, reads the body under the pipeline's limit,
// decodes application/x-www-form-urlencoded, multipart/form-data (file
// parts become Event.Files) or JSON with hooks.DecodeBody, and hands the
// event to the pipeline's Delivery. It answers 202 {"id":"<event id>"}, or
// a JSON error (see hooks.WriteError).
//
// # Security
//
// A form hook's address is public: it takes no authentication, and anyone
// who knows it can post. Treat the data as untrusted input. Bodies are read
// under a limit and never decoded when truncated; form arrays are limited
// (a[99999999]=x is refused, not allocated), as are form key nesting and
// the number of fields and parts.
//
// # Caveats
//
// OPTIONS (CORS preflight), redirects after a browser post, honeypot
// fields and rate limits are hook settings this version does not act on
// yet: OPTIONS answers 405 like any other method but POST.
package formhook
