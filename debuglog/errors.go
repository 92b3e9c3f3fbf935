package debuglog

import "errors"

// Sentinel errors of package debuglog, matched with errors.Is.
var (
	// ErrNotFound means the hook has no debug entry with the given ID.
	ErrNotFound = errors.New("debuglog: entry not found")
	// ErrClosed is returned by Flush after Close.
	ErrClosed = errors.New("debuglog: log is closed")
	// ErrInvalid is returned by New for a nil store or a negative option.
	ErrInvalid = errors.New("debuglog: invalid options")
)
