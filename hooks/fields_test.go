package hooks

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func fieldList(fs []Field) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Path + " " + f.Type)
	}
	return b.String()
}

func TestFieldsJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty input", ``, ``},
		{"null", `null`, ``},
		{"empty object", `{}`, ``},
		{"flat", `{"name":"Ada","age":36,"vip":true,"note":null}`,
			`age number; name string; note null; vip boolean`},
		{"nested", `{"customer":{"email":"a@b.c","address":{"city":"X"}}}`,
			`customer object; customer.address object; customer.address.city string; customer.email string`},
		{"array of objects merged", `{"items":[{"sku":"a","qty":1},{"sku":"b","gift":true}]}`,
			`items array; items[] object; items[].gift boolean; items[].qty number; items[].sku string`},
		{"array of scalars", `{"tags":["a","b"]}`, `tags array; tags[] string`},
		{"mixed types listed per type", `{"v":[1,"x",null]}`, `v array; v[] null; v[] number; v[] string`},
		{"nested arrays", `{"m":[[1],[2]]}`, `m array; m[] array; m[][] number`},
		{"empty array", `{"a":[]}`, `a array`},
		{"root array", `[{"id":1}]`, ` array; [] object; [].id number`},
		{"root scalar", `"hello"`, ` string`},
		{"quoted keys", `{"first name":"A","a.b":1,"":2,"x":{"y z":3}}`,
			`[""] number; ["a.b"] number; ["first name"] string; x object; x["y z"] number`},
		{"quote and html in key", `{"say \"hi\"<b>":1}`, `["say \"hi\"<b>"] number`},
		{"plain specials", `{"@type":"Order","$ref":"x","snake_case-key":1,"café":2}`,
			`$ref string; @type string; café number; snake_case-key number`},
		{"big number", `{"id":123456789012345678901234567890}`, `id number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, err := FieldsJSON(json.RawMessage(tt.in))
			if err != nil {
				t.Fatalf("FieldsJSON: %v", err)
			}
			if got := fieldList(fs); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFieldsJSONErrors(t *testing.T) {
	for _, in := range []string{`{`, `{"a":}`, `{} {}`, `[1,]`, `nul`} {
		t.Run(in, func(t *testing.T) {
			if _, err := FieldsJSON(json.RawMessage(in)); err == nil {
				t.Errorf("got nil error, want one")
			}
		})
	}
}

func TestFieldsGoValues(t *testing.T) {
	type item struct {
		SKU string `json:"sku"`
		Qty int    `json:"qty"`
	}
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"map", map[string]any{"a": 1.5, "b": json.Number("2"), "c": int64(3)}, `a number; b number; c number`},
		{"struct", struct {
			Items []item `json:"items"`
		}{Items: []item{{"a", 1}}}, `items array; items[] object; items[].qty number; items[].sku string`},
		{"typed map", map[string]string{"k": "v"}, `k string`},
		{"raw message", json.RawMessage(`{"r":true}`), `r boolean`},
		{"bad raw message", json.RawMessage(`{`), ``},
		{"nil", nil, ` null`},
		{"nil pointer", (*item)(nil), ` null`},
		{"unencodable", map[string]any{"f": func() {}}, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fieldList(Fields(tt.in)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFieldsLimits(t *testing.T) {
	t.Run("depth", func(t *testing.T) {
		in := strings.Repeat(`{"a":`, maxFieldDepth+10) + `1` + strings.Repeat(`}`, maxFieldDepth+10)
		fs, err := FieldsJSON(json.RawMessage(in))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(fs), maxFieldDepth; got != want {
			t.Errorf("got %d fields, want %d", got, want)
		}
		last := fs[len(fs)-1]
		if last.Type != typeObject {
			t.Errorf("deepest listed: got %v, want an object that is not descended into", last)
		}
	})
	t.Run("count", func(t *testing.T) {
		m := map[string]any{}
		for i := range maxFieldCount * 2 {
			m[fmt.Sprintf("f%05d", i)] = i
		}
		if got := len(Fields(m)); got != maxFieldCount {
			t.Errorf("got %d fields, want %d", got, maxFieldCount)
		}
	})
	t.Run("path length", func(t *testing.T) {
		long := strings.Repeat("k", maxFieldPath+1)
		if got := fieldList(Fields(map[string]any{long: 1, "ok": 2})); got != "ok number" {
			t.Errorf("got %q, want %q", got, "ok number")
		}
	})
}

func TestFieldsStableOrder(t *testing.T) {
	in := json.RawMessage(`{"z":1,"a":{"c":1,"b":[{"y":1},{"x":"s"}]},"m":null}`)
	first, _ := FieldsJSON(in)
	for range 20 {
		again, _ := FieldsJSON(in)
		if fieldList(again) != fieldList(first) {
			t.Fatalf("got %q, want %q", fieldList(again), fieldList(first))
		}
	}
}

func FuzzFieldsJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[{"b":1},{"c":"x"}]}`, `[1,"a",null,true]`, `{"first name":{"x.y":[[]]}}`,
		`"s"`, `{`, strings.Repeat(`[`, 100)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fs, err := FieldsJSON(in)
		if err != nil {
			return
		}
		if len(fs) > maxFieldCount {
			t.Fatalf("got %d fields, want at most %d", len(fs), maxFieldCount)
		}
		for i, fd := range fs {
			switch fd.Type {
			case typeString, typeNumber, typeBoolean, typeObject, typeArray, typeNull:
			default:
				t.Fatalf("field %v: unknown type", fd)
			}
			if i > 0 && (fs[i-1].Path > fd.Path || fs[i-1] == fd) {
				t.Fatalf("fields not sorted or repeated: %v then %v", fs[i-1], fd)
			}
		}
	})
}

func ExampleFields() {
	example := json.RawMessage(`{
		"customer": {"email": "ada@example.com", "first name": "Ada"},
		"items": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "gift": true}],
		"paid": true
	}`)
	for _, f := range Fields(example) {
		fmt.Println(f.Path, f.Type)
	}
	// Output:
	// customer object
	// customer.email string
	// customer["first name"] string
	// items array
	// items[] object
	// items[].gift boolean
	// items[].qty number
	// items[].sku string
	// paid boolean
}
