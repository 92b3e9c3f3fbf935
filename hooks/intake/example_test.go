package intake_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// pingSettings are the settings of the "ping" kind: a word a post must
// carry.
type pingSettings struct {
	Word string `json:"word"`
}

func (s *pingSettings) Validate() error {
	if strings.ContainsAny(s.Word, " \t") {
		return &hooks.ValidationError{Field: "word", Reason: "must be one word"}
	}
	return nil
}

// pingKind is the kind's hooks.KindSpec, mounted at one prefix.
type pingKind struct{ http intake.HTTPOptions }

func (pingKind) Kind() hooks.Kind                    { return "ping" }
func (pingKind) NewSettings() hooks.Settings         { return &pingSettings{} }
func (k pingKind) Address(base, token string) string { return k.http.URL(base, token) }

// pingHandler is the kind's handler and its hooks.Intake.
type pingHandler struct {
	p    *hooks.Pipeline
	http intake.HTTPOptions
}

func (h *pingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	intake.WriteResult(w, intake.Ingest(h.p, r, "ping", h.http, h))
}

// NewSession returns the state of one post: the hook's word, for Decode.
func (h *pingHandler) NewSession(hk *hooks.Hook, a *hooks.Arrival) hooks.Session {
	return &pingSession{word: hk.Settings.(*pingSettings).Word}
}

type pingSession struct{ word string }

func (*pingSession) Authenticate(context.Context) error { return nil }

func (s *pingSession) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	if string(body) != s.word {
		return nil, &hooks.Error{Status: http.StatusForbidden, Code: "wrong_word", Message: "say the word",
			Header: http.Header{"X-Hint": {"the hook's word"}}}
	}
	return &hooks.Decoded{Data: map[string]any{"word": s.word}}, nil
}

// A kind of its own: a package with a KindSpec, a Settings type, an Intake
// and a handler. The host wires it like the others; package hooks does not
// change.
func Example() {
	ctx := context.Background()
	reg, _ := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{BaseURL: "https://example.com"})
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(hooks.TriggerFunc(
		func(_ context.Context, e *hooks.Event) error {
			fmt.Println("fired:", e.HookKind, e.Data)
			return nil
		}))})
	opts, _ := intake.HTTPOptions{}.WithDefaults("/hooks/ping/")
	_ = reg.Register(pingKind{opts}) // what the kind's constructor does
	h := &pingHandler{p: p, http: opts}

	hk, _ := reg.Create(ctx, "", hooks.HookSpec{Name: "Pings", Kind: "ping", Settings: &pingSettings{Word: "hello"}})
	fmt.Println(reg.Address(hk) == "https://example.com/hooks/ping/"+hk.Token)
	for _, body := range []string{"hello", "bye"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/hooks/ping/"+hk.Token, strings.NewReader(body)))
		fmt.Println(strings.TrimSpace(fmt.Sprint(w.Code, " ", w.Header().Get("X-Hint"))))
	}
	// Output:
	// true
	// fired: ping map[word:hello]
	// 202
	// 403 the hook's word
}
