package baseline_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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
