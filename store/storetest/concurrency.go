package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

// parallel runs fn(i) for i in [0, n) on n goroutines started together and
// waits for all of them.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i)
		}()
	}
	close(start)
	wg.Wait()
}

func concurrencyCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "CreateMany", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			n := e.cfg.concurrency
			errs := make(chan error, 4*n)
			parallel(n, func(i int) {
				id := fmt.Sprintf("%03d", i)
				errs <- s.CreateHook(ctx, newHook("h"+id, "org1", "tok"+id, at(time.Duration(i)*time.Second)))
				errs <- s.CreateKey(ctx, newKey("k"+id, "org1", at(time.Duration(i)*time.Second)))
				_, err := s.Enqueue(ctx, newEvent("e"+id, "org1", "h"+id, "key", at(time.Duration(i)*time.Second)), farPast)
				errs <- err
				errs <- s.AppendDebug(ctx, newDebug("h000", "d"+id, at(time.Duration(i)*time.Second)), n)
			})
			close(errs)
			for err := range errs {
				noErr(t, "concurrent create", err)
			}
			hooks, err := s.ListHooks(ctx, "org1")
			noErr(t, "ListHooks", err)
			keys, err := s.ListKeys(ctx, "org1")
			noErr(t, "ListKeys", err)
			evs, err := s.ListEvents(ctx, "org1", store.EventQuery{State: store.StatePending, Limit: 10 * n})
			noErr(t, "ListEvents", err)
			entries, err := s.ListDebug(ctx, "h000")
			noErr(t, "ListDebug", err)
			for _, c := range []struct {
				what string
				got  int
			}{{"hooks", len(hooks)}, {"keys", len(keys)}, {"events", len(evs)}, {"debug entries", len(entries)}} {
				if c.got != n {
					t.Fatalf("%s: got %d, want %d", c.what, c.got, n)
				}
			}
			for i, h := range hooks {
				if want := fmt.Sprintf("h%03d", i); h.ID != want {
					t.Fatalf("ListHooks[%d]: got %q, want %q", i, h.ID, want)
				}
			}
			checkCount(t, s, store.StatePending, n)
		}},
		{name: "SameToken", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			n := e.cfg.concurrency
			errs := make([]error, n)
			parallel(n, func(i int) {
				errs[i] = s.CreateHook(ctx, newHook(fmt.Sprintf("h%03d", i), fmt.Sprintf("org%d", i%3), "shared", at(0)))
			})
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, store.ErrConflict):
					t.Fatalf("CreateHook: got error %v, want nil or %v", err, store.ErrConflict)
				}
			}
			if won != 1 {
				t.Fatalf("CreateHook with one token: got %d successes, want 1", won)
			}
		}},
		{name: "UpdateHook", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			n := e.cfg.concurrency
			mustCreateHook(t, s, newHook("h1", "org1", "tok-start", at(0)))
			mustCreateHook(t, s, newHook("h2", "org1", "tok-other", at(0)))
			var wg sync.WaitGroup
			stop := make(chan struct{})
			// Readers run alongside the writers (for the race detector).
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := s.GetHook(ctx, "org1", "h1"); err != nil {
						t.Errorf("GetHook during updates: %v", err)
						return
					}
					if _, err := s.ListHooks(ctx, "org1"); err != nil {
						t.Errorf("ListHooks during updates: %v", err)
						return
					}
				}
			}()
			// Each writer reads, changes and writes back, reading again
			// when another writer's update made its revision stale.
			errs := make([]error, n)
			parallel(n, func(i int) {
				for {
					h, err := s.GetHook(ctx, "org1", "h1")
					if err != nil {
						errs[i] = err
						return
					}
					h.Name, h.Token = fmt.Sprintf("name%03d", i), fmt.Sprintf("tok%03d", i)
					if i%4 == 3 {
						h.Token = "tok-other" // in use by h2: must conflict
					}
					errs[i] = s.UpdateHook(ctx, h)
					if !errors.Is(errs[i], store.ErrStale) {
						return
					}
				}
			})
			close(stop)
			wg.Wait()
			updated := 0
			for i, err := range errs {
				if i%4 == 3 {
					wantTokenConflict(t, "UpdateHook(token in use)", err)
				} else {
					noErr(t, "UpdateHook", err)
					updated++
				}
			}
			got, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			if got.Revision != int64(updated) {
				t.Fatalf("after concurrent updates: Revision: got %d, want %d (one per update)", got.Revision, updated)
			}
			if got.Name[len("name"):] != got.Token[len("tok"):] {
				t.Fatalf("after concurrent updates: name %q and token %q come from different updates", got.Name, got.Token)
			}
			for i := range n {
				tok := fmt.Sprintf("tok%03d", i)
				h, err := s.HookByToken(ctx, tok)
				if tok == got.Token {
					noErr(t, "HookByToken(final token)", err)
					if h.ID != "h1" {
						t.Fatalf("HookByToken(final token): got %q, want %q", h.ID, "h1")
					}
					continue
				}
				wantErr(t, "HookByToken(replaced token "+tok+")", err, store.ErrNotFound)
			}
			h, err := s.HookByToken(ctx, "tok-other")
			noErr(t, "HookByToken", err)
			if h.ID != "h2" {
				t.Fatalf("HookByToken(tok-other): got %q, want %q", h.ID, "h2")
			}
		}},
		{name: "Claim", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			n := e.cfg.concurrency
			total := 8 * n
			for i := range total {
				mustEnqueue(t, s, newEvent(fmt.Sprintf("e%04d", i), "org1", "h1", "", at(time.Duration(i)*time.Millisecond)), farPast)
			}
			now := at(time.Hour)
			claimed := make([][]string, n)
			errs := make([]error, n)
			parallel(n, func(i int) {
				for {
					evs, err := s.Claim(ctx, now, time.Hour, 3)
					if err != nil {
						errs[i] = err
						return
					}
					if len(evs) == 0 {
						return
					}
					for _, ev := range evs {
						if ev.Attempts != 1 {
							errs[i] = fmt.Errorf("claimed %s with Attempts %d, want 1", ev.ID, ev.Attempts)
							return
						}
						claimed[i] = append(claimed[i], ev.ID)
					}
				}
			})
			seen := map[string]int{}
			for i := range n {
				noErr(t, "concurrent Claim", errs[i])
				for _, id := range claimed[i] {
					seen[id]++
				}
			}
			if len(seen) != total {
				t.Fatalf("concurrent Claim: got %d distinct events, want %d", len(seen), total)
			}
			for id, c := range seen {
				if c != 1 {
					t.Fatalf("concurrent Claim: event %s handed out %d times within one lease, want 1", id, c)
				}
			}
		}},
		{name: "Dedup", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			n := e.cfg.concurrency
			ids := make([]string, n)
			errs := make([]error, n)
			parallel(n, func(i int) {
				ids[i], errs[i] = s.Enqueue(ctx, newEvent(fmt.Sprintf("e%03d", i), "org1", "h1", "same", at(0)), farPast)
			})
			winner := ""
			for i, err := range errs {
				if err == nil {
					if winner != "" {
						t.Fatalf("Enqueue with one key: both %s and %s accepted", winner, ids[i])
					}
					winner = ids[i]
				} else if !errors.Is(err, store.ErrDuplicate) {
					t.Fatalf("Enqueue: got error %v, want nil or %v", err, store.ErrDuplicate)
				}
			}
			if winner == "" {
				t.Fatalf("Enqueue with one key: none accepted")
			}
			for i, err := range errs {
				if err != nil && ids[i] != winner {
					t.Fatalf("Enqueue(duplicate): got ID %q, want %q", ids[i], winner)
				}
			}
			checkCount(t, s, store.StatePending, 1)
		}},
	}
}
