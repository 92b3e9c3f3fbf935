package boltstore

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

func getHook(tx *bolt.Tx, id string) (*store.Hook, error) {
	data := tx.Bucket(bHooks).Get([]byte(id))
	if data == nil {
		return nil, notFound("hook", id)
	}
	var h store.Hook
	if err := decode("hook", []byte(id), data, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// CreateHook implements store.HookStore.
func (s *driver) CreateHook(ctx context.Context, h *store.Hook) error {
	defer s.cache.InvalidateHook(h.ID) // after the commit
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bHooks).Get([]byte(h.ID)) != nil {
			return fmt.Errorf("boltstore: hook ID %q in use: %w", h.ID, store.ErrConflict)
		}
		if tx.Bucket(bTokens).Get([]byte(h.Token)) != nil {
			return fmt.Errorf("boltstore: hook token in use: %w", store.ErrConflict)
		}
		rec := *h
		rec.Revision = 0
		if err := put(tx.Bucket(bHooks), []byte(h.ID), &rec); err != nil {
			return err
		}
		if err := tx.Bucket(bTokens).Put([]byte(h.Token), []byte(h.ID)); err != nil {
			return err
		}
		return tx.Bucket(bHookOrg).Put(orgKey(h.Org, h.CreatedAt, h.ID), nil)
	})
}

// GetHook implements store.HookStore. It serves from memory what it read
// before.
func (s *driver) GetHook(ctx context.Context, org, id string) (*store.Hook, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	h, ok := s.cache.Hook(id)
	if !ok {
		t := s.cache.Begin()
		err := s.db.View(func(tx *bolt.Tx) error {
			var err error
			h, err = getHook(tx, id)
			return err
		})
		if err != nil {
			return nil, err
		}
		s.cache.AddHook(t, h)
	}
	if h.Org != org {
		return nil, notFound("hook", id)
	}
	return h, nil
}

// HookByToken implements store.HookStore. It serves from memory what it
// read before, unknown tokens included.
func (s *driver) HookByToken(ctx context.Context, token string) (*store.Hook, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if h, ok := s.cache.HookByToken(token); ok {
		if h == nil {
			return nil, fmt.Errorf("boltstore: hook token: %w", store.ErrNotFound)
		}
		return h, nil
	}
	t := s.cache.Begin()
	var h *store.Hook
	absent := false
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bTokens).Get([]byte(token))
		if id == nil {
			absent = true
			return fmt.Errorf("boltstore: hook token: %w", store.ErrNotFound)
		}
		var err error
		h, err = getHook(tx, string(id))
		return err
	})
	switch {
	case absent:
		s.cache.AddNoToken(t, token)
	case err == nil:
		s.cache.AddHook(t, h)
	}
	return h, err
}

// ListHooks implements store.HookStore.
func (s *driver) ListHooks(ctx context.Context, org string) ([]*store.Hook, error) {
	var out []*store.Hook
	err := s.view(func(tx *bolt.Tx) error {
		prefix := appendLP(nil, org)
		c := tx.Bucket(bHookOrg).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			h, err := getHook(tx, string(k[len(prefix)+timeKeyLen:]))
			if err != nil {
				return err
			}
			out = append(out, h)
		}
		return nil
	})
	return out, err
}

// UpdateHook implements store.HookStore.
func (s *driver) UpdateHook(ctx context.Context, h *store.Hook) error {
	defer s.cache.InvalidateHook(h.ID) // after the commit
	return s.update(func(tx *bolt.Tx) error {
		old, err := getHook(tx, h.ID)
		if err != nil {
			return err
		}
		if old.Org != h.Org {
			return notFound("hook", h.ID)
		}
		if old.Revision != h.Revision {
			return fmt.Errorf("boltstore: hook %q is at revision %d, not %d: %w", h.ID, old.Revision, h.Revision, store.ErrStale)
		}
		tokens := tx.Bucket(bTokens)
		if old.Token != h.Token {
			if tokens.Get([]byte(h.Token)) != nil {
				return fmt.Errorf("boltstore: hook token in use: %w", store.ErrConflict)
			}
			if err := tokens.Delete([]byte(old.Token)); err != nil {
				return err
			}
			if err := tokens.Put([]byte(h.Token), []byte(h.ID)); err != nil {
				return err
			}
		}
		if !old.CreatedAt.Equal(h.CreatedAt) {
			if err := tx.Bucket(bHookOrg).Delete(orgKey(old.Org, old.CreatedAt, old.ID)); err != nil {
				return err
			}
			if err := tx.Bucket(bHookOrg).Put(orgKey(h.Org, h.CreatedAt, h.ID), nil); err != nil {
				return err
			}
		}
		rec := *h
		rec.Revision = old.Revision + 1
		return put(tx.Bucket(bHooks), []byte(h.ID), &rec)
	})
}

// DeleteHook implements store.HookStore.
func (s *driver) DeleteHook(ctx context.Context, org, id string) error {
	defer s.cache.InvalidateHook(id) // after the commit
	return s.update(func(tx *bolt.Tx) error {
		old, err := getHook(tx, id)
		if err != nil {
			return err
		}
		if old.Org != org {
			return notFound("hook", id)
		}
		if err := tx.Bucket(bTokens).Delete([]byte(old.Token)); err != nil {
			return err
		}
		if err := tx.Bucket(bHookOrg).Delete(orgKey(old.Org, old.CreatedAt, old.ID)); err != nil {
			return err
		}
		if err := tx.Bucket(bHooks).Delete([]byte(id)); err != nil {
			return err
		}
		return clearDebug(tx, id)
	})
}
