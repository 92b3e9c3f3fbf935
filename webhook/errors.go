package webhook

import "errors"

// Sentinel errors of package webhook, returned by New.
var (
	// ErrNilPipeline means New was given no pipeline.
	ErrNilPipeline = errors.New("webhook: pipeline is nil")
	// ErrNilKeyring means New was given no keyring.
	ErrNilKeyring = errors.New("webhook: keyring is nil")
	// ErrInvalidOptions means an Options field is out of range.
	ErrInvalidOptions = errors.New("webhook: invalid options")
)
