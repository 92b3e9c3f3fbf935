package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/emailhook"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/webhook"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func startServer(t *testing.T, delivery string) (*server, string, string, *syncBuffer, *syncBuffer) {
	t.Helper()
	return startServerWith(t, delivery, nil)
}

// startServerWith is startServer with edit applied to the configuration
// (when not nil) before the server is built.
func startServerWith(t *testing.T, delivery string, edit func(*config)) (*server, string, string, *syncBuffer, *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("no loopback listener: %v", err)
	}
	smtpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("no loopback listener: %v", err)
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cfg := config{Addr: ln.Addr().String(), Data: filepath.Join(t.TempDir(), "inbound.db"), Delivery: delivery,
		EmailDomain: "in.localhost", AdminToken: "admin-secret", SMTPAddr: smtpLn.Addr().String(), Seed: true,
		Stdout: stdout, Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	cfg.BaseURL = baseURLFor(cfg.Addr)
	if edit != nil {
		edit(&cfg)
	}
	s, err := newServer(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, s, ln, smtpLn, stderr, false) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = s.Close()
	})
	return s, cfg.BaseURL, smtpLn.Addr().String(), stdout, stderr
}

// eventLines parses stdout, failing on any line that is not an event.
func eventLines(t *testing.T, stdout *syncBuffer) []hooks.Event {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	var lines []hooks.Event
	for sc.Scan() {
		var l hooks.Event
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line %q is not an event: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	return lines
}

func waitLines(t *testing.T, stdout *syncBuffer, n int) []hooks.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lines := eventLines(t, stdout)
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServerEndToEnd(t *testing.T) {
	for _, delivery := range []string{"queue", "sync"} {
		t.Run(delivery, func(t *testing.T) { testEndToEnd(t, delivery) })
	}
}

func testEndToEnd(t *testing.T, delivery string) {
	s, base, smtpAddr, stdout, stderr := startServer(t, delivery)
	ctx := context.Background()
	// Wait for the start banner, which carries the seeded key.
	var key string
	for deadline := time.Now().Add(5 * time.Second); key == "" && time.Now().Before(deadline); {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(line, `API key    "demo"`) {
				key = line[strings.LastIndexByte(line, ' ')+1:]
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	if key == "" {
		t.Fatalf("no key in the banner: %s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "curl --data-urlencode") {
		t.Errorf("banner lacks curl lines: %s", stderr.String())
	}
	hs, err := s.reg.List(ctx, "")
	if err != nil || len(hs) != 3 {
		t.Fatalf("got %d hooks (%v), want 3 seeded", len(hs), err)
	}
	form, web, mail := s.reg.Address(hs[0]), s.reg.Address(hs[1]), s.reg.Address(hs[2])
	if !strings.HasPrefix(form, base+"/hooks/form/") || !strings.HasPrefix(web, base+"/hooks/web/") || !strings.HasSuffix(mail, "@in.localhost") {
		t.Fatalf("got addresses %s %s %s under %s", form, web, mail, base)
	}
	do := func(method, url, ct, auth, body string) (int, string) {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return resp.StatusCode, string(b)
	}
	msg := "From: shop@example.net\r\nTo: ada@example.org\r\nSubject: Order 7\r\nMessage-ID: <o7@example.net>\r\n" +
		"Content-Type: text/html\r\n\r\n<script type=\"application/ld+json\">{\"@type\":\"Order\",\"orderNumber\":\"7\"}</script>\r\n"
	tests := []struct {
		name, method, url, ct, auth, body string
		status                            int
	}{
		{"form", "POST", form, "application/x-www-form-urlencoded", "", "message=Hello%2C+world", 202},
		{"webhook", "POST", web, "application/json", key, `{"order":42}`, 202},
		{"webhook without key", "POST", web, "application/json", "", `{"order":42}`, 401},
		{"form on web path", "POST", strings.Replace(form, "/form/", "/web/", 1), "application/json", key, `{}`, 404},
		{"email over HTTP", "POST", base + "/hooks/email?recipient=" + mail, "message/rfc822", "", msg, 202},
		{"admin without token", "GET", base + "/admin/hooks", "", "", "", 401},
		{"admin list", "GET", base + "/admin/hooks", "", "admin-secret", "", 200},
		{"admin page", "GET", base + "/admin/", "", "", "", 200},
		{"contact page", "GET", base + "/contact/", "", "", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := do(tt.method, tt.url, tt.ct, tt.auth, tt.body); got != tt.status {
				t.Fatalf("got %d %s, want %d", got, body, tt.status)
			}
		})
	}
	// The Bcc case over SMTP: the hook is only in RCPT TO.
	if err := smtp.SendMail(smtpAddr, nil, "shop@example.net", []string{mail}, []byte(strings.Replace(msg, "o7@", "o8@", 1))); err != nil {
		t.Fatalf("SMTP: %v", err)
	}
	if code, body := do("GET", base+"/admin/events?state=dead", "", "admin-secret", ""); delivery == "queue" && code != 200 {
		t.Errorf("admin events: got %d %s", code, body)
	}
	// Stdout carries exactly the four accepted events, one JSON line each.
	lines := waitLines(t, stdout, 4)
	if len(lines) != 4 {
		t.Fatalf("got %d stdout lines, want 4: %s", len(lines), stdout.String())
	}
	kinds := map[hooks.Kind]int{}
	for _, l := range lines {
		kinds[l.HookKind]++
		if l.HookKind == formhook.KindName && l.Data.(map[string]any)["message"] != "Hello, world" {
			t.Errorf("form line %+v", l)
		}
		if l.HookKind == emailhook.KindName && (l.Email == nil || len(l.Email.Objects) != 1) {
			t.Errorf("email line %+v", l)
		}
	}
	if kinds[formhook.KindName] != 1 || kinds[webhook.KindName] != 1 || kinds[emailhook.KindName] != 2 {
		t.Errorf("got kinds %v, want form 1, web 1, email 2", kinds)
	}
	// Prometheus exposition of the library's OpenTelemetry metrics. The
	// fired counter is bumped after Fire returns, so an event line can be
	// printed a moment before it counts: read again until every line is
	// there or a deadline passes.
	wants := []string{
		`inbound_events_received_total{inbound_hook_kind="form"} 1`,
		`inbound_events_rejected_total{inbound_hook_kind="web",inbound_reason="unauthorized"} 1`,
		`inbound_events_fired_total{inbound_hook_kind="email"} 2`,
		`inbound_ingest_duration_seconds_count{inbound_hook_kind="web"} 2`,
	}
	var metrics string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var code int
		code, metrics = do("GET", base+"/metrics", "", "", "")
		if code != 200 {
			t.Fatalf("/metrics: got %d", code)
		}
		if !slices.ContainsFunc(wants, func(w string) bool { return !strings.Contains(metrics, w) }) || time.Now().After(deadline) {
			break
		}
	}
	for _, want := range wants {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if delivery == "queue" && !strings.Contains(metrics, "inbound_queue_depth") {
		t.Errorf("/metrics lacks the queue depth")
	}
}

func TestLineTriggerOmitsContent(t *testing.T) {
	var buf bytes.Buffer
	tr := &lineTrigger{w: &buf}
	e := &hooks.Event{ID: "e1", HookID: "h1", HookKind: formhook.KindName, Data: map[string]any{"a": "1"},
		Raw: []byte("secret-raw"), Files: []hooks.File{{Field: "f", Name: "x.txt", ContentType: "text/plain", Size: 3,
			SHA256: "ab", Content: []byte("secret-content")}}}
	if err := tr.Fire(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"secret-raw", "secret-content", "c2VjcmV0"} {
		if strings.Contains(out, bad) {
			t.Errorf("line contains %q: %s", bad, out)
		}
	}
	if !strings.Contains(out, `"files":[{"field":"f","name":"x.txt","content_type":"text/plain","size":3,"sha256":"ab"}]`) {
		t.Errorf("line lacks file metadata: %s", out)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("got %q, want one line", out)
	}
}

func TestBaseURLFor(t *testing.T) {
	for addr, want := range map[string]string{
		":8080": "http://localhost:8080", "0.0.0.0:9000": "http://localhost:9000",
		"127.0.0.1:1": "http://127.0.0.1:1", "[::1]:80": "http://[::1]:80", "bad": "http://localhost:8080",
	} {
		if got := baseURLFor(addr); got != want {
			t.Errorf("baseURLFor(%q): got %q, want %q", addr, got, want)
		}
	}
}

// TestHelpExitsZero: -h prints the usage and exits 0; a bad flag exits 1.
func TestHelpExitsZero(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		usage bool
		want  int
	}{
		{[]string{"-h"}, true, 0},
		{[]string{"-help"}, true, 0},
		{[]string{"-no-such-flag"}, true, 1},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), tc.args, io.Discard, &stderr, func(string) string { return "" })
		if got := exitStatus(err, &stderr); got != tc.want {
			t.Errorf("%v: exit status %d, want %d (stderr %q)", tc.args, got, tc.want, stderr.String())
		}
		if tc.usage && !strings.Contains(stderr.String(), "-addr") {
			t.Errorf("%v: no usage printed: %q", tc.args, stderr.String())
		}
	}
}
