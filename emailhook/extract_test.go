package emailhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// ldScript wraps JSON in an ld+json script inside a small HTML document.
func ldScript(s string) string {
	return `<html><body><script type="application/ld+json">` + s + `</script></body></html>`
}

// obj decodes a JSON object literal for expectations.
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad expectation %s: %v", s, err)
	}
	return m
}

func kinds(ws []Warning) []WarningKind {
	var out []WarningKind
	for _, w := range ws {
		out = append(out, w.Kind)
	}
	return out
}

func TestExtract(t *testing.T) {
	x := testExtractor(t)
	tests := []struct {
		name  string
		html  string
		want  []string // JSON objects
		kinds []WarningKind
		err   error
	}{
		{name: "no data", html: `<html><body><p>hi</p></body></html>`},
		{name: "http context", html: ldScript(`{"@context":"http://schema.org","@type":"Event","name":"A"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","name":"A"}`}},
		{name: "https context with slash", html: ldScript(`{"@context":"https://schema.org/","@type":"Event","name":"A"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","name":"A"}`}},
		{name: "no context is schema.org", html: ldScript(`{"@type":"Event","name":"A"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","name":"A"}`}},
		{name: "jsonldcontext url", html: ldScript(`{"@context":"https://schema.org/docs/jsonldcontext.json","@type":"Event"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event"}`}},
		{name: "type and id aliases", html: ldScript(`{"@context":"https://schema.org","type":"Person","id":"https://x.example/p/1","name":"B"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Person","@id":"https://x.example/p/1","name":"B"}`}},
		{name: "schema IRIs in keys and types", html: ldScript(`{"@type":"https://schema.org/Offer","http://schema.org/price":"3","schema:name":"x","itemOffered":{"@type":"schema:Product"}}`),
			want: []string{`{"@context":"https://schema.org","@type":"Offer","price":"3","name":"x","itemOffered":{"@type":"Product"}}`}},
		{name: "single element arrays and nulls", html: ldScript(`{"@type":["Event"],"name":["A"],"about":null,"keywords":["a",null,"b"]}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","name":"A","keywords":["a","b"]}`}},
		{name: "graph split", html: ldScript(`{"@context":"https://schema.org","@graph":[{"@type":"Event","name":"A"},{"@type":"Place","name":"B"}]}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","name":"A"}`, `{"@context":"https://schema.org","@type":"Place","name":"B"}`}},
		{name: "top-level array split", html: ldScript(`[{"@context":"http://schema.org","@type":"Event"},{"@type":"Place"}]`),
			want: []string{`{"@context":"https://schema.org","@type":"Event"}`, `{"@context":"https://schema.org","@type":"Place"}`}},
		{name: "type case and parameters", html: `<script type=" Application/LD+JSON ; charset=utf-8">{"@type":"Event"}</script>`,
			want: []string{`{"@context":"https://schema.org","@type":"Event"}`}},
		{name: "application/json kept as written", html: `<script type="application/json">{"orderId":7,"type":"x"}</script>`,
			want: []string{`{"orderId":7,"type":"x"}`}},
		{name: "application/json with context is JSON-LD", html: `<script type="application/json">{"@context":"http://schema.org","type":"Event"}</script>`,
			want: []string{`{"@context":"https://schema.org","@type":"Event"}`}},
		{name: "other script types ignored", html: `<script>{"@type":"A"}</script><script type="text/javascript">{"@type":"B"}</script><script type="application/ld+json+x">{}</script>`},
		{name: "unknown context left unnormalized", html: ldScript(`{"@context":"https://evil.example/ctx","@type":"Event"}`),
			want: []string{`{"@context":"https://evil.example/ctx","@type":"Event"}`}, kinds: []WarningKind{WarnUnknownContext}},
		{name: "file context refused", html: ldScript(`{"@context":"file:///etc/passwd","@type":"Event"}`),
			want: []string{`{"@context":"file:///etc/passwd","@type":"Event"}`}, kinds: []WarningKind{WarnUnknownContext}},
		{name: "inline vocab context", html: ldScript(`{"@context":{"@vocab":"https://schema.org/"},"@type":"Event","name":"A"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","name":"A"}`}},
		{name: "context array with schema.org", html: ldScript(`{"@context":["https://schema.org",{"ex":"https://ex.example/"}],"@type":"Event","ex:code":"Z"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","https://ex.example/code":"Z"}`}},
		{name: "id-typed schema IRI goes through json-gold", html: ldScript(`{"@type":"Thing","sameAs":"http://schema.org/Foo"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Thing","sameAs":"schema:Foo"}`}},
		{name: "scalars skipped", html: ldScript(`[1,"x",{"@type":"Event"}]`),
			want: []string{`{"@context":"https://schema.org","@type":"Event"}`}, kinds: []WarningKind{WarnNotObject, WarnNotObject}},
		{name: "empty script", html: ldScript(``)},
		{name: "invalid only", html: ldScript(`{"@type":`), kinds: []WarningKind{WarnInvalidJSON}, err: ErrInvalidJSON},
		{name: "too deep only", html: ldScript(strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200)), kinds: []WarningKind{WarnTooDeep}, err: ErrTooDeep},
		{name: "invalid beside valid", html: ldScript(`{"@type":`) + ldScript(`{"@type":"Event"}`),
			want: []string{`{"@context":"https://schema.org","@type":"Event"}`}, kinds: []WarningKind{WarnInvalidJSON}},
		{name: "repairs recorded", html: ldScript(`<!-- {"@type":"Event","name":"a` + "\n" + `b",} -->`),
			want: []string{`{"@context":"https://schema.org","@type":"Event","name":"a\nb"}`}, kinds: []WarningKind{RepairWrapper, RepairTrailingComma, RepairControlChars}},
		{name: "invalid JSON-LD kept", html: ldScript(`{"@type":5,"name":"x"}`),
			want: []string{`{"@type":5,"name":"x"}`}, kinds: []WarningKind{WarnNotNormalized}},
		{name: "only id dropped", html: ldScript(`{"@id":"https://x.example/"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := x.Extract([]byte(tt.html))
			if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
			if tt.err != nil && !errors.Is(err, ErrNoStructuredData) {
				t.Errorf("got error %v, want it to wrap ErrNoStructuredData", err)
			}
			var want []map[string]any
			for _, w := range tt.want {
				want = append(want, obj(t, w))
			}
			got := roundTrip(t, res.Objects)
			if w := roundTrip(t, want); !reflect.DeepEqual(got, w) {
				t.Errorf("got %s, want %s (warnings %v)", js(got), js(w), res.Warnings)
			}
			if gk := kinds(res.Warnings); !reflect.DeepEqual(gk, tt.kinds) {
				t.Errorf("got warnings %v, want kinds %v", res.Warnings, tt.kinds)
			}
		})
	}
}

func TestExtractFixtures(t *testing.T) {
	x := testExtractor(t)
	read := func(t *testing.T, name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	t.Run("order confirmation", func(t *testing.T) {
		doc := read(t, "order-confirmation.html")
		if len(doc) < 38<<10 || len(doc) > 42<<10 {
			t.Fatalf("got fixture size %d, want about 40 KiB", len(doc))
		}
		res, err := x.Extract(doc)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != 1 || len(res.Warnings) != 0 {
			t.Fatalf("got %d objects, warnings %v; want 1 and none", len(res.Objects), res.Warnings)
		}
		o := res.Objects[0]
		offers, _ := o["acceptedOffer"].([]any)
		if o["@type"] != "Order" || o["@context"] != "https://schema.org" || len(offers) != 3 {
			t.Errorf("got %s, want an Order with 3 offers", js(o))
		}
		first, _ := offers[0].(map[string]any)
		item, _ := first["itemOffered"].(map[string]any)
		if item["sku"] != "TR-GTX-W-39" || item["image"] != "https://cdn.northwind.example/p/tr-gtx-w.jpg" {
			t.Errorf("got first item %v, want sku TR-GTX-W-39 with its image", item)
		}
	})
	t.Run("deep nesting", func(t *testing.T) {
		res, err := x.Extract(read(t, "deep-nesting.html"))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != 1 || res.Objects[0]["name"] != "Deep" {
			t.Errorf("got %v, want the Event from inside 600 open elements", res.Objects)
		}
	})
	t.Run("deep nesting with microdata", func(t *testing.T) {
		doc := strings.Repeat("<div>", 700) + `<span itemscope itemtype="http://schema.org/Thing"><span itemprop="name">n</span></span>` +
			ldScript(`{"@type":"Event"}`)
		res, err := x.Extract([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != 2 || res.Objects[0]["@type"] != "Event" || res.Objects[1]["name"] != "n" {
			t.Errorf("got %v, want the script's Event and the Thing from inside 700 open elements", res.Objects)
		}
		if len(res.Warnings) != 0 {
			t.Errorf("got warnings %v, want none", res.Warnings)
		}
	})
	t.Run("broken json", func(t *testing.T) {
		res, err := x.Extract(read(t, "broken-json.html"))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, o := range res.Objects {
			names = append(names, fmt.Sprintf("%v/%v/%v/%v", o["@type"], o["name"], o["trackingNumber"], o["orderId"]))
		}
		want := []string{
			"ParcelDelivery/<nil>/1Z999AA10123456784/<nil>",
			"Person/Line\nBreak/<nil>/<nil>",
			"Person/Second/<nil>/<nil>",
			"Organization/Café Central/<nil>/<nil>",
			"<nil>/<nil>/<nil>/7",
		}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("got %q, want %q", names, want)
		}
		wantKinds := []WarningKind{
			RepairWrapper, RepairTrailingComma,
			RepairWrapper, RepairJoined, RepairControlChars,
			RepairEntities,
			WarnInvalidJSON,
			RepairTrailingComma,
		}
		if got := kinds(res.Warnings); !reflect.DeepEqual(got, wantKinds) {
			t.Errorf("got warnings %v, want kinds %v", res.Warnings, wantKinds)
		}
		if s := res.Warnings[0].Source; s != "script 1 (application/ld+json)" {
			t.Errorf("got source %q, want script 1 (application/ld+json)", s)
		}
	})
}

func TestMicrodata(t *testing.T) {
	x := testExtractor(t)
	doc, err := os.ReadFile("testdata/microdata-event.html")
	if err != nil {
		t.Fatal(err)
	}
	res, err := x.Extract(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{obj(t, `{
		"@context": "https://schema.org",
		"@type": "EventReservation",
		"@id": "https://tickets.example/r/55120",
		"reservationNumber": "55120",
		"reservationStatus": "https://schema.org/ReservationConfirmed",
		"reservationFor": {
			"@type": "Event",
			"name": "Autumn Chamber Concert",
			"startDate": "2026-12-04T19:30:00+01:00",
			"location": {"@type": "Place", "name": "Kleiner Saal", "image": "https://tickets.example/venue.jpg", "url": "https://venue.example/"}
		},
		"totalPrice": "38.00",
		"numSeats": "2",
		"priceCurrency": "EUR",
		"ticketDownloadUrl": "https://tickets.example/t/55120.pdf",
		"ticketToken": "qrCode:55120 A",
		"keywords": "qrCode:55120 A",
		"underName": {"@type": "Person", "name": "Ana Lima"}
	}`), obj(t, `{"@context":"https://schema.org","@type":"Thing","name":"loop"}`)}
	if got, w := roundTrip(t, res.Objects), roundTrip(t, want); !reflect.DeepEqual(got, w) {
		t.Errorf("got %s\nwant %s", js(got), js(w))
	}

	tests := []struct {
		name string
		html string
		want string
	}{
		{"time without datetime", `<div itemscope itemtype="http://schema.org/Event"><time itemprop="startDate"> 2026-01-02 </time></div>`,
			`{"@context":"https://schema.org","@type":"Event","startDate":"2026-01-02"}`},
		{"media and link rules", `<div itemscope itemtype="http://schema.org/Thing"><audio itemprop="audio" src="a.mp3"></audio><video itemprop="video" src="v.mp4"></video><iframe itemprop="embedUrl" src="e.html"></iframe><area itemprop="url" href="u.html"><embed itemprop="subjectOf" src="s.swf"></div>`,
			`{"@context":"https://schema.org","@type":"Thing","audio":"a.mp3","video":"v.mp4","embedUrl":"e.html","url":"u.html","subjectOf":"s.swf"}`},
		{"multiple types and values", `<div itemscope itemtype="http://schema.org/Place http://schema.org/Hotel"><span itemprop="name">A</span><span itemprop="name">B</span></div>`,
			`{"@context":"https://schema.org","@type":["Place","Hotel"],"name":["A","B"]}`},
		{"itemref to ancestor stops", `<div id="a" itemscope itemtype="http://schema.org/Thing" itemref="a b"><span itemprop="name">x</span></div><span id="b" itemprop="description">d</span>`,
			`{"@context":"https://schema.org","@type":"Thing","name":"x","description":"d"}`},
		{"uppercase itemscope", `<DIV ITEMSCOPE ITEMTYPE="http://schema.org/Thing"><SPAN ITEMPROP="name">u</SPAN></DIV>`,
			`{"@context":"https://schema.org","@type":"Thing","name":"u"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := x.Extract([]byte(tt.html))
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Objects) != 1 {
				t.Fatalf("got %d objects %v, want 1", len(res.Objects), res.Objects)
			}
			if got, w := roundTrip(t, res.Objects[0]), roundTrip(t, obj(t, tt.want)); !reflect.DeepEqual(got, w) {
				t.Errorf("got %s, want %s", js(got), js(w))
			}
		})
	}
}

func TestNewExtractorOptions(t *testing.T) {
	tests := []struct {
		name string
		opts ExtractOptions
		err  error
	}{
		{"zero", ExtractOptions{}, nil},
		{"custom", ExtractOptions{MaxDepth: 10, MaxMessageBytes: 1 << 10, ContextPoolSize: 1}, nil},
		{"negative depth", ExtractOptions{MaxDepth: -1}, ErrInvalidOptions},
		{"huge depth", ExtractOptions{MaxDepth: 1 << 20}, ErrInvalidOptions},
		{"negative message", ExtractOptions{MaxMessageBytes: -1}, ErrInvalidOptions},
		{"negative pool", ExtractOptions{ContextPoolSize: -1}, ErrInvalidOptions},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewExtractor(tt.opts)
			if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
				t.Errorf("got %v, want %v", err, tt.err)
			}
		})
	}
}

func TestWarningString(t *testing.T) {
	w := Warning{Source: "script 1 (application/ld+json)", Kind: RepairTrailingComma}
	if got, want := w.String(), "script 1 (application/ld+json): removed trailing comma"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	w.Detail = "x"
	if got, want := w.String(), "script 1 (application/ld+json): removed trailing comma: x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestConcurrentExtract runs the fast path, the json-gold path and
// microdata from many goroutines at once (meaningful under -race).
func TestConcurrentExtract(t *testing.T) {
	x, err := NewExtractor(ExtractOptions{ContextPoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	order, err := os.ReadFile("testdata/order-confirmation.html")
	if err != nil {
		t.Fatal(err)
	}
	micro, err := os.ReadFile("testdata/microdata-event.html")
	if err != nil {
		t.Fatal(err)
	}
	docs := [][]byte{
		order,
		micro,
		[]byte(ldScript(`{"@type":"Thing","sameAs":"http://schema.org/Foo","name":"slow"}`)),
		[]byte(ldScript(`{"@context":{"@vocab":"http://schema.org/"},"@type":"Thing"}`)),
	}
	want := make([]any, len(docs))
	for i, d := range docs {
		res, err := x.Extract(d)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = roundTrip(t, res.Objects)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				d := (g + i) % len(docs)
				res, err := x.Extract(docs[d])
				if err != nil {
					errs <- err
					return
				}
				b, _ := json.Marshal(res.Objects)
				var got any
				_ = json.Unmarshal(b, &got)
				if !reflect.DeepEqual(got, want[d]) {
					errs <- fmt.Errorf("doc %d: got %s, want %s", d, b, js(want[d]))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPackageExtract(t *testing.T) {
	res, err := Extract([]byte(ldScript(`{"@type":"Event"}`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 {
		t.Errorf("got %d objects, want 1", len(res.Objects))
	}
}

func FuzzExtract(f *testing.F) {
	for _, name := range []string{"order-confirmation.html", "broken-json.html", "microdata-event.html", "deep-nesting.html"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(ldScript(`{"@graph":[{"@type":"A"}]}`)))
	f.Add([]byte(ldScript(`{"@context":{"@vocab":"http://ex/"},"a":{"@value":"x"}}`)))
	f.Add([]byte(`<div itemscope itemref="a"><p id="a" itemprop="x" itemscope itemref="a">`))
	x := testExtractor(f)
	f.Fuzz(func(t *testing.T, doc []byte) {
		res, err := x.Extract(doc)
		if res == nil {
			t.Fatalf("got nil result (err %v)", err)
		}
		if err != nil && !errors.Is(err, ErrNoStructuredData) {
			t.Fatalf("got error %v, want one wrapping ErrNoStructuredData", err)
		}
		if _, err := json.Marshal(res.Objects); err != nil {
			t.Fatalf("objects not JSON: %v", err)
		}
	})
}

func TestIndexFold(t *testing.T) {
	tests := []struct {
		doc  string
		want int
	}{
		{"", -1},
		{"itemscop", -1},
		{"itemscope", 0},
		{"ITEMSCOPE", 0},
		{"<div ItemScope>", 5},
		{"iiiiIIIIiItemscopE", 9},
		{"items cope Itemscop", -1},
		{"itemscopeitemscope", 0},
		{"itemscop\xc9 itemscopE", 10},
		{strings.Repeat("iI", 1000) + "itemScope", 2000},
		{strings.Repeat("temscope", 100) + "ITEMSCOPE", 800},
	}
	for _, tt := range tests {
		t.Run(tt.doc[:min(len(tt.doc), 20)], func(t *testing.T) {
			if got := indexFold([]byte(tt.doc), "itemscope"); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzIndexFold(f *testing.F) {
	f.Add([]byte("<div ItemScope>"), "itemscope")
	f.Add([]byte("<SCRIPT type=x><script"), "<script")
	f.Add([]byte("<basE href=x>"), "<base")
	f.Fuzz(func(t *testing.T, doc []byte, w string) {
		lower := func(b []byte) []byte {
			out := make([]byte, len(b))
			for i, c := range b {
				out[i] = c | asciiCaseBit(c)
			}
			return out
		}
		w = string(lower([]byte(w)))
		if len(w) == 0 || len(w) > 255 {
			return
		}
		want := bytes.Index(lower(doc), []byte(w))
		if got := indexFold(doc, w); got != want {
			t.Fatalf("indexFold(%q, %q) = %d, want %d", doc, w, got, want)
		}
	})
}

// TestMicrodataBudget: many items referencing one large subtree must not
// take time quadratic in the document; the work budget stops them.
func TestMicrodataBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<div id="big">`)
	for range 3000 {
		b.WriteString(`<span itemprop="name">x</span>`)
	}
	b.WriteString(`</div>`)
	for range 3000 {
		b.WriteString(`<i itemscope itemref="big"></i>`)
	}
	b.WriteString(ldScript(`{"@type":"Event"}`))
	res, err := testExtractor(t).Extract([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(res.Warnings); !reflect.DeepEqual(got, []WarningKind{WarnMicrodata}) {
		t.Errorf("got warnings %v, want one WarnMicrodata", res.Warnings)
	}
	if len(res.Objects) != 1 {
		t.Errorf("got %d objects, want the script's 1", len(res.Objects))
	}
}

// TestFailureKinds reads one fixture per kind of extraction failure that
// public structured-data suites showed (testdata/kinds/N-*.html, expected
// objects in N-*.json) and checks the objects and warnings.
func TestFailureKinds(t *testing.T) {
	x := testExtractor(t)
	tests := []struct {
		name  string
		kinds []WarningKind
	}{
		{"1-js-comments", []WarningKind{RepairComments}},
		{"2-html-comment-note", []WarningKind{RepairComments, RepairWrapper, RepairComments}},
		{"3-content-attribute", nil},
		{"4-itemid-only", nil},
		{"5-base-url", nil},
		{"6-text-rules", nil},
		{"7-author-nesting", nil},
		{"8-invalid-utf8", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := os.ReadFile("testdata/kinds/" + tt.name + ".html")
			if err != nil {
				t.Fatal(err)
			}
			wantRaw, err := os.ReadFile("testdata/kinds/" + tt.name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var want any
			if err := json.Unmarshal(wantRaw, &want); err != nil {
				t.Fatal(err)
			}
			res, err := x.Extract(doc)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			// Before JSON encoding, which would replace invalid UTF-8 itself.
			if bad := invalidUTF8(res.Objects); bad != "" {
				t.Errorf("got invalid UTF-8 in %q", bad)
			}
			if got := roundTrip(t, res.Objects); !reflect.DeepEqual(got, want) {
				t.Errorf("got %s\nwant %s\nwarnings %v", js(got), js(want), res.Warnings)
			}
			if got := kinds(res.Warnings); !reflect.DeepEqual(got, tt.kinds) {
				t.Errorf("got warnings %v, want kinds %v", res.Warnings, tt.kinds)
			}
		})
	}
}

// invalidUTF8 returns the first key or string value of v that is not valid
// UTF-8, or "".
func invalidUTF8(v any) string {
	switch t := v.(type) {
	case string:
		if !utf8.ValidString(t) {
			return t
		}
	case []map[string]any:
		for _, e := range t {
			if bad := invalidUTF8(e); bad != "" {
				return bad
			}
		}
	case []any:
		for _, e := range t {
			if bad := invalidUTF8(e); bad != "" {
				return bad
			}
		}
	case map[string]any:
		for k, e := range t {
			if !utf8.ValidString(k) {
				return k
			}
			if bad := invalidUTF8(e); bad != "" {
				return bad
			}
		}
	}
	return ""
}

// allScripts is eachScript as it was before it stopped at the last
// "<script": every token of doc read. FuzzEachScript compares the two.
func allScripts(doc []byte) []script {
	var out []script
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			typ, ok := dataScriptType(z)
			if !ok {
				continue
			}
			var text []byte
		body:
			for {
				switch z.Next() {
				case html.TextToken:
					text = append(text, z.Text()...)
				default:
					break body
				}
			}
			out = append(out, script{typ: typ, text: text})
		}
	}
}

// checkScripts compares eachScript with allScripts on doc.
func checkScripts(t *testing.T, doc []byte) {
	t.Helper()
	got, want := pullScripts(doc), allScripts(doc)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("doc %.300q:\ngot  %q\nwant %q", doc, got, want)
	}
}

// scriptCases put "<script" where it starts no data script, or starts one
// in unusual ways.
var scriptCases = []string{
	"",
	"<p>no scripts</p>",
	`<SCRIPT TYPE="Application/LD+JSON; charset=utf-8">{"a":1}</SCRIPT><p>after</p>`,
	`<script type="application/json">{"b":2}</script>`,
	`<!-- <script type="application/ld+json">{"in":"comment"}</script> -->`,
	`<textarea><script type="application/ld+json">{"in":"textarea"}</script></textarea>`,
	`<script>var s = '<script type="application/ld+json">{}</script>';</script>`,
	`<script type="application/ld+json">{"x":"<!--<script>"}</script><p>`,
	`<p title='<script type="application/ld+json">'>{"in":"attribute"}</p>`,
	`<script type="application/ld+json">{"a":1}</script><script type="application/ld+json">{"b":2}`,
	`<script type="application/ld+json"/>{"self":"closing"}</script>`,
	`<scripts type="application/ld+json">{}</scripts><script`,
	"<plaintext><script type=\"application/ld+json\">{}</script>",
	`<script type="application/ld+json">{"cut":`,
	"<script\ttype=application/ld+json>{\"ws\":\"\r\n\"}</script >",
	`<a title="x>y" b='<script type="application/ld+json">{}</script>' c=d>e f>`,
	`<a =x b = "c" d=e/><script type=application/json>{"unquoted":1}</script>`,
	`<a b c=>` + `<script type="application/json">{"empty":1}</script>`,
	`<!--> <script type="application/json">{"after":"empty comment"}</script>`,
	`<!---> <script type="application/json">{"x":1}</script> -->`,
	`<!-- a --!> <script type="application/json">{"x":2}</script>`,
	`<!-- a --!x --> <script type="application/json">{"x":3}</script>`,
	`<!-- a -- > --> <script type="application/json">{"x":4}</script>`,
	`<!DOCTYPE html><!doctype><!x><? pi ?></><//x></ a><script type="application/json">{"x":5}</script>`,
	`<!--[if mso]><style>td{}</style><![endif]--><script type="application/json">{"x":6}</script>`,
	`<style><script type="application/json">{"in":"style"}</script></style><script type="application/json">{"x":7}</script>`,
	`<title><script type="application/json">{}</title><script type="application/json">{"x":8}</script>`,
	`</p title=">"><script type="application/json">{"x":9}</script>`,
	`<p/><br/ ><img src=a/ alt='>'><script type="application/json">{"x":10}</script>`,
	"<p\fclass\f=\f'>'\f><script type=\"application/json\">{\"x\":11}</script>",
	`<a b="unterminated><script type="application/json">{}</script>`,
	`<!-- unterminated <script type="application/json">{}</script>`,
	`< script type="application/json">{"text":1}</script><<script type="application/json">{"x":12}</script>`,
	`<xmp><script type="application/json">{}</xmp ><noscript a="</noscript>">` +
		`<script type="application/json">{"x":13}</script></noscript><script type="application/json">{"x":14}</script>`,
}

func TestEachScriptStopsEarlyAlike(t *testing.T) {
	for _, c := range scriptCases {
		checkScripts(t, []byte(c))
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*", "*.html"))
	more, _ := filepath.Glob("testdata/*.html")
	kinds, _ := filepath.Glob("testdata/kinds/*.html")
	for _, f := range append(append(files, more...), kinds...) {
		doc, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkScripts(t, doc)
	}
}

func FuzzEachScript(f *testing.F) {
	for _, c := range scriptCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, doc []byte) { checkScripts(t, doc) })
}
