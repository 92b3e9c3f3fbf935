package admin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/admin"
	"github.com/inbound-hooks/inbound/debuglog"
	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/memstore"
)

// TestEvents drives the durable queue's routes: an event whose trigger
// always fails goes dead after one attempt, is listed, replayed (202) and
// delivered once the trigger recovers; a pending or delivered event
// answers 409; other orgs see 404.
func TestEvents(t *testing.T) {
	s := memstore.New()
	reg, _ := hooks.NewRegistry(s, hooks.RegistryOptions{BaseURL: "https://in.example.com"})
	keys, _ := hooks.NewKeyring(s, hooks.KeyringOptions{})
	l, _ := debuglog.New(s, debuglog.Options{})
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	var healthy atomic.Bool
	var fired atomic.Int32
	q, err := hooks.NewQueue(s, hooks.TriggerFunc(func(context.Context, *hooks.Event) error {
		if !healthy.Load() {
			return errors.New("engine down")
		}
		fired.Add(1)
		return nil
	}), hooks.QueueOptions{MaxAttempts: 1, PollInterval: 10 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Shutdown(context.Background()) })
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q})
	mountKinds(t, p, keys, "mail.example.com")
	h, err := admin.New(reg, keys, l, admin.Options{Authorizer: admin.AuthorizerFunc(twoOrgs), Events: q})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: h, reg: reg, keys: keys, log: l, p: p}

	hook := e.create("token-a", `{"name":"Orders","type":"form"}`)
	stored, _ := reg.Get(context.Background(), "a", hook.ID)
	res := p.Ingest(context.Background(), &hooks.Arrival{Kind: formhook.KindName, Token: stored.Token, Method: "POST",
		Body: strings.NewReader(`{"n":1}`)}, jsonIntake{})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	id := res.EventID

	var list struct {
		Events []hooks.EventStatus `json:"events"`
	}
	waitFor(t, func() bool {
		r := e.do("GET", "/admin/events?state=dead", "token-a", "")
		e.decode(r, &list)
		return len(list.Events) == 1
	})
	if got := list.Events[0]; got.ID != id || got.State != "dead" || got.LastError == "" {
		t.Fatalf("dead event: got %+v, want %s dead with its last error", got, id)
	}

	if r := e.do("GET", "/admin/events?state=dead", "token-b", ""); !strings.Contains(r.body, `"events":[]`) {
		t.Errorf("org b lists org a's events: %s", r.body)
	}
	for _, tc := range []struct {
		method, path, token string
		want                int
	}{
		{"GET", "/admin/events/" + id, "token-b", http.StatusNotFound},
		{"POST", "/admin/events/" + id + "/replay", "token-b", http.StatusNotFound},
		{"GET", "/admin/events?state=lost", "token-a", http.StatusBadRequest},
		{"GET", "/admin/events?limit=-1", "token-a", http.StatusBadRequest},
		{"DELETE", "/admin/events/" + id, "token-a", http.StatusMethodNotAllowed},
		{"GET", "/admin/events", "", http.StatusUnauthorized},
	} {
		if r := e.do(tc.method, tc.path, tc.token, ""); r.status != tc.want {
			t.Errorf("%s %s as %q: got %d %s, want %d", tc.method, tc.path, tc.token, r.status, r.body, tc.want)
		}
	}

	r := e.do("GET", "/admin/events/"+id, "token-a", "")
	var one hooks.EventStatus
	e.decode(r, &one)
	if one.Event == nil || one.Event.HookID != hook.ID {
		t.Fatalf("event content: got %+v", one.Event)
	}

	healthy.Store(true)
	if r := e.do("POST", "/admin/events/"+id+"/replay", "token-a", ""); r.status != http.StatusAccepted {
		t.Fatalf("replay: got %d %s, want 202", r.status, r.body)
	}
	waitFor(t, func() bool { return fired.Load() == 1 })
	waitFor(t, func() bool {
		r := e.do("GET", "/admin/events/"+id, "token-a", "")
		e.decode(r, &one)
		return one.State == "delivered"
	})
	if r := e.do("POST", "/admin/events/"+id+"/replay", "token-a", ""); r.status != http.StatusConflict || errCode(t, r) != "not_dead" {
		t.Fatalf("replay of a delivered event: got %d %s, want 409 not_dead", r.status, r.body)
	}
}

func TestEventsRoutesAbsentWithoutQueue(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/admin/events?state=dead", "token-a", ""); r.status != http.StatusNotFound {
		t.Fatalf("got %d, want 404 when no queue is configured", r.status)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
