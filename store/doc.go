// Package store defines where the library keeps its state: hooks, API keys,
// debug-log entries and queued events. It holds only interfaces, record
// types and sentinel errors, and imports nothing outside the standard
// library.
//
// Implementations:
//
//   - store/boltstore: the default, an embedded bbolt file;
//   - store/memstore: in memory, for a host's unit tests;
//   - store/pgstore: PostgreSQL, for hosts that run several replicas.
//
// A host may write its own Store; store/storetest checks it with one call
// to storetest.Run, the same conformance kit every implementation here runs,
// and storetest.Bench gives it the same benchmarks.
//
// # Drivers and the portable layer
//
// As in gocloud's docstore, the drivers are thin and a portable layer
// above them holds what they share: Portable puts a driver behind it, and
// every constructor of this module (boltstore.Open, memstore.New,
// pgstore.Open and New) returns its driver that way, so that no host
// reaches an unchecked driver. The layer checks each call's arguments
// once (nil records, empty or over-long IDs, with the limits MaxIDLen and
// MaxIdempotencyKeyLen: ErrInvalid), normalises what every driver would
// (a done context, AppendDebug's keep, Claim's limit, EnqueueClaimed's
// lease), and maps errors in one place: a sentinel of this package or a
// context error passes unchanged, any other error is wrapped with the
// operation's name. A driver keeps its storage, the mapping of its own
// failures to the sentinels (a unique violation becomes ErrConflict, a
// missing row ErrNotFound), rules its backend adds (PostgreSQL refusing
// NUL bytes in text) and ErrClosed after Close.
//
// The optional abilities (LocalQueue, IdempotencyStore, KeyUsageStore,
// EnqueueNotifier) are found with As, not with a type assertion: the
// portable Store does not satisfy them itself, and As returns them behind
// the same layer when the driver has them. A driver hands out its own
// extras through As too (pgstore's connection pool: pgstore.Pool).
//
// A host's own Store runs the same kit (storetest.Run, storetest.Bench),
// which puts it behind the layer; storetest.WithCapabilities catches a
// host wrapper that hides an ability As should find. A wrapper (a host's
// type that embeds a Store to count or trace its calls) keeps the
// abilities of what it wraps by implementing Wrapper: As follows its
// Unwrap, as errors.As does.
//
// # The queue
//
// A queued event is two things a QueueStore keeps apart: its payload,
// opaque bytes written once by Enqueue, and its small delivery state, which
// Claim, Complete, Fail and Replay change alone. A store may also have
// the optional LocalQueue (the three drivers here do): the event is
// committed already claimed and handed to a local worker, and its
// completion is committed lazily, so that the store is read back only
// after a crash, a retry or a lease that ran out. A completion lost to a
// crash means one more delivery: at least once.
//
// # Idempotency keys without the queue
//
// The queue keeps each event's idempotency key with the event. A delivery
// without the queue (package hooks' sync delivery) keeps the keys it has
// fired in the optional IdempotencyStore instead: reserved before the
// delivery, confirmed after it, released when it failed, each record
// expiring at a time the caller gives. memstore, boltstore and pgstore
// implement it.
//
// # Caveats
//
// Records are plain data. Package hooks gives them meaning (kinds, settings,
// event payloads); a Store must keep the bytes it is given unchanged.
package store
