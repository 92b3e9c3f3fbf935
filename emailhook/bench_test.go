package emailhook

import (
	"bytes"
	"os"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

// BenchmarkExtract measures Extract on a ~40 KiB order confirmation with one
// schema.org Order (three offers) in JSON-LD, beside the baseline of only
// parsing the same bytes with goquery.
func BenchmarkExtract(b *testing.B) {
	doc, err := os.ReadFile("testdata/order-confirmation.html")
	if err != nil {
		b.Fatal(err)
	}
	x := testExtractor(b)
	b.Run("Extract", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			res, err := x.Extract(doc)
			if err != nil || len(res.Objects) != 1 {
				b.Fatalf("got %v objects, err %v; want 1, nil", len(res.Objects), err)
			}
		}
	})
	// For reference: the json-gold expansion and compaction that the fast
	// path avoids, on the same Order (with a warm, pooled context).
	b.Run("OrderViaJSONGold", func(b *testing.B) {
		scripts, _, _ := pullScripts(doc)
		b.ReportAllocs()
		for b.Loop() {
			vals, _, err := parseScript(scripts[0].text, 100)
			if err != nil {
				b.Fatal(err)
			}
			obj := vals[0].(map[string]any)
			delete(obj, "@context")
			if _, err := x.norm.viaJSONGold(obj, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GoqueryParse", func(b *testing.B) {
		b.SetBytes(int64(len(doc)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := goquery.NewDocumentFromReader(bytes.NewReader(doc)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
