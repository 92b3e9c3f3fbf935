package emailhook

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/emersion/go-message/mail"

	"github.com/inbound-hooks/inbound/store/memstore"
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
	// The same mail with the order's JSON-LD left out and a microdata
	// reservation (testdata/microdata-event.html) put at the top of its
	// body: the microdata path (tree, selectors, item walk) on 40 KiB.
	b.Run("ExtractMicrodata", func(b *testing.B) {
		md := microdataMail(b, doc)
		b.SetBytes(int64(len(md)))
		b.ReportAllocs()
		for b.Loop() {
			res, err := x.Extract(md)
			if err != nil || len(res.Objects) != 2 {
				b.Fatalf("got %v objects, err %v; want 2, nil", len(res.Objects), err)
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

// microdataMail returns doc without its JSON-LD script and with the body
// of testdata/microdata-event.html at the start of its body.
func microdataMail(b *testing.B, doc []byte) []byte {
	event, err := os.ReadFile("testdata/microdata-event.html")
	if err != nil {
		b.Fatal(err)
	}
	// bodyAt is the index just past the <body ...> tag of s.
	bodyAt := func(s []byte) int {
		i := bytes.Index(s, []byte("<body"))
		return i + bytes.IndexByte(s[i:], '>') + 1
	}
	items := event[bodyAt(event):bytes.Index(event, []byte("</body>"))]
	i, j := bytes.Index(doc, []byte("<script")), bytes.Index(doc, []byte("</script>"))+len("</script>")
	out := append(append([]byte{}, doc[:i]...), doc[j:]...)
	k := bodyAt(out)
	return append(append(append([]byte{}, out[:k]...), items...), out[k:]...)
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

// qpOrderMail returns an order confirmation as mail senders write it: a
// multipart/alternative message whose text and HTML parts
// (testdata/order-confirmation.html) are quoted-printable, lines ending
// in CRLF.
func qpOrderMail(b testing.TB) []byte {
	doc, err := os.ReadFile("testdata/order-confirmation.html")
	if err != nil {
		b.Fatal(err)
	}
	var h mail.Header
	h.SetAddressList("From", []*mail.Address{{Name: "Shop", Address: "orders@shop.example"}})
	h.SetAddressList("To", []*mail.Address{{Address: "hook@in.example.com"}})
	h.SetSubject("Your order #A-10042 is confirmed")
	h.SetMessageID("order-10042@shop.example")
	var buf bytes.Buffer
	mw, err := mail.CreateInlineWriter(&buf, h)
	if err != nil {
		b.Fatal(err)
	}
	text := bytes.Repeat([]byte("Thank you for your order. Your items ship within two days.\n"), 150)
	for _, part := range []struct {
		ctype string
		body  []byte
	}{{"text/plain", text}, {"text/html", doc}} {
		var ph mail.InlineHeader
		ph.SetContentType(part.ctype, map[string]string{"charset": "utf-8"})
		ph.Set("Content-Transfer-Encoding", "quoted-printable")
		pw, err := mw.CreatePart(ph)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := pw.Write(part.body); err != nil {
			b.Fatal(err)
		}
		if err := pw.Close(); err != nil {
			b.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		b.Fatal(err)
	}
	return bytes.ReplaceAll(bytes.ReplaceAll(buf.Bytes(), []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
}

// BenchmarkReadMessage measures ReadMessage on the quoted-printable order
// confirmation of qpOrderMail (about 50 KB): MIME walk, transfer decoding
// of both parts, and Extract on the HTML. bare, in the same run, is
// go-message alone: the same walk with each part's body decoded and read.
func BenchmarkReadMessage(b *testing.B) {
	raw := qpOrderMail(b)
	b.Run("bare", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			if n := readAllParts(b, raw); n != 2 {
				b.Fatalf("parts: got %d, want 2", n)
			}
		}
	})
	b.Run("ReadMessage", func(b *testing.B) {
		x := testExtractor(b)
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			msg, err := x.ReadMessage(bytes.NewReader(raw))
			if err != nil || len(msg.Objects) != 1 {
				b.Fatalf("got %v objects, err %v; want 1, nil", len(msg.Objects), err)
			}
		}
	})
}

// readAllParts walks raw with go-message's mail reader, reading every
// part's decoded body, and returns how many parts it read.
func readAllParts(b *testing.B, raw []byte) int {
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, p.Body); err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// BenchmarkSMTPData measures a session's DATA for one hook recipient with
// the message of qpOrderMail, in a sync pipeline on memstore: reading the
// message, parsing it, and the event handed to the trigger. bare, in the
// same run, is what a sink does with DATA: read it whole. (Over loopback,
// beside a go-smtp sink: ../shared/perf/smtpbench.)
func BenchmarkSMTPData(b *testing.B) {
	raw := qpOrderMail(b)
	b.Run("bare", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		b.ReportAllocs()
		for b.Loop() {
			data, err := io.ReadAll(bytes.NewReader(raw))
			if err != nil || len(data) != len(raw) {
				b.Fatalf("read %d bytes, %v", len(data), err)
			}
		}
	})
	b.Run("session", func(b *testing.B) { benchmarkSMTPData(b, raw) })
}

func benchmarkSMTPData(b *testing.B, raw []byte) {
	st := memstore.New()
	b.Cleanup(func() { st.Close() })
	env := newEmailEnvOn(b, noKeys{st})
	be, err := NewBackend(env.p, SMTPOptions{Domains: []string{"in.example.com"}})
	if err != nil {
		b.Fatal(err)
	}
	s := &session{b: be}
	to := env.reg.Address(env.hook)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		s.Reset()
		if err := s.Mail("orders@shop.example", nil); err != nil {
			b.Fatal(err)
		}
		if err := s.Rcpt(to, nil); err != nil {
			b.Fatal(err)
		}
		if err := s.Data(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
		env.trig.mu.Lock()
		env.trig.events = env.trig.events[:0]
		env.trig.mu.Unlock()
	}
}
