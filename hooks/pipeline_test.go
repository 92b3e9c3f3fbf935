package hooks_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// stubIntake is an Intake whose steps return the configured errors.
type stubIntake struct {
	authErr, decodeErr error
	drop               string
	key                string // the idempotency key Decode gives; "" means "k"
}

// NewSession returns s itself: it keeps no state.
func (s stubIntake) NewSession(*hooks.Hook, *hooks.Arrival) hooks.Session { return s }

func (s stubIntake) Authenticate(context.Context) error {
	return s.authErr
}

func (s stubIntake) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	if s.decodeErr != nil {
		return nil, s.decodeErr
	}
	key := s.key
	if key == "" {
		key = "k"
	}
	return &hooks.Decoded{Data: string(body), ContentType: "text/plain", Drop: s.drop, IdempotencyKey: key}, nil
}

// memRecorder keeps interactions.
type memRecorder struct {
	mu  sync.Mutex
	ins []*hooks.Interaction
}

func (r *memRecorder) Record(_ context.Context, in *hooks.Interaction) {
	r.mu.Lock()
	r.ins = append(r.ins, in)
	r.mu.Unlock()
}

type pipelineEnv struct {
	p        *hooks.Pipeline
	reg      *hooks.Registry
	rec      *memRecorder
	debug    *hooks.Hook
	quiet    *hooks.Hook
	triggerE error
	fired    []*hooks.Event
}

func newPipelineEnv(t *testing.T) *pipelineEnv {
	t.Helper()
	ctx := context.Background()
	reg := newTestRegistry(t, hooks.RegistryOptions{})
	e := &pipelineEnv{reg: reg, rec: &memRecorder{}}
	tr := hooks.TriggerFunc(func(_ context.Context, ev *hooks.Event) error {
		if e.triggerE != nil {
			return e.triggerE
		}
		e.fired = append(e.fired, ev)
		return nil
	})
	var err error
	e.p, err = hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(tr), Recorder: e.rec, MaxBodyBytes: 16})
	if err != nil {
		t.Fatal(err)
	}
	e.debug, _ = reg.Create(ctx, "o", hooks.HookSpec{Name: "debug", Kind: kindWeb})
	if e.debug, err = reg.Update(ctx, "o", e.debug.ID, hooks.HookUpdate{Debug: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	e.quiet, _ = reg.Create(ctx, "o", hooks.HookSpec{Name: "quiet", Kind: kindWeb})
	return e
}

// chunkedReader hides its length.
type chunkedReader struct{ r io.Reader }

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestPipelineOutcomes(t *testing.T) {
	tests := []struct {
		name     string
		in       stubIntake
		body     string
		maxBytes int64
		trigger  error
		quiet    bool
		token    string
		status   int
		code     string
		outcome  string
		fired    bool
	}{
		{name: "accepted", body: "hello", status: 202, outcome: hooks.OutcomeAccepted, fired: true},
		{name: "dropped", in: stubIntake{drop: "honeypot"}, body: "x", status: 202, outcome: hooks.OutcomeDropped},
		{name: "auth *Error", in: stubIntake{authErr: hooks.NewError(401, errcode.Unauthorized, "no")}, status: 401, code: errcode.Unauthorized, outcome: hooks.OutcomeRejected},
		{name: "auth plain error", in: stubIntake{authErr: errors.New("db down")}, status: 503, code: errcode.Unavailable, outcome: hooks.OutcomeFailed},
		{name: "decode plain error", in: stubIntake{decodeErr: errors.New("bad")}, body: "x", status: 400, code: errcode.MalformedBody, outcome: hooks.OutcomeRejected},
		{name: "decode *Error", in: stubIntake{decodeErr: hooks.NewError(415, errcode.UnsupportedMedia, "no")}, body: "x", status: 415, code: errcode.UnsupportedMedia, outcome: hooks.OutcomeRejected},
		{name: "body at limit", body: strings.Repeat("a", 16), status: 202, outcome: hooks.OutcomeAccepted, fired: true},
		{name: "body over limit", body: strings.Repeat("a", 17), status: 413, code: errcode.PayloadTooLarge, outcome: hooks.OutcomeRejected},
		{name: "per-arrival limit", body: strings.Repeat("a", 17), maxBytes: 32, status: 202, outcome: hooks.OutcomeAccepted, fired: true},
		{name: "trigger error", body: "x", trigger: errors.New("engine down"), status: 503, code: errcode.Unavailable, outcome: hooks.OutcomeFailed},
		{name: "trigger *Error", body: "x", trigger: fmt.Errorf("w: %w", hooks.NewError(422, "invalid_order", "bad order")), status: 422, code: "invalid_order", outcome: hooks.OutcomeRejected},
		{name: "quiet hook records nothing", quiet: true, body: "x", status: 202, fired: true},
		{name: "unknown token", token: strings.Repeat("z", 32), status: 404, code: errcode.NotFound},
	}
	for _, tt := range tests {
		// The body comes as a reader with a length, one without, or as
		// bytes read already (Arrival.Raw).
		for _, form := range []string{"reader", "chunked", "raw"} {
			t.Run(tt.name+"/"+form, func(t *testing.T) {
				e := newPipelineEnv(t)
				e.triggerE = tt.trigger
				h := e.debug
				if tt.quiet {
					h = e.quiet
				}
				token := h.Token
				if tt.token != "" {
					token = tt.token
				}
				a := &hooks.Arrival{Kind: kindWeb, Token: token, Method: "POST", Path: "/p", RemoteAddr: "192.0.2.1:1",
					Header: http.Header{"Authorization": {"Bearer secret"}}, MaxBytes: tt.maxBytes}
				switch form {
				case "reader":
					a.Body = strings.NewReader(tt.body)
				case "chunked":
					a.Body = chunkedReader{strings.NewReader(tt.body)}
				case "raw":
					a.Raw = []byte(tt.body)
				}
				res := e.p.Ingest(context.Background(), a, tt.in)
				if res.Status != tt.status {
					t.Fatalf("got status %d (%v), want %d", res.Status, res.Err, tt.status)
				}
				if tt.code != "" && (res.Err == nil || res.Err.Code != tt.code) {
					t.Fatalf("got error %v, want code %s", res.Err, tt.code)
				}
				if got := len(e.fired) == 1; got != tt.fired {
					t.Fatalf("got fired=%v, want %v", got, tt.fired)
				}
				if tt.fired && res.EventID != e.fired[0].ID {
					t.Fatalf("got id %q, want the fired event's %q", res.EventID, e.fired[0].ID)
				}
				if tt.fired {
					ev := e.fired[0]
					if ev.Org != "o" || ev.HookID != h.ID || ev.Header.Get("Authorization") != hooks.Redacted || ev.IdempotencyKey != "k" || string(ev.Raw) != tt.body {
						t.Fatalf("got event %+v", ev)
					}
					if form == "raw" && len(ev.Raw) > 0 && &ev.Raw[0] != &a.Raw[0] {
						t.Fatal("the event holds a copy of Arrival.Raw, want the same bytes")
					}
				}
				if tt.outcome == "" {
					if len(e.rec.ins) != 0 {
						t.Fatalf("got %d interactions, want none", len(e.rec.ins))
					}
					return
				}
				if len(e.rec.ins) != 1 {
					t.Fatalf("got %d interactions, want 1", len(e.rec.ins))
				}
				in := e.rec.ins[0]
				if in.Outcome != tt.outcome || in.Status != tt.status || in.Header.Get("Authorization") != hooks.Redacted {
					t.Fatalf("got interaction %+v, want outcome %s", in, tt.outcome)
				}
				if tt.trigger != nil && in.TriggerErr == "" {
					t.Fatalf("got no trigger error recorded")
				}
			})
		}
	}
}

// TestPipelineResolvedHook checks that Ingest uses Arrival.Hook as it is,
// without looking the token up: here a hook disabled after the kind
// resolved it.
func TestPipelineResolvedHook(t *testing.T) {
	e := newPipelineEnv(t)
	ctx := context.Background()
	if _, err := e.reg.Update(ctx, "o", e.quiet.ID, hooks.HookUpdate{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	a := &hooks.Arrival{Kind: kindWeb, Token: e.quiet.Token, Method: "POST", Path: "/p", Raw: []byte("x")}
	if res := e.p.Ingest(ctx, a, stubIntake{}); res.Status != http.StatusNotFound {
		t.Fatalf("disabled hook looked up: got status %d, want 404", res.Status)
	}
	a.Hook = e.quiet
	res := e.p.Ingest(ctx, a, stubIntake{})
	if res.Status != http.StatusAccepted || len(e.fired) != 1 || e.fired[0].HookID != e.quiet.ID {
		t.Fatalf("resolved hook: got status %d (%v), %d events; want 202 and one event", res.Status, res.Err, len(e.fired))
	}
}

func TestNewPipelineValidation(t *testing.T) {
	reg, _ := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{})
	d := hooks.Sync(hooks.TriggerFunc(nil))
	for name, f := range map[string]func() error{
		"nil registry": func() error { _, err := hooks.NewPipeline(nil, hooks.PipelineOptions{Delivery: d}); return err },
		"nil delivery": func() error { _, err := hooks.NewPipeline(reg, hooks.PipelineOptions{}); return err },
		"negative limit": func() error {
			_, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: d, MaxBodyBytes: -1})
			return err
		},
		"negative dedup window": func() error {
			_, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: d, DedupWindow: -1})
			return err
		},
	} {
		t.Run(name, func(t *testing.T) {
			if err := f(); !errors.Is(err, hooks.ErrInvalid) {
				t.Fatalf("got %v, want ErrInvalid", err)
			}
		})
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: d, Now: func() time.Time { return time.Unix(0, 0) }})
	if err != nil || p.Registry() != reg {
		t.Fatalf("got %v, %v", p, err)
	}
}

// TestPipelineHeaderCap checks that a request with a huge header keeps at
// most 16 KiB of headers in its event and its debug entry, the
// smaller ones first, and counts what it dropped.
func TestPipelineHeaderCap(t *testing.T) {
	e := newPipelineEnv(t)
	huge := strings.Repeat("h", 1<<20)
	h := http.Header{
		"Authorization": {"Bearer secret"}, "User-Agent": {"curl/8"}, "X-Big": {huge},
		"X-Many": make([]string, 0, 400),
	}
	for i := range 400 {
		h["X-Many"] = append(h["X-Many"], fmt.Sprintf("%039d", i)) // 50 bytes each with its name
	}
	a := &hooks.Arrival{Kind: kindWeb, Token: e.debug.Token, Method: "POST", Path: "/p", RemoteAddr: "192.0.2.1:1",
		Header: h, Body: strings.NewReader("x")}
	res := e.p.Ingest(context.Background(), a, stubIntake{})
	if res.Status != 202 || len(e.fired) != 1 || len(e.rec.ins) != 1 {
		t.Fatalf("got status %d, %d events, %d interactions", res.Status, len(e.fired), len(e.rec.ins))
	}
	ev, in := e.fired[0], e.rec.ins[0]
	size := 0
	for k, vs := range ev.Header {
		for _, v := range vs {
			size += len(k) + len(v) + 4
		}
	}
	if size > 16<<10 {
		t.Errorf("event headers: got %d bytes, want at most 16 KiB", size)
	}
	if ev.Header.Get("Authorization") != hooks.Redacted || ev.Header.Get("User-Agent") != "curl/8" || ev.Header.Get("X-Big") != "" {
		t.Errorf("event headers: got Authorization %q, User-Agent %q, X-Big of %d bytes; want redacted, kept, dropped",
			ev.Header.Get("Authorization"), ev.Header.Get("User-Agent"), len(ev.Header.Get("X-Big")))
	}
	kept := len(ev.Header["X-Many"])
	if kept < 300 || kept == 400 {
		t.Errorf("X-Many: kept %d of 400 values, want most but not all", kept)
	}
	wantDropped := 1 + 400 - kept
	if ev.HeadersDropped != wantDropped || ev.HeaderBytesDropped < len(huge) {
		t.Errorf("event: got %d values and %d bytes dropped, want %d and over %d", ev.HeadersDropped, ev.HeaderBytesDropped, wantDropped, len(huge))
	}
	if in.HeadersDropped != ev.HeadersDropped || in.HeaderBytesDropped != ev.HeaderBytesDropped || len(in.Header["X-Many"]) != kept {
		t.Errorf("interaction: got %d values and %d bytes dropped, want the event's", in.HeadersDropped, in.HeaderBytesDropped)
	}
	if len(h["X-Big"]) != 1 || len(h["X-Many"]) != 400 || h.Get("Authorization") != "Bearer secret" {
		t.Error("the arrival's headers were changed")
	}
	// Under the budget nothing is dropped.
	a = &hooks.Arrival{Kind: kindWeb, Token: e.debug.Token, Method: "POST", Path: "/p", Header: http.Header{"A": {"b"}}, Body: strings.NewReader("x")}
	e.p.Ingest(context.Background(), a, stubIntake{key: "second"}) // another key: not a duplicate of the first
	if len(e.fired) != 2 {
		t.Fatalf("small headers: fired %d events, want 2", len(e.fired))
	}
	if ev := e.fired[1]; ev.HeadersDropped != 0 || ev.Header.Get("A") != "b" {
		t.Errorf("small headers: got %+v", ev)
	}
}
