package hooks

import (
	"net/http"
	"testing"
)

func TestRedactHeaderExtra(t *testing.T) {
	h := http.Header{
		"X-Sig":               {"abc"},
		"X-Hub-Signature-256": {"sha256=00"},
		"Content-Type":        {"application/json"},
	}
	tests := []struct {
		name  string
		extra []string
		want  map[string]string
	}{
		{"no extra", nil, map[string]string{"X-Sig": "abc", "X-Hub-Signature-256": Redacted, "Content-Type": "application/json"}},
		{"extra any case", []string{"x-SIG"}, map[string]string{"X-Sig": Redacted, "X-Hub-Signature-256": Redacted, "Content-Type": "application/json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactHeader(h, tt.extra...)
			for k, want := range tt.want {
				if v := got.Get(k); v != want {
					t.Errorf("%s: got %q, want %q", k, v, want)
				}
			}
			if h.Get("X-Sig") != "abc" {
				t.Fatal("RedactHeader changed its input")
			}
		})
	}
}
