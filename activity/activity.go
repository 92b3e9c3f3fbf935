// Package activity counts, per hook, the arrivals accepted and rejected
// and the deliveries that failed, in time buckets over the last hour and
// the last day, and keeps each hook's last error: what the admin page
// draws beside each hook.
//
// A *Counter is a hooks.Observer: set it as Telemetry.Observer of the
// Pipeline, the SyncDelivery and the Queue, and it hears the same
// outcomes as the OpenTelemetry metrics inbound.events.accepted,
// inbound.events.rejected and inbound.events.failed, labelled by hook
// instead of by kind:
//
//	act := activity.New(activity.Options{})
//	tel := hooks.Telemetry{MeterProvider: mp, Observer: act}
//	// ... hooks.NewPipeline(reg, hooks.PipelineOptions{Telemetry: tel, ...})
//	// ... admin.New(reg, keys, dlog, admin.Options{Activity: act, ...})
//
// # Caveats
//
// Counts live in the memory of one process and start at zero when it
// starts: replicas each count what they handled, and a page served by
// one replica shows that replica's share. For totals across replicas use
// the OpenTelemetry metrics. A hook's counts stay until the process ends
// (a deleted hook's are no longer shown by the admin API); memory is
// about 2 KiB per hook that saw traffic (84 buckets of 24 bytes).
package activity

import (
	"sync"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
)

// The buckets of a Summary.
const (
	HourBuckets = 60 // one per minute
	DayBuckets  = 24 // one per hour
)

// Options configures a Counter. The zero value works.
type Options struct {
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Counter keeps per-hook counts in memory. It is safe for concurrent use;
// Observe takes one short lock of the hook it counts.
type Counter struct {
	now   func() time.Time
	mu    sync.RWMutex
	hooks map[string]*hookCounts
}

var _ hooks.Observer = (*Counter)(nil)

// New returns an empty Counter.
func New(opts Options) *Counter {
	c := &Counter{now: opts.Now, hooks: map[string]*hookCounts{}}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// counts of one bucket.
type counts struct {
	slot                       int64 // the minute or hour it counts, since the Unix epoch
	accepted, rejected, failed uint32
}

type hookCounts struct {
	mu      sync.Mutex
	minutes [HourBuckets]counts
	hours   [DayBuckets]counts
	lastErr LastError
}

// LastError is a hook's most recent rejection or failed delivery.
type LastError struct {
	Time    time.Time `json:"time"`
	Outcome string    `json:"outcome"` // hooks.OutcomeRejected or hooks.OutcomeFailed
	Detail  string    `json:"detail"`  // the error code, or the Trigger's error message
}

// maxDetail caps a kept error message.
const maxDetail = 500

// Observe counts one outcome of the hook (hooks.Observer): accepted,
// rejected or failed; other outcomes are ignored.
func (c *Counter) Observe(hookID, outcome, detail string) {
	switch outcome {
	case hooks.OutcomeAccepted, hooks.OutcomeRejected, hooks.OutcomeFailed:
	default:
		return
	}
	now := c.now()
	c.mu.RLock()
	h := c.hooks[hookID]
	c.mu.RUnlock()
	if h == nil {
		c.mu.Lock()
		if h = c.hooks[hookID]; h == nil {
			h = &hookCounts{}
			c.hooks[hookID] = h
		}
		c.mu.Unlock()
	}
	minute, hour := now.Unix()/60, now.Unix()/3600
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, b := range []*counts{bucket(h.minutes[:], minute), bucket(h.hours[:], hour)} {
		switch outcome {
		case hooks.OutcomeAccepted:
			b.accepted++
		case hooks.OutcomeRejected:
			b.rejected++
		case hooks.OutcomeFailed:
			b.failed++
		}
	}
	if outcome != hooks.OutcomeAccepted {
		if len(detail) > maxDetail {
			detail = detail[:maxDetail] + "…"
		}
		h.lastErr = LastError{Time: now.UTC(), Outcome: outcome, Detail: detail}
	}
}

// bucket returns the bucket of slot in ring, emptied if it held an older
// slot.
func bucket(ring []counts, slot int64) *counts {
	b := &ring[slot%int64(len(ring))]
	if b.slot != slot {
		*b = counts{slot: slot}
	}
	return b
}

// Series is a run of buckets, oldest first: Accepted[i] counts the
// bucket that starts at Start + i*Step.
type Series struct {
	Start    time.Time `json:"start"`
	Step     string    `json:"step"` // "1m" or "1h"
	Accepted []uint32  `json:"accepted"`
	Rejected []uint32  `json:"rejected"`
	Failed   []uint32  `json:"failed"`
}

// Summary is a hook's activity: the last hour by minute, the last day by
// hour (the current, partial bucket last in each), and its last error.
type Summary struct {
	HookID    string     `json:"hook_id"`
	Hour      Series     `json:"hour"`
	Day       Series     `json:"day"`
	LastError *LastError `json:"last_error,omitempty"`
}

// Summary returns the hook's activity; a hook with none gets zeros.
func (c *Counter) Summary(hookID string) Summary {
	now := c.now()
	s := Summary{HookID: hookID}
	minute, hour := now.Unix()/60, now.Unix()/3600
	s.Hour = newSeries(time.Unix((minute-HourBuckets+1)*60, 0).UTC(), "1m", HourBuckets)
	s.Day = newSeries(time.Unix((hour-DayBuckets+1)*3600, 0).UTC(), "1h", DayBuckets)
	c.mu.RLock()
	h := c.hooks[hookID]
	c.mu.RUnlock()
	if h == nil {
		return s
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	fill(&s.Hour, h.minutes[:], minute)
	fill(&s.Day, h.hours[:], hour)
	if !h.lastErr.Time.IsZero() {
		le := h.lastErr
		s.LastError = &le
	}
	return s
}

func newSeries(start time.Time, step string, n int) Series {
	return Series{Start: start, Step: step, Accepted: make([]uint32, n), Rejected: make([]uint32, n), Failed: make([]uint32, n)}
}

// fill copies the buckets of ring that belong to the n slots ending at
// last into s.
func fill(s *Series, ring []counts, last int64) {
	n := int64(len(ring))
	for i := range n {
		slot := last - n + 1 + i
		if b := ring[slot%n]; b.slot == slot {
			s.Accepted[i], s.Rejected[i], s.Failed[i] = b.accepted, b.rejected, b.failed
		}
	}
}
