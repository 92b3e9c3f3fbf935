package store

import "time"

// EventQuery selects the events ListEvents returns. Its zero value
// selects all of an org's events, without a limit.
type EventQuery struct {
	State          EventState // "" for every state
	HookID         string     // "" for every hook
	IdempotencyKey string     // exact match; "" for any
	// Since and Until bound CreatedAt: at or after Since, before Until.
	// A zero time leaves that side open.
	Since, Until time.Time
	// After continues a list: when its ID is not empty only the events
	// after it in the list's order are returned.
	After EventCursor
	// Limit caps the number of events returned; below 1 means no limit.
	Limit int
}

// EventCursor is where a page of ListEvents ended: the CreatedAt and ID
// of its last event (CursorOf). Paging by position rather than by offset
// keeps pages stable while events arrive: a page neither repeats nor
// skips an event that an earlier page could have held.
type EventCursor struct {
	CreatedAt time.Time
	ID        string
}

// CursorOf returns the cursor that continues a list after e.
func CursorOf(e *QueuedEvent) EventCursor {
	return EventCursor{CreatedAt: e.CreatedAt, ID: e.ID}
}

// Follows reports whether an event created at created with the given ID
// comes after c in ListEvents' order (newest first): it is older, or as
// old with a smaller ID. Every event follows a cursor with an empty ID.
func (c EventCursor) Follows(created time.Time, id string) bool {
	if c.ID == "" {
		return true
	}
	if !created.Equal(c.CreatedAt) {
		return created.Before(c.CreatedAt)
	}
	return id < c.ID
}

// Match reports whether q selects e (of the org ListEvents was given):
// its state, hook, idempotency key, creation time and position after
// q.After. Limit plays no part.
func (q *EventQuery) Match(e *QueuedEvent) bool {
	return (q.State == "" || e.State == q.State) &&
		(q.HookID == "" || e.HookID == q.HookID) &&
		(q.IdempotencyKey == "" || e.IdempotencyKey == q.IdempotencyKey) &&
		(q.Since.IsZero() || !e.CreatedAt.Before(q.Since)) &&
		(q.Until.IsZero() || e.CreatedAt.Before(q.Until)) &&
		q.After.Follows(e.CreatedAt, e.ID)
}
