package hooks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// Hook is one hook: an address that receives data and fires the Trigger.
type Hook struct {
	ID          string
	Org         string // the tenant the hook belongs to; "" for a single-tenant host
	Kind        Kind
	Name        string
	Description string
	Token       string // the secret part of the address; lowercase
	Debug       bool   // record interactions in the debug log
	Disabled    bool   // a disabled hook answers like an unknown one
	// ExampleData is the example payload the hook's fields are listed
	// from, or nil. Like Settings it is shared (with the store's cache:
	// a lookup on each request does not copy it) and must not be changed
	// in place; replace it, or change it with Registry.Update.
	ExampleData json.RawMessage
	// Settings are the options of the hook's kind, of the type its
	// KindSpec gives (*formhook.Settings, ...); nil when the kind is not
	// registered with the Registry that read the hook. The value is shared
	// and must not be changed (see Settings).
	Settings Settings
	// Revision counts the hook's updates; it changes with every change to
	// the hook, so (ID, Revision) names one version of its settings.
	Revision  int64
	CreatedAt time.Time
	UpdatedAt time.Time

	// rawSettings are the stored settings of a hook whose kind is not
	// registered, written back unchanged.
	rawSettings []byte
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

func hookToRecord(h *Hook) (*store.Hook, error) {
	rec := &store.Hook{
		ID: h.ID, Org: h.Org, Kind: string(h.Kind), Name: h.Name, Description: h.Description,
		Token: h.Token, Debug: h.Debug, Disabled: h.Disabled, Revision: h.Revision,
		ExampleData: h.ExampleData, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt,
		Settings: h.rawSettings, // the store copies what it is given
	}
	if h.Settings != nil {
		b, err := json.Marshal(h.Settings)
		if err != nil {
			return nil, fmt.Errorf("hooks: encode settings: %w", err)
		}
		if string(b) != "{}" && string(b) != "null" {
			rec.Settings = b
		} else {
			rec.Settings = nil
		}
	}
	return rec, nil
}

// hookFromRecord turns a stored hook into a Hook, its settings decoded
// into its kind's type (once per hook revision: see Registry.settings).
// The Hook shares rec's byte slices, read-only in what a store returns.
func (r *Registry) hookFromRecord(rec *store.Hook) (*Hook, error) {
	h := &Hook{
		ID: rec.ID, Org: rec.Org, Kind: Kind(rec.Kind), Name: rec.Name, Description: rec.Description,
		Token: rec.Token, Debug: rec.Debug, Disabled: rec.Disabled, Revision: rec.Revision,
		ExampleData: rec.ExampleData, CreatedAt: rec.CreatedAt, UpdatedAt: rec.UpdatedAt,
	}
	s, err := r.settings(rec)
	if err != nil {
		return nil, err
	}
	h.Settings = s
	if s == nil {
		h.rawSettings = rec.Settings
	}
	return h, nil
}
