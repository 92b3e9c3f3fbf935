// Package hooks is the core of inbound: the Registry that creates, rotates
// and resolves hooks, API keys (Keyring), the one ingest Pipeline every
// hook kind runs, the Event it hands to the host's Trigger, and the
// Delivery that does so (Sync, or a durable Queue).
//
// # For hosts
//
// Most hosts start with package inbound: inbound.New builds the Registry,
// Keyring, Pipeline and kind handlers over a store and returns one
// http.Handler. What a host then calls here:
//
//   - Trigger (or TriggerFunc): the host's seam, given each Event; Event.Bind
//     fills the host's own struct from it.
//   - Registry: Create, Ensure (get or create by a key), Get, List, Update,
//     Rotate, Delete and Address of hooks; Fields lists what example data
//     holds.
//   - Keyring: Create, List and Revoke the API keys webhook senders present.
//   - NewQueue: durable delivery (Start, Shutdown, Events, Replay), handed
//     to the Pipeline as its Delivery.
//   - Error: a Trigger returns one to choose the sender's answer; ErrNotFound,
//     ErrInvalid (every *ValidationError) and ErrInvalidKey are matched with
//     errors.Is.
//
// A host that wires the pieces itself builds a Registry (NewRegistry) and a
// Keyring (NewKeyring) over a store.Store, a Pipeline (NewPipeline) with a
// Delivery, and the kind handlers (packages formhook, webhook, emailhook)
// that feed the Pipeline, and mounts each handler at its Prefix.
//
// # Kinds
//
// The core knows no kind. A kind package registers a KindSpec with the
// Registry when its handler is built: the kind's name (Kind), its settings
// type (Settings, validated when saved and decoded once per hook revision)
// and its address form, made from where its handler is mounted, so that an
// address is always answered by its handler. Its handler implements
// Intake: one Session per arrival authenticates the sender and decodes the
// body (DecodeBody for the HTTP media types), and hands each Arrival to
// Pipeline.Ingest, whose Result it answers. These names (KindSpec,
// Registry.Register, Settings, Intake, Session, Arrival, Decoded, Result,
// Pipeline.Ingest, DecodeBody) are a kind author's, not a host's. The rest
// of a kind author's kit (mount prefixes, reading under a limit, answers)
// is in package hooks/intake, and the error codes in hooks/errcode. A new
// kind touches its own package and the host's wiring, nothing here.
//
// # Delivery
//
// Sync(trigger) calls the Trigger before the sender is answered: a Trigger
// error reaches the sender as 503 with Retry-After, and nothing is kept.
// A Queue (NewQueue) commits each event to the store before the sender gets
// its 2xx, then a dispatcher delivers it at least once, with exponential
// backoff and jitter, parking it as dead after MaxAttempts; dead events are
// listed and replayed through Queue.Events and Queue.Replay (and the admin
// API). A repeated Idempotency-Key, webhook-id or email Message-ID for the
// same hook within DedupWindow is acknowledged with the first event's ID
// and not fired again. Several processes may share one store (PostgreSQL):
// a claimed event is leased to one dispatcher at a time.
//
// # Observability
//
// Pipeline, SyncDelivery and Queue record OpenTelemetry metrics and spans
// through the OpenTelemetry API only. The counters are
// inbound.events.received (arrivals that resolved to a hook), .accepted
// (answered 2xx), .rejected (answered 4xx or 5xx, by inbound.reason, the
// error code), .fired, .failed (Trigger.Fire returned nil or an error) and
// .dead (parked after the last attempt); the histograms
// inbound.ingest.duration and inbound.trigger.duration (seconds); the gauge
// inbound.queue.depth (pending events). Every measurement carries
// inbound.hook.kind, and failed deliveries inbound.mode ("sync" or
// "queue"). The zero Telemetry uses the global providers, which discard
// everything until the host installs an SDK. Operational logs go to the
// *slog.Logger of each component's options (nil discards them) and never
// carry bodies or secrets.
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
