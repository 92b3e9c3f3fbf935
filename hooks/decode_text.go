package hooks

import (
	"strings"
	"unicode/utf8"
)

// mediaText is the media type of plain-text bodies.
const mediaText = "text/plain"

// textKey is the one member of the data of a text/plain body.
const textKey = "text"

// decodeTextBody decodes a text/plain body as {"text": "<the body>"}: the
// whole body as one string, converted to UTF-8 from the charset parameter
// (UTF-8 when absent; an unknown charset is 415 unsupported_charset).
// Line endings and surrounding whitespace are kept as sent; byte sequences
// that are not valid UTF-8 become U+FFFD (Event.Raw keeps the bytes as
// received). Nothing else is inferred from the text: a host that expects
// "key: value" lines parses them itself.
func decodeTextBody(body []byte, charset string) (*Decoded, error) {
	enc, err := charsetEncoding(charset)
	if err != nil {
		return nil, err
	}
	s, err := decodeText(enc, body)
	if err != nil {
		return nil, malformed("the text body is not valid in its charset", err)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return &Decoded{Data: map[string]any{textKey: s}, ContentType: mediaText}, nil
}
