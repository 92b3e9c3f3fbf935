package formhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store/memstore"
)

const maxBody = 1024

type env struct {
	h      *Handler
	reg    *hooks.Registry
	paths  map[string]string
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

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { _ = st.Close() })
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://example.test"})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{reg: reg, paths: map[string]string{}}
	trigger := hooks.TriggerFunc(func(ctx context.Context, ev *hooks.Event) error {
		switch ev.HookName {
		case "failing":
			return errors.New("engine down")
		case "teapot":
			return fmt.Errorf("wrapped: %w", &hooks.Error{Status: http.StatusTooManyRequests, Code: "slow_down",
				Message: "too many orders", RetryAfter: 30 * time.Second})
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
	if e.h, err = New(p, Options{MaxBodyBytes: maxBody, Decode: hooks.DecodeOptions{MaxFields: 100}}); err != nil {
		t.Fatal(err)
	}
	registerOtherKinds(t, reg)
	mk := func(role, name string, kind hooks.Kind) *hooks.Hook {
		hk, err := reg.Create(ctx, "", hooks.HookSpec{Name: name, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		e.paths[role] = "/hooks/form/" + hk.Token
		return hk
	}
	mk("good", "Contact", KindName)
	mk("failing", "failing", KindName)
	mk("teapot", "teapot", KindName)
	mk("web", "web", "web")
	mk("email", "email", "email")
	dis := mk("disabled", "disabled", KindName)
	if _, err := reg.Update(ctx, "", dis.ID, hooks.HookUpdate{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	del := mk("deleted", "deleted", KindName)
	if err := reg.Delete(ctx, "", del.ID); err != nil {
		t.Fatal(err)
	}
	rot := mk("rotated", "rotated", KindName)
	if _, err := reg.Rotate(ctx, "", rot.ID); err != nil {
		t.Fatal(err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

type tcase struct {
	name    string
	method  string
	hook    string
	ct      string
	body    string
	chunked bool
	status  int
	code    string
	wantHdr map[string]string
	data    string // JSON of the event's data, for 202
}

const urlenc = "application/x-www-form-urlencoded"

func multipartCT(t testing.TB) (string, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("name", "Ada")
	_ = mw.WriteField("tags[]", "x")
	fw, err := mw.CreateFormFile("cv", "cv.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write([]byte("hello"))
	_ = mw.Close()
	return mw.FormDataContentType(), buf.String()
}

func cases(t testing.TB) []tcase {
	big := "a=" + strings.Repeat("x", 4*maxBody)
	mct, mbody := multipartCT(t)
	return []tcase{
		{name: "urlencoded", hook: "good", ct: urlenc, body: "name=Ada&msg=hi+there", status: 202, data: `{"msg":"hi there","name":"Ada"}`},
		{name: "arrays", hook: "good", ct: urlenc, body: "t=1&t=2&a[]=x", status: 202, data: `{"a":["x"],"t":["1","2"]}`},
		{name: "nested", hook: "good", ct: urlenc, body: "a[b]=1&a.c=2", status: 202, data: `{"a":{"b":"1","c":"2"}}`},
		{name: "empty values", hook: "good", ct: urlenc, body: "a=&b=", status: 202, data: `{"a":"","b":""}`},
		{name: "latin1", hook: "good", ct: urlenc + "; charset=ISO-8859-1", body: "n=%E9", status: 202, data: `{"n":"é"}`},
		{name: "multipart", hook: "good", ct: mct, body: mbody, status: 202, data: `{"name":"Ada","tags":["x"]}`},
		{name: "json", hook: "good", ct: "application/json", body: `{"a":[1]}`, status: 202, data: `{"a":[1]}`},
		{name: "json scalar", hook: "good", ct: "application/json", body: `true`, status: 202, data: `true`},
		{name: "chunked", hook: "good", ct: urlenc, body: "a=1", chunked: true, status: 202, data: `{"a":"1"}`},
		{name: "upper-case token", hook: "good:upper", ct: urlenc, body: "a=1", status: 202, data: `{"a":"1"}`},
		{name: "malformed json", hook: "good", ct: "application/json", body: `{`, status: 400, code: errcode.MalformedBody},
		{name: "bad form escape", hook: "good", ct: urlenc, body: "a=%G0", status: 400, code: errcode.MalformedBody},
		{name: "form conflict", hook: "good", ct: urlenc, body: "a=1&a[b]=2", status: 400, code: errcode.MalformedBody},
		{name: "huge index", hook: "good", ct: urlenc, body: "a[99999999]=x", status: 400, code: errcode.ArrayIndexTooHigh},
		{name: "too deep json", hook: "good", ct: "application/json", body: strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70), status: 400, code: errcode.TooDeep},
		{name: "multipart without boundary", hook: "good", ct: "multipart/form-data", body: mbody, status: 400, code: errcode.MalformedBody},
		{name: "unknown token", hook: "/hooks/form/abc", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "non-token chars", hook: "/hooks/form/a-b_c", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "deleted", hook: "deleted", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "disabled", hook: "disabled", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "rotated", hook: "rotated", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "web token on form path", hook: "web", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "email token on form path", hook: "email", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "trailing slash", hook: "good:/", ct: urlenc, body: "a=1", status: 404, code: errcode.NotFound},
		{name: "get", method: "GET", hook: "good", status: 405, code: errcode.MethodNotAllowed, wantHdr: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "put", method: "PUT", hook: "good", status: 405, code: errcode.MethodNotAllowed, wantHdr: map[string]string{"Allow": "OPTIONS, POST"}},
		{name: "too large", hook: "good", ct: urlenc, body: big, status: 413, code: errcode.PayloadTooLarge},
		{name: "too large chunked", hook: "good", ct: urlenc, body: big, chunked: true, status: 413, code: errcode.PayloadTooLarge},
		{name: "too many fields", hook: "good", ct: urlenc, body: strings.Repeat("a&", 101), status: 413, code: errcode.TooManyFields},
		{name: "no content type", hook: "good", body: "a=1", status: 415, code: errcode.UnsupportedMedia},
		{name: "text/html", hook: "good", ct: "text/html", body: "a=1", status: 415, code: errcode.UnsupportedMedia},
		{name: "unknown charset", hook: "good", ct: urlenc + "; charset=x-nope", body: "a=1", status: 415, code: errcode.UnsupportedCharset},
		{name: "trigger fails", hook: "failing", ct: urlenc, body: "a=1", status: 503, code: errcode.Unavailable, wantHdr: map[string]string{"Retry-After": "5"}},
		{name: "trigger chooses status", hook: "teapot", ct: urlenc, body: "a=1", status: 429, code: "slow_down", wantHdr: map[string]string{"Retry-After": "30"}},
	}
}

func (e *env) request(t testing.TB, base string, c tcase) *http.Request {
	t.Helper()
	path := c.hook
	if !strings.HasPrefix(path, "/") {
		role, mod, _ := strings.Cut(path, ":")
		path = e.paths[role]
		switch mod {
		case "upper":
			path = "/hooks/form/" + strings.ToUpper(strings.TrimPrefix(path, "/hooks/form/"))
		case "/":
			path += "/"
		}
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
	return r
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (e *env) check(t *testing.T, c tcase, a answer) {
	t.Helper()
	if a.status != c.status {
		t.Fatalf("got status %d (%s), want %d", a.status, a.body, c.status)
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
		ev := e.last()
		if ev == nil || ev.ID != ok.ID {
			t.Fatalf("got id %s, want the fired event's", ok.ID)
		}
		if c.data != "" {
			got, _ := json.Marshal(ev.Data)
			if string(got) != c.data {
				t.Fatalf("got data %s, want %s", got, c.data)
			}
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
}

var goodCase = tcase{name: "good", hook: "good", ct: urlenc, body: "ok=1", status: 202, data: `{"ok":"1"}`}

func TestStatusMatrixHTTPTest(t *testing.T) {
	e := newEnv(t)
	serve := func(c tcase) answer {
		w := httptest.NewRecorder()
		e.h.ServeHTTP(w, e.request(t, "", c))
		return answer{w.Code, w.Header(), w.Body.Bytes()}
	}
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			e.check(t, c, serve(c))
			e.check(t, goodCase, serve(goodCase))
		})
	}
}

func TestStatusMatrixLoopback(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	mux.Handle("/hooks/form/", e.h)
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
	for _, c := range cases(t) {
		t.Run(c.name, func(t *testing.T) {
			e.check(t, c, serve(t, c))
			e.check(t, goodCase, serve(t, goodCase))
		})
	}
}

func TestFilesReachEvent(t *testing.T) {
	e := newEnv(t)
	ct, body := multipartCT(t)
	r := httptest.NewRequest("POST", e.paths["good"], strings.NewReader(body))
	r.Header.Set("Content-Type", ct)
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", w.Code, w.Body)
	}
	ev := e.last()
	if len(ev.Files) != 1 {
		t.Fatalf("got %d files, want 1", len(ev.Files))
	}
	f := ev.Files[0]
	want := hooks.File{Field: "cv", Name: "cv.txt", ContentType: "application/octet-stream", Size: 5,
		SHA256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", Content: []byte("hello")}
	if f.Field != want.Field || f.Name != want.Name || f.ContentType != want.ContentType || f.Size != want.Size ||
		f.SHA256 != want.SHA256 || string(f.Content) != "hello" {
		t.Fatalf("got %+v, want %+v", f, want)
	}
	if ev.HookKind != KindName || ev.HookName != "Contact" || ev.ContentType != "multipart/form-data" {
		t.Errorf("got kind %s name %s content type %s", ev.HookKind, ev.HookName, ev.ContentType)
	}
}

func TestNew(t *testing.T) {
	e := newEnv(t)
	p, _ := hooks.NewPipeline(e.reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(nil))})
	freshReg, _ := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{})
	fresh, _ := hooks.NewPipeline(freshReg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(nil))})
	tests := []struct {
		name string
		p    *hooks.Pipeline
		o    Options
		want error
	}{
		{"ok", p, Options{}, nil},
		{"custom prefix", fresh, Options{Prefix: "/f/"}, nil},
		{"same prefix again", fresh, Options{Prefix: "/f/", MaxBodyBytes: 10}, nil},
		{"second prefix on one registry", p, Options{Prefix: "/f/"}, ErrInvalidOptions},
		{"nil pipeline", nil, Options{}, ErrNilPipeline},
		{"prefix without slash", p, Options{Prefix: "/f"}, ErrInvalidOptions},
		{"negative limit", p, Options{MaxBodyBytes: -5}, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.p, tt.o)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}
