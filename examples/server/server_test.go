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
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
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

func startServer(t *testing.T) (*server, string, *syncBuffer, *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skipf("no loopback listener: %v", err)
	}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	cfg := config{Addr: ln.Addr().String(), Data: filepath.Join(t.TempDir(), "inbound.db"),
		EmailDomain: "in.localhost", Stdout: stdout, Logger: slog.New(slog.NewTextHandler(stderr, nil))}
	cfg.BaseURL = baseURLFor(cfg.Addr)
	s, err := newServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, s, ln, stderr, true) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = s.Close()
	})
	return s, cfg.BaseURL, stdout, stderr
}

func TestServerEndToEnd(t *testing.T) {
	s, base, stdout, stderr := startServer(t)
	ctx := context.Background()
	// Wait for the start banner, which carries the seeded key.
	var key string
	for deadline := time.Now().Add(5 * time.Second); key == "" && time.Now().Before(deadline); {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if strings.Contains(line, `API key   "demo"`) {
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
	if err != nil || len(hs) != 2 {
		t.Fatalf("got %d hooks (%v), want 2 seeded", len(hs), err)
	}
	form, web := s.reg.Address(hs[0]), s.reg.Address(hs[1])
	if !strings.HasPrefix(form, base+"/hooks/form/") || !strings.HasPrefix(web, base+"/hooks/web/") {
		t.Fatalf("got addresses %s %s under %s", form, web, base)
	}
	post := func(url, ct, auth, body string) (int, string) {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
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
	tests := []struct {
		name, url, ct, auth, body string
		status                    int
	}{
		{"form", form, "application/x-www-form-urlencoded", "", "message=Hello%2C+world", 202},
		{"webhook", web, "application/json", key, `{"order":42}`, 202},
		{"webhook without key", web, "application/json", "", `{"order":42}`, 401},
		{"form on web path", strings.Replace(form, "/form/", "/web/", 1), "application/json", key, `{}`, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, body := post(tt.url, tt.ct, tt.auth, tt.body); got != tt.status {
				t.Fatalf("got %d %s, want %d", got, body, tt.status)
			}
		})
	}
	// Stdout carries exactly the two accepted events, one JSON line each.
	sc := bufio.NewScanner(strings.NewReader(stdout.String()))
	var lines []eventLine
	for sc.Scan() {
		var l eventLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("stdout line %q is not an event: %v", sc.Text(), err)
		}
		lines = append(lines, l)
	}
	if len(lines) != 2 {
		t.Fatalf("got %d stdout lines, want 2: %s", len(lines), stdout.String())
	}
	if lines[0].Kind != hooks.KindForm || lines[0].Data.(map[string]any)["message"] != "Hello, world" {
		t.Errorf("got first line %+v", lines[0])
	}
	if lines[1].Kind != hooks.KindWeb || lines[1].HookName != "Orders" || lines[1].ID == "" || lines[1].HookID == "" {
		t.Errorf("got second line %+v", lines[1])
	}
}

func TestLineTriggerOmitsContent(t *testing.T) {
	var buf bytes.Buffer
	tr := &lineTrigger{w: &buf}
	e := &hooks.Event{ID: "e1", HookID: "h1", HookKind: hooks.KindForm, Data: map[string]any{"a": "1"},
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

func TestCommands(t *testing.T) {
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "x.db")
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"create-hook", "-data", data, "-kind", "web", "-name", "Orders"}, &out, &errb, func(string) string { return "" }); err != nil {
		t.Fatalf("create-hook: %v (%s)", err, errb.String())
	}
	if !strings.HasPrefix(out.String(), "http://localhost:8080/hooks/web/") {
		t.Errorf("got %q, want a webhook address", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"create-key", "-data", data, "-name", "ci"}, &out, &errb, nil); err != nil {
		t.Fatalf("create-key: %v", err)
	}
	if !strings.HasPrefix(out.String(), "ink_") {
		t.Errorf("got %q, want a key", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"list-hooks", "-data", data}, &out, &errb, nil); err != nil || !strings.Contains(out.String(), "\tweb\tOrders\t") {
		t.Errorf("list-hooks: got %q, %v", out.String(), err)
	}
	for _, args := range [][]string{{"nope"}, {"create-hook", "-data", data, "-kind", "fax", "-name", "x"}, {"create-hook", "-data", data}} {
		if err := run(ctx, args, &out, &errb, nil); err == nil {
			t.Errorf("run %v: got nil error, want one", args)
		}
	}
}
