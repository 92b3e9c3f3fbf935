package admin

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store"
)

// EventQueue is what the event routes need of the durable queue;
// *hooks.Queue implements it. Its methods are called concurrently.
type EventQueue interface {
	// Events lists org's events that q selects, newest first.
	Events(ctx context.Context, org string, q store.EventQuery) ([]hooks.EventStatus, error)
	// Get returns one of org's events with its content.
	Get(ctx context.Context, org, id string) (*hooks.EventStatus, error)
	// Replay makes org's dead event pending again.
	Replay(ctx context.Context, org, id string) error
}

var _ EventQueue = (*hooks.Queue)(nil)

// maxReplayIDs bounds the IDs of one bulk replay.
const maxReplayIDs = 1000

// The page sizes of the event list: the default, and the most a request
// may ask for (the queue's own cap).
const (
	defaultPageSize = 100
	maxPageSize     = 1000
)

// checkState refuses a state filter that names no state.
func checkState(st store.EventState) error {
	switch st {
	case "", store.StatePending, store.StateDelivered, store.StateDead:
		return nil
	}
	return badRequest(`state must be "pending", "delivered" or "dead"`)
}

// eventRoutes registers the routes of the durable queue (see the package
// documentation for their parameters):
//
//	GET  {prefix}/events?state=&hook=&key=&id=&since=&until=&cursor=&limit=
//	GET  {prefix}/events/{id}
//	POST {prefix}/events/{id}/replay
//	POST {prefix}/events/replay  {"ids":[...]}
func (h *Handler) eventRoutes() {
	p := h.prefix
	h.api(p+"/events", map[string]apiFunc{http.MethodGet: h.listEvents})
	h.api(p+"/events/replay", map[string]apiFunc{http.MethodPost: h.replayEvents})
	h.api(p+"/events/{id}", map[string]apiFunc{http.MethodGet: h.getEvent})
	h.api(p+"/events/{id}/replay", map[string]apiFunc{http.MethodPost: h.replayEvent})
}

func badRequest(msg string) error {
	return hooks.NewError(http.StatusBadRequest, errcode.BadRequest, msg)
}

// encodeCursor and decodeCursor give the API's opaque cursor: the
// CreatedAt and ID of the last event of a page.
func encodeCursor(c store.EventCursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(c.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + c.ID))
}

func decodeCursor(s string) (store.EventCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.EventCursor{}, badRequest("cursor is not one this API gave")
	}
	at, id, ok := strings.Cut(string(b), " ")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil || id == "" {
		return store.EventCursor{}, badRequest("cursor is not one this API gave")
	}
	return store.EventCursor{CreatedAt: t, ID: id}, nil
}

// eventQuery reads the list's parameters.
func eventQuery(r *http.Request) (store.EventQuery, error) {
	v := r.URL.Query()
	q := store.EventQuery{State: store.EventState(v.Get("state")), HookID: v.Get("hook"), IdempotencyKey: v.Get("key"),
		Limit: defaultPageSize}
	if err := checkState(q.State); err != nil {
		return q, err
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, badRequest("limit must be a non-negative integer")
		}
		if n > 0 {
			q.Limit = min(n, maxPageSize)
		}
	}
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		if s := v.Get(f.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, badRequest(f.name + " must be an RFC 3339 time, such as 2026-01-02T15:04:05Z")
			}
			*f.t = t
		}
	}
	if s := v.Get("cursor"); s != "" {
		c, err := decodeCursor(s)
		if err != nil {
			return q, err
		}
		q.After = c
	}
	return q, nil
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request, org string) {
	q, err := eventQuery(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var evs []hooks.EventStatus
	if id := r.URL.Query().Get("id"); id != "" {
		// A search by ID: the one event, if it passes the other filters.
		evs, err = h.findEvent(r.Context(), org, id, q)
	} else {
		evs, err = h.events.Events(r.Context(), org, q)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if evs == nil {
		evs = []hooks.EventStatus{}
	}
	out := map[string]any{"events": evs}
	if len(evs) > 0 && len(evs) >= q.Limit {
		last := evs[len(evs)-1]
		out["next_cursor"] = encodeCursor(store.EventCursor{CreatedAt: last.CreatedAt, ID: last.ID})
	}
	writeJSON(w, http.StatusOK, out)
}

// findEvent returns the org's event id as a list of one, or none when it
// is unknown or q does not select it.
func (h *Handler) findEvent(ctx context.Context, org, id string, q store.EventQuery) ([]hooks.EventStatus, error) {
	ev, err := h.events.Get(ctx, org, id)
	if errors.Is(err, hooks.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ev.Event = nil
	rec := &store.QueuedEvent{ID: ev.ID, HookID: ev.HookID, IdempotencyKey: ev.IdempotencyKey,
		State: store.EventState(ev.State), CreatedAt: ev.CreatedAt}
	if !q.Match(rec) {
		return nil, nil
	}
	return []hooks.EventStatus{*ev}, nil
}

func (h *Handler) getEvent(w http.ResponseWriter, r *http.Request, org string) {
	ev, err := h.events.Get(r.Context(), org, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ev)
}

// errNotDead answers the replay of an event that is not dead.
var errNotDead = hooks.NewError(http.StatusConflict, "not_dead", "only dead events can be replayed")

func (h *Handler) replayEvent(w http.ResponseWriter, r *http.Request, org string) {
	id := r.PathValue("id")
	err := h.events.Replay(r.Context(), org, id)
	if errors.Is(err, store.ErrConflict) {
		err = errNotDead
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ev, err := h.events.Get(r.Context(), org, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ev.Event = nil
	writeJSON(w, http.StatusAccepted, ev)
}

// replayFailure is one event a bulk replay could not replay.
type replayFailure struct {
	ID    string `json:"id"`
	Code  string `json:"code"`
	Error string `json:"message"`
}

// replayEvents replays each of the given dead events, and says which it
// replayed and which it could not (unknown: not_found; not dead:
// not_dead). A store failure stops it with 503.
func (h *Handler) replayEvents(w http.ResponseWriter, r *http.Request, org string) {
	var body struct {
		IDs []string `json:"ids"`
	}
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(body.IDs) == 0 || len(body.IDs) > maxReplayIDs {
		h.fail(w, r, badRequest("ids must list 1 to "+strconv.Itoa(maxReplayIDs)+" event IDs"))
		return
	}
	replayed, failed := []string{}, []replayFailure{}
	for _, id := range body.IDs {
		err := h.events.Replay(r.Context(), org, id)
		switch {
		case err == nil:
			replayed = append(replayed, id)
		case errors.Is(err, hooks.ErrNotFound):
			failed = append(failed, replayFailure{id, errcode.NotFound, "no such event"})
		case errors.Is(err, store.ErrConflict):
			failed = append(failed, replayFailure{id, "not_dead", "only dead events can be replayed"})
		default:
			h.fail(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"replayed": replayed, "failed": failed})
}
