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
// to storetest.Run, the same conformance kit every implementation here runs.
//
// # Caveats
//
// Records are plain data. Package hooks gives them meaning (kinds, settings,
// event payloads); a Store must keep the bytes it is given unchanged.
package store
