package formhook

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// protEnv is a form Handler with a debug log, a recording trigger and a
// settable clock.
type protEnv struct {
	h    *Handler
	reg  *hooks.Registry
	dlog *debuglog.Log
	mu   sync.Mutex
	evs  []*hooks.Event
	now  time.Time
}

func newProtEnv(t *testing.T, opts Options) *protEnv {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://example.test"})
	if err != nil {
		t.Fatal(err)
	}
	dlog, err := debuglog.New(st, debuglog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dlog.Close(context.Background()) })
	e := &protEnv{reg: reg, dlog: dlog, now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Recorder: dlog,
		Delivery: hooks.Sync(hooks.TriggerFunc(func(_ context.Context, ev *hooks.Event) error {
			e.mu.Lock()
			e.evs = append(e.evs, ev)
			e.mu.Unlock()
			return nil
		}))})
	if err != nil {
		t.Fatal(err)
	}
	opts.Now = func() time.Time {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.now
	}
	if e.h, err = New(p, opts); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *protEnv) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

func (e *protEnv) events() []*hooks.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*hooks.Event(nil), e.evs...)
}

func (e *protEnv) hook(t *testing.T, s *Settings) *hooks.Hook {
	t.Helper()
	ctx := context.Background()
	hk, err := e.reg.Create(ctx, "", hooks.HookSpec{Name: "Contact", Kind: KindName, Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	if hk, err = e.reg.Update(ctx, "", hk.ID, hooks.HookUpdate{Debug: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	return hk
}

type req struct {
	method string
	body   string
	ct     string
	remote string
	header map[string]string
}

func (e *protEnv) do(hk *hooks.Hook, r req) *httptest.ResponseRecorder {
	if r.method == "" {
		r.method = http.MethodPost
	}
	if r.ct == "" {
		r.ct = urlenc
	}
	path := "/hooks/form/nosuchtoken0000"
	if hk != nil {
		path = "/hooks/form/" + hk.Token
	}
	hr := httptest.NewRequest(r.method, path, strings.NewReader(r.body))
	if r.method == http.MethodPost {
		hr.Header.Set("Content-Type", r.ct)
	}
	if r.remote != "" {
		hr.RemoteAddr = r.remote
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, hr)
	return w
}

func code(w *httptest.ResponseRecorder) string {
	var eb hooks.ErrorBody
	_ = json.Unmarshal(w.Body.Bytes(), &eb)
	return eb.Error.Code
}

func TestPreflight(t *testing.T) {
	e := newProtEnv(t, Options{})
	cors := e.hook(t, &Settings{AllowedOrigins: []string{"https://www.example.com", "http://localhost:8081/"}})
	any := e.hook(t, &Settings{AllowedOrigins: []string{"*"}})
	none := e.hook(t, &Settings{})
	tests := []struct {
		name   string
		hk     *hooks.Hook
		origin string
		status int
		acao   string
		vary   bool
	}{
		{"allowed", cors, "https://www.example.com", 204, "https://www.example.com", true},
		{"allowed, other case", cors, "HTTPS://WWW.EXAMPLE.COM", 204, "HTTPS://WWW.EXAMPLE.COM", true},
		{"allowed with port, trailing slash configured", cors, "http://localhost:8081", 204, "http://localhost:8081", true},
		{"disallowed", cors, "https://evil.example", 204, "", true},
		{"other scheme", cors, "http://www.example.com", 204, "", true},
		{"null origin", cors, "null", 204, "", true},
		{"no origin", cors, "", 204, "", true},
		{"star", any, "https://anyone.example", 204, "*", true},
		{"hook without origins", none, "https://www.example.com", 204, "", false},
		{"unknown token", nil, "https://www.example.com", 404, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(tt.hk, req{method: http.MethodOptions, header: map[string]string{
				"Origin": tt.origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}})
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if tt.status == 404 {
				if c := code(w); c != errcode.NotFound {
					t.Fatalf("got code %q, want %q", c, errcode.NotFound)
				}
				return
			}
			h := w.Header()
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.acao {
				t.Fatalf("Access-Control-Allow-Origin: got %q, want %q", got, tt.acao)
			}
			want := map[string]string{"Access-Control-Allow-Methods": "", "Access-Control-Allow-Headers": "", "Access-Control-Max-Age": ""}
			if tt.acao != "" {
				want = map[string]string{"Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "600"}
			}
			for k, v := range want {
				if got := h.Get(k); got != v {
					t.Errorf("%s: got %q, want %q", k, got, v)
				}
			}
			if got := strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin"); got != tt.vary {
				t.Errorf("Vary Origin: got %v, want %v", got, tt.vary)
			}
			if w.Body.Len() != 0 {
				t.Errorf("got body %q, want none", w.Body)
			}
		})
	}
	if n := len(e.events()); n != 0 {
		t.Fatalf("preflights fired %d events", n)
	}
}

func TestCORSOnActualPost(t *testing.T) {
	e := newProtEnv(t, Options{})
	hk := e.hook(t, &Settings{AllowedOrigins: []string{"https://www.example.com"}})
	tests := []struct {
		name   string
		origin string
		body   string
		status int
		acao   string
	}{
		{"allowed", "https://www.example.com", "a=1", 202, "https://www.example.com"},
		{"allowed, error answer", "https://www.example.com", "a=%zz", 400, "https://www.example.com"},
		{"disallowed", "https://evil.example", "a=1", 202, ""},
		{"no origin", "", "a=1", 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(hk, req{body: tt.body, header: map[string]string{"Origin": tt.origin}})
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if got := w.Header().Get("Access-Control-Allow-Origin"); got != tt.acao {
				t.Errorf("Access-Control-Allow-Origin: got %q, want %q", got, tt.acao)
			}
			if got := w.Header().Get("Vary"); got != "Origin" {
				t.Errorf("Vary: got %q, want Origin", got)
			}
		})
	}
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

func TestRedirectOrJSON(t *testing.T) {
	e := newProtEnv(t, Options{})
	const thanks = "https://www.example.com/thanks"
	hk := e.hook(t, &Settings{RedirectURL: thanks})
	plain := e.hook(t, &Settings{})
	tests := []struct {
		name     string
		hk       *hooks.Hook
		accept   string
		body     string
		status   int
		location string
	}{
		{"browser form post", hk, browserAccept, "a=1", 303, thanks},
		{"text/html only", hk, "text/html", "a=1", 303, thanks},
		{"html preferred over json", hk, "application/json;q=0.1, text/html", "a=1", 303, thanks},
		{"fetch default", hk, "*/*", "a=1", 202, ""},
		{"no accept", hk, "", "a=1", 202, ""},
		{"json", hk, "application/json", "a=1", 202, ""},
		{"html and json equal", hk, "text/html, application/json", "a=1", 202, ""},
		{"json preferred", hk, "text/html;q=0.5, application/json", "a=1", 202, ""},
		{"html refused", hk, "text/html;q=0", "a=1", 202, ""},
		{"browser, error", hk, browserAccept, "a=%zz", 400, ""},
		{"browser, no redirect configured", plain, browserAccept, "a=1", 202, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do(tt.hk, req{body: tt.body, header: map[string]string{"Accept": tt.accept}})
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("Location: got %q, want %q", got, tt.location)
			}
			if tt.status != 303 && !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
				t.Errorf("Content-Type: got %q, want JSON", w.Header().Get("Content-Type"))
			}
		})
	}
}

func TestHoneypot(t *testing.T) {
	e := newProtEnv(t, Options{})
	const thanks = "https://www.example.com/thanks"
	hk := e.hook(t, &Settings{Honeypot: "website", RedirectURL: thanks})
	tests := []struct {
		name    string
		body    string
		ct      string
		accept  string
		status  int
		dropped bool
		data    string
	}{
		{"empty: accepted, field removed", "name=Ada&website=", urlenc, "", 202, false, `{"name":"Ada"}`},
		{"absent: accepted", "name=Ada", urlenc, "", 202, false, `{"name":"Ada"}`},
		{"filled: dropped", "name=Bot&website=http%3A%2F%2Fspam.example", urlenc, "", 202, true, ""},
		{"whitespace: dropped", "name=Bot&website=+", urlenc, "", 202, true, ""},
		{"filled, browser: redirected", "name=Bot&website=x", urlenc, browserAccept, 303, true, ""},
		{"filled json: dropped", `{"name":"Bot","website":["x"]}`, "application/json", "", 202, true, ""},
		{"null json: accepted", `{"name":"Ada","website":null}`, "application/json", "", 202, false, `{"name":"Ada"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.events())
			w := e.do(hk, req{body: tt.body, ct: tt.ct, header: map[string]string{"Accept": tt.accept}})
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			evs := e.events()
			if tt.dropped {
				if len(evs) != before {
					t.Fatalf("a dropped post fired an event")
				}
				if tt.status == 202 {
					var v struct{ ID string }
					if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
						t.Fatal(err)
					}
					if _, ok := hooks.IDTime(v.ID); !ok {
						t.Errorf("got id %q, want one shaped like an event ID", v.ID)
					}
				}
				return
			}
			if len(evs) != before+1 {
				t.Fatalf("got %d events, want %d", len(evs), before+1)
			}
			got, _ := json.Marshal(evs[len(evs)-1].Data)
			if string(got) != tt.data {
				t.Errorf("got data %s, want %s", got, tt.data)
			}
		})
	}
	ctx := context.Background()
	if err := e.dlog.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	entries, err := e.dlog.Entries(ctx, hk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var dropped int
	for _, en := range entries {
		if en.Outcome == hooks.OutcomeDropped {
			dropped++
			if en.Reason != DropHoneypot || !strings.Contains(string(en.Data), "website") {
				t.Errorf("dropped entry: got reason %q data %s, want %q with the honeypot value", en.Reason, en.Data, DropHoneypot)
			}
		}
	}
	if dropped != 4 {
		t.Errorf("got %d dropped debug entries, want 4", dropped)
	}
}

// readFlag records whether a body was read.
type readFlag struct {
	r    io.Reader
	read bool
}

func (f *readFlag) Read(p []byte) (int, error) { f.read = true; return f.r.Read(p) }

func TestRateLimit(t *testing.T) {
	e := newProtEnv(t, Options{RateLimit: 0.5, Burst: 2})
	hk := e.hook(t, &Settings{})
	post := func(remote string) *httptest.ResponseRecorder {
		return e.do(hk, req{body: "a=1", remote: remote})
	}
	for i := 0; i < 2; i++ {
		if w := post("192.0.2.1:1000"); w.Code != 202 {
			t.Fatalf("post %d: got %d, want 202", i, w.Code)
		}
	}
	w := post("192.0.2.1:1001")
	if w.Code != 429 || code(w) != errcode.RateLimited {
		t.Fatalf("third post: got %d %s, want 429 rate_limited", w.Code, w.Body)
	}
	if got := w.Header().Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After: got %q, want 2 (one token at 0.5/s)", got)
	}
	if w := post("192.0.2.2:1000"); w.Code != 202 {
		t.Errorf("another client: got %d, want 202", w.Code)
	}
	// The refused post consumed nothing: after 2s one token is back.
	e.advance(2 * time.Second)
	if w := post("192.0.2.1:1002"); w.Code != 202 {
		t.Errorf("after Retry-After: got %d, want 202", w.Code)
	}
	if w := post("192.0.2.1:1003"); w.Code != 429 {
		t.Errorf("right after: got %d, want 429", w.Code)
	}
	// IPv6 clients are limited per /64.
	for i, remote := range []string{"[2001:db8:1:2::1]:1", "[2001:db8:1:2::2]:1", "[2001:db8:1:2:ffff::9]:1"} {
		want := 202
		if i == 2 {
			want = 429
		}
		if w := post(remote); w.Code != want {
			t.Errorf("%s: got %d, want %d", remote, w.Code, want)
		}
	}
	// A limited post is refused before its body is read.
	body := &readFlag{r: strings.NewReader("a=1")}
	r := httptest.NewRequest(http.MethodPost, "/hooks/form/"+hk.Token, body)
	r.RemoteAddr = "192.0.2.1:1004"
	r.Header.Set("Content-Type", urlenc)
	rw := httptest.NewRecorder()
	e.h.ServeHTTP(rw, r)
	if rw.Code != 429 || body.read {
		t.Errorf("got %d, body read %v; want 429 without reading", rw.Code, body.read)
	}
}

func TestRateLimitForwardedFor(t *testing.T) {
	tests := []struct {
		name    string
		trusted []string
		remote  string
		xffs    []string // one per post; the third post must be limited when limited is true
		limited bool
	}{
		{"no trusted proxies: header ignored", nil, "198.51.100.7:1", []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, true},
		{"untrusted peer: header ignored", []string{"10.0.0.0/8"}, "198.51.100.7:1", []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, true},
		{"trusted peer: clients told apart", []string{"10.0.0.0/8"}, "10.1.2.3:1", []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"}, false},
		{"trusted peer: spoofed left entries do not help", []string{"10.0.0.0/8"}, "10.1.2.3:1", []string{"1.1.1.1, 203.0.113.9", "2.2.2.2, 203.0.113.9", "3.3.3.3, 203.0.113.9"}, true},
		{"two trusted hops", []string{"10.0.0.0/8", "192.168.0.0/16"}, "10.1.2.3:1", []string{"203.0.113.1, 192.168.1.1", "203.0.113.2, 192.168.1.1", "203.0.113.3,192.168.1.1"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newProtEnv(t, Options{RateLimit: 1, Burst: 2, TrustedProxies: tt.trusted})
			hk := e.hook(t, &Settings{})
			var last int
			for _, xff := range tt.xffs {
				last = e.do(hk, req{body: "a=1", remote: tt.remote, header: map[string]string{"X-Forwarded-For": xff}}).Code
			}
			if got := last == 429; got != tt.limited {
				t.Fatalf("third post limited: got %v, want %v", got, tt.limited)
			}
		})
	}
}

func TestRateLimitBounded(t *testing.T) {
	e := newProtEnv(t, Options{RateLimit: 1, Burst: 1, MaxClients: 3})
	hk := e.hook(t, &Settings{})
	for i := 0; i < 20; i++ {
		if w := e.do(hk, req{body: "a=1", remote: "192.0.2." + strconv.Itoa(i) + ":1"}); w.Code != 202 {
			t.Fatalf("client %d: got %d, want 202", i, w.Code)
		}
	}
	if n := e.h.limits.size(); n > 3 {
		t.Fatalf("got %d remembered clients, want at most 3", n)
	}
	// Idle clients are forgotten as others arrive.
	e.advance(time.Hour)
	e.do(hk, req{body: "a=1", remote: "198.51.100.1:1"})
	if n := e.h.limits.size(); n != 1 {
		t.Fatalf("got %d remembered clients after an hour, want 1", n)
	}
}

func TestClientIP(t *testing.T) {
	trusted, err := parseTrusted([]string{"10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "::ffff:172.16.0.0/108"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		remote  string
		xff     []string
		trusted []netip.Prefix
		want    string
	}{
		{"peer", "198.51.100.1:5", nil, trusted, "198.51.100.1"},
		{"no trust: header ignored", "10.0.0.1:5", []string{"203.0.113.1"}, nil, "10.0.0.1"},
		{"untrusted peer", "198.51.100.1:5", []string{"203.0.113.1"}, trusted, "198.51.100.1"},
		{"trusted peer", "10.0.0.1:5", []string{"203.0.113.1"}, trusted, "203.0.113.1"},
		{"right-most untrusted", "10.0.0.1:5", []string{"1.1.1.1, 203.0.113.1, 10.9.9.9"}, trusted, "203.0.113.1"},
		{"several lines", "10.0.0.1:5", []string{"1.1.1.1", "203.0.113.1", "10.2.2.2"}, trusted, "203.0.113.1"},
		{"all trusted: left-most", "10.0.0.1:5", []string{"10.3.3.3, 10.2.2.2"}, trusted, "10.3.3.3"},
		{"garbage ends the walk", "10.0.0.1:5", []string{"1.1.1.1, garbage, 10.2.2.2"}, trusted, "10.2.2.2"},
		{"empty entries skipped", "10.0.0.1:5", []string{" , 203.0.113.1 ,,"}, trusted, "203.0.113.1"},
		{"entry with port", "10.0.0.1:5", []string{"203.0.113.1:4444"}, trusted, "203.0.113.1"},
		{"ipv6 entry", "[2001:db8::1]:5", []string{"[2001:db9::5]:1"}, trusted, "2001:db9::5"},
		{"mapped peer", "[::ffff:10.0.0.1]:5", []string{"203.0.113.1"}, trusted, "203.0.113.1"},
		{"single address trusted", "192.0.2.7:5", []string{"203.0.113.1"}, trusted, "203.0.113.1"},
		{"mapped prefix trusted", "172.16.0.9:5", []string{"203.0.113.1"}, trusted, "203.0.113.1"},
		{"zone dropped", "[fe80::1%eth0]:5", nil, trusted, "fe80::1"},
		{"unix socket peer, trusted proxies", "@", []string{"203.0.113.1"}, trusted, "203.0.113.1"},
		{"unix socket peer, no trust", "@", []string{"203.0.113.1"}, nil, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clientIP(tt.remote, tt.xff, tt.trusted).String(); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := parseTrusted([]string{"10.0.0.0/33"}); err == nil {
		t.Error("parseTrusted accepted 10.0.0.0/33")
	}
}

func FuzzClientIP(f *testing.F) {
	f.Add("10.0.0.1:5", "1.1.1.1, 203.0.113.1, 10.9.9.9")
	f.Add("[2001:db8::1]:5", "[2001:db9::5]:1,garbage")
	f.Add("@", " , ,")
	f.Add("198.51.100.1:5", strings.Repeat("10.0.0.1,", 100))
	trusted, _ := parseTrusted([]string{"10.0.0.0/8", "2001:db8::/32"})
	f.Fuzz(func(t *testing.T, remote, xff string) {
		a := clientIP(remote, []string{xff}, trusted)
		peer, ok := parseHost(remote)
		if ok && !isTrusted(peer, trusted) && a != peer {
			t.Fatalf("untrusted peer %s: got %s", peer, a)
		}
		if b := clientIP(remote, []string{xff}, nil); b != peer {
			t.Fatalf("without trusted proxies: got %s, want the peer %s", b, peer)
		}
		if a.IsValid() && (a.Zone() != "" || a.Is4In6()) {
			t.Fatalf("got %s, want no zone and no mapped address", a)
		}
		_ = limitKey(a)
	})
}

func TestWantsHTML(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{[]string{browserAccept}, true},
		{[]string{"text/html"}, true},
		{[]string{"TEXT/HTML; charset=utf-8"}, true},
		{[]string{"application/xhtml+xml"}, true},
		{[]string{"*/*"}, false},
		{nil, false},
		{[]string{"application/json", "text/html"}, false},
		{[]string{"text/html;q=0.9", "application/json;q=0.8"}, true},
		{[]string{"text/html;q=abc"}, false},
		{[]string{"text/html;q=2"}, false},
		{[]string{strings.Repeat("x/y,", 100) + "text/html"}, false}, // beyond the examined ranges
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.accept, "|"), func(t *testing.T) {
			if got := wantsHTML(tt.accept); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzWantsHTML(f *testing.F) {
	f.Add(browserAccept)
	f.Add("text/html;q=0.5, application/json")
	f.Add(";;q=,=,")
	f.Fuzz(func(t *testing.T, accept string) {
		_ = wantsHTML([]string{accept})
	})
}

// fakeCaptcha accepts "good", rejects "bad", and fails for "down".
type fakeCaptcha struct {
	mu    sync.Mutex
	calls []string // token@ip
}

func (f *fakeCaptcha) VerifyCaptcha(_ context.Context, token, ip string) error {
	f.mu.Lock()
	f.calls = append(f.calls, token+"@"+ip)
	f.mu.Unlock()
	switch token {
	case "good":
		return nil
	case "down":
		return errors.New("provider unreachable")
	}
	return errors.Join(ErrCaptchaInvalid, errors.New("timeout-or-duplicate"))
}

func TestCaptcha(t *testing.T) {
	fake := &fakeCaptcha{}
	e := newProtEnv(t, Options{Captcha: fake, CaptchaField: "cf-turnstile-response", TrustedProxies: []string{"10.0.0.0/8"}})
	hk := e.hook(t, &Settings{Honeypot: "website"})
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		calls  int
		retry  string
	}{
		{"valid", "name=Ada&cf-turnstile-response=good", 202, "", 1, ""},
		{"missing", "name=Ada", 400, CodeCaptchaMissing, 0, ""},
		{"empty", "name=Ada&cf-turnstile-response=", 400, CodeCaptchaMissing, 0, ""},
		{"array", "name=Ada&cf-turnstile-response[]=good", 400, CodeCaptchaMissing, 0, ""},
		{"rejected", "name=Ada&cf-turnstile-response=bad", 403, CodeCaptchaFailed, 1, ""},
		{"provider down", "name=Ada&cf-turnstile-response=down", 503, CodeCaptchaUnavailable, 1, "5"},
		{"honeypot first: provider not asked", "name=Bot&website=x&cf-turnstile-response=bad", 202, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake.mu.Lock()
			fake.calls = nil
			fake.mu.Unlock()
			before := len(e.events())
			w := e.do(hk, req{body: tt.body, remote: "10.0.0.1:1", header: map[string]string{"X-Forwarded-For": "203.0.113.8"}})
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if got := code(w); got != tt.code {
				t.Fatalf("got code %q, want %q", got, tt.code)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retry {
				t.Errorf("Retry-After: got %q, want %q", got, tt.retry)
			}
			fake.mu.Lock()
			calls := append([]string(nil), fake.calls...)
			fake.mu.Unlock()
			if len(calls) != tt.calls {
				t.Fatalf("got %d captcha calls %v, want %d", len(calls), calls, tt.calls)
			}
			if len(calls) == 1 && !strings.HasSuffix(calls[0], "@203.0.113.8") {
				t.Errorf("got call %q, want the forwarded client address", calls[0])
			}
			evs := e.events()
			if tt.name == "valid" {
				if len(evs) != before+1 {
					t.Fatalf("got %d events, want 1 more", len(evs)-before)
				}
				if got, _ := json.Marshal(evs[len(evs)-1].Data); string(got) != `{"name":"Ada"}` {
					t.Errorf("got data %s, want the captcha field removed", got)
				}
			} else if len(evs) != before {
				t.Errorf("a refused post fired an event")
			}
		})
	}
}

func TestNewProtectionOptions(t *testing.T) {
	e := newEnv(t)
	p, _ := hooks.NewPipeline(e.reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(nil))})
	tests := []struct {
		name string
		o    Options
		want error
	}{
		{"rate limit", Options{RateLimit: 2, Burst: 10, MaxClients: 100}, nil},
		{"infinite rate", Options{RateLimit: rate.Inf}, nil},
		{"trusted proxies", Options{TrustedProxies: []string{"10.0.0.0/8", "::1"}}, nil},
		{"negative rate", Options{RateLimit: -1}, ErrInvalidOptions},
		{"negative burst", Options{Burst: -1}, ErrInvalidOptions},
		{"bad proxy", Options{TrustedProxies: []string{"ten"}}, ErrInvalidOptions},
		{"negative max age", Options{CORSMaxAge: -time.Second}, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(p, tt.o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestHookRateLimit: a hook's own rate limit, per client, after the hook
// is resolved and before the body is read; other hooks and other clients
// are not affected, and a changed setting takes effect at once.
func TestHookRateLimit(t *testing.T) {
	e := newProtEnv(t, Options{})
	limited := e.hook(t, &Settings{RateLimit: &RateLimit{PerSecond: 0.5, Burst: 2}})
	free := e.hook(t, &Settings{})
	a := req{body: "a=1", remote: "192.0.2.1:1000"}
	for i := range 2 {
		if w := e.do(limited, a); w.Code != http.StatusAccepted {
			t.Fatalf("post %d: got %d %s, want 202", i, w.Code, w.Body)
		}
	}
	w := e.do(limited, a)
	if w.Code != http.StatusTooManyRequests || code(w) != errcode.RateLimited || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("third post: got %d %s Retry-After %q, want 429 rate_limited with Retry-After 2", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	if w := e.do(limited, req{body: "a=1", remote: "198.51.100.7:1000"}); w.Code != http.StatusAccepted {
		t.Fatalf("another client: got %d, want 202", w.Code)
	}
	if w := e.do(free, a); w.Code != http.StatusAccepted {
		t.Fatalf("a hook without a limit: got %d, want 202", w.Code)
	}
	e.advance(2 * time.Second)
	if w := e.do(limited, a); w.Code != http.StatusAccepted {
		t.Fatalf("after the refill: got %d, want 202", w.Code)
	}
	if _, err := e.reg.Update(context.Background(), "", limited.ID, hooks.HookUpdate{SettingsPatch: []byte(`{"rate_limit":null}`)}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if w := e.do(limited, a); w.Code != http.StatusAccepted {
			t.Fatalf("post %d after the limit was removed: got %d", i, w.Code)
		}
	}
	for _, bad := range []string{`{"rate_limit":{"per_second":0}}`, `{"rate_limit":{"per_second":-1}}`,
		`{"rate_limit":{"per_second":1,"burst":-1}}`, `{"rate_limit":{"per_second":1e9}}`, `{"rate_limit":{"per_second":1,"x":1}}`} {
		if _, err := e.reg.Update(context.Background(), "", limited.ID, hooks.HookUpdate{SettingsPatch: []byte(bad)}); !errors.Is(err, hooks.ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", bad, err)
		}
	}
}

// TestSettingsJSON: the settings as stored and shown, with [] for no
// origins and no rate_limit member without a limit.
func TestSettingsJSON(t *testing.T) {
	for _, tt := range []struct {
		s    Settings
		want string
	}{
		{Settings{}, `{"allowed_origins":[],"redirect_url":"","honeypot":""}`},
		{Settings{Honeypot: "w", RateLimit: &RateLimit{PerSecond: 2}}, `{"allowed_origins":[],"redirect_url":"","honeypot":"w","rate_limit":{"per_second":2}}`},
	} {
		b, err := json.Marshal(&tt.s)
		if err != nil || string(b) != tt.want {
			t.Errorf("got %s, %v; want %s", b, err, tt.want)
		}
	}
}
