// Command server is the runnable demo of inbound: it receives form hooks
// and webhooks over HTTP, keeps hooks and API keys in a bbolt file, and
// stands in for a host's workflow engine with a Trigger that writes each
// event as one JSON line on stdout.
//
// Usage:
//
//	go run ./examples/server [flags]                      serve (the default)
//	go run ./examples/server create-hook -kind form -name Contact
//	go run ./examples/server create-key -name ci -roles org.hooks
//	go run ./examples/server list-hooks
//
// Flags (every command): -data (bbolt file, default ./inbound.db),
// -base-url, -email-domain; serve also takes -addr (default :8080),
// -admin-token (or INBOUND_ADMIN_TOKEN; generated when unset) and
// -smtp-addr (default :2525; reserved for the email hook listener).
//
// On its first start with an empty data file, the server creates a
// "Contact" form hook, an "Orders" webhook and an API key, and prints them
// with curl lines to stderr. Stdout carries nothing but event lines; logs
// go to stderr.
//
// # Caveats
//
// bbolt lets one process hold the data file: stop the server before
// running create-hook or create-key against the same file. The admin
// token is accepted and printed but guards nothing yet: the admin API is
// not mounted in this version.
package main
