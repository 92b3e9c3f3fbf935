package emailhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// repairs is a set of repairs applied to one script's text.
type repairs uint16

const (
	repairTrailingComma repairs = 1 << iota
	repairJoined
	repairEntities
	repairWrapper
	repairControlChars
	repairComments
)

// repairKinds lists every repair flag with its Kind, in reporting order.
var repairKinds = []struct {
	flag repairs
	kind WarningKind
}{
	{repairWrapper, RepairWrapper},
	{repairEntities, RepairEntities},
	{repairTrailingComma, RepairTrailingComma},
	{repairJoined, RepairJoined},
	{repairControlChars, RepairControlChars},
	{repairComments, RepairComments},
}

// wrapper prefixes and suffixes that senders put around script text; the
// longest forms come first so "//<![CDATA[" is not read as "<![CDATA[".
// HTML comment wrappers ("<!--" ... "-->") are read by the parser itself
// (see jsonParser.ws), because a complete "<!-- note -->" before the JSON
// is a comment to skip, not the opening of a wrapper.
var (
	wrapperPrefixes = [][]byte{
		[]byte("/*<![CDATA[*/"), []byte("//<![CDATA["), []byte("<![CDATA["),
	}
	wrapperSuffixes = [][]byte{
		[]byte("/*]]>*/"), []byte("//]]>"), []byte("]]>"), []byte("//-->"),
	}
)

// parseScript reads the JSON text of one script element tolerantly. It
// returns the top-level values (more than one when objects were
// concatenated), the repairs made, and an error wrapping ErrInvalidJSON or
// ErrTooDeep when the text could not be read even after repair. Empty text
// yields no values and no error.
func parseScript(text []byte, maxDepth int) ([]any, repairs, error) {
	var rep repairs
	text = bytes.TrimSpace(text)
	for changed := true; changed; {
		changed = false
		for _, p := range wrapperPrefixes {
			if bytes.HasPrefix(text, p) {
				text = bytes.TrimSpace(text[len(p):])
				rep |= repairWrapper
				changed = true
			}
		}
		for _, s := range wrapperSuffixes {
			if bytes.HasSuffix(text, s) {
				text = bytes.TrimSpace(text[:len(text)-len(s)])
				rep |= repairWrapper
				changed = true
			}
		}
	}
	if len(text) == 0 {
		return nil, rep, nil
	}
	vals, r, err := parseTolerantJSON(text, maxDepth)
	if err == nil {
		return vals, rep | r, nil
	}
	// HTML entities: only when the text as given is unreadable, so a valid
	// "Tom &amp; Jerry" is left as the sender wrote it.
	if bytes.IndexByte(text, '&') >= 0 && !isTooDeep(err) {
		decoded := []byte(html.UnescapeString(string(text)))
		if vals2, r2, err2 := parseTolerantJSON(decoded, maxDepth); err2 == nil {
			return vals2, rep | r2 | repairEntities, nil
		}
	}
	return nil, rep, err
}

// isTooDeep reports whether err is a nesting-depth error.
func isTooDeep(err error) bool {
	pe, ok := err.(*jsonError)
	return ok && pe.tooDeep
}

// jsonError describes where tolerant parsing stopped.
type jsonError struct {
	off     int
	msg     string
	tooDeep bool
}

func (e *jsonError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

func (e *jsonError) Unwrap() error {
	if e.tooDeep {
		return ErrTooDeep
	}
	return ErrInvalidJSON
}

// jsonParser is a single-pass recursive-descent JSON reader that accepts
// the common sender mistakes: trailing commas, missing commas between
// adjacent objects or arrays, and raw control characters inside strings.
// Its recursion is bounded by maxDepth, so hostile nesting cannot exhaust
// the stack, and it never backtracks, so it runs in linear time.
type jsonParser struct {
	s        []byte
	i        int
	depth    int
	maxDepth int
	rep      repairs
	// noCloseBefore: s[noCloseFrom:noCloseBefore] is known to hold no "-->",
	// so repeated "<!--" openers do not rescan it (keeps ws linear).
	noCloseFrom, noCloseBefore int
}

// parseTolerantJSON reads one or more concatenated JSON values from s.
func parseTolerantJSON(s []byte, maxDepth int) ([]any, repairs, error) {
	p := &jsonParser{s: s, maxDepth: maxDepth}
	var out []any
	for {
		p.ws()
		if p.i >= len(p.s) {
			break
		}
		if len(out) > 0 {
			// Another value after a complete one: "}{" or "},{" at top level.
			if p.s[p.i] == ',' {
				p.i++
				p.ws()
				if p.i >= len(p.s) {
					p.rep |= repairTrailingComma
					break
				}
			}
			if c := p.s[p.i]; c != '{' && c != '[' {
				return nil, 0, p.fail("unexpected data after value")
			}
			p.rep |= repairJoined
		}
		v, err := p.value()
		if err != nil {
			return nil, 0, err
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		if p.rep != 0 {
			return nil, p.rep, nil // only comments: an empty script
		}
		return nil, 0, p.fail("no JSON value")
	}
	return out, p.rep, nil
}

func (p *jsonParser) fail(msg string) error { return &jsonError{off: p.i, msg: msg} }

// ws skips whitespace and what senders put between JSON tokens: JavaScript
// comments ("// ..." to the end of the line, "/* ... */"), complete HTML
// comments used as notes ("<!-- note -->" with no JSON inside), and the
// "<!--" and "-->" of a comment wrapped around the JSON. An unterminated
// comment is left for the caller to fail on.
func (p *jsonParser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r', '\f':
			p.i++
		case '/':
			if p.i+1 >= len(p.s) {
				return
			}
			switch p.s[p.i+1] {
			case '/':
				if j := bytes.IndexByte(p.s[p.i+2:], '\n'); j >= 0 {
					p.i += 2 + j + 1
				} else {
					p.i = len(p.s)
				}
			case '*':
				j := bytes.Index(p.s[p.i+2:], []byte("*/"))
				if j < 0 {
					return
				}
				p.i += 2 + j + 2
			default:
				return
			}
			p.rep |= repairComments
		case '<':
			if !bytes.HasPrefix(p.s[p.i:], []byte("<!--")) {
				return
			}
			if end, ok := p.commentNote(); ok {
				p.i = end
				p.rep |= repairComments
			} else {
				p.i += len("<!--")
				p.rep |= repairWrapper
			}
		case '-':
			if !bytes.HasPrefix(p.s[p.i:], []byte("-->")) {
				return
			}
			p.i += len("-->")
			p.rep |= repairWrapper
		default:
			return
		}
	}
}

// commentNote reports whether the "<!--" at p.i is a complete comment
// closed before the next '{' or '[' (a note, not a wrapper around JSON),
// and returns the offset after its "-->".
func (p *jsonParser) commentNote() (end int, ok bool) {
	from := p.i + len("<!--")
	limit := len(p.s)
	if j := bytes.IndexAny(p.s[from:], "{["); j >= 0 {
		limit = from + j
	}
	if from >= p.noCloseFrom && limit <= p.noCloseBefore {
		return 0, false
	}
	j := bytes.Index(p.s[from:limit], []byte("-->"))
	if j < 0 {
		p.noCloseFrom, p.noCloseBefore = from, limit
		return 0, false
	}
	return from + j + len("-->"), true
}

func (p *jsonParser) value() (any, error) {
	p.ws()
	if p.i >= len(p.s) {
		return nil, p.fail("unexpected end of input")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case p.lit("true"):
		return true, nil
	case p.lit("false"):
		return false, nil
	case p.lit("null"):
		return nil, nil
	default:
		return nil, p.fail(fmt.Sprintf("unexpected character %q", c))
	}
}

func (p *jsonParser) lit(w string) bool {
	if bytes.HasPrefix(p.s[p.i:], []byte(w)) {
		p.i += len(w)
		return true
	}
	return false
}

func (p *jsonParser) enter() error {
	p.depth++
	if p.depth > p.maxDepth {
		return &jsonError{off: p.i, msg: fmt.Sprintf("nesting deeper than %d", p.maxDepth), tooDeep: true}
	}
	return nil
}

func (p *jsonParser) object() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.i++ // '{'
	m := make(map[string]any)
	afterComma := false
	for {
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.fail("unterminated object")
		}
		if p.s[p.i] == '}' {
			if afterComma {
				p.rep |= repairTrailingComma
			}
			p.i++
			return m, nil
		}
		if len(m) > 0 && !afterComma {
			return nil, p.fail("expected ',' or '}' in object")
		}
		if p.s[p.i] != '"' {
			return nil, p.fail("expected string key")
		}
		k, err := p.str()
		if err != nil {
			return nil, err
		}
		p.ws()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, p.fail("expected ':' after key")
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		p.ws()
		afterComma = false
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			afterComma = true
		}
	}
}

func (p *jsonParser) array() (any, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	p.i++ // '['
	a := make([]any, 0, 4)
	afterComma, first := false, true
	for {
		p.ws()
		if p.i >= len(p.s) {
			return nil, p.fail("unterminated array")
		}
		c := p.s[p.i]
		if c == ']' {
			if afterComma {
				p.rep |= repairTrailingComma
			}
			p.i++
			return a, nil
		}
		if !first && !afterComma {
			if c != '{' && c != '[' {
				return nil, p.fail("expected ',' or ']' in array")
			}
			p.rep |= repairJoined // "}{" or "][" inside an array
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		first = false
		p.ws()
		afterComma = false
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			afterComma = true
		}
	}
}

func (p *jsonParser) str() (string, error) {
	p.i++ // opening quote
	start := p.i
	// Fast path: no escapes, no control characters, valid UTF-8.
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '"' {
			if utf8.Valid(p.s[start:p.i]) {
				s := string(p.s[start:p.i])
				p.i++
				return s, nil
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		p.i++
	}
	p.i = start
	var b []byte
	for {
		if p.i >= len(p.s) {
			return "", p.fail("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return "", p.fail("unterminated escape")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						if x, ok := p.hex4(); ok {
							r2 = x
						} else {
							p.i = save
						}
					}
					r = utf16.DecodeRune(r, r2)
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", p.fail(fmt.Sprintf("invalid escape \\%c", e))
			}
		case c < 0x20:
			// A raw control character: keep it as the escaped form would.
			p.rep |= repairControlChars
			b = append(b, c)
			p.i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			p.i++
		default:
			r, size := utf8.DecodeRune(p.s[p.i:])
			b = utf8.AppendRune(b, r) // invalid bytes become U+FFFD
			p.i += size
		}
	}
}

func (p *jsonParser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(p.s[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

func (p *jsonParser) number() (any, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return nil, p.fail("invalid number")
	}
	if p.i < len(p.s) && p.s[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.fail("invalid number")
		}
	}
	if p.i < len(p.s) && (p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		p.i++
		if p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.fail("invalid number")
		}
	}
	// json.Number keeps every digit (an order ID such as
	// 12345678901234567890 would lose its last ones as a float64), as
	// hooks decodes the JSON of every other kind.
	return json.Number(p.s[start:p.i]), nil
}
