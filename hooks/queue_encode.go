package hooks

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The queue's payload of an Event is the Event's JSON, in the shape
// json.Marshal gives it (the JSON tags of Event are the one source), with
// the bulk bytes taken out and stored beside it as they are: the raw body
// and the files' contents, which JSON would carry in base64 (a third more
// bytes, and an encoding and a decoding of each). The JSON also leaves out
// what the store keeps anyway (the event's ID, org and hook ID) and, when
// the body is JSON text whose decoding is exactly Data, Data itself: it is
// decoded again from the raw body on the rare read back (after a crash, a
// retry or a lease that ran out). A 1 KiB JSON webhook so costs the body
// plus a few hundred bytes, not two copies of it in base64.
//
// Likewise a large Data that is exactly what DecodeBody makes of the raw
// body (a big form, XML or text body, as a kind decoded it) is left out
// and decoded again on the read back. A multipart form carries each
// file's bytes as they are inside the raw body: such a file's content is stored as its place in Raw (offset and
// length), so that an upload is stored once, not twice.
//
// The layout:
//
//	payloadVersion (1 byte) | uvarint flags |
//	uvarint len(JSON) | JSON |
//	uvarint len(Raw)+1 (0: nil) | Raw |
//	for each file of the JSON: uvarint len(Content)+1 (0: nil) | Content
//	  or, with flagFileRefs: uvarint 0 (nil) | uvarint 1, uvarint len(Content)+1, Content |
//	  uvarint 2, uvarint offset, uvarint length (Content is Raw[offset:offset+length])
//
// Payloads of the first format were the JSON alone (starting with '{');
// decodeEvent reads both.
const payloadVersion = 1

// Flags of a payload.
const (
	// flagDataFromRaw: Data is the JSON decoding of Raw (numbers as
	// json.Number) and is not in the JSON.
	flagDataFromRaw = 1 << iota
	// flagTypeFromHeader: ContentType is the first Content-Type header
	// value and is not in the JSON.
	flagTypeFromHeader
	// flagFileRefs: each file's content is tagged, and may be a place in
	// Raw (see the layout).
	flagFileRefs
	// flagDataFromBody: Data is what DecodeBody makes of Raw with the
	// first Content-Type header value (a form, XML, text) and is not in
	// the JSON.
	flagDataFromBody

	knownFlags = flagDataFromRaw | flagTypeFromHeader | flagFileRefs | flagDataFromBody
)

// minDataFromBody is the smallest body whose Data encodeEvent tries to
// leave out as the body's decoding: the check decodes the body again,
// which is worth its cost only for a large body.
const minDataFromBody = 4 << 10

// replayDecode are the options a Data left out as flagDataFromBody is
// decoded again with. Limits only refuse, so any limits a kind decoded
// the body under, if these are as wide, give the same Data; encodeEvent
// checks that they do before it leaves Data out.
var replayDecode = DecodeOptions{MaxDepth: 1000, MaxFields: 1 << 20, MaxArrayIndex: 1 << 16}

// dataFromBody reports whether e.Data is what DecodeBody makes of e.Raw
// with e's first Content-Type header value.
func dataFromBody(e *Event) bool {
	ct := e.Header["Content-Type"]
	if len(ct) == 0 || ct[0] == "" || e.Raw == nil {
		return false
	}
	d, err := DecodeBody(ct[0], e.Raw, replayDecode)
	return err == nil && reflect.DeepEqual(d.Data, e.Data)
}

// decodeDataFromBody is the inverse of leaving Data out as
// flagDataFromBody.
func decodeDataFromBody(e *Event) (any, error) {
	ct := e.Header["Content-Type"]
	if len(ct) == 0 || ct[0] == "" {
		return nil, errors.New("no content type to decode the body with")
	}
	d, err := DecodeBody(ct[0], e.Raw, replayDecode)
	if err != nil {
		return nil, err
	}
	return d.Data, nil
}

// Tags of a file's content with flagFileRefs.
const (
	fileNil   = 0
	fileBytes = 1
	fileInRaw = 2
)

// minFileRef is the smallest file content looked for in the raw body:
// below it, a reference saves too little to be worth the search.
const minFileRef = 512

// JSON the payload leaves out: the fields the store keeps (empty here,
// and not omitempty in Event's tags) and a Data taken from the raw body.
var (
	emptyIDs = []byte(`{"id":"","hook_id":"",`)
	nullData = []byte(`,"data":null,`)
	dataNull = []byte(`,"data":null`)
)

// eventJSON is Event without its methods: json.Marshal of an *eventJSON
// writes the Event's fields by their JSON tags, which are the one source
// of the Event's JSON shape.
type eventJSON Event

// marshalEvent returns the JSON of the Event c, a copy its caller may
// change (marshalEvent sets its Data to nil): its fields as
// encoding/json writes them by their tags, Data written by appendData in
// place of encoding/json's reflection (and of the compaction pass
// encoding/json gives a json.RawMessage), byte for byte the same. It is
// the one encoding of an Event: Event.MarshalJSON and the queue's
// payload both use it. id names the event in errors; dataSize is a guess
// of Data's length.
func marshalEvent(c *Event, id string, dataSize int) ([]byte, error) {
	data := c.Data
	c.Data = nil
	js, err := json.Marshal((*eventJSON)(c))
	if err != nil {
		return nil, fmt.Errorf("hooks: encode event %s: %w", id, err)
	}
	if data == nil {
		return js, nil
	}
	// A string cannot hold this (its quotes would be escaped), and id,
	// which comes first, is never left out: the first match is the data
	// member.
	i := bytes.Index(js, dataNull)
	if i < 0 {
		return nil, fmt.Errorf("hooks: encode event %s: no data member", id)
	}
	i += len(dataNull) - len("null")
	out := make([]byte, 0, len(js)+dataSize+256)
	out = append(out, js[:i]...)
	if out, err = appendData(out, data, 0); err != nil {
		return nil, fmt.Errorf("hooks: encode event %s: %w", id, err)
	}
	return append(out, js[i+len("null"):]...), nil
}

// encodeEvent encodes e for the queue (see payloadVersion). Data, when it
// must be written, is written by marshalEvent.
func encodeEvent(e *Event) ([]byte, error) {
	c := *e
	c.ID, c.Org, c.HookID = "", "", "" // kept by the store beside the payload
	c.Raw = nil
	var flags uint64
	if e.Raw != nil && jsonTextEqual(e.Raw, e.Data) {
		flags |= flagDataFromRaw
		c.Data = nil
	} else if len(e.Raw) >= minDataFromBody && dataFromBody(e) {
		flags |= flagDataFromBody
		c.Data = nil
	}
	if ct := e.Header["Content-Type"]; e.ContentType != "" && len(ct) > 0 && ct[0] == e.ContentType {
		flags |= flagTypeFromHeader
		c.ContentType = ""
	}
	size := len(e.Raw)
	refs := fileRefs(e)
	if refs != nil {
		flags |= flagFileRefs
	}
	if len(e.Files) > 0 {
		c.Files = make([]File, len(e.Files))
		for i, f := range e.Files {
			f.Content = nil
			c.Files[i] = f
			size += 2*binary.MaxVarintLen64 + 1
			if refs == nil || refs[i] < 0 {
				size += len(e.Files[i].Content)
			}
		}
	}
	js, err := marshalEvent(&c, e.ID, len(e.Raw))
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(js, emptyIDs) {
		js = js[len(emptyIDs)-1:]
		js[0] = '{'
	}
	if flags&(flagDataFromRaw|flagDataFromBody) != 0 {
		// A string cannot hold this (its quotes would be escaped): the
		// first match is the data field.
		if i := bytes.Index(js, nullData); i >= 0 {
			js = append(js[:i+1], js[i+len(nullData):]...)
		}
	}
	b := make([]byte, 0, 1+3*binary.MaxVarintLen64+len(js)+size)
	b = append(b, payloadVersion)
	b = binary.AppendUvarint(b, flags)
	b = binary.AppendUvarint(b, uint64(len(js)))
	b = append(b, js...)
	b = appendBytes(b, e.Raw)
	for i, f := range e.Files {
		switch {
		case refs == nil:
			b = appendBytes(b, f.Content)
		case f.Content == nil:
			b = append(b, fileNil)
		case refs[i] >= 0:
			b = append(b, fileInRaw)
			b = binary.AppendUvarint(b, uint64(refs[i]))
			b = binary.AppendUvarint(b, uint64(len(f.Content)))
		default:
			b = append(b, fileBytes)
			b = appendBytes(b, f.Content)
		}
	}
	return b, nil
}

// fileRefs returns, for each file of a multipart form event, the offset in
// e.Raw where its content is found as it is, or -1; nil when no file is.
// Parts come in order, so each search starts where the last match ended,
// and the search stops at the first file that is not found (a form whose
// parts were transformed): the cost stays linear in the body.
func fileRefs(e *Event) []int {
	if e.ContentType != "multipart/form-data" || len(e.Files) == 0 || len(e.Raw) < minFileRef {
		return nil
	}
	var refs []int
	from, searching := 0, true
	for i, f := range e.Files {
		off := -1
		if searching && len(f.Content) >= minFileRef {
			if j := bytes.Index(e.Raw[from:], f.Content); j >= 0 {
				off = from + j
				from = off + len(f.Content)
			} else {
				searching = false
			}
		}
		if off >= 0 && refs == nil {
			refs = make([]int, len(e.Files))
			for k := range i {
				refs[k] = -1
			}
		}
		if refs != nil {
			refs[i] = off
		}
	}
	return refs
}

// appendBytes appends p with its length plus one in front (0 for nil).
func appendBytes(b, p []byte) []byte {
	if p == nil {
		return append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(p))+1)
	return append(b, p...)
}

// cutBytes is the inverse of appendBytes.
func cutBytes(b []byte) (p, rest []byte, err error) {
	n, w := binary.Uvarint(b)
	switch {
	case w <= 0:
		return nil, nil, errors.New("bad length")
	case n == 0:
		return nil, b[w:], nil
	case n-1 > uint64(len(b)-w):
		return nil, nil, errors.New("length past the end")
	}
	end := w + int(n-1)
	return b[w:end:end], b[end:], nil
}

// cutFile reads a file's content tagged as flagFileRefs says; a place in
// raw gives a slice of raw.
func cutFile(b, raw []byte) (p, rest []byte, err error) {
	if len(b) == 0 {
		return nil, nil, errors.New("missing file tag")
	}
	switch b[0] {
	case fileNil:
		return nil, b[1:], nil
	case fileBytes:
		return cutBytes(b[1:])
	case fileInRaw:
		off, w := binary.Uvarint(b[1:])
		if w <= 0 {
			return nil, nil, errors.New("bad offset")
		}
		b = b[1+w:]
		n, w := binary.Uvarint(b)
		if w <= 0 {
			return nil, nil, errors.New("bad length")
		}
		if off > uint64(len(raw)) || n > uint64(len(raw))-off {
			return nil, nil, errors.New("place past the raw body")
		}
		end := int(off + n)
		return raw[off:end:end], b[w:], nil
	}
	return nil, nil, errors.New("unknown file tag")
}

// decodeEvent is the inverse of encodeEvent; id, org and hookID are the
// ones the store keeps with the payload. Numbers become json.Number, as
// the decoders produce them, so that the Trigger sees the same types in
// queue mode as in sync mode. Raw and the files' contents share p's
// memory, which the store hands out read-only.
func decodeEvent(p []byte, id, org, hookID string) (*Event, error) {
	if len(p) > 0 && p[0] == '{' {
		return decodeEventJSON(p) // the first format
	}
	e, err := decodePayload(p)
	if err != nil {
		return nil, fmt.Errorf("hooks: decode queued event: %w", err)
	}
	e.ID, e.Org, e.HookID = id, org, hookID
	return e, nil
}

func decodePayload(p []byte) (*Event, error) {
	if len(p) == 0 || p[0] != payloadVersion {
		return nil, errors.New("unknown payload format")
	}
	flags, w := binary.Uvarint(p[1:])
	if w <= 0 || flags&^knownFlags != 0 {
		return nil, errors.New("bad flags")
	}
	rest := p[1+w:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)-w) {
		return nil, errors.New("bad JSON length")
	}
	js := rest[w : w+int(n)]
	rest = rest[w+int(n):]
	e, err := unmarshalEvent(js)
	if err != nil {
		return nil, err
	}
	if e.Raw, rest, err = cutBytes(rest); err != nil {
		return nil, fmt.Errorf("raw: %w", err)
	}
	for i := range e.Files {
		if e.Files[i].Content != nil {
			return nil, errors.New("file content inside the JSON")
		}
		if flags&flagFileRefs != 0 {
			e.Files[i].Content, rest, err = cutFile(rest, e.Raw)
		} else {
			e.Files[i].Content, rest, err = cutBytes(rest)
		}
		if err != nil {
			return nil, fmt.Errorf("file %d: %w", i, err)
		}
	}
	if len(rest) != 0 {
		return nil, errors.New("data after the event")
	}
	if flags&flagTypeFromHeader != 0 {
		ct := e.Header["Content-Type"]
		if e.ContentType != "" || len(ct) == 0 || ct[0] == "" {
			return nil, errors.New("content type both in the JSON and in the header")
		}
		e.ContentType = ct[0]
	}
	if flags&flagDataFromBody != 0 {
		if e.Data != nil || e.Raw == nil || flags&flagDataFromRaw != 0 {
			return nil, errors.New("data both in the JSON and in the raw body")
		}
		if e.Data, err = decodeDataFromBody(e); err != nil {
			return nil, fmt.Errorf("data from the body: %w", err)
		}
	}
	if flags&flagDataFromRaw != 0 {
		if e.Data != nil || e.Raw == nil {
			return nil, errors.New("data both in the JSON and in the raw body")
		}
		if e.Data, err = unmarshalNumbers(e.Raw); err != nil {
			return nil, fmt.Errorf("data from the raw body: %w", err)
		}
	}
	return e, nil
}

// decodeEventJSON reads a payload of the first format: the Event's JSON.
func decodeEventJSON(b []byte) (*Event, error) {
	e, err := unmarshalEvent(b)
	if err != nil {
		return nil, fmt.Errorf("hooks: decode queued event: %w", err)
	}
	return e, nil
}

// unmarshalEvent decodes one Event's JSON, numbers as json.Number.
func unmarshalEvent(b []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var e Event
	if err := dec.Decode(&e); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the event")
	}
	return &e, nil
}

// unmarshalNumbers decodes one JSON value, numbers as json.Number, and
// refuses anything after it but white space.
func unmarshalNumbers(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the value")
	}
	return v, nil
}

// jsonTextEqual reports whether b is one JSON value (with white space
// around it) whose decoding by encoding/json, numbers as json.Number, is
// deep-equal to v, without decoding it: it walks the text and v together,
// and allocates only for strings with escapes. It may answer false for
// some texts that do decode to v (objects with escaped or repeated keys,
// or more than maxCheckedKeys keys): the caller then stores v itself.
func jsonTextEqual(b []byte, v any) bool {
	c := textCmp{b: b}
	if !c.value(v, 0) {
		return false
	}
	c.ws()
	return c.i == len(c.b)
}

// maxCheckedKeys is the most keys of one object jsonTextEqual checks for
// repeats (pairwise); larger objects are not compared.
const maxCheckedKeys = 64

type textCmp struct {
	b []byte
	i int
}

func (c *textCmp) ws() {
	for c.i < len(c.b) {
		switch c.b[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

func (c *textCmp) lit(s string) bool {
	if len(c.b)-c.i < len(s) || string(c.b[c.i:c.i+len(s)]) != s {
		return false
	}
	c.i += len(s)
	return true
}

func (c *textCmp) value(v any, depth int) bool {
	if depth > maxDataDepth {
		return false
	}
	c.ws()
	if c.i >= len(c.b) {
		return false
	}
	switch c.b[c.i] {
	case '{':
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		return c.object(m, depth)
	case '[':
		a, ok := v.([]any)
		if !ok {
			return false
		}
		c.i++
		c.ws()
		if c.i < len(c.b) && c.b[c.i] == ']' {
			c.i++
			return len(a) == 0
		}
		for n := 0; ; n++ {
			if n >= len(a) || !c.value(a[n], depth+1) {
				return false
			}
			if more, ok := c.next(']'); !ok || !more {
				return ok && n+1 == len(a)
			}
		}
	case '"':
		s, ok := v.(string)
		if !ok {
			return false
		}
		raw, esc, ok := c.str()
		if !ok {
			return false
		}
		if !esc {
			return string(raw) == s
		}
		var u string
		return json.Unmarshal(c.b[c.i-len(raw)-2:c.i], &u) == nil && u == s
	case 't':
		bv, ok := v.(bool)
		return ok && bv && c.lit("true")
	case 'f':
		bv, ok := v.(bool)
		return ok && !bv && c.lit("false")
	case 'n':
		return v == nil && c.lit("null")
	}
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	start := c.i
	for c.i < len(c.b) && isNumberByte(c.b[c.i]) {
		c.i++
	}
	tok := c.b[start:c.i]
	return string(tok) == string(n) && isJSONNumber(string(n))
}

func isNumberByte(b byte) bool {
	return b >= '0' && b <= '9' || b == '-' || b == '+' || b == '.' || b == 'e' || b == 'E'
}

// object compares the object at c.i with m.
func (c *textCmp) object(m map[string]any, depth int) bool {
	c.i++
	c.ws()
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return len(m) == 0
	}
	if len(m) > maxCheckedKeys {
		return false
	}
	var keys [maxCheckedKeys][]byte
	for n := 0; ; n++ {
		if n >= len(m) {
			return false // more keys than m has (or repeats)
		}
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return false
		}
		k, esc, ok := c.str()
		if !ok || esc {
			return false
		}
		for _, prev := range keys[:n] {
			if string(prev) == string(k) {
				return false
			}
		}
		keys[n] = k
		x, ok := m[string(k)]
		if !ok {
			return false
		}
		c.ws()
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return false
		}
		c.i++
		if !c.value(x, depth+1) {
			return false
		}
		if more, ok := c.next('}'); !ok || !more {
			return ok && n+1 == len(m)
		}
	}
}

// next consumes what follows an array element or object member: a comma
// (more follows) or the container's closing byte (it ends). ok is false
// for anything else, or the end of the text.
func (c *textCmp) next(closing byte) (more, ok bool) {
	c.ws()
	if c.i >= len(c.b) {
		return false, false
	}
	switch c.b[c.i] {
	case ',':
		c.i++
		return true, true
	case closing:
		c.i++
		return false, true
	}
	return false, false
}

// str scans the string at c.i (which is '"') and returns its bytes between
// the quotes and whether it has escapes. Without escapes it must be valid
// UTF-8 with no control characters, which encoding/json would keep as
// they are; with escapes the caller has encoding/json decode it.
func (c *textCmp) str() (raw []byte, esc, ok bool) {
	start := c.i + 1
	for i := start; i < len(c.b); {
		b := c.b[i]
		switch {
		case b == '"':
			c.i = i + 1
			return c.b[start:i], esc, true
		case b == '\\':
			esc = true
			i += 2
		case b < 0x20:
			return nil, false, false
		case b < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(c.b[i:])
			if r == utf8.RuneError && size == 1 {
				if !esc {
					esc = true // let encoding/json replace it, as it does
				}
			}
			i += size
		}
	}
	return nil, false, false
}

// maxDataDepth bounds appendData's recursion; decoded data is far
// shallower (defaultMaxDepth), and encoding/json refuses to decode deeper.
const maxDataDepth = 10000

// appendData appends v as JSON to dst.
func appendData(dst []byte, v any, depth int) ([]byte, error) {
	if depth > maxDataDepth {
		return nil, fmt.Errorf("data nests deeper than %d levels", maxDataDepth)
	}
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case string:
		return appendString(dst, v), nil
	case json.Number:
		if v == "" {
			return append(dst, '0'), nil // as encoding/json writes it
		}
		if !isJSONNumber(string(v)) {
			return nil, fmt.Errorf("invalid number literal %q", string(v))
		}
		return append(dst, v...), nil
	case map[string]any:
		// Keys in order, as encoding/json writes them: the same Event
		// always gives the same bytes.
		var small [16]string
		keys := small[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendData(dst, v[k], depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, '}'), nil
	case []any:
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendData(dst, x, depth+1); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(dst, b...), nil
}

// plainByte holds the ASCII bytes appendString copies as they are.
var plainByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string, byte for byte as
// encoding/json writes it: <, > and & escaped (encoding/json's default
// HTML escaping), U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainByte[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// isJSONNumber reports whether s is a JSON number literal.
func isJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) || s[i] < '0' || s[i] > '9' {
			return false
		}
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	}
	return i == len(s)
}
