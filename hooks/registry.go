package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/webhook/signature"
)

// Limits on hook fields.
const (
	MaxNameLen        = 200       // characters
	MaxDescriptionLen = 2000      // characters
	MaxExampleData    = 256 << 10 // bytes of example JSON
	tokenBytes        = 20        // 160 bits
)

// RegistryOptions configures a Registry. The zero value works: addresses
// are then relative paths and email addresses have no domain.
type RegistryOptions struct {
	// BaseURL is the public URL the HTTP hooks are mounted under, such as
	// "https://hooks.example.com" or "https://example.com/inbound". Form
	// hook addresses are BaseURL+"/hooks/form/"+token. Empty gives paths.
	BaseURL string
	// EmailDomain is the domain of email hook addresses, such as
	// "in.example.com": addresses are token+"@"+EmailDomain.
	EmailDomain string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Registry manages the hooks of every org in a store: their lifecycle,
// addresses and token lookups. It is safe for concurrent use.
type Registry struct {
	store       store.HookStore
	baseURL     string
	emailDomain string
	now         func() time.Time
	ids         IDGenerator
	// locks serialize this Registry's read-change-writes of one hook
	// (striped by hook ID), so that they do not make each other stale;
	// writers in other processes are handled by modify's retries.
	locks [modifyLocks]sync.Mutex
}

// modifyLocks is the number of lock stripes of a Registry.
const modifyLocks = 64

// NewRegistry returns a Registry over s. It returns a *ValidationError for
// a BaseURL that is not an absolute http(s) URL without query or fragment,
// or an EmailDomain that is not a plain domain name.
func NewRegistry(s store.HookStore, opts RegistryOptions) (*Registry, error) {
	if s == nil {
		return nil, invalid("store", "is nil")
	}
	r := &Registry{store: s, now: opts.Now}
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
	if opts.EmailDomain != "" {
		d := strings.ToLower(strings.TrimSuffix(opts.EmailDomain, "."))
		if !validDomain(d) {
			return nil, invalid("email_domain", "must be a domain name such as in.example.com")
		}
		r.emailDomain = d
	}
	return r, nil
}

func validDomain(d string) bool {
	if len(d) == 0 || len(d) > 253 {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// HookSpec is what an admin gives to create a hook.
type HookSpec struct {
	Name        string // required; at most MaxNameLen characters
	Description string // at most MaxDescriptionLen characters
	Kind        Kind
	Settings    Settings
}

// HookUpdate lists the fields to change; nil fields are left as they are.
type HookUpdate struct {
	Name        *string
	Description *string
	Debug       *bool
	Disabled    *bool
	// ExampleData replaces the example payload; a JSON null clears it.
	ExampleData *json.RawMessage
	Settings    *Settings
}

// Create makes a new hook in org with a fresh random token.
func (r *Registry) Create(ctx context.Context, org string, spec HookSpec) (*Hook, error) {
	return r.create(ctx, org, "", spec)
}

// create makes a new hook with the given ID, or a new one when id is "".
// A given ID already in use fails with an error matching store.ErrConflict.
func (r *Registry) create(ctx context.Context, org, id string, spec HookSpec) (*Hook, error) {
	if !spec.Kind.Valid() {
		return nil, invalid("type", `must be "form", "web" or "email"`)
	}
	name, err := checkName(spec.Name)
	if err != nil {
		return nil, err
	}
	if err := checkDescription(spec.Description); err != nil {
		return nil, err
	}
	if err := checkSettings(spec.Kind, &spec.Settings); err != nil {
		return nil, err
	}
	now := r.now().UTC()
	if id == "" {
		id = r.ids.New(now)
	}
	h := &Hook{
		ID: id, Org: org, Kind: spec.Kind, Name: name, Description: spec.Description,
		Settings: spec.Settings, CreatedAt: now, UpdatedAt: now,
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
		return h.clone(), nil
	}
}

// Get returns org's hook with the given ID, or ErrNotFound.
func (r *Registry) Get(ctx context.Context, org, id string) (*Hook, error) {
	rec, err := r.store.GetHook(ctx, org, id)
	if err != nil {
		return nil, notFound(err)
	}
	return hookFromRecord(rec)
}

// List returns org's hooks, oldest first.
func (r *Registry) List(ctx context.Context, org string) ([]*Hook, error) {
	recs, err := r.store.ListHooks(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("hooks: list hooks: %w", err)
	}
	out := make([]*Hook, 0, len(recs))
	for _, rec := range recs {
		h, err := hookFromRecord(rec)
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
		if u.Settings != nil {
			s := *u.Settings
			if err := checkSettings(h.Kind, &s); err != nil {
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
	h, err := hookFromRecord(old)
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
	return hookFromRecord(rec)
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

// Address returns the address senders use for h: BaseURL+"/hooks/form/"+token,
// BaseURL+"/hooks/web/"+token or token+"@"+EmailDomain.
func (r *Registry) Address(h *Hook) string {
	switch h.Kind {
	case KindForm:
		return r.baseURL + "/hooks/form/" + h.Token
	case KindWeb:
		return r.baseURL + "/hooks/web/" + h.Token
	case KindEmail:
		if r.emailDomain == "" {
			return h.Token
		}
		return h.Token + "@" + r.emailDomain
	}
	return ""
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
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "", invalid("name", fmt.Sprintf("must be at most %d characters", MaxNameLen))
	}
	return name, nil
}

func checkDescription(d string) error {
	if !utf8.ValidString(d) {
		return invalid("description", "must be valid UTF-8")
	}
	if utf8.RuneCountInString(d) > MaxDescriptionLen {
		return invalid("description", fmt.Sprintf("must be at most %d characters", MaxDescriptionLen))
	}
	return nil
}

func checkExample(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) > MaxExampleData {
		return nil, invalid("example_data", fmt.Sprintf("must be at most %d bytes", MaxExampleData))
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

func checkSettings(k Kind, s *Settings) error {
	for _, o := range s.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return invalid("allowed_origins", "each must be * or scheme://host[:port]")
		}
	}
	if s.RedirectURL != "" {
		u, err := url.Parse(s.RedirectURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("redirect_url", "must be an absolute http or https URL")
		}
	}
	switch s.Auth {
	case AuthKey, AuthSignature, AuthKeyAndSignature:
	default:
		return invalid("auth", `must be "", "signature" or "both"`)
	}
	if s.Auth != AuthKey && len(s.Signature) == 0 {
		return invalid("signature", "is required when auth uses a signature")
	}
	if len(s.Signature) > 0 {
		cfg, err := signature.ParseConfig(s.Signature)
		if err == nil {
			err = cfg.Validate()
		}
		if err != nil {
			// The signature package's messages name fields and schemes,
			// never secrets.
			return invalid("signature", err.Error())
		}
	}
	if k != KindForm && (len(s.AllowedOrigins) > 0 || s.RedirectURL != "" || s.Honeypot != "") {
		return invalid("settings", "allowed_origins, redirect_url and honeypot apply to form hooks only")
	}
	if k != KindWeb && (s.Auth != AuthKey || len(s.Signature) > 0) {
		return invalid("settings", "auth and signature apply to webhooks only")
	}
	return nil
}
