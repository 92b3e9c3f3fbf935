package benchplot

import "errors"

// Sentinel errors of package benchplot, matched with errors.Is.
var (
	// ErrSize means a Chart's Width or Height is out of bounds.
	ErrSize = errors.New("benchplot: chart size out of bounds")
	// ErrNoData means a Chart has no points to draw.
	ErrNoData = errors.New("benchplot: no data points")
	// ErrBadPoint means a point cannot be drawn: a coordinate that is not
	// finite, a negative y, or an x at or below 0 on a log axis.
	ErrBadPoint = errors.New("benchplot: point cannot be drawn")
	// ErrConnections means a connection list is not a comma-separated
	// list of counts from 1 to MaxConnections.
	ErrConnections = errors.New("benchplot: bad connection list")
	// ErrNoTargets means Sweep was given no targets.
	ErrNoTargets = errors.New("benchplot: no targets")
	// ErrNoLimit means SweepOptions set neither Duration nor Requests.
	ErrNoLimit = errors.New("benchplot: set Duration or Requests")
	// ErrNotDrained means a queue target's dispatcher did not deliver its
	// backlog in time between runs.
	ErrNotDrained = errors.New("benchplot: queue did not drain")
	// ErrRequests means a run had transport errors or non-2xx answers.
	ErrRequests = errors.New("benchplot: requests failed")
)
