package memstore

import (
	"cmp"
	"container/heap"
	"strings"
	"time"
)

// pendingEntry is one entry of the pending index: an event's claim order
// key as it was when the entry was pushed, and the generation that makes
// the entry current.
type pendingEntry struct {
	next    time.Time // NextAttempt
	created time.Time // CreatedAt
	id      string
	gen     uint64
}

// pendingIndex is a min-heap of pending events ordered by NextAttempt,
// then CreatedAt, then ID: Claim's order. Deletion is lazy: an entry is
// current only while its gen is the one recorded for its event in
// pendingSet, so changing or leaving the pending state costs a map write
// (and a push), and stale entries are dropped when they reach the top or
// when they outnumber the current ones (compact).
type pendingIndex []pendingEntry

func (h pendingIndex) Len() int { return len(h) }

func (h pendingIndex) Less(i, j int) bool {
	a, b := &h[i], &h[j]
	return cmp.Or(a.next.Compare(b.next), a.created.Compare(b.created), strings.Compare(a.id, b.id)) < 0
}

func (h pendingIndex) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// Push implements heap.Interface.
func (h *pendingIndex) Push(x any) { *h = append(*h, x.(pendingEntry)) }

// Pop implements heap.Interface.
func (h *pendingIndex) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = pendingEntry{} // drop the ID string
	*h = old[:len(old)-1]
	return e
}

// minCompact is the index size below which stale entries are left for
// Claim to drop.
const minCompact = 64

// reindex records ev's pending state in the pending index: a pending
// event gets a fresh current entry (its NextAttempt may have changed);
// any other event's entries become stale. Call it after every change of
// an event's State or NextAttempt. The caller holds the write lock.
func (s *driver) reindex(id string, pending bool, next, created time.Time) {
	if !pending {
		delete(s.pendingSet, id)
	} else {
		s.gen++
		s.pendingSet[id] = s.gen
		heap.Push(&s.pending, pendingEntry{next: next, created: created, id: id, gen: s.gen})
	}
	if len(s.pending) > minCompact && len(s.pending) > 2*len(s.pendingSet) {
		s.compact()
	}
}

// current reports whether e is its event's current entry.
func (s *driver) current(e *pendingEntry) bool {
	gen, ok := s.pendingSet[e.id]
	return ok && gen == e.gen
}

// compact drops the stale entries and restores the heap order, in time
// linear in the index size; reindex calls it when at least half of the
// entries are stale, so its cost is amortised over the pushes.
func (s *driver) compact() {
	kept := s.pending[:0]
	for i := range s.pending {
		if s.current(&s.pending[i]) {
			kept = append(kept, s.pending[i])
		}
	}
	clear(s.pending[len(kept):])
	s.pending = kept
	heap.Init(&s.pending)
}
