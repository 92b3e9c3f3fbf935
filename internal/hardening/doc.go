// Package hardening is a black-box test suite that sends every bad input
// we know of to a running examples/server and checks the answers the
// library contracts (see DESIGN.md, "Contracts").
//
// The test builds ./examples/server with the go command into a temporary
// directory and runs it twice as a subprocess, once with -delivery sync
// and once with -delivery queue, each on loopback ports the kernel chooses
// (read back from the banner on stderr), a fresh bbolt file, a fixed
// -admin-token, SMTP on, no seed data, and 127.0.0.1 as a trusted proxy so
// that every form post can carry its own X-Forwarded-For address and the
// form rate limit does not turn the cases into 429s. Through the admin API
// it creates what the cases need: a form hook, a webhook and an email hook;
// a disabled one of each; a rotated one of each (whose old address is
// used); a key with the org.hooks role, one without it, and a revoked one.
//
// Each row of the table is one input: oversized bodies with and without a
// Content-Length, a slow body that finishes and a stalled body the client
// abandons, malformed and 10,000-deep JSON, form array-index and gap
// bombs, 10,000 multipart parts and urlencoded fields, invalid UTF-8 in
// JSON and in forms, wrong and missing content types and charsets, wrong
// methods, unknown, disabled, rotated and malformed tokens, missing, bad,
// revoked and role-less keys, a form burst over the rate limit, JSON-LD
// with a remote and with a file @context (over HTTP and SMTP), HTML with
// 100,000 nested elements around a JSON-LD script, a 30 MiB email (HTTP and
// SMTP), a header-field bomb, deeply nested MIME, and unknown SMTP
// recipients. For each it checks the status (or SMTP reply code), the
// JSON error body {"error":{"code","message"}} with the contracted code,
// the headers the contract names (Allow, WWW-Authenticate, Retry-After),
// and, from the event lines the server prints on stdout, that an accepted
// input was delivered as expected and a rejected one was not delivered at
// all. After every row it checks that the process is alive, that its
// stderr mentions no panic, and that it still accepts and delivers a good
// webhook post and still greets on SMTP. At the end it stops the server
// with SIGTERM and expects a clean exit. Beside the table, a slowloris
// connection trickles header bytes forever and must be cut off within the
// server's ReadHeaderTimeout (10 s).
//
// The "remote" JSON-LD context is an httptest server that must receive no
// request; the file context holds a marker that must not appear in any
// event.
//
// TestSMTPTLS runs the server as an MX: with -smtp-tls-cert and
// -smtp-tls-key (a self-signed certificate made by the test) it must offer
// STARTTLS, deliver mail sent over it and mail sent in the clear, and show
// a renewed certificate to new connections once the files change, without
// a restart; without them it must not offer STARTTLS (502 if asked); with
// -smtp-require-tls it must refuse MAIL before STARTTLS (530); with a
// missing or unreadable file it must exit with status 1 and one error line
// naming the flag.
//
// The suite needs the go command and takes about 30 to 45 seconds; it is
// skipped with -short.
//
// # Caveats
//
// The server's ReadTimeout is 60 s, too long for a test to wait out, so the
// slow-body rows check that a trickled body which finishes is accepted and
// that one the client abandons leaves the server serving, not that the
// server cuts off a body that never ends. Invalid UTF-8 is accepted (as
// hooks.DecodeBody documents): each invalid byte reaches the event as
// U+FFFD. In queue mode an event is delivered after its answer, so the
// "not delivered" check of a rejected row is repeated once the last probe
// has been delivered.
package hardening
