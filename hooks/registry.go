package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/inbound-hooks/inbound/store"
)

// Limits on hook fields.
const (
	maxNameLen        = 200       // characters
	maxDescriptionLen = 2000      // characters
	maxExampleData    = 256 << 10 // bytes of example JSON
	tokenBytes        = 20        // 160 bits
)

// RegistryOptions configures a Registry. The zero value works: HTTP hook
// addresses are then relative paths.
type RegistryOptions struct {
	// BaseURL is the public URL the HTTP hooks are mounted under, such as
	// "https://hooks.example.com" or "https://example.com/inbound": a form
	// hook whose handler is mounted at "/hooks/form/" has the address
	// BaseURL+"/hooks/form/"+token. Empty gives paths.
	BaseURL string
	// MaxCachedSettings bounds how many hooks' decoded settings are kept,
	// so that a request does not decode its hook's settings again; 0 means
	// 4096.
	MaxCachedSettings int
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// defaultMaxCachedSettings is RegistryOptions.MaxCachedSettings when zero.
const defaultMaxCachedSettings = 4096

// Registry manages the hooks of every org in a store: their lifecycle,
// addresses and token lookups. The kinds it serves are registered with it
// (Register) by the kinds' handlers. It is safe for concurrent use.
type Registry struct {
	store   store.HookStore
	baseURL string
	now     func() time.Time
	ids     IDGenerator
	// locks serialize this Registry's read-change-writes of one hook
	// (striped by hook ID), so that they do not make each other stale;
	// writers in other processes are handled by modify's retries.
	locks [modifyLocks]sync.Mutex

	kindMu sync.Mutex
	kinds  map[Kind]KindSpec // replaced, never changed in place

	cacheMu  sync.RWMutex
	cache    map[settingsKey]Settings
	maxCache int
}

// settingsKey names one revision of one hook's settings.
type settingsKey struct {
	id  string
	rev int64
}

// modifyLocks is the number of lock stripes of a Registry.
const modifyLocks = 64

// NewRegistry returns a Registry over s. It returns a *ValidationError for
// a BaseURL that is not an absolute http(s) URL without query or fragment.
func NewRegistry(s store.HookStore, opts RegistryOptions) (*Registry, error) {
	if s == nil {
		return nil, invalid("store", "is nil")
	}
	if opts.MaxCachedSettings < 0 {
		return nil, invalid("max_cached_settings", "must not be negative")
	}
	r := &Registry{store: s, now: opts.Now, maxCache: opts.MaxCachedSettings, cache: map[settingsKey]Settings{}}
	if r.maxCache == 0 {
		r.maxCache = defaultMaxCachedSettings
	}
	if r.now == nil {
		r.now = time.Now
	}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, invalid("base_url", "must be an absolute http or https URL without query, fragment or user")
		}
		r.baseURL = strings.TrimRight(opts.BaseURL, "/")
	}
	return r, nil
}

// HookSpec is what an admin gives to create a hook.
type HookSpec struct {
	Name        string   // required; at most 200 characters
	Description string   // at most 2000 characters
	Kind        Kind     // a kind registered with the Registry
	Settings    Settings // nil means the kind's defaults
}

// HookUpdate lists the fields to change; nil fields are left as they are.
type HookUpdate struct {
	Name        *string
	Description *string
	Debug       *bool
	Disabled    *bool
	// ExampleData replaces the example payload; a JSON null clears it.
	ExampleData *json.RawMessage
	// Settings replaces the hook's settings; it must be of the hook's kind.
	Settings Settings
	// SettingsPatch is a JSON object of settings merged into the hook's
	// current ones (see ParseSettings) inside the compare-and-swap of the
	// update, so that concurrent changes to different settings all stay.
	SettingsPatch json.RawMessage
}

// Create makes a new hook in org with a fresh random token.
func (r *Registry) Create(ctx context.Context, org string, spec HookSpec) (*Hook, error) {
	return r.create(ctx, org, "", spec)
}

// create makes a new hook with the given ID, or a new one when id is "".
// A given ID already in use fails with an error matching store.ErrConflict.
func (r *Registry) create(ctx context.Context, org, id string, spec HookSpec) (*Hook, error) {
	ks := r.spec(spec.Kind)
	if ks == nil {
		return nil, r.unknownKind()
	}
	name, err := checkName(spec.Name)
	if err != nil {
		return nil, err
	}
	if err := checkDescription(spec.Description); err != nil {
		return nil, err
	}
	settings := spec.Settings
	if settings == nil {
		settings = ks.NewSettings()
	}
	if err := checkSettings(ks, settings); err != nil {
		return nil, err
	}
	now := r.now().UTC()
	if id == "" {
		id = r.ids.New(now)
	}
	h := &Hook{
		ID: id, Org: org, Kind: spec.Kind, Name: name, Description: spec.Description,
		Settings: settings, CreatedAt: now, UpdatedAt: now,
	}
	for attempt := 0; ; attempt++ {
		h.Token = randomToken(tokenBytes)
		rec, err := hookToRecord(h)
		if err != nil {
			return nil, err
		}
		err = r.store.CreateHook(ctx, rec)
		if errors.Is(err, store.ErrConflict) && attempt < 3 {
			continue // a 160-bit token collision: astronomically unlikely, but retry
		}
		if err != nil {
			return nil, fmt.Errorf("hooks: create hook: %w", err)
		}
		return h, nil
	}
}

// Get returns org's hook with the given ID, or ErrNotFound.
func (r *Registry) Get(ctx context.Context, org, id string) (*Hook, error) {
	rec, err := r.store.GetHook(ctx, org, id)
	if err != nil {
		return nil, notFound(err)
	}
	return r.hookFromRecord(rec)
}

// List returns org's hooks, oldest first.
func (r *Registry) List(ctx context.Context, org string) ([]*Hook, error) {
	recs, err := r.store.ListHooks(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("hooks: list hooks: %w", err)
	}
	out := make([]*Hook, 0, len(recs))
	for _, rec := range recs {
		h, err := r.hookFromRecord(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, nil
}

// Update changes the fields of org's hook that u sets and returns the hook
// as stored.
func (r *Registry) Update(ctx context.Context, org, id string, u HookUpdate) (*Hook, error) {
	return r.modify(ctx, org, id, func(h *Hook) error {
		if u.Name != nil {
			name, err := checkName(*u.Name)
			if err != nil {
				return err
			}
			h.Name = name
		}
		if u.Description != nil {
			if err := checkDescription(*u.Description); err != nil {
				return err
			}
			h.Description = *u.Description
		}
		if u.Debug != nil {
			h.Debug = *u.Debug
		}
		if u.Disabled != nil {
			h.Disabled = *u.Disabled
		}
		if u.ExampleData != nil {
			ex, err := checkExample(*u.ExampleData)
			if err != nil {
				return err
			}
			h.ExampleData = ex
		}
		if u.Settings != nil || len(u.SettingsPatch) > 0 {
			ks := r.spec(h.Kind)
			if ks == nil {
				return invalid("settings", fmt.Sprintf("the kind %q is not registered", h.Kind))
			}
			s := u.Settings
			if s == nil {
				s = h.Settings
			}
			if len(u.SettingsPatch) > 0 {
				var err error
				if s, err = r.ParseSettings(h.Kind, s, u.SettingsPatch); err != nil {
					return err
				}
			}
			if err := checkSettings(ks, s); err != nil {
				return err
			}
			h.Settings = s
		}
		return nil
	})
}

// Rotate gives org's hook a new random token. The old address stops
// working at once.
func (r *Registry) Rotate(ctx context.Context, org, id string) (*Hook, error) {
	return r.modify(ctx, org, id, func(h *Hook) error {
		h.Token = randomToken(tokenBytes)
		return nil
	})
}

// Delete removes org's hook and its debug log.
func (r *Registry) Delete(ctx context.Context, org, id string) error {
	if err := r.store.DeleteHook(ctx, org, id); err != nil {
		return notFound(err)
	}
	return nil
}

// maxModifyTries is how many times modify reads, changes and writes a hook
// before it gives up on concurrent updates that keep winning.
const maxModifyTries = 10

// modify reads org's hook, applies change and writes it back at the
// revision it read (optimistic concurrency), so that a concurrent update
// is never overwritten with the old values (a PATCH racing a Rotate must
// not bring the old token back). When another update came first, it reads
// the hook again and re-applies change, up to maxModifyTries times; change
// must therefore depend only on the hook it is given.
func (r *Registry) modify(ctx context.Context, org, id string, change func(*Hook) error) (*Hook, error) {
	lock := &r.locks[stripe(id)]
	lock.Lock()
	defer lock.Unlock()
	var err error
	for try := range maxModifyTries {
		if try > 0 {
			// A short random pause, growing with each try, so that
			// writers racing in step fall out of step.
			pause := time.NewTimer(rand.N(time.Duration(try) * 2 * time.Millisecond))
			select {
			case <-ctx.Done():
				pause.Stop()
				return nil, ctx.Err()
			case <-pause.C:
			}
		}
		var h *Hook
		h, err = r.modifyOnce(ctx, org, id, change)
		if !errors.Is(err, store.ErrStale) {
			return h, err
		}
	}
	return nil, fmt.Errorf("hooks: hook %s kept changing: %w", id, err)
}

// stripe returns the index of the lock stripe of hook id (FNV-1a).
func stripe(id string) int {
	h := uint32(2166136261)
	for i := 0; i < len(id); i++ {
		h = (h ^ uint32(id[i])) * 16777619
	}
	return int(h % modifyLocks)
}

// modifyOnce is one read-change-write of modify; the write fails with
// store.ErrStale if the hook changed since the read.
func (r *Registry) modifyOnce(ctx context.Context, org, id string, change func(*Hook) error) (*Hook, error) {
	old, err := r.store.GetHook(ctx, org, id)
	if err != nil {
		return nil, notFound(err)
	}
	h, err := r.hookFromRecord(old)
	if err != nil {
		return nil, err
	}
	if err := change(h); err != nil {
		return nil, err
	}
	h.UpdatedAt = r.now().UTC()
	rec, err := hookToRecord(h)
	if err != nil {
		return nil, err
	}
	rec.Revision = old.Revision
	if err := r.store.UpdateHook(ctx, rec); err != nil {
		return nil, notFound(err)
	}
	h.Revision = old.Revision + 1
	if h.Settings != nil {
		r.remember(settingsKey{h.ID, h.Revision}, h.Settings)
	}
	return h, nil
}

// Lookup resolves the token of an address to its hook, whatever its org.
// Tokens are matched case-insensitively. An unknown token, a disabled hook
// and a hook of another kind all return ErrNotFound, so that callers answer
// them alike.
func (r *Registry) Lookup(ctx context.Context, kind Kind, token string) (*Hook, error) {
	if !validToken(token) {
		return nil, ErrNotFound
	}
	rec, err := r.store.HookByToken(ctx, strings.ToLower(token))
	if err != nil {
		return nil, notFound(err)
	}
	if rec.Disabled || Kind(rec.Kind) != kind {
		return nil, ErrNotFound
	}
	return r.hookFromRecord(rec)
}

// validToken is a cheap check that rejects what cannot be a token before
// the store is asked.
func validToken(t string) bool {
	if len(t) == 0 || len(t) > 64 {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i] | 0x20 // fold ASCII letters to lowercase
		if !(c >= 'a' && c <= 'z' || t[i] >= '0' && t[i] <= '9') {
			return false
		}
	}
	return true
}

// Address returns the address senders use for h, as its kind's KindSpec
// gives it: for an HTTP kind, BaseURL followed by the prefix its handler
// is mounted at and the token. It returns "" for a kind not registered.
func (r *Registry) Address(h *Hook) string {
	ks := r.spec(h.Kind)
	if ks == nil {
		return ""
	}
	return ks.Address(r.baseURL, h.Token)
}

// settings returns the decoded settings of a stored hook: from the cache
// when that revision was decoded before, else decoded into its kind's
// type and remembered. It returns nil for a kind not registered.
func (r *Registry) settings(rec *store.Hook) (Settings, error) {
	ks := r.spec(Kind(rec.Kind))
	if ks == nil {
		return nil, nil
	}
	key := settingsKey{rec.ID, rec.Revision}
	r.cacheMu.RLock() // every arrival reads; only a new revision writes
	s, ok := r.cache[key]
	r.cacheMu.RUnlock()
	if ok {
		return s, nil
	}
	s = ks.NewSettings()
	if len(rec.Settings) > 0 {
		if err := json.Unmarshal(rec.Settings, s); err != nil {
			return nil, fmt.Errorf("hooks: hook %s: stored settings: %w", rec.ID, err)
		}
	}
	r.remember(key, s)
	return s, nil
}

// remember caches s; when the cache is full, an arbitrary tenth of it is
// dropped (those hooks decode their settings again on their next request).
func (r *Registry) remember(key settingsKey, s Settings) {
	r.cacheMu.Lock()
	defer r.cacheMu.Unlock()
	if len(r.cache) >= r.maxCache {
		n := max(1, r.maxCache/10)
		for k := range r.cache {
			delete(r.cache, k)
			if n--; n == 0 {
				break
			}
		}
	}
	r.cache[key] = s
}

// notFound maps store.ErrNotFound to ErrNotFound and wraps anything else.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	return fmt.Errorf("hooks: store: %w", err)
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid("name", "is required")
	case !utf8.ValidString(name):
		return "", invalid("name", "must be valid UTF-8")
	case utf8.RuneCountInString(name) > maxNameLen:
		return "", invalid("name", fmt.Sprintf("must be at most %d characters", maxNameLen))
	}
	return name, nil
}

func checkDescription(d string) error {
	if !utf8.ValidString(d) {
		return invalid("description", "must be valid UTF-8")
	}
	if utf8.RuneCountInString(d) > maxDescriptionLen {
		return invalid("description", fmt.Sprintf("must be at most %d characters", maxDescriptionLen))
	}
	return nil
}

func checkExample(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) > maxExampleData {
		return nil, invalid("example_data", fmt.Sprintf("must be at most %d bytes", maxExampleData))
	}
	trimmed := strings.TrimSpace(string(raw))
	if trimmed == "" || trimmed == "null" {
		return nil, nil
	}
	if !json.Valid(raw) {
		return nil, invalid("example_data", "must be JSON")
	}
	return cloneBytes(raw), nil
}

// checkSettings validates s, which must be of the kind of ks.
func checkSettings(ks KindSpec, s Settings) error {
	if reflect.TypeOf(s) != reflect.TypeOf(ks.NewSettings()) {
		return invalid("settings", fmt.Sprintf("are not settings of the kind %q", ks.Kind()))
	}
	return s.Validate()
}
