package admin

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/store"
)

// EventQueue is what the event routes need of the durable queue;
// *hooks.Queue implements it. Its methods are called concurrently.
type EventQueue interface {
	// Events lists up to limit of org's events in a state, newest first.
	Events(ctx context.Context, org, state string, limit int) ([]hooks.EventStatus, error)
	// Get returns one of org's events with its content.
	Get(ctx context.Context, org, id string) (*hooks.EventStatus, error)
	// Replay makes org's dead event pending again.
	Replay(ctx context.Context, org, id string) error
}

var _ EventQueue = (*hooks.Queue)(nil)

// eventRoutes registers the routes of the durable queue:
//
//	GET  {prefix}/events?state=dead&limit=N  -> {"events":[...]}
//	GET  {prefix}/events/{id}                -> the event's status and content
//	POST {prefix}/events/{id}/replay         -> 202 the event's status (409 unless dead)
func (h *Handler) eventRoutes() {
	p := h.prefix
	h.api(p+"/events", map[string]apiFunc{http.MethodGet: h.listEvents})
	h.api(p+"/events/{id}", map[string]apiFunc{http.MethodGet: h.getEvent})
	h.api(p+"/events/{id}/replay", map[string]apiFunc{http.MethodPost: h.replayEvent})
}

func (h *Handler) listEvents(w http.ResponseWriter, r *http.Request, org string) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = string(store.StateDead)
	}
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			h.fail(w, r, hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "limit must be a non-negative integer"))
			return
		}
		limit = n
	}
	evs, err := h.events.Events(r.Context(), org, state, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if evs == nil {
		evs = []hooks.EventStatus{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": evs})
}

func (h *Handler) getEvent(w http.ResponseWriter, r *http.Request, org string) {
	ev, err := h.events.Get(r.Context(), org, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ev)
}

func (h *Handler) replayEvent(w http.ResponseWriter, r *http.Request, org string) {
	id := r.PathValue("id")
	err := h.events.Replay(r.Context(), org, id)
	if errors.Is(err, store.ErrConflict) {
		h.fail(w, r, hooks.NewError(http.StatusConflict, "not_dead", "only dead events can be replayed"))
		return
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
