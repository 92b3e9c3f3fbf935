package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/internal/lookupcache"
)

const hookColumns = `id, org, kind, name, description, token, debug, disabled, example_data, settings, created_at, updated_at, revision`

func scanHook(row pgx.Row) (*store.Hook, error) {
	var h store.Hook
	if err := row.Scan(&h.ID, &h.Org, &h.Kind, &h.Name, &h.Description, &h.Token, &h.Debug, &h.Disabled,
		&h.ExampleData, &h.Settings, &h.CreatedAt, &h.UpdatedAt, &h.Revision); err != nil {
		return nil, err
	}
	h.CreatedAt, h.UpdatedAt = utc(h.CreatedAt), utc(h.UpdatedAt)
	return &h, nil
}

// CreateHook implements store.HookStore.
func (s *driver) CreateHook(ctx context.Context, h *store.Hook) error {
	if err := s.check(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, s.q(`INSERT INTO {s}.hooks (`+hookColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 0)`),
		h.ID, h.Org, h.Kind, h.Name, h.Description, h.Token, h.Debug, h.Disabled,
		h.ExampleData, h.Settings, h.CreatedAt, h.UpdatedAt)
	s.hookChanged(h.ID)
	return s.wrap("create hook "+h.ID, err)
}

// hookChanged drops what the cache holds of hook id, after a write of it
// (whatever its outcome: dropping is always safe). Other replicas learn of
// the change by NOTIFY; this one must not wait for its own.
func (s *driver) hookChanged(id string) {
	if s.cache != nil {
		s.cache.InvalidateHook(id)
	}
}

// keyChanged is hookChanged for key id.
func (s *driver) keyChanged(id string) {
	if s.cache != nil {
		s.cache.InvalidateKey(id)
	}
}

// GetHook implements store.HookStore. It serves from memory when it can
// (see Options.CacheMaxAge).
func (s *driver) GetHook(ctx context.Context, org, id string) (*store.Hook, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if s.cache != nil {
		if h, ok := s.cache.Hook(id); ok {
			if h.Org != org {
				return nil, notFound("hook", id)
			}
			return h, nil
		}
	}
	var t lookupcache.Ticket
	if s.cache != nil {
		t = s.cache.Begin()
	}
	h, err := scanHook(s.pool.QueryRow(ctx, s.q(`SELECT `+hookColumns+` FROM {s}.hooks WHERE id = $1`), id))
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("hook %q", id), err)
	}
	if s.cache != nil {
		s.cache.AddHook(t, h)
	}
	if h.Org != org {
		return nil, notFound("hook", id)
	}
	return h, nil
}

// HookByToken implements store.HookStore. It serves from memory when it
// can (see Options.CacheMaxAge), unknown tokens included.
func (s *driver) HookByToken(ctx context.Context, token string) (*store.Hook, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if s.cache == nil {
		h, err := scanHook(s.pool.QueryRow(ctx, s.q(`SELECT `+hookColumns+` FROM {s}.hooks WHERE token = $1`), token))
		if err != nil {
			return nil, s.wrap("hook token", err)
		}
		return h, nil
	}
	if h, ok := s.cache.HookByToken(token); ok {
		if h == nil {
			return nil, fmt.Errorf("pgstore: hook token: %w", store.ErrNotFound)
		}
		return h, nil
	}
	t := s.cache.Begin()
	h, err := scanHook(s.pool.QueryRow(ctx, s.q(`SELECT `+hookColumns+` FROM {s}.hooks WHERE token = $1`), token))
	if errors.Is(err, pgx.ErrNoRows) {
		s.cache.AddNoToken(t, token)
	}
	if err != nil {
		return nil, s.wrap("hook token", err)
	}
	s.cache.AddHook(t, h)
	return h, nil
}

// ListHooks implements store.HookStore.
func (s *driver) ListHooks(ctx context.Context, org string) ([]*store.Hook, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+hookColumns+` FROM {s}.hooks WHERE org = $1 ORDER BY created_at, id`), org)
	if err != nil {
		return nil, s.wrap("list hooks", err)
	}
	hooks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Hook, error) { return scanHook(r) })
	if err != nil {
		return nil, s.wrap("list hooks", err)
	}
	return hooks, nil
}

// UpdateHook implements store.HookStore. It replaces every field,
// CreatedAt included, as the other stores do, in one statement that
// applies only at the given revision.
func (s *driver) UpdateHook(ctx context.Context, h *store.Hook) error {
	if err := s.check(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q(`UPDATE {s}.hooks SET kind = $3, name = $4, description = $5, token = $6,
	debug = $7, disabled = $8, example_data = $9, settings = $10, created_at = $11, updated_at = $12,
	revision = revision + 1
WHERE id = $1 AND org = $2 AND revision = $13`),
		h.ID, h.Org, h.Kind, h.Name, h.Description, h.Token, h.Debug, h.Disabled,
		h.ExampleData, h.Settings, h.CreatedAt, h.UpdatedAt, h.Revision)
	s.hookChanged(h.ID)
	if err != nil {
		return s.wrap("update hook "+h.ID, err)
	}
	if tag.RowsAffected() == 0 {
		// Absent, or at another revision: say which.
		var rev int64
		err := s.pool.QueryRow(ctx, s.q(`SELECT revision FROM {s}.hooks WHERE id = $1 AND org = $2`), h.ID, h.Org).Scan(&rev)
		if err != nil {
			return s.wrap(fmt.Sprintf("hook %q", h.ID), err)
		}
		return fmt.Errorf("pgstore: hook %q is at revision %d, not %d: %w", h.ID, rev, h.Revision, store.ErrStale)
	}
	return nil
}

// DeleteHook implements store.HookStore: the hook and its debug entries
// go in one transaction.
func (s *driver) DeleteHook(ctx context.Context, org, id string) error {
	if err := s.check(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, s.q(`DELETE FROM {s}.hooks WHERE id = $1 AND org = $2`), id, org)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return notFound("hook", id)
		}
		_, err = tx.Exec(ctx, s.q(`DELETE FROM {s}.debug_entries WHERE hook_id = $1`), id)
		return err
	})
	s.hookChanged(id)
	return s.wrap("delete hook "+id, err)
}

const keyColumns = `id, org, name, roles, hash, created_at`

// scanKey reads a row of keyColumns and the extra columns given.
func scanKey(row pgx.Row, extra ...any) (*store.Key, error) {
	var k store.Key
	if err := row.Scan(append([]any{&k.ID, &k.Org, &k.Name, &k.Roles, &k.Hash, &k.CreatedAt}, extra...)...); err != nil {
		return nil, err
	}
	k.CreatedAt = utc(k.CreatedAt)
	if len(k.Roles) == 0 {
		k.Roles = nil
	}
	return &k, nil
}

// CreateKey implements store.KeyStore.
func (s *driver) CreateKey(ctx context.Context, k *store.Key) error {
	if err := s.check(); err != nil {
		return err
	}
	roles := k.Roles
	if roles == nil {
		roles = []string{}
	}
	hash := k.Hash
	if hash == nil {
		hash = []byte{}
	}
	_, err := s.pool.Exec(ctx, s.q(`INSERT INTO {s}.keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6)`),
		k.ID, k.Org, k.Name, roles, hash, k.CreatedAt)
	s.keyChanged(k.ID)
	return s.wrap("create key "+k.ID, err)
}

// GetKey implements store.KeyStore. It serves from memory when it can
// (see Options.CacheMaxAge), unknown IDs included.
func (s *driver) GetKey(ctx context.Context, id string) (*store.Key, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	var t lookupcache.Ticket
	if s.cache != nil {
		if k, ok := s.cache.Key(id); ok {
			if k == nil {
				return nil, notFound("key", id)
			}
			return k, nil
		}
		t = s.cache.Begin()
	}
	k, err := scanKey(s.pool.QueryRow(ctx, s.q(`SELECT `+keyColumns+` FROM {s}.keys WHERE id = $1`), id))
	if s.cache != nil && (err == nil || errors.Is(err, pgx.ErrNoRows)) {
		s.cache.AddKey(t, id, k)
	}
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("key %q", id), err)
	}
	return k, nil
}

// ListKeys implements store.KeyStore.
func (s *driver) ListKeys(ctx context.Context, org string) ([]*store.Key, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT k.id, k.org, k.name, k.roles, k.hash, k.created_at, u.last_used
FROM {s}.keys k LEFT JOIN {s}.key_usage u ON u.id = k.id WHERE k.org = $1 ORDER BY k.created_at, k.id`), org)
	if err != nil {
		return nil, s.wrap("list keys", err)
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.Key, error) {
		var used *time.Time
		k, err := scanKey(r, &used)
		if err == nil && used != nil {
			k.LastUsed = utc(*used)
		}
		return k, err
	})
	if err != nil {
		return nil, s.wrap("list keys", err)
	}
	return keys, nil
}

// DeleteKey implements store.KeyStore.
func (s *driver) DeleteKey(ctx context.Context, org, id string) error {
	if err := s.check(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, s.q(`WITH d AS (DELETE FROM {s}.keys WHERE id = $1 AND org = $2 RETURNING id),
u AS (DELETE FROM {s}.key_usage WHERE id IN (SELECT id FROM d))
SELECT 1 FROM d`), id, org)
	s.keyChanged(id)
	if err != nil {
		return s.wrap("delete key "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound("key", id)
	}
	return nil
}

// TouchKey implements store.KeyUsageStore. The time lives in a table of
// its own (key_usage), so that recording it neither rewrites the key's
// row nor announces a change of the key to the replicas' caches.
func (s *driver) TouchKey(ctx context.Context, id string, at time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, s.q(`INSERT INTO {s}.key_usage (id, last_used)
SELECT id, $2 FROM {s}.keys WHERE id = $1
ON CONFLICT (id) DO UPDATE SET last_used = GREATEST({s}.key_usage.last_used, EXCLUDED.last_used)`), id, at)
	return s.wrap("touch key "+id, err)
}

const debugColumns = `id, hook_id, time, data`

func scanDebug(row pgx.Row) (*store.DebugEntry, error) {
	var e store.DebugEntry
	if err := row.Scan(&e.ID, &e.HookID, &e.Time, &e.Data); err != nil {
		return nil, err
	}
	e.Time = utc(e.Time)
	return &e, nil
}

// AppendDebug implements store.DebugStore. Entries are ordered by ID
// (byte order), which callers make time-sortable; an entry whose ID is
// already stored for the hook replaces it. The insert and the trim run in
// one transaction that holds an advisory lock on the hook, so that
// concurrent appends, from any number of processes, never leave more
// than keep entries.
func (s *driver) AppendDebug(ctx context.Context, e *store.DebugEntry, keep int) error {
	if err := s.check(); err != nil {
		return err
	}
	data := e.Data
	if data == nil {
		data = []byte{}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, s.debugLockClass, int32(hash32(e.HookID)))
		b.Queue(s.q(`INSERT INTO {s}.debug_entries (`+debugColumns+`) VALUES ($1, $2, $3, $4)
ON CONFLICT (hook_id, id) DO UPDATE SET time = EXCLUDED.time, data = EXCLUDED.data`), e.ID, e.HookID, e.Time, data)
		b.Queue(s.q(`DELETE FROM {s}.debug_entries WHERE hook_id = $1 AND id < (
	SELECT id FROM {s}.debug_entries WHERE hook_id = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)`), e.HookID, keep-1)
		return tx.SendBatch(ctx, b).Close()
	})
	return s.wrap("append debug entry "+e.ID, err)
}

// ListDebug implements store.DebugStore.
func (s *driver) ListDebug(ctx context.Context, hookID string) ([]*store.DebugEntry, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q(`SELECT `+debugColumns+` FROM {s}.debug_entries WHERE hook_id = $1 ORDER BY id DESC`), hookID)
	if err != nil {
		return nil, s.wrap("list debug entries", err)
	}
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.DebugEntry, error) { return scanDebug(r) })
	if err != nil {
		return nil, s.wrap("list debug entries", err)
	}
	return entries, nil
}

// GetDebug implements store.DebugStore.
func (s *driver) GetDebug(ctx context.Context, hookID, id string) (*store.DebugEntry, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	e, err := scanDebug(s.pool.QueryRow(ctx, s.q(`SELECT `+debugColumns+` FROM {s}.debug_entries WHERE hook_id = $1 AND id = $2`), hookID, id))
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("debug entry %q", id), err)
	}
	return e, nil
}

// ClearDebug implements store.DebugStore.
func (s *driver) ClearDebug(ctx context.Context, hookID string) error {
	if err := s.check(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, s.q(`DELETE FROM {s}.debug_entries WHERE hook_id = $1`), hookID)
	return s.wrap("clear debug entries", err)
}
