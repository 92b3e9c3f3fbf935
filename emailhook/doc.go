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
// CDATA wrappers, JavaScript and HTML comments, and raw control characters
// in strings, and records every repair as a Warning. JSON numbers are
// json.Number, so long IDs keep every digit. A source that cannot be read is skipped with a
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
// Email hooks receive such messages: a Backend (SMTP, go-smtp) or a Handler
// (HTTP, message/rfc822) runs the hooks pipeline once for each envelope
// recipient that is a hook, each arrival with its own session, the message
// parsed once. Building either registers the kind "email" (KindName) with
// the pipeline's Registry: a hook's address is token@Domains[0] (the bare
// token when any domain is accepted), and email hooks have no settings
// yet (Settings, shown as {}).
//
// Over SMTP, each RCPT TO looks its hook up once, and DATA delivers to the
// hooks found then; the message is read once, under MaxMessageBytes, and
// the events of its hooks share its bytes (Event.Raw). STARTTLS is offered
// when SMTPOptions.TLSConfig is set, and only then.
//
// Hostile input is bounded: script JSON nesting is capped
// (ExtractOptions.MaxDepth) and parsed without recursion beyond that cap,
// all parsing is linear in the input, and ReadMessage reads at most
// ExtractOptions.MaxMessageBytes, failing rather than truncating. The size
// of the HTML passed to Extract is the caller's to limit.
//
// # Caveats
//
//   - Microdata is read from an x/net/html node tree that the package builds
//     from the golang.org/x/net/html tokenizer with its own element stack, so
//     the author's nesting holds (a <div> inside a <p> stays inside it,
//     unlike HTML5 tree building) and there is no limit of 512 open
//     elements; past 10,000 open elements, further elements are read flat.
//     The tree is queried with goquery: selectors find the top-level items,
//     the elements itemref names and <base href>; each item's properties
//     and text are read by a walk that stops at nested items.
//   - Microdata reading has a work budget proportional to the document size
//     (itemref can make many items share one subtree); past it, microdata is
//     skipped with a WarnMicrodata warning. JSON-LD work in json-gold has a
//     budget per document too (processed contexts are reused across objects
//     and messages); past it, the remaining objects that need json-gold are
//     skipped with one WarnBudget warning.
//   - Microdata items with neither properties nor an itemid are dropped.
//     Text values follow the microdata rules (script and style text is not
//     content) made readable: white space collapsed, no-break spaces read as
//     spaces, <br> and block elements breaking lines. A content attribute is
//     the value on any element but headings and paragraphs (whose text is
//     read), after the attribute the microdata rules name (href, src,
//     value, datetime) when there is one. URLs (and relative JSON-LD @id
//     values) are resolved against <base href> or ExtractOptions.BaseURL
//     when there is one. Invalid UTF-8 becomes U+FFFD.
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
//     not attachments as the bodies and every other leaf part as an
//     Attachment; attached messages (message/rfc822) are kept whole, not
//     opened. A part it cannot read is skipped with a warning: only a
//     message without a readable header is refused.
package emailhook
