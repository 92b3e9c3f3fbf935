// Package memstore is an in-memory store.Store, for a host's unit tests
// and for trying the library out.
//
// New returns the store behind the portable layer of package store
// (store.Portable), as every driver of this module does; store.As finds
// its store.LocalQueue, store.IdempotencyStore and store.KeyUsageStore.
//
// It is a real implementation: it enforces the same uniqueness, org
// scoping, ordering and queue rules as the durable stores, copies every
// record in and out, and passes the store/storetest conformance kit. It is
// safe for concurrent use (one sync.RWMutex guards everything). Pending
// events are kept in a heap ordered as Claim takes them (NextAttempt, then
// CreatedAt, then ID), so a Claim of k events costs O(k log n) however
// long the backlog; entries are deleted lazily and the heap is compacted
// when stale entries outnumber live ones.
//
// # Caveats
//
// Nothing survives the process: Enqueue "commits" only to memory, so the
// durable-delivery promise (a 2xx means the event is kept) does not hold
// across a crash or restart. Use store/boltstore or store/pgstore in
// production. Memory grows with the number of events until Prune removes
// delivered ones.
package memstore
