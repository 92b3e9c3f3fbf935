package emailhook

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// microdata reads the schema.org microdata items of doc as JSON-LD objects
// (before normalization). It parses the document with goquery, so it is
// called only when doc mentions itemscope.
func (x *Extractor) microdata(doc []byte) ([]map[string]any, error) {
	d, err := goquery.NewDocumentFromReader(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("parse HTML: %w", err)
	}
	// itemref lets many items share one subtree; the budget keeps the total
	// work linear in the document size whatever the references.
	md := &mdReader{budget: 4*len(doc) + 1024}
	var out []map[string]any
	d.Find("[itemscope]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		n := s.Get(0)
		if hasAttr(n, "itemprop") {
			return true // a property of another item, not a top-level item
		}
		if hasAttr(n, "itemref") && md.ids == nil {
			md.indexIDs(d.Get(0))
		}
		item := md.item(n, nil)
		if md.budget < 0 {
			return false
		}
		if len(item) > 0 { // an item without properties carries no data
			out = append(out, item)
		}
		return true
	})
	if md.budget < 0 {
		return nil, fmt.Errorf("item references visit more than %d nodes", 4*len(doc)+1024)
	}
	return out, nil
}

// mdReader builds microdata items.
type mdReader struct {
	ids    map[string]*html.Node // for itemref, built on first need
	budget int                   // nodes left to visit; below 0 stops reading
}

func (md *mdReader) indexIDs(root *html.Node) {
	md.ids = make(map[string]*html.Node)
	for n := range root.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		if id, ok := attr(n, "id"); ok {
			if _, dup := md.ids[id]; !dup {
				md.ids[id] = n
			}
		}
	}
}

// item returns the properties of the item at n, with @type and @id. stack
// holds the items being built around it, to stop itemref cycles.
func (md *mdReader) item(n *html.Node, stack []*html.Node) map[string]any {
	for _, s := range stack {
		if s == n {
			return nil
		}
	}
	stack = append(stack, n)
	props := make(map[string]any)
	add := func(p *html.Node) {
		names, _ := attr(p, "itemprop")
		var val any
		if hasAttr(p, "itemscope") {
			sub := md.item(p, stack)
			if sub == nil {
				return
			}
			val = sub
		} else {
			val = md.propValue(p)
		}
		for _, name := range strings.Fields(names) {
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
	var crawl func(c *html.Node)
	crawl = func(c *html.Node) {
		for ; c != nil && md.budget >= 0; c = c.NextSibling {
			md.budget--
			if c.Type != html.ElementNode || seen[c] {
				continue
			}
			seen[c] = true
			if hasAttr(c, "itemprop") {
				add(c)
			}
			if !hasAttr(c, "itemscope") {
				crawl(c.FirstChild)
			}
		}
	}
	crawl(n.FirstChild)
	if refs, ok := attr(n, "itemref"); ok {
		for _, id := range strings.Fields(refs) {
			r := md.ids[id]
			if r == nil || seen[r] {
				continue
			}
			// The referenced element itself is a candidate, then its subtree.
			seen[r] = true
			if hasAttr(r, "itemprop") {
				add(r)
			}
			if !hasAttr(r, "itemscope") {
				crawl(r.FirstChild)
			}
		}
	}
	if len(props) == 0 && len(stack) == 1 {
		return nil
	}
	if types, ok := attr(n, "itemtype"); ok {
		var ts []any
		for _, t := range strings.Fields(types) {
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
	if id, ok := attr(n, "itemid"); ok && strings.TrimSpace(id) != "" {
		props["@id"] = strings.TrimSpace(id)
	}
	if len(stack) == 1 {
		props["@context"] = outputContext
	}
	return props
}

// propValue is the value of a non-item property element, by the microdata
// rules, leniently: a link or anchor without href falls back to a content
// attribute, as some senders write. Text content is trimmed and its
// no-break spaces become spaces.
func (md *mdReader) propValue(n *html.Node) string {
	// URL attributes lose surrounding whitespace as HTML specifies; other
	// attribute values are kept exactly as written.
	pick := func(names ...string) (string, bool) {
		for _, a := range names {
			if v, ok := attr(n, a); ok {
				if a == "href" || a == "src" || a == "data" {
					v = strings.TrimSpace(v)
				}
				return v, true
			}
		}
		return "", false
	}
	switch n.DataAtom {
	case atom.Meta:
		v, _ := pick("content")
		return v
	case atom.Audio, atom.Embed, atom.Iframe, atom.Img, atom.Source, atom.Track, atom.Video:
		v, _ := pick("src")
		return v
	case atom.A, atom.Area, atom.Link:
		v, _ := pick("href", "content")
		return v
	case atom.Object:
		v, _ := pick("data")
		return v
	case atom.Data, atom.Meter:
		v, _ := pick("value")
		return v
	case atom.Time:
		if v, ok := pick("datetime"); ok {
			return v
		}
	}
	var b strings.Builder
	for d := range n.Descendants() {
		if md.budget--; md.budget < 0 {
			return ""
		}
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	// Text content: trimmed, with no-break spaces (&nbsp;, common in
	// prices and addresses) read as plain spaces.
	return strings.TrimSpace(strings.ReplaceAll(b.String(), "\u00a0", " "))
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasAttr(n *html.Node, key string) bool {
	_, ok := attr(n, key)
	return ok
}
