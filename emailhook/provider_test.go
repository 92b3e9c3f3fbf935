package emailhook

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store/memstore"
)

const testSigningKey = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"

var fixedNow = time.Date(2026, 11, 27, 8, 0, 5, 0, time.UTC)

// smtpEvent sends the fixture message over SMTP to the hook and returns
// the event: the reference every provider post must match.
func smtpEvent(t *testing.T, env *emailEnv) *hooks.Event {
	t.Helper()
	addr := startSMTP(t, env.p, SMTPOptions{Domains: []string{"in.example.com"}})
	hookAddr := env.reg.Address(env.hook)
	if err := smtp.SendMail(addr, nil, "bounce@example.net", []string{hookAddr}, []byte(fxRaw())); err != nil {
		t.Fatalf("SendMail: %v", err)
	}
	evs := env.trig.all()
	if len(evs) != 1 {
		t.Fatalf("SMTP events: got %d, want 1", len(evs))
	}
	env.trig.mu.Lock()
	env.trig.events = nil
	env.trig.mu.Unlock()
	return evs[0]
}

// sameMessage reports how got's message differs from want's: the Email
// (but for the verdicts, which name who checked), the data and the files
// (attachments).
func sameMessage(t *testing.T, got, want *hooks.Event) {
	t.Helper()
	if got.Email == nil {
		t.Fatal("event without Email")
	}
	ge, we := *got.Email, *want.Email
	ge.Auth, we.Auth = nil, nil
	if !reflect.DeepEqual(ge, we) {
		gj, _ := json.MarshalIndent(ge, "", " ")
		wj, _ := json.MarshalIndent(we, "", " ")
		t.Errorf("Email differs from the SMTP one:\ngot  %s\nwant %s", gj, wj)
	}
	gd, _ := json.Marshal(got.Data)
	wd, _ := json.Marshal(want.Data)
	if !bytes.Equal(gd, wd) {
		t.Errorf("Data differs from the SMTP one:\ngot  %s\nwant %s", gd, wd)
	}
	if !reflect.DeepEqual(got.Files, want.Files) {
		t.Errorf("Files (attachments) differ from the SMTP ones:\ngot  %+v\nwant %+v", got.Files, want.Files)
	}
	if got.IdempotencyKey != want.IdempotencyKey {
		t.Errorf("IdempotencyKey: got %q, want %q", got.IdempotencyKey, want.IdempotencyKey)
	}
	if len(got.Email.Objects) != 1 || got.Email.Objects[0]["orderNumber"] != "1234" {
		t.Errorf("Objects: got %v, want the Order 1234", got.Email.Objects)
	}
}

func post(h http.Handler, path, ctype string, body []byte, mod func(*http.Request)) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", ctype)
	if mod != nil {
		mod(r)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func errCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var eb hooks.ErrorBody
	if err := json.Unmarshal(w.Body.Bytes(), &eb); err != nil {
		return ""
	}
	return eb.Error.Code
}

func newMailgun(t *testing.T, env *emailEnv, now *atomic.Int64) *MailgunHandler {
	t.Helper()
	h, err := NewMailgunHandler(env.p, MailgunOptions{
		ProviderOptions: ProviderOptions{Domains: []string{"in.example.com"}},
		SigningKey:      testSigningKey,
		Now:             func() time.Time { return time.Unix(now.Load(), 0) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestMailgunSameEventAsSMTP(t *testing.T) {
	for _, tt := range []struct {
		name    string
		build   func(string, []formPart) ([]byte, string)
		wantSPF string
	}{
		{"parsed", mailgunParsed, hooks.AuthPass},
		{"raw MIME", mailgunMIME, hooks.AuthSoftFail},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newEmailEnv(t)
			want := smtpEvent(t, env)
			var now atomic.Int64
			now.Store(fixedNow.Unix())
			h := newMailgun(t, env, &now)
			body, ct := tt.build(env.reg.Address(env.hook), mailgunSign(testSigningKey, fixedNow, "tok-"+tt.name))
			w := post(h, "/hooks/email/mailgun", ct, body, nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body)
			}
			evs := env.trig.all()
			if len(evs) != 1 {
				t.Fatalf("events: got %d, want 1", len(evs))
			}
			sameMessage(t, evs[0], want)
			a := evs[0].Email.Auth
			if a == nil || a.Source != ProviderMailgun || a.SPF == nil || a.SPF.Result != tt.wantSPF || a.SPF.Domain != "example.net" {
				t.Errorf("Auth: got %+v, want Mailgun's SPF %s for example.net", a, tt.wantSPF)
			}
			if !bytes.Equal(evs[0].Raw, body) {
				t.Error("Raw is not the post as received")
			}
		})
	}
}

func TestMailgunRefusals(t *testing.T) {
	env := newEmailEnv(t)
	var now atomic.Int64
	now.Store(fixedNow.Unix())
	h := newMailgun(t, env, &now)
	rcpt := env.reg.Address(env.hook)
	send := func(sig []formPart, rcpt string) *httptest.ResponseRecorder {
		body, ct := mailgunParsed(rcpt, sig)
		return post(h, "/hooks/email/mailgun", ct, body, nil)
	}
	tests := []struct {
		name     string
		sig      []formPart
		rcpt     string
		wantCode string
	}{
		{"wrong key", mailgunSign("key-other", fixedNow, "t1"), rcpt, errcode.SignatureInvalid},
		{"no signature", nil, rcpt, errcode.SignatureInvalid},
		{"stale timestamp", mailgunSign(testSigningKey, fixedNow.Add(-16*time.Minute), "t2"), rcpt, errcode.TimestampOutOfRange},
		{"future timestamp", mailgunSign(testSigningKey, fixedNow.Add(16*time.Minute), "t3"), rcpt, errcode.TimestampOutOfRange},
		{"unknown hook", mailgunSign(testSigningKey, fixedNow, "t4"), "nobody0000000000000000000000000@in.example.com", errcode.NotFound},
		{"foreign domain", mailgunSign(testSigningKey, fixedNow, "t5"), env.hook.Token + "@elsewhere.example", errcode.NotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := send(tt.sig, tt.rcpt)
			if w.Code != http.StatusNotAcceptable || errCode(t, w) != tt.wantCode {
				t.Fatalf("got %d %s, want 406 %s", w.Code, w.Body, tt.wantCode)
			}
		})
	}
	if n := len(env.trig.all()); n != 0 {
		t.Fatalf("events after refusals: got %d, want 0", n)
	}

	t.Run("reused token", func(t *testing.T) {
		sig := mailgunSign(testSigningKey, fixedNow, "once")
		if w := send(sig, rcpt); w.Code != http.StatusOK {
			t.Fatalf("first post: got %d %s, want 200", w.Code, w.Body)
		}
		w := send(sig, rcpt)
		if w.Code != http.StatusNotAcceptable || errCode(t, w) != CodeReplayed {
			t.Fatalf("replay: got %d %s, want 406 %s", w.Code, w.Body, CodeReplayed)
		}
		if n := len(env.trig.all()); n != 1 {
			t.Fatalf("events: got %d, want 1", n)
		}
	})

	t.Run("temporary failure lets the retry through", func(t *testing.T) {
		env.trig.mu.Lock()
		env.trig.err = errTemporary
		env.trig.mu.Unlock()
		sig := mailgunSign(testSigningKey, fixedNow, "retry-me")
		if w := send(sig, rcpt); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("trigger down: got %d %s, want 503 with Retry-After", w.Code, w.Body)
		}
		env.trig.mu.Lock()
		env.trig.err = nil
		env.trig.mu.Unlock()
		if w := send(sig, rcpt); w.Code != http.StatusOK {
			t.Fatalf("Mailgun's retry: got %d %s, want 200", w.Code, w.Body)
		}
	})

	t.Run("GET", func(t *testing.T) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/hooks/email/mailgun", nil))
		if w.Code != http.StatusMethodNotAllowed {
			t.Fatalf("got %d, want 405", w.Code)
		}
	})
}

func TestTokenCacheBounded(t *testing.T) {
	c := newTokenCache(3)
	base := time.Unix(1000, 0)
	for i, tok := range []string{"a", "b", "c", "d"} {
		if !c.add(tok, base.Add(time.Duration(i)*time.Second)) {
			t.Fatalf("add %s: got false, want true", tok)
		}
	}
	if len(c.m) != 3 {
		t.Fatalf("size: got %d, want 3", len(c.m))
	}
	if c.add("d", base) {
		t.Fatal("a remembered token was accepted again")
	}
	if !c.add("a", base.Add(10*time.Second)) {
		t.Fatal("the token closest to expiry should have been forgotten when full")
	}
	c.expire(base.Add(time.Hour))
	if len(c.m) != 0 {
		t.Fatalf("after expiry: got %d tokens, want 0", len(c.m))
	}
	for i := range 100 {
		c.add("x", base.Add(time.Duration(i)))
		c.remove("x")
	}
	if c.h.Len() > 2*c.max+16 {
		t.Fatalf("heap grew to %d entries for %d tokens", c.h.Len(), c.max)
	}
}

func newSendGrid(t *testing.T, env *emailEnv) *SendGridHandler {
	t.Helper()
	h, err := NewSendGridHandler(env.p, SendGridOptions{
		ProviderOptions: ProviderOptions{Domains: []string{"in.example.com"}},
		Credential:      Credential{Username: "inbound", Secret: "sg-secret-123"},
		Prefix:          "/hooks/email/sendgrid/",
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSendGridSameEventAsSMTP(t *testing.T) {
	for _, tt := range []struct {
		name     string
		build    func(string) ([]byte, string)
		path     string
		basic    bool
		wantSPF  string
		wantDKIM []hooks.AuthVerdict
	}{
		{"parsed, basic auth", sendgridParsed, "/hooks/email/sendgrid/", true, hooks.AuthPass,
			[]hooks.AuthVerdict{{Result: "pass", Domain: "example.net"}}},
		{"raw, secret path", sendgridRaw, "/hooks/email/sendgrid/sg-secret-123", false, hooks.AuthSoftFail,
			[]hooks.AuthVerdict{{Result: "fail", Domain: "example.net"}, {Result: "pass", Domain: "mailer.example"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newEmailEnv(t)
			want := smtpEvent(t, env)
			h := newSendGrid(t, env)
			body, ct := tt.build(env.reg.Address(env.hook))
			w := post(h, tt.path, ct, body, func(r *http.Request) {
				if tt.basic {
					r.SetBasicAuth("inbound", "sg-secret-123")
				}
			})
			if w.Code != http.StatusOK || errCode(t, w) != "" {
				t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body)
			}
			evs := env.trig.all()
			if len(evs) != 1 {
				t.Fatalf("events: got %d, want 1", len(evs))
			}
			sameMessage(t, evs[0], want)
			a := evs[0].Email.Auth
			if a == nil || a.Source != ProviderSendGrid || a.SPF == nil || a.SPF.Result != tt.wantSPF || !reflect.DeepEqual(a.DKIM, tt.wantDKIM) {
				t.Errorf("Auth: got %+v, want SendGrid's SPF %s, DKIM %v", a, tt.wantSPF, tt.wantDKIM)
			}
			if a != nil && !strings.HasPrefix(a.Summary, "sendgrid; spf="+tt.wantSPF) {
				t.Errorf("Summary: got %q", a.Summary)
			}
		})
	}
}

func TestSendGridRefusals(t *testing.T) {
	env := newEmailEnv(t)
	h := newSendGrid(t, env)
	good := func(r *http.Request) { r.SetBasicAuth("inbound", "sg-secret-123") }
	body, ct := sendgridParsed(env.reg.Address(env.hook))
	tests := []struct {
		name     string
		path     string
		ctype    string
		body     []byte
		mod      func(*http.Request)
		want     int
		wantCode string
	}{
		{"no credential", "/hooks/email/sendgrid/", ct, body, nil, 401, errcode.Unauthorized},
		{"wrong password", "/hooks/email/sendgrid/", ct, body, func(r *http.Request) { r.SetBasicAuth("inbound", "nope") }, 401, errcode.Unauthorized},
		{"wrong user", "/hooks/email/sendgrid/", ct, body, func(r *http.Request) { r.SetBasicAuth("admin", "sg-secret-123") }, 401, errcode.Unauthorized},
		{"wrong secret path", "/hooks/email/sendgrid/sg-secret-124", ct, body, nil, 401, errcode.Unauthorized},
		// Refusals of authenticated posts are 200: SendGrid retries anything else.
		{"not a form", "/hooks/email/sendgrid/", "application/json", []byte("{}"), good, 200, errcode.MalformedBody},
		{"no envelope", "/hooks/email/sendgrid/", func() string { _, c := multipartBody(nil); return c }(), func() []byte { b, _ := multipartBody([]formPart{{name: "text", value: []byte("x")}}); return b }(), good, 200, errcode.MalformedBody},
	}
	unknownBody, unknownCT := sendgridParsed("nobody0000000000000000000000000@in.example.com")
	tests = append(tests, struct {
		name     string
		path     string
		ctype    string
		body     []byte
		mod      func(*http.Request)
		want     int
		wantCode string
	}{"unknown hook", "/hooks/email/sendgrid/", unknownCT, unknownBody, good, 200, errcode.NotFound})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := post(h, tt.path, tt.ctype, tt.body, tt.mod)
			if w.Code != tt.want || errCode(t, w) != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, tt.want, tt.wantCode)
			}
		})
	}
	if n := len(env.trig.all()); n != 0 {
		t.Fatalf("events after refusals: got %d, want 0", n)
	}
	t.Run("temporary failure is retried", func(t *testing.T) {
		env.trig.mu.Lock()
		env.trig.err = errTemporary
		env.trig.mu.Unlock()
		defer func() { env.trig.mu.Lock(); env.trig.err = nil; env.trig.mu.Unlock() }()
		w := post(h, "/hooks/email/sendgrid/", ct, body, good)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("got %d %s, want 503", w.Code, w.Body)
		}
	})
}

func TestSendGridPerHookSecret(t *testing.T) {
	env := newEmailEnv(t)
	h, err := NewSendGridHandler(env.p, SendGridOptions{
		ProviderOptions: ProviderOptions{Domains: []string{"in.example.com"}},
		Credential: Credential{HookSecret: func(hk *hooks.Hook) string {
			if hk.ID == env.hook.ID {
				return "hook-secret"
			}
			return ""
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	body, ct := sendgridParsed(env.reg.Address(env.hook))
	w := post(h, "/x", ct, body, func(r *http.Request) { r.SetBasicAuth("any", "other-secret") })
	if w.Code != http.StatusUnauthorized || len(env.trig.all()) != 0 {
		t.Fatalf("wrong per-hook secret: got %d %s with %d events, want 401 and none", w.Code, w.Body, len(env.trig.all()))
	}
	w = post(h, "/x", ct, body, func(r *http.Request) { r.SetBasicAuth("any", "hook-secret") })
	if w.Code != http.StatusOK || len(env.trig.all()) != 1 {
		t.Fatalf("right per-hook secret: got %d %s, want 200 and one event", w.Code, w.Body)
	}
	if _, err := NewSendGridHandler(env.p, SendGridOptions{}); err == nil {
		t.Fatal("a SendGrid handler without any credential was built")
	}
}

func newPostmark(t *testing.T, env *emailEnv) *PostmarkHandler {
	t.Helper()
	h, err := NewPostmarkHandler(env.p, PostmarkOptions{
		ProviderOptions: ProviderOptions{Domains: []string{"in.example.com"}},
		Credential:      Credential{Username: "postmark", Secret: "pm-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPostmarkSameEventAsSMTP(t *testing.T) {
	for _, tt := range []struct {
		name string
		raw  bool
		hash bool // route by MailboxHash (Postmark's own inbound address)
	}{
		{"parsed, own domain", false, false},
		{"parsed, MailboxHash", false, true},
		{"RawEmail", true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newEmailEnv(t)
			want := smtpEvent(t, env)
			h := newPostmark(t, env)
			rcpt, hash := env.reg.Address(env.hook), ""
			if tt.hash {
				rcpt, hash = "a1b2c3d4e5+"+env.hook.Token+"@inbound.postmarkapp.com", env.hook.Token
			}
			w := post(h, "/hooks/email/postmark", "application/json", postmarkJSON(rcpt, hash, tt.raw),
				func(r *http.Request) { r.SetBasicAuth("postmark", "pm-secret") })
			if w.Code != http.StatusOK {
				t.Fatalf("status: got %d, want 200 (%s)", w.Code, w.Body)
			}
			evs := env.trig.all()
			if len(evs) != 1 {
				t.Fatalf("events: got %d, want 1", len(evs))
			}
			got := evs[0]
			if tt.hash {
				// The envelope recipient is Postmark's address, not ours.
				if !reflect.DeepEqual(got.Email.Recipients, []string{rcpt}) {
					t.Errorf("Recipients: got %v, want [%s]", got.Email.Recipients, rcpt)
				}
				c := *got.Email
				c.Recipients = want.Email.Recipients
				g := *got
				g.Email = &c
				d := got.Data.(map[string]any)
				dc := make(map[string]any, len(d))
				for k, v := range d {
					dc[k] = v
				}
				dc["recipients"] = want.Data.(map[string]any)["recipients"]
				g.Data = dc
				got = &g
			}
			sameMessage(t, got, want)
			a := evs[0].Email.Auth
			if a == nil || a.Source != ProviderPostmark || a.SPF == nil || a.SPF.Result != hooks.AuthPass ||
				a.SPF.Domain != "example.net" || a.DMARC == nil || a.DMARC.Result != hooks.AuthPass ||
				len(a.DKIM) != 1 || a.DKIM[0].Domain != "example.net" {
				t.Errorf("Auth: got %+v, want Postmark's spf, dkim and dmarc pass", a)
			}
		})
	}
}

func TestPostmarkRefusals(t *testing.T) {
	env := newEmailEnv(t)
	h := newPostmark(t, env)
	good := func(r *http.Request) { r.SetBasicAuth("postmark", "pm-secret") }
	body := postmarkJSON(env.reg.Address(env.hook), "", false)
	tests := []struct {
		name     string
		ctype    string
		body     []byte
		mod      func(*http.Request)
		want     int
		wantCode string
	}{
		{"no credential", "application/json", body, nil, 401, errcode.Unauthorized},
		{"wrong credential", "application/json", body, func(r *http.Request) { r.SetBasicAuth("postmark", "x") }, 401, errcode.Unauthorized},
		{"not JSON", "application/json", []byte("<xml/>"), good, 403, errcode.MalformedBody},
		{"wrong type", "text/plain", body, good, 403, errcode.UnsupportedMedia},
		{"unknown hook", "application/json", postmarkJSON("nobody0000000000000000000000000@in.example.com", "", false), good, 403, errcode.NotFound},
		{"bad attachment", "application/json", bytes.Replace(body, []byte(`"Content":"`), []byte(`"Content":"!!!`), 1), good, 403, errcode.MalformedBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := post(h, "/hooks/email/postmark", tt.ctype, tt.body, tt.mod)
			if w.Code != tt.want || errCode(t, w) != tt.wantCode {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, tt.want, tt.wantCode)
			}
		})
	}
	if n := len(env.trig.all()); n != 0 {
		t.Fatalf("events after refusals: got %d, want 0", n)
	}
	t.Run("too large", func(t *testing.T) {
		small, err := NewPostmarkHandler(env.p, PostmarkOptions{
			ProviderOptions: ProviderOptions{Domains: []string{"in.example.com"}, MaxMessageBytes: 512},
			Credential:      Credential{Secret: "pm-secret"},
		})
		if err != nil {
			t.Fatal(err)
		}
		w := post(small, "/hooks/email/postmark", "application/json", body, good)
		if w.Code != http.StatusForbidden || errCode(t, w) != errcode.PayloadTooLarge {
			t.Fatalf("got %d %s, want 403 payload_too_large", w.Code, w.Body)
		}
	})
	t.Run("temporary failure is retried", func(t *testing.T) {
		env.trig.mu.Lock()
		env.trig.err = errTemporary
		env.trig.mu.Unlock()
		defer func() { env.trig.mu.Lock(); env.trig.err = nil; env.trig.mu.Unlock() }()
		w := post(h, "/hooks/email/postmark", "application/json", body, good)
		if w.Code != http.StatusServiceUnavailable {
			t.Fatalf("got %d %s, want 503", w.Code, w.Body)
		}
	})
}

var errTemporary = errorString("trigger temporarily down")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestRebuiltMessageBodies checks that a message rebuilt from parsed
// fields reads back with the bodies of the original, beside what the
// Event shows.
func TestRebuiltMessageBodies(t *testing.T) {
	x := testExtractor(t)
	orig, err := x.ReadMessage(strings.NewReader(fxRaw()))
	if err != nil {
		t.Fatal(err)
	}
	mgBody, mgCT := mailgunParsed("h@in.example.com", mailgunSign(testSigningKey, fixedNow, "t"))
	mgForm, err := readPostForm(mgCT, mgBody)
	if err != nil {
		t.Fatal(err)
	}
	mg, herr := parseMailgun(mgForm)
	if herr != nil {
		t.Fatal(herr)
	}
	sgBody, sgCT := sendgridParsed("h@in.example.com")
	sgForm, err := readPostForm(sgCT, sgBody)
	if err != nil {
		t.Fatal(err)
	}
	sg, herr := parseSendGrid(sgForm)
	if herr != nil {
		t.Fatal(herr)
	}
	pm, herr := parsePostmark(postmarkJSON("h@in.example.com", "", false), nil)
	if herr != nil {
		t.Fatal(herr)
	}
	for name, raw := range map[string][]byte{"mailgun": mg.raw, "sendgrid": sg.raw, "postmark": pm.raw} {
		got, err := x.ReadMessage(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.HTML != orig.HTML || got.Text != orig.Text {
			t.Errorf("%s: bodies differ:\nhtml %q\nwant %q\ntext %q\nwant %q", name, got.HTML, orig.HTML, got.Text, orig.Text)
		}
		if !bytes.Contains(raw, []byte("filename="+fxAttName)) && !bytes.Contains(raw, []byte(`filename="`+fxAttName+`"`)) {
			t.Errorf("%s: the attachment is missing from the rebuilt message:\n%s", name, raw)
		}
	}
}

// interactions is a hooks.Recorder that keeps what it is given.
type interactions struct {
	mu   sync.Mutex
	list []*hooks.Interaction
}

func (r *interactions) Record(_ context.Context, in *hooks.Interaction) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.list = append(r.list, in)
}

func TestSendGridSecretPathNotRecorded(t *testing.T) {
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{BaseURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &interactions{}
	trig := &recorder{}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: hooks.Sync(trig), Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	h, err := NewSendGridHandler(p, SendGridOptions{ProviderOptions: ProviderOptions{Domains: []string{"in.example.com"}},
		Credential: Credential{Secret: "path-secret-42"}, Prefix: "/hooks/email/sendgrid/"})
	if err != nil {
		t.Fatal(err)
	}
	hk, err := reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: KindName})
	if err != nil {
		t.Fatal(err)
	}
	on := true
	if hk, err = reg.Update(ctx, "", hk.ID, hooks.HookUpdate{Debug: &on}); err != nil {
		t.Fatal(err)
	}
	body, ct := sendgridRaw(reg.Address(hk))
	if w := post(h, "/hooks/email/sendgrid/path-secret-42", ct, body, nil); w.Code != http.StatusOK {
		t.Fatalf("got %d %s, want 200", w.Code, w.Body)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.list) != 1 {
		t.Fatalf("interactions: got %d, want 1", len(rec.list))
	}
	if got := rec.list[0].Path; strings.Contains(got, "path-secret-42") || got != "/hooks/email/sendgrid/"+hooks.Redacted {
		t.Errorf("recorded path: got %q, want the secret redacted", got)
	}
}
