package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// FuzzRequestBodies sends arbitrary bodies to every route that decodes one:
// each answer is a success or a 4xx, never a 5xx or a panic.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{`{"name":"a","type":"form"}`, `{"name":"a","type":"web","settings":{"auth":"signature","signature":{}}}`,
		`{"debug":true,"example_data":{"a":[1]}}`, `{"settings":{"allowed_origins":["*"],"redirect_url":"https://x"}}`,
		`{"data":{"a":1}}`, `{"settings":{"rate_limit":{"per_second":0.5,"burst":2}}}`,
		`{"settings":{"auth":"both","signature":{"scheme":"github","secrets":["s"]},"signature_configured":true}}`, `{"from_debug_entry":"x"}`, `{"name":"k","roles":["org.hooks"]}`, `{`, `[]`, `null`, `{"name":"\u0000"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		e := newEnv(t)
		h := e.create("token-a", `{"name":"fuzz","type":"form"}`)
		web := e.create("token-a", `{"name":"fuzz","type":"web"}`)
		for _, rt := range []struct{ method, path string }{
			{"POST", "/admin/hooks"},
			{"PATCH", "/admin/hooks/" + h.ID},
			{"PATCH", "/admin/hooks/" + web.ID},
			{"POST", "/admin/hooks/" + h.ID + "/example-data"},
			{"POST", "/admin/keys"},
		} {
			r := e.do(rt.method, rt.path, "token-a", body)
			if r.status >= 500 {
				t.Fatalf("%s %s %q: got %d %s", rt.method, rt.path, body, r.status, r.body)
			}
			if r.status >= 400 {
				errCode(t, r)
			}
		}
		if r := e.do("GET", "/admin/hooks/"+h.ID+"/fields", "token-a", ""); r.status != http.StatusOK {
			t.Fatalf("fields after %q: got %d %s", body, r.status, r.body)
		}
	})
}

// FuzzEventQuery sends arbitrary query strings (filters, times, cursors)
// to the event list and arbitrary bodies to the bulk replay: each answer
// is a 200 or a 400 with the error shape, never a 5xx or a panic.
func FuzzEventQuery(f *testing.F) {
	for _, s := range []string{"state=dead", "limit=2&cursor=MjAyNi0wMS0wMlQwMzowNDowNVogeA", "since=2026-01-02T03:04:05Z&until=x",
		"id=x&state=pending", "key=k&hook=h", "cursor=***", "limit=-1", `{"ids":["x"]}`, `{"ids":[]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := newQueueEnv(t)
		// A request line holds no spaces, controls or fragment: escape
		// those bytes and keep the rest as sent.
		var raw strings.Builder
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c >= 0x7f || c == '#' {
				fmt.Fprintf(&raw, "%%%02X", c)
			} else {
				raw.WriteByte(c)
			}
		}
		for _, r := range []resp{h.do("GET", "/admin/events?"+raw.String(), "token-a", ""), h.do("POST", "/admin/events/replay", "token-a", s)} {
			if r.status != http.StatusOK && r.status != http.StatusBadRequest {
				t.Fatalf("%q: got %d %s", s, r.status, r.body)
			}
			if r.status == http.StatusBadRequest {
				errCode(t, r)
			}
		}
	})
}

// newQueueEnv is newEnv with a durable queue (not started: nothing is
// delivered) behind the event routes.
func newQueueEnv(t *testing.T) *env {
	st := memstore.New()
	reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "https://in.example.com"})
	keys, _ := hooks.NewKeyring(st, hooks.KeyringOptions{})
	l, _ := debuglog.New(st, debuglog.Options{})
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	q, err := hooks.NewQueue(st, hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }), hooks.QueueOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q})
	h, err := admin.New(reg, keys, l, admin.Options{Authorizer: admin.AuthorizerFunc(twoOrgs), Events: q})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, h: h, reg: reg, keys: keys, log: l, p: p}
}
