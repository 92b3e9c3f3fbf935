package emailhook

import (
	_ "embed" // schema.org context
	"encoding/json"
	"fmt"
	"strings"

	"github.com/piprate/json-gold/ld"
)

// schemaOrgContext is the schema.org JSON-LD context, release 30.0, embedded
// unmodified. schema.org is published under CC BY-SA 3.0; see the NOTICE
// file beside this source.
//
//go:embed schemaorgcontext-30.0.jsonld
var schemaOrgContext []byte

// outputContext is the @context every returned JSON-LD object carries.
const outputContext = "https://schema.org"

// schemaOrgContextURLs are the addresses under which the embedded context is
// served, without a trailing slash (one is stripped before lookup).
var schemaOrgContextURLs = map[string]bool{
	"http://schema.org":                            true,
	"https://schema.org":                           true,
	"http://www.schema.org":                        true,
	"https://www.schema.org":                       true,
	"http://schema.org/docs/jsonldcontext.json":    true,
	"https://schema.org/docs/jsonldcontext.json":   true,
	"http://schema.org/docs/jsonldcontext.jsonld":  true,
	"https://schema.org/docs/jsonldcontext.jsonld": true,
}

// isSchemaOrgURL reports whether u names the schema.org context.
func isSchemaOrgURL(u string) bool {
	u = strings.TrimSpace(u)
	if len(u) > 64 {
		return false
	}
	return schemaOrgContextURLs[strings.ToLower(strings.TrimSuffix(u, "/"))]
}

// isSchemaOrgContext reports whether a @context value is the schema.org
// context: one of its URLs, or a one-element array holding one.
func isSchemaOrgContext(v any) bool {
	switch c := v.(type) {
	case string:
		return isSchemaOrgURL(c)
	case []any:
		return len(c) == 1 && isSchemaOrgContext(c[0])
	}
	return false
}

// memLoader is a read-only, in-memory ld.DocumentLoader. It answers only for
// the schema.org context URLs and returns an error for anything else: it
// never opens a network connection or a file. It is safe for concurrent use.
type memLoader struct{}

var _ ld.DocumentLoader = memLoader{}

// LoadDocument implements ld.DocumentLoader.
func (memLoader) LoadDocument(u string) (*ld.RemoteDocument, error) {
	if !isSchemaOrgURL(u) {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, fmt.Errorf("%w: %.100q", ErrUnknownContext, u))
	}
	// A fresh copy per load: json-gold may keep or alter what it is given.
	doc, err := decodeSchemaOrgContext()
	if err != nil {
		return nil, ld.NewJsonLdError(ld.LoadingDocumentFailed, err)
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

// decodeSchemaOrgContext decodes the embedded context document.
func decodeSchemaOrgContext() (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(schemaOrgContext, &doc); err != nil {
		return nil, fmt.Errorf("emailhook: embedded schema.org context: %w", err)
	}
	return doc, nil
}

// coercion is how the schema.org context types a term's values.
type coercion uint8

const (
	coerceNone  coercion = iota // plain value
	coerceID                    // "@type": "@id": strings are IRIs
	coerceDate                  // "@type": "Date"
	coerceOther                 // anything else: leave to json-gold
)

// vocab is what the fast path needs to know about the schema.org context,
// built once and read-only afterwards.
type vocab struct {
	// terms maps each term defined as {"@id": "schema:<term>"} to its coercion.
	terms map[string]coercion
	// special holds every other term (prefixes such as "dc", aliases,
	// "HTML"): the fast path leaves keys and values using them to json-gold.
	special map[string]bool
	// prefixIRIs are the IRIs of prefix terms; an @id value starting with one
	// would be compacted to a compact IRI.
	prefixIRIs []string
}

// newVocab reads the embedded context.
func newVocab() (*vocab, error) {
	doc, err := decodeSchemaOrgContext()
	if err != nil {
		return nil, err
	}
	ctx, ok := doc["@context"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("emailhook: embedded schema.org context has no @context object")
	}
	v := &vocab{terms: make(map[string]coercion, len(ctx)), special: make(map[string]bool)}
	for term, def := range ctx {
		switch d := def.(type) {
		case string:
			v.special[term] = true
			if strings.HasPrefix(d, "http") {
				v.prefixIRIs = append(v.prefixIRIs, d)
			}
		case map[string]any:
			if id, _ := d["@id"].(string); id != "schema:"+term || len(d) > 2 {
				v.special[term] = true
				continue
			}
			switch t, has := d["@type"]; {
			case !has:
				v.terms[term] = coerceNone
			case t == "@id":
				v.terms[term] = coerceID
			case t == "Date":
				v.terms[term] = coerceDate
			default:
				v.terms[term] = coerceOther
			}
		default:
			v.special[term] = true
		}
	}
	return v, nil
}
