package rivertrigger

import "errors"

// ErrNilInserter is returned by New without a River client.
var ErrNilInserter = errors.New("rivertrigger: inserter is nil")

// ErrNilEvent is returned by Fire for a nil event or one without an ID.
var ErrNilEvent = errors.New("rivertrigger: event is nil or has no ID")
