package admin_test

import (
	"net/http"
	"testing"
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
