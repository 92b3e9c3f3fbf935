package hooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// An *Error without an error status (a Trigger's mistake) is answered 503
// with its code: never a panic in WriteHeader, never a 2xx "error".
func TestErrorWithoutErrorStatus(t *testing.T) {
	for _, status := range []int{0, 200, 302, 999} {
		st := memstore.New()
		reg, _ := hooks.NewRegistry(st, hooks.RegistryOptions{})
		registerTestKinds(t, reg)
		p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
			func(context.Context, *hooks.Event) error {
				return &hooks.Error{Status: status, Code: "engine_says_no", Message: "no"}
			}))})
		h, _ := reg.Create(context.Background(), "", hooks.HookSpec{Name: "f", Kind: kindForm})
		res := p.Ingest(context.Background(), &hooks.Arrival{Kind: kindForm, Token: h.Token,
			Body: strings.NewReader(`{}`)}, stubIntake{})
		w := httptest.NewRecorder()
		intake.WriteError(w, res.Err)
		var body hooks.ErrorBody
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		if w.Code != http.StatusServiceUnavailable || res.Status != http.StatusServiceUnavailable || body.Error.Code != "engine_says_no" {
			t.Errorf("Status %d: got %d (result %d) %s, want 503 engine_says_no", status, w.Code, res.Status, w.Body)
		}
		if w.Header().Get("Retry-After") == "" {
			t.Errorf("Status %d: no Retry-After on the 503", status)
		}
	}
}
