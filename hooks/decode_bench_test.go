package hooks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func benchJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"event":"order.created","order":{"id":9007199254740993,"currency":"EUR","total":"129.90"},"items":[`)
	for i := 0; b.Len() < n-40; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"sku":"SKU-%04d","qty":%d,"price":"%d.99"}`, i, i%5+1, i+10)
	}
	b.WriteString(`],"ok":true}`)
	return []byte(b.String())
}

// BenchmarkDecodeJSON compares DecodeBody on a 1 KiB JSON body with a bare
// json.Unmarshal of the same bytes.
func BenchmarkDecodeJSON(b *testing.B) {
	body := benchJSON(1024)
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
