package emailhook

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

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
	// are returned as written.
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
	// tens of milliseconds to build). Default runtime.GOMAXPROCS(0).
	ContextPoolSize int
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
// Extraction.Warnings. The Extraction is always returned; the error is non-nil,
// wrapping ErrNoStructuredData and the first problem (ErrInvalidJSON,
// ErrTooDeep, ...), only when the document had structured-data sources and
// none of them could be read.
func (x *Extractor) Extract(doc []byte) (*Extraction, error) {
	res := &Extraction{}
	sources, readable := 0, 0
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for i, s := range pullScripts(doc) {
		sources++
		src := fmt.Sprintf("script %d (%s)", i+1, s.typ)
		vals, rep, err := parseScript(s.text, x.maxDepth)
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
			continue
		}
		readable++
		for _, v := range vals {
			x.addValue(res, src, s.jsonld, v, 0)
		}
	}
	if hasItemscope(doc) {
		sources++
		items, err := x.microdata(doc)
		if err != nil {
			res.Warnings = append(res.Warnings, Warning{Source: "microdata", Kind: WarnMicrodata, Detail: err.Error()})
			fail(err)
		} else {
			readable++
			for _, it := range items {
				x.addObject(res, "microdata", true, it)
			}
		}
	}
	if sources > 0 && readable == 0 {
		return res, fmt.Errorf("%w: %w", ErrNoStructuredData, firstErr)
	}
	return res, nil
}

// addValue adds the objects of one top-level JSON value; arrays are split.
func (x *Extractor) addValue(res *Extraction, src string, jsonld bool, v any, depth int) {
	switch t := v.(type) {
	case map[string]any:
		x.addObject(res, src, jsonld, t)
	case []any:
		if depth > x.maxDepth {
			return
		}
		for _, e := range t {
			x.addValue(res, src, jsonld, e, depth+1)
		}
	default:
		res.Warnings = append(res.Warnings, Warning{Source: src, Kind: WarnNotObject, Detail: fmt.Sprintf("%T", v)})
	}
}

// addObject normalizes one object as JSON-LD when it is one, and adds it.
func (x *Extractor) addObject(res *Extraction, src string, jsonld bool, obj map[string]any) {
	if _, hasCtx := obj["@context"]; !jsonld && !hasCtx {
		res.Objects = append(res.Objects, obj)
		return
	}
	// normalize may consume obj; keep a shallow copy to return on failure.
	orig := make(map[string]any, len(obj))
	for k, v := range obj {
		orig[k] = v
	}
	out, err := x.norm.normalize(obj)
	if err != nil {
		kind := WarnNotNormalized
		if errors.Is(err, ErrUnknownContext) {
			kind = WarnUnknownContext
		}
		res.Warnings = append(res.Warnings, Warning{Source: src, Kind: kind, Detail: truncate(err.Error(), 200)})
		res.Objects = append(res.Objects, orig)
		return
	}
	res.Objects = append(res.Objects, out...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// script is one data script's type and raw text.
type script struct {
	typ    string
	jsonld bool
	text   []byte
}

// pullScripts returns the data scripts of doc with the x/net/html
// tokenizer, which, unlike html.Parse, has no limit on open elements.
func pullScripts(doc []byte) []script {
	var out []script
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			if !hasAttr || string(name) != "script" {
				continue
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
			if typ != "application/ld+json" && typ != "application/json" {
				continue
			}
			var text []byte
		body:
			for {
				switch z.Next() {
				case html.TextToken:
					text = append(text, z.Text()...)
				default:
					break body
				}
			}
			out = append(out, script{typ: typ, jsonld: typ == "application/ld+json", text: text})
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
func hasItemscope(doc []byte) bool { return containsFold(doc, "itemscope") }

// containsFold reports whether doc contains the lower-case ASCII word w in
// any case. It jumps between occurrences of w's first letter in either case
// with bytes.IndexByte, remembering the next of each, so it stays linear.
func containsFold(doc []byte, w string) bool {
	const none = -2
	lo, up := w[0], w[0]-'a'+'A'
	nextLo, nextUp := -1, -1
	for i := 0; ; i++ {
		if nextLo != none && nextLo < i {
			if j := bytes.IndexByte(doc[i:], lo); j < 0 {
				nextLo = none
			} else {
				nextLo = i + j
			}
		}
		if nextUp != none && nextUp < i {
			if j := bytes.IndexByte(doc[i:], up); j < 0 {
				nextUp = none
			} else {
				nextUp = i + j
			}
		}
		switch {
		case nextLo == none && nextUp == none:
			return false
		case nextUp == none || (nextLo != none && nextLo < nextUp):
			i = nextLo
		default:
			i = nextUp
		}
		if i+len(w) > len(doc) {
			return false
		}
		if bytes.EqualFold(doc[i:i+len(w)], []byte(w)) {
			return true
		}
	}
}
