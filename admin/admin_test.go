package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store/memstore"
	"github.com/inbound-hooks/inbound/webhook"
)

// env is an admin Handler over a memstore with two orgs: the token
// "token-a" acts for org "a", "token-b" for org "b".
type env struct {
	t    *testing.T
	h    *admin.Handler
	reg  *hooks.Registry
	keys *hooks.Keyring
	log  *debuglog.Log
	p    *hooks.Pipeline
}

func twoOrgs(r *http.Request) (string, error) {
	switch r.Header.Get("Authorization") {
	case "Bearer token-a":
		return "a", nil
	case "Bearer token-b":
		return "b", nil
	case "Bearer down":
		return "", hooks.NewError(http.StatusServiceUnavailable, errcode.Unavailable, "auth backend down")
	}
	return "", admin.ErrUnauthorized
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := memstore.New()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{BaseURL: "https://in.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := hooks.NewKeyring(s, hooks.KeyringOptions{})
	l, err := debuglog.New(s, debuglog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Recorder: l,
		Delivery: hooks.Sync(hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }))})
	if err != nil {
		t.Fatal(err)
	}
	mountKinds(t, p, keys, "mail.example.com")
	h, err := admin.New(reg, keys, l, admin.Options{Authorizer: admin.AuthorizerFunc(twoOrgs), MaxBodyBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, h: h, reg: reg, keys: keys, log: l, p: p}
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(method, path, token, body string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, path, rd)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return resp{w.Code, w.Header(), w.Body.String()}
}

func (e *env) decode(r resp, v any) {
	e.t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		e.t.Fatalf("decode %q: %v", r.body, err)
	}
}

type hookOut struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Address     string          `json:"address"`
	Debug       bool            `json:"debug"`
	Disabled    bool            `json:"disabled"`
	ExampleData json.RawMessage `json:"example_data"`
	Settings    map[string]any  `json:"settings"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

func (e *env) create(token, body string) hookOut {
	e.t.Helper()
	r := e.do("POST", "/admin/hooks", token, body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create: got %d %s, want 201", r.status, r.body)
	}
	var h hookOut
	e.decode(r, &h)
	return h
}

// post sends a JSON body to a form hook through the pipeline.
func (e *env) post(token, body string) {
	e.t.Helper()
	e.p.Ingest(context.Background(), &hooks.Arrival{Kind: formhook.KindName, Token: token, Method: "POST",
		Path: "/hooks/form/" + token, Header: http.Header{"Cookie": {"c=secret"}}, Body: strings.NewReader(body)}, jsonIntake{})
	if err := e.log.Flush(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

type jsonIntake struct{}

func (j jsonIntake) NewSession(*hooks.Hook, *hooks.Arrival) hooks.Session { return j }

func (jsonIntake) Authenticate(context.Context) error { return nil }

func (jsonIntake) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, hooks.NewError(http.StatusBadRequest, errcode.MalformedBody, "bad JSON")
	}
	return &hooks.Decoded{Data: v}, nil
}

func errCode(t *testing.T, r resp) string {
	t.Helper()
	var b hooks.ErrorBody
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || b.Error.Code == "" {
		t.Fatalf("error body %q is not the error shape: %v", r.body, err)
	}
	return b.Error.Code
}

func TestHookLifecycle(t *testing.T) {
	e := newEnv(t)
	h := e.create("token-a", `{"name":"Contact","description":"site form","type":"form"}`)
	if h.Type != "form" || h.Name != "Contact" || h.Description != "site form" || h.Debug || h.Disabled {
		t.Errorf("created: got %+v", h)
	}
	if !strings.HasPrefix(h.Address, "https://in.example.com/hooks/form/") {
		t.Errorf("address: got %q, want the form URL", h.Address)
	}
	if string(h.ExampleData) != "null" || h.CreatedAt.IsZero() {
		t.Errorf("example_data %s, created_at %v", h.ExampleData, h.CreatedAt)
	}
	e.create("token-a", `{"name":"Orders","type":"web"}`)
	mail := e.create("token-a", `{"name":"Receipts","type":"email"}`)
	if !strings.HasSuffix(mail.Address, "@mail.example.com") {
		t.Errorf("email address: got %q", mail.Address)
	}

	var list struct{ Hooks []hookOut }
	e.decode(e.do("GET", "/admin/hooks", "token-a", ""), &list)
	if len(list.Hooks) != 3 || list.Hooks[0].ID != h.ID {
		t.Errorf("list: got %d hooks, want 3 with %s first", len(list.Hooks), h.ID)
	}

	r := e.do("GET", "/admin/hooks/"+h.ID, "token-a", "")
	var got hookOut
	e.decode(r, &got)
	if r.status != 200 || got.ID != h.ID {
		t.Errorf("get: got %d %s", r.status, r.body)
	}

	r = e.do("PATCH", "/admin/hooks/"+h.ID, "token-a", `{"name":"Contact us","debug":true,"disabled":false,"description":"d",
		"example_data":{"a":1},"settings":{"allowed_origins":["https://example.com"],"redirect_url":"https://example.com/thanks","honeypot":"website"}}`)
	e.decode(r, &got)
	if r.status != 200 || got.Name != "Contact us" || !got.Debug || got.Description != "d" || string(got.ExampleData) != `{"a":1}` {
		t.Errorf("patch: got %d %s", r.status, r.body)
	}
	if got.Settings["redirect_url"] != "https://example.com/thanks" || got.Settings["honeypot"] != "website" {
		t.Errorf("patch settings: got %v", got.Settings)
	}
	// A partial settings patch keeps the other settings.
	r = e.do("PATCH", "/admin/hooks/"+h.ID, "token-a", `{"settings":{"honeypot":""},"example_data":null}`)
	e.decode(r, &got)
	if got.Settings["redirect_url"] != "https://example.com/thanks" || got.Settings["honeypot"] != "" || string(got.ExampleData) != "null" {
		t.Errorf("partial patch: got %s", r.body)
	}

	old := got.Address
	r = e.do("POST", "/admin/hooks/"+h.ID+"/rotate", "token-a", "")
	e.decode(r, &got)
	if r.status != 200 || got.Address == old || got.Address == "" {
		t.Errorf("rotate: got %d, address %q (old %q)", r.status, got.Address, old)
	}
	oldToken := old[strings.LastIndex(old, "/")+1:]
	if _, err := e.reg.Lookup(context.Background(), formhook.KindName, oldToken); !errors.Is(err, hooks.ErrNotFound) {
		t.Errorf("old address after rotate: got %v, want ErrNotFound", err)
	}

	if r := e.do("DELETE", "/admin/hooks/"+h.ID, "token-a", ""); r.status != 204 || r.body != "" {
		t.Errorf("delete: got %d %q, want 204 and no body", r.status, r.body)
	}
	if r := e.do("GET", "/admin/hooks/"+h.ID, "token-a", ""); r.status != 404 {
		t.Errorf("get after delete: got %d, want 404", r.status)
	}
}

func TestSignatureNeverShown(t *testing.T) {
	e := newEnv(t)
	h := e.create("token-a", `{"name":"Stripe","type":"web"}`)
	r := e.do("PATCH", "/admin/hooks/"+h.ID, "token-a", `{"settings":{"auth":"signature","signature":{"scheme":"stripe","secrets":["whsec_topsecret"]}}}`)
	if r.status != 200 {
		t.Fatalf("patch: got %d %s", r.status, r.body)
	}
	// A configuration the webhook could not use is refused when it is saved,
	// without echoing the secret.
	for _, bad := range []string{
		`{"scheme":"stripe","secret":"whsec_topsecret"}`,
		`{"scheme":"nope","secrets":["whsec_topsecret"]}`,
		`{"scheme":"github","secrets":[]}`,
	} {
		r := e.do("PATCH", "/admin/hooks/"+h.ID, "token-a", `{"settings":{"auth":"signature","signature":`+bad+`}}`)
		if r.status != http.StatusBadRequest || strings.Contains(r.body, "whsec_topsecret") {
			t.Errorf("patch with %s: got %d %s, want 400 without the secret", bad, r.status, r.body)
		}
	}
	for _, path := range []string{"/admin/hooks/" + h.ID, "/admin/hooks"} {
		r := e.do("GET", path, "token-a", "")
		if strings.Contains(r.body, "whsec_topsecret") || strings.Contains(r.body, `"signature":`) {
			t.Errorf("%s shows the signature: %s", path, r.body)
		}
		if !strings.Contains(r.body, `"signature_configured":true`) {
			t.Errorf("%s: got %s, want signature_configured true", path, r.body)
		}
	}
	// Sending back what GET returned keeps the signature.
	r = e.do("PATCH", "/admin/hooks/"+h.ID, "token-a", `{"settings":{"auth":"signature","signature_configured":true}}`)
	if !strings.Contains(r.body, `"signature_configured":true`) {
		t.Errorf("round trip: got %d %s", r.status, r.body)
	}
	r = e.do("PATCH", "/admin/hooks/"+h.ID, "token-a", `{"settings":{"auth":"","signature":null}}`)
	if !strings.Contains(r.body, `"signature_configured":false`) {
		t.Errorf("clear: got %d %s", r.status, r.body)
	}
}

func TestDebugLogsExampleAndFields(t *testing.T) {
	e := newEnv(t)
	h := e.create("token-a", `{"name":"Contact","type":"form"}`)
	token := h.Address[strings.LastIndex(h.Address, "/")+1:]
	e.post(token, `{"ignored":true}`) // debug off: not recorded
	e.do("PATCH", "/admin/hooks/"+h.ID, "token-a", `{"debug":true}`)
	e.post(token, `{"customer":{"email":"a@example.com"},"items":[{"sku":"A"}]}`)
	e.post(token, `not json`)

	var logs struct{ Entries []debuglog.Entry }
	r := e.do("GET", "/admin/hooks/"+h.ID+"/debug-logs", "token-a", "")
	e.decode(r, &logs)
	if len(logs.Entries) != 2 || logs.Entries[0].Outcome != "rejected" || logs.Entries[1].Outcome != "accepted" {
		t.Fatalf("debug-logs: got %s", r.body)
	}
	if strings.Contains(r.body, "c=secret") {
		t.Errorf("debug-logs shows a cookie: %s", r.body)
	}

	var fields struct{ Fields []hooks.Field }
	e.decode(e.do("GET", "/admin/hooks/"+h.ID+"/fields", "token-a", ""), &fields)
	if fields.Fields == nil || len(fields.Fields) != 0 {
		t.Errorf("fields without example: got %v, want []", fields.Fields)
	}

	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantFields string
	}{
		{"from entry", `{"from_debug_entry":"` + logs.Entries[1].ID + `"}`, 200,
			"customer object, customer.email string, items array, items[] object, items[].sku string"},
		{"entry without data", `{"from_debug_entry":"` + logs.Entries[0].ID + `"}`, 400, ""},
		{"unknown entry", `{"from_debug_entry":"nope"}`, 404, ""},
		{"data", `{"data":{"n":1,"ok":true}}`, 200, "n number, ok boolean"},
		{"both", `{"data":{},"from_debug_entry":"x"}`, 400, ""},
		{"neither", `{}`, 400, ""},
		{"clear", `{"data":null}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do("POST", "/admin/hooks/"+h.ID+"/example-data", "token-a", tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				errCode(t, r)
				return
			}
			var fields struct{ Fields []hooks.Field }
			e.decode(e.do("GET", "/admin/hooks/"+h.ID+"/fields", "token-a", ""), &fields)
			var got []string
			for _, f := range fields.Fields {
				got = append(got, f.Path+" "+f.Type)
			}
			if strings.Join(got, ", ") != tt.wantFields {
				t.Errorf("fields: got %q, want %q", strings.Join(got, ", "), tt.wantFields)
			}
		})
	}
}

func TestKeys(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/admin/keys", "token-a", `{"name":"CRM","roles":["org.hooks"]}`)
	var k struct {
		ID, Name, Key string
		Roles         []string
		CreatedAt     time.Time `json:"created_at"`
	}
	e.decode(r, &k)
	if r.status != 201 || k.Key == "" || k.Name != "CRM" || len(k.Roles) != 1 || k.CreatedAt.IsZero() {
		t.Fatalf("create: got %d %s", r.status, r.body)
	}
	if got, err := e.keys.Authenticate(context.Background(), k.Key); err != nil || got.Org != "a" {
		t.Errorf("the key does not authenticate for org a: %v %v", got, err)
	}
	r = e.do("POST", "/admin/keys", "token-a", `{"name":"default roles"}`)
	if r.status != 201 || !strings.Contains(r.body, `"roles":["org.hooks"]`) {
		t.Errorf("default roles: got %d %s", r.status, r.body)
	}
	r = e.do("GET", "/admin/keys", "token-a", "")
	if r.status != 200 || strings.Contains(r.body, k.Key) || strings.Contains(r.body, `"key"`) || strings.Count(r.body, `"id"`) != 2 {
		t.Errorf("list: got %d %s (must not show keys)", r.status, r.body)
	}
	if r := e.do("DELETE", "/admin/keys/"+k.ID, "token-a", ""); r.status != 204 {
		t.Errorf("revoke: got %d, want 204", r.status)
	}
	if _, err := e.keys.Authenticate(context.Background(), k.Key); !errors.Is(err, hooks.ErrInvalidKey) {
		t.Errorf("revoked key: got %v, want ErrInvalidKey", err)
	}
	if r := e.do("DELETE", "/admin/keys/"+k.ID, "token-a", ""); r.status != 404 {
		t.Errorf("revoke twice: got %d, want 404", r.status)
	}
}

func TestCrossOrg(t *testing.T) {
	e := newEnv(t)
	h := e.create("token-a", `{"name":"A's hook","type":"form"}`)
	r := e.do("POST", "/admin/keys", "token-a", `{"name":"A's key"}`)
	var k struct{ ID string }
	e.decode(r, &k)
	routes := []struct{ method, path, body string }{
		{"GET", "/admin/hooks/" + h.ID, ""},
		{"PATCH", "/admin/hooks/" + h.ID, `{"name":"stolen"}`},
		{"PATCH", "/admin/hooks/" + h.ID, `{"settings":{"honeypot":"x"}}`},
		{"POST", "/admin/hooks/" + h.ID + "/rotate", ""},
		{"GET", "/admin/hooks/" + h.ID + "/debug-logs", ""},
		{"POST", "/admin/hooks/" + h.ID + "/example-data", `{"data":{}}`},
		{"GET", "/admin/hooks/" + h.ID + "/fields", ""},
		{"DELETE", "/admin/hooks/" + h.ID, ""},
		{"DELETE", "/admin/keys/" + k.ID, ""},
	}
	for _, rt := range routes {
		t.Run(rt.method+" "+rt.path, func(t *testing.T) {
			r := e.do(rt.method, rt.path, "token-b", rt.body)
			if r.status != 404 || errCode(t, r) != errcode.NotFound {
				t.Errorf("got %d %s, want 404 not_found", r.status, r.body)
			}
		})
	}
	for _, path := range []string{"/admin/hooks", "/admin/keys"} {
		if r := e.do("GET", path, "token-b", ""); strings.Contains(r.body, `"id"`) {
			t.Errorf("org b lists org a's records at %s: %s", path, r.body)
		}
	}
	var got hookOut
	e.decode(e.do("GET", "/admin/hooks/"+h.ID, "token-a", ""), &got)
	if got.Name != "A's hook" || got.Address != h.Address {
		t.Errorf("org a's hook changed: %+v", got)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	h := e.create("token-a", `{"name":"x","type":"form"}`)
	big := `{"name":"` + strings.Repeat("x", 5000) + `","type":"form"}`
	tests := []struct {
		name, method, path, token, body string
		wantStatus                      int
		wantCode                        string
	}{
		{"no token", "GET", "/admin/hooks", "", "", 401, errcode.Unauthorized},
		{"wrong token", "GET", "/admin/hooks", "nope", "", 401, errcode.Unauthorized},
		{"no token on item", "DELETE", "/admin/hooks/" + h.ID, "", "", 401, errcode.Unauthorized},
		{"authorizer's own error", "GET", "/admin/keys", "down", "", 503, errcode.Unavailable},
		{"unknown hook", "GET", "/admin/hooks/nope", "token-a", "", 404, errcode.NotFound},
		{"unknown hook patch", "PATCH", "/admin/hooks/nope", "token-a", `{"debug":true}`, 404, errcode.NotFound},
		{"unknown hook delete", "DELETE", "/admin/hooks/nope", "token-a", "", 404, errcode.NotFound},
		{"unknown hook rotate", "POST", "/admin/hooks/nope/rotate", "token-a", "", 404, errcode.NotFound},
		{"unknown hook logs", "GET", "/admin/hooks/nope/debug-logs", "token-a", "", 404, errcode.NotFound},
		{"unknown hook fields", "GET", "/admin/hooks/nope/fields", "token-a", "", 404, errcode.NotFound},
		{"unknown hook example", "POST", "/admin/hooks/nope/example-data", "token-a", `{"data":1}`, 404, errcode.NotFound},
		{"unknown key", "DELETE", "/admin/keys/nope", "token-a", "", 404, errcode.NotFound},
		{"unknown route", "GET", "/admin/nothing", "token-a", "", 404, errcode.NotFound},
		{"malformed JSON", "POST", "/admin/hooks", "token-a", `{"name":`, 400, errcode.BadRequest},
		{"syntax error", "POST", "/admin/hooks", "token-a", `{"name" "x"}`, 400, errcode.BadRequest},
		{"empty body", "POST", "/admin/hooks", "token-a", "", 400, errcode.BadRequest},
		{"not an object", "POST", "/admin/hooks", "token-a", `[1]`, 400, errcode.BadRequest},
		{"trailing data", "POST", "/admin/hooks", "token-a", `{"name":"a","type":"form"} {}`, 400, errcode.BadRequest},
		{"unknown field", "POST", "/admin/hooks", "token-a", `{"name":"a","type":"form","color":"red"}`, 400, errcode.BadRequest},
		{"wrong field type", "POST", "/admin/hooks", "token-a", `{"name":1,"type":"form"}`, 400, errcode.BadRequest},
		{"missing name", "POST", "/admin/hooks", "token-a", `{"type":"form"}`, 400, errcode.BadRequest},
		{"bad type", "POST", "/admin/hooks", "token-a", `{"name":"a","type":"fax"}`, 400, errcode.BadRequest},
		{"settings of another kind", "POST", "/admin/hooks", "token-a", `{"name":"a","type":"web","settings":{"honeypot":"x"}}`, 400, errcode.BadRequest},
		{"bad redirect", "PATCH", "/admin/hooks/" + h.ID, "token-a", `{"settings":{"redirect_url":"javascript:alert(1)"}}`, 400, errcode.BadRequest},
		{"empty name patch", "PATCH", "/admin/hooks/" + h.ID, "token-a", `{"name":" "}`, 400, errcode.BadRequest},
		{"debug not bool", "PATCH", "/admin/hooks/" + h.ID, "token-a", `{"debug":"yes"}`, 400, errcode.BadRequest},
		{"bad role", "POST", "/admin/keys", "token-a", `{"name":"k","roles":["Admin!"]}`, 400, errcode.BadRequest},
		{"key without name", "POST", "/admin/keys", "token-a", `{"roles":[]}`, 400, errcode.BadRequest},
		{"too large", "POST", "/admin/hooks", "token-a", big, 413, errcode.PayloadTooLarge},
		{"too large patch", "PATCH", "/admin/hooks/" + h.ID, "token-a", `{"example_data":"` + strings.Repeat("x", 5000) + `"}`, 413, errcode.PayloadTooLarge},
		{"method on list", "PUT", "/admin/hooks", "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on item", "POST", "/admin/hooks/" + h.ID, "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on rotate", "GET", "/admin/hooks/" + h.ID + "/rotate", "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on logs", "DELETE", "/admin/hooks/" + h.ID + "/debug-logs", "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on example", "GET", "/admin/hooks/" + h.ID + "/example-data", "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on fields", "POST", "/admin/hooks/" + h.ID + "/fields", "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on keys", "DELETE", "/admin/keys", "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on key", "GET", "/admin/keys/x", "token-a", "", 405, errcode.MethodNotAllowed},
		{"method on page", "POST", "/admin/", "", "", 405, errcode.MethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(tt.method, tt.path, tt.token, tt.body)
			if r.status != tt.wantStatus {
				t.Fatalf("got %d %s, want %d", r.status, r.body, tt.wantStatus)
			}
			if got := errCode(t, r); got != tt.wantCode {
				t.Errorf("code: got %q, want %q", got, tt.wantCode)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type: got %q, want JSON", ct)
			}
			switch tt.wantStatus {
			case 401:
				if r.header.Get("WWW-Authenticate") != "Bearer" {
					t.Errorf("WWW-Authenticate: got %q, want Bearer", r.header.Get("WWW-Authenticate"))
				}
			case 405:
				if r.header.Get("Allow") == "" {
					t.Errorf("Allow: got none")
				}
			}
		})
	}
	r := e.do("PUT", "/admin/hooks/"+h.ID, "token-a", "")
	if got, want := r.header.Get("Allow"), "DELETE, GET, PATCH"; got != want {
		t.Errorf("Allow: got %q, want %q", got, want)
	}
}

func TestPage(t *testing.T) {
	e := newEnv(t)
	tests := []struct{ path, ctype, contains string }{
		{"/admin/", "text/html", `<script src="admin.js"`},
		{"/admin/admin.js", "text/javascript", "Authorization"},
		{"/admin/admin.css", "text/css", "[hidden]"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := e.do("GET", tt.path, "", "")
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), tt.ctype) || !strings.Contains(r.body, tt.contains) {
				t.Fatalf("got %d %q, want 200 %s containing %q", r.status, r.header.Get("Content-Type"), tt.ctype, tt.contains)
			}
			csp := r.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("CSP: got %q", csp)
			}
			if r.header.Get("X-Frame-Options") != "DENY" || r.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("headers: got %v", r.header)
			}
		})
	}
	page := e.do("GET", "/admin/", "", "").body
	for _, bad := range []string{"<script>", " style=", "onclick=", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q, which the CSP forbids or which loads an external asset", bad)
		}
	}
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name, configured, header string
		ok                       bool
	}{
		{"match", "s3cret", "Bearer s3cret", true},
		{"scheme case", "s3cret", "bearer s3cret", true},
		{"wrong", "s3cret", "Bearer s3cre", false},
		{"missing", "s3cret", "", false},
		{"basic", "s3cret", "Basic s3cret", false},
		{"empty configured", "", "Bearer ", false},
		{"empty configured, empty sent", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/admin/hooks", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			org, err := admin.BearerToken(tt.configured).Authorize(r)
			if (err == nil) != tt.ok || org != "" {
				t.Errorf("got %q, %v; want ok=%v", org, err, tt.ok)
			}
			if err != nil && !errors.Is(err, admin.ErrUnauthorized) {
				t.Errorf("got %v, want ErrUnauthorized", err)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	s := memstore.New()
	reg, _ := hooks.NewRegistry(s, hooks.RegistryOptions{})
	keys, _ := hooks.NewKeyring(s, hooks.KeyringOptions{})
	l, _ := debuglog.New(s, debuglog.Options{})
	defer l.Close(context.Background())
	auth := admin.BearerToken("t")
	tests := []struct {
		name string
		reg  *hooks.Registry
		keys *hooks.Keyring
		log  *debuglog.Log
		opts admin.Options
	}{
		{"nil registry", nil, keys, l, admin.Options{Authorizer: auth}},
		{"nil keyring", reg, nil, l, admin.Options{Authorizer: auth}},
		{"nil log", reg, keys, nil, admin.Options{Authorizer: auth}},
		{"nil authorizer", reg, keys, l, admin.Options{}},
		{"negative limit", reg, keys, l, admin.Options{Authorizer: auth, MaxBodyBytes: -1}},
		{"prefix with slash", reg, keys, l, admin.Options{Authorizer: auth, Prefix: "/admin/"}},
		{"prefix without slash", reg, keys, l, admin.Options{Authorizer: auth, Prefix: "admin"}},
		{"prefix with pattern", reg, keys, l, admin.Options{Authorizer: auth, Prefix: "/{x}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := admin.New(tt.reg, tt.keys, tt.log, tt.opts); !errors.Is(err, admin.ErrInvalidOptions) {
				t.Errorf("got %v, want ErrInvalidOptions", err)
			}
		})
	}
	h, err := admin.New(reg, keys, l, admin.Options{Authorizer: auth, Prefix: "/ops/inbound"})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/ops/inbound/hooks", nil)
	r.Header.Set("Authorization", "Bearer t")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 || h.Prefix() != "/ops/inbound" {
		t.Errorf("custom prefix: got %d %s", w.Code, w.Body)
	}
}

// mountKinds builds the form, webhook and email handlers of p at their
// default prefixes, which registers their kinds; it returns the HTTP ones
// on a mux.
func mountKinds(t *testing.T, p *hooks.Pipeline, keys *hooks.Keyring, domain string) *http.ServeMux {
	t.Helper()
	form, err := formhook.New(p, formhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	web, err := webhook.New(p, keys, webhook.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := emailhook.NewHandler(p, emailhook.HandlerOptions{Domains: []string{domain}}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(form.Prefix(), form)
	mux.Handle(web.Prefix(), web)
	return mux
}
