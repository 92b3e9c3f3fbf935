package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inbound-hooks/inbound/store"
)

var _ store.IdempotencyStore = (*driver)(nil)

// reserveTries bounds how often ReserveKey starts again when the record
// that refused its reservation is gone (released or pruned) before it
// could be read.
const reserveTries = 5

// checkSeen applies PostgreSQL's own rule (text without NUL, valid
// UTF-8) to the IDs of a seen key; the portable layer applied the shared
// ones.
func (s *driver) checkSeen(hookID, eventID string) error {
	if !validText(hookID) || !validText(eventID) {
		return invalid("hook ID and event ID must be UTF-8 without NUL")
	}
	return s.check()
}

// ReserveKey implements store.IdempotencyStore. The insert takes the row
// unless an unexpired record holds it; the primary key makes concurrent
// reservations from any replica wait for each other and agree on one.
func (s *driver) ReserveKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) (string, error) {
	if err := s.checkSeen(hookID, eventID); err != nil {
		return "", err
	}
	for range reserveTries {
		var id string
		err := s.pool.QueryRow(ctx, s.q(`INSERT INTO {s}.seen_keys AS k (hook_id, key, event_id, confirmed, expires_at)
VALUES ($1, $2, $3, false, $5)
ON CONFLICT (hook_id, key) DO UPDATE SET event_id = excluded.event_id, confirmed = false, expires_at = excluded.expires_at
	WHERE k.expires_at <= $4
RETURNING event_id`), hookID, []byte(key), eventID, now, until).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return "", s.wrap("reserve key", err)
		}
		// An unexpired record refused the reservation; read it (a new
		// statement sees what the insert waited for).
		var confirmed bool
		var expires time.Time
		err = s.pool.QueryRow(ctx, s.q(`SELECT event_id, confirmed, expires_at FROM {s}.seen_keys WHERE hook_id = $1 AND key = $2`),
			hookID, []byte(key)).Scan(&id, &confirmed, &expires)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			continue // released meanwhile: try again
		case err != nil:
			return "", s.wrap("reserve key", err)
		case !expires.After(now):
			continue
		case confirmed:
			return id, fmt.Errorf("pgstore: key of event %q: %w", id, store.ErrDuplicate)
		default:
			return id, fmt.Errorf("pgstore: key reserved by event %q: %w", id, store.ErrConflict)
		}
	}
	return "", fmt.Errorf("pgstore: reserve key: the record kept changing after %d tries", reserveTries)
}

// ConfirmKey implements store.IdempotencyStore.
func (s *driver) ConfirmKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) error {
	if err := s.checkSeen(hookID, eventID); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q(`INSERT INTO {s}.seen_keys AS k (hook_id, key, event_id, confirmed, expires_at)
VALUES ($1, $2, $3, true, $5)
ON CONFLICT (hook_id, key) DO UPDATE SET event_id = excluded.event_id, confirmed = true, expires_at = excluded.expires_at
	WHERE k.event_id = $3 OR k.expires_at <= $4`), hookID, []byte(key), eventID, now, until)
	if err != nil {
		return s.wrap("confirm key", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("pgstore: key held by another event: %w", store.ErrStale)
	}
	return nil
}

// ReleaseKey implements store.IdempotencyStore.
func (s *driver) ReleaseKey(ctx context.Context, hookID, key, eventID string) error {
	if err := s.checkSeen(hookID, eventID); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, s.q(`DELETE FROM {s}.seen_keys WHERE hook_id = $1 AND key = $2 AND event_id = $3`),
		hookID, []byte(key), eventID)
	return s.wrap("release key", err)
}

// PruneKeys implements store.IdempotencyStore, in batches of at most
// pruneBatch rows, skipping rows another transaction holds locked.
func (s *driver) PruneKeys(ctx context.Context, now time.Time) (int, error) {
	if err := s.check(); err != nil {
		return 0, err
	}
	total := 0
	for {
		tag, err := s.pool.Exec(ctx, s.q(`DELETE FROM {s}.seen_keys WHERE (hook_id, key) IN (
	SELECT hook_id, key FROM {s}.seen_keys WHERE expires_at <= $1
	ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`), now, pruneBatch)
		if err != nil {
			return total, s.wrap("prune keys", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
