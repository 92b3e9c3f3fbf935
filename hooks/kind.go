package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
)

// Kind names a hook kind ("form", "web", "email", ...): how data reaches a
// hook. The kinds are not listed here: each kind package registers its
// KindSpec with a Registry, and a Registry knows the kinds registered with
// it.
type Kind string

// Settings are a hook's options of its kind. Each kind package has its own
// type (a pointer to a struct with JSON tags), which is what the store
// keeps and the admin API shows and changes. A Settings value held by a
// Hook is shared by every request to that hook revision: it must not be
// changed once it is in a Hook; change a copy and save it with
// Registry.Update.
type Settings interface {
	// Validate reports whether the settings may be saved. Its errors are
	// *ValidationError values naming the setting.
	Validate() error
}

// Redacter is implemented by Settings whose JSON holds secrets (a webhook's
// signature secrets): Redacted returns what may be shown instead, as the
// admin API does.
type Redacter interface {
	Redacted() any
}

// KindSpec is what a kind package tells a Registry about its kind: its
// name, its settings type and the address a hook of it has. A kind's
// handler registers it (Registry.Register) when it is built, so that the
// address comes from where that handler is mounted. Its methods are called
// concurrently.
type KindSpec interface {
	// Kind is the kind's name. It is stored with each hook, names the kind
	// in the admin API and labels the kind's metrics.
	Kind() Kind
	// NewSettings returns new default settings of the kind: a fresh value
	// (a pointer) that stored or submitted JSON is decoded into.
	NewSettings() Settings
	// Address returns the address senders use for a hook of the kind with
	// the given token. base is RegistryOptions.BaseURL, without a trailing
	// slash ("" gives a path).
	Address(base, token string) string
}

// Register makes the kind of spec known to r: hooks of that kind can then
// be created, their settings are decoded into the kind's type, and their
// address is spec.Address. Registering a spec equal (==) to the one
// registered already for its kind does nothing; registering a different
// one for the same kind (two handlers of one kind mounted at different
// prefixes) returns an error matching ErrInvalid, since a hook has one
// address.
func (r *Registry) Register(spec KindSpec) error {
	if spec == nil {
		return invalid("kind", "spec is nil")
	}
	k := spec.Kind()
	if !validKindName(string(k)) {
		return invalid("kind", fmt.Sprintf("%q must be 1 to 32 lowercase letters, digits or -", k))
	}
	r.kindMu.Lock()
	defer r.kindMu.Unlock()
	if old, ok := r.kinds[k]; ok {
		if reflect.TypeOf(old) == reflect.TypeOf(spec) && reflect.TypeOf(spec).Comparable() && old == spec {
			return nil
		}
		return invalid("kind", fmt.Sprintf("%q is registered already with another address", k))
	}
	m := make(map[Kind]KindSpec, len(r.kinds)+1)
	for name, s := range r.kinds {
		m[name] = s
	}
	m[k] = spec
	r.kinds = m
	return nil
}

// Kinds returns the names of the kinds registered with r, sorted.
func (r *Registry) Kinds() []Kind {
	r.kindMu.Lock()
	defer r.kindMu.Unlock()
	out := make([]Kind, 0, len(r.kinds))
	for k := range r.kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// spec returns the registered spec of k, or nil.
func (r *Registry) spec(k Kind) KindSpec {
	r.kindMu.Lock()
	s := r.kinds[k]
	r.kindMu.Unlock()
	return s
}

// ParseKind returns the registered Kind named s, or a *ValidationError
// for the field "type" that lists the registered kinds.
func (r *Registry) ParseKind(s string) (Kind, error) {
	if r.spec(Kind(s)) != nil {
		return Kind(s), nil
	}
	return "", r.unknownKind()
}

func (r *Registry) unknownKind() error {
	names := make([]string, 0, 4)
	for _, k := range r.Kinds() {
		names = append(names, `"`+string(k)+`"`)
	}
	if len(names) == 0 {
		return invalid("type", "no hook kind is registered")
	}
	return invalid("type", "must be one of "+strings.Join(names, ", "))
}

func validKindName(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ParseSettings decodes data, a JSON object of settings of kind k, onto a
// copy of base (nil means the kind's defaults) and validates the result:
// members data has replace those of base, the others stay. Unknown
// members, malformed JSON and trailing data are *ValidationError values
// for the field "settings".
func (r *Registry) ParseSettings(k Kind, base Settings, data []byte) (Settings, error) {
	spec := r.spec(k)
	if spec == nil {
		return nil, r.unknownKind()
	}
	s := spec.NewSettings()
	if base != nil {
		b, err := json.Marshal(base)
		if err != nil {
			return nil, fmt.Errorf("hooks: encode settings: %w", err)
		}
		if err := json.Unmarshal(b, s); err != nil {
			return nil, fmt.Errorf("hooks: copy settings: %w", err)
		}
	}
	if err := decodeStrict(data, s); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeStrict decodes one JSON object into v: unknown members and
// trailing data are errors.
func decodeStrict(data []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil {
		if _, terr := d.Token(); !errors.Is(terr, io.EOF) {
			err = errors.New("data after the JSON object")
		}
	}
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) && ute.Field != "" {
		return invalid("settings", ute.Field+" has the wrong JSON type")
	}
	if msg, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return invalid("settings", "unknown setting "+msg)
	}
	return invalid("settings", "must be a JSON object of the kind's settings")
}
