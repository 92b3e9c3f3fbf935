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
// and storetest.Bench gives it the same benchmarks. The argument rules the
// drivers share (CheckHook, CheckKey, CheckDebugEntry, CheckEvent) live
// here, once.
//
// # The queue
//
// A queued event is two things a QueueStore keeps apart: its payload,
// opaque bytes written once by Enqueue, and its small delivery state, which
// Claim, Complete, Fail and Replay change alone. A store whose queue
// belongs to one process (boltstore, memstore) also implements the
// optional LocalQueue: the event is committed already claimed and handed
// to a local worker, and its completion is committed lazily, so that the
// store is read back only after a crash, a retry or a lease that ran out.
// A completion lost to a crash means one more delivery: at least once.
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
