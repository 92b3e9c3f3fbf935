package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/hooks/errcode"
	"github.com/inbound-hooks/inbound/hooks/intake"
)

// apiFunc handles one method of one route for an authorized org.
type apiFunc func(w http.ResponseWriter, r *http.Request, org string)

func (h *Handler) routes() {
	p := h.prefix
	h.api(p+"/hooks", map[string]apiFunc{http.MethodGet: h.listHooks, http.MethodPost: h.createHook})
	h.api(p+"/hooks/{id}", map[string]apiFunc{http.MethodGet: h.getHook, http.MethodPatch: h.patchHook, http.MethodDelete: h.deleteHook})
	h.api(p+"/hooks/{id}/rotate", map[string]apiFunc{http.MethodPost: h.rotateHook})
	h.api(p+"/hooks/{id}/debug-logs", map[string]apiFunc{http.MethodGet: h.debugLogs})
	h.api(p+"/hooks/{id}/example-data", map[string]apiFunc{http.MethodPost: h.exampleData})
	h.api(p+"/hooks/{id}/fields", map[string]apiFunc{http.MethodGet: h.fields})
	h.api(p+"/keys", map[string]apiFunc{http.MethodGet: h.listKeys, http.MethodPost: h.createKey})
	h.api(p+"/keys/{id}", map[string]apiFunc{http.MethodDelete: h.revokeKey})
	if h.events != nil {
		h.eventRoutes()
	}
	h.mux.HandleFunc(p+"/{$}", h.page)
	for name := range assets {
		h.mux.HandleFunc(p+"/"+name, h.asset)
	}
	h.mux.HandleFunc(p+"/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, hooks.NewError(http.StatusNotFound, errcode.NotFound, "no such admin route"))
	})
}

// api registers a route: every request is authorized first, then
// dispatched by method (405 with Allow for the others).
func (h *Handler) api(pattern string, methods map[string]apiFunc) {
	allow := make([]string, 0, len(methods))
	for m := range methods {
		allow = append(allow, m)
	}
	slices.Sort(allow)
	allowed := strings.Join(allow, ", ")
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		org, err := h.auth.Authorize(r)
		if err != nil {
			var he *hooks.Error
			if !errors.As(err, &he) {
				he = hooks.NewError(http.StatusUnauthorized, errcode.Unauthorized, "missing or invalid admin credentials")
			}
			h.fail(w, r, he)
			return
		}
		fn, ok := methods[r.Method]
		if !ok {
			w.Header().Set("Allow", allowed)
			h.fail(w, r, hooks.NewError(http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "method not allowed; use "+allowed))
			return
		}
		fn(w, r, org)
	})
}

// fail answers err in the shape of every inbound error.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var (
		he *hooks.Error
		ve *hooks.ValidationError
	)
	switch {
	case errors.As(err, &he):
	case errors.As(err, &ve):
		err = hooks.NewError(http.StatusBadRequest, errcode.BadRequest, ve.Field+" "+ve.Reason)
	case errors.Is(err, hooks.ErrNotFound), errors.Is(err, debuglog.ErrNotFound):
		err = hooks.NewError(http.StatusNotFound, errcode.NotFound, "not found")
	default:
		h.log.ErrorContext(r.Context(), "admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	intake.WriteError(w, err)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// decode reads r's JSON body into v under the body limit: unknown fields,
// malformed JSON and trailing data answer 400, an oversized body 413.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); !errors.Is(terr, io.EOF) {
			err = terr
			if err == nil {
				err = errors.New("data after the JSON object")
			}
		}
	}
	if err == nil {
		return nil
	}
	var (
		mbe *http.MaxBytesError
		ute *json.UnmarshalTypeError
		se  *json.SyntaxError
	)
	switch {
	case errors.As(err, &mbe):
		return hooks.NewError(http.StatusRequestEntityTooLarge, errcode.PayloadTooLarge,
			fmt.Sprintf("the body is larger than the limit of %d bytes", h.maxBody))
	case errors.As(err, &ute):
		if ute.Field == "" {
			return hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "the body must be a JSON object")
		}
		return hooks.NewError(http.StatusBadRequest, errcode.BadRequest, fmt.Sprintf("%s must be a JSON %s", ute.Field, jsonType(ute.Type.Kind().String())))
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "malformed JSON")
	case errors.Is(err, io.EOF):
		return hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "the body must be a JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "unknown field "+strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "malformed JSON")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}

// hookJSON is a hook as the API shows it.
type hookJSON struct {
	ID          string          `json:"id"`
	Type        hooks.Kind      `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Address     string          `json:"address"`
	Debug       bool            `json:"debug"`
	Disabled    bool            `json:"disabled"`
	ExampleData json.RawMessage `json:"example_data"`
	// Settings are the settings of the hook's kind, in the JSON of the
	// kind's settings type; a type holding secrets shows its Redacted
	// form (a webhook shows signature_configured, never the signature).
	Settings  any       `json:"settings"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// settingsView is what the API shows of a hook's settings.
func settingsView(s hooks.Settings) any {
	switch s := s.(type) {
	case nil:
		return struct{}{}
	case hooks.Redacter:
		return s.Redacted()
	}
	return s
}

// settingsInput is the "settings" member of a create or PATCH body: a
// JSON object of the kind's settings, decoded by the Registry. Absent or
// null leaves the settings as they are.
func settingsInput(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

func (h *Handler) hookJSON(hk *hooks.Hook) hookJSON {
	ex := hk.ExampleData
	if len(ex) == 0 {
		ex = json.RawMessage("null")
	}
	return hookJSON{
		ID: hk.ID, Type: hk.Kind, Name: hk.Name, Description: hk.Description, Address: h.reg.Address(hk),
		Debug: hk.Debug, Disabled: hk.Disabled, ExampleData: ex, Settings: settingsView(hk.Settings),
		CreatedAt: hk.CreatedAt, UpdatedAt: hk.UpdatedAt,
	}
}

func (h *Handler) listHooks(w http.ResponseWriter, r *http.Request, org string) {
	hs, err := h.reg.List(r.Context(), org)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]hookJSON, 0, len(hs))
	for _, hk := range hs {
		out = append(out, h.hookJSON(hk))
	}
	writeJSON(w, http.StatusOK, map[string]any{"hooks": out})
}

func (h *Handler) createHook(w http.ResponseWriter, r *http.Request, org string) {
	var in struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Type        string          `json:"type"`
		Settings    json.RawMessage `json:"settings"`
	}
	if err := h.decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	kind, err := h.reg.ParseKind(in.Type)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	spec := hooks.HookSpec{Name: in.Name, Description: in.Description, Kind: kind}
	if raw := settingsInput(in.Settings); raw != nil {
		if spec.Settings, err = h.reg.ParseSettings(kind, nil, raw); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	hk, err := h.reg.Create(r.Context(), org, spec)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", h.prefix+"/hooks/"+hk.ID)
	writeJSON(w, http.StatusCreated, h.hookJSON(hk))
}

func (h *Handler) getHook(w http.ResponseWriter, r *http.Request, org string) {
	hk, err := h.reg.Get(r.Context(), org, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.hookJSON(hk))
}

func (h *Handler) patchHook(w http.ResponseWriter, r *http.Request, org string) {
	var in struct {
		Name        *string         `json:"name"`
		Description *string         `json:"description"`
		Debug       *bool           `json:"debug"`
		Disabled    *bool           `json:"disabled"`
		ExampleData json.RawMessage `json:"example_data"` // absent: unchanged; null: cleared
		Settings    json.RawMessage `json:"settings"`     // members given replace the current ones
	}
	if err := h.decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	u := hooks.HookUpdate{Name: in.Name, Description: in.Description, Debug: in.Debug, Disabled: in.Disabled}
	if len(in.ExampleData) > 0 {
		u.ExampleData = &in.ExampleData
	}
	// The settings given are merged into the current ones inside the
	// Registry's compare-and-swap, so that concurrent PATCHes of different
	// settings all stay.
	u.SettingsPatch = settingsInput(in.Settings)
	hk, err := h.reg.Update(ctx, org, id, u)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.hookJSON(hk))
}

func (h *Handler) deleteHook(w http.ResponseWriter, r *http.Request, org string) {
	if err := h.reg.Delete(r.Context(), org, r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) rotateHook(w http.ResponseWriter, r *http.Request, org string) {
	hk, err := h.reg.Rotate(r.Context(), org, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.hookJSON(hk))
}

func (h *Handler) debugLogs(w http.ResponseWriter, r *http.Request, org string) {
	hk, err := h.reg.Get(r.Context(), org, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	es, err := h.dlog.Entries(r.Context(), hk.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": es})
}

func (h *Handler) exampleData(w http.ResponseWriter, r *http.Request, org string) {
	var in struct {
		FromDebugEntry *string         `json:"from_debug_entry"`
		Data           json.RawMessage `json:"data"`
	}
	if err := h.decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	if (in.FromDebugEntry == nil) == (len(in.Data) == 0) {
		h.fail(w, r, hooks.NewError(http.StatusBadRequest, errcode.BadRequest, `give exactly one of "from_debug_entry" and "data"`))
		return
	}
	ctx, id := r.Context(), r.PathValue("id")
	hk, err := h.reg.Get(ctx, org, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := in.Data
	if in.FromDebugEntry != nil {
		e, err := h.dlog.Entry(ctx, hk.ID, *in.FromDebugEntry)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if len(e.Data) == 0 || string(e.Data) == "null" {
			h.fail(w, r, hooks.NewError(http.StatusBadRequest, errcode.BadRequest, "the debug entry holds no decoded data"))
			return
		}
		data = e.Data
	}
	hk, err = h.reg.Update(ctx, org, hk.ID, hooks.HookUpdate{ExampleData: &data})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.hookJSON(hk))
}

func (h *Handler) fields(w http.ResponseWriter, r *http.Request, org string) {
	hk, err := h.reg.Get(r.Context(), org, r.PathValue("id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	fs, err := hooks.FieldsJSON(hk.ExampleData)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if fs == nil {
		fs = []hooks.Field{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": fs})
}

// keyJSON is an API key as the API shows it; Key is set only in the answer
// that creates it.
type keyJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Roles     []string  `json:"roles"`
	Key       string    `json:"key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func toKeyJSON(k *hooks.APIKey) keyJSON {
	roles := k.Roles
	if roles == nil {
		roles = []string{}
	}
	return keyJSON{ID: k.ID, Name: k.Name, Roles: roles, CreatedAt: k.CreatedAt}
}

func (h *Handler) listKeys(w http.ResponseWriter, r *http.Request, org string) {
	ks, err := h.keys.List(r.Context(), org)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := make([]keyJSON, 0, len(ks))
	for _, k := range ks {
		out = append(out, toKeyJSON(k))
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
}

// createKey makes a key; roles default to ["org.hooks"] when absent.
func (h *Handler) createKey(w http.ResponseWriter, r *http.Request, org string) {
	var in struct {
		Name  string    `json:"name"`
		Roles *[]string `json:"roles"`
	}
	if err := h.decode(w, r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	roles := []string{hooks.RoleHooks}
	if in.Roles != nil {
		roles = *in.Roles
	}
	k, plain, err := h.keys.Create(r.Context(), org, in.Name, roles)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := toKeyJSON(k)
	out.Key = plain
	writeJSON(w, http.StatusCreated, out)
}

func (h *Handler) revokeKey(w http.ResponseWriter, r *http.Request, org string) {
	if err := h.keys.Revoke(r.Context(), org, r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
