package hooks

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
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

// TestHeaderNamesRedactLikeRedactHeader checks the pipeline's redaction
// (one array for all values, decisions remembered by name) against
// RedactHeader, twice, so that the remembered decisions are checked too,
// and that appending to one header's values leaves the next one alone.
func TestHeaderNamesRedactLikeRedactHeader(t *testing.T) {
	h := http.Header{
		"Authorization":       {"Bearer ink_x"},
		"X-Sig":               {"abc", "def"},
		"X-Hub-Signature-256": {"sha256=00", "sha256=11"},
		"Content-Type":        {"application/json"},
		"Accept":              {"a", "b", "c"},
		"x-lowercase-token":   {"secret"},
		"X-Empty":             {},
		"X-Empty-Secret":      {},
	}
	var names headerNames
	for _, extra := range [][]string{nil, {"x-SIG"}, nil, {"x-SIG"}} {
		got := names.redact(h, extra)
		want := RedactHeader(h, extra...)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("extra %q: got %v, want %v", extra, got, want)
		}
		for k, vs := range got {
			got[k] = append(vs, "appended")
		}
		want = RedactHeader(h, extra...)
		for k, vs := range got {
			if !slices.Equal(vs[:len(vs)-1], want[k]) {
				t.Fatalf("extra %q: %s: got %q after appending to every header, want %q", extra, k, vs[:len(vs)-1], want[k])
			}
		}
	}
	if h.Get("X-Sig") != "abc" || h.Get("Authorization") != "Bearer ink_x" {
		t.Fatal("redact changed its input")
	}
}

// TestHeaderNamesBounded checks that headerNames stops remembering at
// maxHeaderNames names and never remembers a long one, and still decides
// those it does not remember.
func TestHeaderNamesBounded(t *testing.T) {
	var names headerNames
	for i := range maxHeaderNames + 10 {
		if names.isSensitive(fmt.Sprintf("X-Name-%d", i)) {
			t.Fatalf("X-Name-%d: got sensitive", i)
		}
	}
	long := "X-" + strings.Repeat("a", maxHeaderNameLen) + "-Token"
	if !names.isSensitive(long) {
		t.Fatalf("%s: got not sensitive", long)
	}
	if n := len(*names.sensitive.Load()); n != maxHeaderNames {
		t.Fatalf("remembered %d names, want %d", n, maxHeaderNames)
	}
	if (*names.sensitive.Load())[long] {
		t.Fatal("a long name was remembered")
	}
	var none *headerNames
	if !none.isSensitive("Authorization") {
		t.Fatal("nil headerNames: Authorization not sensitive")
	}
}
