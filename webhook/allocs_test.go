package webhook

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/baseline"
	"github.com/inbound-hooks/inbound/internal/testenv"
)

// maxSyncAllocs bounds the allocations of one webhook post on the sync
// path (an API key, the 1 KiB JSON of baseline.Body, memstore, a Trigger
// that does nothing), from ServeHTTP to the written answer. It was 145
// when pinned, 144 since a lookup shares the hook's settings instead of
// copying them: about 118 of them are the decoded data (a map and its
// group per object, a boxed value per string and number, the body's one
// string copy), 5 memstore's copies of the hook and the key, the rest the
// pipeline's own (the hook, key, arrival, session, event and result; the
// ID; the redacted header; two spans of the global tracer; the body; the
// answer). Under the race detector sync.Pool drops some of what is put
// back, so the decoder's pooled state is made again now and then:
// testenv.RaceSlack(6) leaves room for that.
const maxSyncAllocs = 145

// TestSyncPostAllocs pins the allocation count of the sync webhook path,
// so that a change that adds work per request fails here.
func TestSyncPostAllocs(t *testing.T) {
	ctx := context.Background()
	_, reg, keys := newCore(t)
	fired := 0
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
		func(context.Context, *hooks.Event) error { fired++; return nil }))})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(p, keys, Options{})
	if err != nil {
		t.Fatal(err)
	}
	hk, err := reg.Create(ctx, "", hooks.HookSpec{Name: "allocs", Kind: KindName})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := keys.Create(ctx, "", "allocs", []string{hooks.RoleHooks})
	if err != nil {
		t.Fatal(err)
	}
	// One request, its body rewound for each post, and a writer that
	// keeps nothing: what is counted is the handler's.
	body := baseline.Body(1024)
	rd := bytes.NewReader(body)
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://example.test"+h.Prefix()+hk.Token, io.NopCloser(rd))
	if err != nil {
		t.Fatal(err)
	}
	r.ContentLength = int64(len(body))
	r.Header = http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + key},
		"User-Agent": {"allocs-test/1"}, "Accept-Encoding": {"gzip"}}
	w := &resetWriter{header: http.Header{}}
	post := func() {
		rd.Reset(body)
		clear(w.header)
		h.ServeHTTP(w, r)
		if w.code != http.StatusAccepted {
			t.Fatalf("status %d", w.code)
		}
	}
	post() // the first post fills the caches and pools
	allocs := testing.AllocsPerRun(200, post)
	t.Logf("%.0f allocations per post", allocs)
	if max := maxSyncAllocs + testenv.RaceSlack(6); allocs > float64(max) {
		t.Fatalf("got %.0f allocations per post, want at most %d", allocs, max)
	}
	if fired != 202 {
		t.Fatalf("fired %d events, want 202", fired)
	}
}

// resetWriter is an http.ResponseWriter that keeps the status and drops
// the body.
type resetWriter struct {
	header http.Header
	code   int
}

func (w *resetWriter) Header() http.Header         { return w.header }
func (w *resetWriter) WriteHeader(code int)        { w.code = code }
func (w *resetWriter) Write(b []byte) (int, error) { return len(b), nil }
