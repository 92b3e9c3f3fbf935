package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/store"
)

func closeCases() []testCase {
	ctx := context.Background()
	return []testCase{
		{name: "MethodsAfterClose", fn: func(t *testing.T, e *env) {
			s := e.newStore(t)
			mustCreateHook(t, s, newHook("h1", "org1", "tok1", at(0)))
			mustCreateKey(t, s, newKey("k1", "org1", at(0)))
			mustEnqueue(t, s, newEvent("e1", "org1", "h1", "", at(0)), farPast)
			noErr(t, "Close", s.Close())
			err2 := s.Close()
			if err2 != nil {
				wantErr(t, "Close(again)", err2, store.ErrClosed)
			}
			calls := []struct {
				name string
				call func() error
			}{
				{"CreateHook", func() error { return s.CreateHook(ctx, newHook("h2", "org1", "tok2", at(0))) }},
				{"GetHook", func() error { _, err := s.GetHook(ctx, "org1", "h1"); return err }},
				{"HookByToken", func() error { _, err := s.HookByToken(ctx, "tok1"); return err }},
				{"ListHooks", func() error { _, err := s.ListHooks(ctx, "org1"); return err }},
				{"UpdateHook", func() error { return s.UpdateHook(ctx, newHook("h1", "org1", "tok1", at(0))) }},
				{"DeleteHook", func() error { return s.DeleteHook(ctx, "org1", "h1") }},
				{"CreateKey", func() error { return s.CreateKey(ctx, newKey("k2", "org1", at(0))) }},
				{"GetKey", func() error { _, err := s.GetKey(ctx, "k1"); return err }},
				{"ListKeys", func() error { _, err := s.ListKeys(ctx, "org1"); return err }},
				{"DeleteKey", func() error { return s.DeleteKey(ctx, "org1", "k1") }},
				{"AppendDebug", func() error { return s.AppendDebug(ctx, newDebug("h1", "d1", at(0)), 10) }},
				{"ListDebug", func() error { _, err := s.ListDebug(ctx, "h1"); return err }},
				{"GetDebug", func() error { _, err := s.GetDebug(ctx, "h1", "d1"); return err }},
				{"ClearDebug", func() error { return s.ClearDebug(ctx, "h1") }},
				{"Enqueue", func() error { _, err := s.Enqueue(ctx, newEvent("e2", "org1", "h1", "", at(0)), farPast); return err }},
				{"Claim", func() error { _, err := s.Claim(ctx, at(time.Hour), time.Minute, 10); return err }},
				{"Complete", func() error { return s.Complete(ctx, "e1", 1, at(0)) }},
				{"Fail", func() error { return s.Fail(ctx, "e1", 1, "x", at(0), false) }},
				{"GetEvent", func() error { _, err := s.GetEvent(ctx, "org1", "e1"); return err }},
				{"ListEvents", func() error {
					_, err := s.ListEvents(ctx, "org1", store.EventQuery{State: store.StatePending, Limit: 10})
					return err
				}},
				{"Replay", func() error { return s.Replay(ctx, "org1", "e1", at(0)) }},
				{"Prune", func() error { _, err := s.Prune(ctx, at(time.Hour)); return err }},
				{"CountEvents", func() error { _, err := s.CountEvents(ctx, store.StatePending); return err }},
			}
			for _, c := range calls {
				wantErr(t, c.name+" after Close", c.call(), store.ErrClosed)
			}
		}},
	}
}
