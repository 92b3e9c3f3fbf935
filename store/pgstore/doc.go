// Package pgstore is a store.Store on PostgreSQL, for hosts that run
// several replicas of one server on one database. It is the only package
// of the library that imports github.com/jackc/pgx/v5.
//
// Open connects (with a pgxpool connection pool), creates the schema
// named in Options.Schema when it is missing, migrates its tables and
// returns a store.Store, behind the portable layer of package store
// (store.Portable); New does the same on a pool the caller owns:
//
//	s, err := pgstore.Open(ctx, "postgres://inbound@db:5432/app", &pgstore.Options{Schema: "inbound"})
//
// Its optional abilities (store.LocalQueue, store.IdempotencyStore,
// store.KeyUsageStore, store.EnqueueNotifier) are found with store.As;
// Pool and Schema return its connection pool and schema name, for a host
// that runs its own queries on the same database (River's, for example).
//
// # Schema and migrations
//
// The store keeps its tables (hooks, keys, debug_entries, events,
// event_payloads, idempotency_keys and schema_migrations) in one schema, "public" unless
// Options.Schema names another. Migrations are numbered; schema_migrations
// records those applied. Open applies the missing ones in a single
// transaction that first takes a transaction-scoped advisory lock derived
// from the schema name (pg_advisory_xact_lock), so replicas that start at
// once take turns: the first migrates, the others find the work done.
// A schema migrated by a newer build makes Open fail with
// ErrSchemaTooNew rather than run on tables it does not know.
//
// # Running several replicas
//
// Every replica opens a store on the same database and schema. What one
// replica commits the others see at once, except for the lookups served
// from memory (below), which see it within a bound.
//
//   - Lookups from memory: HookByToken, GetHook and GetKey (asked on
//     every request) are answered from a cache of the hooks and keys read
//     before, unknown tokens and key IDs included, with no round trip.
//     Triggers on the hooks and keys tables (migration 3) NOTIFY every
//     change, in the changing transaction, on the schema's channel
//     ("inbound_" and 16 hex digits of the MD5 of the schema name); each
//     store LISTENs on a connection of its own (application_name
//     inbound-pgstore-listen, outside the pool) and drops what it cached
//     of a changed hook or key. A replica's own writes drop its entries
//     before the write returns. Bound: a token rotation, a hook deletion
//     or a key revocation committed through any replica (or by hand)
//     takes effect on every replica within the NOTIFY delivery time,
//     milliseconds on a healthy database (4-20 ms measured on loopback),
//     and in every case within Options.CacheMaxAge (5s by default), the
//     age at which an entry is read again whatever was heard. While the
//     listening connection is down (noticed at once when the server
//     closes it, and within two heartbeats of 1s when it hangs) the cache
//     is off and every lookup is a query; once the connection listens
//     again the cache starts empty.
//
//   - Group commit: concurrent Enqueues share transactions. Four
//     committers each take the events waiting (up to 256) and store them
//     in one round trip: one statement for the whole group (the events'
//     fields as arrays), then a NOTIFY, which PostgreSQL runs as one
//     implicit transaction; an idle store commits a lone event at once. Concurrent Completes
//     likewise share one UPDATE (two committers). An event's payload is
//     written once, to event_payloads; Claim, Complete, Fail and Replay
//     update the small events row alone.
//
//   - Hand-off: the store has a store.LocalQueue. EnqueueClaimed commits
//     an event already claimed by this process, with a lease in the
//     database like any Claim's, so package hooks hands it to a local
//     worker with no Claim and no read back; CompleteLater's completions
//     ride on the next Enqueue's transaction (or are committed on their
//     own within 10ms, by FlushCompletions, or at Close). Other replicas
//     leave a handed-off event alone until its lease runs out, and
//     deliver it then if this one died: at least once, as always.
//
//   - Waking dispatchers: its store.EnqueueNotifier gives a channel that receives
//     after events were enqueued or replayed through any replica (the
//     NOTIFY above), so that dispatchers need not poll for new events. A
//     group of events enqueued claimed (hand-off) sends none: no
//     dispatcher may take them before their lease runs out, so a wake-up
//     would only cost every replica a Claim that finds nothing.
//
//   - Claiming work: Claim picks due pending events with
//     SELECT ... FOR UPDATE SKIP LOCKED inside the UPDATE that takes them,
//     so concurrent claimers (goroutines or processes) skip each other's
//     rows rather than wait, and each event goes to one claimer. The
//     claim moves the event's NextAttempt to now+lease: if the claimer
//     dies, another replica claims the event when the lease ends. Delivery
//     is therefore once in normal operation and at least once across
//     crashes.
//
//   - Idempotency: a row per (hook, key) in idempotency_keys, whose
//     primary key is the unique constraint, decides among concurrent
//     Enqueues with one key, in any replica; the losers get
//     store.ErrDuplicate with the winner's ID.
//
//   - Debug log: AppendDebug inserts and trims in one transaction holding
//     an advisory lock on the hook, so a hook never keeps more than N
//     entries however many replicas append.
//
//   - Pruning: Prune deletes in short batches and skips rows other
//     transactions hold, so every replica may run it.
//
// # Security
//
// All values travel as query parameters; the schema name is quoted as an
// identifier. Errors never include the DSN (which may hold a password).
// Give the database role only what the store needs: CREATE on the
// database when the schema does not exist yet (or create the schema
// beforehand and make the role its owner), and nothing outside it. Since
// PostgreSQL 15 only the database owner may create tables in "public" by
// default; name a schema of the store's own in Options.Schema.
//
// # Caveats
//
//   - Schema ownership: the store owns its schema. It creates and alters
//     the tables there and expects no one else to; do not share the
//     schema with other software, and do not edit the tables by hand
//     while replicas run. Dropping the schema erases everything.
//   - Connection pool: each store opened with Open has its own pool, of
//     at most Options.MaxConns connections (pgx's default: the larger of
//     4 and the number of CPUs), plus the listening connection. With R
//     replicas the database must accept R times that many connections.
//     Through PgBouncer in transaction mode, add
//     default_query_exec_mode=exec (or simple_protocol) to the DSN: pgx's
//     default prepared-statement cache does not survive connection
//     switching; and LISTEN needs a session, so notifications may not
//     arrive: changes then take effect within CacheMaxAge only, and
//     dispatchers find new events by polling.
//   - Clocks: the store never reads a clock; times come from its callers.
//     Leases compare one replica's now with another's, so keep the
//     replicas' clocks synchronized (NTP): a replica whose clock runs
//     ahead by more than the lease takes events another one still holds.
//   - Text fields (IDs, org, names, tokens, roles) must be valid UTF-8
//     without NUL bytes, which PostgreSQL text refuses; such a record
//     gets store.ErrInvalid. Payloads, example data, settings, debug data,
//     idempotency keys and error texts are stored as bytea and come back
//     byte for byte, whatever they hold.
//   - Timestamps are stored as timestamptz, to the microsecond, and
//     returned in UTC.
//   - Lease fencing: Complete and Fail do not check that the caller still
//     holds the lease. A claimer that overruns its lease may race a
//     second delivery of the same event; choose a lease well above the
//     Trigger's timeout.
package pgstore
