package hooks

import (
	"encoding/json"
	"testing"

	"github.com/inbound-hooks/inbound/internal/baseline"
)

// BenchmarkDecodeJSON compares DecodeBody on a 1 KiB JSON body with a bare
// json.Unmarshal of the same bytes.
func BenchmarkDecodeJSON(b *testing.B) {
	body := baseline.Body(1024)
	b.Run("bare", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeBody", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := DecodeBody("application/json", body, DecodeOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
