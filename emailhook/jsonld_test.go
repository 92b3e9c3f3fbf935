package emailhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fastAndGold normalizes the JSON text in both ways. fastOK is false when
// the fast path declined the input.
func fastAndGold(t testing.TB, n *normalizer, text string) (fast, gold any, fastOK bool, goldErr error) {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal([]byte(text), &a); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(text), &b)
	c, has := a["@context"]
	if has && !isSchemaOrgContext(c) {
		return nil, nil, false, nil
	}
	f, ok := n.fast(a)
	delete(b, "@context")
	g, err := n.viaJSONGold(b, nil)
	return roundTrip(t, f), roundTrip(t, g), ok, err
}

// TestFastPathMatchesJSONGold checks that the json-gold-free path gives the
// same result as json-gold expansion and compaction for every input it
// accepts, over the fixtures, the corpus and hand-written edge cases.
func TestFastPathMatchesJSONGold(t *testing.T) {
	x := testExtractor(t)
	inputs := map[string]string{
		"values":     `{"@type":"FlightReservation","reservationStatus":"http://schema.org/Confirmed","url":"https://www.kde.org","image":"foo.png","startDate":"2020","keywords":["a"],"k2":[],"k4":[null],"n":5,"b":true,"e":{},"id":"#x","u2":{"@id":"http://a"},"url2":{"id":"http://b"},"logo":{"@id":"https://l.example/x.png"}}`,
		"iris":       `{"@type":"https://schema.org/Offer","schema:name":"x","http://schema.org/price":"3","about":{"@type":"schema:Thing"},"image":"","mainEntityOfPage":{"@id":"http://ex/"},"additionalType":"http://schema.org/Thing"}`,
		"graph":      `{"@context":"https://schema.org","@graph":[{"@type":"A","name":"a"},{"@type":["B","C"],"name":"b"}]}`,
		"nested ctx": `{"@type":"Event","location":{"@context":"http://schema.org","@type":"Place"}}`,
		"date node":  `{"@type":"Event","startDate":{"@type":"DateTime"}}`,
		"empty url":  `{"@type":"Thing","url":{}}`,
		"value obj":  `{"@type":"Thing","name":{"@value":"x"}}`,
		"dc":         `{"@type":"Thing","dc:title":"x","http://purl.org/dc/terms/title":"y"}`,
		"html term":  `{"@type":"HTML","HTML":"x"}`,
		"prefix val": `{"@type":"Thing","url":"dc:x","sameAs":"https://schema.org/Foo"}`,
		"dup keys":   `{"@type":"Thing","name":"a","schema:name":"b"}`,
		"list":       `{"@type":"Thing","name":[["a"]]}`,
		"number id":  `{"@type":"Thing","url":5}`,
		"only type":  `{"@type":"Thing"}`,
		"empty":      `{}`,
		"blank node": `{"@type":"Thing","@id":"_:b0"}`,
		"relative":   `{"@type":"Thing","url":"../a/./b","@id":"x y"}`,
	}
	add := func(name string, raw []byte) {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return
		}
		var walk func(string, any)
		walk = func(p string, v any) {
			switch t := v.(type) {
			case []any:
				for _, e := range t {
					walk(p, e)
				}
			case map[string]any:
				b, _ := json.Marshal(t)
				inputs[fmt.Sprintf("%s#%d", p, len(inputs))] = string(b)
			}
		}
		walk(name, v)
	}
	corpusFiles := 0
	for _, glob := range []string{
		filepath.Join(corpusDir, "kitinerary", "structureddata", "*.json"),
		filepath.Join(corpusDir, "audriga-schema-org-examples", "data", "email", "json-ld", "*.json"),
	} {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil {
				add(filepath.Base(f), b)
				corpusFiles++
			}
		}
	}
	for _, name := range []string{"order-confirmation.html", "microdata-event.html"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		res, err := x.Extract(b)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(res.Objects)
		add(name, raw)
	}
	fastCount := 0
	for name, text := range inputs {
		t.Run(name, func(t *testing.T) {
			fast, gold, ok, err := fastAndGold(t, x.norm, text)
			if !ok {
				t.Logf("declined by the fast path: %.120s", text)
				return
			}
			fastCount++
			if err != nil {
				t.Fatalf("fast path accepted %s but json-gold failed: %v", text, err)
			}
			if !reflect.DeepEqual(fast, gold) {
				t.Errorf("input %s\nfast %s\njson-gold %s", text, js(fast), js(gold))
			}
		})
	}
	// Real mail (the shared corpus) should mostly take the fast path; the
	// package's own fixtures alone are too few and deliberately odd.
	if corpusFiles == 0 {
		t.Logf("corpus not found: %d of %d fixture inputs took the fast path", fastCount, len(inputs))
	} else if fastCount < len(inputs)/2 {
		t.Errorf("got %d of %d inputs on the fast path, want most", fastCount, len(inputs))
	}
}

// FuzzNormalize checks the fast path against json-gold on arbitrary JSON.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{
		`{"@type":"Event","name":"A","url":"https://x","startDate":"2020"}`,
		`{"@context":"http://schema.org","@graph":[{"@type":"A"}]}`,
		`{"@type":["schema:A"],"schema:name":[null,"x"],"image":{"id":"y"}}`,
		`{"type":"Thing","id":"#a","sameAs":"mailto:a@b","n":1,"b":false,"e":{}}`,
	} {
		f.Add(s)
	}
	if doc, err := os.ReadFile("testdata/order-confirmation.html"); err == nil {
		if sc := pullScripts(doc); len(sc) > 0 {
			f.Add(string(sc[0].text))
		}
	}
	x := testExtractor(f)
	f.Fuzz(func(t *testing.T, text string) {
		var probe map[string]any
		if json.Unmarshal([]byte(text), &probe) != nil || strings.Count(text, "[")+strings.Count(text, "{") > 200 {
			return
		}
		fast, gold, ok, err := fastAndGold(t, x.norm, text)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("fast path accepted %s but json-gold failed: %v", text, err)
		}
		if !reflect.DeepEqual(fast, gold) {
			t.Fatalf("input %s\nfast %s\njson-gold %s", text, js(fast), js(gold))
		}
	})
}

func TestMemLoader(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://schema.org", true},
		{"https://schema.org", true},
		{"http://schema.org/", true},
		{"https://schema.org/", true},
		{"HTTPS://Schema.org/", true},
		{"https://www.schema.org/", true},
		{"https://schema.org/docs/jsonldcontext.json", true},
		{"http://schema.org/docs/jsonldcontext.jsonld", true},
		{"https://schema.org.evil.example/", false},
		{"https://evil.example/schema.org", false},
		{"file:///etc/passwd", false},
		{"/etc/passwd", false},
		{"schema.org", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			doc, err := memLoader{}.LoadDocument(tt.url)
			if tt.ok {
				if err != nil {
					t.Fatalf("got %v, want the schema.org context", err)
				}
				if m, _ := doc.Document.(map[string]any); m["@context"] == nil {
					t.Errorf("got document without @context")
				}
				return
			}
			if !errors.Is(err, ErrUnknownContext) {
				t.Errorf("got %v, want ErrUnknownContext", err)
			}
		})
	}
}

// TestPooledContextNotPolluted: a nested context in one object must not
// change the pooled schema.org context used for the next.
func TestPooledContextNotPolluted(t *testing.T) {
	x, err := NewExtractor(ExtractOptions{ContextPoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	first := ldScript(`{"@type":"Thing","sameAs":"http://schema.org/X","about":{"@context":{"name":"http://ex.example/n","@vocab":"http://ex.example/"},"name":"q","other":"o"}}`)
	res, err := x.Extract([]byte(first))
	if err != nil {
		t.Fatal(err)
	}
	about, _ := res.Objects[0]["about"].(map[string]any)
	if about["http://ex.example/n"] != "q" || about["http://ex.example/other"] != "o" {
		t.Errorf("got about %v, want the nested context's IRIs", about)
	}
	res, err = x.Extract([]byte(ldScript(`{"@type":"Thing","sameAs":"http://schema.org/Y","name":"z","other":"p"}`)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"@context": outputContext, "@type": "Thing", "sameAs": "schema:Y", "name": "z", "other": "p"}
	if !reflect.DeepEqual(res.Objects[0], want) {
		t.Errorf("got %v, want %v", res.Objects[0], want)
	}
}

// arrayFastAndGold normalizes obj (whose @context is an array extending
// schema.org) both by writing its extra terms out for the fast path and
// through json-gold with the processed context.
func arrayFastAndGold(t testing.TB, n *normalizer, text string) (fast, gold any, fastOK bool, goldErr error) {
	t.Helper()
	var a, b map[string]any
	if err := json.Unmarshal([]byte(text), &a); err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal([]byte(text), &b)
	terms, ok := n.extraTerms(a["@context"])
	if !ok {
		return nil, nil, false, nil
	}
	f, ok := n.fastExtra(a, &termRewriter{terms: terms})
	if !ok {
		return nil, nil, false, nil
	}
	key, _ := contextKey(b["@context"])
	p, _, err := n.contextPool(b["@context"], key)
	if err != nil {
		return roundTrip(t, f), nil, true, err
	}
	delete(b, "@context")
	g, err := n.viaJSONGold(b, p)
	return roundTrip(t, f), roundTrip(t, g), true, err
}

var arrayContextInputs = []string{
	`{"@context":["https://schema.org",{"shop":"https://shop.example/ns#"}],"@type":"Product","name":"A","shop:batch":"B1","offers":{"@type":"Offer","price":"1.99"}}`,
	`{"@context":["http://schema.org/",{"ex":"https://ex.example/"}],"@type":"ex:Widget","@id":"ex:w1","url":"ex:page","ex:n":5}`,
	`{"@context":["https://schema.org",{"code":"https://ex.example/code"}],"@type":"Event","code":"Z","name":["a","b"]}`,
	`{"@context":["https://schema.org",{"name":"https://ex.example/name"}],"@type":"Thing","name":"shadowed"}`,
	`{"@context":["https://schema.org",{"ex":"https://ex.example/x"}],"@type":"Thing","ex:y":"no delimiter"}`,
	`{"@context":["https://schema.org",{"ex":"https://ex.example/"},{"ey":"urn:ey:"}],"@type":["Thing","ey:T"],"ex:a":{"@type":"ex:B","ey:c":true}}`,
	`{"@context":["https://schema.org",{"ex":"https://ex.example/"}],"@type":"Thing","ex:a":"1","https://ex.example/a":"2"}`,
	`{"@context":["https://schema.org",{"ex":"https://ex.example/"}],"@type":"Thing","sameAs":["ex:s","https://other.example/"],"image":{"@id":"ex:i"}}`,
	`{"@context":["https://schema.org",{"ex":"https://ex.example/"}],"@type":"Thing","about":{"@context":"https://schema.org","name":"n"}}`,
}

// TestArrayContextFastMatchesJSONGold checks that writing out the extra
// terms of ["https://schema.org", {...}] and taking the fast path gives
// what json-gold gives with the processed context.
func TestArrayContextFastMatchesJSONGold(t *testing.T) {
	x := testExtractor(t)
	fastCount := 0
	for _, text := range arrayContextInputs {
		t.Run(text[strings.Index(text, "]")+1:][:min(40, len(text)-strings.Index(text, "]")-1)], func(t *testing.T) {
			fast, gold, ok, err := arrayFastAndGold(t, x.norm, text)
			if !ok {
				t.Logf("declined by the fast path: %s", text)
				return
			}
			fastCount++
			if err != nil {
				t.Fatalf("fast path accepted %s but json-gold failed: %v", text, err)
			}
			if !reflect.DeepEqual(fast, gold) {
				t.Errorf("input %s\nfast %s\njson-gold %s", text, js(fast), js(gold))
			}
		})
	}
	if fastCount < len(arrayContextInputs)/2 {
		t.Errorf("got %d of %d inputs on the fast path, want most", fastCount, len(arrayContextInputs))
	}
}

// FuzzArrayContext checks the written-out terms against json-gold.
func FuzzArrayContext(f *testing.F) {
	for _, s := range arrayContextInputs {
		f.Add(s)
	}
	x := testExtractor(f)
	f.Fuzz(func(t *testing.T, text string) {
		var probe map[string]any
		if json.Unmarshal([]byte(text), &probe) != nil || strings.Count(text, "[")+strings.Count(text, "{") > 200 {
			return
		}
		fast, gold, ok, err := arrayFastAndGold(t, x.norm, text)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("fast path accepted %s but json-gold failed: %v", text, err)
		}
		if !reflect.DeepEqual(fast, gold) {
			t.Fatalf("input %s\nfast %s\njson-gold %s", text, js(fast), js(gold))
		}
	})
}

// TestContextCache: an array @context that json-gold must process is
// processed once, for the objects of a message and across messages, and
// the cache stays bounded.
func TestContextCache(t *testing.T) {
	x := testExtractor(t)
	// @language keeps these objects off the fast path.
	one := `{"@context":["https://schema.org",{"@language":"en"}],"@type":"Thing","name":"n%d"}`
	var b strings.Builder
	for i := range 20 {
		b.WriteString(ldScript(fmt.Sprintf(one, i)))
	}
	for round := range 2 {
		res, err := x.Extract([]byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Objects) != 20 || len(res.Warnings) != 0 {
			t.Fatalf("round %d: got %d objects, warnings %v; want 20, none", round, len(res.Objects), res.Warnings)
		}
		name, _ := res.Objects[3]["name"].(map[string]any)
		if name["@value"] != "n3" || name["@language"] != "en" {
			t.Errorf("got name %v, want n3 in English", res.Objects[3]["name"])
		}
		if got := len(x.norm.cache.m); got != 1 {
			t.Errorf("round %d: got %d cached contexts, want 1", round, got)
		}
	}
	for i := range maxCachedContexts + 5 {
		doc := ldScript(fmt.Sprintf(`{"@context":["https://schema.org",{"@language":"l%d"}],"@type":"Thing","name":"x"}`, i))
		if _, err := x.Extract([]byte(doc)); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(x.norm.cache.m); got != maxCachedContexts || len(x.norm.cache.order) != maxCachedContexts {
		t.Errorf("got %d cached contexts (%d in order), want %d", got, len(x.norm.cache.order), maxCachedContexts)
	}
}

// TestWorkBudget: objects that each need a new context processed stop
// costing work once the message's budget is spent; the rest are skipped
// with one warning, and objects on the fast path are still read.
func TestWorkBudget(t *testing.T) {
	x := testExtractor(t)
	var b strings.Builder
	const n = 40
	for i := range n {
		b.WriteString(ldScript(fmt.Sprintf(`{"@context":["https://schema.org",{"@language":"x%d"}],"@type":"Thing","name":"n"}`, i)))
	}
	b.WriteString(ldScript(`{"@type":"Event","name":"fast"}`))
	res, err := x.Extract([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	got := kinds(res.Warnings)
	if len(got) != 1 || got[0] != WarnBudget {
		t.Fatalf("got warnings %v, want one WarnBudget", res.Warnings)
	}
	if len(res.Objects) < 2 || len(res.Objects) > n/2 {
		t.Errorf("got %d objects, want a few processed within the budget, then skipped", len(res.Objects))
	}
	if last := res.Objects[len(res.Objects)-1]; last["name"] != "fast" {
		t.Errorf("got last object %v, want the fast-path Event", last)
	}
	if !strings.Contains(res.Warnings[0].Detail, "skipped") {
		t.Errorf("got detail %q, want the count skipped", res.Warnings[0].Detail)
	}
}

// TestNumbers: numbers keep every digit, as json.Number, on the fast path,
// through json-gold, and in application/json objects.
func TestNumbers(t *testing.T) {
	x := testExtractor(t)
	big := json.Number("12345678901234567890")
	docs := map[string]string{
		"fast":      ldScript(`{"@type":"Order","orderNumber":12345678901234567890}`),
		"json-gold": ldScript(`{"@type":"Order","orderNumber":12345678901234567890,"sameAs":"http://schema.org/X"}`),
		"array ctx": ldScript(`{"@context":["https://schema.org",{"@language":"en"}],"@type":"Order","orderNumber":12345678901234567890}`),
		"json":      `<script type="application/json">{"orderNumber":12345678901234567890}</script>`,
	}
	for name, doc := range docs {
		t.Run(name, func(t *testing.T) {
			res, err := x.Extract([]byte(doc))
			if err != nil || len(res.Objects) != 1 {
				t.Fatalf("got %v, %v; want one object", res.Objects, err)
			}
			if got := res.Objects[0]["orderNumber"]; got != big {
				t.Errorf("got %#v, want %#v", got, big)
			}
		})
	}
}
