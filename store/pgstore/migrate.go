package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations are the schema versions in order: migrations[i] brings the
// schema from version i to version i+1. {s} stands for the quoted schema
// name. A released migration is never edited; a change is a new one.
//
// Identifiers and sort keys use COLLATE "C" so that ordering by ID is
// byte order (IDs are time-sortable strings) whatever the database's
// default collation. Payloads, documents, idempotency keys and error
// texts are bytea: they come back byte for byte, and may hold bytes that
// a text column refuses (NUL, invalid UTF-8).
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE {s}.hooks (
	id           text COLLATE "C" PRIMARY KEY,
	org          text COLLATE "C" NOT NULL,
	kind         text NOT NULL,
	name         text NOT NULL,
	description  text NOT NULL,
	token        text COLLATE "C" NOT NULL UNIQUE,
	debug        boolean NOT NULL,
	disabled     boolean NOT NULL,
	example_data bytea,
	settings     bytea,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL
);
CREATE INDEX hooks_org_created ON {s}.hooks (org, created_at, id);

CREATE TABLE {s}.keys (
	id         text COLLATE "C" PRIMARY KEY,
	org        text COLLATE "C" NOT NULL,
	name       text NOT NULL,
	roles      text[] NOT NULL,
	hash       bytea NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE INDEX keys_org_created ON {s}.keys (org, created_at, id);

CREATE TABLE {s}.debug_entries (
	hook_id text COLLATE "C" NOT NULL,
	id      text COLLATE "C" NOT NULL,
	time    timestamptz NOT NULL,
	data    bytea NOT NULL,
	PRIMARY KEY (hook_id, id)
);

CREATE TABLE {s}.events (
	id              text COLLATE "C" PRIMARY KEY,
	org             text COLLATE "C" NOT NULL,
	hook_id         text COLLATE "C" NOT NULL,
	idempotency_key bytea NOT NULL,
	payload         bytea NOT NULL,
	state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
	attempts        integer NOT NULL,
	last_error      bytea NOT NULL,
	next_attempt    timestamptz NOT NULL,
	created_at      timestamptz NOT NULL,
	updated_at      timestamptz NOT NULL
);
-- Claim: due pending events, oldest first.
CREATE INDEX events_claim ON {s}.events (next_attempt, created_at, id) WHERE state = 'pending';
-- ListEvents: an org's events in one state, newest first.
CREATE INDEX events_org_state ON {s}.events (org, state, created_at DESC, id DESC);
-- Prune: delivered events by age.
CREATE INDEX events_delivered ON {s}.events (updated_at) WHERE state = 'delivered';
-- CountEvents.
CREATE INDEX events_state ON {s}.events (state);

-- One row per hook and idempotency key, naming the newest event that
-- carries the key. The primary key is the unique constraint that makes
-- concurrent Enqueues with one key agree on a single event.
CREATE TABLE {s}.idempotency_keys (
	hook_id    text COLLATE "C" NOT NULL,
	key        bytea NOT NULL,
	event_id   text COLLATE "C" NOT NULL,
	created_at timestamptz NOT NULL,
	PRIMARY KEY (hook_id, key)
);
CREATE INDEX idempotency_keys_event ON {s}.idempotency_keys (event_id);
`,
	// 2: hooks.revision, for UpdateHook's compare-and-swap. Existing hooks
	// start at revision 0.
	`
ALTER TABLE {s}.hooks ADD COLUMN revision bigint NOT NULL DEFAULT 0;
`,
	// 3: every change of a hook or key is announced, in its transaction,
	// on the schema's channel ('inbound_' and the first 16 hex digits of
	// the MD5 of the schema name; see channelName): 'h' or 'k' and the
	// ID, or '*' for a TRUNCATE. Replicas drop what they cached of it.
	// Triggers rather than statements of the store, so that a change made
	// by hand is announced too.
	`
CREATE FUNCTION {s}.notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('inbound_' || left(md5(TG_TABLE_SCHEMA::text), 16),
		TG_ARGV[0] || CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
	RETURN NULL;
END
$$;
CREATE FUNCTION {s}.notify_flush() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('inbound_' || left(md5(TG_TABLE_SCHEMA::text), 16), '*');
	RETURN NULL;
END
$$;
CREATE TRIGGER hooks_notify AFTER INSERT OR UPDATE OR DELETE ON {s}.hooks
	FOR EACH ROW EXECUTE FUNCTION {s}.notify_change('h');
CREATE TRIGGER keys_notify AFTER INSERT OR UPDATE OR DELETE ON {s}.keys
	FOR EACH ROW EXECUTE FUNCTION {s}.notify_change('k');
CREATE TRIGGER hooks_truncate AFTER TRUNCATE ON {s}.hooks
	FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_flush();
CREATE TRIGGER keys_truncate AFTER TRUNCATE ON {s}.keys
	FOR EACH STATEMENT EXECUTE FUNCTION {s}.notify_flush();
`,
	// 4: an event's payload moves to a table of its own, written once by
	// Enqueue and deleted with the event: the updates of the delivery
	// state (Claim, Complete, Fail, Replay) rewrite the small events row
	// alone, never the payload (a PostgreSQL UPDATE writes a new version
	// of the whole row, and payloads under ~2 KB are stored in it).
	`
CREATE TABLE {s}.event_payloads (
	id      text COLLATE "C" PRIMARY KEY,
	payload bytea NOT NULL
);
INSERT INTO {s}.event_payloads (id, payload) SELECT id, payload FROM {s}.events;
ALTER TABLE {s}.events DROP COLUMN payload;
`,
	// 5: CountEvents counts each state through a partial index (pending:
	// events_claim; delivered: events_delivered; dead: the new
	// events_dead) instead of events_state, which every insert and every
	// state change had to update.
	`
DROP INDEX {s}.events_state;
CREATE INDEX events_dead ON {s}.events (id) WHERE state = 'dead';
`,
	// 6: the idempotency keys of arrivals delivered without the queue
	// (store.IdempotencyStore): one row per hook and key, reserved or
	// confirmed by one event until expires_at. The primary key makes
	// concurrent reservations of one key, from any replica, agree on one.
	`
CREATE TABLE {s}.seen_keys (
	hook_id    text COLLATE "C" NOT NULL,
	key        bytea NOT NULL,
	event_id   text COLLATE "C" NOT NULL,
	confirmed  boolean NOT NULL,
	expires_at timestamptz NOT NULL,
	PRIMARY KEY (hook_id, key)
);
CREATE INDEX seen_keys_expires ON {s}.seen_keys (expires_at);
`,
	// 7: the size of each payload beside its delivery state (ListEvents
	// shows it without reading event_payloads), and indexes for the
	// filters of ListEvents: by hook, by idempotency key (only the events
	// that carry one), and by time alone (every state).
	`
ALTER TABLE {s}.events ADD COLUMN payload_size bigint NOT NULL DEFAULT 0;
UPDATE {s}.events e SET payload_size = octet_length(p.payload) FROM {s}.event_payloads p WHERE p.id = e.id;
CREATE INDEX events_org_created ON {s}.events (org, created_at DESC, id DESC);
CREATE INDEX events_org_hook ON {s}.events (org, hook_id, created_at DESC, id DESC);
CREATE INDEX events_org_idem ON {s}.events (org, idempotency_key) WHERE idempotency_key <> ''::bytea;
`,
	// 8: when each API key was last used (TouchKey), apart from the keys
	// table: its updates fire no change notification.
	`
CREATE TABLE {s}.key_usage (
	id        text COLLATE "C" PRIMARY KEY,
	last_used timestamptz NOT NULL
);
`,
}

// SchemaVersion is the schema version this build of the package migrates
// a database to (len(migrations); a test keeps the two in step).
const SchemaVersion = 8

// migrate creates the schema when it is missing and applies the
// migrations the database lacks, all in one transaction under an advisory
// lock keyed by the schema name, so that processes starting at once take
// turns: the first migrates, the others find the work done.
func (s *driver) migrate(ctx context.Context) error {
	var applied []int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", hash64("inbound/pgstore/migrate:"+s.schema)); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		var exists bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", s.schema).Scan(&exists); err != nil {
			return fmt.Errorf("look up schema: %w", err)
		}
		if !exists {
			if _, err := tx.Exec(ctx, "CREATE SCHEMA "+s.ident); err != nil {
				return fmt.Errorf("create schema: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, s.q(`CREATE TABLE IF NOT EXISTS {s}.schema_migrations (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`)); err != nil {
			return fmt.Errorf("create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRow(ctx, s.q("SELECT coalesce(max(version), 0) FROM {s}.schema_migrations")).Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if current > len(migrations) {
			return fmt.Errorf("%w: schema %q is at version %d, this program knows %d", ErrSchemaTooNew, s.schema, current, len(migrations))
		}
		for v := current + 1; v <= len(migrations); v++ {
			if _, err := tx.Exec(ctx, s.q(migrations[v-1])); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
			if _, err := tx.Exec(ctx, s.q("INSERT INTO {s}.schema_migrations (version) VALUES ($1)"), v); err != nil {
				return fmt.Errorf("record migration %d: %w", v, err)
			}
			applied = append(applied, v)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgstore: migrate schema %q: %w", s.schema, err)
	}
	for _, v := range applied {
		s.log.Info("pgstore: applied migration", "schema", s.schema, "version", v)
	}
	return nil
}
