package emailhook

import (
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
			want: []any{map[string]any{"a": "b", "n": 1.5, "t": true, "f": false, "z": nil}}},
		{name: "empty", in: "  \n\t "},
		{name: "empty comment", in: "<!-- -->", repairs: repairWrapper},
		{name: "trailing comma object", in: `{"a":1,}`, want: []any{map[string]any{"a": 1.0}}, repairs: repairTrailingComma},
		{name: "trailing comma array", in: `[1,2,]`, want: []any{[]any{1.0, 2.0}}, repairs: repairTrailingComma},
		{name: "joined top level", in: `{"a":1}{"b":2}`, want: []any{map[string]any{"a": 1.0}, map[string]any{"b": 2.0}}, repairs: repairJoined},
		{name: "joined top level comma", in: `{"a":1},{"b":2}`, want: []any{map[string]any{"a": 1.0}, map[string]any{"b": 2.0}}, repairs: repairJoined},
		{name: "joined in array", in: `[{"a":1}{"b":2}]`, want: []any{[]any{map[string]any{"a": 1.0}, map[string]any{"b": 2.0}}}, repairs: repairJoined},
		{name: "html comment wrapper", in: "<!--\n{\"a\":1}\n-->", want: []any{map[string]any{"a": 1.0}}, repairs: repairWrapper},
		{name: "cdata wrapper", in: "//<![CDATA[\n{\"a\":1}\n//]]>", want: []any{map[string]any{"a": 1.0}}, repairs: repairWrapper},
		{name: "cdata comment wrapper", in: "/*<![CDATA[*/{\"a\":1}/*]]>*/", want: []any{map[string]any{"a": 1.0}}, repairs: repairWrapper},
		{name: "entities", in: `{&quot;a&quot;:&quot;Caf&eacute;&quot;}`, want: []any{map[string]any{"a": "Café"}}, repairs: repairEntities},
		{name: "entities kept in valid JSON", in: `{"a":"Tom &amp; Jerry"}`, want: []any{map[string]any{"a": "Tom &amp; Jerry"}}},
		{name: "bare ampersand", in: `{"a":"Parser & Breaking"}`, want: []any{map[string]any{"a": "Parser & Breaking"}}},
		{name: "control characters", in: "{\"a\":\"x\ny\tz\"}", want: []any{map[string]any{"a": "x\ny\tz"}}, repairs: repairControlChars},
		{name: "escapes", in: `{"a":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}`, want: []any{map[string]any{"a": "\"\\/\b\f\n\r\té😀"}}},
		{name: "lone surrogate", in: `"\ud800x"`, want: []any{"\ufffdx"}},
		{name: "invalid utf8", in: "\"a\xffb\"", want: []any{"a\ufffdb"}},
		{name: "numbers", in: `[-0, 12e3, 1.25E-2]`, want: []any{[]any{0.0, 12000.0, 0.0125}}},
		{name: "duplicate key last wins", in: `{"a":1,"a":2}`, want: []any{map[string]any{"a": 2.0}}},
		{name: "unterminated", in: `{"a":1`, err: ErrInvalidJSON},
		{name: "missing colon", in: `{"a" 1}`, err: ErrInvalidJSON},
		{name: "missing comma", in: `{"a":1 "b":2}`, err: ErrInvalidJSON},
		{name: "garbage after", in: `{"a":1} x`, err: ErrInvalidJSON},
		{name: "bad escape", in: `"\x"`, err: ErrInvalidJSON},
		{name: "bad number", in: `[1.]`, err: ErrInvalidJSON},
		{name: "huge number", in: `[1e999]`, err: ErrInvalidJSON},
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
		`{&quot;a&quot;:1}`, "{\"a\":\"x\ny\"}", `"\ud83d\ude00"`, `[[[[]]]]`, `1e5`, `null`,
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
