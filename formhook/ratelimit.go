package formhook

import (
	"container/list"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiters holds one token bucket per client, at most max of them. The
// least recently seen client is dropped when the set is full, and any
// client idle long enough for its bucket to be full again is dropped as
// the set is used: forgetting such a client changes nothing, because a
// new bucket starts full too. Dropping a client that is not idle (only
// when more than max clients are active at once) gives it a fresh burst.
type limiters struct {
	limit rate.Limit
	burst int
	max   int
	idle  time.Duration // time for an empty bucket to fill up

	mu  sync.Mutex
	m   map[netip.Addr]*list.Element
	lru list.List // of *client, most recently seen first
}

type client struct {
	key  netip.Addr
	lim  *rate.Limiter
	last time.Time
}

func newLimiters(limit rate.Limit, burst, max int) *limiters {
	idle := time.Duration(float64(burst) / float64(limit) * float64(time.Second))
	if idle <= 0 || idle > 24*time.Hour {
		idle = 24 * time.Hour
	}
	return &limiters{limit: limit, burst: burst, max: max, idle: idle, m: make(map[netip.Addr]*list.Element)}
}

// reserve takes one token from key's bucket at now. It reports true when
// the post may proceed, and otherwise how long until a token is available.
func (l *limiters) reserve(key netip.Addr, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var c *client
	if e := l.m[key]; e != nil {
		c = e.Value.(*client)
		l.lru.MoveToFront(e)
	} else {
		for b := l.lru.Back(); b != nil; b = l.lru.Back() {
			bc := b.Value.(*client)
			if len(l.m) < l.max && now.Sub(bc.last) < l.idle {
				break
			}
			l.lru.Remove(b)
			delete(l.m, bc.key)
		}
		c = &client{key: key, lim: rate.NewLimiter(l.limit, l.burst)}
		l.m[key] = l.lru.PushFront(c)
	}
	if now.After(c.last) {
		c.last = now
	}
	r := c.lim.ReserveN(now, 1)
	if !r.OK() {
		return l.idle, false
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

// peek reports, without taking a token, whether key's bucket holds one at
// now, and otherwise how long until it does. A client not remembered has
// a full bucket.
func (l *limiters) peek(key netip.Addr, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.m[key]
	if e == nil {
		return 0, true
	}
	tokens := e.Value.(*client).lim.TokensAt(now)
	if tokens >= 1 {
		return 0, true
	}
	if l.limit <= 0 {
		return l.idle, false
	}
	return time.Duration((1 - tokens) / float64(l.limit) * float64(time.Second)), false
}

// size returns how many clients are remembered.
func (l *limiters) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.m)
}

// Bounds of the per-hook limiters of a Handler: how many hooks' limiters
// are kept, and how many clients each remembers.
const (
	maxLimitedHooks   = 1024
	maxClientsPerHook = 1000
)

// hookLimiters holds the limiters of hooks that have a RateLimit setting,
// rebuilt when the setting changes. When it holds maxLimitedHooks hooks, an
// arbitrary one is dropped (its clients start again with a full burst).
type hookLimiters struct {
	mu sync.Mutex
	m  map[string]*hookLimiter
}

type hookLimiter struct {
	rl  RateLimit
	lim *limiters
}

// reserve takes a token of client key's bucket for hook id, limited by rl.
func (h *hookLimiters) reserve(id string, rl RateLimit, key netip.Addr, now time.Time) (time.Duration, bool) {
	return h.get(id, rl).reserve(key, now)
}

// peek is limiters.peek of hook id's limiters.
func (h *hookLimiters) peek(id string, rl RateLimit, key netip.Addr, now time.Time) (time.Duration, bool) {
	return h.get(id, rl).peek(key, now)
}

// get returns hook id's limiters for rl, made anew when rl changed.
func (h *hookLimiters) get(id string, rl RateLimit) *limiters {
	if rl.Burst == 0 {
		rl.Burst = DefaultBurst
	}
	h.mu.Lock()
	hl := h.m[id]
	if hl == nil || hl.rl != rl {
		if h.m == nil {
			h.m = make(map[string]*hookLimiter)
		}
		if len(h.m) >= maxLimitedHooks {
			for k := range h.m {
				delete(h.m, k)
				break
			}
		}
		hl = &hookLimiter{rl: rl, lim: newLimiters(rate.Limit(rl.PerSecond), rl.Burst, maxClientsPerHook)}
		h.m[id] = hl
	}
	h.mu.Unlock()
	return hl.lim
}
