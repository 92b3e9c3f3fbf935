package signature

import "errors"

// Error is the type of every sentinel error in this package. Its Code is a
// stable, machine-readable string a handler can put in its JSON error body;
// its message never contains a secret or a presented signature.
//
// Errors returned by Verify wrap one of the sentinels (with %w), so match
// them with errors.Is, or read the code with [Code] or errors.As.
type Error struct {
	code string
	text string
}

// Error returns the message, prefixed with "signature: ".
func (e *Error) Error() string { return e.text }

// Code returns the stable error code, for example "signature_invalid".
func (e *Error) Code() string { return e.code }

// Errors returned by Verify. A webhook handler answers 401 for all of them.
var (
	// ErrMissingSignature means a header the scheme requires (the
	// signature, or for Standard Webhooks the id or timestamp) is absent or
	// empty. Code "signature_missing".
	ErrMissingSignature = &Error{"signature_missing", "signature: missing signature header"}
	// ErrMalformedHeader means a signature header is present but cannot be
	// parsed: wrong prefix, bad hex or base64, a signature of the wrong
	// length, a bad timestamp, or a header longer than the package accepts.
	// Code "signature_malformed".
	ErrMalformedHeader = &Error{"signature_malformed", "signature: malformed signature header"}
	// ErrInvalidSignature means the header was well formed but no presented
	// signature matched any configured secret (or none was of a supported
	// version). Code "signature_invalid".
	ErrInvalidSignature = &Error{"signature_invalid", "signature: signature mismatch"}
	// ErrTimestampOutOfTolerance means the signature matched but the signed
	// timestamp is further from the verifier's clock than its tolerance, in
	// the past or in the future: a replay, or a skewed clock. Code
	// "timestamp_out_of_tolerance".
	ErrTimestampOutOfTolerance = &Error{"timestamp_out_of_tolerance", "signature: timestamp outside tolerance"}
)

// Errors returned by constructors, [New] and [NewSecret]: configuration
// mistakes, never caused by a request.
var (
	// ErrNoSecret means no secret, or an empty one, was configured. Code
	// "signature_no_secret".
	ErrNoSecret = &Error{"signature_no_secret", "signature: no secret configured"}
	// ErrInvalidSecret means a secret cannot be used, for example a Standard
	// Webhooks secret that is not base64. Code "signature_secret_invalid".
	ErrInvalidSecret = &Error{"signature_secret_invalid", "signature: invalid secret"}
	// ErrUnknownScheme means Config.Scheme names no supported scheme. Code
	// "signature_unknown_scheme".
	ErrUnknownScheme = &Error{"signature_unknown_scheme", "signature: unknown scheme"}
	// ErrInvalidConfig means another setting is wrong: an unknown algorithm
	// or encoding, a bad header name, a negative tolerance, too many
	// secrets, or a field the scheme does not use. Code
	// "signature_config_invalid".
	ErrInvalidConfig = &Error{"signature_config_invalid", "signature: invalid configuration"}
)

// Code returns the stable code of err: the code of the package [Error] it
// wraps, "" for nil, and "signature_invalid" for any other error, so that a
// caller mapping codes fails closed.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.code
	}
	return ErrInvalidSignature.code
}
