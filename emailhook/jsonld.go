package emailhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

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

// ctxPool hands out parsed contexts of one kind, one goroutine at a time: a
// parsed *ld.Context builds lazy caches (its inverse) and must not be
// shared. Unlike a sync.Pool it keeps its entries across garbage
// collections, because building one costs up to tens of milliseconds.
type ctxPool struct {
	free  chan *ld.Context
	build func() (*ld.Context, error)
}

func newCtxPool(size int, build func() (*ld.Context, error)) *ctxPool {
	return &ctxPool{free: make(chan *ld.Context, size), build: build}
}

// get returns a parsed context from the pool, or a new one and true when
// one had to be built.
func (p *ctxPool) get() (c *ld.Context, built bool, err error) {
	select {
	case c := <-p.free:
		return c, false, nil
	default:
	}
	c, err = p.build()
	return c, true, err
}

// put returns c for reuse, or drops it when the pool is full.
func (p *ctxPool) put(c *ld.Context) {
	select {
	case p.free <- c:
	default:
	}
}

// noBase is the base URL set for compaction: no real IRI starts with its
// root ("x-inbound-no-base://"), so json-gold makes none relative.
const noBase = "x-inbound-no-base:"

// Work costs charged to a message's budget (see work), in the unit of what
// parsing one byte of HTML costs: a json-gold expansion and compaction of a
// small object takes about as long as a goquery parse of 8 to 40 KiB, and
// processing a @context that extends schema.org (a cache miss) as long as
// 256 KiB. Objects on the fast path are not charged: their work is linear
// in their bytes.
const (
	costContext    = 256 << 10
	costObject     = 8 << 10
	costObjectByte = 16 // per byte of the object, on top of costObject
	// maxCachedContexts bounds how many processed @context values are kept
	// across messages (each holds a copy of the schema.org terms when it
	// extends them), and maxContextKey the canonical size of one.
	maxCachedContexts = 16
	maxContextKey     = 16 << 10
)

// work is what one Extract call may still spend on json-gold: a budget in
// input-byte units, proportional to the document's size, so that an
// Extract stays linear in its input whatever the objects ask for.
type work struct {
	left int
	base *url.URL // the document's base URL, nil when none
	// The last @context seen by extraTerms, and its answer.
	lastCtx   any
	lastTerms map[string]string
	lastOK    bool
}

// extraTerms is n.extraTerms(c), remembering the last answer: the objects
// of a message most often share one @context.
func (w *work) extraTerms(n *normalizer, c any) (map[string]string, bool) {
	if w == nil {
		return n.extraTerms(c)
	}
	if w.lastCtx != nil && sameJSON(w.lastCtx, c, 0) {
		return w.lastTerms, w.lastOK
	}
	w.lastCtx = c
	w.lastTerms, w.lastOK = n.extraTerms(c)
	return w.lastTerms, w.lastOK
}

// sameJSON reports whether a and b are equal JSON values made of strings,
// arrays and objects (anything else is reported unequal).
func sameJSON(a, b any, depth int) bool {
	if depth > 8 {
		return false
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameJSON(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !sameJSON(v, w, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}

// errBudget means a message's work budget was spent.
var errBudget = errors.New("work budget spent")

func (w *work) charge(n int) error {
	if w == nil {
		return nil
	}
	if w.left < n {
		w.left = 0
		return errBudget
	}
	w.left -= n
	return nil
}

// ctxEntry is a processed @context value: a pool of parsed copies, or the
// error processing it gave.
type ctxEntry struct {
	pool *ctxPool
	err  error
}

// ctxCache keeps processed @context values by the canonical JSON of the
// value, for the objects of a message and across messages: an email with
// many objects naming ["https://schema.org", {...}] processes the context
// once, not once per object. It holds at most maxCachedContexts entries,
// dropping the oldest first.
type ctxCache struct {
	mu    sync.Mutex
	m     map[string]*ctxEntry
	order []string
}

// normalizer turns JSON-LD objects into schema.org compact form.
type normalizer struct {
	v        *vocab
	pool     *ctxPool // the schema.org context, inverse built
	poolSize int
	opts     *ld.JsonLdOptions
	cache    ctxCache
}

func newNormalizer(v *vocab, poolSize int) *normalizer {
	opts := ld.NewJsonLdOptions("")
	opts.DocumentLoader = memLoader{} // never the default loader
	opts.CompactArrays = true
	n := &normalizer{v: v, poolSize: poolSize, opts: opts}
	n.pool = newCtxPool(poolSize, func() (*ld.Context, error) {
		doc, err := decodeSchemaOrgContext()
		if err != nil {
			return nil, err
		}
		c, err := ld.NewContext(nil, opts).Parse(doc["@context"])
		if err != nil {
			return nil, fmt.Errorf("emailhook: parse schema.org context: %w", err)
		}
		c.GetInverse()
		return c, nil
	})
	n.cache.m = make(map[string]*ctxEntry)
	return n
}

// contextPool returns the pool of active contexts for a @context value
// whose canonical JSON is key (see contextKey), processing it on first use. built reports whether the value was processed
// now (a cost for the budget). A value too large to keep is processed for
// this use only.
func (n *normalizer) contextPool(ctxVal any, key []byte) (p *ctxPool, built bool, err error) {
	build := func() (c *ld.Context, err error) {
		defer func() {
			if r := recover(); r != nil {
				c, err = nil, fmt.Errorf("%w: @context processing: %v", ErrInvalidJSON, r)
			}
		}()
		// ["https://schema.org", extra...] extends a pooled schema.org
		// context (a copy of its terms) instead of parsing schema.org again.
		if list, ok := ctxVal.([]any); ok && len(list) > 1 && isSchemaOrgContext(list[0]) {
			sc, _, err := n.pool.get()
			if err != nil {
				return nil, err
			}
			defer n.pool.put(sc)
			return sc.Parse(list[1:])
		}
		return ld.NewContext(nil, n.opts).Parse(ctxVal)
	}
	if len(key) > maxContextKey {
		return newCtxPool(1, build), true, nil
	}
	n.cache.mu.Lock()
	e, ok := n.cache.m[string(key)]
	n.cache.mu.Unlock()
	if ok {
		return e.pool, false, e.err
	}
	// Process outside the lock; two goroutines may both do it once.
	e = &ctxEntry{pool: newCtxPool(n.poolSize, build)}
	c, _, err := e.pool.get()
	if err != nil {
		if errors.Is(err, ErrUnknownContext) {
			e.err = err
		} else {
			e.err = fmt.Errorf("%w: @context: %v", ErrInvalidJSON, err)
		}
	} else {
		e.pool.put(c)
	}
	n.cache.mu.Lock()
	if _, dup := n.cache.m[string(key)]; !dup {
		if len(n.cache.order) >= maxCachedContexts {
			delete(n.cache.m, n.cache.order[0])
			n.cache.order = n.cache.order[1:]
		}
		n.cache.m[string(key)] = e
		n.cache.order = append(n.cache.order, string(key))
	}
	n.cache.mu.Unlock()
	return e.pool, true, e.err
}

// normalize returns obj as zero or more schema.org compact objects, leaving
// obj's own keys as they were (json-gold gets a copy); with a base, it
// resolves obj's relative IRIs in place first. It fails with an error
// wrapping ErrUnknownContext for a context other than schema.org's, or
// with the json-gold failure. w, which may be nil, is charged for json-gold work
// and resolves relative @id values against its base; past its budget the
// error is errBudget.
func (n *normalizer) normalize(obj map[string]any, w *work) ([]map[string]any, error) {
	if w != nil && w.base != nil {
		n.resolveIDs(obj, w.base, 0)
	}
	c, has := obj["@context"]
	if !has || isSchemaOrgContext(c) {
		if out, ok := n.fast(obj); ok {
			return out, nil
		}
		if err := w.charge(costObject + goldCost(obj, 0)); err != nil {
			return nil, err
		}
		return n.viaJSONGold(withoutContext(obj), nil)
	}
	// ["https://schema.org", {"ex": "https://ex.example/ns#"}]: with its
	// extra terms written out as IRIs the object is in the schema.org
	// context, and most often takes the fast path.
	if terms, ok := w.extraTerms(n, c); ok {
		if out, ok := n.fastExtra(obj, &termRewriter{terms: terms}); ok {
			return out, nil
		}
	}
	// A processed context is reused; what it costs to process one is
	// charged before the object's own work.
	key, err := contextKey(c)
	if err != nil {
		return nil, err
	}
	n.cache.mu.Lock()
	_, cached := n.cache.m[string(key)]
	n.cache.mu.Unlock()
	if !cached {
		if err := w.charge(costContext); err != nil {
			return nil, err
		}
	}
	if err := w.charge(costObject + goldCost(obj, 0)); err != nil {
		return nil, err
	}
	p, _, err := n.contextPool(c, key)
	if err != nil {
		return nil, err
	}
	return n.viaJSONGold(withoutContext(obj), p)
}

// contextKey is the canonical JSON of a @context value (object keys
// sorted), the key of processed contexts.
func contextKey(c any) ([]byte, error) {
	key, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("%w: @context: %v", ErrInvalidJSON, err)
	}
	return key, nil
}

// withoutContext returns a shallow copy of obj without its @context.
func withoutContext(obj map[string]any) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if k != "@context" {
			out[k] = v
		}
	}
	return out
}

// extraTerms returns the terms that a @context of the form
// ["https://schema.org", {term: IRI, ...}, ...] adds to schema.org, when
// every one is a plain mapping to an absolute IRI outside schema.org that
// json-gold would read the same way as rewriteTerms does; ok is false for
// any other context.
func (n *normalizer) extraTerms(c any) (map[string]string, bool) {
	list, ok := c.([]any)
	if !ok || len(list) < 2 || !isSchemaOrgContext(list[0]) {
		return nil, false
	}
	terms := make(map[string]string)
	for _, e := range list[1:] {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		for k, v := range m {
			iri, ok := v.(string)
			if !ok || k == "" || k[0] == '@' || strings.ContainsAny(k, ":/") || k == "type" || k == "id" ||
				n.v.special[k] || !n.foreignIRI(iri) || strings.HasPrefix(iri, "https://schema.org/") ||
				!parsesAbsolute(iri) {
				return nil, false
			}
			terms[k] = iri
		}
	}
	return terms, true
}

// parsesAbsolute reports whether net/url reads iri as an absolute URL, the
// test json-gold applies to a term's IRI mapping (ld.IsAbsoluteIri): a
// mapping it refuses, such as one with a bad percent escape, makes the
// whole context invalid, so the fast path must not take it either.
func parsesAbsolute(iri string) bool {
	u, err := url.Parse(iri)
	return err == nil && u.IsAbs()
}

// termRewriter writes out the extra terms of a @context extending
// schema.org (see extraTerms and fastExtra): keys and @type values that are
// terms or compact IRIs using them, and compact IRIs in @id values and in
// values of schema.org terms typed @id.
type termRewriter struct {
	terms  map[string]string
	unsure bool // a term was used as a prefix json-gold may read otherwise
}

// prefixed expands "p:suffix" when p is an extra term usable as a prefix:
// its IRI ends with a generic delimiter (JSON-LD 1.1). Other uses of a term
// as a prefix are left to json-gold.
func (r *termRewriter) prefixed(s string) string {
	i := strings.IndexByte(s, ':')
	if i <= 0 || strings.HasPrefix(s[i+1:], "//") {
		return s
	}
	iri, ok := r.terms[s[:i]]
	if !ok {
		return s
	}
	if !strings.ContainsAny(iri[len(iri)-1:], ":/?#[]@") {
		r.unsure = true
		return s
	}
	return iri + s[i+1:]
}

// vocab expands a property or type: a term, or a compact IRI.
func (r *termRewriter) vocab(s string) string {
	if iri, ok := r.terms[s]; ok {
		return iri
	}
	return r.prefixed(s)
}

// strings applies f to a string or to the strings of an array.
func (r *termRewriter) strings(v any, f func(string) string) any {
	switch t := v.(type) {
	case string:
		return f(t)
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			if s, ok := e.(string); ok {
				out[i] = f(s)
			} else {
				out[i] = e
			}
		}
		return out
	}
	return v
}

// goldCost is what json-gold work on v costs beyond costObject:
// costObjectByte per byte of its encoding (approximated) and costContext
// per nested @context, which json-gold processes each time it meets one.
// It stops counting past 16 contexts' cost, more than any budget.
func goldCost(v any, depth int) int {
	const enough = costContext << 4
	switch t := v.(type) {
	case string:
		return costObjectByte * (len(t) + 2)
	case json.Number:
		return costObjectByte * len(t)
	case []any:
		cost := 2 * costObjectByte
		for _, e := range t {
			if cost += goldCost(e, depth+1) + costObjectByte; cost > enough {
				break
			}
		}
		return cost
	case map[string]any:
		cost := 2 * costObjectByte
		for k, e := range t {
			if k == "@context" && depth > 0 {
				cost += costContext
			}
			if cost += costObjectByte*(len(k)+4) + goldCost(e, depth+1); cost > enough {
				break
			}
		}
		return cost
	}
	return 4 * costObjectByte
}

// resolveIDs resolves relative IRIs in @id (and its alias id) and in the
// values of schema.org terms typed @id (url, image, sameAs, ...) against
// base, in place: JSON-LD in HTML takes the document's base URL.
func (n *normalizer) resolveIDs(v any, base *url.URL, depth int) {
	if depth > maxMaxDepth {
		return
	}
	resolve := func(s string) string {
		if strings.HasPrefix(s, "_:") {
			return s // blank node
		}
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.IsAbs() {
			return s
		}
		return base.ResolveReference(u).String()
	}
	switch t := v.(type) {
	case []any:
		for _, e := range t {
			n.resolveIDs(e, base, depth+1)
		}
	case map[string]any:
		for k, e := range t {
			term, _ := stripSchema(k)
			switch {
			case k == "@context":
				continue
			case k == "@id" || k == "id" || n.v.terms[term] == coerceID:
				switch s := e.(type) {
				case string:
					t[k] = resolve(s)
					continue
				case []any:
					for i, x := range s {
						if str, ok := x.(string); ok {
							s[i] = resolve(str)
						}
					}
				}
			}
			n.resolveIDs(e, base, depth+1)
		}
	}
}

// viaJSONGold expands and compacts obj with json-gold. With active nil
// the object is read in the schema.org context (its own @context removed);
// otherwise in a context from active, the pool for the @context it had.
func (n *normalizer) viaJSONGold(obj map[string]any, active *ctxPool) (out []map[string]any, err error) {
	ctx, _, err := n.pool.get()
	if err != nil {
		return nil, err
	}
	actx := ctx
	if active != nil {
		if actx, _, err = active.get(); err != nil {
			n.pool.put(ctx)
			return nil, err
		}
	}
	defer func() {
		// json-gold signals some malformed input by panicking; never let
		// sender data take the process down.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("%w: json-ld processing: %v", ErrInvalidJSON, r)
			return // a context that saw a panic is not reused
		}
		n.pool.put(ctx)
		if active != nil {
			active.put(actx)
		}
	}()
	api := ld.NewJsonLdApi()
	expanded, err := api.Expand(actx, "", obj, n.opts, false, nil)
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
	// Compaction makes IRIs relative to the context's base; with the empty
	// base json-gold cuts network-path references ("//cdn.example/i.png"
	// becomes "i.png"). A base no IRI starts with leaves every IRI whole.
	saved := ctx.Values.Base
	ctx.Values.Base = noBase
	compacted, err := api.Compact(ctx, "", expanded, true)
	ctx.Values.Base = saved
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
			res, ok := n.fastTop(m, nil)
			if !ok {
				return nil, false
			}
			out = append(out, res...)
		}
		return out, true
	}
	return n.fastTop(obj, nil)
}

// fastExtra is fast for an object whose @context is schema.org with the
// extra terms of r (see extraTerms), reading its keys and values as
// json-gold would with them written out as IRIs. It declines a @graph, a
// nested @context, and a term used as a prefix that json-gold might read
// otherwise.
func (n *normalizer) fastExtra(obj map[string]any, r *termRewriter) ([]map[string]any, bool) {
	if _, has := obj["@graph"]; has {
		return nil, false
	}
	out, ok := n.fastTop(obj, r)
	return out, ok && !r.unsure
}

func (n *normalizer) fastTop(obj map[string]any, r *termRewriter) ([]map[string]any, bool) {
	v, ok := n.fastNode(obj, 0, r)
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

// fastNode normalizes a node object into a new one. r, when not nil, holds
// the extra terms of the object's context.
func (n *normalizer) fastNode(obj map[string]any, depth int, r *termRewriter) (any, bool) {
	if depth > 1000 {
		return nil, false
	}
	out := make(map[string]any, len(obj))
	for k, val := range obj {
		switch k {
		case "@context":
			if r != nil && depth == 0 {
				continue // the context of r
			}
			if r != nil || !isSchemaOrgContext(val) {
				return nil, false
			}
			continue
		case "@type", "type":
			if r != nil {
				val = r.strings(val, r.vocab)
			}
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
			if isStr && r != nil {
				s = r.prefixed(s)
			}
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
		if r != nil {
			k = r.vocab(k)
		}
		term, stripped := stripSchema(k)
		co := coerceNone
		switch {
		case !stripped && n.foreignIRI(k):
			// An absolute IRI outside schema.org and its prefixes: kept
			// as written, its values plain.
		case term == "" || n.v.special[term] || strings.ContainsAny(term, ":/#@"):
			return nil, false
		default:
			co = n.v.terms[term] // unknown terms are plain vocabulary terms
		}
		if co == coerceOther {
			return nil, false
		}
		if val == nil {
			if _, dup := out[term]; dup {
				return nil, false
			}
			continue
		}
		nv, ok := n.fastValue(val, co, depth, r)
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
func (n *normalizer) fastValue(val any, co coercion, depth int, r *termRewriter) (any, bool) {
	switch x := val.(type) {
	case string:
		if co == coerceID && r != nil {
			x = r.prefixed(x)
		}
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
					if isStr && r != nil {
						s = r.prefixed(s)
					}
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
		return n.fastNode(x, depth+1, r)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if e == nil {
				continue
			}
			if _, nested := e.([]any); nested {
				return nil, false
			}
			ne, ok := n.fastValue(e, co, depth, r)
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
		t, stripped := stripSchema(s)
		if !stripped && n.foreignIRI(s) {
			return s, true
		}
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

// foreignIRI reports whether s, used as a property or type, is an absolute
// IRI that expansion and compaction in the schema.org context leave as it
// is: a scheme, a colon and no white space, naming no schema.org term or
// prefix.
func (n *normalizer) foreignIRI(s string) bool {
	i := strings.IndexByte(s, ':')
	if i <= 0 || i == len(s)-1 || !n.plainIRI(s) || strings.HasPrefix(s, "http://schema.org/") {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == '"' || r == '<' || r == '>' || r == '\\' || r == '{' || r == '}' || r == '|' || r == '^' || r == '`' {
			return false
		}
	}
	return true
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
