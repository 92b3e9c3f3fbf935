package admin

import "errors"

// Sentinel errors of package admin, matched with errors.Is.
var (
	// ErrUnauthorized is what an Authorizer returns (or wraps) for a
	// missing or wrong credential; the caller sees 401.
	ErrUnauthorized = errors.New("admin: unauthorized")
	// ErrInvalidOptions is returned by New for a nil dependency or a bad
	// option.
	ErrInvalidOptions = errors.New("admin: invalid options")
)
