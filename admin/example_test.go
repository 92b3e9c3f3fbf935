package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// A single-tenant host mounts the admin API and page behind one admin
// token.
func Example() {
	s := memstore.New()
	reg, _ := hooks.NewRegistry(s, hooks.RegistryOptions{BaseURL: "https://hooks.example.com"})
	keys, _ := hooks.NewKeyring(s, hooks.KeyringOptions{})
	log, _ := debuglog.New(s, debuglog.Options{})
	defer log.Close(context.Background())
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(nil)), Recorder: log})
	form, _ := formhook.New(p, formhook.Options{}) // registers the form kind, with addresses under form.Prefix()

	h, err := admin.New(reg, keys, log, admin.Options{Authorizer: admin.BearerToken("admin-secret")})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/", h)
	mux.Handle(form.Prefix(), form)

	req := httptest.NewRequest("POST", "/admin/hooks", strings.NewReader(`{"name":"Contact form","type":"form"}`))
	req.Header.Set("Authorization", "Bearer admin-secret")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Println(w.Code, strings.Contains(w.Body.String(), `"address":"https://hooks.example.com/hooks/form/`))

	req = httptest.NewRequest("GET", "/admin/hooks", nil) // no token
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 201 true
	// 401 {"error":{"code":"unauthorized","message":"missing or invalid admin credentials"}}
}
