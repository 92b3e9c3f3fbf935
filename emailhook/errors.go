package emailhook

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these; match
// them with errors.Is.
var (
	// ErrInvalidJSON means a script's text was not JSON even after the
	// tolerated repairs.
	ErrInvalidJSON = errors.New("emailhook: invalid JSON")

	// ErrTooDeep means a JSON value nested deeper than ExtractOptions.MaxDepth.
	ErrTooDeep = errors.New("emailhook: JSON nested too deeply")

	// ErrUnknownContext means a JSON-LD @context referred to a document other
	// than the schema.org context; nothing is fetched.
	ErrUnknownContext = errors.New("emailhook: unknown JSON-LD context")

	// ErrNoStructuredData means the HTML carried structured-data sources but
	// none of them could be read.
	ErrNoStructuredData = errors.New("emailhook: no readable structured data")

	// ErrMalformedMessage means a message could not be parsed as RFC 5322 /
	// MIME.
	ErrMalformedMessage = errors.New("emailhook: malformed message")

	// ErrMessageTooLarge means a message was longer than
	// ExtractOptions.MaxMessageBytes. The message is rejected, never
	// truncated.
	ErrMessageTooLarge = errors.New("emailhook: message too large")

	// ErrInvalidOptions means NewExtractor, NewBackend or NewHandler was
	// given unusable options.
	ErrInvalidOptions = errors.New("emailhook: invalid options")

	// ErrNilPipeline means NewBackend or NewHandler was given no pipeline.
	ErrNilPipeline = errors.New("emailhook: nil pipeline")
)
