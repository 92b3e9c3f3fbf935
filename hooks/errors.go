package hooks

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/inbound-hooks/inbound/hooks/errcode"
)

// Sentinel errors of package hooks, matched with errors.Is.
var (
	// ErrNotFound means the hook or key does not exist in the caller's org
	// (a hook of another org is reported exactly like a missing one).
	ErrNotFound = errors.New("hooks: not found")
	// ErrInvalid is matched by every *ValidationError.
	ErrInvalid = errors.New("hooks: invalid input")
	// ErrInvalidKey means a presented API key is malformed, unknown or
	// revoked. The three cases are deliberately indistinguishable.
	ErrInvalidKey = errors.New("hooks: invalid API key")
	// ErrQueueStarted is returned by Queue.Start when the dispatcher runs.
	ErrQueueStarted = errors.New("hooks: queue dispatcher already started")
	// ErrBindTarget means Event.Bind was given something other than a
	// non-nil pointer.
	ErrBindTarget = errors.New("hooks: bind needs a non-nil pointer")
	// ErrHookMismatch means Registry.Ensure found the hook of its key with
	// another kind than the spec asks for.
	ErrHookMismatch = errors.New("hooks: the hook of this key has another kind")
)

// ValidationError reports which input field was rejected and why. It
// matches ErrInvalid with errors.Is.
type ValidationError struct {
	Field  string // the input's name, as the admin API spells it ("name", "type", ...)
	Reason string // a short human-readable reason, safe to show to callers
}

// Error returns "hooks: invalid <field>: <reason>".
func (e *ValidationError) Error() string {
	return "hooks: invalid " + e.Field + ": " + e.Reason
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, reason string) error { return &ValidationError{Field: field, Reason: reason} }

// Error is the error every hook kind answers with: an HTTP status, a stable
// machine-readable code and a message safe to show to the sender. It is
// written as {"error":{"code":"...","message":"..."}}.
//
// A Trigger may return an *Error (directly or wrapped) to choose the status
// the sender sees; any other Trigger error answers 503 with Retry-After.
type Error struct {
	Status     int           // HTTP status, 400-599
	Code       string        // stable, snake_case: "payload_too_large", ... (package hooks/errcode lists the library's)
	Message    string        // for the sender; never internal detail
	RetryAfter time.Duration // sent as Retry-After (whole seconds, at least 1) when positive
	// Header holds response headers sent with the answer: the challenge of
	// a 401 (WWW-Authenticate), the methods of a 405 (Allow).
	// intake.WriteError sets defaults for those it does not hold: "Bearer"
	// and "POST".
	Header http.Header
	Err    error // the cause, for logs and errors.Is; never shown to the sender
}

// Error describes the error with its code, status and cause, for logs.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("hooks: %s (%d): %v", e.Code, e.Status, e.Err)
	}
	return fmt.Sprintf("hooks: %s (%d): %s", e.Code, e.Status, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// NewError returns an *Error with the given status, code and message.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// AsError returns err as an *Error. An error that is not (and does not wrap)
// an *Error becomes a 503 "unavailable" with a generic message, so that no
// internal detail reaches the sender.
//
// An *Error whose Status is not an error status (400-599) is answered as
// 503 with its code and message kept, so that a mistaken Status from a
// Trigger or an Authorizer can neither panic the handler nor answer 2xx.
func AsError(err error) *Error {
	var he *Error
	if errors.As(err, &he) {
		if he.Status < 400 || he.Status > 599 {
			c := *he
			c.Status = http.StatusServiceUnavailable
			if c.Code == "" {
				c.Code = errcode.Unavailable
			}
			return &c
		}
		return he
	}
	return &Error{Status: http.StatusServiceUnavailable, Code: errcode.Unavailable,
		Message: "the service is temporarily unavailable; try again later", RetryAfter: 5 * time.Second, Err: err}
}

// ErrorBody is the JSON shape of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inner object of ErrorBody.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}
