package emailhook

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// mdAttrs are the attributes the microdata reader looks at; the others are
// not kept in the tree readTree builds.
var mdAttrs = map[string]bool{
	"itemscope": true, "itemprop": true, "itemtype": true, "itemid": true, "itemref": true,
	"id": true, "content": true, "href": true, "src": true, "data": true, "value": true, "datetime": true,
}

// attr returns the value of n's attribute key.
func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key && a.Namespace == "" {
			return a.Val, true
		}
	}
	return "", false
}

func has(n *html.Node, key string) bool {
	_, ok := attr(n, key)
	return ok
}

// voidElements never have content; their start tag is the whole element.
var voidElements = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true, atom.Hr: true,
	atom.Img: true, atom.Input: true, atom.Keygen: true, atom.Link: true, atom.Meta: true,
	atom.Param: true, atom.Source: true, atom.Track: true, atom.Wbr: true,
}

// maxTreeDepth bounds the nesting readTree builds: an element opened deeper
// is read as empty, its content going to the deepest open element, so that
// the readers' recursion stays within a small stack whatever the document.
const maxTreeDepth = 10000

// readTree builds the element tree of doc, as a goquery document, from the
// x/net/html token stream with its own stack of open elements, so that the
// author's nesting holds: unlike HTML5 tree building (goquery's
// NewDocumentFromReader), a <div> inside a <p> stays inside it, and there
// is no limit of 512 open elements (see maxTreeDepth). An end tag closes the
// innermost open element of its name and those inside it; an end tag with
// no open element of its name is ignored; "<x/>" closes itself. Elements
// keep only the attributes the microdata reader looks at (mdAttrs); text
// in script, style and template is not content and is not kept; adjacent
// text runs join. The work is linear in the document: each element is
// pushed and popped once, and a count of open elements per name answers
// whether an end tag matches without a search.
func readTree(doc []byte) *goquery.Document {
	root := &html.Node{Type: html.DocumentNode}
	stack := []*html.Node{root}
	open := make(map[string]int)
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return goquery.NewDocumentFromNode(root)
		case html.TextToken:
			top := stack[len(stack)-1]
			if top.DataAtom == atom.Script || top.DataAtom == atom.Style || top.DataAtom == atom.Template {
				continue // not text content (and raw text in script and style)
			}
			t := string(z.Text())
			// Adjacent text tokens (the tokenizer may split a run) join.
			if last := top.LastChild; last != nil && last.Type == html.TextNode {
				last.Data += t
				continue
			}
			top.AppendChild(&html.Node{Type: html.TextNode, Data: t})
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			top := stack[len(stack)-1]
			n := &html.Node{Type: html.ElementNode, Data: string(name), DataAtom: atom.Lookup(name)}
			for more {
				var k, v []byte
				k, v, more = z.TagAttr()
				if mdAttrs[string(k)] && !has(n, string(k)) {
					n.Attr = append(n.Attr, html.Attribute{Key: string(k), Val: string(v)})
				}
			}
			top.AppendChild(n)
			if tt == html.StartTagToken && !voidElements[n.DataAtom] && len(stack) <= maxTreeDepth {
				stack = append(stack, n)
				open[n.Data]++
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if open[string(name)] == 0 {
				continue
			}
			for {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				open[top.Data]--
				if top.Data == string(name) {
					break
				}
			}
		}
	}
}

// treeBase returns the href of the first <base> element of a tree from
// readTree that has one: what findBase reads from the token stream.
func treeBase(d *goquery.Document) (href string, ok bool) {
	return d.Find("base[href]").First().Attr("href")
}

// microdata reads the schema.org microdata items of d, a tree from
// readTree of a document of size bytes, as JSON-LD objects (before
// normalization). base is the document's base URL (nil when none).
//
// The selectors find the top-level items (itemscope without itemprop, in
// document order) and the elements itemref may name (the first element of
// each id). An item's properties are then read by a walk over the
// *html.Node tree, not by a selector: its properties are the descendants
// up to the nested items (which own theirs), and a Find per item would
// visit every nested item's subtree again, quadratic in the nesting.
func microdata(d *goquery.Document, size int, base *url.URL) ([]map[string]any, error) {
	// itemref lets many items share one subtree; the budget keeps the total
	// work linear in the document size whatever the references.
	budget := 4*size + 1024
	md := &mdReader{budget: budget, base: base, building: make(map[*html.Node]bool)}
	d.Find("[id]").Each(func(_ int, s *goquery.Selection) {
		id, _ := s.Attr("id")
		if md.ids == nil {
			md.ids = make(map[string]*html.Node)
		}
		if _, dup := md.ids[id]; !dup {
			md.ids[id] = s.Get(0)
		}
	})
	var out []map[string]any
	var err error
	d.Find("[itemscope]:not([itemprop])").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		item := md.item(s.Get(0), nil)
		if md.budget < 0 {
			err = fmt.Errorf("item references visit more than %d nodes", budget)
			return false
		}
		if item != nil {
			out = append(out, item)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// mdReader builds microdata items.
type mdReader struct {
	ids      map[string]*html.Node
	budget   int // nodes left to visit; below 0 stops reading
	base     *url.URL
	building map[*html.Node]bool // the items of the current stack
}

// item returns the properties of the item at n, with @type and @id. stack
// holds the items being built around it; an item already being built (an
// itemref cycle) is nil. A
// top-level item with neither properties nor an itemid is nil.
func (md *mdReader) item(n *html.Node, stack []*html.Node) map[string]any {
	if md.building[n] {
		return nil
	}
	md.building[n] = true
	defer delete(md.building, n)
	stack = append(stack, n)
	props := make(map[string]any)
	add := func(p *html.Node) {
		names, _ := attr(p, "itemprop")
		var val any
		if has(p, "itemscope") {
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
	seen := map[*html.Node]bool{n: true}
	var crawl func(n *html.Node)
	crawl = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if md.budget--; md.budget < 0 {
				return
			}
			if c.Type != html.ElementNode || seen[c] {
				continue
			}
			seen[c] = true
			if has(c, "itemprop") {
				add(c)
			}
			if !has(c, "itemscope") {
				crawl(c)
			}
		}
	}
	crawl(n)
	if refs, ok := attr(n, "itemref"); ok {
		for _, id := range strings.Fields(refs) {
			r := md.ids[id]
			if r == nil || seen[r] {
				continue
			}
			// The referenced element itself is a candidate, then its subtree.
			seen[r] = true
			if has(r, "itemprop") {
				add(r)
			}
			if !has(r, "itemscope") {
				crawl(r)
			}
		}
	}
	if len(props) == 0 && len(stack) == 1 && !has(n, "itemid") {
		return nil // a top-level item that says nothing
	}
	if types, ok := attr(n, "itemtype"); ok {
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
	if id, ok := attr(n, "itemid"); ok {
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
func (md *mdReader) propValue(n *html.Node) string {
	content, hasContent := attr(n, "content")
	content = validUTF8(content)
	spec := func(name string, isURL bool) string {
		v, ok := attr(n, name)
		if !ok && hasContent {
			return content
		}
		if isURL {
			v, _ = md.url(v)
			return v
		}
		return validUTF8(v)
	}
	switch n.DataAtom {
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
		if _, ok := attr(n, "datetime"); ok || hasContent {
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
func (md *mdReader) text(n *html.Node) string {
	var b strings.Builder
	space, newline := false, false
	brk := func() {
		if b.Len() > 0 {
			newline = true
		}
		space = false
	}
	// A recursive walk, like the property crawl: goquery's Text joins the
	// text without the line and cell rules, and the budget counts nodes.
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if md.budget--; md.budget < 0 {
				return
			}
			switch {
			case c.Type == html.TextNode:
				for _, r := range validUTF8(c.Data) {
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
			case c.Type != html.ElementNode:
			case c.DataAtom == atom.Br:
				brk()
			case c.DataAtom == atom.Td || c.DataAtom == atom.Th:
				if b.Len() > 0 && !newline {
					space = true
				}
				walk(c)
			case blockElements[c.DataAtom]:
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
