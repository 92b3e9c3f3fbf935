package intake_test

import (
	"context"
	"io"
	"math"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/intake"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// testKind is an HTTP kind mounted at prefix.
type testKind struct {
	kind   hooks.Kind
	prefix string
}

func (k testKind) Kind() hooks.Kind          { return k.kind }
func (testKind) NewSettings() hooks.Settings { return &noSettings{} }
func (k testKind) Address(base, tok string) string {
	return intake.HTTPOptions{Prefix: k.prefix}.URL(base, tok)
}

type noSettings struct{}

func (*noSettings) Validate() error { return nil }

// textIntake decodes any body as a string.
type textIntake struct{}

func (t textIntake) NewSession(*hooks.Hook, *hooks.Arrival) hooks.Session { return t }
func (textIntake) Authenticate(context.Context) error                     { return nil }
func (textIntake) Decode(_ context.Context, body []byte) (*hooks.Decoded, error) {
	return &hooks.Decoded{Data: string(body)}, nil
}

// chunkedReader hides the length of its reader, as a chunked body does.
type chunkedReader struct{ r io.Reader }

func (c chunkedReader) Read(p []byte) (int, error) { return c.r.Read(p) }

func TestIngest(t *testing.T) {
	ctx := context.Background()
	reg, _ := hooks.NewRegistry(memstore.New(), hooks.RegistryOptions{})
	for _, k := range []testKind{{"web", "/hooks/web/"}, {"form", "/hooks/form/"}} {
		if err := reg.Register(k); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{MaxBodyBytes: 50,
		Delivery: hooks.Sync(hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil }))})
	web, _ := reg.Create(ctx, "o", hooks.HookSpec{Name: "w", Kind: "web"})
	form, _ := reg.Create(ctx, "o", hooks.HookSpec{Name: "f", Kind: "form"})
	opts, err := intake.HTTPOptions{}.WithDefaults("/hooks/web/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		contentLength      int64
		body               string
		status             int
		allow              string
	}{
		{"ok", "POST", "/hooks/web/" + web.Token, -1, "x", 202, ""},
		{"get", "GET", "/hooks/web/" + web.Token, -1, "", 405, "POST"},
		{"options", "OPTIONS", "/hooks/web/" + web.Token, -1, "", 405, "POST"},
		{"wrong kind", "POST", "/hooks/web/" + form.Token, -1, "x", 404, ""},
		{"no token", "POST", "/hooks/web/", -1, "x", 404, ""},
		{"extra segment", "POST", "/hooks/web/" + web.Token + "/x", -1, "x", 404, ""},
		{"other prefix", "POST", "/hooks/form/" + web.Token, -1, "x", 404, ""},
		{"content-length over limit", "POST", "/hooks/web/" + web.Token, 1 << 30, "x", 413, ""},
		{"chunked over limit", "POST", "/hooks/web/" + web.Token, -1, strings.Repeat("x", 100), 413, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, chunkedReader{strings.NewReader(tt.body)})
			r.ContentLength = tt.contentLength
			res := intake.Ingest(p, r, "web", opts, textIntake{})
			w := httptest.NewRecorder()
			intake.WriteResult(w, res)
			if w.Code != tt.status {
				t.Fatalf("got %d %s, want %d", w.Code, w.Body, tt.status)
			}
			if got := w.Header().Get("Allow"); got != tt.allow {
				t.Fatalf("got Allow %q, want %q", got, tt.allow)
			}
			if tt.status == 202 && w.Body.String() != `{"id":"`+res.EventID+`"}`+"\n" {
				t.Fatalf("got body %q", w.Body)
			}
		})
	}
	if got, want := reg.Address(web), opts.URL("", web.Token); got != want {
		t.Fatalf("Address: got %q, want %q", got, want)
	}
}

func TestTokenFromPath(t *testing.T) {
	tests := []struct {
		path, prefix, want string
		ok                 bool
	}{
		{"/hooks/form/abc", "/hooks/form/", "abc", true},
		{"/hooks/form/", "/hooks/form/", "", false},
		{"/hooks/form/abc/", "/hooks/form/", "", false},
		{"/hooks/form/a/b", "/hooks/form/", "", false},
		{"/hooks/formabc", "/hooks/form/", "", false},
		{"/x/hooks/form/abc", "/hooks/form/", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, ok := intake.TokenFromPath(tt.path, tt.prefix)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("got %q, %v; want %q, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	for p, ok := range map[string]bool{"/a/": true, "/": true, "a/": false, "/a": false} {
		_, err := intake.HTTPOptions{Prefix: p}.WithDefaults("/d/")
		if got := err == nil; got != ok {
			t.Errorf("WithDefaults(%q): got ok=%v, want %v", p, got, ok)
		}
	}
	if _, err := (intake.HTTPOptions{MaxBodyBytes: -1}).WithDefaults("/d/"); err == nil {
		t.Error("a negative MaxBodyBytes was accepted")
	}
}

func TestWriteResultCustomID(t *testing.T) {
	w := httptest.NewRecorder()
	intake.WriteResult(w, &hooks.Result{EventID: `a"b<`, Status: 202})
	if got, want := w.Body.String(), `{"id":"a\"b\u003c"}`+"\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A limit of math.MaxInt64 means no limit: the body is read whole; one
// byte over a limit is refused, not truncated.
func TestReadLimited(t *testing.T) {
	b, err := intake.ReadLimited(strings.NewReader("name=Ada&email=a@b"), math.MaxInt64)
	if err != nil || string(b) != "name=Ada&email=a@b" {
		t.Fatalf("got %q, %v", b, err)
	}
	if _, err := intake.ReadLimited(strings.NewReader("abcd"), 3); err != intake.ErrBodyTooLarge {
		t.Fatalf("over the limit: got %v, want ErrBodyTooLarge", err)
	}
	if b, err := intake.ReadLimited(strings.NewReader("abc"), 3); err != nil || string(b) != "abc" {
		t.Fatalf("at the limit: got %q, %v", b, err)
	}
}

type kindTestSettings struct{ N int }

func (*kindTestSettings) Validate() error { return nil }

func TestSettingsOfAndHTTPKind(t *testing.T) {
	mine := &kindTestSettings{N: 7}
	if got := intake.SettingsOf[kindTestSettings](&hooks.Hook{Settings: mine}); got != mine {
		t.Errorf("SettingsOf of the kind's settings = %p, want %p", got, mine)
	}
	if got := intake.SettingsOf[kindTestSettings](&hooks.Hook{}); got == nil || got.N != 0 {
		t.Errorf("SettingsOf of no settings = %+v, want the zero settings", got)
	}
	k := intake.HTTPKind[kindTestSettings, *kindTestSettings]{Name: "test", Prefix: "/in/t/"}
	if k.Kind() != "test" || k.Address("https://x.example", "tok") != "https://x.example/in/t/tok" {
		t.Errorf("HTTPKind: kind %q, address %q", k.Kind(), k.Address("https://x.example", "tok"))
	}
	if _, ok := k.NewSettings().(*kindTestSettings); !ok {
		t.Errorf("NewSettings = %T, want *kindTestSettings", k.NewSettings())
	}
	if k != (intake.HTTPKind[kindTestSettings, *kindTestSettings]{Name: "test", Prefix: "/in/t/"}) {
		t.Error("two HTTPKinds of one kind and prefix differ")
	}
}
