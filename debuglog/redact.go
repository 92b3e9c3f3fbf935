package debuglog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"mime"
	"net/textproto"
	"net/url"
	"strings"

	"github.com/inbound-hooks/inbound/hooks"
)

// defaultRedactFields are the words of Options.RedactFields' default.
var defaultRedactFields = []string{
	"password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey", "privatekey",
	"authorization", "cardnumber", "ccnumber", "creditcard", "cvv", "cvc", "ssn",
}

// redactor replaces the values of secret-like fields in recorded bodies
// and data by hooks.Redacted. The zero value (no words) redacts nothing.
type redactor struct {
	words []string // normalized
}

func newRedactor(fields []string) *redactor {
	if fields == nil {
		fields = defaultRedactFields
	}
	r := &redactor{}
	for _, f := range fields {
		if n := normalizeField(f); n != "" {
			r.words = append(r.words, n)
		}
	}
	return r
}

// normalizeField lowercases name and keeps its letters and digits only, so
// that "api_key", "API-Key" and "apiKey" are all "apikey".
func normalizeField(name string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(name) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c > 0x7f {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// match reports whether a field name, or any segment of a nested one
// ("user[password]", "card.cvv"), contains one of the words once
// normalized.
func (r *redactor) match(name string) bool {
	if len(r.words) == 0 {
		return false
	}
	n := normalizeField(name)
	for _, w := range r.words {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// redactedJSON is hooks.Redacted as a JSON string.
var redactedJSON = []byte(`"` + hooks.Redacted + `"`)

// body returns body with the values of secret-like fields replaced, for
// the bodies whose fields it can find: JSON, URL-encoded forms, and the
// text fields of multipart forms (file contents are kept). Other bodies
// are returned as they are.
func (r *redactor) body(contentType string, body []byte) []byte {
	if len(r.words) == 0 || len(body) == 0 {
		return body
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return body
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return r.json(body)
	case mt == "application/x-www-form-urlencoded":
		return r.form(body)
	case mt == "multipart/form-data" && params["boundary"] != "":
		return r.multipart(body, params["boundary"])
	}
	return body
}

// json replaces the value of each object member whose name matches (the
// whole value, when it is an object or an array) by "[redacted]", keeping
// the rest of the text as it is. A text that is not valid JSON is
// redacted up to the first error, and kept as it is after it.
func (r *redactor) json(b []byte) []byte {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	type frame struct{ obj, key bool } // key: the object's next token is a member name
	var stack []frame
	var spans [][2]int
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].obj {
			stack[n-1].key = true
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].key {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueDone()
				continue
			}
			stack[n-1].key = false
			name, _ := tok.(string)
			if !r.match(name) {
				continue
			}
			start := valueStart(b, int(dec.InputOffset()))
			if !skipValue(dec) {
				break
			}
			spans = append(spans, [2]int{start, int(dec.InputOffset())})
			stack[n-1].key = true
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{obj: true, key: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim(']'), json.Delim('}'):
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			valueDone()
		default:
			valueDone()
		}
	}
	return replaceSpans(b, spans, redactedJSON)
}

// valueStart returns where the value after a member name that ends at i
// starts: past white space and the colon.
func valueStart(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n', ':':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue reads one whole value from dec.
func skipValue(dec *json.Decoder) bool {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth <= 0 {
			return true
		}
	}
}

// replaceSpans returns b with each span (in order, not overlapping)
// replaced by with; b itself when there are none.
func replaceSpans(b []byte, spans [][2]int, with []byte) []byte {
	if len(spans) == 0 {
		return b
	}
	out := make([]byte, 0, len(b))
	last := 0
	for _, s := range spans {
		if s[0] < last || s[1] < s[0] || s[1] > len(b) {
			continue
		}
		out = append(out, b[last:s[0]]...)
		out = append(out, with...)
		last = s[1]
	}
	return append(out, b[last:]...)
}

// form replaces the value of each name=value pair whose name matches.
func (r *redactor) form(b []byte) []byte {
	var spans [][2]int
	for i := 0; i < len(b); {
		end := bytes.IndexByte(b[i:], '&')
		if end < 0 {
			end = len(b)
		} else {
			end += i
		}
		pair := b[i:end]
		if eq := bytes.IndexByte(pair, '='); eq >= 0 {
			name, err := url.QueryUnescape(string(pair[:eq]))
			if err != nil {
				name = string(pair[:eq])
			}
			if r.match(name) {
				spans = append(spans, [2]int{i + eq + 1, end})
			}
		}
		i = end + 1
	}
	return replaceSpans(b, spans, []byte(hooks.Redacted))
}

// multipart replaces the content of each part that is not a file and
// whose field name matches. Parts are found by their delimiter lines, as
// the body was received.
func (r *redactor) multipart(b []byte, boundary string) []byte {
	delim := []byte("--" + boundary)
	var spans [][2]int
	i := bytes.Index(b, delim)
	for i >= 0 {
		// The part's header starts after the delimiter line.
		eol := bytes.Index(b[i:], []byte("\r\n"))
		if eol < 0 {
			break
		}
		hdrStart := i + eol + 2
		hdrEnd := bytes.Index(b[hdrStart:], []byte("\r\n\r\n"))
		next := bytes.Index(b[hdrStart:], append([]byte("\r\n"), delim...))
		if hdrEnd < 0 || next < 0 || hdrEnd > next {
			break
		}
		contentStart, contentEnd := hdrStart+hdrEnd+4, hdrStart+next
		h, err := textproto.NewReader(newLineReader(b[hdrStart:contentStart])).ReadMIMEHeader()
		if err == nil && contentEnd >= contentStart {
			if _, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
				if _, isFile := params["filename"]; !isFile && r.match(params["name"]) {
					spans = append(spans, [2]int{contentStart, contentEnd})
				}
			}
		}
		i = contentEnd + 2
	}
	return replaceSpans(b, spans, []byte(hooks.Redacted))
}

// data returns the JSON encoding of decoded data with the values of
// secret-like fields replaced.
func (r *redactor) data(b []byte) []byte {
	if len(r.words) == 0 {
		return b
	}
	return r.json(b)
}

// newLineReader returns a bufio.Reader over a part's header lines.
func newLineReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
