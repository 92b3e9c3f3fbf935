package hooks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// notifyingStore is a store shared by "replicas" that announces every
// Enqueue to its subscribers, as pgstore does with NOTIFY.
type notifyingStore struct {
	store.Store
	mu   sync.Mutex
	subs map[chan struct{}]bool
}

var _ store.EnqueueNotifier = (*notifyingStore)(nil)

func (s *notifyingStore) NotifyEnqueued() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.mu.Lock()
	s.subs[ch] = true
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		delete(s.subs, ch)
		s.mu.Unlock()
	}
}

func (s *notifyingStore) Enqueue(ctx context.Context, e *store.QueuedEvent, since time.Time) (string, error) {
	id, err := s.Store.Enqueue(ctx, e, since)
	s.mu.Lock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
	s.mu.Unlock()
	return id, err
}

func (s *notifyingStore) subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// TestQueueWakesOnNotify: an event accepted by one Queue (a replica whose
// dispatcher does not run) is delivered by another Queue's dispatcher on
// the same store at once, woken by the store's notification, not by its
// hour-long poll; Shutdown ends the subscription.
func TestQueueWakesOnNotify(t *testing.T) {
	s := &notifyingStore{Store: memstore.New(), subs: map[chan struct{}]bool{}}
	defer s.Close()
	accepting := newQueue(t, s, newRecorder(nil), hooks.QueueOptions{})
	rec := newRecorder(nil)
	dispatching := newQueue(t, s, rec, hooks.QueueOptions{PollInterval: time.Hour})
	if err := dispatching.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dispatcher to subscribe", func() bool { return s.subscribers() == 1 })
	time.Sleep(10 * time.Millisecond) // let the first (empty) claim pass
	for range 3 {
		e := testEvent("o", "h", "")
		start := time.Now()
		deliver(t, accepting, e)
		waitFor(t, "delivery by the other queue", func() bool { return rec.Calls(e.ID) == 1 })
		if d := time.Since(start); d > time.Second {
			t.Fatalf("commit to Fire took %v, want well under the poll interval", d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dispatching.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.subscribers(); n != 0 {
		t.Fatalf("subscriptions after Shutdown: got %d, want 0", n)
	}
}
