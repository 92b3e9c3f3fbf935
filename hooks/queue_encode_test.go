package hooks

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// viaStdlib round-trips v through encoding/json, decoding numbers as
// json.Number: what appendData must agree with.
func viaStdlib(t *testing.T, v any) (any, bool) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return decodeNumbers(t, b), true
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return out
}

func TestAppendData(t *testing.T) {
	tests := []struct {
		name string
		v    any
		ok   bool
	}{
		{"null", nil, true},
		{"bools", []any{true, false}, true},
		{"escapes", "a\"b\\c\n\r\t\x00\x1f\x7f<>&\u2028é", true},
		{"invalid UTF-8", "a\xffb\xc3", true},
		{"numbers", []any{json.Number("0"), json.Number("-1.5e+3"), json.Number("123456789012345678901234567890")}, true},
		{"empty number", json.Number(""), true},
		{"bad number", json.Number("1x"), false},
		{"leading zero", json.Number("01"), false},
		{"nested", map[string]any{"a": map[string]any{"b": []any{map[string]any{}, []any{}}}, "": "empty key"}, true},
		{"other types", map[string]any{"f": 1.5, "i": 7, "s": []string{"x"}}, true},
		{"unencodable", map[string]any{"c": make(chan int)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := appendData(nil, tt.v, 0)
			if !tt.ok {
				if err == nil {
					t.Fatalf("got %q, want an error", b)
				}
				return
			}
			if err != nil {
				t.Fatalf("appendData: %v", err)
			}
			want, _ := viaStdlib(t, tt.v)
			if got := decodeNumbers(t, b); !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v (encoded %q)", got, want, b)
			}
		})
	}
}

func TestAppendDataTooDeep(t *testing.T) {
	var v any = "x"
	for range maxDataDepth + 2 {
		v = []any{v}
	}
	if _, err := appendData(nil, v, 0); err == nil {
		t.Fatal("got nil, want an error for data nested too deep")
	}
}

// FuzzAppendData checks that appendData agrees with encoding/json on any
// decoded JSON document and on any string.
func FuzzAppendData(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x",null,true,{"b":-0.5e3}]}`, `"\u0000\ud800"`, `[]`, "\"\xff\"", `{"":{"":""}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// Any string, even invalid UTF-8.
		s := string(in)
		b, err := appendData(nil, s, 0)
		if err != nil {
			t.Fatalf("appendData(string): %v", err)
		}
		want, _ := viaStdlib(t, s)
		if got := decodeNumbers(t, b); !reflect.DeepEqual(got, want) {
			t.Fatalf("string %q: got %#v, want %#v", s, got, want)
		}
		// Any JSON document, decoded as the decoders do.
		dec := json.NewDecoder(bytes.NewReader(in))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) != nil {
			return
		}
		b, err = appendData(nil, v, 0)
		if err != nil {
			t.Fatalf("appendData(%q): %v", in, err)
		}
		want, _ = viaStdlib(t, v)
		if got := decodeNumbers(t, b); !reflect.DeepEqual(got, want) {
			t.Fatalf("document %q: got %#v, want %#v", in, got, want)
		}
	})
}

// BenchmarkEncodeEvent compares the queue's payload encoding with plain
// json.Marshal of the same event (1 KiB JSON body, decoded as the JSON
// decoder does).
func BenchmarkEncodeEvent(b *testing.B) {
	raw := []byte(`{"order_id":12345678901,"email":"buyer@example.com","total":99.5,"paid":true,"items":[`)
	for i := 0; len(raw) < 1000; i++ {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, `{"sku":"SKU-0000`+string(rune('0'+i%10))+`","qty":3,"price":9.99}`...)
	}
	raw = append(raw, "]}"...)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var data any
	if err := dec.Decode(&data); err != nil {
		b.Fatal(err)
	}
	e := &Event{ID: "01jd0000000000000000000000", HookID: "h", HookKind: Kind("web"), Data: data, Raw: raw,
		ContentType: "application/json"}
	b.Run("bare-json.Marshal", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := json.Marshal(e); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encodeEvent", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if _, err := encodeEvent(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}
