package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/inbound-hooks/inbound/store"
)

func getKey(tx *bolt.Tx, id string) (*store.Key, error) {
	data := tx.Bucket(bKeys).Get([]byte(id))
	if data == nil {
		return nil, notFound("key", id)
	}
	var k store.Key
	if err := decode("key", []byte(id), data, &k); err != nil {
		return nil, err
	}
	return &k, nil
}

// CreateKey implements store.KeyStore.
func (s *driver) CreateKey(ctx context.Context, k *store.Key) error {
	defer s.cache.InvalidateKey(k.ID) // after the commit
	return s.update(func(tx *bolt.Tx) error {
		if tx.Bucket(bKeys).Get([]byte(k.ID)) != nil {
			return fmt.Errorf("boltstore: key ID %q in use: %w", k.ID, store.ErrConflict)
		}
		c := *k
		c.LastUsed = time.Time{}
		if err := put(tx.Bucket(bKeys), []byte(k.ID), &c); err != nil {
			return err
		}
		return tx.Bucket(bKeyOrg).Put(orgKey(k.Org, k.CreatedAt, k.ID), nil)
	})
}

// GetKey implements store.KeyStore. It serves from memory what it read
// before, unknown IDs included.
func (s *driver) GetKey(ctx context.Context, id string) (*store.Key, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if k, ok := s.cache.Key(id); ok {
		if k == nil {
			return nil, notFound("key", id)
		}
		return k, nil
	}
	t := s.cache.Begin()
	var k *store.Key
	absent := false
	err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bKeys).Get([]byte(id)) == nil {
			absent = true
		}
		var err error
		k, err = getKey(tx, id)
		return err
	})
	if err == nil || absent {
		s.cache.AddKey(t, id, k)
	}
	return k, err
}

// ListKeys implements store.KeyStore.
func (s *driver) ListKeys(ctx context.Context, org string) ([]*store.Key, error) {
	var out []*store.Key
	err := s.view(func(tx *bolt.Tx) error {
		prefix := appendLP(nil, org)
		c := tx.Bucket(bKeyOrg).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			key, err := getKey(tx, string(k[len(prefix)+timeKeyLen:]))
			if err != nil {
				return err
			}
			out = append(out, key)
		}
		return nil
	})
	return out, err
}

// DeleteKey implements store.KeyStore.
func (s *driver) DeleteKey(ctx context.Context, org, id string) error {
	defer s.cache.InvalidateKey(id) // after the commit
	return s.update(func(tx *bolt.Tx) error {
		old, err := getKey(tx, id)
		if err != nil {
			return err
		}
		if old.Org != org {
			return notFound("key", id)
		}
		if err := tx.Bucket(bKeyOrg).Delete(orgKey(old.Org, old.CreatedAt, old.ID)); err != nil {
			return err
		}
		return tx.Bucket(bKeys).Delete([]byte(id))
	})
}

// TouchKey implements store.KeyUsageStore: the time is kept in the key's
// record. It does not drop the key from the lookup cache (authentication
// does not read the time), so GetKey may show an older LastUsed.
func (s *driver) TouchKey(ctx context.Context, id string, at time.Time) error {
	return s.update(func(tx *bolt.Tx) error {
		k, err := getKey(tx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if !at.After(k.LastUsed) {
			return nil
		}
		k.LastUsed = at.UTC()
		return put(tx.Bucket(bKeys), []byte(id), k)
	})
}
