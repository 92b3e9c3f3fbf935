package hooks

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// encodeEvent encodes e as JSON for the queue. Data, the bulk of the
// payload, is written by appendData, which is much cheaper than
// encoding/json for the JSON-compatible values the decoders produce (no
// reflection, no sorting of object keys); anything else falls back to
// encoding/json. decodeEvent reads the result with encoding/json.
func encodeEvent(e *Event) ([]byte, error) {
	data, err := appendData(make([]byte, 0, len(e.Raw)+256), e.Data, 0)
	if err != nil {
		return nil, fmt.Errorf("hooks: encode event %s: %w", e.ID, err)
	}
	c := *e
	c.Data = json.RawMessage(data)
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("hooks: encode event %s: %w", e.ID, err)
	}
	return b, nil
}

// maxDataDepth bounds appendData's recursion; decoded data is far
// shallower (DefaultMaxDepth), and encoding/json refuses to decode deeper.
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
		dst = append(dst, '{')
		first := true
		for k, x := range v {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = appendString(dst, k)
			dst = append(dst, ':')
			var err error
			if dst, err = appendData(dst, x, depth+1); err != nil {
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

// appendString appends s as a JSON string, as encoding/json would (minus
// its HTML escaping, which JSON does not need): invalid UTF-8 becomes
// U+FFFD.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
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
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid in JSON; they are kept as they are.
		i += size
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
