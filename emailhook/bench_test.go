package emailhook

import (
	"bytes"
	"fmt"
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
		scripts := pullScripts(doc)
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

// arrayContextMail returns an HTML mail with n JSON-LD objects whose
// @context is an array extending schema.org, each in its own script
// between some markup: before contexts were reused, each such object
// processed the whole schema.org context again.
func arrayContextMail(n int) []byte {
	var b bytes.Buffer
	b.WriteString("<html><body><h1>Your order</h1><table>\n")
	for i := range n {
		fmt.Fprintf(&b, `<tr><td class="item">Item %d</td><td>%d.99 EUR</td></tr>`+"\n", i, i%100)
		fmt.Fprintf(&b, `<script type="application/ld+json">{"@context":["https://schema.org",{"shop":"https://shop.example/ns#"}],`+
			`"@type":"Product","name":"Item %d","sku":"SKU-%05d","shop:batch":"B%d",`+
			`"offers":{"@type":"Offer","price":"%d.99","priceCurrency":"EUR"}}</script>`+"\n", i, i, i%7, i%100)
	}
	b.WriteString("</table></body></html>\n")
	return b.Bytes()
}

// BenchmarkExtractArrayContext measures Extract on mails of 1,000 and
// 10,000 objects with an array @context, beside a goquery parse of the
// 1,000-object mail: the first must stay within 10x the parse, and the
// 10,000 within 12x the 1,000 (linear).
func BenchmarkExtractArrayContext(b *testing.B) {
	x := testExtractor(b)
	for _, n := range []int{1000, 10000} {
		doc := arrayContextMail(n)
		b.Run(fmt.Sprintf("Extract%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := x.Extract(doc)
				if err != nil || len(res.Objects) != n || len(res.Warnings) != 0 {
					b.Fatalf("got %d objects, warnings %v, err %v; want %d, none, nil", len(res.Objects), res.Warnings, err, n)
				}
			}
		})
		if n == 1000 {
			b.Run(fmt.Sprintf("GoqueryParse%d", n), func(b *testing.B) {
				b.SetBytes(int64(len(doc)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := goquery.NewDocumentFromReader(bytes.NewReader(doc)); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
