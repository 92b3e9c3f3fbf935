package debuglog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

func newLog(t testing.TB, s store.DebugStore, opts debuglog.Options) *debuglog.Log {
	t.Helper()
	l, err := debuglog.New(s, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	return l
}

func flush(t testing.TB, l *debuglog.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func interaction(hookID, path string, body []byte) *hooks.Interaction {
	return &hooks.Interaction{
		Hook: &hooks.Hook{ID: hookID, Debug: true}, Time: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
		RemoteAddr: "192.0.2.1:1234", Method: http.MethodPost, Path: path, Status: http.StatusAccepted,
		Outcome: hooks.OutcomeAccepted, Header: http.Header{"Content-Type": {"application/json"}},
		Body: body, Data: map[string]any{"a": "b"}, EventID: "ev1", Duration: 1500 * time.Microsecond,
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		s    store.DebugStore
		opts debuglog.Options
	}{
		{"nil store", nil, debuglog.Options{}},
		{"negative keep", memstore.New(), debuglog.Options{Keep: -1}},
		{"negative body", memstore.New(), debuglog.Options{MaxBody: -1}},
		{"negative buffer", memstore.New(), debuglog.Options{Buffer: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := debuglog.New(tt.s, tt.opts)
			if !errors.Is(err, debuglog.ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestEntryFields(t *testing.T) {
	l := newLog(t, memstore.New(), debuglog.Options{})
	in := interaction("h1", "/hooks/form/tok", []byte(`{"a":"b"}`))
	in.TriggerErr = "boom"
	l.Record(context.Background(), in)
	flush(t, l)
	es, err := l.Entries(context.Background(), "h1")
	if err != nil || len(es) != 1 {
		t.Fatalf("Entries: got %d, %v; want 1 entry", len(es), err)
	}
	e := es[0]
	checks := []struct {
		name      string
		got, want any
	}{
		{"time", e.Time, in.Time},
		{"remote", e.RemoteAddr, "192.0.2.1:1234"},
		{"method", e.Method, "POST"},
		{"path", e.Path, "/hooks/form/tok"},
		{"status", e.Status, 202},
		{"outcome", e.Outcome, "accepted"},
		{"body", e.Body, `{"a":"b"}`},
		{"encoding", e.Encoding, ""},
		{"truncated", e.BodyTruncated, false},
		{"size", e.BodySize, 9},
		{"data", string(e.Data), `{"a":"b"}`},
		{"event", e.EventID, "ev1"},
		{"trigger error", e.TriggerError, "boom"},
		{"duration", e.DurationMS, 1.5},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	one, err := l.Entry(context.Background(), "h1", e.ID)
	if err != nil || one.ID != e.ID {
		t.Errorf("Entry: got %v, %v; want %s", one, err, e.ID)
	}
	if _, err := l.Entry(context.Background(), "h1", "nope"); !errors.Is(err, debuglog.ErrNotFound) {
		t.Errorf("Entry(unknown): got %v, want ErrNotFound", err)
	}
	if _, err := l.Entry(context.Background(), "other", e.ID); !errors.Is(err, debuglog.ErrNotFound) {
		t.Errorf("Entry(other hook): got %v, want ErrNotFound", err)
	}
}

func TestKeepNewestFirst(t *testing.T) {
	l := newLog(t, memstore.New(), debuglog.Options{Keep: 3})
	for _, p := range []string{"/1", "/2", "/3", "/4", "/5"} {
		l.Record(context.Background(), interaction("h1", p, nil))
	}
	l.Record(context.Background(), interaction("h2", "/other", nil))
	flush(t, l)
	es, err := l.Entries(context.Background(), "h1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Path)
	}
	if want := "/5 /4 /3"; strings.Join(got, " ") != want {
		t.Errorf("got %v, want %v", got, want)
	}
	if err := l.Clear(context.Background(), "h1"); err != nil {
		t.Fatal(err)
	}
	if es, _ := l.Entries(context.Background(), "h1"); len(es) != 0 {
		t.Errorf("after Clear: got %d entries, want 0", len(es))
	}
	if es, _ := l.Entries(context.Background(), "h2"); len(es) != 1 {
		t.Errorf("other hook after Clear: got %d entries, want 1", len(es))
	}
}

func TestBodyCap(t *testing.T) {
	tests := []struct {
		name          string
		body          []byte
		wantBody      string
		wantEncoding  string
		wantTruncated bool
	}{
		{"short text", []byte("hello"), "hello", "", false},
		{"exact", []byte("0123456789"), "0123456789", "", false},
		{"long text", []byte("0123456789abcdef"), "0123456789", "", true},
		{"split rune", []byte("012345678é tail"), "012345678", "", true}, // é is 2 bytes at 9-10
		{"binary", []byte{0xff, 0xfe, 0x00}, "//4A", "base64", false},
		{"long binary", bytes.Repeat([]byte{0xff}, 12), "/////////////w==", "base64", true},
		{"empty", nil, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLog(t, memstore.New(), debuglog.Options{MaxBody: 10})
			l.Record(context.Background(), interaction("h", "/", tt.body))
			flush(t, l)
			es, _ := l.Entries(context.Background(), "h")
			if len(es) != 1 {
				t.Fatalf("got %d entries, want 1", len(es))
			}
			e := es[0]
			if e.Body != tt.wantBody || e.Encoding != tt.wantEncoding || e.BodyTruncated != tt.wantTruncated {
				t.Errorf("got %q %q %v, want %q %q %v", e.Body, e.Encoding, e.BodyTruncated, tt.wantBody, tt.wantEncoding, tt.wantTruncated)
			}
			if e.BodySize != len(tt.body) {
				t.Errorf("body_size: got %d, want %d", e.BodySize, len(tt.body))
			}
			raw, err := e.RawBody()
			if err != nil || !bytes.HasPrefix(tt.body, raw) {
				t.Errorf("RawBody: got %q, %v; want a prefix of %q", raw, err, tt.body)
			}
		})
	}
}

func TestDataOmitted(t *testing.T) {
	l := newLog(t, memstore.New(), debuglog.Options{MaxData: 16})
	in := interaction("h", "/", nil)
	in.Data = map[string]any{"long": strings.Repeat("x", 100)}
	l.Record(context.Background(), in)
	in2 := interaction("h", "/", nil)
	in2.Data = nil
	l.Record(context.Background(), in2)
	flush(t, l)
	es, _ := l.Entries(context.Background(), "h")
	if len(es) != 2 {
		t.Fatalf("got %d entries, want 2", len(es))
	}
	if string(es[1].Data) != "null" || !es[1].DataOmitted {
		t.Errorf("large data: got %s omitted=%v, want null omitted=true", es[1].Data, es[1].DataOmitted)
	}
	if string(es[0].Data) != "null" || es[0].DataOmitted {
		t.Errorf("no data: got %s omitted=%v, want null omitted=false", es[0].Data, es[0].DataOmitted)
	}
}

// rawStore records what reaches the store, to look for secrets in it.
type rawStore struct {
	store.Store
	mu   sync.Mutex
	seen [][]byte
}

// Unwrap lets store.As find the optional abilities of the wrapped store.
func (s *rawStore) Unwrap() store.Store { return s.Store }

func (s *rawStore) AppendDebug(ctx context.Context, e *store.DebugEntry, keep int) error {
	s.mu.Lock()
	s.seen = append(s.seen, bytes.Clone(e.Data))
	s.mu.Unlock()
	return s.Store.AppendDebug(ctx, e, keep)
}

func TestRedaction(t *testing.T) {
	s := &rawStore{Store: memstore.New()}
	l := newLog(t, s, debuglog.Options{})
	in := interaction("h", "/", nil)
	// Not redacted by the pipeline here: the log must redact on its own.
	in.Header = http.Header{
		"Authorization":       {"Bearer secret-authorization"},
		"Cookie":              {"session=secret-cookie"},
		"X-Api-Key":           {"secret-api-key"},
		"X-Hub-Signature-256": {"sha256=secret-hub"},
		"Webhook-Signature":   {"v1,secret-webhook"},
		"Stripe-Signature":    {"t=1,v1=secret-stripe"},
		"User-Agent":          {"curl/8"},
	}
	l.Record(context.Background(), in)
	flush(t, l)
	es, _ := l.Entries(context.Background(), "h")
	if len(es) != 1 {
		t.Fatalf("got %d entries, want 1", len(es))
	}
	for name := range in.Header {
		t.Run(name, func(t *testing.T) {
			got := es[0].Headers.Get(name)
			want := hooks.Redacted
			if name == "User-Agent" {
				want = "curl/8"
			}
			if got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
	for _, b := range s.seen {
		if bytes.Contains(b, []byte("secret-")) {
			t.Errorf("stored entry holds a secret: %s", b)
		}
	}
}

// blockingStore holds every AppendDebug until release is closed.
type blockingStore struct {
	store.Store
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

// Unwrap lets store.As find the optional abilities of the wrapped store.
func (s *blockingStore) Unwrap() store.Store { return s.Store }

func (s *blockingStore) AppendDebug(ctx context.Context, e *store.DebugEntry, keep int) error {
	s.once.Do(func() { close(s.started) })
	select {
	case <-s.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Store.AppendDebug(ctx, e, keep)
}

func TestSlowStoreDoesNotBlockRecord(t *testing.T) {
	s := &blockingStore{Store: memstore.New(), started: make(chan struct{}), release: make(chan struct{})}
	l := newLog(t, s, debuglog.Options{Buffer: 2})
	l.Record(context.Background(), interaction("h", "/first", nil))
	<-s.started // the writer is now stuck in the store
	done := make(chan struct{})
	go func() {
		for range 100 {
			l.Record(context.Background(), interaction("h", "/more", nil))
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked on a stuck store")
	}
	if got, want := l.Dropped(), uint64(98); got != want {
		t.Errorf("Dropped: got %d, want %d (queue of 2 while the store is stuck)", got, want)
	}
	close(s.release)
	flush(t, l)
	es, _ := l.Entries(context.Background(), "h")
	if len(es) != 3 {
		t.Errorf("got %d entries, want 3 (the one in the store and the 2 queued)", len(es))
	}
}

type failingStore struct{ store.Store }

func (failingStore) AppendDebug(context.Context, *store.DebugEntry, int) error {
	return errors.New("disk on fire")
}

func TestFailingStoreCounts(t *testing.T) {
	l := newLog(t, failingStore{memstore.New()}, debuglog.Options{})
	for range 3 {
		l.Record(context.Background(), interaction("h", "/", nil))
	}
	flush(t, l)
	if got := l.Dropped(); got != 3 {
		t.Errorf("Dropped: got %d, want 3", got)
	}
}

func TestClose(t *testing.T) {
	s := memstore.New()
	l, err := debuglog.New(s, debuglog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		l.Record(context.Background(), interaction("h", "/", nil))
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if es, _ := l.Entries(context.Background(), "h"); len(es) != 5 {
		t.Errorf("after Close: got %d entries, want 5 (Close drains)", len(es))
	}
	l.Record(context.Background(), interaction("h", "/", nil))
	if got := l.Dropped(); got != 1 {
		t.Errorf("Dropped after Close: got %d, want 1", got)
	}
	if err := l.Flush(context.Background()); !errors.Is(err, debuglog.ErrClosed) {
		t.Errorf("Flush after Close: got %v, want ErrClosed", err)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Errorf("second Close: got %v, want nil", err)
	}
}

func TestCloseDeadline(t *testing.T) {
	s := &blockingStore{Store: memstore.New(), started: make(chan struct{}), release: make(chan struct{})}
	l, err := debuglog.New(s, debuglog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	l.Record(context.Background(), interaction("h", "/", nil))
	l.Record(context.Background(), interaction("h", "/", nil))
	<-s.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close: got %v, want context.Canceled", err)
	}
	if got := l.Dropped(); got != 2 {
		t.Errorf("Dropped: got %d, want 2", got)
	}
}

func TestConcurrentRecordAndClose(t *testing.T) {
	l, err := debuglog.New(memstore.New(), debuglog.Options{Buffer: 8})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				l.Record(context.Background(), interaction("h", "/", nil))
			}
		})
	}
	wg.Go(func() { _ = l.Flush(context.Background()) })
	time.Sleep(time.Millisecond)
	if err := l.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()
	es, _ := l.Entries(context.Background(), "h")
	if got := uint64(len(es)); got > 10 {
		t.Errorf("got %d entries, want at most 10", got)
	}
}

// jsonIntake decodes JSON bodies; it stands in for a hook kind.
type jsonIntake struct{}

func (jsonIntake) NewSession(_ *hooks.Hook, a *hooks.Arrival) hooks.Session { return jsonSession{a} }

// jsonSession is one arrival of jsonIntake.
type jsonSession struct{ a *hooks.Arrival }

func (s jsonSession) Authenticate(context.Context) error {
	if s.a.Header.Get("X-Deny") != "" {
		return hooks.NewError(http.StatusUnauthorized, errcode.Unauthorized, "denied")
	}
	return nil
}

func (jsonSession) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, hooks.NewError(http.StatusBadRequest, errcode.MalformedBody, "bad JSON")
	}
	return &hooks.Decoded{Data: v, ContentType: "application/json"}, nil
}

func TestPipelineRecordsOnlyWithDebug(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	l := newLog(t, s, debuglog.Options{})
	reg, _ := hooks.NewRegistry(s, hooks.RegistryOptions{})
	_ = reg.Register(formKind{})
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Recorder: l,
		Delivery: hooks.Sync(hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }))})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "n", Kind: formKind{}.Kind()})
	post := func(body string, hdr http.Header) *hooks.Result {
		if hdr == nil {
			hdr = http.Header{}
		}
		hdr.Set("Authorization", "Bearer s3cret")
		return p.Ingest(ctx, &hooks.Arrival{Kind: formKind{}.Kind(), Token: h.Token, Method: "POST",
			Path: "/hooks/form/" + h.Token, Header: hdr, Body: strings.NewReader(body)}, jsonIntake{})
	}
	post(`{"off":1}`, nil)
	on := true
	if _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{Debug: &on}); err != nil {
		t.Fatal(err)
	}
	post(`{"ok":1}`, nil)
	post(`{not json`, nil)
	post(`{}`, http.Header{"X-Deny": {"1"}})
	off := false
	if _, err := reg.Update(ctx, "", h.ID, hooks.HookUpdate{Debug: &off}); err != nil {
		t.Fatal(err)
	}
	post(`{"off":2}`, nil)
	flush(t, l)
	es, err := l.Entries(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range es {
		got = append(got, e.Outcome+"/"+e.Reason+"/"+e.Body)
		if e.Headers.Get("Authorization") != hooks.Redacted {
			t.Errorf("Authorization: got %q, want redacted", e.Headers.Get("Authorization"))
		}
	}
	want := []string{"rejected/unauthorized/", "rejected/malformed_body/{not json", `accepted//{"ok":1}`}
	if strings.Join(got, " | ") != strings.Join(want, " | ") {
		t.Errorf("got %v, want %v", got, want)
	}
}

// formKind stands in for the form hook kind.
type formKind struct{}

func (formKind) Kind() hooks.Kind                  { return "form" }
func (formKind) NewSettings() hooks.Settings       { return &noSettings{} }
func (formKind) Address(base, token string) string { return base + "/hooks/form/" + token }

type noSettings struct{}

func (*noSettings) Validate() error { return nil }

// TestFieldRedaction checks that secret-like fields of the body and the
// data are redacted in the entry, that the interaction (which the Trigger's
// event shares) is left as it came, and that dropped headers are shown.
func TestFieldRedaction(t *testing.T) {
	s := &rawStore{Store: memstore.New()}
	l := newLog(t, s, debuglog.Options{})
	in := interaction("h", "/", []byte("name=Ada&password=secret-pw&card%5Bcvv%5D=secret-cvv"))
	in.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	in.HeadersDropped, in.HeaderBytesDropped = 2, 1<<20
	data := map[string]any{"name": "Ada", "password": "secret-pw", "card": map[string]any{"cvv": "secret-cvv"}}
	in.Data = data
	l.Record(context.Background(), in)
	flush(t, l)
	es, _ := l.Entries(context.Background(), "h")
	if len(es) != 1 {
		t.Fatalf("got %d entries, want 1", len(es))
	}
	e := es[0]
	if want := "name=Ada&password=[redacted]&card%5Bcvv%5D=[redacted]"; e.Body != want {
		t.Errorf("body: got %q, want %q", e.Body, want)
	}
	if want := `{"card":{"cvv":"[redacted]"},"name":"Ada","password":"[redacted]"}`; string(e.Data) != want {
		t.Errorf("data: got %s, want %s", e.Data, want)
	}
	if e.BodySize != len(in.Body) || e.HeadersDropped != 2 || e.HeaderBytesDropped != 1<<20 {
		t.Errorf("got body size %d, headers dropped %d (%d bytes)", e.BodySize, e.HeadersDropped, e.HeaderBytesDropped)
	}
	if data["password"] != "secret-pw" || !bytes.Contains(in.Body, []byte("secret-pw")) {
		t.Error("the interaction was changed")
	}
	for _, b := range s.seen {
		if bytes.Contains(b, []byte("secret-")) {
			t.Errorf("stored entry holds a secret: %s", b)
		}
	}
	// An empty list keeps the fields.
	l2 := newLog(t, memstore.New(), debuglog.Options{RedactFields: []string{}})
	l2.Record(context.Background(), in)
	flush(t, l2)
	if es, _ := l2.Entries(context.Background(), "h"); len(es) != 1 || !strings.Contains(es[0].Body, "secret-pw") {
		t.Errorf("RedactFields empty: got %+v, want the body as it came", es)
	}
}
