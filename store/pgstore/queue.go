package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inbound-hooks/inbound/store"
)

// pruneBatch is how many events one Prune statement deletes at most; Prune
// loops, so that a large backlog is removed in short transactions.
const pruneBatch = 1000

const eventColumns = `id, org, hook_id, idempotency_key, payload, state, attempts, last_error, next_attempt, created_at, updated_at`

func scanEvent(row pgx.Row) (*store.QueuedEvent, error) {
	var (
		e        store.QueuedEvent
		key, msg []byte
		state    string
	)
	if err := row.Scan(&e.ID, &e.Org, &e.HookID, &key, &e.Payload, &state, &e.Attempts, &msg,
		&e.NextAttempt, &e.CreatedAt, &e.UpdatedAt); err != nil {
		return nil, err
	}
	e.IdempotencyKey, e.LastError, e.State = string(key), string(msg), store.EventState(state)
	e.NextAttempt, e.CreatedAt, e.UpdatedAt = utc(e.NextAttempt), utc(e.CreatedAt), utc(e.UpdatedAt)
	return &e, nil
}

func collectEvents(rows pgx.Rows) ([]*store.QueuedEvent, error) {
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.QueuedEvent, error) { return scanEvent(r) })
}

// maxEnqueueTries bounds Enqueue's retries when the idempotency row that
// blocked an event disappears (pruned) before Enqueue can read it.
const maxEnqueueTries = 3

// Enqueue implements store.QueueStore. An event without an idempotency
// key is one INSERT. With a key it is one statement too: it upserts the
// row of (hook, key) in the idempotency_keys table and inserts the event
// only if the upsert took the row. The table's primary key makes
// concurrent Enqueues with one key, in any process, wait for each other;
// the row is replaced only when the event it names was created before
// dedupSince, and it keeps naming the newest event with the key. When the
// row is not taken, a second query reads the event it names, which
// Enqueue reports with store.ErrDuplicate.
func (s *Store) Enqueue(ctx context.Context, e *store.QueuedEvent, dedupSince time.Time) (string, error) {
	if e == nil || e.ID == "" {
		return "", invalid("event needs an ID")
	}
	if err := s.check(ctx); err != nil {
		return "", err
	}
	payload := e.Payload
	if payload == nil {
		payload = []byte{}
	}
	key := []byte(e.IdempotencyKey)
	if e.IdempotencyKey == "" {
		_, err := s.pool.Exec(ctx, s.q(`INSERT INTO {s}.events (`+eventColumns+`)
VALUES ($1, $2, $3, $4, $5, 'pending', 0, ''::bytea, $6, $7, $8)`),
			e.ID, e.Org, e.HookID, key, payload, e.NextAttempt, e.CreatedAt, e.UpdatedAt)
		if err != nil {
			return "", s.wrap("enqueue event "+e.ID, err)
		}
		return e.ID, nil
	}
	for range maxEnqueueTries {
		// On a conflict the existing row is locked (until this statement
		// ends) whether or not the WHERE clause lets it be updated.
		tag, err := s.pool.Exec(ctx, s.q(`WITH k AS (
	INSERT INTO {s}.idempotency_keys AS i (hook_id, key, event_id, created_at)
	VALUES ($3, $4, $1, $7)
	ON CONFLICT (hook_id, key) DO UPDATE SET
		event_id = CASE WHEN EXCLUDED.created_at >= i.created_at THEN EXCLUDED.event_id ELSE i.event_id END,
		created_at = GREATEST(EXCLUDED.created_at, i.created_at)
	WHERE i.created_at < $9
	RETURNING 1
)
INSERT INTO {s}.events (`+eventColumns+`)
SELECT $1, $2, $3, $4, $5, 'pending', 0, ''::bytea, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM k)`),
			e.ID, e.Org, e.HookID, key, payload, e.NextAttempt, e.CreatedAt, e.UpdatedAt, dedupSince)
		if err != nil {
			return "", s.wrap("enqueue event "+e.ID, err)
		}
		if tag.RowsAffected() == 1 {
			return e.ID, nil
		}
		var (
			dup     string
			created time.Time
		)
		err = s.pool.QueryRow(ctx, s.q(`SELECT event_id, created_at FROM {s}.idempotency_keys WHERE hook_id = $1 AND key = $2`),
			e.HookID, key).Scan(&dup, &created)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // pruned in between: try again
		}
		if err != nil {
			return "", s.wrap("enqueue event "+e.ID, err)
		}
		if !created.Before(dedupSince) {
			return dup, fmt.Errorf("pgstore: event %q: %w", dup, store.ErrDuplicate)
		}
		// Replaced in between by an event older than the window (its
		// clock lags): try again.
	}
	return "", fmt.Errorf("pgstore: enqueue event %q: idempotency key changed %d times while enqueuing: %w",
		e.ID, maxEnqueueTries, store.ErrConflict)
}

// Claim implements store.QueueStore. Due events are taken by NextAttempt,
// then CreatedAt, then ID, with SELECT ... FOR UPDATE SKIP LOCKED: claimers
// in any number of processes skip the rows another claimer is taking
// instead of waiting for them, and each event goes to one claimer. A
// claim may return fewer than limit events while other claims run.
func (s *Store) Claim(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*store.QueuedEvent, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	if limit < 1 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, s.q(`WITH c AS (
	SELECT id, next_attempt AS due FROM {s}.events
	WHERE state = 'pending' AND next_attempt <= $1
	ORDER BY next_attempt, created_at, id
	LIMIT $3
	FOR UPDATE SKIP LOCKED
), u AS (
	UPDATE {s}.events e SET attempts = e.attempts + 1, next_attempt = $2, updated_at = $1
	FROM c WHERE e.id = c.id
	RETURNING e.id, e.org, e.hook_id, e.idempotency_key, e.payload, e.state, e.attempts, e.last_error,
		e.next_attempt, e.created_at, e.updated_at, c.due
)
SELECT `+eventColumns+` FROM u ORDER BY due, created_at, id`), now, now.Add(lease), limit)
	if err != nil {
		return nil, s.wrap("claim events", err)
	}
	evs, err := collectEvents(rows)
	if err != nil {
		return nil, s.wrap("claim events", err)
	}
	return evs, nil
}

// Complete implements store.QueueStore.
func (s *Store) Complete(ctx context.Context, id string, attempts int, now time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {s}.events SET state = 'delivered', updated_at = $2
WHERE id = $1 AND state = 'pending' AND attempts = $3`), id, now, attempts)
	if err != nil {
		return s.wrap("complete event "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.notClaimed(ctx, id, attempts)
	}
	return nil
}

// notClaimed explains why a Complete or Fail of event id for the claim
// attempts changed nothing: the event is unknown (store.ErrNotFound) or
// no longer held by that claim (store.ErrStale).
func (s *Store) notClaimed(ctx context.Context, id string, attempts int) error {
	var state string
	var got int
	err := s.pool.QueryRow(ctx, s.q(`SELECT state, attempts FROM {s}.events WHERE id = $1`), id).Scan(&state, &got)
	if err != nil {
		return s.wrap(fmt.Sprintf("event %q", id), err)
	}
	return fmt.Errorf("pgstore: event %q is %s at attempt %d, not pending at attempt %d: %w", id, state, got, attempts, store.ErrStale)
}

// Fail implements store.QueueStore. It leaves UpdatedAt at the time of
// the claim, as it is given no clock reading.
func (s *Store) Fail(ctx context.Context, id string, attempts int, lastError string, next time.Time, dead bool) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	state := store.StatePending
	if dead {
		state = store.StateDead
	}
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {s}.events SET last_error = $2, next_attempt = $3, state = $4
WHERE id = $1 AND state = 'pending' AND attempts = $5`),
		id, []byte(lastError), next, string(state), attempts)
	if err != nil {
		return s.wrap("fail event "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return s.notClaimed(ctx, id, attempts)
	}
	return nil
}

// GetEvent implements store.QueueStore.
func (s *Store) GetEvent(ctx context.Context, org, id string) (*store.QueuedEvent, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	ev, err := scanEvent(s.pool.QueryRow(ctx, s.q(`SELECT `+eventColumns+` FROM {s}.events WHERE id = $1 AND org = $2`), id, org))
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("event %q", id), err)
	}
	return ev, nil
}

// ListEvents implements store.QueueStore: newest (by CreatedAt, then ID)
// first. A limit below 1 means no limit.
func (s *Store) ListEvents(ctx context.Context, org string, state store.EventState, limit int) ([]*store.QueuedEvent, error) {
	if err := s.check(ctx); err != nil {
		return nil, err
	}
	var lim *int // NULL: LIMIT ALL
	if limit > 0 {
		lim = &limit
	}
	// A list carries delivery states only: no payload is read.
	rows, err := s.pool.Query(ctx, s.q(`SELECT id, org, hook_id, idempotency_key, NULL::bytea, state, attempts, last_error,
	next_attempt, created_at, updated_at FROM {s}.events
WHERE org = $1 AND state = $2 ORDER BY created_at DESC, id DESC LIMIT $3`), org, string(state), lim)
	if err != nil {
		return nil, s.wrap("list events", err)
	}
	evs, err := collectEvents(rows)
	if err != nil {
		return nil, s.wrap("list events", err)
	}
	return evs, nil
}

// Replay implements store.QueueStore.
func (s *Store) Replay(ctx context.Context, org, id string, now time.Time) error {
	if err := s.check(ctx); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {s}.events SET state = 'pending', attempts = 0, next_attempt = $3, updated_at = $3
WHERE id = $1 AND org = $2 AND state = 'dead'`), id, org, now)
	if err != nil {
		return s.wrap("replay event "+id, err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	var state string
	err = s.pool.QueryRow(ctx, s.q(`SELECT state FROM {s}.events WHERE id = $1 AND org = $2`), id, org).Scan(&state)
	if err != nil {
		return s.wrap(fmt.Sprintf("replay event %q", id), err)
	}
	return fmt.Errorf("pgstore: event %q is %s, not dead: %w", id, state, store.ErrConflict)
}

// Prune implements store.QueueStore. It deletes in batches of at most
// pruneBatch events, each with its idempotency rows in one statement, and
// skips events another transaction holds locked (a later Prune takes
// them).
func (s *Store) Prune(ctx context.Context, before time.Time) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		var n int
		err := s.pool.QueryRow(ctx, s.q(`WITH d AS (
	DELETE FROM {s}.events WHERE state = 'delivered' AND updated_at < $1 AND id IN (
		SELECT id FROM {s}.events WHERE state = 'delivered' AND updated_at < $1
		ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)
	RETURNING id, hook_id, idempotency_key
), k AS (
	DELETE FROM {s}.idempotency_keys i USING d
	WHERE i.hook_id = d.hook_id AND i.key = d.idempotency_key AND i.event_id = d.id
)
SELECT count(*) FROM d`), before, pruneBatch).Scan(&n)
		if err != nil {
			return total, s.wrap("prune events", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// CountEvents implements store.QueueStore.
func (s *Store) CountEvents(ctx context.Context, state store.EventState) (int, error) {
	if err := s.check(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.pool.QueryRow(ctx, s.q(`SELECT count(*) FROM {s}.events WHERE state = $1`), string(state)).Scan(&n); err != nil {
		return 0, s.wrap("count events", err)
	}
	return n, nil
}
