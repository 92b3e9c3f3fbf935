package emailhook

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
)

// WarningKind says what a Warning reports.
type WarningKind string

// Warning kinds. The Repair kinds mean the data was read after fixing a
// sender mistake; the others mean something was skipped or left as given.
const (
	RepairWrapper       WarningKind = "stripped comment or CDATA wrapper"
	RepairEntities      WarningKind = "decoded HTML entities"
	RepairTrailingComma WarningKind = "removed trailing comma"
	RepairJoined        WarningKind = "joined concatenated JSON values"
	RepairControlChars  WarningKind = "accepted raw control characters in strings"
	RepairComments      WarningKind = "skipped comments"
	WarnInvalidJSON     WarningKind = "invalid JSON"
	WarnTooDeep         WarningKind = "JSON nested too deeply"
	WarnUnknownContext  WarningKind = "unknown @context, object left unnormalized"
	WarnNotNormalized   WarningKind = "JSON-LD processing failed, object left unnormalized"
	WarnNotObject       WarningKind = "skipped a value that is not an object"
	WarnMicrodata       WarningKind = "microdata not read"
	WarnBudget          WarningKind = "work budget spent, objects skipped"
)

// Warning records a repair or a problem in one source of structured data.
type Warning struct {
	// Source names where it happened: "script 2 (application/ld+json)" (the
	// count is over data scripts, from 1) or "microdata".
	Source string
	// Kind is what happened.
	Kind WarningKind
	// Detail adds specifics, such as a parse error offset; may be empty.
	Detail string
}

// String returns "source: kind[: detail]".
func (w Warning) String() string {
	if w.Detail == "" {
		return w.Source + ": " + string(w.Kind)
	}
	return w.Source + ": " + string(w.Kind) + ": " + w.Detail
}

// Extraction is the structured data found in one HTML document.
type Extraction struct {
	// Objects holds the JSON-LD objects in schema.org compact form (each
	// with "@context": "https://schema.org"), in document order: scripts
	// first, then microdata items. Objects from application/json scripts
	// without an @context, and objects whose JSON-LD could not be processed,
	// are returned as written. JSON numbers are json.Number.
	Objects []map[string]any
	// Warnings lists every repair made and every source skipped.
	Warnings []Warning
}

// ExtractOptions configures an Extractor. The zero value is ready to use.
type ExtractOptions struct {
	// MaxDepth caps the nesting of a script's JSON; deeper scripts are
	// skipped with a WarnTooDeep warning. Default 100, at most 10000.
	MaxDepth int
	// MaxMessageBytes caps the raw message ReadMessage accepts; longer
	// messages fail with ErrMessageTooLarge. Default 25 MiB.
	MaxMessageBytes int64
	// ContextPoolSize is how many parsed schema.org contexts are kept for
	// the JSON-LD paths that need json-gold (each is about 1 MB and takes
	// tens of milliseconds to build). Other @context values that json-gold
	// processes (such as ["https://schema.org", {...}]) are kept too, up to
	// 16 distinct ones with at most this many parsed copies each, and
	// reused across objects and messages. Default runtime.GOMAXPROCS(0).
	ContextPoolSize int
	// BaseURL is the absolute URL against which relative URLs are resolved
	// when the document has no <base href> (or a relative one): microdata
	// href, src, data and itemid values, and relative JSON-LD @id values and
	// values of schema.org terms typed @id (url, image, ...). Default none:
	// relative URLs are returned as written.
	BaseURL string
}

// Defaults for ExtractOptions.
const (
	DefaultMaxDepth        = 100
	DefaultMaxMessageBytes = 25 << 20
	maxMaxDepth            = 10000
)

// Extractor reads structured data from HTML and email. Build one with
// NewExtractor and share it: it is safe for concurrent use.
type Extractor struct {
	maxDepth   int
	maxMessage int64
	norm       *normalizer
	base       *url.URL // ExtractOptions.BaseURL; nil when none
}

// NewExtractor returns an Extractor for opts. It reads the embedded
// schema.org context once.
func NewExtractor(opts ExtractOptions) (*Extractor, error) {
	if opts.MaxDepth < 0 || opts.MaxDepth > maxMaxDepth {
		return nil, fmt.Errorf("%w: MaxDepth %d not in 0..%d", ErrInvalidOptions, opts.MaxDepth, maxMaxDepth)
	}
	if opts.MaxMessageBytes < 0 {
		return nil, fmt.Errorf("%w: negative MaxMessageBytes", ErrInvalidOptions)
	}
	if opts.ContextPoolSize < 0 {
		return nil, fmt.Errorf("%w: negative ContextPoolSize", ErrInvalidOptions)
	}
	var base *url.URL
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || !u.IsAbs() {
			return nil, fmt.Errorf("%w: BaseURL %.100q is not an absolute URL", ErrInvalidOptions, opts.BaseURL)
		}
		base = u
	}
	if opts.MaxDepth == 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if opts.MaxMessageBytes == 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if opts.ContextPoolSize == 0 {
		opts.ContextPoolSize = runtime.GOMAXPROCS(0)
	}
	v, err := newVocab()
	if err != nil {
		return nil, err
	}
	return &Extractor{
		maxDepth:   opts.MaxDepth,
		maxMessage: opts.MaxMessageBytes,
		norm:       newNormalizer(v, opts.ContextPoolSize),
		base:       base,
	}, nil
}

var (
	defaultOnce      sync.Once
	defaultExtractor *Extractor
	defaultErr       error
)

// shared returns the Extractor with default options used by the package
// functions, built on first use.
func shared() (*Extractor, error) {
	defaultOnce.Do(func() { defaultExtractor, defaultErr = NewExtractor(ExtractOptions{}) })
	return defaultExtractor, defaultErr
}

// Extract returns the structured data in an HTML document, using an
// Extractor with default options. See (*Extractor).Extract.
func Extract(doc []byte) (*Extraction, error) {
	x, err := shared()
	if err != nil {
		return nil, err
	}
	return x.Extract(doc)
}

// Extract returns the JSON and JSON-LD objects embedded in an HTML
// document: every <script type="application/ld+json"> and
// <script type="application/json">, and schema.org microdata.
//
// Problems in one source never stop the others: each is recorded in
// Extraction.Warnings. The Extraction is always returned; the error is
// non-nil, wrapping ErrNoStructuredData and the first problem
// (ErrInvalidJSON, ErrTooDeep, ...), only when the document had
// structured-data sources and none of them could be read.
//
// The time Extract takes is linear in the size of doc: processed @context
// values are reused across objects and messages, and the JSON-LD work that
// json-gold does for one document has a budget proportional to its size;
// objects past it are skipped with a WarnBudget warning.
func (x *Extractor) Extract(doc []byte) (*Extraction, error) {
	// A document that mentions itemscope is read into a tree for microdata
	// once, and its <base href> is read from that tree; others are only
	// tokenized for a <base> tag when they may hold one.
	var tree *goquery.Document
	var base *url.URL
	if hasItemscope(doc) {
		tree = readTree(doc)
		base = x.docBase(treeBase(tree))
	} else {
		base = x.docBase(findBase(doc))
	}
	r := &run{x: x, res: &Extraction{}, w: &work{left: budgetFor(len(doc)), base: base}}
	res := r.res
	sources, readable := 0, 0
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	eachScript(doc, func(typ string, text []byte) {
		sources++
		src := "script " + strconv.Itoa(sources) + " (" + typ + ")"
		vals, rep, err := parseScript(text, x.maxDepth)
		for _, rk := range repairKinds {
			if rep&rk.flag != 0 {
				res.Warnings = append(res.Warnings, Warning{Source: src, Kind: rk.kind})
			}
		}
		if err != nil {
			kind := WarnInvalidJSON
			if errors.Is(err, ErrTooDeep) {
				kind = WarnTooDeep
			}
			res.Warnings = append(res.Warnings, Warning{Source: src, Kind: kind, Detail: err.Error()})
			fail(err)
			return
		}
		readable++
		for _, v := range vals {
			r.addValue(src, typ == "application/ld+json", v, 0)
		}
	})
	if tree != nil {
		sources++
		items, err := microdata(tree, len(doc), base)
		if err != nil {
			res.Warnings = append(res.Warnings, Warning{Source: "microdata", Kind: WarnMicrodata, Detail: err.Error()})
			fail(err)
		} else {
			readable++
			for _, it := range items {
				r.addObject("microdata", true, it)
			}
		}
	}
	if r.skipped > 0 {
		res.Warnings = append(res.Warnings, Warning{Source: r.skippedFrom, Kind: WarnBudget,
			Detail: fmt.Sprintf("%d objects from here on skipped", r.skipped)})
	}
	if sources > 0 && readable == 0 {
		return res, fmt.Errorf("%w: %w", ErrNoStructuredData, firstErr)
	}
	return res, nil
}

// budgetFor is the json-gold work one document of n bytes may cost (in the
// units of the cost constants): a fixed allowance of eight contexts or 256
// small objects, plus 32 units per byte, so that the time Extract takes is
// linear in its input whatever the objects ask for. Real mail (a few
// objects, mostly on the fast path) stays far below it.
func budgetFor(n int) int { return 2<<20 + 32*n }

// docBase returns the base URL of a document: its <base href> resolved
// against ExtractOptions.BaseURL, or BaseURL alone; nil when there is no
// absolute base.
func (x *Extractor) docBase(href string, has bool) *url.URL {
	base := x.base
	if has {
		if u, err := url.Parse(strings.TrimSpace(validUTF8(href))); err == nil {
			if base != nil {
				u = base.ResolveReference(u)
			}
			if u.IsAbs() {
				base = u
			}
		}
	}
	return base
}

// run is the state of one Extract call.
type run struct {
	x           *Extractor
	res         *Extraction
	w           *work
	skipped     int    // objects skipped for the budget
	skippedFrom string // the source of the first
}

// addValue adds the objects of one top-level JSON value; arrays are split.
func (r *run) addValue(src string, jsonld bool, v any, depth int) {
	switch t := v.(type) {
	case map[string]any:
		r.addObject(src, jsonld, t)
	case []any:
		if depth > r.x.maxDepth {
			return
		}
		for _, e := range t {
			r.addValue(src, jsonld, e, depth+1)
		}
	default:
		r.res.Warnings = append(r.res.Warnings, Warning{Source: src, Kind: WarnNotObject, Detail: fmt.Sprintf("%T", v)})
	}
}

// addObject normalizes one object as JSON-LD when it is one, and adds it.
func (r *run) addObject(src string, jsonld bool, obj map[string]any) {
	res := r.res
	if _, hasCtx := obj["@context"]; !jsonld && !hasCtx {
		res.Objects = append(res.Objects, obj)
		return
	}
	out, err := r.x.norm.normalize(obj, r.w)
	switch {
	case errors.Is(err, errBudget):
		if r.skipped == 0 {
			r.skippedFrom = src
		}
		r.skipped++
		return
	case err != nil:
		kind := WarnNotNormalized
		if errors.Is(err, ErrUnknownContext) {
			kind = WarnUnknownContext
		}
		res.Warnings = append(res.Warnings, Warning{Source: src, Kind: kind, Detail: truncate(err.Error(), 200)})
		res.Objects = append(res.Objects, obj)
		return
	}
	if len(out) == 0 && src == "microdata" {
		// A microdata item with an itemid and nothing else still names a
		// thing; JSON-LD expansion would drop it as a bare @id.
		if id, ok := obj["@id"].(string); ok {
			out = []map[string]any{{"@context": outputContext, "@id": id}}
		}
	}
	res.Objects = append(res.Objects, out...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// eachScript calls fn with the type and raw text of every data script of
// doc, in order, with the x/net/html tokenizer, which, unlike html.Parse,
// has no limit on open elements. text is valid only during the call.
//
// A script start tag begins with "<script" (in any case), so the tokenizer
// stops once it has read past the last one (a token's offset is the sum of
// the raw lengths of those before it), and a document without one is not
// tokenized at all: most of a mail's HTML, its body after the data
// scripts, is not read twice.
func eachScript(doc []byte, fn func(typ string, text []byte)) {
	last := lastScriptTag(doc)
	if last < 0 {
		return
	}
	var text []byte
	z := html.NewTokenizer(bytes.NewReader(doc))
	read := 0 // the bytes of doc the tokenizer has returned tokens for
	next := func() html.TokenType {
		tt := z.Next()
		read += len(z.Raw())
		return tt
	}
	for read <= last {
		switch next() {
		case html.ErrorToken:
			return
		case html.StartTagToken:
			typ, ok := dataScriptType(z)
			if !ok {
				continue
			}
			text = text[:0]
		body:
			for {
				switch next() {
				case html.TextToken:
					text = append(text, z.Text()...)
				default:
					break body
				}
			}
			fn(typ, text)
		}
	}
}

// dataScriptType returns the media type of the script whose start tag
// z has just read, and whether it is a data script (JSON-LD or JSON);
// false for any other tag.
func dataScriptType(z *html.Tokenizer) (string, bool) {
	name, hasAttr := z.TagName()
	if !hasAttr || string(name) != "script" {
		return "", false
	}
	typ := ""
	for {
		k, v, more := z.TagAttr()
		if string(k) == "type" {
			typ = mediaType(v)
		}
		if !more {
			break
		}
	}
	return typ, typ == "application/ld+json" || typ == "application/json"
}

// lastScriptTag returns the offset in doc of the last "<script", in any
// case, or -1 if there is none.
func lastScriptTag(doc []byte) int {
	last := -1
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			return last
		}
		i += j + 1
		if len(doc)-i >= len("script") && bytes.EqualFold(doc[i:i+len("script")], []byte("script")) {
			last = i - 1
		}
	}
}

// findBase returns the href of the first <base> element of doc that has
// one. It tokenizes doc only when a "<base" tag may be there.
func findBase(doc []byte) (href string, ok bool) {
	if !hasBaseTag(doc) {
		return "", false
	}
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return "", false
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr || string(name) != "base" {
				continue
			}
			for more := true; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				if string(k) == "href" {
					return string(v), true
				}
			}
		}
	}
}

// hasBaseTag reports whether doc may hold a <base> tag: "<base" in any case,
// then a byte that ends a tag name.
func hasBaseTag(doc []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			return false
		}
		i += j + 1
		if len(doc)-i < 4 || !bytes.EqualFold(doc[i:i+4], []byte("base")) {
			continue
		}
		if i+4 == len(doc) {
			return true
		}
		switch doc[i+4] {
		case ' ', '\t', '\n', '\r', '\f', '/', '>':
			return true
		}
	}
}

// mediaType lower-cases a type attribute and drops its parameters.
func mediaType(v []byte) string {
	if i := bytes.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(string(bytes.TrimSpace(v)))
}

// hasItemscope is a cheap test for microdata before a full parse.
func hasItemscope(doc []byte) bool { return indexFold(doc, "itemscope") >= 0 }

// indexFold returns the offset of the first occurrence in doc of w, a
// lower-case ASCII word of at most 255 bytes, in any case; -1 if there is
// none. It is Horspool's search: the byte under the end of each window says
// how far the window may move (half the time of jumping to each occurrence
// of w's first letter, in either case, on a 44 KB mail), with at most len(w)
// comparisons per byte of doc.
func indexFold(doc []byte, w string) int {
	m := len(w)
	var shift [256]uint8
	for c := range shift {
		shift[c] = uint8(m)
	}
	for j := 0; j < m-1; j++ {
		c := w[j]
		shift[c] = uint8(m - 1 - j)
		if 'a' <= c && c <= 'z' {
			shift[c-'a'+'A'] = uint8(m - 1 - j)
		}
	}
	for i := 0; i+m <= len(doc); i += int(shift[doc[i+m-1]]) {
		k := m - 1
		for k >= 0 && doc[i+k]|asciiCaseBit(doc[i+k]) == w[k] {
			k--
		}
		if k < 0 {
			return i
		}
	}
	return -1
}

// asciiCaseBit is the bit that makes an upper-case ASCII letter c lower
// case, and 0 for any other byte.
func asciiCaseBit(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return 0x20
	}
	return 0
}
