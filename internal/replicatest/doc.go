// Package replicatest checks that several examples/server replicas can
// share one PostgreSQL database (store/pgstore) in queue mode: every event
// answered with a 2xx is delivered, none twice while all replicas are up,
// and none lost when a replica is killed.
//
// Its test builds examples/server, starts two processes (A and B) at once
// on one fresh, random schema of the database in INBOUND_TEST_PG_DSN (they
// race to migrate it), each on 127.0.0.1 with SMTP off, -delivery queue
// and an 11s -queue-lease (the shortest examples/server accepts: the lease
// must be longer than the 10s attempt timeout), and creates a form hook
// through A's admin API. The hook's token works on both replicas, since
// they share the store. Sixteen concurrent clients then post to the
// replicas alternately:
//
//   - Phase 1, both up: 400 posts, all answered 2xx. Once no event is
//     pending, every answered ID must have been printed on stdout (the demo
//     Trigger prints one JSON line per delivered event) exactly once across
//     both processes: the SKIP LOCKED claim gives each event to one replica.
//   - Phase 2: replica B is killed with SIGKILL after 600 more answers,
//     with posts in flight; the clients go on sending to A alone until 2,400
//     posts in all were answered 2xx (failed posts to B are counted, not
//     retried). B's stdout is read to EOF, so what it printed before dying
//     counts. Every answered ID must then appear on A's or B's stdout within
//     the lease plus 20s: events B had claimed but not completed are claimed again by A
//     when their lease runs out. Duplicates are allowed here (at-least-once
//     delivery across a crash) and logged, as are events B committed whose
//     answer was lost in the kill. No event may be dead, and A must stop
//     cleanly on SIGTERM.
//
// The form hook limits each client address to a small burst, so the
// replicas trust 127.0.0.1 as a proxy and each post carries its own
// X-Forwarded-For address, as behind a load balancer.
//
// The schema is dropped when the test ends. Without INBOUND_TEST_PG_DSN
// the test skips, except under CI=true, where it fails; it needs the go
// command and is skipped with -short. It takes about 20 seconds, most of it the lease.
//
// TestTwoReplicasSeeChanges checks the replicas' lookups from memory:
// replica B answers webhook posts with an API key (and so caches the hook
// and the key); then, through replica A's admin API, the hook's address
// is rotated, the key revoked and the hook deleted, and each change must
// reach B (old address 404, revoked key 401, deleted hook 404) within 2s.
// pgstore's NOTIFY brings it in tens of milliseconds.
//
// The tests do not run on boltstore: a bbolt file is locked by one
// process at a time.
package replicatest
