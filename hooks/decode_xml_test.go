package hooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/inbound-hooks/inbound/hooks/errcode"
)

func TestDecodeXML(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
		want string // the data as JSON
	}{
		{"element text", "application/xml", `<name>Ada</name>`, `{"name":"Ada"}`},
		{"empty element", "text/xml", `<flag/>`, `{"flag":""}`},
		{"attributes and children", "application/xml",
			`<?xml version="1.0"?><order id="7" status="new"><customer>Ada</customer><total currency="EUR">12.50</total></order>`,
			`{"order":{"@id":"7","@status":"new","customer":"Ada","total":{"$text":"12.50","@currency":"EUR"}}}`},
		{"repeated elements are arrays", "application/xml",
			`<order><item sku="a">1</item><item sku="b">2</item><item sku="c">3</item><note>x</note></order>`,
			`{"order":{"item":[{"$text":"1","@sku":"a"},{"$text":"2","@sku":"b"},{"$text":"3","@sku":"c"}],"note":"x"}}`},
		{"pretty printed", "application/xml", "<a>\n  <b>1</b>\n  <b>2</b>\n</a>\n", `{"a":{"b":["1","2"]}}`},
		{"leaf text kept exactly", "application/xml", "<a> x &amp; <![CDATA[<y>]]> </a>", `{"a":" x \u0026 \u003cy\u003e "}`},
		{"mixed text trimmed and joined", "application/xml", "<p> Hello <b>you</b> there </p>", `{"p":{"$text":"Hello  there","b":"you"}}`},
		{"namespaces as written", "application/soap+xml",
			`<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns="urn:x"><soap:Body><Ping xml:lang="en">hi</Ping></soap:Body></soap:Envelope>`,
			`{"soap:Envelope":{"@xmlns":"urn:x","@xmlns:soap":"http://www.w3.org/2003/05/soap-envelope","soap:Body":{"Ping":{"$text":"hi","@xml:lang":"en"}}}}`},
		{"comments and PIs skipped", "application/xml", `<!-- c --><a><?pi x?><b>1</b><!-- d --></a>`, `{"a":{"b":"1"}}`},
		{"charset parameter", "application/xml; charset=iso-8859-1", "<a>caf\xe9</a>", `{"a":"café"}`},
		{"declared encoding", "application/xml", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>", `{"a":"café"}`},
		{"parameter wins over declaration", "application/xml; charset=utf-8", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>café</a>", `{"a":"café"}`},
		{"BOM", "application/xml", "\xef\xbb\xbf<a>1</a>", `{"a":"1"}`},
		{"atom", "application/atom+xml", `<feed><entry><id>1</id></entry></feed>`, `{"feed":{"entry":{"id":"1"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeBody(tt.ct, []byte(tt.body), DecodeOptions{})
			if err != nil {
				t.Fatalf("DecodeBody: %v", err)
			}
			if d.ContentType != mediaXML {
				t.Errorf("ContentType: got %q, want %q", d.ContentType, mediaXML)
			}
			var want any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Data, want) {
				got, _ := json.Marshal(d.Data)
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDecodeXMLRefusals(t *testing.T) {
	deep := strings.Repeat("<a>", 65) + strings.Repeat("</a>", 65)
	var attrs strings.Builder
	attrs.WriteString("<a")
	for i := range maxXMLAttributes + 1 {
		attrs.WriteString(" x" + itoa(i) + `="1"`)
	}
	attrs.WriteString("/>")
	many := "<a>" + strings.Repeat("<b/>", maxXMLNodes) + "</a>"
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>`
	external := `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>`
	tests := []struct {
		name, ct, body string
		status         int
		code           string
	}{
		{"deep nesting", "application/xml", deep, 400, errcode.TooDeep},
		{"huge attribute count", "application/xml", attrs.String(), 400, errcode.TooManyAttributes},
		{"too many nodes", "application/xml", many, 413, errcode.XMLTooManyElements},
		{"billion laughs", "application/xml", laughs, 400, errcode.XMLDTD},
		{"external entity", "text/xml", external, 400, errcode.XMLDTD},
		{"undeclared entity", "application/xml", `<a>&nope;</a>`, 400, errcode.MalformedBody},
		{"two roots", "application/xml", `<a/><b/>`, 400, errcode.MalformedBody},
		{"text after root", "application/xml", `<a/>x`, 400, errcode.MalformedBody},
		{"unclosed", "application/xml", `<a><b></b>`, 400, errcode.MalformedBody},
		{"mismatched", "application/xml", `<a></b>`, 400, errcode.MalformedBody},
		{"empty", "application/xml", ``, 400, errcode.MalformedBody},
		{"duplicate attribute", "application/xml", `<a x="1" x="2"/>`, 400, errcode.MalformedBody},
		{"unknown charset parameter", "application/xml; charset=x-nope", `<a/>`, 415, errcode.UnsupportedCharset},
		{"unknown declared encoding", "application/xml", `<?xml version="1.0" encoding="x-nope"?><a/>`, 415, errcode.UnsupportedCharset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeBody(tt.ct, []byte(tt.body), DecodeOptions{})
			var he *Error
			if !errors.As(err, &he) || he.Status != tt.status || he.Code != tt.code {
				t.Fatalf("got %v, want %d %s", err, tt.status, tt.code)
			}
		})
	}
	t.Run("depth option", func(t *testing.T) {
		_, err := DecodeBody("application/xml", []byte("<a><b><c/></b></a>"), DecodeOptions{MaxDepth: 2})
		var he *Error
		if !errors.As(err, &he) || he.Code != errcode.TooDeep {
			t.Fatalf("got %v, want %s", err, errcode.TooDeep)
		}
	})
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestDecodeText(t *testing.T) {
	tests := []struct {
		name, ct, body, want string
	}{
		{"utf-8", "text/plain", "Order 1234\r\nqty: 2\n", "Order 1234\r\nqty: 2\n"},
		{"charset", "text/plain; charset=iso-8859-1", "caf\xe9", "café"},
		{"invalid utf-8 replaced", "text/plain", "a\xffb", "a\uFFFDb"},
		{"empty", "text/plain", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := DecodeBody(tt.ct, []byte(tt.body), DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d.Data, map[string]any{textKey: tt.want}) || d.ContentType != mediaText {
				t.Errorf("got %#v (%s), want {%q: %q}", d.Data, d.ContentType, textKey, tt.want)
			}
		})
	}
	_, err := DecodeBody("text/plain; charset=x-nope", []byte("a"), DecodeOptions{})
	var he *Error
	if !errors.As(err, &he) || he.Status != http.StatusUnsupportedMediaType || he.Code != errcode.UnsupportedCharset {
		t.Fatalf("unknown charset: got %v, want 415 %s", err, errcode.UnsupportedCharset)
	}
}

func TestFieldsOfXMLAndText(t *testing.T) {
	d, err := DecodeBody("application/xml", []byte(`<order id="7"><item sku="a">1</item><item sku="b">2</item><customer><email>a@example.org</email></customer></order>`), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := Fields(d.Data)
	want := []Field{
		{"order", typeObject},
		{"order.@id", typeString},
		{"order.customer", typeObject},
		{"order.customer.email", typeString},
		{"order.item", typeArray},
		{"order.item[]", typeObject},
		{"order.item[].$text", typeString},
		{"order.item[].@sku", typeString},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("XML fields:\ngot  %v\nwant %v", got, want)
	}
	d, err = DecodeBody("text/plain", []byte("hello"), DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := Fields(d.Data); !reflect.DeepEqual(got, []Field{{"text", typeString}}) {
		t.Errorf("text fields: got %v", got)
	}
}

// FuzzDecodeXML checks that no document panics the XML decoder, that
// every refusal is an *Error with a 4xx status, and that what it accepts
// is JSON-encodable.
func FuzzDecodeXML(f *testing.F) {
	for _, s := range []string{
		`<a/>`, `<a x="1"><b>t</b><b/></a>`, `<?xml version="1.0" encoding="ISO-8859-1"?><a>caf` + "\xe9" + `</a>`,
		`<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>`, `<s:E xmlns:s="u"><s:B>1</s:B></s:E>`, `<a><![CDATA[x]]><!--c--></a>`,
		strings.Repeat("<a>", 70), `<a></b>`,
	} {
		f.Add(s, "application/xml")
	}
	f.Add(`<a/>`, "text/xml; charset=windows-1252")
	f.Fuzz(func(t *testing.T, body, ct string) {
		if !strings.Contains(ct, "xml") {
			ct = "application/xml"
		}
		d, err := DecodeBody(ct, []byte(body), DecodeOptions{})
		if err != nil {
			var he *Error
			if !errors.As(err, &he) || he.Status < 400 || he.Status > 499 {
				t.Fatalf("refusal is not a 4xx *Error: %v", err)
			}
			return
		}
		if _, err := json.Marshal(d.Data); err != nil {
			t.Fatalf("data not JSON-encodable: %v", err)
		}
	})
}

// FuzzDecodeText checks the text/plain decoder.
func FuzzDecodeText(f *testing.F) {
	f.Add("hello", "text/plain")
	f.Add("caf\xe9", "text/plain; charset=iso-8859-1")
	f.Add("\xff\xfe", "text/plain; charset=utf-16")
	f.Fuzz(func(t *testing.T, body, ct string) {
		if !strings.HasPrefix(ct, "text/plain") {
			ct = "text/plain"
		}
		d, err := DecodeBody(ct, []byte(body), DecodeOptions{})
		if err != nil {
			var he *Error
			if !errors.As(err, &he) || he.Status < 400 || he.Status > 499 {
				t.Fatalf("refusal is not a 4xx *Error: %v", err)
			}
			return
		}
		if _, err := json.Marshal(d.Data); err != nil {
			t.Fatalf("data not JSON-encodable: %v", err)
		}
	})
}
