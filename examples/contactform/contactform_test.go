package contactform

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestServe(t *testing.T) {
	h, err := New(Options{Action: "https://hooks.example.com/hooks/form/abc"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path string
		status             int
		contains           string
	}{
		{"page", "GET", "/contact/", 200, `action="https://hooks.example.com/hooks/form/abc"`},
		{"honeypot", "GET", "/contact/", 200, `name="website"`},
		{"checkboxes", "GET", "/contact/", 200, `name="topics[]"`},
		{"head", "HEAD", "/contact/", 200, ""},
		{"thanks", "GET", "/contact/thanks", 200, `id="thanks"`},
		{"other path", "GET", "/contact/nope", 404, ""},
		{"post", "POST", "/contact/", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status {
				t.Fatalf("got %d, want %d", w.Code, tt.status)
			}
			if !strings.Contains(w.Body.String(), tt.contains) {
				t.Errorf("body lacks %q", tt.contains)
			}
			if tt.status == 200 {
				csp := w.Header().Get("Content-Security-Policy")
				if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "form-action 'self'") {
					t.Errorf("got CSP %q", csp)
				}
			}
		})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/contact/", nil))
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://hooks.example.com") {
		t.Errorf("got CSP %q, want the hook's origin in form-action", csp)
	}
}

func TestActionFunc(t *testing.T) {
	addr, fail := "http://localhost:8080/hooks/form/one", error(nil)
	h, err := New(Options{ActionFunc: func(context.Context) (string, error) { return addr, fail }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		addr   string
		fail   error
		status int
	}{
		{"address", "http://localhost:8080/hooks/form/two", nil, 200},
		{"error", "", errors.New("store down"), 503},
		{"relative address", "/hooks/form/x", nil, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr, fail = tt.addr, tt.fail
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", "/contact/", nil))
			if w.Code != tt.status {
				t.Fatalf("got %d, want %d", w.Code, tt.status)
			}
			if tt.status == 200 && !strings.Contains(w.Body.String(), tt.addr) {
				t.Errorf("page lacks %q", tt.addr)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{"action", Options{Action: "http://x.test/hooks/form/a"}, true},
		{"nothing", Options{}, false},
		{"relative action", Options{Action: "/hooks/form/a"}, false},
		{"javascript action", Options{Action: "javascript:alert(1)"}, false},
		{"bad prefix", Options{Action: "http://x.test/a", Prefix: "contact"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
		})
	}
	h, _ := New(Options{Action: "http://x.test/a", Prefix: "/c/", Honeypot: "hp"})
	if s := h.Settings("http://x.test/"); s.RedirectURL != "http://x.test/c/thanks" || s.Honeypot != "hp" {
		t.Errorf("got %+v", s)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/c/", nil))
	if !strings.Contains(w.Body.String(), `name="hp"`) {
		t.Error("the page lacks the configured honeypot field")
	}
}
