package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

var _ store.IdempotencyStore = (*driver)(nil)

// seenKey is a record of store.IdempotencyStore.
type seenKey struct {
	eventID   string
	confirmed bool
	expires   time.Time
}

// ReserveKey implements store.IdempotencyStore.
func (s *driver) ReserveKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) (string, error) {
	if err := s.write(); err != nil {
		return "", err
	}
	defer s.mu.Unlock()
	k := idemKey{hookID, key}
	if r, ok := s.seen[k]; ok && r.expires.After(now) {
		if r.confirmed {
			return r.eventID, fmt.Errorf("memstore: key of event %q: %w", r.eventID, store.ErrDuplicate)
		}
		return r.eventID, fmt.Errorf("memstore: key reserved by event %q: %w", r.eventID, store.ErrConflict)
	}
	s.seen[k] = seenKey{eventID: eventID, expires: until}
	return eventID, nil
}

// ConfirmKey implements store.IdempotencyStore.
func (s *driver) ConfirmKey(ctx context.Context, hookID, key, eventID string, now, until time.Time) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := idemKey{hookID, key}
	if r, ok := s.seen[k]; ok && r.eventID != eventID && r.expires.After(now) {
		return fmt.Errorf("memstore: key held by event %q: %w", r.eventID, store.ErrStale)
	}
	s.seen[k] = seenKey{eventID: eventID, confirmed: true, expires: until}
	return nil
}

// ReleaseKey implements store.IdempotencyStore.
func (s *driver) ReleaseKey(ctx context.Context, hookID, key, eventID string) error {
	if err := s.write(); err != nil {
		return err
	}
	defer s.mu.Unlock()
	k := idemKey{hookID, key}
	if r, ok := s.seen[k]; ok && r.eventID == eventID {
		delete(s.seen, k)
	}
	return nil
}

// PruneKeys implements store.IdempotencyStore. It looks at every record.
func (s *driver) PruneKeys(ctx context.Context, now time.Time) (int, error) {
	if err := s.write(); err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	n := 0
	for k, r := range s.seen {
		if !r.expires.After(now) {
			delete(s.seen, k)
			n++
		}
	}
	return n, nil
}
