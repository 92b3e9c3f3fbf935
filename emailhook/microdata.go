package emailhook

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// mdNode is an element or a text run of the document, nested as the author
// wrote it (see readTree).
type mdNode struct {
	name  string // lower-case tag name; "" for text
	tag   atom.Atom
	text  string    // text runs only
	attrs []mdAttr  // microdata-relevant attributes only
	kids  []*mdNode // children in document order
}

type mdAttr struct{ key, val string }

// mdAttrs are the attributes the microdata reader looks at; the others are
// not kept.
var mdAttrs = map[string]bool{
	"itemscope": true, "itemprop": true, "itemtype": true, "itemid": true, "itemref": true,
	"id": true, "content": true, "href": true, "src": true, "data": true, "value": true, "datetime": true,
}

func (n *mdNode) attr(key string) (string, bool) {
	for _, a := range n.attrs {
		if a.key == key {
			return a.val, true
		}
	}
	return "", false
}

func (n *mdNode) has(key string) bool {
	_, ok := n.attr(key)
	return ok
}

// voidElements never have content; their start tag is the whole element.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true,
	atom.Img: true, atom.Input: true, atom.Keygen: true, atom.Link: true, atom.Meta: true,
	atom.Param: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// mdDoc is a document read for microdata.
type mdDoc struct {
	root  *mdNode
	items []*mdNode // elements with itemscope, in document order
	ids   map[string]*mdNode
}

// maxTreeDepth bounds the nesting readTree builds: an element opened deeper
// is read as empty, its content going to the deepest open element, so that
// the readers' recursion stays within a small stack whatever the document.
const maxTreeDepth = 10000

// readTree builds the element tree of doc from the x/net/html token stream
// with its own stack of open elements, so that the author's nesting holds:
// unlike HTML5 tree building, a <div> inside a <p> stays inside it, and
// there is no limit of 512 open elements (see maxTreeDepth). An end tag closes the innermost open
// element of its name and those inside it; an end tag with no open element
// of its name is ignored; "<x/>" closes itself. The work is linear in the
// document: each element is pushed and popped once, and a count of open
// elements per name answers whether an end tag matches without a search.
func readTree(doc []byte) *mdDoc {
	d := &mdDoc{root: &mdNode{}}
	stack := []*mdNode{d.root}
	open := make(map[string]int)
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return d
		case html.TextToken:
			top := stack[len(stack)-1]
			if top.tag == atom.Script || top.tag == atom.Style || top.tag == atom.Template {
				continue // not text content (and raw text in script and style)
			}
			t := string(z.Text())
			// Adjacent text tokens (the tokenizer may split a run) join.
			if k := len(top.kids); k > 0 && top.kids[k-1].name == "" {
				top.kids[k-1].text += t
				continue
			}
			top.kids = append(top.kids, &mdNode{text: t})
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			top := stack[len(stack)-1]
			n := &mdNode{name: string(name), tag: atom.Lookup(name)}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				if mdAttrs[string(k)] && !n.has(string(k)) {
					n.attrs = append(n.attrs, mdAttr{string(k), string(v)})
				}
			}
			top.kids = append(top.kids, n)
			if n.has("itemscope") {
				d.items = append(d.items, n)
			}
			if id, ok := n.attr("id"); ok {
				if d.ids == nil {
					d.ids = make(map[string]*mdNode)
				}
				if _, dup := d.ids[id]; !dup {
					d.ids[id] = n
				}
			}
			if tt == html.StartTagToken && !voidElements[n.tag] && len(stack) <= maxTreeDepth {
				stack = append(stack, n)
				open[n.name]++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if open[string(name)] == 0 {
				continue
			}
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				open[top.name]--
				if top.name == string(name) {
					break
				}
			}
		}
	}
}

// microdata reads the schema.org microdata items of doc as JSON-LD objects
// (before normalization). It is called only when doc mentions itemscope.
// base is the document's base URL (nil when none).
func (x *Extractor) microdata(doc []byte, base *url.URL) ([]map[string]any, error) {
	d := readTree(doc)
	// itemref lets many items share one subtree; the budget keeps the total
	// work linear in the document size whatever the references.
	budget := 4*len(doc) + 1024
	md := &mdReader{ids: d.ids, budget: budget, base: base, building: make(map[*mdNode]bool)}
	var out []map[string]any
	for _, n := range d.items {
		if n.has("itemprop") {
			continue // a property of another item, not a top-level item
		}
		item := md.item(n, nil)
		if md.budget < 0 {
			return nil, fmt.Errorf("item references visit more than %d nodes", budget)
		}
		if item != nil {
			out = append(out, item)
		}
	}
	return out, nil
}

// mdReader builds microdata items.
type mdReader struct {
	ids      map[string]*mdNode
	budget   int // nodes left to visit; below 0 stops reading
	base     *url.URL
	building map[*mdNode]bool // the items of the current stack
}

// item returns the properties of the item at n, with @type and @id. stack
// holds the items being built around it; an item already being built (an
// itemref cycle) is nil. A
// top-level item with neither properties nor an itemid is nil.
func (md *mdReader) item(n *mdNode, stack []*mdNode) map[string]any {
	if md.building[n] {
		return nil
	}
	md.building[n] = true
	defer delete(md.building, n)
	stack = append(stack, n)
	props := make(map[string]any)
	add := func(p *mdNode) {
		names, _ := p.attr("itemprop")
		var val any
		if p.has("itemscope") {
			sub := md.item(p, stack)
			if sub == nil {
				return
			}
			val = sub
		} else {
			val = md.propValue(p)
		}
		for _, name := range strings.Fields(validUTF8(names)) {
			name, _ = stripSchema(name)
			switch prev := props[name].(type) {
			case nil:
				props[name] = val
			case []any:
				props[name] = append(prev, val)
			default:
				props[name] = []any{prev, val}
			}
		}
	}
	seen := map[*mdNode]bool{n: true}
	var crawl func(kids []*mdNode)
	crawl = func(kids []*mdNode) {
		for _, c := range kids {
			if md.budget--; md.budget < 0 {
				return
			}
			if c.name == "" || seen[c] {
				continue
			}
			seen[c] = true
			if c.has("itemprop") {
				add(c)
			}
			if !c.has("itemscope") {
				crawl(c.kids)
			}
		}
	}
	crawl(n.kids)
	if refs, ok := n.attr("itemref"); ok {
		for _, id := range strings.Fields(refs) {
			r := md.ids[id]
			if r == nil || seen[r] {
				continue
			}
			// The referenced element itself is a candidate, then its subtree.
			seen[r] = true
			if r.has("itemprop") {
				add(r)
			}
			if !r.has("itemscope") {
				crawl(r.kids)
			}
		}
	}
	if len(props) == 0 && len(stack) == 1 && !n.has("itemid") {
		return nil // a top-level item that says nothing
	}
	if types, ok := n.attr("itemtype"); ok {
		var ts []any
		for _, t := range strings.Fields(validUTF8(types)) {
			t, _ = stripSchema(t)
			ts = append(ts, t)
		}
		switch len(ts) {
		case 0:
		case 1:
			props["@type"] = ts[0]
		default:
			props["@type"] = ts
		}
	}
	if id, ok := n.attr("itemid"); ok {
		if id, ok := md.url(id); ok && id != "" {
			props["@id"] = id
		}
	}
	if len(stack) == 1 {
		props["@context"] = outputContext
	}
	return props
}

// url returns a URL attribute value: trimmed of surrounding whitespace as
// HTML specifies, and resolved against the base URL when there is one.
// ok is false for an empty value without a base.
func (md *mdReader) url(v string) (string, bool) {
	v = strings.TrimSpace(validUTF8(v))
	if md.base == nil {
		return v, v != ""
	}
	u, err := url.Parse(v)
	if err != nil {
		return v, v != ""
	}
	return md.base.ResolveReference(u).String(), true
}

// propValue is the value of a non-item property element, by the microdata
// rules, with the content attribute read as schema.org's and Google's
// readers do: on any element, a content attribute is the value (<span
// itemprop="startDate" content="2026-10-01T19:30">Thursday</span>, <div
// itemprop="price" content="13.00">$13.00</div>), except where the
// microdata rules name another attribute (href, src, data, value,
// datetime: that one, the content attribute only standing in when it is
// missing) and on headings and paragraphs, whose text is authored prose
// and stays the value as the microdata rules and KDE's kitinerary read it.
// URLs are resolved (see url); other elements give their text (see text).
func (md *mdReader) propValue(n *mdNode) string {
	content, hasContent := n.attr("content")
	content = validUTF8(content)
	spec := func(name string, isURL bool) string {
		v, ok := n.attr(name)
		if !ok && hasContent {
			return content
		}
		if isURL {
			v, _ = md.url(v)
			return v
		}
		return validUTF8(v)
	}
	switch n.tag {
	case atom.Meta:
		return content
	case atom.Audio, atom.Embed, atom.Iframe, atom.Img, atom.Source, atom.Track, atom.Video:
		return spec("src", true)
	case atom.A, atom.Area, atom.Link:
		return spec("href", true)
	case atom.Object:
		return spec("data", true)
	case atom.Data, atom.Meter:
		return spec("value", false)
	case atom.Time:
		if _, ok := n.attr("datetime"); ok || hasContent {
			return spec("datetime", false)
		}
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.P:
		return md.text(n)
	}
	if hasContent {
		return content
	}
	return md.text(n)
}

// Elements whose start and end break a line of text content.
var blockElements = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true, atom.Caption: true,
	atom.Center: true, atom.Dd: true, atom.Details: true, atom.Dialog: true, atom.Div: true, atom.Dl: true,
	atom.Dt: true, atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true, atom.Footer: true,
	atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Header: true, atom.Hgroup: true, atom.Hr: true, atom.Li: true, atom.Main: true, atom.Nav: true,
	atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true,
	atom.Tbody: true, atom.Thead: true, atom.Tfoot: true, atom.Tr: true, atom.Ul: true,
}

// text is the text content of n by the microdata rules (the text of its
// descendants; script and style text is not content), made readable as a
// mail client shows it: runs of white space (no-break spaces included)
// become one space, <br> and the edges of block elements break the line,
// table cells are spaced, and lines are trimmed, without empty ones.
// Invalid UTF-8 becomes U+FFFD, as in script JSON.
func (md *mdReader) text(n *mdNode) string {
	var b strings.Builder
	space, newline := false, false
	brk := func() {
		if b.Len() > 0 {
			newline = true
		}
		space = false
	}
	var walk func(n *mdNode)
	walk = func(n *mdNode) {
		for _, c := range n.kids {
			if md.budget--; md.budget < 0 {
				return
			}
			switch {
			case c.name == "":
				for _, r := range validUTF8(c.text) {
					switch r {
					case ' ', '\t', '\n', '\r', '\f', '\u00a0':
						if b.Len() > 0 && !newline {
							space = true
						}
						continue
					}
					switch {
					case newline:
						b.WriteByte('\n')
					case space:
						b.WriteByte(' ')
					}
					space, newline = false, false
					b.WriteRune(r)
				}
			case c.tag == atom.Br:
				brk()
			case c.tag == atom.Td || c.tag == atom.Th:
				if b.Len() > 0 && !newline {
					space = true
				}
				walk(c)
			case blockElements[c.tag]:
				brk()
				walk(c)
				brk()
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return b.String()
}

// validUTF8 replaces each byte of s that is not part of valid UTF-8 with
// U+FFFD, the rule the script JSON reader applies.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s { // range yields U+FFFD per invalid byte
		b.WriteRune(r)
	}
	return b.String()
}
