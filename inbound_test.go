package inbound_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound"
	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// recorder is a Trigger that keeps the events it is given.
type recorder struct {
	mu     sync.Mutex
	events []*hooks.Event
}

func (r *recorder) Fire(_ context.Context, e *hooks.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	return nil
}

func (r *recorder) count(hookID string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.events {
		if e.HookID == hookID {
			n++
		}
	}
	return n
}

func post(t *testing.T, url, contentType, body string, header map[string]string) (int, hooks.ErrorBody) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var eb hooks.ErrorBody
	if res.StatusCode >= 400 {
		if err := json.NewDecoder(res.Body).Decode(&eb); err != nil {
			t.Fatalf("POST %s: %d without a JSON error body: %v", url, res.StatusCode, err)
		}
	}
	return res.StatusCode, eb
}

// TestMountedUnderPrefixes mounts the Handler of New under prefixes that
// are not the defaults, on a real loopback server: the address the
// Registry gives for each kind is answered by that kind's handler, and
// nothing else under the prefix answers but with the JSON 404.
func TestMountedUnderPrefixes(t *testing.T) {
	ctx := context.Background()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var got recorder
	in, err := inbound.New(memstore.New(), inbound.Options{
		BaseURL: srv.URL,
		Trigger: &got,
		Prefix:  "/inbound/",
		Form:    formhook.Options{Prefix: "/inbound/f/"},
		Email:   &emailhook.HandlerOptions{Domains: []string{"in.example.org"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if in.Prefix() != "/inbound/" {
		t.Fatalf("Prefix: got %q, want /inbound/", in.Prefix())
	}
	mux.Handle(in.Prefix(), in)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	_, key, err := in.Keyring().Create(ctx, "", "sender", []string{hooks.RoleHooks})
	if err != nil {
		t.Fatal(err)
	}
	auth := map[string]string{"Authorization": "Bearer " + key}

	for _, tt := range []struct {
		kind                  hooks.Kind
		prefix                string
		contentType, body     string
		header                map[string]string
		withoutHeaderAnswered int
	}{
		{formhook.KindName, "/inbound/f/", "application/x-www-form-urlencoded", "name=Ada", nil, http.StatusAccepted},
		{webhook.KindName, "/inbound/web/", "application/json", `{"order":1}`, auth, http.StatusUnauthorized},
	} {
		t.Run(string(tt.kind), func(t *testing.T) {
			h, err := in.Registry().Create(ctx, "", hooks.HookSpec{Name: "n", Kind: tt.kind})
			if err != nil {
				t.Fatal(err)
			}
			addr := in.Registry().Address(h)
			if want := srv.URL + tt.prefix + h.Token; addr != want {
				t.Fatalf("address %q, want %q", addr, want)
			}
			if status, _ := post(t, addr, tt.contentType, tt.body, tt.header); status != http.StatusAccepted || got.count(h.ID) != 1 {
				t.Fatalf("POST %s: got %d with %d events, want 202 and 1 event", addr, status, got.count(h.ID))
			}
			if status, _ := post(t, addr, tt.contentType, tt.body, nil); status != tt.withoutHeaderAnswered {
				t.Errorf("POST %s without credentials: got %d, want %d", addr, status, tt.withoutHeaderAnswered)
			}
		})
	}

	t.Run("email", func(t *testing.T) {
		h, err := in.Registry().Create(ctx, "", hooks.HookSpec{Name: "mail", Kind: emailhook.KindName})
		if err != nil {
			t.Fatal(err)
		}
		msg := "From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\nMessage-ID: <1@example.com>\r\n\r\nhello\r\n"
		status, eb := post(t, srv.URL+"/inbound/email", "message/rfc822", msg,
			map[string]string{"X-Envelope-To": in.Registry().Address(h)})
		if status != http.StatusAccepted || got.count(h.ID) != 1 {
			t.Fatalf("got %d %+v with %d events, want 202 and 1 event", status, eb, got.count(h.ID))
		}
	})

	for _, path := range []string{"/inbound/", "/inbound/web", "/inbound/form/x", "/inbound/email/x", "/inbound/f/a/b"} {
		status, eb := post(t, srv.URL+path, "application/json", "{}", auth)
		if status != http.StatusNotFound || eb.Error.Code != errcode.NotFound {
			t.Errorf("POST %s: got %d %+v, want 404 not_found", path, status, eb)
		}
	}
	// The default form prefix is not answered when Form.Prefix moves it,
	// and paths outside the Handler's prefix are the host's.
	res, err := http.Post(srv.URL+"/hooks/form/x", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTeapot {
		t.Errorf("POST /hooks/form/x: got %d, want the host's 418", res.StatusCode)
	}
}

// TestDefaults checks the default prefixes and that a Delivery (a durable
// queue) replaces the Trigger.
func TestDefaults(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	var got recorder
	q, err := hooks.NewQueue(st, &got, hooks.QueueOptions{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer q.Shutdown(ctx)
	in, err := inbound.New(st, inbound.Options{Delivery: q})
	if err != nil {
		t.Fatal(err)
	}
	if in.Prefix() != inbound.DefaultPrefix || in.Pipeline().Registry() != in.Registry() {
		t.Fatalf("Prefix %q, or the pipeline has another registry", in.Prefix())
	}
	for kind, want := range map[hooks.Kind]string{formhook.KindName: "/hooks/form/", webhook.KindName: "/hooks/web/"} {
		h, err := in.Registry().Create(ctx, "", hooks.HookSpec{Name: "n", Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
		if addr := in.Registry().Address(h); addr != want+h.Token {
			t.Errorf("%s address %q, want %q", kind, addr, want+h.Token)
		}
		if kind != formhook.KindName {
			continue
		}
		r := httptest.NewRequest("POST", want+h.Token, strings.NewReader(`{"a":1}`))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		in.ServeHTTP(w, r)
		if w.Code != http.StatusAccepted {
			t.Fatalf("POST: got %d %s, want 202", w.Code, w.Body)
		}
		deadline := time.Now().Add(5 * time.Second)
		for got.count(h.ID) == 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if got.count(h.ID) != 1 {
			t.Fatalf("the queue delivered %d events, want 1", got.count(h.ID))
		}
	}
	if _, err := in.Registry().Create(ctx, "", hooks.HookSpec{Name: "m", Kind: emailhook.KindName}); !errors.Is(err, hooks.ErrInvalid) {
		t.Errorf("email hook without Options.Email: got %v, want an unknown kind", err)
	}
}

func TestNewInvalid(t *testing.T) {
	trig := hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil })
	for _, tt := range []struct {
		name string
		opts inbound.Options
	}{
		{"no trigger", inbound.Options{}},
		{"trigger and delivery", inbound.Options{Trigger: trig, Delivery: hooks.Sync(trig)}},
		{"prefix without slashes", inbound.Options{Trigger: trig, Prefix: "hooks"}},
		{"form prefix outside", inbound.Options{Trigger: trig, Form: formhook.Options{Prefix: "/forms/"}}},
		{"web prefix is the prefix", inbound.Options{Trigger: trig, Web: webhook.Options{Prefix: "/hooks/"}}},
		{"same prefixes", inbound.Options{Trigger: trig, Form: formhook.Options{Prefix: "/hooks/x/"}, Web: webhook.Options{Prefix: "/hooks/x/"}}},
		{"bad base URL", inbound.Options{Trigger: trig, BaseURL: "example.com"}},
		{"kind prefix without slash", inbound.Options{Trigger: trig, Form: formhook.Options{Prefix: "/hooks/f"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := inbound.New(memstore.New(), tt.opts); err == nil {
				t.Fatal("got no error")
			}
		})
	}
	if _, err := inbound.New(nil, inbound.Options{Trigger: trig}); !errors.Is(err, hooks.ErrInvalid) {
		t.Errorf("nil store: got %v, want ErrInvalid", err)
	}
}
