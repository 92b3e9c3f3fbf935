package lookupcache

import (
	"bytes"
	"slices"
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// DefaultMaxEntries bounds each of the Cache's maps when
// Options.MaxEntries is 0.
const DefaultMaxEntries = 10000

// Options configures a Cache. The zero value works.
type Options struct {
	// MaxAge is how long an entry is served after the read that made it
	// began; 0 means no limit (for a store that sees every write).
	MaxAge time.Duration
	// MaxEntries bounds each map (hooks, absent tokens, keys, absent
	// keys); a map that is full is emptied before the next entry goes in.
	// 0 means DefaultMaxEntries.
	MaxEntries int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Ticket identifies the state of the Cache when a store read began.
type Ticket struct {
	gen uint64
	at  time.Time
}

type hookEntry struct {
	h  *store.Hook
	at time.Time
}

type keyEntry struct {
	k  *store.Key // nil: known absent
	at time.Time
}

type missEntry struct{ at time.Time }

// Cache is a store's memory of hooks and keys. It is safe for concurrent
// use. The zero value is not usable; call New.
type Cache struct {
	maxAge time.Duration
	max    int
	now    func() time.Time

	mu       sync.RWMutex
	gen      uint64
	disabled bool
	hooks    map[string]hookEntry // by ID
	tokens   map[string]string    // token -> hook ID, for hooks in hooks
	noToken  map[string]missEntry // tokens known to name no hook
	keys     map[string]keyEntry  // by ID; a nil k is a known absence
}

// New returns an empty, enabled Cache.
func New(opts Options) *Cache {
	c := &Cache{maxAge: opts.MaxAge, max: opts.MaxEntries, now: opts.Now}
	if c.max <= 0 {
		c.max = DefaultMaxEntries
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.reset()
	return c
}

func (c *Cache) reset() {
	c.hooks = map[string]hookEntry{}
	c.tokens = map[string]string{}
	c.noToken = map[string]missEntry{}
	c.keys = map[string]keyEntry{}
}

// Begin returns the ticket a store read must take before it starts, to
// give to the Add methods with what it read.
func (c *Cache) Begin() Ticket {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return Ticket{gen: c.gen, at: c.now()}
}

// fresh reports whether an entry made at at may still be served.
func (c *Cache) fresh(at time.Time) bool {
	return c.maxAge <= 0 || c.now().Sub(at) < c.maxAge
}

// HookByToken returns the cached answer for token: a copy of the hook, or
// nil with ok true when the token is known to name no hook. ok false means
// the store must be asked.
func (c *Cache) HookByToken(token string) (h *store.Hook, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.disabled {
		return nil, false
	}
	if id, found := c.tokens[token]; found {
		if e, found := c.hooks[id]; found && e.h.Token == token && c.fresh(e.at) {
			return CopyHook(e.h), true
		}
		return nil, false
	}
	if m, found := c.noToken[token]; found && c.fresh(m.at) {
		return nil, true
	}
	return nil, false
}

// Hook returns a copy of the cached hook with the given ID, whatever its
// org; ok false means the store must be asked.
func (c *Cache) Hook(id string) (h *store.Hook, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.disabled {
		return nil, false
	}
	if e, found := c.hooks[id]; found && c.fresh(e.at) {
		return CopyHook(e.h), true
	}
	return nil, false
}

// Key returns the cached answer for a key ID: a copy of the key, or nil
// with ok true when no key has the ID. ok false means the store must be
// asked.
func (c *Cache) Key(id string) (k *store.Key, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.disabled {
		return nil, false
	}
	if e, found := c.keys[id]; found && c.fresh(e.at) {
		return CloneKey(e.k), true
	}
	return nil, false
}

// current reports whether an Add with ticket t may go in; c.mu is held.
func (c *Cache) current(t Ticket) bool { return !c.disabled && t.gen == c.gen }

// AddHook caches a copy of h, a record the store read itself after t was
// taken: never a caller's, since the copy shares h's byte slices.
func (c *Cache) AddHook(t Ticket, h *store.Hook) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(t) {
		return
	}
	if old, found := c.hooks[h.ID]; found && old.h.Token != h.Token {
		delete(c.tokens, old.h.Token)
	}
	if len(c.hooks) >= c.max {
		clear(c.hooks)
		clear(c.tokens)
	}
	c.hooks[h.ID] = hookEntry{h: CopyHook(h), at: t.at}
	c.tokens[h.Token] = h.ID
	delete(c.noToken, h.Token)
}

// AddNoToken records that token named no hook when the read that began
// with t looked.
func (c *Cache) AddNoToken(t Ticket, token string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(t) {
		return
	}
	if len(c.noToken) >= c.max {
		clear(c.noToken)
	}
	c.noToken[token] = missEntry{at: t.at}
}

// AddKey caches a copy of k, or, when k is nil, that no key has the ID id.
func (c *Cache) AddKey(t Ticket, id string, k *store.Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(t) {
		return
	}
	if len(c.keys) >= c.max {
		clear(c.keys)
	}
	c.keys[id] = keyEntry{k: CloneKey(k), at: t.at}
}

// InvalidateHook forgets the hook with the given ID (its token with it)
// and every token known to name no hook (the change may have created
// one), and makes older tickets stale.
func (c *Cache) InvalidateHook(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if e, found := c.hooks[id]; found {
		delete(c.tokens, e.h.Token)
		delete(c.hooks, id)
	}
	clear(c.noToken)
}

// InvalidateKey forgets the key with the given ID, and makes older
// tickets stale.
func (c *Cache) InvalidateKey(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	delete(c.keys, id)
}

// Flush forgets everything and makes older tickets stale.
func (c *Cache) Flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.reset()
}

// SetEnabled turns the cache on or off. Turned off, it forgets everything,
// misses every lookup and drops every Add, until it is turned on again
// (with nothing in it): a store whose invalidations stopped arriving
// serves from the store meanwhile.
func (c *Cache) SetEnabled(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.disabled = !on
	c.reset()
}

// Enabled reports whether the cache is on.
func (c *Cache) Enabled() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return !c.disabled
}

// Len returns how many hooks and keys (absences not counted) are cached.
func (c *Cache) Len() (hooks, keys int) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, e := range c.keys {
		if e.k != nil {
			keys++
		}
	}
	return len(c.hooks), keys
}

// CopyHook returns a copy of h (nil for nil) that shares its ExampleData
// and Settings, which are read-only in the records a store returns
// (store.Hook): copying example data on every lookup would cost each
// request its size, twice over.
func CopyHook(h *store.Hook) *store.Hook {
	if h == nil {
		return nil
	}
	c := *h
	return &c
}

// CloneKey returns a deep copy of k (nil for nil).
func CloneKey(k *store.Key) *store.Key {
	if k == nil {
		return nil
	}
	c := *k
	c.Roles = slices.Clone(k.Roles)
	c.Hash = cloneBytes(k.Hash)
	return &c
}

// cloneBytes copies b, keeping nil nil and empty empty.
func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return bytes.Clone(b)
}
