// Command server is the runnable demo of inbound: it receives form hooks,
// webhooks and email hooks (SMTP and HTTP), keeps its state in a bbolt file
// (or PostgreSQL), serves the admin API and page, and stands in for a
// host's workflow engine with a Trigger that writes each event as one JSON
// line on stdout.
//
// Usage:
//
//	go run ./examples/server [flags]
//
// Flags:
//
//	-addr             HTTP listen address (default :8080)
//	-data             bbolt data file (default ./inbound.db)
//	-pg               PostgreSQL DSN (env INBOUND_PG_DSN); use PostgreSQL instead of bbolt
//	-pg-schema        schema the PostgreSQL store owns (default inbound)
//	-base-url         public URL of the HTTP hooks (default derived from -addr)
//	-email-domain     domain of email hook addresses (default in.localhost)
//	-admin-token      admin API token (env INBOUND_ADMIN_TOKEN; generated and printed when unset)
//	-smtp-addr        SMTP listen address (default :2525; empty turns SMTP off)
//	-smtp-hostname    name in the SMTP greeting (default the certificate's first name, else localhost)
//	-smtp-tls-cert    PEM certificate file: SMTP offers STARTTLS (reloaded when the file changes)
//	-smtp-tls-key     PEM key file of -smtp-tls-cert
//	-smtp-require-tls refuse mail before STARTTLS (not on a public MX)
//	-delivery         queue (default: commit, then deliver at least once) or sync
//	-queue-lease      how long a claimed event is reserved before a retry elsewhere
//	-trusted-proxies  CIDRs whose X-Forwarded-For is believed by the form rate limit
//	-seed             create demo hooks and an API key in an empty store (default true)
//	-trigger          where events go: stdout (default), nats://..., river or amqp://... (see trigger.go)
//
// Routes: /hooks/form/{token}, /hooks/web/{token}, /hooks/email (raw
// message/rfc822 with X-Envelope-To), /admin/ (page and API), /contact/ (an
// example contact form posting to the "Contact" form hook), /metrics
// (the library's OpenTelemetry metrics in the Prometheus text format).
//
// On its first start with an empty store, the server creates a "Contact"
// form hook (wired to the contact page), an "Orders" webhook, an "Order
// mails" email hook and an API key, and prints them with curl lines to
// stderr. Stdout carries nothing but event lines; logs go to stderr.
//
// # Caveats
//
// bbolt lets one process hold the data file; run several replicas with
// -pg. The demo Trigger never fails, so nothing reaches the dead-letter
// list unless you change it.
package main
