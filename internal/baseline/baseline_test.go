package baseline_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/internal/baseline"
)

func TestBody(t *testing.T) {
	for _, n := range []int{90, 128, 1024, 4096} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			b := baseline.Body(n)
			if len(b) != n {
				t.Fatalf("length: got %d, want %d", len(b), n)
			}
			var v map[string]any
			if err := json.Unmarshal(b, &v); err != nil || v["order_id"] == nil {
				t.Fatalf("got %v (%v), want a JSON order", err, v)
			}
		})
	}
}

func TestHandler(t *testing.T) {
	h := baseline.Handler()
	for _, tt := range []struct {
		body string
		want int
	}{{string(baseline.Body(1024)), http.StatusAccepted}, {`{"a":`, http.StatusBadRequest}} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(tt.body)))
		if w.Code != tt.want {
			t.Errorf("body %.20q: got %d, want %d", tt.body, w.Code, tt.want)
		}
	}
}

func Example() {
	w := httptest.NewRecorder()
	baseline.Handler().ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(string(baseline.Body(256)))))
	fmt.Println(w.Code, len(baseline.Body(256)))
	// Output: 202 256
}

func TestDurableHandler(t *testing.T) {
	dir := t.TempDir()
	w := httptest.NewRecorder()
	baseline.DurableHandler(dir).ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("hello")))
	if w.Code != http.StatusAccepted {
		t.Fatalf("got %d %s, want 202", w.Code, w.Body)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
	w = httptest.NewRecorder()
	baseline.DurableHandler(filepath.Join(dir, "missing")).ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader("x")))
	if w.Code != http.StatusInternalServerError {
		t.Errorf("no directory: got %d, want 500", w.Code)
	}
}

func TestBigEmail(t *testing.T) {
	const n = 1 << 20
	b := baseline.BigEmail(n, "id-1@example.com")
	if len(b) < n*98/100 || len(b) > n*102/100 {
		t.Errorf("length %d, want about %d", len(b), n)
	}
	m, err := mail.ReadMessage(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Header.Get("Message-ID"); got != "<id-1@example.com>" {
		t.Errorf("Message-ID %q", got)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(m.Body, params["boundary"])
	var parts []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p)
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			if _, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(body), "\r\n", "")); err != nil {
				t.Errorf("attachment: %v", err)
			}
		}
		parts = append(parts, p.Header.Get("Content-Type"))
	}
	if len(parts) != 2 || !strings.HasPrefix(parts[0], "text/html") {
		t.Errorf("parts %q, want the HTML and the attachment", parts)
	}
}

func TestPost(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("X-Test") != "yes" || string(b) != "hello" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer srv.Close()
	took, err := baseline.Post(srv.URL, http.Header{"X-Test": {"yes"}}, []byte("hello"))
	if err != nil || took <= 0 {
		t.Fatalf("got %v, %v; want a duration and no error", took, err)
	}
	if _, err := baseline.Post(srv.URL, nil, []byte("hello")); err == nil || !strings.Contains(err.Error(), "418 unexpected request") {
		t.Errorf("got %v, want the 418 and its body", err)
	}
}
