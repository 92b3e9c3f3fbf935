package amqptrigger

import "errors"

// Errors of the Trigger. Fire wraps them with the event ID; the queue
// retries them all.
var (
	// ErrNilEvent is returned for a nil event or one without an ID.
	ErrNilEvent = errors.New("amqptrigger: event is nil or has no ID")
	// ErrNacked is returned when the broker nacked the message, or the
	// channel closed before its confirm (the broker may or may not hold it).
	ErrNacked = errors.New("amqptrigger: message not confirmed")
	// ErrReturned is returned when the broker returned the message as
	// unroutable: no queue is bound for its routing key.
	ErrReturned = errors.New("amqptrigger: message returned unroutable")
	// ErrClosed is returned by Fire after Close.
	ErrClosed = errors.New("amqptrigger: trigger closed")
)
