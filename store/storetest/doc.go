// Package storetest is the conformance kit for store.Store
// implementations: one call to Run checks every method of every store
// interface against the contract written in package store.
//
// A backend's test file calls it with a constructor that returns a new,
// empty store per subtest:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := mystore.Open(filepath.Join(t.TempDir(), "x.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		}, storetest.WithReopen(func(t *testing.T, s store.Store) store.Store {
//			// close s and open the same file again
//		}))
//	}
//
// What it checks: hooks (uniqueness of ID and token across orgs, lookup by
// token, ordering by CreatedAt then ID, token changes, org scoping, debug
// entries removed with their hook); keys (the same, GetKey across orgs);
// debug entries (newest first, trimming to keep, clearing); the queue
// (Enqueue and its idempotency window, Claim order, limit, lease and
// re-claim after expiry, Complete, Fail, Replay, ListEvents without
// payloads (with their sizes), its filters and paging by cursor while
// events arrive, Prune freeing idempotency keys, CountEvents, payloads of any
// bytes and size coming back unchanged whatever the delivery state went
// through); that delivery states go in and out as copies;
// that every method returns store.ErrClosed after Close; concurrency
// (parallel creates, updates, enqueues with one key, and Claim never
// handing one event to two claimers within a lease); and, with
// WithReopen, that all of it survives a close and reopen.
//
// Run checks the store behind the portable layer (store.Portable), as
// hosts get it; a bare driver is put behind it.
//
// Optional abilities are checked when store.As finds them, and required
// when a driver declares them with WithCapabilities: LocalQueue
// (store.LocalQueue: EnqueueClaimed, CompleteLater, and what survives a
// reopen) and Idempotency (store.IdempotencyStore: reserve, confirm,
// release and prune of keys per hook, expiry at the given now, concurrent
// reservations of one key, and what survives a reopen).
//
// Claim must take due events oldest first; the kit only relies on that
// order where NextAttempt, CreatedAt and ID all agree, so a backend may
// order by NextAttempt or by creation. Debug entries and events are
// "newest first" by their time-sortable IDs and times, which the kit keeps
// consistent. Timestamps are compared to the microsecond.
//
// # Caveats
//
// This is the one package outside _test.go files that holds test helpers,
// on purpose: it imports package testing and is meant only for tests.
package storetest
