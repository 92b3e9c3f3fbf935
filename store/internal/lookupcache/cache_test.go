package lookupcache_test

import (
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/internal/lookupcache"
)

func hook(id, token string) *store.Hook {
	return &store.Hook{ID: id, Org: "o", Token: token, Settings: []byte(`{"a":1}`), ExampleData: []byte{}}
}

func TestHookByToken(t *testing.T) {
	c := lookupcache.New(lookupcache.Options{})
	if _, ok := c.HookByToken("t1"); ok {
		t.Fatal("empty cache: got a hit")
	}
	tk := c.Begin()
	c.AddHook(tk, hook("h1", "t1"))
	got, ok := c.HookByToken("t1")
	if !ok || got == nil || got.ID != "h1" {
		t.Fatalf("HookByToken: got %v, %v, want h1", got, ok)
	}
	// The copy is the caller's, but for its byte slices, which are
	// read-only (store.Hook) and shared, not copied on every lookup.
	got.Token = "changed"
	got.Settings = []byte(`{"b":2}`)
	again, _ := c.HookByToken("t1")
	if string(again.Settings) != `{"a":1}` || again.Token != "t1" {
		t.Fatalf("cached hook changed through a returned copy: %+v", again)
	}
	if third, _ := c.HookByToken("t1"); &third.Settings[0] != &again.Settings[0] {
		t.Error("each lookup copied the hook's settings")
	}
	if again.ExampleData == nil {
		t.Fatal("empty ExampleData came back nil")
	}
	if h, ok := c.Hook("h1"); !ok || h.Token != "t1" {
		t.Fatalf("Hook: got %v, %v", h, ok)
	}
	// A rotation: the old token stops resolving from the cache.
	c.InvalidateHook("h1")
	if _, ok := c.HookByToken("t1"); ok {
		t.Fatal("HookByToken after InvalidateHook: got a hit")
	}
	if _, ok := c.Hook("h1"); ok {
		t.Fatal("Hook after InvalidateHook: got a hit")
	}
}

func TestAddAfterInvalidationIsDropped(t *testing.T) {
	c := lookupcache.New(lookupcache.Options{})
	tk := c.Begin() // a read begins ...
	c.InvalidateHook("h1")
	c.AddHook(tk, hook("h1", "t1")) // ... and ends with what it read before the write
	if _, ok := c.HookByToken("t1"); ok {
		t.Fatal("a read older than an invalidation was cached")
	}
	tk = c.Begin()
	c.InvalidateKey("k1")
	c.AddKey(tk, "k1", &store.Key{ID: "k1"})
	if _, ok := c.Key("k1"); ok {
		t.Fatal("a key read older than an invalidation was cached")
	}
	tk = c.Begin()
	c.Flush()
	c.AddNoToken(tk, "t2")
	if _, ok := c.HookByToken("t2"); ok {
		t.Fatal("an absence older than a flush was cached")
	}
}

func TestAbsences(t *testing.T) {
	c := lookupcache.New(lookupcache.Options{})
	c.AddNoToken(c.Begin(), "t1")
	if h, ok := c.HookByToken("t1"); !ok || h != nil {
		t.Fatalf("known absent token: got %v, %v, want nil, true", h, ok)
	}
	// Any hook change may have created the token.
	c.InvalidateHook("other")
	if _, ok := c.HookByToken("t1"); ok {
		t.Fatal("absent token survived a hook invalidation")
	}
	c.AddKey(c.Begin(), "k1", nil)
	if k, ok := c.Key("k1"); !ok || k != nil {
		t.Fatalf("known absent key: got %v, %v, want nil, true", k, ok)
	}
	c.AddKey(c.Begin(), "k2", &store.Key{ID: "k2", Roles: []string{"r"}, Hash: []byte{1}})
	k, _ := c.Key("k2")
	k.Roles[0] = "x"
	k.Hash[0] = 9
	if k2, _ := c.Key("k2"); k2.Roles[0] != "r" || k2.Hash[0] != 1 {
		t.Fatalf("cached key changed through a returned copy: %+v", k2)
	}
	if h, k := c.Len(); h != 0 || k != 1 {
		t.Fatalf("Len: got %d hooks, %d keys, want 0, 1", h, k)
	}
}

func TestMaxAge(t *testing.T) {
	now := time.Unix(1000, 0)
	c := lookupcache.New(lookupcache.Options{MaxAge: time.Second, Now: func() time.Time { return now }})
	c.AddHook(c.Begin(), hook("h1", "t1"))
	c.AddKey(c.Begin(), "k1", &store.Key{ID: "k1"})
	now = now.Add(999 * time.Millisecond)
	if _, ok := c.HookByToken("t1"); !ok {
		t.Fatal("entry younger than MaxAge: got a miss")
	}
	now = now.Add(time.Millisecond)
	if _, ok := c.HookByToken("t1"); ok {
		t.Fatal("entry as old as MaxAge: got a hit")
	}
	if _, ok := c.Key("k1"); ok {
		t.Fatal("key as old as MaxAge: got a hit")
	}
}

func TestDisabled(t *testing.T) {
	c := lookupcache.New(lookupcache.Options{})
	c.AddHook(c.Begin(), hook("h1", "t1"))
	tk := c.Begin()
	c.SetEnabled(false)
	if c.Enabled() {
		t.Fatal("Enabled after SetEnabled(false)")
	}
	if _, ok := c.HookByToken("t1"); ok {
		t.Fatal("disabled cache: got a hit")
	}
	c.AddHook(c.Begin(), hook("h2", "t2"))
	c.SetEnabled(true)
	c.AddHook(tk, hook("h3", "t3")) // read began before the outage
	for _, tok := range []string{"t1", "t2", "t3"} {
		if _, ok := c.HookByToken(tok); ok {
			t.Fatalf("re-enabled cache: got a hit for %s, want it empty", tok)
		}
	}
	c.AddHook(c.Begin(), hook("h4", "t4"))
	if _, ok := c.HookByToken("t4"); !ok {
		t.Fatal("re-enabled cache: a fresh Add missed")
	}
}

func TestMaxEntries(t *testing.T) {
	c := lookupcache.New(lookupcache.Options{MaxEntries: 2})
	for _, id := range []string{"a", "b", "c"} {
		c.AddHook(c.Begin(), hook(id, "t"+id))
	}
	if h, _ := c.Len(); h > 2 {
		t.Fatalf("hooks: got %d, want at most 2", h)
	}
	if _, ok := c.HookByToken("tc"); !ok {
		t.Fatal("the newest entry is missing")
	}
	// A rotation through AddHook drops the old token.
	c.AddHook(c.Begin(), hook("c", "tc2"))
	if _, ok := c.HookByToken("tc"); ok {
		t.Fatal("old token still resolves after the hook was re-added with a new one")
	}
}

func TestConcurrent(t *testing.T) {
	c := lookupcache.New(lookupcache.Options{MaxEntries: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				id := string(rune('a' + (g+i)%26))
				switch i % 5 {
				case 0:
					c.InvalidateHook(id)
				case 1:
					c.AddHook(c.Begin(), hook(id, "t"+id))
				case 2:
					c.AddKey(c.Begin(), id, &store.Key{ID: id})
				case 3:
					if h, ok := c.HookByToken("t" + id); ok && h != nil && h.ID != id {
						t.Errorf("token t%s: got hook %s", id, h.ID)
					}
				default:
					c.Key(id)
				}
			}
		}()
	}
	wg.Wait()
}
