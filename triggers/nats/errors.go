package natstrigger

import "errors"

// ErrNilPublisher is returned by New without a JetStream publisher.
var ErrNilPublisher = errors.New("natstrigger: publisher is nil")

// ErrNilEvent is returned by Fire and Msg for a nil event or one without an ID.
var ErrNilEvent = errors.New("natstrigger: event is nil or has no ID")
