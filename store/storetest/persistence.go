package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

func persistenceCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "Reopen", needsReopen: true, fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			h1 := newHook("h1", "org1", "tok1", at(0))
			h2 := newHook("h2", "org1", "tok2", at(time.Second))
			h3 := newHook("h3", "org2", "tok3", at(0))
			for _, h := range []*store.Hook{h1, h2, h3} {
				mustCreateHook(t, s, h)
			}
			h2.Token, h2.Name = "tok2new", "renamed"
			noErr(t, "UpdateHook", s.UpdateHook(ctx, h2))
			h2.Revision = 1
			k1 := newKey("k1", "org1", at(0))
			mustCreateKey(t, s, k1)
			mustCreateKey(t, s, newKey("k2", "org2", at(0)))
			noErr(t, "DeleteKey", s.DeleteKey(ctx, "org2", "k2"))
			for i := range 4 {
				noErr(t, "AppendDebug", s.AppendDebug(ctx, newDebug("h1", fmt.Sprintf("d%d", i), at(time.Duration(i)*time.Second)), 3))
			}
			for i := range 4 {
				mustEnqueue(t, s, newEvent(fmt.Sprintf("e%d", i), "org1", "h1", fmt.Sprintf("key%d", i), at(time.Duration(i)*time.Second)), farPast)
			}
			checkIDs(t, "Claim", claimIDs(t, s, at(time.Minute), time.Hour, 3), []string{"e0", "e1", "e2"})
			noErr(t, "Complete", s.Complete(ctx, "e0", 1, at(time.Minute)))
			noErr(t, "Fail", s.Fail(ctx, "e1", 1, "dead now", at(time.Minute), true))
			noErr(t, "Fail", s.Fail(ctx, "e2", 1, "later", at(2*time.Hour), false))

			s = e.cfg.reopen(t, s)

			got, err := s.GetHook(ctx, "org1", "h1")
			noErr(t, "GetHook", err)
			checkHook(t, "GetHook after reopen", got, h1)
			got, err = s.HookByToken(ctx, "tok2new")
			noErr(t, "HookByToken", err)
			checkHook(t, "HookByToken after reopen", got, h2)
			_, err = s.HookByToken(ctx, "tok2")
			wantErr(t, "HookByToken(old token) after reopen", err, store.ErrNotFound)
			hooks, err := s.ListHooks(ctx, "org1")
			noErr(t, "ListHooks", err)
			checkIDs(t, "ListHooks after reopen", hookIDs(hooks), []string{"h1", "h2"})
			wantErr(t, "CreateHook(token in use) after reopen", s.CreateHook(ctx, newHook("h9", "org9", "tok3", at(0))), store.ErrConflict)

			k, err := s.GetKey(ctx, "k1")
			noErr(t, "GetKey", err)
			checkKey(t, "GetKey after reopen", k, k1)
			_, err = s.GetKey(ctx, "k2")
			wantErr(t, "GetKey(deleted) after reopen", err, store.ErrNotFound)

			entries, err := s.ListDebug(ctx, "h1")
			noErr(t, "ListDebug", err)
			checkIDs(t, "ListDebug after reopen", debugIDs(entries), []string{"d3", "d2", "d1"})

			checkState(t, "delivered after reopen", mustGetEvent(t, s, "org1", "e0"), store.StateDelivered, 1)
			checkState(t, "dead after reopen", mustGetEvent(t, s, "org1", "e1"), store.StateDead, 1)
			ev := mustGetEvent(t, s, "org1", "e2")
			checkState(t, "failed after reopen", ev, store.StatePending, 1)
			if ev.LastError != "later" {
				t.Fatalf("LastError after reopen: got %q, want %q", ev.LastError, "later")
			}
			checkEvent(t, "GetEvent after reopen", ev, newEvent("e2", "org1", "h1", "key2", at(2*time.Second)))
			checkCount(t, s, store.StatePending, 2)
			checkCount(t, s, store.StateDelivered, 1)
			checkCount(t, s, store.StateDead, 1)
			// The claim and dedup indexes survive too.
			checkIDs(t, "Claim after reopen", claimIDs(t, s, at(time.Minute), time.Hour, 10), []string{"e3"})
			// e3's lease and e2's retry are both due: the kit does not pick an order.
			checkIDs(t, "Claim after reopen (due)", sortedCopy(claimIDs(t, s, at(2*time.Hour), time.Hour, 10)), []string{"e2", "e3"})
			id, err := s.Enqueue(ctx, newEvent("e9", "org1", "h1", "key0", at(time.Hour)), farPast)
			wantErr(t, "Enqueue(duplicate) after reopen", err, store.ErrDuplicate)
			if id != "e0" {
				t.Fatalf("Enqueue(duplicate) after reopen: got ID %q, want %q", id, "e0")
			}
			noErr(t, "Replay after reopen", s.Replay(ctx, "org1", "e1", at(3*time.Hour)))
			n, err := s.Prune(ctx, at(time.Hour))
			noErr(t, "Prune after reopen", err)
			if n != 1 {
				t.Fatalf("Prune after reopen: got %d, want 1", n)
			}
		}},
	}
}
