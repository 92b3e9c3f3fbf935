package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/memstore"
)

const maxBody = 1024

type env struct {
	h      *Handler
	st     store.HookStore
	reg    *hooks.Registry
	keys   *hooks.Keyring
	paths  map[string]string // hook role -> path
	keyFor map[string]string // key role -> plaintext
	mu     sync.Mutex
	events []*hooks.Event
}

func (e *env) last() *hooks.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.events) == 0 {
		return nil
	}
	return e.events[len(e.events)-1]
}

// newCore returns an empty memstore (closed at the end of the test) with
// the Registry and Keyring over it that the webhook tests build on.
func newCore(t testing.TB) (store.Store, *hooks.Registry, *hooks.Keyring) {
	t.Helper()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://example.test"})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := hooks.NewKeyring(st, hooks.KeyringOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return st, reg, keys
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, reg, keys := newCore(t)
	e := &env{reg: reg, keys: keys, paths: map[string]string{}, keyFor: map[string]string{}}
	trigger := hooks.TriggerFunc(func(ctx context.Context, ev *hooks.Event) error {
		switch ev.HookName {
		case "failing":
			return errors.New("engine down")
		case "teapot":
			return fmt.Errorf("wrapped: %w", hooks.NewError(http.StatusConflict, "duplicate_order", "order already exists"))
		}
		e.mu.Lock()
		e.events = append(e.events, ev)
		e.mu.Unlock()
		return nil
	})
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(trigger)})
	if err != nil {
		t.Fatal(err)
	}
	e.h, err = New(p, keys, Options{MaxBodyBytes: maxBody})
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	if err := reg.Register(formKind{}); err != nil {
		t.Fatal(err)
	}
	mk := func(role, org, name string, kind hooks.Kind) *hooks.Hook {
		hk, err := reg.Create(ctx, org, hooks.HookSpec{Name: name, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		e.paths[role] = "/hooks/web/" + hk.Token
		return hk
	}
	mk("good", "", "good", KindName)
	mk("failing", "", "failing", KindName)
	mk("teapot", "", "teapot", KindName)
	mk("otherorg", "b", "other", KindName)
	mk("form", "", "form", "form")
	dis := mk("disabled", "", "disabled", KindName)
	if _, err := reg.Update(ctx, "", dis.ID, hooks.HookUpdate{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	del := mk("deleted", "", "deleted", KindName)
	if err := reg.Delete(ctx, "", del.ID); err != nil {
		t.Fatal(err)
	}
	rot := mk("rotated", "", "rotated", KindName)
	if _, err := reg.Rotate(ctx, "", rot.ID); err != nil {
		t.Fatal(err)
	}
	sig := mk("signed", "", "signed", KindName)
	storeSettings(t, st, sig, `{"auth":"signature","signature":{"scheme":"standard"}}`)
	key := func(role, org string, roles ...string) {
		k, plain, err := keys.Create(ctx, org, role, roles)
		if err != nil {
			t.Fatal(err)
		}
		e.keyFor[role] = plain
		if role == "revoked" {
			if err := keys.Revoke(ctx, org, k.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	key("good", "", hooks.RoleHooks)
	key("norole", "", "org.admin")
	key("otherorg", "b", hooks.RoleHooks)
	key("revoked", "", hooks.RoleHooks)
	return e
}

func ptr[T any](v T) *T { return &v }

// chunked hides a reader's length so the request is sent without
// Content-Length.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

type tcase struct {
	name    string
	method  string
	hook    string // env path role, or a literal path starting with "/"
	key     string // env key role, or "raw:<header value>"
	ct      string
	body    string
	chunked bool
	header  map[string]string
	status  int
	code    string
	wantHdr map[string]string
}

func cases() []tcase {
	big := strings.Repeat("x", 4*maxBody)
	return []tcase{
		{name: "accepted json", hook: "good", key: "good", ct: "application/json", body: `{"a":1}`, status: 202},
		{name: "accepted form", hook: "good", key: "good", ct: "application/x-www-form-urlencoded", body: "a=1&b[]=2", status: 202},
		{name: "accepted array", hook: "good", key: "good", ct: "application/json", body: `[1,2]`, status: 202},
		{name: "accepted chunked", hook: "good", key: "good", ct: "application/json", body: `{"a":1}`, chunked: true, status: 202},
		{name: "lowercase bearer", hook: "good", key: "raw:bearer GOOD", ct: "application/json", body: `{}`, status: 202},
		{name: "malformed json", hook: "good", key: "good", ct: "application/json", body: `{"a":`, status: 400, code: errcode.MalformedBody},
		{name: "trailing json", hook: "good", key: "good", ct: "application/json", body: `{} x`, status: 400, code: errcode.MalformedBody},
		{name: "too deep", hook: "good", key: "good", ct: "application/json", body: strings.Repeat("[", 100) + strings.Repeat("]", 100), status: 400, code: errcode.TooDeep},
		{name: "bad form", hook: "good", key: "good", ct: "application/x-www-form-urlencoded", body: "a=%zz", status: 400, code: errcode.MalformedBody},
		{name: "huge index", hook: "good", key: "good", ct: "application/x-www-form-urlencoded", body: "a[99999999]=x", status: 400, code: errcode.ArrayIndexTooHigh},
		{name: "long idempotency key", hook: "good", key: "good", ct: "application/json", body: `{}`, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, status: 400, code: errcode.BadRequest},
		{name: "no key", hook: "good", ct: "application/json", body: `{}`, status: 401, code: errcode.Unauthorized, wantHdr: map[string]string{"WWW-Authenticate": "Bearer"}},
		{name: "basic auth", hook: "good", key: "raw:Basic dXNlcjpwYXNz", ct: "application/json", body: `{}`, status: 401, code: errcode.Unauthorized},
		{name: "bad key", hook: "good", key: "raw:Bearer ink_nope", ct: "application/json", body: `{}`, status: 401, code: errcode.Unauthorized},
		{name: "revoked key", hook: "good", key: "revoked", ct: "application/json", body: `{}`, status: 401, code: errcode.Unauthorized},
		{name: "no role", hook: "good", key: "norole", ct: "application/json", body: `{}`, status: 403, code: errcode.Forbidden},
		{name: "other org key", hook: "good", key: "otherorg", ct: "application/json", body: `{}`, status: 403, code: errcode.Forbidden},
		{name: "our key on other org hook", hook: "otherorg", key: "good", ct: "application/json", body: `{}`, status: 403, code: errcode.Forbidden},
		{name: "signature config invalid", hook: "signed", ct: "application/json", body: `{}`, status: 401, code: CodeSignatureConfigInvalid, wantHdr: map[string]string{"WWW-Authenticate": `Signature realm="webhook"`}},
		{name: "unknown token", hook: "/hooks/web/0123456789abcdefghjkmnpqrstvwxyz01", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "invalid token", hook: "/hooks/web/%2e%2e", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "deleted", hook: "deleted", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "disabled", hook: "disabled", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "rotated", hook: "rotated", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "form token on web path", hook: "form", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "empty token", hook: "/hooks/web/", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "extra segment", hook: "good+/x", key: "good", ct: "application/json", body: `{}`, status: 404, code: errcode.NotFound},
		{name: "get", method: "GET", hook: "good", key: "good", status: 405, code: errcode.MethodNotAllowed, wantHdr: map[string]string{"Allow": "POST"}},
		{name: "put", method: "PUT", hook: "good", key: "good", ct: "application/json", body: `{}`, status: 405, code: errcode.MethodNotAllowed, wantHdr: map[string]string{"Allow": "POST"}},
		{name: "too large", hook: "good", key: "good", ct: "application/json", body: big, status: 413, code: errcode.PayloadTooLarge},
		{name: "too large chunked", hook: "good", key: "good", ct: "application/json", body: big, chunked: true, status: 413, code: errcode.PayloadTooLarge},
		{name: "too large but unauthenticated", hook: "good", ct: "application/json", body: big, status: 401, code: errcode.Unauthorized},
		{name: "no content type", hook: "good", key: "good", body: `{}`, status: 415, code: errcode.UnsupportedMedia},
		{name: "html", hook: "good", key: "good", ct: "text/html", body: `<a/>`, status: 415, code: errcode.UnsupportedMedia},
		{name: "xml bomb", hook: "good", key: "good", ct: "application/xml", body: `<!DOCTYPE a [<!ENTITY b "b">]><a>&b;</a>`, status: 400, code: errcode.XMLDTD},
		{name: "unknown charset", hook: "good", key: "good", ct: "application/x-www-form-urlencoded; charset=nope", body: `a=1`, status: 415, code: errcode.UnsupportedCharset},
		{name: "trigger fails", hook: "failing", key: "good", ct: "application/json", body: `{}`, status: 503, code: errcode.Unavailable, wantHdr: map[string]string{"Retry-After": "5"}},
		{name: "trigger chooses status", hook: "teapot", key: "good", ct: "application/json", body: `{}`, status: 409, code: "duplicate_order"},
	}
}

func (e *env) request(t testing.TB, base string, c tcase) *http.Request {
	t.Helper()
	path := c.hook
	if !strings.HasPrefix(path, "/") {
		role, extra, _ := strings.Cut(path, "+")
		path = e.paths[role] + extra
	}
	var body io.Reader = strings.NewReader(c.body)
	if c.chunked {
		body = chunked{body}
	}
	method := c.method
	if method == "" {
		method = http.MethodPost
	}
	var r *http.Request
	if base == "" {
		r = httptest.NewRequest(method, path, body)
	} else {
		var err error
		if r, err = http.NewRequest(method, base+path, body); err != nil {
			t.Fatal(err)
		}
	}
	if c.ct != "" {
		r.Header.Set("Content-Type", c.ct)
	}
	switch {
	case strings.HasPrefix(c.key, "raw:"):
		v := strings.TrimPrefix(c.key, "raw:")
		v = strings.Replace(v, "GOOD", e.keyFor["good"], 1)
		r.Header.Set("Authorization", v)
	case c.key != "":
		r.Header.Set("Authorization", "Bearer "+e.keyFor[c.key])
	}
	for k, v := range c.header {
		r.Header.Set(k, v)
	}
	return r
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func checkAnswer(t *testing.T, c tcase, a answer) {
	t.Helper()
	if a.status != c.status {
		t.Fatalf("got status %d (%s), want %d", a.status, a.body, c.status)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("got Content-Type %q, want application/json; charset=utf-8", ct)
	}
	for k, v := range c.wantHdr {
		if got := a.header.Get(k); got != v {
			t.Errorf("got %s %q, want %q", k, got, v)
		}
	}
	if c.status == http.StatusAccepted {
		var ok struct{ ID string }
		if err := json.Unmarshal(a.body, &ok); err != nil || ok.ID == "" {
			t.Fatalf("got body %s, want {\"id\":...}", a.body)
		}
		if _, valid := hooks.IDTime(ok.ID); !valid {
			t.Errorf("got id %q, want an event ID", ok.ID)
		}
		return
	}
	var eb hooks.ErrorBody
	if err := json.Unmarshal(a.body, &eb); err != nil {
		t.Fatalf("got body %s, want a JSON error: %v", a.body, err)
	}
	if eb.Error.Code != c.code || eb.Error.Message == "" {
		t.Fatalf("got error %+v, want code %q with a message", eb.Error, c.code)
	}
	if strings.Contains(string(a.body), "engine down") {
		t.Errorf("internal detail leaked: %s", a.body)
	}
}

var goodCase = tcase{name: "good", hook: "good", key: "good", ct: "application/json", body: `{"ok":true}`, status: 202}

func TestStatusMatrixHTTPTest(t *testing.T) {
	e := newEnv(t)
	serve := func(c tcase) answer {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, e.request(t, "", c))
		return answer{w.Code, w.Header(), w.Body.Bytes()}
	}
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			checkAnswer(t, c, serve(c))
			checkAnswer(t, goodCase, serve(goodCase))
		})
	}
}

func TestStatusMatrixLoopback(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/hooks/web/", e.h)
	base := testenv.ServeLoopback(t, mux)
	client := &http.Client{Timeout: 10 * time.Second}
	serve := func(t *testing.T, c tcase) answer {
		resp, err := client.Do(e.request(t, base, c))
		if err != nil {
			t.Fatalf("request: %v", err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return answer{resp.StatusCode, resp.Header, b}
	}
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			checkAnswer(t, c, serve(t, c))
			checkAnswer(t, goodCase, serve(t, goodCase))
		})
	}
}

func TestEventFields(t *testing.T) {
	e := newEnv(t)
	c := tcase{hook: "good", key: "good", ct: "application/json", body: `{"order":{"id":9007199254740993}}`,
		header: map[string]string{"Idempotency-Key": "abc-1", "X-Custom": "v"}}
	r := e.request(t, "", c)
	r.RemoteAddr = "192.0.2.1:1234"
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", w.Code, w.Body)
	}
	ev := e.last()
	want := `{"id":"` + ev.ID + `"}` + "\n"
	if w.Body.String() != want {
		t.Errorf("got body %q, want %q", w.Body, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"kind", ev.HookKind, KindName},
		{"name", ev.HookName, "good"},
		{"idempotency", ev.IdempotencyKey, "abc-1"},
		{"raw", string(ev.Raw), c.body},
		{"content type", ev.ContentType, "application/json"},
		{"remote", ev.RemoteAddr, "192.0.2.1:1234"},
		{"authorization redacted", ev.Header.Get("Authorization"), hooks.Redacted},
		{"custom header kept", ev.Header.Get("X-Custom"), "v"},
		{"big number", ev.Data.(map[string]any)["order"].(map[string]any)["id"], json.Number("9007199254740993")},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s: got %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	// webhook-id is the fallback idempotency key.
	c.header = map[string]string{"Webhook-Id": "msg_1"}
	e.h.ServeHTTP(httptest.NewRecorder(), e.request(t, "", c))
	if got := e.last().IdempotencyKey; got != "msg_1" {
		t.Errorf("got idempotency key %q, want msg_1", got)
	}
}

func TestEventIDsUniqueAndSorted(t *testing.T) {
	e := newEnv(t)
	var prev string
	for i := range 200 {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, e.request(t, "", goodCase))
		var got struct{ ID string }
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if got.ID <= prev {
			t.Fatalf("request %d: got id %q after %q, want increasing", i, got.ID, prev)
		}
		prev = got.ID
	}
}

func TestNew(t *testing.T) {
	e := newEnv(t)
	p, _ := hooks.NewPipeline(e.reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(nil))})
	tests := []struct {
		name string
		p    *hooks.Pipeline
		k    *hooks.Keyring
		o    Options
		want error
	}{
		{"ok", p, e.keys, Options{}, nil},
		{"nil pipeline", nil, e.keys, Options{}, ErrNilPipeline},
		{"nil keyring", p, nil, Options{}, ErrNilKeyring},
		{"bad prefix", p, e.keys, Options{Prefix: "hooks"}, ErrInvalidOptions},
		{"negative limit", p, e.keys, Options{MaxBodyBytes: -1}, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.p, tt.k, tt.o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestCustomPrefix(t *testing.T) {
	e := newEnv(t)
	if _, err := New(mustPipeline(t, e.reg), e.keys, Options{Prefix: "/in/web/"}); !errors.Is(err, ErrInvalidOptions) {
		t.Fatalf("a second prefix on one Registry: got %v, want ErrInvalidOptions", err)
	}
	reg, _ := hooks.NewRegistry(e.st, hooks.RegistryOptions{BaseURL: "http://example.test"})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
		func(context.Context, *hooks.Event) error { return nil }))})
	h, err := New(p, e.keys, Options{Prefix: "/in/web/"})
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(e.paths["good"], "/hooks/web/")
	r := httptest.NewRequest("POST", "/in/web/"+strings.ToUpper(tok), bytes.NewReader([]byte(`{}`)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+e.keyFor["good"])
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202 (upper-case token)", w.Code, w.Body)
	}
	hk, err := reg.Lookup(context.Background(), KindName, tok)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reg.Address(hk), "http://example.test/in/web/"+tok; got != want {
		t.Fatalf("Address: got %q, want %q", got, want)
	}
}

func mustPipeline(t testing.TB, reg *hooks.Registry) *hooks.Pipeline {
	t.Helper()
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(nil))})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// formKind stands for the form hooks, so that the tests can make a hook of
// another kind and check that the webhook Handler does not answer for it.
type formKind struct{}

func (formKind) Kind() hooks.Kind               { return "form" }
func (formKind) NewSettings() hooks.Settings    { return &Settings{} }
func (formKind) Address(_, token string) string { return "form:" + token }

// storeSettings writes a hook's settings straight into the store, past the
// Registry's validation: a configuration saved by an older version, or by
// another writer, that the handler must still refuse safely.
func storeSettings(t testing.TB, st store.HookStore, hk *hooks.Hook, settings string) {
	t.Helper()
	ctx := context.Background()
	rec, err := st.GetHook(ctx, hk.Org, hk.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Settings = []byte(settings)
	if err := st.UpdateHook(ctx, rec); err != nil {
		t.Fatal(err)
	}
}

// sigSettings returns webhook settings with the given mode and signature
// configuration document (nil: none), decoded as the Registry decodes them.
func sigSettings(t testing.TB, auth AuthMode, sig []byte) *Settings {
	t.Helper()
	doc := map[string]any{"auth": auth}
	if sig != nil {
		doc["signature"] = json.RawMessage(sig)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	s := &Settings{}
	if err := json.Unmarshal(b, s); err != nil {
		t.Fatal(err)
	}
	return s
}
