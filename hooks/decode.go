package hooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/inbound-hooks/inbound/hooks/errcode"
)

// Default limits of DecodeBody.
const (
	defaultMaxDepth      = 64   // JSON nesting and form key segments
	defaultMaxFields     = 1000 // form fields and multipart parts
	defaultMaxArrayIndex = 1000 // highest index of a form array a[i]
)

// DecodeOptions limits what DecodeBody accepts. The zero value applies the
// defaults.
type DecodeOptions struct {
	// MaxDepth limits JSON nesting (objects and arrays) and the number of
	// segments of a form key such as a[b][c]; 0 means 64.
	MaxDepth int
	// MaxFields limits the fields of a urlencoded form and the parts of a
	// multipart form; 0 means 1000.
	MaxFields int
	// MaxArrayIndex is the highest index a form key such as a[7] may use,
	// as go-playground/form's SetMaxArraySize; 0 means 1000.
	MaxArrayIndex int
}

func (o DecodeOptions) withDefaults() DecodeOptions {
	if o.MaxDepth <= 0 {
		o.MaxDepth = defaultMaxDepth
	}
	if o.MaxFields <= 0 {
		o.MaxFields = defaultMaxFields
	}
	if o.MaxArrayIndex <= 0 {
		o.MaxArrayIndex = defaultMaxArrayIndex
	}
	return o
}

// Media types DecodeBody understands.
const (
	mediaJSON      = "application/json"
	mediaForm      = "application/x-www-form-urlencoded"
	mediaMultipart = "multipart/form-data"
)

// DecodeBody decodes an HTTP body by its Content-Type into JSON-compatible
// values (see Event): application/json (and any +json type), an
// application/x-www-form-urlencoded form, or a multipart/form-data form
// whose file parts become Files. It is the one decoder form hooks and
// webhooks share.
//
// JSON numbers stay json.Number; a body that is an array or a scalar is
// accepted as the data; trailing data after the value is rejected. The
// strings and numbers of JSON data share one copy of the body (never body
// itself), so that a string kept from the data keeps that copy in memory. Form
// fields follow go-playground/form's naming: a plain name gives a string,
// a repeated name or a[] gives an array (every value is kept), a[b] and a.b
// give nested objects, a[2] an array index (at most MaxArrayIndex), and
// empty values stay "". The charset parameter of a form (and of each
// multipart text part) is honoured.
//
// The form keys are parsed here rather than by go-playground/form/v4
// itself: form/v4 decodes into typed Go values, and into a map[string]any
// it keeps only the first value of a bracketed key, with no nesting and
// nothing for plain names, so it cannot give the JSON shape the contract
// asks for. The syntax and the array-index limit are form/v4's.
//
// XML (application/xml, text/xml, any +xml type) and text/plain are
// decoded as decodeXMLBody and decodeTextBody document (decode_xml.go,
// decode_text.go): XML to objects with "@attribute" and "$text" members
// and arrays for repeated elements, text to {"text": "..."}.
//
// Errors are *Error values: 400 malformed_body, nesting_too_deep or
// array_index_too_large, 413 too_many_fields, 415 unsupported_media_type
// (also for a missing Content-Type) or unsupported_charset.
func DecodeBody(contentType string, body []byte, opts DecodeOptions) (*Decoded, error) {
	opts = opts.withDefaults()
	if strings.TrimSpace(contentType) == "" {
		return nil, NewError(http.StatusUnsupportedMediaType, errcode.UnsupportedMedia,
			"a Content-Type header is required: application/json, application/x-www-form-urlencoded or multipart/form-data")
	}
	var (
		mt     string
		params map[string]string
		err    error
	)
	if contentType == mediaJSON || contentType == mediaForm {
		mt = contentType // the common cases, without parsing
	} else if mt, params, err = mime.ParseMediaType(contentType); err != nil {
		return nil, unsupportedMedia()
	}
	switch {
	case mt == mediaJSON || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"):
		if cs := params["charset"]; cs != "" && !isUTF8(cs) {
			return nil, badCharset(cs)
		}
		data, err := decodeJSON(body, opts.MaxDepth)
		if err != nil {
			return nil, err
		}
		return &Decoded{Data: data, ContentType: mediaJSON}, nil
	case mt == mediaForm:
		enc, err := charsetEncoding(params["charset"])
		if err != nil {
			return nil, err
		}
		fields, err := parseURLEncoded(body, enc, opts.MaxFields)
		if err != nil {
			return nil, err
		}
		data, err := buildForm(fields, opts)
		if err != nil {
			return nil, err
		}
		return &Decoded{Data: data, ContentType: mediaForm}, nil
	case mt == mediaMultipart:
		enc, err := charsetEncoding(params["charset"])
		if err != nil {
			return nil, err
		}
		boundary := params["boundary"]
		if boundary == "" {
			return nil, malformed("the multipart/form-data Content-Type has no boundary", nil)
		}
		fields, files, err := parseMultipart(body, boundary, enc, opts.MaxFields)
		if err != nil {
			return nil, err
		}
		data, err := buildForm(fields, opts)
		if err != nil {
			return nil, err
		}
		return &Decoded{Data: data, ContentType: mediaMultipart, Files: files}, nil
	case isXMLMedia(mt): // decode_xml.go
		return decodeXMLBody(body, params["charset"], opts)
	case mt == mediaText: // decode_text.go
		return decodeTextBody(body, params["charset"])
	}
	return nil, unsupportedMedia()
}

func unsupportedMedia() *Error {
	return NewError(http.StatusUnsupportedMediaType, errcode.UnsupportedMedia,
		"the Content-Type must be application/json, application/x-www-form-urlencoded, multipart/form-data, application/xml or text/plain")
}

func badCharset(cs string) *Error {
	return NewError(http.StatusUnsupportedMediaType, errcode.UnsupportedCharset,
		fmt.Sprintf("the charset %q is not supported", truncate(cs, 40)))
}

func malformed(msg string, cause error) *Error {
	return &Error{Status: http.StatusBadRequest, Code: errcode.MalformedBody, Message: msg, Err: cause}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) && len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s + "..."
}

func isUTF8(cs string) bool {
	cs = strings.ToLower(strings.TrimSpace(cs))
	return cs == "utf-8" || cs == "utf8" || cs == "us-ascii" || cs == "ascii"
}

// charsetEncoding returns the decoder for a charset label (WHATWG names and
// aliases), or nil for UTF-8 and an absent label.
func charsetEncoding(cs string) (encoding.Encoding, error) {
	if cs == "" || isUTF8(cs) {
		return nil, nil
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return nil, badCharset(cs)
	}
	if name, _ := htmlindex.Name(enc); name == "utf-8" {
		return nil, nil
	}
	return enc, nil
}

func decodeText(enc encoding.Encoding, b []byte) (string, error) {
	if enc == nil {
		return string(b), nil
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", malformed("a form value is not valid in its charset", err)
	}
	return string(out), nil
}

// jsonReaders pools the state of decodeJSON: a tokenizer and the member and
// element stacks, each holding buffers worth reusing.
var jsonReaders = sync.Pool{New: func() any { return new(jsonReader) }}

// maxPooledValues bounds the member and element stacks a pooled jsonReader
// keeps, so that one huge body does not pin its stacks in the pool.
const maxPooledValues = 4096

// jsonReader is the state of one decodeJSON call.
//
// Strings and numbers are cut from text, one string copy of the whole
// body, instead of each being copied on its own: a body of many short
// values then costs one allocation for all of its text (a value with
// escapes is still unquoted into a string of its own). The decoded data
// keeps text alive as long as any of its strings is; the Event keeps the
// body as long anyway.
//
// The members of an open object and the elements of an open array are
// gathered on stacks shared by every level of nesting, and each map or
// slice is made once, at its final size, when it closes: no map or
// slice grows while it is filled.
type jsonReader struct {
	d       jsontext.Decoder
	src     bytes.Buffer // the body; the tokenizer reads it in place
	text    string
	members []jsonMember
	elems   []any
}

// jsonMember is one name and value of an object being read.
type jsonMember struct {
	name  string
	value any
}

// decodeJSON decodes body in one pass with a streaming tokenizer
// (go-json-experiment's jsontext), building the values itself: numbers
// become json.Number, nesting is limited as it is read, and data after
// the value is rejected. Duplicate object names keep the last value and
// invalid UTF-8 is accepted, as encoding/json does.
func decodeJSON(body []byte, maxDepth int) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, malformed("the JSON body is empty", nil)
	}
	r := jsonReaders.Get().(*jsonReader)
	defer r.release()
	r.src = *bytes.NewBuffer(body)
	r.d.Reset(&r.src, jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))
	r.text = string(body)
	v, err := r.value(maxDepth)
	if errors.Is(err, errTooDeep) {
		return nil, NewError(http.StatusBadRequest, errcode.TooDeep, fmt.Sprintf("the JSON body nests deeper than %d levels", maxDepth))
	}
	if err != nil {
		return nil, malformed("the body is not valid JSON", err)
	}
	if _, err := r.d.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, malformed("the body has data after the JSON value", err)
	}
	return v, nil
}

// release forgets the body and what was read of it (a failed decode
// leaves values on the stacks) and returns r to the pool.
func (r *jsonReader) release() {
	r.src = bytes.Buffer{}
	r.d.Reset(&r.src)
	r.text = ""
	clear(r.members) // above len they were cleared as their objects closed
	clear(r.elems)
	r.members, r.elems = r.members[:0], r.elems[:0]
	if cap(r.members) > maxPooledValues {
		r.members = nil
	}
	if cap(r.elems) > maxPooledValues {
		r.elems = nil
	}
	jsonReaders.Put(r)
}

// errTooDeep stops jsonReader.value at the nesting limit.
var errTooDeep = errors.New("hooks: JSON nests too deep")

// value reads one value; depth is how many more levels of objects and
// arrays may open.
func (r *jsonReader) value(depth int) (any, error) {
	switch r.d.PeekKind() {
	case '{':
		return r.object(depth)
	case '[':
		return r.array(depth)
	case '"':
		return r.string()
	case '0':
		raw, err := r.d.ReadValue()
		if err != nil {
			return nil, err
		}
		return json.Number(r.cut(raw)), nil
	}
	t, err := r.d.ReadToken()
	if err != nil {
		return nil, err
	}
	switch t.Kind() {
	case 't', 'f':
		return t.Bool(), nil
	case 'n':
		return nil, nil
	}
	return nil, errors.New("hooks: unexpected JSON token")
}

// object reads an object, its members gathered on r.members above those
// of the objects it is nested in.
func (r *jsonReader) object(depth int) (any, error) {
	if depth == 0 {
		return nil, errTooDeep
	}
	if _, err := r.d.ReadToken(); err != nil {
		return nil, err
	}
	base := len(r.members)
	for r.d.PeekKind() != '}' {
		name, err := r.string()
		if err != nil {
			return nil, err
		}
		v, err := r.value(depth - 1)
		if err != nil {
			return nil, err
		}
		r.members = append(r.members, jsonMember{name, v})
	}
	if _, err := r.d.ReadToken(); err != nil {
		return nil, err
	}
	members := r.members[base:]
	m := make(map[string]any, len(members))
	for _, mb := range members {
		m[mb.name] = mb.value // in order, so that a duplicate name keeps its last value
	}
	clear(members)
	r.members = r.members[:base]
	return m, nil
}

// array reads an array, its elements gathered on r.elems above those of
// the arrays it is nested in.
func (r *jsonReader) array(depth int) (any, error) {
	if depth == 0 {
		return nil, errTooDeep
	}
	if _, err := r.d.ReadToken(); err != nil {
		return nil, err
	}
	base := len(r.elems)
	for r.d.PeekKind() != ']' {
		v, err := r.value(depth - 1)
		if err != nil {
			return nil, err
		}
		r.elems = append(r.elems, v)
	}
	if _, err := r.d.ReadToken(); err != nil {
		return nil, err
	}
	a := make([]any, len(r.elems)-base) // never nil: [] decodes to an empty array
	copy(a, r.elems[base:])
	clear(r.elems[base:])
	r.elems = r.elems[:base]
	return a, nil
}

// string reads a string (a value or an object name) and returns it
// unquoted, as jsontext.Token.String would: cut from r.text when its
// bytes are its value (no escapes, valid UTF-8), else unquoted, with
// invalid UTF-8 replaced by U+FFFD.
func (r *jsonReader) string() (string, error) {
	raw, err := r.d.ReadValue()
	if err != nil {
		return "", err
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		s := r.cut(raw)
		return s[1 : len(s)-1], nil
	}
	b, _ := jsontext.AppendUnquote(nil, raw) // the error only reports invalid UTF-8, replaced
	return string(b), nil
}

// cut returns the text of raw, the value the tokenizer just read, from
// r.text.
func (r *jsonReader) cut(raw jsontext.Value) string {
	end := int(r.d.InputOffset())
	return r.text[end-len(raw) : end]
}

// field is one decoded form field, in the order received.
type field struct{ name, value string }

func parseURLEncoded(body []byte, enc encoding.Encoding, maxFields int) ([]field, error) {
	s := string(body)
	var fields []field
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if pair == "" {
			continue
		}
		if len(fields) >= maxFields {
			return nil, tooManyFields(maxFields)
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, malformed("the form has an invalid %-escape", err)
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			return nil, malformed("the form has an invalid %-escape", err)
		}
		if enc != nil {
			if k, err = decodeText(enc, []byte(k)); err != nil {
				return nil, err
			}
			if v, err = decodeText(enc, []byte(v)); err != nil {
				return nil, err
			}
		}
		fields = append(fields, field{k, v})
	}
	return fields, nil
}

func tooManyFields(n int) *Error {
	return NewError(http.StatusRequestEntityTooLarge, errcode.TooManyFields,
		fmt.Sprintf("the form has more than %d fields", n))
}

func parseMultipart(body []byte, boundary string, enc encoding.Encoding, maxParts int) ([]field, []File, error) {
	if !bytes.Contains(body, []byte("--"+boundary)) {
		// multipart.Reader takes a body without its boundary for an empty
		// form; it is not one.
		return nil, nil, malformed("the multipart body does not contain its boundary", nil)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var fields []field
	var files []File
	var buf bytes.Buffer
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, malformed("the multipart body is malformed", err)
		}
		if n >= maxParts {
			return nil, nil, tooManyFields(maxParts)
		}
		// The whole body is already in memory under the body limit, so a
		// part can be no larger than it.
		buf.Reset()
		if _, err := io.Copy(&buf, part); err != nil {
			return nil, nil, malformed("the multipart body is malformed", err)
		}
		name := part.FormName()
		if name == "" {
			continue // not a form field (no Content-Disposition name)
		}
		_, disp, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if fname, isFile := disp["filename"]; isFile {
			fname = baseName(fname)
			if fname == "" && buf.Len() == 0 {
				continue // a file input left empty
			}
			files = append(files, newFile(name, fname, part.Header, buf.Bytes()))
			continue
		}
		penc := enc
		if ct := part.Header.Get("Content-Type"); ct != "" {
			if _, p, err := mime.ParseMediaType(ct); err == nil && p["charset"] != "" {
				if penc, err = charsetEncoding(p["charset"]); err != nil {
					return nil, nil, err
				}
			}
		}
		v, err := decodeText(penc, buf.Bytes())
		if err != nil {
			return nil, nil, err
		}
		fields = append(fields, field{name, v})
	}
	return fields, files, nil
}

// baseName strips directories (either separator) from a file name.
func baseName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if name == "." || name == ".." {
		return ""
	}
	return name
}

func newFile(fieldName, name string, h textproto.MIMEHeader, content []byte) File {
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	sum := sha256.Sum256(content)
	return File{Field: fieldName, Name: name, ContentType: ct, Size: int64(len(content)),
		SHA256: hex.EncodeToString(sum[:]), Content: bytes.Clone(content)}
}

// segment is one step of a form key path: an object key, an array index,
// or an append (a[]).
type segment struct {
	key    string
	index  int  // >= 0 for a[2]
	append bool // a[]
}

func (s segment) isArray() bool { return s.append || s.index >= 0 }

// parseKey splits a form key in go-playground/form's syntax (a[b][0].c,
// a[]) into segments. A key whose brackets do not balance is a plain name.
func parseKey(name string, o DecodeOptions) ([]segment, error) {
	i := strings.IndexAny(name, "[.")
	if i <= 0 {
		return []segment{{key: name, index: -1}}, nil
	}
	segs := []segment{{key: name[:i], index: -1}}
	rest := name[i:]
	for rest != "" {
		var raw string
		bracket := rest[0] == '['
		if bracket {
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return []segment{{key: name, index: -1}}, nil
			}
			raw, rest = rest[1:end], rest[end+1:]
		} else if rest[0] == '.' {
			end := strings.IndexAny(rest[1:], "[.")
			if end < 0 {
				raw, rest = rest[1:], ""
			} else {
				raw, rest = rest[1:end+1], rest[end+1:]
			}
			if raw == "" {
				return []segment{{key: name, index: -1}}, nil
			}
		} else {
			return []segment{{key: name, index: -1}}, nil // a[b]c
		}
		if len(segs) >= o.MaxDepth {
			return nil, NewError(http.StatusBadRequest, errcode.TooDeep,
				fmt.Sprintf("a form field name nests deeper than %d levels", o.MaxDepth))
		}
		seg := segment{key: raw, index: -1}
		switch {
		case bracket && raw == "":
			seg.append = true
		case bracket && isIndex(raw):
			n, err := strconv.Atoi(raw)
			if err != nil || n > o.MaxArrayIndex {
				return nil, NewError(http.StatusBadRequest, errcode.ArrayIndexTooHigh,
					fmt.Sprintf("a form array index is larger than %d", o.MaxArrayIndex))
			}
			seg.index = n
		}
		segs = append(segs, seg)
	}
	return segs, nil
}

func isIndex(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// sparseArrays is how many arrays of MaxArrayIndex slots a form may fill
// beyond its own fields.
const sparseArrays = 32

// buildForm turns fields into a JSON-compatible object.
func buildForm(fields []field, o DecodeOptions) (map[string]any, error) {
	root := make(map[string]any, len(fields))
	// Array slots are budgeted so that sparse indexes cannot amplify a small
	// body into a large allocation: 32 fully sparse arrays of the largest
	// index (about 0.5 MiB of slots at the default), plus one per field.
	slots := len(fields) + sparseArrays*o.MaxArrayIndex
	for _, f := range fields {
		segs, err := parseKey(f.name, o)
		if err != nil {
			return nil, err
		}
		if len(segs) == 1 {
			root[f.name] = addValue(root[f.name], f.value)
			continue
		}
		if err := setPath(root, segs, f.value, &slots); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// addValue adds a value to what a name already holds: nothing gives the
// string, a string gives a two-element array, an array gets it appended.
// Anything else (an object) is kept in the array as a conflict resolution
// would lose data, so the value is appended beside it.
func addValue(cur any, v string) any {
	switch c := cur.(type) {
	case nil:
		return v
	case string:
		return []any{c, v}
	case []any:
		return append(c, v)
	default:
		return []any{c, v}
	}
}

func conflict(name string) *Error {
	return NewError(http.StatusBadRequest, errcode.MalformedBody,
		fmt.Sprintf("the form field %q is used both as a value and as an object", truncate(name, 60)))
}

// setPath stores v at the path segs below root (len(segs) >= 2). slots is
// what remains of the form's budget of array elements, gaps included, so
// that many sparse arrays (a[999]=x&b[999]=x...) cannot allocate much more
// than the body's size.
func setPath(root map[string]any, segs []segment, v string, slots *int) error {
	// Walk with a setter for the current slot, so arrays can grow in place.
	var cur any = root[segs[0].key]
	set := func(x any) { root[segs[0].key] = x }
	for i := 1; i < len(segs); i++ {
		s := segs[i]
		last := i == len(segs)-1
		if s.isArray() {
			arr, ok := asArray(cur)
			if !ok {
				if m, isMap := cur.(map[string]any); isMap && !s.append {
					// a[x]=1&a[0]=2: the index is an object key.
					cur, set = stepMap(m, strconv.Itoa(s.index), last, v)
					if last {
						return nil
					}
					continue
				}
				return conflict(segs[0].key)
			}
			idx := s.index
			if s.append {
				idx = len(arr)
			}
			if grow := idx + 1 - len(arr); grow > 0 {
				if *slots -= grow; *slots < 0 {
					return NewError(http.StatusBadRequest, errcode.ArrayIndexTooHigh,
						"the form's array indexes leave too many gaps")
				}
				for len(arr) <= idx {
					arr = append(arr, nil)
				}
			}
			set(arr)
			if last {
				arr[idx] = addValue(arr[idx], v)
				return nil
			}
			a, j := arr, idx
			cur, set = arr[idx], func(x any) { a[j] = x }
			continue
		}
		var m map[string]any
		switch c := cur.(type) {
		case nil:
			m = map[string]any{}
			set(m)
		case map[string]any:
			m = c
		default:
			return conflict(segs[0].key)
		}
		cur, set = stepMap(m, s.key, last, v)
		if last {
			return nil
		}
	}
	return nil
}

func stepMap(m map[string]any, key string, last bool, v string) (any, func(any)) {
	if last {
		m[key] = addValue(m[key], v)
		return nil, nil
	}
	return m[key], func(x any) { m[key] = x }
}

// asArray returns cur as an array: nil gives an empty one, a string a
// one-element one (a=1&a[]=2 gives ["1","2"]).
func asArray(cur any) ([]any, bool) {
	switch c := cur.(type) {
	case nil:
		return nil, true
	case []any:
		return c, true
	case string:
		return []any{c}, true
	}
	return nil, false
}
