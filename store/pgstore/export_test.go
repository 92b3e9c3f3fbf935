package pgstore

import (
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// unwrap returns the driver behind s, a store Open or New returned.
func unwrap(s store.Store) *driver {
	d, ok := store.As[*driver](s)
	if !ok {
		panic("pgstore: not a pgstore store")
	}
	return d
}

// NumMigrations returns how many migrations the package holds.
func NumMigrations() int { return len(migrations) }

// Listening reports whether the store's listener listens (and so its
// cache is on).
func Listening(st store.Store) bool {
	s := unwrap(st)
	s.listen.mu.Lock()
	defer s.listen.mu.Unlock()
	return s.listen.pid != 0
}

// ListenPID returns the backend PID of the listening connection, or 0.
func ListenPID(st store.Store) uint32 {
	s := unwrap(st)
	s.listen.mu.Lock()
	defer s.listen.mu.Unlock()
	return s.listen.pid
}

// CacheLen returns how many hooks and keys the store holds in memory.
func CacheLen(st store.Store) (hooks, keys int) {
	s := unwrap(st)
	if s.cache == nil {
		return 0, 0
	}
	return s.cache.Len()
}

// ChannelName returns the schema's notification channel.
func ChannelName(schema string) string { return channelName(schema) }

// SetHeartbeat changes how long the listener waits before it checks its
// connection; call it before the listener's next wait.
func SetHeartbeat(st store.Store, d time.Duration) {
	s := unwrap(st)
	s.listen.mu.Lock()
	defer s.listen.mu.Unlock()
	s.listen.heartbeat = d
}

// EnqueueGroups returns how many Enqueue transactions the store ran.
func EnqueueGroups(s store.Store) int64 { return unwrap(s).groups.Load() }

// EnqueueGroup enqueues evs as one group commit would if concurrent
// Enqueues (with dedupSince since) reached a committer together, and
// returns each one's answer.
func EnqueueGroup(st store.Store, evs []*store.QueuedEvent, since time.Time) ([]string, []error) {
	s := unwrap(st)
	reqs := make([]*enqueueReq, len(evs))
	for i, e := range evs {
		reqs[i] = &enqueueReq{e: e, since: since, done: make(chan struct{})}
	}
	s.commitGroup(reqs)
	ids, errs := make([]string, len(reqs)), make([]error, len(reqs))
	for i, r := range reqs {
		<-r.done
		ids[i], errs[i] = r.id, r.err
	}
	return ids, errs
}
