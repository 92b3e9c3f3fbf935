package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/form/v4"
)

// Bind fills v, a non-nil pointer (to a struct, usually), from the event,
// whatever its kind and content type, so that a Trigger works with the
// host's own types:
//
//   - A urlencoded or multipart form binds with go-playground/form/v4:
//     fields are matched by their `form` tag (else the field name), strings
//     are parsed into ints, uints, floats and bools, and a time.Time takes
//     RFC 3339, "2006-01-02T15:04[:05]" (an HTML datetime-local input) or
//     "2006-01-02" (a date input, UTC). A slice takes every value of a
//     repeated name or of name[] (tags[]=a&tags[]=b), and a nested struct
//     or map the fields of name[key] or name.key. A file field binds to a
//     File, *File or []File (its content included); a string field named
//     like a file input gets the file's name.
//   - JSON (a webhook, or a form hook posted JSON) binds with encoding/json
//     by the `json` tags. Numbers keep every digit: an int64 or uint64
//     field takes a large ID exactly, and an `any` field gets a
//     json.Number, never a float64.
//   - An email binds with encoding/json from the JSON of its Email (from,
//     from_name, subject, text, html, objects, ...), in which each
//     schema.org type of its objects also names the first object of that
//     type ("Order", "ParcelDelivery", ...), and "attachments" holds its
//     Files. A struct with a field `json:"Order"` gets the order.
//
// A field of the event the struct does not have is ignored, and a struct
// field the event does not have keeps its value. Give a struct that a hook
// fills from both forms and JSON both tags. Values that do not fit their
// field fail with a *BindError naming the field (errors.Join of them all
// when several fail; errors.As finds the first by name); a v that is not a
// non-nil pointer fails with ErrBindTarget. Bind does not modify e and may
// be called concurrently.
func (e *Event) Bind(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("%w: got %T", ErrBindTarget, v)
	}
	switch {
	case e.Email != nil:
		b, err := emailView(e)
		if err != nil {
			return err
		}
		return bindJSON(b, v)
	case isFormType(e.ContentType):
		return bindForm(e, v)
	case len(e.Raw) > 0 && mediaType(e.ContentType) == mediaJSON:
		// The exact body decodes to what Data holds (the decoder kept the
		// last of duplicate names, as encoding/json does), without
		// encoding Data again first.
		return bindJSON(e.Raw, v)
	}
	b, err := json.Marshal(e.Data)
	if err != nil {
		return fmt.Errorf("hooks: bind: encode data: %w", err)
	}
	return bindJSON(b, v)
}

// BindError says which field could not be filled and why.
type BindError struct {
	// Field is the path of the field in the event's data: "age",
	// "address.zip", "items[0].qty" (form), "items.qty" (JSON, as
	// encoding/json names it).
	Field string
	Err   error
}

// Error returns "hooks: bind <field>: <reason>".
func (e *BindError) Error() string { return "hooks: bind " + e.Field + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *BindError) Unwrap() error { return e.Err }

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

func isFormType(ct string) bool {
	mt := mediaType(ct)
	return mt == mediaForm || mt == mediaMultipart
}

// bindJSON decodes b into v with numbers as json.Number.
func bindJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	err := dec.Decode(v)
	var te *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "."
		}
		return &BindError{Field: field, Err: fmt.Errorf("cannot take a JSON %s as %v", te.Value, te.Type)}
	}
	return &BindError{Field: ".", Err: err}
}

// emailView is the JSON an email binds from: its Email, plus the first
// object of each schema.org type under the type's name, plus its files
// under "attachments".
func emailView(e *Event) ([]byte, error) {
	base, err := json.Marshal(e.Email)
	if err != nil {
		return nil, fmt.Errorf("hooks: bind: encode email: %w", err)
	}
	extra := map[string]any{}
	for _, o := range e.Email.Objects {
		var types []string
		switch t := o["@type"].(type) {
		case string:
			types = []string{t}
		case []any:
			for _, x := range t {
				if s, ok := x.(string); ok {
					types = append(types, s)
				}
			}
		}
		for _, t := range types {
			if _, seen := extra[t]; !seen && !emailFieldNames[t] {
				extra[t] = o
			}
		}
	}
	if len(e.Files) > 0 {
		extra["attachments"] = e.Files
	}
	if len(extra) == 0 {
		return base, nil
	}
	more, err := json.Marshal(extra)
	if err != nil {
		return nil, fmt.Errorf("hooks: bind: encode email objects: %w", err)
	}
	// Splice the two objects: {...base...,...more...}.
	out := make([]byte, 0, len(base)+len(more))
	out = append(out, base[:len(base)-1]...)
	if len(base) > 2 { // not {}
		out = append(out, ',')
	}
	return append(out, more[1:]...), nil
}

// emailFieldNames are the JSON names of Email's fields, which an object
// type must not shadow.
var emailFieldNames = func() map[string]bool {
	m := map[string]bool{"attachments": true}
	t := reflect.TypeFor[Email]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		m[name] = true
	}
	return m
}()

// fileMarker starts the placeholder value that stands for e.Files[n] in
// the url.Values given to form/v4; a NUL cannot come from a form field.
const fileMarker = "\x00inbound-file:"

// formBinder is a form/v4 decoder whose custom type functions resolve file
// placeholders against the files of the event being bound. Decoders are
// pooled, as each caches the structs it has seen.
type formBinder struct {
	dec   *form.Decoder
	files []File
}

var formBinders = sync.Pool{New: func() any { return newFormBinder() }}

// maxBindArray is the longest slice a form binds into: as many elements
// as a form may have fields.
const maxBindArray = max(defaultMaxFields, defaultMaxArrayIndex) + 1

func newFormBinder() *formBinder {
	b := &formBinder{dec: form.NewDecoder()}
	// Keys are written name[key][0] for structs and maps alike, so the
	// data need not know the target's types.
	b.dec.SetNamespacePrefix("[")
	b.dec.SetNamespaceSuffix("]")
	b.dec.SetMaxArraySize(maxBindArray)
	b.dec.RegisterCustomTypeFunc(func(vals []string) (any, error) {
		f, ok := b.file(vals[0])
		if !ok {
			return File{}, errors.New("not a file: use a file input")
		}
		return f, nil
	}, File{})
	b.dec.RegisterCustomTypeFunc(func(vals []string) (any, error) {
		if f, ok := b.file(vals[0]); ok {
			return f.Name, nil
		}
		return vals[0], nil
	}, "")
	b.dec.RegisterCustomTypeFunc(func(vals []string) (any, error) { return parseFormTime(vals[0]) }, time.Time{})
	return b
}

func (b *formBinder) file(v string) (File, bool) {
	n, ok := strings.CutPrefix(v, fileMarker)
	if !ok {
		return File{}, false
	}
	i, err := strconv.Atoi(n)
	if err != nil || i < 0 || i >= len(b.files) {
		return File{}, false
	}
	return b.files[i], true
}

// formTimeLayouts are the layouts a form's time value may have: RFC 3339
// and what HTML date and time inputs send.
var formTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"}

func parseFormTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, l := range formTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time (RFC 3339, 2006-01-02T15:04 or 2006-01-02)", truncate(s, 40))
}

func bindForm(e *Event, v any) (err error) {
	vals := url.Values{}
	if m, ok := e.Data.(map[string]any); ok {
		for k, x := range m {
			flattenForm(vals, formKey("", k), x)
		}
	}
	for i, f := range e.Files {
		if k := fileKey(f.Field); k != "" {
			vals[k] = append(vals[k], fileMarker+strconv.Itoa(i))
		}
	}
	b := formBinders.Get().(*formBinder)
	b.files = e.Files
	defer func() {
		b.files = nil
		formBinders.Put(b)
		if r := recover(); r != nil {
			// form/v4 panics on keys it cannot parse; formKey never makes
			// one, but a panic must not reach the Trigger.
			err = &BindError{Field: ".", Err: fmt.Errorf("%v", r)}
		}
	}()
	err = b.dec.Decode(v, vals)
	var de form.DecodeErrors
	if errors.As(err, &de) {
		names := make([]string, 0, len(de))
		for k := range de {
			names = append(names, k)
		}
		sort.Strings(names)
		errs := make([]error, len(names))
		for i, k := range names {
			errs[i] = &BindError{Field: dottedPath(k), Err: de[k]}
		}
		return errors.Join(errs...)
	}
	if err != nil {
		return &BindError{Field: ".", Err: err}
	}
	return nil
}

// formKey returns the form/v4 key of member k of the value at prefix, or ""
// for a name form/v4 cannot express (brackets in it: a field name the
// form decoder kept as it was because its brackets did not balance).
func formKey(prefix, k string) string {
	if strings.ContainsAny(k, "[]") {
		return ""
	}
	if prefix == "" {
		return k
	}
	return prefix + "[" + k + "]"
}

// flattenForm adds the decoded form value x at key to vals, in the key
// syntax form/v4 reads with "[" "]" namespaces: objects as key[member],
// arrays of strings as repeated values of key, other arrays as key[i].
func flattenForm(vals url.Values, key string, x any) {
	if key == "" {
		return
	}
	switch x := x.(type) {
	case nil:
	case string:
		vals[key] = append(vals[key], x)
	case json.Number:
		vals[key] = append(vals[key], string(x))
	case bool:
		vals[key] = append(vals[key], strconv.FormatBool(x))
	case map[string]any:
		for k, y := range x {
			flattenForm(vals, formKey(key, k), y)
		}
	case []any:
		strs := true
		for _, y := range x {
			if _, ok := y.(string); !ok {
				strs = false
				break
			}
		}
		if strs {
			for _, y := range x {
				vals[key] = append(vals[key], y.(string))
			}
			return
		}
		for i, y := range x {
			flattenForm(vals, key+"["+strconv.Itoa(i)+"]", y)
		}
	default:
		vals[key] = append(vals[key], fmt.Sprint(x))
	}
}

// fileKey returns the form/v4 key of a file input's name: docs, docs[] and
// docs.x become docs, docs[x] and docs[0] stay; "" when the name cannot be
// expressed.
func fileKey(name string) string {
	segs, err := parseKey(name, DecodeOptions{}.withDefaults())
	if err != nil || len(segs) == 0 {
		return ""
	}
	key := formKey("", segs[0].key)
	for i, s := range segs[1:] {
		switch {
		case key == "":
			return ""
		case s.append && i == len(segs)-2:
			// name[] at the end: a repeated value of name.
		case s.append:
			return ""
		case s.index >= 0:
			key += "[" + strconv.Itoa(s.index) + "]"
		default:
			key = formKey(key, s.key)
		}
	}
	return key
}

// dottedPath turns a form/v4 namespace (a[b][0][c]) into the path BindError
// reports (a.b[0].c).
func dottedPath(ns string) string {
	var b strings.Builder
	for ns != "" {
		open := strings.IndexByte(ns, '[')
		if open < 0 {
			b.WriteString(ns)
			break
		}
		b.WriteString(ns[:open])
		end := strings.IndexByte(ns[open:], ']')
		if end < 0 {
			b.WriteString(ns[open:])
			break
		}
		inner := ns[open+1 : open+end]
		if isIndex(inner) {
			b.WriteString("[" + inner + "]")
		} else {
			b.WriteString("." + inner)
		}
		ns = ns[open+end+1:]
	}
	return b.String()
}
