// Package errcode holds the stable error codes the pipeline, the decoders
// and the HTTP hook kinds answer with, in the JSON error body
// {"error":{"code":"...","message":"..."}} (hooks.Error.Code). They are
// part of the HTTP contract: a code, once given, keeps its meaning. The
// status each code is answered with is given beside it.
//
// Kinds add codes of their own in their packages (emailhook's
// no_recipient, formhook's captcha codes); a host's Trigger may answer
// with any code of its choosing in a *hooks.Error.
package errcode

// Codes of the pipeline and the HTTP hook kinds.
const (
	BadRequest          = "bad_request"                // 400: the request could not be read
	MalformedBody       = "malformed_body"             // 400: the body does not decode as its Content-Type
	Unauthorized        = "unauthorized"               // 401: a missing or invalid API key
	Forbidden           = "forbidden"                  // 403: a key without the role the hook needs
	NotFound            = "not_found"                  // 404: no such hook (unknown, deleted, disabled or of another kind)
	MethodNotAllowed    = "method_not_allowed"         // 405: not POST
	PayloadTooLarge     = "payload_too_large"          // 413: a body over the limit
	UnsupportedMedia    = "unsupported_media_type"     // 415: a Content-Type no decoder takes
	RateLimited         = "rate_limited"               // 429: over a rate limit, with Retry-After
	Unavailable         = "unavailable"                // 503: the Trigger or the store failed, with Retry-After
	SignatureInvalid    = "signature_invalid"          // 401: a webhook signature that does not verify
	TimestampOutOfRange = "timestamp_out_of_tolerance" // 401: a signed timestamp too far from now
)

// Codes of hooks.DecodeBody, beside MalformedBody and UnsupportedMedia.
const (
	TooDeep            = "nesting_too_deep"      // 400: JSON, form key or XML nesting over DecodeOptions.MaxDepth
	TooManyFields      = "too_many_fields"       // 413: more form fields or parts than DecodeOptions.MaxFields
	ArrayIndexTooHigh  = "array_index_too_large" // 400: a[i] with i over DecodeOptions.MaxArrayIndex
	UnsupportedCharset = "unsupported_charset"   // 415: a charset parameter no decoder knows
	XMLDTD             = "xml_dtd_not_allowed"   // 400: an XML <!DOCTYPE> or other declaration
	TooManyAttributes  = "too_many_attributes"   // 400: an XML element with more than 256 attributes
	XMLTooManyElements = "too_many_xml_nodes"    // 413: more than 100000 XML elements and attributes
)
