package pgstore

import "time"

// NumMigrations returns how many migrations the package holds.
func NumMigrations() int { return len(migrations) }

// Listening reports whether the store's listener listens (and so its
// cache is on).
func Listening(s *Store) bool {
	s.listen.mu.Lock()
	defer s.listen.mu.Unlock()
	return s.listen.pid != 0
}

// ListenPID returns the backend PID of the listening connection, or 0.
func ListenPID(s *Store) uint32 {
	s.listen.mu.Lock()
	defer s.listen.mu.Unlock()
	return s.listen.pid
}

// CacheLen returns how many hooks and keys the store holds in memory.
func CacheLen(s *Store) (hooks, keys int) {
	if s.cache == nil {
		return 0, 0
	}
	return s.cache.Len()
}

// ChannelName returns the schema's notification channel.
func ChannelName(schema string) string { return channelName(schema) }

// SetHeartbeat changes how long the listener waits before it checks its
// connection; call it before the listener's next wait.
func SetHeartbeat(s *Store, d time.Duration) {
	s.listen.mu.Lock()
	defer s.listen.mu.Unlock()
	s.listen.heartbeat = d
}

// EnqueueGroups returns how many Enqueue transactions the store ran.
func EnqueueGroups(s *Store) int64 { return s.groups.Load() }
