// Package hooks is the core of inbound: hooks and their kinds, the Registry
// that creates, rotates and resolves them, API keys (Keyring), the Event
// handed to the host's Trigger, and the one ingest Pipeline every hook kind
// runs.
//
// A host builds a Registry and a Keyring over a store.Store, a Pipeline
// with a Delivery (Sync(trigger), or a durable queue), and mounts the kind
// handlers (packages formhook, webhook, emailhook) that feed the Pipeline.
//
// # Orgs
//
// Every hook and key belongs to an org ID the host chooses ("" for a
// single-tenant host). Registry and Keyring methods take the org and never
// read or change another org's records; a token lookup returns the hook
// with its org so that later checks can compare.
//
// # Security
//
// Tokens carry 160 bits and IDs 80 bits from crypto/rand. API keys carry a
// 256-bit secret, are shown once, stored only as a SHA-256 hash and
// compared in constant time. Headers that carry credentials or signatures
// are redacted (RedactHeader) before an event or a debug entry keeps them.
// Bodies are read under a limit and never decoded when truncated.
package hooks
