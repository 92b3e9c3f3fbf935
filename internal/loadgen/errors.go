package loadgen

import "errors"

// Sentinel errors of package loadgen, matched with errors.Is.
var (
	// ErrNoLimit means Options set neither Duration nor Requests.
	ErrNoLimit = errors.New("loadgen: set Duration or Requests")
	// ErrNoURL means Options has no URL.
	ErrNoURL = errors.New("loadgen: URL is required")
)
