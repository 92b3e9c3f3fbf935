package emailhook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

const orderScript = `<script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"77"}</script>`

// crlf turns the \n of a readable literal into the \r\n of mail.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// TestReadMessageLiberal reads messages that are sloppy but readable: each
// keeps its headers and the parts that can be read, and says what it
// skipped in a warning.
func TestReadMessageLiberal(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		text     string      // want this text body ("" for none)
		order    bool        // want the Order of orderScript
		warnKind WarningKind // want a warning of this kind
		attach   int         // want this many attachments
	}{
		{
			name: "truncated multipart",
			in: `From: Shop <orders@shop.example>
Subject: cut
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html

<p>Hi</p>` + orderScript + `
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename=invoice.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK`,
			order: true, warnKind: WarnTruncated,
		},
		{
			name: "bad base64 in one part",
			in: `From: orders@shop.example
Subject: bad base64
Content-Type: multipart/alternative; boundary=b

--b
Content-Type: text/plain
Content-Transfer-Encoding: base64

!!!! not base64 ****
--b
Content-Type: text/html

` + orderScript + `
--b--
`,
			order: true, warnKind: WarnBrokenPart,
		},
		{
			name: "unknown transfer encoding in one part",
			in: `From: orders@shop.example
Subject: uuencoded
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Your order.
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: x-uuencode

begin 644 a.bin
end
--b
Content-Type: text/html

` + orderScript + `
--b--
`,
			text: "Your order.", order: true, warnKind: WarnBrokenPart,
		},
		{
			name: "unknown transfer encoding of the whole message",
			in: `From: orders@shop.example
Subject: headers only
Content-Type: text/plain
Content-Transfer-Encoding: x-secret

garbled`,
			warnKind: WarnBrokenPart,
		},
		{
			name: "multipart without boundary",
			in: `From: orders@shop.example
Subject: no boundary
Content-Type: multipart/mixed

--b
`,
			warnKind: WarnTruncated,
		},
		{
			name: "broken attachment beside good ones",
			in: `From: orders@shop.example
Subject: three files
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

Files attached.
--b
Content-Type: text/csv
Content-Disposition: attachment; filename=a.csv

a,b
--b
Content-Type: image/png
Content-Disposition: attachment; filename=b.png
Content-Transfer-Encoding: base64

iVBORw0K$$$$GgoAAAANSUhEUg==
--b
Content-Type: application/json
Content-Disposition: attachment; filename=c.json

{"ok":true}
--b--
`,
			text: "Files attached.", warnKind: WarnBrokenPart, attach: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := ReadMessage(strings.NewReader(crlf(tt.in)))
			if err != nil {
				t.Fatalf("got error %v, want the readable parts kept", err)
			}
			if msg.From == nil || msg.From[0].Address != "orders@shop.example" || msg.Subject == "" {
				t.Errorf("got From %v, Subject %q, want the headers read", msg.From, msg.Subject)
			}
			if got := strings.TrimSpace(msg.Text); got != tt.text {
				t.Errorf("got text %q, want %q", got, tt.text)
			}
			gotOrder := len(msg.Objects) == 1 && msg.Objects[0]["orderNumber"] == "77"
			if gotOrder != tt.order {
				t.Errorf("got objects %v, want the order: %v", msg.Objects, tt.order)
			}
			if !slices.ContainsFunc(msg.Warnings, func(w Warning) bool { return w.Kind == tt.warnKind }) {
				t.Errorf("got warnings %v, want one of kind %q", msg.Warnings, tt.warnKind)
			}
			if len(msg.Attachments) != tt.attach {
				t.Errorf("got %d attachments, want %d", len(msg.Attachments), tt.attach)
			}
		})
	}
}

// TestReadMessageRefused: what has no readable header is still refused.
func TestReadMessageRefused(t *testing.T) {
	for _, in := range []string{"", "\r\n\r\nbody only", "this is not a header\r\n\r\nbody"} {
		if _, err := ReadMessage(strings.NewReader(in)); !errors.Is(err, ErrMalformedMessage) {
			t.Errorf("%q: got %v, want ErrMalformedMessage", in, err)
		}
	}
}

const fullMessage = `From: "Ada Lovelace" <ada@example.com>
Reply-To: Support <help@shop.example>, billing@shop.example
To: orders@shop.example
Subject: Re: your order
Message-ID: <reply-1@example.com>
In-Reply-To: <order-1@shop.example>
References: <order-0@shop.example> <order-1@shop.example>
Date: Fri, 27 Nov 2026 08:00:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/related; boundary=rel

--rel
Content-Type: multipart/alternative; boundary=alt

--alt
Content-Type: text/plain; charset=utf-8

Thanks, see the logo.
--alt
Content-Type: text/html; charset=utf-8

<p>Thanks <img src="cid:logo@shop"></p>` + orderScript + `
--alt--
--rel
Content-Type: image/png
Content-ID: <logo@shop>
Content-Disposition: inline
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
--outer
Content-Type: text/csv; charset=iso-8859-1; name="ignored.csv"
Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv
Content-Transfer-Encoding: quoted-printable

caf=E9,1
--outer--
`

func TestReadMessageComplete(t *testing.T) {
	msg, err := ReadMessage(strings.NewReader(crlf(fullMessage)))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.From) != 1 || msg.From[0].Name != "Ada Lovelace" || msg.From[0].Address != "ada@example.com" {
		t.Errorf("got From %v, want Ada Lovelace <ada@example.com>", msg.From)
	}
	if len(msg.ReplyTo) != 2 || msg.ReplyTo[0].Address != "help@shop.example" || msg.ReplyTo[1].Address != "billing@shop.example" {
		t.Errorf("got Reply-To %v, want help@ and billing@", msg.ReplyTo)
	}
	if !slices.Equal(msg.InReplyTo, []string{"order-1@shop.example"}) {
		t.Errorf("got In-Reply-To %q", msg.InReplyTo)
	}
	if !slices.Equal(msg.References, []string{"order-0@shop.example", "order-1@shop.example"}) {
		t.Errorf("got References %q", msg.References)
	}
	if !strings.Contains(msg.Text, "see the logo") || !strings.Contains(msg.HTML, "cid:logo@shop") {
		t.Errorf("got text %q, html %q", msg.Text, msg.HTML)
	}
	if len(msg.Attachments) != 2 {
		t.Fatalf("got attachments %+v, want the logo and the csv", msg.Attachments)
	}
	logo, csv := msg.Attachments[0], msg.Attachments[1]
	if logo.ContentID != "logo@shop" || !logo.Inline || logo.ContentType != "image/png" || string(logo.Content) != "\x89PNG\r\n\x1a\n" {
		t.Errorf("got logo %+v", logo)
	}
	if csv.Name != "résumé.csv" || csv.Inline || string(csv.Content) != "café,1" ||
		!strings.HasPrefix(csv.ContentType, "text/csv") || !strings.Contains(csv.ContentType, "charset=utf-8") {
		t.Errorf("got csv %+v (content %q), want résumé.csv converted to UTF-8", csv, csv.Content)
	}

	email, files := messageToEmail(msg, []string{"tok@in.example"})
	if email.From != "ada@example.com" || email.FromName != "Ada Lovelace" ||
		!slices.Equal(email.ReplyTo, []string{"help@shop.example", "billing@shop.example"}) ||
		len(email.References) != 2 || email.InReplyTo[0] != "order-1@shop.example" {
		t.Errorf("got email %+v", email)
	}
	if email.Text == "" || email.HTML == "" || email.BodiesTruncated {
		t.Errorf("got bodies %q %q truncated=%v", email.Text, email.HTML, email.BodiesTruncated)
	}
	if len(email.Objects) != 1 {
		t.Errorf("got objects %v, want the Order", email.Objects)
	}
	if len(files) != 2 {
		t.Fatalf("got files %+v", files)
	}
	sum := sha256.Sum256([]byte("café,1"))
	want := hooks.File{Field: "attachments", Name: "résumé.csv", ContentType: files[1].ContentType, Size: 7,
		SHA256: hex.EncodeToString(sum[:]), Content: []byte("café,1")}
	if f := files[1]; f.Field != want.Field || f.Name != want.Name || f.Size != want.Size || f.SHA256 != want.SHA256 || string(f.Content) != string(want.Content) {
		t.Errorf("got file %+v, want %+v", f, want)
	}
	if files[0].ContentID != "logo@shop" || !files[0].Inline {
		t.Errorf("got logo file %+v", files[0])
	}
	// The objects are in the Email alone; Data has the header fields.
	data := emailData(email)
	if _, ok := data["objects"]; ok {
		t.Errorf("data holds the objects too: %v", data)
	}
	if data["from_name"] != "Ada Lovelace" || data["subject"] != "Re: your order" {
		t.Errorf("got data %v", data)
	}
}

func TestEmailBodiesCapped(t *testing.T) {
	long := strings.Repeat("é", maxEmailBodyBytes) // 2 bytes each
	in := "From: a@example.com\r\nSubject: long\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + long
	msg, err := ReadMessage(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	email, _ := messageToEmail(msg, nil)
	if !email.BodiesTruncated || len(email.Text) > maxEmailBodyBytes || len(email.Text) < maxEmailBodyBytes-1 {
		t.Errorf("got %d bytes, truncated=%v, want at most %d and the flag", len(email.Text), email.BodiesTruncated, maxEmailBodyBytes)
	}
	if !strings.HasSuffix(email.Text, "é") {
		t.Errorf("the cut split a character: %q", email.Text[len(email.Text)-4:])
	}
}

func TestReadMessageTooManyAttachments(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n")
	for i := 0; i < MaxAttachments+5; i++ {
		b.WriteString("--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment\r\n\r\nx\r\n")
	}
	b.WriteString("--b--\r\n")
	msg, err := ReadMessage(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Attachments) != MaxAttachments {
		t.Errorf("got %d attachments, want %d", len(msg.Attachments), MaxAttachments)
	}
	if !slices.ContainsFunc(msg.Warnings, func(w Warning) bool { return w.Kind == WarnTooManyParts }) {
		t.Errorf("got warnings %v, want WarnTooManyParts", msg.Warnings)
	}
}

// TestHandlerKeepsReadableMail: over HTTP, a message with one broken part
// is accepted (not 400) and its event carries the rest and a warning.
func TestHandlerKeepsReadableMail(t *testing.T) {
	env := newEmailEnv(t)
	h, err := NewHandler(env.p, HandlerOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	in := crlf(`From: Shop <orders@shop.example>
Subject: one broken part
Message-ID: <broken-1@shop.example>
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html

` + orderScript + `
--b
Content-Type: application/pdf
Content-Disposition: attachment; filename=bad.pdf
Content-Transfer-Encoding: base64

@@@@
--b
Content-Type: text/plain
Content-Disposition: attachment; filename=notes.txt

fine
--b--
`)
	r := httptest.NewRequest("POST", "/hooks/email", strings.NewReader(in))
	r.Header.Set("Content-Type", "message/rfc822")
	r.Header.Set(RecipientHeader, env.reg.Address(env.hook))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", w.Code, w.Body)
	}
	evs := env.trig.all()
	if len(evs) != 1 {
		t.Fatalf("got %d events", len(evs))
	}
	e := evs[0]
	if e.Email.FromName != "Shop" || len(e.Email.Objects) != 1 {
		t.Errorf("got email %+v", e.Email)
	}
	if len(e.Files) != 1 || e.Files[0].Name != "notes.txt" || string(e.Files[0].Content) != "fine" {
		t.Errorf("got files %+v, want notes.txt only", e.Files)
	}
	if !slices.ContainsFunc(e.Email.Warnings, func(w string) bool { return strings.Contains(w, string(WarnBrokenPart)) }) {
		t.Errorf("got warnings %q, want the skipped part", e.Email.Warnings)
	}
	if ws, _ := e.Data.(map[string]any)["warnings"].([]any); len(ws) == 0 {
		t.Errorf("data %v has no warnings for the debug log", e.Data)
	}
}

// TestSMTPKeepsReadableMail: over SMTP, a message with an unknown transfer
// encoding in one part is taken (250, not 554 5.6.0).
func TestSMTPKeepsReadableMail(t *testing.T) {
	env := newEmailEnv(t)
	addr := startSMTP(t, env.p, SMTPOptions{Domains: []string{"in.example.com"}})
	msg := crlf(`From: orders@shop.example
To: customer@example.org
Subject: uuencoded part
Message-ID: <uu-1@shop.example>
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/html

` + orderScript + `
--b
Content-Type: application/octet-stream
Content-Transfer-Encoding: x-uuencode

begin 644 a.bin
end
--b--
`)
	if err := smtp.SendMail(addr, nil, "orders@shop.example", []string{env.reg.Address(env.hook)}, []byte(msg)); err != nil {
		t.Fatalf("got %v, want the message taken", err)
	}
	evs := env.trig.all()
	if len(evs) != 1 || len(evs[0].Email.Objects) != 1 || len(evs[0].Email.Warnings) == 0 {
		t.Fatalf("got events %+v, want one with the order and a warning", evs)
	}
}

// recorderFunc adapts a function to a hooks.Recorder.
type recorderFunc func(*hooks.Interaction)

func (f recorderFunc) Record(_ context.Context, in *hooks.Interaction) { f(in) }

// TestDebugLogShowsSkippedPart: the debug log of a hook with debug on
// records the warning about a skipped part with the accepted interaction.
func TestDebugLogShowsSkippedPart(t *testing.T) {
	ctx := context.Background()
	st := memstore.New()
	t.Cleanup(func() { st.Close() })
	reg, err := hooks.NewRegistry(st, hooks.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu  sync.Mutex
		ins []*hooks.Interaction
	)
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{
		Delivery: hooks.Sync(hooks.TriggerFunc(func(context.Context, *hooks.Event) error { return nil })),
		Recorder: recorderFunc(func(in *hooks.Interaction) { mu.Lock(); ins = append(ins, in); mu.Unlock() }),
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewHandler(p, HandlerOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: KindName})
	if err != nil {
		t.Fatal(err)
	}
	debug := true
	if _, err := reg.Update(ctx, "", hook.ID, hooks.HookUpdate{Debug: &debug}); err != nil {
		t.Fatal(err)
	}
	in := crlf("From: a@shop.example\nSubject: x\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n####\n")
	r := httptest.NewRequest("POST", "/hooks/email", strings.NewReader(in))
	r.Header.Set("Content-Type", "message/rfc822")
	r.Header.Set(RecipientHeader, reg.Address(hook))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", w.Code, w.Body)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ins) != 1 || ins[0].Outcome != hooks.OutcomeAccepted {
		t.Fatalf("got interactions %+v, want one accepted", ins)
	}
	ws, _ := ins[0].Data.(map[string]any)["warnings"].([]any)
	if len(ws) == 0 || !strings.Contains(ws[0].(string), string(WarnBrokenPart)) {
		t.Errorf("debug log data %v has no warning about the skipped part", ins[0].Data)
	}
}
