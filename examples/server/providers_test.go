package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
)

const providerMessage = "From: Shop <shop@example.net>\r\nTo: customer@example.org\r\nSubject: Order 77\r\n" +
	"Message-ID: <order-77@example.net>\r\nDate: Fri, 27 Nov 2026 08:00:00 +0000\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/html; charset=utf-8\r\n\r\n" +
	`<script type="application/ld+json">{"@context":"https://schema.org","@type":"Order","orderNumber":"77"}</script>` + "\r\n"

// TestProviderEndpoints posts one message through each provider endpoint
// the demo mounts, and XML (a bomb, then a good document) to a form hook.
func TestProviderEndpoints(t *testing.T) {
	stdout := &syncBuffer{}
	cfg := config{Data: filepath.Join(t.TempDir(), "inbound.db"), Delivery: "sync", EmailDomain: "in.localhost",
		AdminToken: "admin-secret", BaseURL: "http://localhost", Stdout: stdout, Logger: slog.New(slog.DiscardHandler),
		Providers: providerConfig{MailgunSigningKey: "mg-key", SendGridSecret: "sg-secret", PostmarkSecret: "pm-secret"}}
	s, err := newServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	mail, err := s.reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: emailhook.KindName})
	if err != nil {
		t.Fatal(err)
	}
	rcpt := s.reg.Address(mail)
	form := func(fields map[string]string) ([]byte, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, v := range fields {
			_ = mw.WriteField(k, v)
		}
		_ = mw.Close()
		return b.Bytes(), mw.FormDataContentType()
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte("mg-key"))
	mac.Write([]byte(ts + "tok-1"))
	mgBody, mgCT := form(map[string]string{"recipient": rcpt, "sender": "b@example.net", "body-mime": providerMessage,
		"timestamp": ts, "token": "tok-1", "signature": hex.EncodeToString(mac.Sum(nil))})
	env, _ := json.Marshal(map[string]any{"to": []string{rcpt}, "from": "b@example.net"})
	sgBody, sgCT := form(map[string]string{"email": providerMessage, "envelope": string(env), "SPF": "pass"})
	pmBody, _ := json.Marshal(map[string]any{"OriginalRecipient": rcpt, "RawEmail": providerMessage,
		"FromFull": map[string]string{"Email": "shop@example.net"}})
	h := s.Handler()
	for _, tt := range []struct {
		name, path, ct string
		body           []byte
		basic          string
		want           int
	}{
		{"mailgun", "/hooks/email/mailgun/mime", mgCT, mgBody, "", 200},
		{"mailgun replay", "/hooks/email/mailgun", mgCT, mgBody, "", 406},
		{"sendgrid secret path", "/hooks/email/sendgrid/sg-secret", sgCT, sgBody, "", 200},
		{"sendgrid wrong secret", "/hooks/email/sendgrid/nope", sgCT, sgBody, "", 401},
		{"postmark", "/hooks/email/postmark", "application/json", pmBody, "pm-secret", 200},
		{"postmark no credential", "/hooks/email/postmark", "application/json", pmBody, "", 401},
	} {
		r := httptest.NewRequest(http.MethodPost, tt.path, bytes.NewReader(tt.body))
		r.Header.Set("Content-Type", tt.ct)
		if tt.basic != "" {
			r.SetBasicAuth("inbound", tt.basic)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s: got %d %s, want %d", tt.name, w.Code, w.Body, tt.want)
		}
	}
	lines := eventLines(t, stdout)
	if len(lines) != 3 {
		t.Fatalf("event lines: got %d, want 3 (one per provider)", len(lines))
	}
	for _, l := range lines {
		if l.Email == nil || len(l.Email.Objects) != 1 || l.Email.Objects[0]["orderNumber"] != "77" {
			t.Errorf("event %s: got email %+v, want the Order 77", l.ID, l.Email)
		}
	}

	fh, err := s.reg.Create(ctx, "", hooks.HookSpec{Name: "XML form", Kind: formhook.KindName})
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(s.reg.Address(fh), "http://localhost")
	bomb := `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><l>&b;</l>`
	for _, tt := range []struct {
		body, code string
		want       int
	}{
		{bomb, errcode.XMLDTD, 400},
		{strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100), errcode.TooDeep, 400},
		{`<order id="7"><item>1</item><item>2</item></order>`, "", 202},
	} {
		r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/xml")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var eb hooks.ErrorBody
		_ = json.Unmarshal(w.Body.Bytes(), &eb)
		if w.Code != tt.want || eb.Error.Code != tt.code {
			t.Errorf("XML %.30q: got %d %s, want %d %s", tt.body, w.Code, w.Body, tt.want, tt.code)
		}
	}
	lines = eventLines(t, stdout)
	if got, _ := json.Marshal(lines[len(lines)-1].Data); string(got) != `{"order":{"@id":"7","item":["1","2"]}}` {
		t.Errorf("XML event data: got %s", got)
	}
}
