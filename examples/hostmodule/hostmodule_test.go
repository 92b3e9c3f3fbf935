package hostmodule_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/inbound-hooks/inbound/examples/hostmodule"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/schema"
	"github.com/inbound-hooks/inbound/store/boltstore"
)

const cv = "Ada Lovelace\nAnalyst, Analytical Engine\n"

const push = `{"ref":"refs/heads/main","before":"0000000","after":"c0ffee1",
"repository":{"id":9007199254740993,"full_name":"octo/hello","private":false},
"commits":[{"id":"c0ffee1","message":"Fix the engine"},{"id":"c0ffee2","message":"Add tests"}],
"installation":{"id":12345678901234567890}}`

// run starts a host in the given mode, sends it the three arrivals, and
// returns what its Trigger bound, in the order sent.
func run(t *testing.T, queue bool) []hostmodule.Received {
	t.Helper()
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "host.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := hostmodule.New(ctx, st, hostmodule.Options{Queue: queue, BaseURL: "http://host.test", EmailDomain: "in.host.test"})
	if err != nil {
		t.Fatal(err)
	}
	// A second start on the same store provisions nothing new.
	again, err := hostmodule.New(ctx, st, hostmodule.Options{Queue: queue, BaseURL: "http://host.test", EmailDomain: "in.host.test"})
	if err != nil {
		t.Fatal(err)
	}
	if again.Signups.Token != h.Signups.Token || again.Orders.Token != h.Orders.Token {
		t.Fatal("a second start made new hooks")
	}
	if hs, _ := h.Registry.List(ctx, ""); len(hs) != 3 {
		t.Fatalf("the store holds %d hooks after two starts, want 3", len(hs))
	}
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Shutdown(context.Background()) })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	_, key, err := h.Keys.Create(ctx, "", "ci", []string{hooks.RoleHooks})
	if err != nil {
		t.Fatal(err)
	}

	post := func(url, ctype string, body []byte, header map[string]string) {
		t.Helper()
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusAccepted {
			var b bytes.Buffer
			_, _ = b.ReadFrom(res.Body)
			t.Fatalf("POST %s: got %d %s, want 202", url, res.StatusCode, b.String())
		}
	}
	addr := func(hk *hooks.Hook) string {
		return strings.Replace(h.Registry.Address(hk), "http://host.test", srv.URL, 1)
	}

	// 1. A browser's multipart form: tags[], a file and an int.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	for _, f := range [][2]string{{"name", "Ada"}, {"age", "36"}, {"tags[]", "math"}, {"tags[]", "engines"}, {"consent", "on"}} {
		_ = mw.WriteField(f[0], f[1])
	}
	fw, _ := mw.CreateFormFile("cv", "cv.txt")
	_, _ = fw.Write([]byte(cv))
	_ = mw.Close()
	post(addr(h.Signups), mw.FormDataContentType(), form.Bytes(), nil)
	if _, err := h.Wait(ctxTimeout(t), 1); err != nil {
		t.Fatal("the form was not delivered:", err)
	}
	// 2. A GitHub-style JSON webhook.
	post(addr(h.Pushes), "application/json", []byte(push), map[string]string{
		"Authorization": "Bearer " + key, "X-GitHub-Event": "push", "X-GitHub-Delivery": "72d3162e"})
	if _, err := h.Wait(ctxTimeout(t), 2); err != nil {
		t.Fatal("the webhook was not delivered:", err)
	}
	// 3. An order email, Bcc'd to the email hook.
	eml, err := os.ReadFile("testdata/order.eml")
	if err != nil {
		t.Fatal(err)
	}
	post(srv.URL+"/hooks/email", "message/rfc822", eml, map[string]string{"X-Envelope-To": h.Registry.Address(h.Orders)})
	got, err := h.Wait(ctxTimeout(t), 3)
	if err != nil {
		t.Fatal("the email was not delivered:", err)
	}
	return got
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestHostBindsEveryKindInBothModes(t *testing.T) {
	sync := run(t, false)
	queue := run(t, true)

	values := func(rs []hostmodule.Received) []any {
		var out []any
		for _, r := range rs {
			out = append(out, r.Value)
		}
		return out
	}
	if !reflect.DeepEqual(values(sync), values(queue)) {
		t.Errorf("sync and queue bind differently:\nsync  %s\nqueue %s", dump(values(sync)), dump(values(queue)))
	}

	// What the host's types hold.
	s, ok := sync[0].Value.(*hostmodule.Signup)
	if !ok {
		t.Fatalf("first value is %T, want *Signup", sync[0].Value)
	}
	sum := sha256.Sum256([]byte(cv))
	if s.Name != "Ada" || s.Age != 36 || !s.Consent || !reflect.DeepEqual(s.Tags, []string{"math", "engines"}) ||
		s.CV.Name != "cv.txt" || s.CV.Size != int64(len(cv)) || string(s.CV.Content) != cv || s.CV.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("got signup %+v", s)
	}
	p := sync[1].Value.(*hostmodule.Push)
	if p.Ref != "refs/heads/main" || p.Repository.ID != 9007199254740993 || p.Repository.FullName != "octo/hello" ||
		len(p.Commits) != 2 || p.Commits[1].Message != "Add tests" {
		t.Errorf("got push %+v", p)
	}
	if inst, _ := p.Installation.(map[string]any); inst["id"] != json.Number("12345678901234567890") {
		t.Errorf("installation id: got %#v, want every digit as a json.Number", p.Installation)
	}
	o := sync[2].Value.(*hostmodule.OrderMail)
	if o.From != "orders@shop.example" || o.FromName != "Tea Shop" || o.Subject != "Your order 1234" ||
		o.MessageID != "order-1234@shop.example" || !reflect.DeepEqual(o.InReplyTo, []string{"cart-77@shop.example"}) ||
		!o.Date.Equal(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)) || !strings.Contains(o.Text, "Tea (4.50 EUR)") {
		t.Errorf("got order mail %+v", o)
	}
	if o.Order.OrderNumber != "1234" || o.Order.AcceptedOffer.Price != "4.50" || o.Order.AcceptedOffer.ItemOffered.Name != "Tea" {
		t.Errorf("got order %+v", o.Order)
	}
	if len(o.Attachments) != 1 || o.Attachments[0].Name != "invoice-1234.pdf" || o.Attachments[0].ContentType != "application/pdf" ||
		!bytes.HasPrefix(o.Attachments[0].Content, []byte("%PDF-1.4")) || o.Attachments[0].Size != int64(len(o.Attachments[0].Content)) {
		t.Errorf("got attachments %+v", o.Attachments)
	}

	// Every event, in both modes, has the one documented JSON shape.
	sch := compileSchema(t)
	for _, r := range append(sync, queue...) {
		b, err := json.Marshal(r.Event)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(doc); err != nil {
			t.Errorf("%s event does not follow schema/event.schema.json: %v\n%s", r.Event.HookKind, err, b)
		}
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema.Event()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("event.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("event.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
