package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// Limits of Fields.
const (
	// maxFieldDepth is how deep Fields descends: a value nested deeper is
	// listed with its type, and what is inside it is not.
	maxFieldDepth = 32
	// maxFieldCount is the most fields Fields returns; what a larger example
	// holds beyond it is left out.
	maxFieldCount = 1000
	// maxFieldPath bounds one path, in bytes; longer paths are left out.
	maxFieldPath = 512
)

// The JSON types of a Field.
const (
	typeString  = "string"
	typeNumber  = "number"
	typeBoolean = "boolean"
	typeObject  = "object"
	typeArray   = "array"
	typeNull    = "null"
)

// Field is one field path of a hook's example data and its JSON type, as
// a workflow editor offers it in a drop-down.
type Field struct {
	Path string `json:"path"`
	Type string `json:"type"` // "string", "number", "boolean", "object", "array" or "null"
}

// Fields lists the field paths of example and their JSON types, sorted by
// path then type.
//
// Notation: object members are joined with dots (customer.email); the
// elements of an array are written [] (items[].sku, tags[]), and the
// fields of all of an array's elements are merged. A key that is empty or
// holds anything other than letters, digits, '_', '-', '$' and '@' is
// written as a JSON string in brackets: ["first name"], a["x.y"].
// Objects and arrays are listed themselves too (customer object, items
// array). The root is not listed when it is an object; a root array or
// scalar is listed with the empty path, and a root array's elements under
// "[]" ([].id).
// When a path holds values of several types (a number in one element and
// a string in another), it is listed once per type.
//
// example holds JSON-compatible values (map[string]any, []any, string,
// float64, json.Number, bool, nil, as encoding/json decodes them); any
// other value is first encoded with encoding/json, and a value that cannot
// be encoded gives nil. A json.RawMessage is parsed as JSON (use
// FieldsJSON to see its errors). Descent stops at depth 32 and the
// list at 1000 fields.
func Fields(example any) []Field {
	if raw, ok := example.(json.RawMessage); ok {
		f, _ := FieldsJSON(raw)
		return f
	}
	c := fieldCollector{seen: map[Field]bool{}}
	c.walk(example, "", 0)
	return c.sorted()
}

// FieldsJSON is Fields for a JSON document. Empty input or null gives no
// fields; input that is not one JSON value gives an error.
func FieldsJSON(raw json.RawMessage) ([]Field, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("hooks: fields: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("hooks: fields: data after the JSON value")
	}
	if v == nil {
		return nil, nil
	}
	return Fields(v), nil
}

type fieldCollector struct {
	seen map[Field]bool
	out  []Field
}

func (c *fieldCollector) add(path, typ string) {
	if len(c.out) >= maxFieldCount || len(path) > maxFieldPath {
		return
	}
	f := Field{Path: path, Type: typ}
	if !c.seen[f] {
		c.seen[f] = true
		c.out = append(c.out, f)
	}
}

func (c *fieldCollector) sorted() []Field {
	slices.SortFunc(c.out, func(a, b Field) int {
		if n := strings.Compare(a.Path, b.Path); n != 0 {
			return n
		}
		return strings.Compare(a.Type, b.Type)
	})
	if c.out == nil {
		return []Field{}
	}
	return c.out
}

// walk records v at path (except a root object) and descends into it.
func (c *fieldCollector) walk(v any, path string, depth int) {
	if len(c.out) >= maxFieldCount || len(path) > maxFieldPath {
		return
	}
	switch t := v.(type) {
	case map[string]any:
		if depth > 0 {
			c.add(path, typeObject)
		}
		if depth >= maxFieldDepth {
			return
		}
		for k, m := range t {
			c.walk(m, joinKey(path, k), depth+1)
		}
	case []any:
		c.add(path, typeArray)
		if depth >= maxFieldDepth {
			return
		}
		for _, e := range t {
			c.walk(e, path+"[]", depth+1)
			if len(c.out) >= maxFieldCount {
				return
			}
		}
	case string:
		c.add(path, typeString)
	case bool:
		c.add(path, typeBoolean)
	case nil:
		c.add(path, typeNull)
	case json.Number, float64, float32, int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64:
		c.add(path, typeNumber)
	default:
		// Another Go value: look at it as encoding/json would encode it.
		rv := reflect.ValueOf(v)
		if (rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface) && rv.IsNil() {
			c.add(path, typeNull)
			return
		}
		b, err := json.Marshal(v)
		if err != nil {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var g any
		if dec.Decode(&g) != nil {
			return
		}
		c.walk(g, path, depth)
	}
}

// joinKey appends an object key to path, in dot or bracket notation.
func joinKey(path, key string) string {
	if plainKey(key) {
		if path == "" {
			return key
		}
		return path + "." + key
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(key) // a string always encodes
	return path + "[" + strings.TrimSuffix(b.String(), "\n") + "]"
}

func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for _, r := range k {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' || r == '$' || r == '@') {
			return false
		}
	}
	return true
}
