package activity_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/activity"
	"github.com/inbound-hooks/inbound/hooks"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func sum(v []uint32) (n uint32) {
	for _, x := range v {
		n += x
	}
	return n
}

func TestCounter(t *testing.T) {
	clk := &clock{t: time.Date(2026, 5, 6, 10, 0, 30, 0, time.UTC)}
	c := activity.New(activity.Options{Now: clk.now})
	c.Observe("h1", hooks.OutcomeAccepted, "")
	c.Observe("h1", hooks.OutcomeAccepted, "")
	c.Observe("h1", hooks.OutcomeDuplicate, "") // not counted
	c.Observe("h2", hooks.OutcomeRejected, "too_large")
	clk.add(2 * time.Minute)
	c.Observe("h1", hooks.OutcomeFailed, "engine down: "+strings.Repeat("x", 1000))
	c.Observe("h1", hooks.OutcomeRejected, "unauthorized")

	s := c.Summary("h1")
	if len(s.Hour.Accepted) != activity.HourBuckets || len(s.Day.Accepted) != activity.DayBuckets {
		t.Fatalf("buckets: got %d, %d", len(s.Hour.Accepted), len(s.Day.Accepted))
	}
	last := activity.HourBuckets - 1
	if s.Hour.Accepted[last-2] != 2 || s.Hour.Failed[last] != 1 || s.Hour.Rejected[last] != 1 || sum(s.Hour.Accepted) != 2 {
		t.Fatalf("hour: got %+v", s.Hour)
	}
	if got := s.Day.Accepted[activity.DayBuckets-1]; got != 2 || s.Day.Failed[activity.DayBuckets-1] != 1 {
		t.Fatalf("day: got %+v", s.Day)
	}
	if want := time.Date(2026, 5, 6, 9, 3, 0, 0, time.UTC); !s.Hour.Start.Equal(want) {
		t.Fatalf("hour start: got %v, want %v", s.Hour.Start, want)
	}
	if s.LastError == nil || s.LastError.Outcome != hooks.OutcomeRejected || s.LastError.Detail != "unauthorized" {
		t.Fatalf("last error: got %+v", s.LastError)
	}
	if got := c.Summary("h2"); sum(got.Hour.Rejected) != 1 || sum(got.Hour.Accepted) != 0 {
		t.Fatalf("h2: got %+v", got.Hour)
	}
	if got := c.Summary("none"); got.LastError != nil || sum(got.Day.Accepted) != 0 {
		t.Fatalf("unknown hook: got %+v", got)
	}

	// An hour and a half later the minute buckets are empty; the day
	// still holds them.
	clk.add(90 * time.Minute)
	s = c.Summary("h1")
	if sum(s.Hour.Accepted)+sum(s.Hour.Failed) != 0 || sum(s.Day.Accepted) != 2 || sum(s.Day.Failed) != 1 {
		t.Fatalf("later: hour %+v, day %+v", s.Hour, s.Day)
	}
	// A day later everything is gone but the last error.
	clk.add(25 * time.Hour)
	c.Observe("h1", hooks.OutcomeAccepted, "")
	s = c.Summary("h1")
	if sum(s.Day.Accepted) != 1 || sum(s.Day.Failed) != 0 || s.LastError == nil {
		t.Fatalf("next day: %+v", s)
	}
}

func TestCounterConcurrent(t *testing.T) {
	c := activity.New(activity.Options{})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				c.Observe([]string{"a", "b"}[(g+i)%2], hooks.OutcomeAccepted, "")
				_ = c.Summary("a")
			}
		})
	}
	wg.Wait()
	total := sum(c.Summary("a").Day.Accepted) + sum(c.Summary("b").Day.Accepted)
	if total != 8000 {
		t.Fatalf("got %d, want 8000", total)
	}
}
