package hooks_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// keyIntake decodes every body as text with the given idempotency key.
type keyIntake struct{ key string }

func (k keyIntake) NewSession(*hooks.Hook, *hooks.Arrival) hooks.Session { return k }
func (k keyIntake) Authenticate(context.Context) error                   { return nil }
func (k keyIntake) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	return &hooks.Decoded{Data: string(body), ContentType: "text/plain", IdempotencyKey: k.key}, nil
}

// hideKeys is a store that hides its store.IdempotencyStore.
type hideKeys struct{ store.Store }

// dedupEnv is a sync-mode pipeline on a memstore whose Trigger fails while
// fail is set and counts what it fired.
type dedupEnv struct {
	p      *hooks.Pipeline
	h1, h2 *hooks.Hook
	now    atomic.Int64 // Unix nanoseconds of the pipeline's clock
	fail   atomic.Bool
	block  chan struct{} // when not nil, Fire waits for it
	mu     sync.Mutex
	fired  []*hooks.Event
}

func newDedupEnv(t testing.TB, hide bool) *dedupEnv {
	t.Helper()
	ctx := context.Background()
	ms := memstore.New()
	t.Cleanup(func() { _ = ms.Close() })
	var st store.Store = ms
	if hide {
		st = hideKeys{ms}
	}
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	registerTestKinds(t, reg)
	e := &dedupEnv{}
	e.now.Store(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	tr := hooks.TriggerFunc(func(_ context.Context, ev *hooks.Event) error {
		if e.block != nil {
			<-e.block
		}
		if e.fail.Load() {
			return errors.New("engine down")
		}
		e.mu.Lock()
		e.fired = append(e.fired, ev)
		e.mu.Unlock()
		return nil
	})
	e.p, err = hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(tr), DedupWindow: time.Hour,
		Now: func() time.Time { return time.Unix(0, e.now.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	if e.h1, err = reg.Create(ctx, "o", hooks.HookSpec{Name: "one", Kind: kindWeb}); err != nil {
		t.Fatal(err)
	}
	if e.h2, err = reg.Create(ctx, "o", hooks.HookSpec{Name: "two", Kind: kindWeb}); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *dedupEnv) post(h *hooks.Hook, key string) *hooks.Result {
	a := &hooks.Arrival{Kind: kindWeb, Token: h.Token, Method: "POST", Path: "/p", RemoteAddr: "192.0.2.1:1",
		Header: http.Header{}, Body: strings.NewReader("hello"), ContentLength: -1}
	return e.p.Ingest(context.Background(), a, keyIntake{key})
}

func (e *dedupEnv) firedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.fired)
}

// TestSyncDedup checks the deduplication of sync delivery, post by post:
// each step's answer and how many events the Trigger got so far.
func TestSyncDedup(t *testing.T) {
	type step struct {
		hook    int    // 1 or 2
		key     string // the arrival's idempotency key
		fail    bool   // the Trigger fails
		advance time.Duration
		status  int
		dupOf   int // the answer is a duplicate of this earlier step's event (1-based); 0: a new event
		fired   int // events fired after the step
	}
	tests := []struct {
		name  string
		hide  bool // the store does not offer store.IdempotencyStore
		steps []step
	}{
		{name: "no key fires each time", steps: []step{
			{hook: 1, status: 202, fired: 1},
			{hook: 1, status: 202, fired: 2},
		}},
		{name: "same key twice fires once", steps: []step{
			{hook: 1, key: "k1", status: 202, fired: 1},
			{hook: 1, key: "k1", status: 202, dupOf: 1, fired: 1},
			{hook: 1, key: "k1", advance: 59 * time.Minute, status: 202, dupOf: 1, fired: 1},
		}},
		{name: "failed trigger keeps no key", steps: []step{
			{hook: 1, key: "k1", fail: true, status: 503, fired: 0},
			{hook: 1, key: "k1", status: 202, fired: 1},
			{hook: 1, key: "k1", status: 202, dupOf: 2, fired: 1},
		}},
		{name: "keys are per hook", steps: []step{
			{hook: 1, key: "k1", status: 202, fired: 1},
			{hook: 2, key: "k1", status: 202, fired: 2},
			{hook: 2, key: "k1", status: 202, dupOf: 2, fired: 2},
			{hook: 1, key: "k2", status: 202, fired: 3},
		}},
		{name: "the window ends", steps: []step{
			{hook: 1, key: "k1", status: 202, fired: 1},
			{hook: 1, key: "k1", advance: time.Hour, status: 202, fired: 2},
			{hook: 1, key: "k1", status: 202, dupOf: 2, fired: 2},
		}},
		{name: "long keys are keys", steps: []step{
			{hook: 1, key: strings.Repeat("k", 200), status: 202, fired: 1},
			{hook: 1, key: strings.Repeat("k", 200), status: 202, dupOf: 1, fired: 1},
			{hook: 1, key: strings.Repeat("k", 199) + "j", status: 202, fired: 2},
		}},
		{name: "a store without the capability does not deduplicate", hide: true, steps: []step{
			{hook: 1, key: "k1", status: 202, fired: 1},
			{hook: 1, key: "k1", status: 202, fired: 2},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newDedupEnv(t, tt.hide)
			var ids []string
			for i, s := range tt.steps {
				e.now.Add(int64(s.advance))
				e.fail.Store(s.fail)
				h := e.h1
				if s.hook == 2 {
					h = e.h2
				}
				res := e.post(h, s.key)
				if res.Status != s.status {
					t.Fatalf("step %d: got status %d (%v), want %d", i+1, res.Status, res.Err, s.status)
				}
				if res.Duplicate != (s.dupOf != 0) {
					t.Fatalf("step %d: got Duplicate %v, want %v", i+1, res.Duplicate, s.dupOf != 0)
				}
				if s.dupOf != 0 && res.EventID != ids[s.dupOf-1] {
					t.Fatalf("step %d: got ID %q, want step %d's %q", i+1, res.EventID, s.dupOf, ids[s.dupOf-1])
				}
				if got := e.firedCount(); got != s.fired {
					t.Fatalf("step %d: fired %d events, want %d", i+1, got, s.fired)
				}
				ids = append(ids, res.EventID)
			}
		})
	}
}

// TestSyncDedupConcurrent posts one key many times at once: one copy
// fires; the others are told to retry while it runs, or get its ID.
func TestSyncDedupConcurrent(t *testing.T) {
	e := newDedupEnv(t, false)
	e.block = make(chan struct{})
	const n = 16
	results := make([]*hooks.Result, n)
	var answered atomic.Int32
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			results[i] = e.post(e.h1, "k1")
			answered.Add(1)
		})
	}
	// Every copy but the one in the Trigger has its answer before the
	// Trigger is let go.
	deadline := time.Now().Add(10 * time.Second)
	for answered.Load() < n-1 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d copies answered while the first was being delivered", answered.Load(), n-1)
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(e.block)
	wg.Wait()
	if got := e.firedCount(); got != 1 {
		t.Fatalf("fired %d events, want 1", got)
	}
	first := e.fired[0].ID
	inProgress := 0
	for i, res := range results {
		switch {
		case res.Status == 202 && !res.Duplicate:
			if res.EventID != first {
				t.Fatalf("copy %d: accepted as %q, but %q fired", i, res.EventID, first)
			}
		case res.Status == 503 && res.Err.Code == errcode.InProgress && res.Err.RetryAfter > 0:
			inProgress++
		default:
			t.Fatalf("copy %d: got status %d, duplicate %v, error %v", i, res.Status, res.Duplicate, res.Err)
		}
	}
	if inProgress != n-1 {
		t.Fatalf("got %d copies told to retry, want %d", inProgress, n-1)
	}
	// The retry of a copy that was told to wait is acknowledged.
	res := e.post(e.h1, "k1")
	if res.Status != 202 || !res.Duplicate || res.EventID != first {
		t.Fatalf("retry: got status %d, duplicate %v, ID %q; want 202, a duplicate of %q", res.Status, res.Duplicate, res.EventID, first)
	}
}

// BenchmarkSyncDedup measures a sync arrival without a key (no store call)
// beside one with a new key each time (reserve and confirm in memstore)
// and one whose key was seen (one reserve, nothing fired).
func BenchmarkSyncDedup(b *testing.B) {
	for _, c := range []string{"no-key", "new-key", "seen-key"} {
		b.Run(c, func(b *testing.B) {
			e := newDedupEnv(b, false)
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				key := ""
				switch c {
				case "new-key":
					n++
					key = "k" + strconv.Itoa(n)
				case "seen-key":
					key = "k"
				}
				if res := e.post(e.h1, key); res.Status != 202 {
					b.Fatal(res.Err)
				}
			}
		})
	}
}
