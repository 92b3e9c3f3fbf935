// Package emailhook reads the structured data that senders embed in HTML
// email: schema.org JSON-LD in <script type="application/ld+json">, plain
// JSON in <script type="application/json">, and schema.org microdata.
//
// Extract takes an HTML document and returns its objects in schema.org
// compact form: each carries "@context": "https://schema.org", uses the
// @type and @id keywords, has plain string values, and stands alone (@graph
// and top-level arrays are split). http:// and https:// schema.org IRIs are
// one vocabulary, and a block without @context is read as schema.org.
// ReadMessage parses a raw RFC 5322 message, finds its HTML and text parts,
// and runs Extract on the HTML.
//
// Real mail carries broken JSON. Extract repairs trailing commas, objects
// written one after another ("}{"), HTML-escaped script text, comment and
// CDATA wrappers and raw control characters in strings, and records every
// repair as a Warning. A source that cannot be read is skipped with a
// Warning; the others are still returned.
//
// An Extractor, built once with NewExtractor, is safe for concurrent use;
// the package functions use one with default options.
//
// Mail reaches email hooks over SMTP (NewBackend), as a raw message over
// HTTP (NewHandler), or as a mail provider's inbound post
// (NewMailgunHandler, NewSendGridHandler, NewPostmarkHandler), which is
// rebuilt into one RFC 5322 message and read by the same path, so that a
// message gives the same Event however it came. An AuthChecker adds SPF,
// DKIM and DMARC verdicts to SMTP mail; provider posts carry the
// provider's own verdicts in the same shape (hooks.MailAuth).
//
// # Security
//
// JSON-LD is processed with github.com/piprate/json-gold, whose default
// document loader fetches any remote @context over HTTP (with no timeout)
// and reads local files. This package never uses it: its loader is
// read-only and in memory, holds the schema.org context (release 30.0,
// embedded; CC BY-SA 3.0, see NOTICE), answers only for the schema.org
// context addresses (http and https, with or without www or a trailing
// slash, and /docs/jsonldcontext.json), and refuses everything else. An
// object whose @context names anything else is returned as written with a
// WarnUnknownContext warning; nothing is fetched.
//
// Hostile input is bounded: script JSON nesting is capped
// (ExtractOptions.MaxDepth) and parsed without recursion beyond that cap,
// all parsing is linear in the input, and ReadMessage reads at most
// ExtractOptions.MaxMessageBytes, failing rather than truncating. The size
// of the HTML passed to Extract is the caller's to limit.
//
// # Caveats
//
//   - Microdata is read with an HTML5 parser (goquery, golang.org/x/net/html),
//     which refuses documents with more than 512 open elements; such a
//     document still yields its scripts, with a WarnMicrodata warning. HTML5
//     tree building also moves elements (a <div> closes an open <p>), so
//     microdata that relies on invalid nesting may lose properties.
//   - Microdata reading has a work budget proportional to the document size
//     (itemref can make many items share one subtree); past it, microdata is
//     skipped with a WarnMicrodata warning.
//   - Microdata items without properties are dropped; text values are
//     trimmed and their no-break spaces read as spaces; URLs are not
//     resolved against a base. A link or anchor without href falls back to
//     its content attribute.
//   - HTML entities in script text are decoded only when the text is not
//     JSON as written, so valid JSON keeps "&amp;" as sent.
//   - Objects already in the schema.org context are normalized directly;
//     anything else (other prefixes, value objects, nested foreign
//     contexts) goes through json-gold expansion and compaction, which may
//     write compact IRIs such as "schema:Foo" for IRI-typed values. The first
//     json-gold use per goroutine builds a parsed context (tens of
//     milliseconds); ExtractOptions.ContextPoolSize of them are kept.
//   - application/json objects without an @context are returned as written.
//   - ReadMessage keeps the first text/html and text/plain parts that are
//     not attachments; attached messages (message/rfc822) are not opened.
package emailhook
