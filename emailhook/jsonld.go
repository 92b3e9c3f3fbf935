package emailhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// schema.org IRI prefixes that name the same vocabulary.
var schemaPrefixes = []string{"http://schema.org/", "https://schema.org/", "schema:"}

// stripSchema returns s without a schema.org prefix, and whether one was
// removed.
func stripSchema(s string) (string, bool) {
	if strings.IndexByte(s, ':') < 0 {
		return s, false
	}
	for _, p := range schemaPrefixes {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):], true
		}
	}
	return s, false
}

// ctxPool hands out parsed schema.org contexts, one goroutine at a time: a
// parsed *ld.Context builds lazy caches (its inverse) and must not be
// shared. Unlike a sync.Pool it keeps its entries across garbage
// collections, because building one costs tens of milliseconds.
type ctxPool struct {
	free chan *ld.Context
	opts *ld.JsonLdOptions
}

func newCtxPool(size int, opts *ld.JsonLdOptions) *ctxPool {
	return &ctxPool{free: make(chan *ld.Context, size), opts: opts}
}

// get returns a parsed context with its inverse already built.
func (p *ctxPool) get() (*ld.Context, error) {
	select {
	case c := <-p.free:
		return c, nil
	default:
	}
	doc, err := decodeSchemaOrgContext()
	if err != nil {
		return nil, err
	}
	c, err := ld.NewContext(nil, p.opts).Parse(doc["@context"])
	if err != nil {
		return nil, fmt.Errorf("emailhook: parse schema.org context: %w", err)
	}
	c.GetInverse()
	return c, nil
}

// put returns c for reuse, or drops it when the pool is full.
func (p *ctxPool) put(c *ld.Context) {
	select {
	case p.free <- c:
	default:
	}
}

// normalizer turns JSON-LD objects into schema.org compact form.
type normalizer struct {
	v    *vocab
	pool *ctxPool
	opts *ld.JsonLdOptions
}

func newNormalizer(v *vocab, poolSize int) *normalizer {
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = memLoader{} // never the default loader
	opts.CompactArrays = true
	return &normalizer{v: v, pool: newCtxPool(poolSize, opts), opts: opts}
}

// normalize returns obj, which the caller owns, as zero or more schema.org
// compact objects. With a context other than schema.org's, obj is returned
// as given together with an error wrapping ErrUnknownContext or the
// json-gold failure.
func (n *normalizer) normalize(obj map[string]any) ([]map[string]any, error) {
	c, has := obj["@context"]
	if !has || isSchemaOrgContext(c) {
		if out, ok := n.fast(obj); ok {
			return out, nil
		}
		delete(obj, "@context")
		return n.viaJSONGold(obj, true)
	}
	return n.viaJSONGold(obj, false)
}

// viaJSONGold expands and compacts obj with json-gold. With schemaCtx the
// object is read in the schema.org context (its own @context removed);
// otherwise its @context is processed through the in-memory loader.
func (n *normalizer) viaJSONGold(obj map[string]any, schemaCtx bool) (out []map[string]any, err error) {
	ctx, err := n.pool.get()
	if err != nil {
		return nil, err
	}
	defer func() {
		// json-gold signals some malformed input by panicking; never let
		// sender data take the process down.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: json-ld processing: %v", ErrInvalidJSON, r)
			return // a context that saw a panic is not reused
		}
		n.pool.put(ctx)
	}()
	api := ld.NewJsonLdApi()
	active := ctx
	if !schemaCtx {
		active = ld.NewContext(nil, n.opts)
	}
	expanded, err := api.Expand(active, "", obj, n.opts, false, nil)
	if err != nil {
		if errors.Is(err, ErrUnknownContext) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: json-ld expansion: %v", ErrInvalidJSON, err)
	}
	if m, ok := expanded.(map[string]any); ok {
		if g, ok := m["@graph"]; ok && len(m) == 1 {
			expanded = g
		}
	}
	expanded = httpSchema(expanded)
	compacted, err := api.Compact(ctx, "", expanded, true)
	if err != nil {
		return nil, fmt.Errorf("%w: json-ld compaction: %v", ErrInvalidJSON, err)
	}
	var items []any
	switch c := compacted.(type) {
	case []any:
		items = c
	case map[string]any:
		if g, ok := c["@graph"].([]any); ok && len(c) == 1 {
			items = g
		} else {
			items = []any{c}
		}
	}
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok || len(m) == 0 {
			continue
		}
		m = unalias(m).(map[string]any)
		m["@context"] = outputContext
		out = append(out, m)
	}
	return out, nil
}

// httpSchema rewrites https://schema.org/ IRIs in property names and
// @type values of expanded JSON-LD to http://schema.org/, the form the
// schema.org context uses, so both read as one vocabulary.
func httpSchema(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = httpSchema(x[i])
		}
	case map[string]any:
		for k, val := range x {
			if k == "@type" {
				x[k] = httpSchemaTypes(val)
				continue
			}
			val = httpSchema(val)
			if rest, ok := strings.CutPrefix(k, "https://schema.org/"); ok {
				delete(x, k)
				nk := "http://schema.org/" + rest
				if prev, dup := x[nk].([]any); dup {
					if add, ok := val.([]any); ok {
						val = append(prev, add...)
					}
				}
				x[nk] = val
				continue
			}
			x[k] = val
		}
	}
	return v
}

func httpSchemaTypes(v any) any {
	switch t := v.(type) {
	case string:
		if rest, ok := strings.CutPrefix(t, "https://schema.org/"); ok {
			return "http://schema.org/" + rest
		}
	case []any:
		for i := range t {
			t[i] = httpSchemaTypes(t[i])
		}
	}
	return v
}

// unalias renames the schema.org context's "type" and "id" aliases, which
// compaction produces, to the @type and @id keywords.
func unalias(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = unalias(x[i])
		}
	case map[string]any:
		for k, val := range x {
			x[k] = unalias(val)
		}
		for _, a := range [...]string{"type", "id"} {
			if val, ok := x[a]; ok {
				delete(x, a)
				x["@"+a] = val
			}
		}
	}
	return v
}

// fast normalizes obj without json-gold when it uses only what the schema.org
// context defines plainly; ok is false when json-gold must decide. Its
// result equals json-gold's expansion and compaction for every input it
// accepts (checked by TestFastPathMatchesJSONGold and FuzzNormalize).
func (n *normalizer) fast(obj map[string]any) (out []map[string]any, ok bool) {
	if g, has := obj["@graph"]; has {
		if _, hasCtx := obj["@context"]; len(obj) > 2 || (len(obj) == 2 && !hasCtx) {
			return nil, false
		}
		list, isList := g.([]any)
		if !isList {
			list = []any{g}
		}
		for _, it := range list {
			m, isMap := it.(map[string]any)
			if !isMap {
				return nil, false
			}
			if c, has := m["@context"]; has && !isSchemaOrgContext(c) {
				return nil, false
			}
			res, ok := n.fastTop(m)
			if !ok {
				return nil, false
			}
			out = append(out, res...)
		}
		return out, true
	}
	return n.fastTop(obj)
}

func (n *normalizer) fastTop(obj map[string]any) ([]map[string]any, bool) {
	v, ok := n.fastNode(obj, 0)
	if !ok {
		return nil, false
	}
	m := v.(map[string]any)
	// Expansion drops a top-level node with nothing but an @id, or nothing.
	if _, hasID := m["@id"]; len(m) == 0 || (len(m) == 1 && hasID) {
		return nil, true
	}
	m["@context"] = outputContext
	return []map[string]any{m}, true
}

// fastNode normalizes a node object in place.
func (n *normalizer) fastNode(obj map[string]any, depth int) (any, bool) {
	if depth > 1000 {
		return nil, false
	}
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		switch k {
		case "@context":
			if !isSchemaOrgContext(val) {
				return nil, false
			}
			continue
		case "@type", "type":
			t, ok := n.fastTypes(val)
			if !ok {
				return nil, false
			}
			if _, dup := out["@type"]; dup {
				return nil, false
			}
			out["@type"] = t
			continue
		case "@id", "id":
			s, isStr := val.(string)
			if !isStr || !n.plainIRI(s) {
				return nil, false
			}
			if _, dup := out["@id"]; dup {
				return nil, false
			}
			out["@id"] = s
			continue
		}
		if k == "" || k[0] == '@' {
			return nil, false
		}
		term, _ := stripSchema(k)
		if term == "" || n.v.special[term] || strings.ContainsAny(term, ":/#@") {
			return nil, false
		}
		co := n.v.terms[term] // unknown terms are plain vocabulary terms
		if co == coerceOther {
			return nil, false
		}
		if val == nil {
			if _, dup := out[term]; dup {
				return nil, false
			}
			continue
		}
		nv, ok := n.fastValue(val, co, depth)
		if !ok {
			return nil, false
		}
		if _, dup := out[term]; dup {
			return nil, false
		}
		out[term] = nv
	}
	return out, true
}

// fastValue normalizes a property value.
func (n *normalizer) fastValue(val any, co coercion, depth int) (any, bool) {
	switch x := val.(type) {
	case string:
		if co == coerceID && !n.plainIRI(x) {
			return nil, false
		}
		return x, true
	case json.Number, float64, bool:
		return x, co == coerceNone
	case map[string]any:
		if co == coerceDate || len(x) == 0 && co != coerceNone {
			return nil, false
		}
		if len(x) == 1 {
			for k, id := range x {
				if k == "@id" || k == "id" {
					s, isStr := id.(string)
					if !isStr || !n.plainIRI(s) {
						return nil, false
					}
					if co == coerceID {
						return s, true
					}
					return map[string]any{"@id": s}, true
				}
			}
		}
		return n.fastNode(x, depth+1)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e == nil {
				continue
			}
			if _, nested := e.([]any); nested {
				return nil, false
			}
			ne, ok := n.fastValue(e, co, depth)
			if !ok {
				return nil, false
			}
			out = append(out, ne)
		}
		if len(out) == 1 {
			return out[0], true
		}
		return out, true
	}
	return nil, false
}

// fastTypes normalizes an @type value.
func (n *normalizer) fastTypes(val any) (any, bool) {
	one := func(s string) (string, bool) {
		t, _ := stripSchema(s)
		if t == "" || n.v.special[t] || strings.ContainsAny(t, ":/#@") {
			return "", false
		}
		return t, true
	}
	switch x := val.(type) {
	case string:
		return one(x)
	case []any:
		if len(x) == 0 {
			return nil, false
		}
		out := make([]any, 0, len(x))
		for _, e := range x {
			s, isStr := e.(string)
			if !isStr {
				return nil, false
			}
			t, ok := one(s)
			if !ok {
				return nil, false
			}
			out = append(out, t)
		}
		if len(out) == 1 {
			return out[0], true
		}
		return out, true
	}
	return nil, false
}

// plainIRI reports whether compaction leaves the IRI s unchanged: it must not
// use or start with one of the context's prefixes, and must not be a
// keyword-like or empty reference.
func (n *normalizer) plainIRI(s string) bool {
	if s == "" || s[0] == '@' || s[0] == '_' || strings.HasPrefix(s, "//") {
		return false // empty, keyword-like, blank node, or network-path reference
	}
	i := strings.IndexByte(s, ':')
	if i < 0 {
		return true
	}
	if n.v.special[s[:i]] || n.v.terms[s[:i]] != coerceNone {
		return false
	}
	if _, isTerm := n.v.terms[s[:i]]; isTerm {
		return false
	}
	for _, p := range n.v.prefixIRIs {
		if strings.HasPrefix(s, p) {
			return false
		}
	}
	return !strings.HasPrefix(s, "https://schema.org/")
}
