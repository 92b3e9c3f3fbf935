// Package pgstore is a store.Store on PostgreSQL, for hosts that run
// several replicas of one server on one database. It is the only package
// of the library that imports github.com/jackc/pgx/v5.
//
// Open connects (with a pgxpool connection pool), creates the schema
// named in Options.Schema when it is missing, migrates its tables and
// returns a Store; New does the same on a pool the caller owns:
//
//	s, err := pgstore.Open(ctx, "postgres://inbound@db:5432/app", &pgstore.Options{Schema: "inbound"})
//
// # Schema and migrations
//
// The store keeps its tables (hooks, keys, debug_entries, events,
// idempotency_keys and schema_migrations) in one schema, "public" unless
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
// Every replica opens a Store on the same database and schema. What one
// replica commits the others see at once; nothing is cached in memory.
//
//   - Claiming work: Claim picks due pending events with
//     SELECT ... FOR UPDATE SKIP LOCKED inside the UPDATE that takes them,
//     so concurrent claimers (goroutines or processes) skip each other's
//     rows rather than wait, and each event goes to one claimer. The
//     claim moves the event's NextAttempt to now+lease: if the claimer
//     dies, another replica claims the event when the lease ends. Delivery
//     is therefore once in normal operation and at least once across
//     crashes.
//   - Idempotency: a row per (hook, key) in idempotency_keys, whose
//     primary key is the unique constraint, decides among concurrent
//     Enqueues with one key, in any replica; the losers get
//     store.ErrDuplicate with the winner's ID.
//   - Debug log: AppendDebug inserts and trims in one transaction holding
//     an advisory lock on the hook, so a hook never keeps more than N
//     entries however many replicas append.
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
//   - Connection pool: each Store opened with Open has its own pool, of
//     at most Options.MaxConns connections (pgx's default: the larger of
//     4 and the number of CPUs). With R replicas the database must accept
//     R times that many connections. Through PgBouncer in transaction
//     mode, add default_query_exec_mode=exec (or simple_protocol) to the
//     DSN: pgx's default prepared-statement cache does not survive
//     connection switching.
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
