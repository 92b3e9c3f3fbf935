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
// # Drivers: where the portable layer is
//
// What every driver shares lives here, once: the record types, the
// sentinel errors every driver maps its own failures to (a unique
// violation becomes ErrConflict, a missing row ErrNotFound), the limits
// (MaxIDLen, MaxIdempotencyKeyLen) and the argument rules (CheckHook,
// CheckKey, CheckDebugEntry, CheckEvent), which each driver calls once at
// the entry of each write. A driver keeps only what is its own: its
// storage, the mapping of its own errors, and rules its backend adds
// (PostgreSQL refusing NUL bytes in text). storetest.Run checks that a
// driver applies the shared rules and maps to the sentinels.
//
// The rules are not applied by a wrapping type above the drivers, as
// gocloud's docstore does, on purpose: the drivers return concrete types
// whose optional abilities (LocalQueue, EnqueueNotifier) package hooks
// finds by type assertion, and a wrapper would hide them unless it
// mirrored every combination; storetest.WithCapabilities exists to catch
// such a wrapper. A host's own Store calls the same Check functions and
// runs the same kit (storetest.Run, storetest.Bench).
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
// # Caveats
//
// Records are plain data. Package hooks gives them meaning (kinds, settings,
// event payloads); a Store must keep the bytes it is given unchanged.
package store
