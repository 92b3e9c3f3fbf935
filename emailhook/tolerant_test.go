package emailhook

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseScript(t *testing.T) {
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	tests := []struct {
		name    string
		in      string
		want    []any
		repairs repairs
		err     error
	}{
		{name: "plain", in: `{"a":"b","n":1.5,"t":true,"f":false,"z":null}`,
			want: []any{map[string]any{"a": "b", "n": json.Number("1.5"), "t": true, "f": false, "z": nil}}},
		{name: "empty", in: "  \n\t "},
		{name: "empty comment", in: "<!-- -->", repairs: repairComments},
		{name: "only comments", in: "// nothing yet\n/* */", repairs: repairComments},
		{name: "trailing comma object", in: `{"a":1,}`, want: []any{map[string]any{"a": json.Number("1")}}, repairs: repairTrailingComma},
		{name: "trailing comma array", in: `[1,2,]`, want: []any{[]any{json.Number("1"), json.Number("2")}}, repairs: repairTrailingComma},
		{name: "joined top level", in: `{"a":1}{"b":2}`, want: []any{map[string]any{"a": json.Number("1")}, map[string]any{"b": json.Number("2")}}, repairs: repairJoined},
		{name: "joined top level comma", in: `{"a":1},{"b":2}`, want: []any{map[string]any{"a": json.Number("1")}, map[string]any{"b": json.Number("2")}}, repairs: repairJoined},
		{name: "joined in array", in: `[{"a":1}{"b":2}]`, want: []any{[]any{map[string]any{"a": json.Number("1")}, map[string]any{"b": json.Number("2")}}}, repairs: repairJoined},
		{name: "html comment wrapper", in: "<!--\n{\"a\":1}\n-->", want: []any{map[string]any{"a": json.Number("1")}}, repairs: repairWrapper},
		{name: "cdata wrapper", in: "//<![CDATA[\n{\"a\":1}\n//]]>", want: []any{map[string]any{"a": json.Number("1")}}, repairs: repairWrapper},
		{name: "cdata comment wrapper", in: "/*<![CDATA[*/{\"a\":1}/*]]>*/", want: []any{map[string]any{"a": json.Number("1")}}, repairs: repairWrapper},
		{name: "entities", in: `{&quot;a&quot;:&quot;Caf&eacute;&quot;}`, want: []any{map[string]any{"a": "Café"}}, repairs: repairEntities},
		{name: "entities kept in valid JSON", in: `{"a":"Tom &amp; Jerry"}`, want: []any{map[string]any{"a": "Tom &amp; Jerry"}}},
		{name: "bare ampersand", in: `{"a":"Parser & Breaking"}`, want: []any{map[string]any{"a": "Parser & Breaking"}}},
		{name: "control characters", in: "{\"a\":\"x\ny\tz\"}", want: []any{map[string]any{"a": "x\ny\tz"}}, repairs: repairControlChars},
		{name: "escapes", in: `{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, want: []any{map[string]any{"a": "\"\\/\b\f\n\r\té😀"}}},
		{name: "lone surrogate", in: `"\ud800x"`, want: []any{"\ufffdx"}},
		{name: "invalid utf8", in: "\"a\xffb\"", want: []any{"a\ufffdb"}},
		{name: "numbers", in: `[-0, 12e3, 1.25E-2]`, want: []any{[]any{json.Number("-0"), json.Number("12e3"), json.Number("1.25E-2")}}},
		{name: "duplicate key last wins", in: `{"a":1,"a":2}`, want: []any{map[string]any{"a": json.Number("2")}}},
		{name: "unterminated", in: `{"a":1`, err: ErrInvalidJSON},
		{name: "missing colon", in: `{"a" 1}`, err: ErrInvalidJSON},
		{name: "missing comma", in: `{"a":1 "b":2}`, err: ErrInvalidJSON},
		{name: "garbage after", in: `{"a":1} x`, err: ErrInvalidJSON},
		{name: "bad escape", in: `"\x"`, err: ErrInvalidJSON},
		{name: "bad number", in: `[1.]`, err: ErrInvalidJSON},
		{name: "huge number kept as written", in: `[1e999]`, want: []any{[]any{json.Number("1e999")}}},
		{name: "big integer keeps its digits", in: `{"id":12345678901234567890}`, want: []any{map[string]any{"id": json.Number("12345678901234567890")}}},
		{name: "line comments", in: "// generated\n{\"a\":1, // the a\n\"b\":\"http://x.example/\"}\n// end", want: []any{map[string]any{"a": json.Number("1"), "b": "http://x.example/"}}, repairs: repairComments},
		{name: "block comments", in: "/* head */{\"a\":/* one */1}/**/", want: []any{map[string]any{"a": json.Number("1")}}, repairs: repairComments},
		{name: "comment markers in strings kept", in: `{"a":"// not /* a */ <!-- comment -->"}`, want: []any{map[string]any{"a": "// not /* a */ <!-- comment -->"}}},
		{name: "unterminated block comment", in: `{"a":1} /* x`, err: ErrInvalidJSON},
		{name: "html comment note", in: "<!-- booking data -->\n{\"a\":1}", want: []any{map[string]any{"a": json.Number("1")}}, repairs: repairComments},
		{name: "notes around values", in: "<!-- a -->{\"a\":1}<!-- b -->{\"b\":2}<!-- c -->", want: []any{map[string]any{"a": json.Number("1")}, map[string]any{"b": json.Number("2")}}, repairs: repairComments | repairJoined},
		{name: "note then wrapper", in: "<!-- note --><!--{\"a\":1}-->", want: []any{map[string]any{"a": json.Number("1")}}, repairs: repairComments | repairWrapper},
		{name: "many openers", in: strings.Repeat("<!--", 5000) + "x", err: ErrInvalidJSON},
		{name: "javascript", in: `var x = 1;`, err: ErrInvalidJSON},
		{name: "deep", in: deep, err: ErrTooDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rep, err := parseScript([]byte(tt.in), 100)
			if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
				t.Fatalf("got error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
			if rep != tt.repairs {
				t.Errorf("got repairs %b, want %b", rep, tt.repairs)
			}
		})
	}
}

func FuzzParseScript(f *testing.F) {
	for _, s := range []string{
		`{"a":1,}`, `{"a":1}{"b":2}`, `[{"a":1}{"b":2}]`, "<!--{\"a\":1}-->", "//<![CDATA[\n{}\n//]]>",
		`{&quot;a&quot;:1}`, "{\"a\":\"x\ny\"}", `"\ud83d\ude00"`, "// c\n{/* d */}", "<!-- n -->{}", `[[[[]]]]`, `1e5`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		vals, _, err := parseScript(in, 50)
		if err != nil {
			if !errors.Is(err, ErrInvalidJSON) && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("got error %v, want one wrapping ErrInvalidJSON or ErrTooDeep", err)
			}
			if vals != nil {
				t.Fatalf("got values %v with error %v", vals, err)
			}
		}
	})
}
