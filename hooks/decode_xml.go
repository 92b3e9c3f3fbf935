package hooks

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/inbound-hooks/inbound/hooks/errcode"
)

// mediaXML is the media type DecodeBody reports for XML bodies
// (application/xml, text/xml and any +xml type).
const mediaXML = "application/xml"

// Limits of the XML decoder, beside DecodeOptions.MaxDepth (element
// nesting) and the body limit.
const (
	// maxXMLAttributes is the most attributes one element may carry.
	maxXMLAttributes = 256
	// maxXMLNodes is the most elements and attributes a document may hold
	// in all, so that a small body cannot build an outsized tree.
	maxXMLNodes = 100000
)

// xmlTextKey is the member that holds an element's text when the
// element also has attributes or child elements.
const xmlTextKey = "$text"

// isXMLMedia reports whether mt is an XML media type.
func isXMLMedia(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// decodeXMLBody decodes an XML document into JSON-compatible values under
// this convention:
//
//   - The result is an object with one member, named after the root
//     element, holding the root's value: <order id="7"/> gives
//     {"order":{"@id":"7"}}.
//   - An element without attributes or child elements is its text, a
//     string ("" when empty), kept exactly as written (entities and CDATA
//     decoded).
//   - Any other element is an object: each attribute is a member "@name",
//     each child element a member under its name, and the text, when it is
//     not only whitespace, the member "$text" (whitespace around it
//     trimmed; text split by child elements is joined).
//   - A child name that occurs more than once gives an array of the values
//     in document order; a name that occurs once gives the value itself.
//     (Without a schema, one <item> cannot be told from a list of one.)
//   - Names are kept as written, with their namespace prefix
//     ("soap:Envelope", "@xml:lang"); namespace declarations are
//     attributes like any other ("@xmlns", "@xmlns:soap"), so the prefixes
//     can be resolved. All values are strings: XML has no numbers.
//   - Comments and processing instructions are left out. A document with a
//     DTD (<!DOCTYPE ...>) is refused: no entity is ever declared or
//     expanded, and nothing external is fetched.
//
// The charset comes from the Content-Type charset parameter, else the XML
// declaration's encoding, else UTF-8 (RFC 7303). Nesting deeper than
// opts.MaxDepth is refused with 400 nesting_too_deep, an element with more
// than 256 attributes with 400 too_many_attributes, and more
// than 100000 elements and attributes with 413.
func decodeXMLBody(body []byte, charset string, opts DecodeOptions) (*Decoded, error) {
	opts = opts.withDefaults()
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if charset != "" && !isUTF8(charset) {
		enc, err := charsetEncoding(charset)
		if err != nil {
			return nil, err
		}
		if enc != nil {
			out, err := enc.NewDecoder().Bytes(body)
			if err != nil {
				return nil, malformed("the XML body is not valid in its charset", err)
			}
			body = out
		}
		charset = "utf-8" // converted: the declaration's encoding no longer applies
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil // only the five predefined entities
	var badCharset string
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if charset != "" || isUTF8(label) {
			return r, nil
		}
		enc, err := htmlindex.Get(label)
		if err != nil {
			badCharset = label
			return nil, err
		}
		return enc.NewDecoder().Reader(r), nil
	}
	x := xmlBuilder{d: d, maxDepth: opts.MaxDepth}
	v, err := x.document()
	if err != nil {
		if badCharset != "" {
			return nil, NewError(http.StatusUnsupportedMediaType, errcode.UnsupportedCharset,
				fmt.Sprintf("the charset %q is not supported", truncate(badCharset, 40)))
		}
		var he *Error
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, malformed("the body is not well-formed XML", err)
	}
	return &Decoded{Data: v, ContentType: mediaXML}, nil
}

// xmlBuilder reads a document with RawToken (which keeps prefixes as
// written) and checks nesting itself.
type xmlBuilder struct {
	d        *xml.Decoder
	maxDepth int
	nodes    int
}

// xmlElem is an element being read.
type xmlElem struct {
	name     string
	obj      map[string]any // attributes and children; nil until one is seen
	text     strings.Builder
	children bool
}

func xmlName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func (x *xmlBuilder) document() (any, error) {
	var (
		stack []*xmlElem
		root  map[string]any
	)
	for {
		tok, err := x.d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, malformed("the XML body has more than one root element", nil)
			}
			if len(stack) >= x.maxDepth {
				return nil, NewError(http.StatusBadRequest, errcode.TooDeep,
					fmt.Sprintf("the XML body nests deeper than %d elements", x.maxDepth))
			}
			if len(t.Attr) > maxXMLAttributes {
				return nil, NewError(http.StatusBadRequest, errcode.TooManyAttributes,
					fmt.Sprintf("an XML element has more than %d attributes", maxXMLAttributes))
			}
			x.nodes += 1 + len(t.Attr)
			if x.nodes > maxXMLNodes {
				return nil, NewError(http.StatusRequestEntityTooLarge, errcode.XMLTooManyElements,
					fmt.Sprintf("the XML body has more than %d elements and attributes", maxXMLNodes))
			}
			e := &xmlElem{name: xmlName(t.Name)}
			if len(t.Attr) > 0 {
				e.obj = make(map[string]any, len(t.Attr))
				for _, a := range t.Attr {
					k := "@" + xmlName(a.Name)
					if _, dup := e.obj[k]; dup {
						return nil, malformed("an XML element repeats an attribute", nil)
					}
					e.obj[k] = a.Value
				}
			}
			if len(stack) > 0 {
				stack[len(stack)-1].children = true
			}
			stack = append(stack, e)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != xmlName(t.Name) {
				return nil, malformed("the XML body has a mismatched end tag", nil)
			}
			e := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			v := e.value()
			if len(stack) == 0 {
				root = map[string]any{e.name: v}
				continue
			}
			p := stack[len(stack)-1]
			if p.obj == nil {
				p.obj = map[string]any{}
			}
			switch prev := p.obj[e.name].(type) {
			case nil: // the first of its name (values are never nil)
				p.obj[e.name] = v
			case xmlRepeated:
				p.obj[e.name] = append(prev, v)
			default:
				p.obj[e.name] = xmlRepeated{prev, v}
			}
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, malformed("the XML body has text outside the root element", nil)
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		case xml.Directive:
			return nil, NewError(http.StatusBadRequest, errcode.XMLDTD,
				"XML with a DTD or other declaration (<!...>) is not accepted")
		case xml.Comment, xml.ProcInst:
		}
	}
	if len(stack) > 0 || root == nil {
		return nil, malformed("the XML body ends before its root element does", nil)
	}
	return finishXML(root), nil
}

// xmlRepeated marks the arrays built from repeated child names, so that a
// third occurrence appends rather than nests; finishXML turns them into
// []any.
type xmlRepeated []any

func (e *xmlElem) value() any {
	if e.obj == nil && !e.children {
		return e.text.String()
	}
	if e.obj == nil {
		e.obj = map[string]any{}
	}
	if t := strings.TrimSpace(e.text.String()); t != "" {
		e.obj[xmlTextKey] = t
	}
	return e.obj
}

// finishXML replaces xmlRepeated with []any throughout v.
func finishXML(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, c := range t {
			t[k] = finishXML(c)
		}
		return t
	case xmlRepeated:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = finishXML(c)
		}
		return out
	}
	return v
}
