// Package brokertest is what the trigger adapters' tests share: the
// repository's rule for outside services (skip with a message, fail under
// CI=true), a loopback TCP proxy that a test cuts and restores to stop and
// start a broker without touching the real server, a webhook host in queue
// mode that events are posted to over HTTP, and a Trigger wrapper that makes
// an attempt time out after the broker accepted the event.
//
// It lives in the root module (no broker dependency) so that each adapter's
// module imports it; internal/testenv cannot be used there because it pulls
// in Chromium and PostgreSQL drivers. It is imported by _test.go files only.
package brokertest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/schema"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// ValidEvent checks that payload, as read back from a broker, is an event
// in the library's one JSON shape: valid against schema.Event, with
// formats (date-time) asserted.
func ValidEvent(t testing.TB, payload []byte) {
	t.Helper()
	s, err := eventSchema()
	if err != nil {
		t.Fatalf("event schema: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err == nil {
		err = s.Validate(v)
	}
	if err != nil {
		t.Errorf("payload %.120s is not an event of schema.Event: %v", payload, err)
	}
}

// eventSchema compiles schema.Event once.
var eventSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.Event()))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(noLoader{})
	if err := c.AddResource("event.schema.json", doc); err != nil {
		return nil, err
	}
	return c.Compile("event.schema.json")
})

// noLoader refuses every external reference: the schema is self-contained.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) { return nil, fmt.Errorf("no loading of %s", url) }

// CI reports whether the tests run in CI (CI=true), where a missing service
// is a failure. It is internal/testenv's rule.
func CI() bool { return os.Getenv("CI") == "true" }

// Need skips t with the message, or fails it when CI reports true.
func Need(t testing.TB, format string, args ...any) {
	t.Helper()
	if CI() {
		t.Fatalf(format+" (required when CI=true)", args...)
	}
	t.Skipf(format, args...)
}

// Env returns the value of the environment variable name, or def when it
// is unset.
func Env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// Reachable dials addr (host:port) and calls Need when nothing answers.
func Reachable(t testing.TB, service, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		Need(t, "%s is not reachable on %s: %v", service, addr, err)
		return
	}
	_ = c.Close()
}

// Proxy is a loopback TCP proxy to a server. Cut closes every proxied
// connection and refuses new ones (they are accepted and closed at once,
// as a stopped server's port would behave for a client), until Restore.
// Hold stops passing the server's bytes to the clients (the server still
// receives and acts on what clients send), until Release.
type Proxy struct {
	ln     net.Listener
	target string
	hold   sync.RWMutex // write-locked while the server's answers are held

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewProxy starts a proxy to target on a free 127.0.0.1 port; it stops when
// the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		Need(t, "no loopback listener: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every proxied connection and refuses new ones.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// Restore lets connections through again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// Hold stops passing the server's bytes to the clients, until Release.
func (p *Proxy) Hold() { p.hold.Lock() }

// Release passes the held bytes and what follows.
func (p *Proxy) Release() { p.hold.Unlock() }

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
		}()
	}
}

// track registers c unless the proxy is cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) serve(c net.Conn) {
	if !p.track(c) {
		_ = c.Close()
		return
	}
	defer p.untrack(c)
	s, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	if !p.track(s) {
		_ = s.Close()
		return
	}
	defer p.untrack(s)
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn, gate func() func()) {
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				release := gate()
				_, werr := dst.Write(buf[:n])
				release()
				if werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		_ = dst.Close()
		_ = src.Close()
		done <- struct{}{}
	}
	open := func() func() { return func() {} }
	held := func() func() {
		p.hold.RLock()
		return p.hold.RUnlock
	}
	go pipe(s, c, open)
	go pipe(c, s, held)
	<-done
	<-done
}

// AcceptedThenSlow wraps t so that the first n events it accepts are made
// to look timed out: after t took the event (the broker acked it), the
// wrapper waits for the attempt's context to end and returns its error, so
// the queue retries an event the broker already holds. Slowed counts them.
type AcceptedThenSlow struct {
	Trigger hooks.Trigger
	N       int64
	slowed  atomic.Int64
	fired   atomic.Int64
}

// Fire implements hooks.Trigger.
func (a *AcceptedThenSlow) Fire(ctx context.Context, e *hooks.Event) error {
	if err := a.Trigger.Fire(ctx, e); err != nil {
		return err
	}
	a.fired.Add(1)
	if a.slowed.Add(1) <= a.N {
		<-ctx.Done()
		return fmt.Errorf("brokertest: attempt held past its timeout after the broker accepted: %w", ctx.Err())
	}
	return nil
}

// Slowed reports how many accepted attempts were turned into timeouts.
func (a *AcceptedThenSlow) Slowed() int64 { return min(a.slowed.Load(), a.N) }

// Fired reports how many attempts the wrapped trigger accepted.
func (a *AcceptedThenSlow) Fired() int64 { return a.fired.Load() }

// Counting wraps a Trigger and counts its failed attempts.
type Counting struct {
	Trigger hooks.Trigger
	failed  atomic.Int64
}

// Fire implements hooks.Trigger.
func (c *Counting) Fire(ctx context.Context, e *hooks.Event) error {
	err := c.Trigger.Fire(ctx, e)
	if err != nil {
		c.failed.Add(1)
	}
	return err
}

// Failed reports how many attempts returned an error.
func (c *Counting) Failed() int64 { return c.failed.Load() }

// Host is an inbound host in queue mode: a memstore, a webhook handler on
// an httptest server, and a started queue delivering to a Trigger with
// short timeouts and backoff, so that retries happen within a test.
type Host struct {
	Queue *hooks.Queue
	URL   string // the hook's address
	Key   string // an API key with the hooks role
	srv   *httptest.Server
}

// QueueOptions are the test queue's options: a 1s attempt timeout, retries
// 50-200ms apart, and enough attempts that an outage never parks an event.
func QueueOptions() hooks.QueueOptions {
	return hooks.QueueOptions{
		AttemptTimeout: time.Second,
		Lease:          5 * time.Second,
		MinBackoff:     50 * time.Millisecond,
		MaxBackoff:     200 * time.Millisecond,
		MaxAttempts:    10000,
		PollInterval:   50 * time.Millisecond,
	}
}

// NewHost starts a Host delivering to trigger with opts (QueueOptions when
// nil), with one webhook named "Orders"; it stops when the test ends.
func NewHost(t testing.TB, trigger hooks.Trigger, opts *hooks.QueueOptions) *Host {
	t.Helper()
	if opts == nil {
		o := QueueOptions()
		opts = &o
	}
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	q, err := hooks.NewQueue(st, trigger, *opts)
	must(err)
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://inbound.test"})
	must(err)
	keys, err := hooks.NewKeyring(st, hooks.KeyringOptions{})
	must(err)
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q})
	must(err)
	h, err := webhook.New(p, keys, webhook.Options{})
	must(err)
	hook, err := reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: webhook.KindName})
	must(err)
	_, key, err := keys.Create(ctx, "", "test", []string{hooks.RoleHooks})
	must(err)
	mux := http.NewServeMux()
	mux.Handle(h.Prefix(), h)
	srv := httptest.NewServer(mux)
	addr := reg.Address(hook)
	path := addr[strings.Index(addr, "/hooks/"):]
	must(q.Start(ctx))
	host := &Host{Queue: q, URL: srv.URL + path, Key: key, srv: srv}
	t.Cleanup(func() {
		srv.Close()
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = q.Shutdown(sctx)
	})
	return host
}

// Post posts body as JSON to the hook and returns the event ID of the 202.
func (h *Host) Post(t testing.TB, body string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.URL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+h.Key)
	res, err := h.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("post: status %d: %s", res.StatusCode, b)
	}
	var ans struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &ans); err != nil || ans.ID == "" {
		t.Fatalf("post: answer %s: %v", b, err)
	}
	return ans.ID
}

// PostN posts n events ({"n":i}) and returns their IDs.
func (h *Host) PostN(t testing.TB, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = h.Post(t, fmt.Sprintf(`{"n":%d}`, i))
	}
	return ids
}

// WaitDelivered waits until every event in ids is delivered (the trigger
// returned nil) or the timeout passes.
func (h *Host) WaitDelivered(t testing.TB, ids []string, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for _, id := range ids {
		for {
			st, err := h.Queue.Get(context.Background(), "", id)
			if err == nil && st.State == "delivered" {
				break
			}
			if time.Now().After(deadline) {
				state := "?"
				if st != nil {
					state = fmt.Sprintf("%s after %d attempts, last error %q", st.State, st.Attempts, st.LastError)
				}
				t.Fatalf("event %s not delivered within %v: %v %s", id, timeout, err, state)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// Pending returns how many of ids are not delivered yet.
func (h *Host) Pending(t testing.TB, ids []string) int {
	t.Helper()
	n := 0
	for _, id := range ids {
		st, err := h.Queue.Get(context.Background(), "", id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if st.State != "delivered" {
			n++
		}
	}
	return n
}

// ExactlyOnce checks that got (event IDs as the broker holds them, in any
// order) holds each of want exactly once and nothing else.
func ExactlyOnce(t testing.TB, got, want []string) {
	t.Helper()
	count := map[string]int{}
	for _, id := range got {
		count[id]++
	}
	for _, id := range want {
		if count[id] != 1 {
			t.Errorf("event %s is in the broker %d times, want once", id, count[id])
		}
		delete(count, id)
	}
	for id, n := range count {
		t.Errorf("unexpected event %s in the broker (%d times)", id, n)
	}
	if len(got) != len(want) {
		t.Errorf("the broker holds %d events, want %d", len(got), len(want))
	}
}

// Outage is the outage scenario every adapter runs: five events go through,
// then p is cut while ten more are posted; they must all stay pending while
// at least 20 attempts fail, and once p is restored every event must be in
// the broker exactly once (stored lists the event IDs the broker holds).
func Outage(t *testing.T, tr hooks.Trigger, p *Proxy, stored func() []string) {
	t.Helper()
	counting := &Counting{Trigger: tr}
	opts := QueueOptions()
	opts.AttemptTimeout = 300 * time.Millisecond
	host := NewHost(t, counting, &opts)
	before := host.PostN(t, 5)
	host.WaitDelivered(t, before, 30*time.Second)

	p.Cut()
	during := host.PostN(t, 10)
	deadline := time.Now().Add(20 * time.Second)
	for counting.Failed() < 20 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if counting.Failed() < 20 {
		t.Fatalf("%d failed attempts during the outage, want at least 20", counting.Failed())
	}
	if n := host.Pending(t, during); n != len(during) {
		t.Fatalf("%d of %d events pending during the outage, want all", n, len(during))
	}
	p.Restore()
	host.WaitDelivered(t, during, 30*time.Second)
	ExactlyOnce(t, stored(), append(before, during...))
}
