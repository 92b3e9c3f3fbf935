package formhook

import "errors"

// Sentinel errors of package formhook, returned by New.
var (
	// ErrNilPipeline means New was given no pipeline.
	ErrNilPipeline = errors.New("formhook: pipeline is nil")
	// ErrInvalidOptions means an Options field is out of range.
	ErrInvalidOptions = errors.New("formhook: invalid options")
)
