package admin_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/inbound-hooks/inbound/activity"
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

// TestEventsQuery checks the list's filters, its paging by cursor, the
// search by ID, the bulk replay, and the activity and roles the page
// reads.
func TestEventsQuery(t *testing.T) {
	s := memstore.New()
	reg, _ := hooks.NewRegistry(s, hooks.RegistryOptions{BaseURL: "https://in.example.com"})
	keys, _ := hooks.NewKeyring(s, hooks.KeyringOptions{})
	l, _ := debuglog.New(s, debuglog.Options{})
	t.Cleanup(func() { _ = l.Close(context.Background()) })
	act := activity.New(activity.Options{})
	tel := hooks.Telemetry{Observer: act}
	q, err := hooks.NewQueue(s, hooks.TriggerFunc(func(context.Context, *hooks.Event) error {
		return errors.New("engine down")
	}), hooks.QueueOptions{MaxAttempts: 1, PollInterval: 10 * time.Millisecond, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond, Telemetry: tel})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Shutdown(context.Background()) })
	p, _ := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q, Telemetry: tel})
	mountKinds(t, p, keys, "mail.example.com")
	h, err := admin.New(reg, keys, l, admin.Options{Authorizer: admin.AuthorizerFunc(twoOrgs), Events: q, Activity: act})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, h: h, reg: reg, keys: keys, log: l, p: p}
	h1 := e.create("token-a", `{"name":"One","type":"form"}`)
	h2 := e.create("token-a", `{"name":"Two","type":"form"}`)
	post := func(hookID, body string) string {
		stored, _ := reg.Get(context.Background(), "a", hookID)
		res := p.Ingest(context.Background(), &hooks.Arrival{Kind: formhook.KindName, Token: stored.Token, Method: "POST",
			Body: strings.NewReader(body)}, jsonIntake{})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		return res.EventID
	}
	var ids []string
	for i := range 5 {
		hk := h1.ID
		if i%2 == 1 {
			hk = h2.ID
		}
		ids = append(ids, post(hk, `{"n":`+strings.Repeat("1", i+1)+`}`))
	}
	type page struct {
		Events []hooks.EventStatus `json:"events"`
		Next   string              `json:"next_cursor"`
	}
	list := func(query string) page {
		t.Helper()
		r := e.do("GET", "/admin/events?"+query, "token-a", "")
		if r.status != http.StatusOK {
			t.Fatalf("GET /admin/events?%s: got %d %s", query, r.status, r.body)
		}
		var p page
		e.decode(r, &p)
		return p
	}
	waitFor(t, func() bool { return len(list("state=dead").Events) == 5 })

	// Pages of two, newest first, each event once.
	var got []string
	for query := "limit=2"; ; {
		p := list(query)
		for _, ev := range p.Events {
			got = append(got, ev.ID)
			if ev.Size <= 0 || ev.LastError != "engine down" {
				t.Fatalf("listed event: got %+v, want a size and the last error", ev)
			}
		}
		if p.Next == "" {
			break
		}
		query = "limit=2&cursor=" + p.Next
	}
	if len(got) != 5 || got[0] != ids[4] || got[4] != ids[0] {
		t.Fatalf("paged IDs: got %v, want %v newest first", got, ids)
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"hook=" + h2.ID, 2},
		{"hook=" + h1.ID + "&state=dead", 3},
		{"state=pending", 0},
		{"id=" + ids[2], 1},
		{"id=" + ids[2] + "&state=delivered", 0},
		{"id=" + ids[2] + "&hook=" + h2.ID, 0},
		{"id=nope", 0},
		{"since=2999-01-01T00:00:00Z", 0},
		{"until=2999-01-01T00:00:00Z", 5},
		{"key=none", 0},
	} {
		if n := len(list(tc.query).Events); n != tc.want {
			t.Errorf("?%s: got %d events, want %d", tc.query, n, tc.want)
		}
	}
	for _, query := range []string{"since=yesterday", "cursor=***", "cursor=bm90IGEgY3Vyc29y", "state=gone", "id=x&state=gone"} {
		if r := e.do("GET", "/admin/events?"+query, "token-a", ""); r.status != http.StatusBadRequest {
			t.Errorf("?%s: got %d %s, want 400", query, r.status, r.body)
		}
	}

	// Bulk replay: the dead ones replay, the others are reported.
	r := e.do("POST", "/admin/events/replay", "token-a", `{"ids":["`+ids[0]+`","`+ids[1]+`","nope"]}`)
	var out struct {
		Replayed []string `json:"replayed"`
		Failed   []struct{ ID, Code string }
	}
	e.decode(r, &out)
	if r.status != http.StatusOK || len(out.Replayed) != 2 || len(out.Failed) != 1 || out.Failed[0].Code != "not_found" {
		t.Fatalf("bulk replay: got %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/admin/events/replay", "token-b", `{"ids":["`+ids[2]+`"]}`); !strings.Contains(r.body, `"not_found"`) {
		t.Errorf("bulk replay of another org's event: got %s", r.body)
	}
	for _, body := range []string{`{"ids":[]}`, `{}`, `{"ids":"x"}`} {
		if r := e.do("POST", "/admin/events/replay", "token-a", body); r.status != http.StatusBadRequest {
			t.Errorf("bulk replay %s: got %d, want 400", body, r.status)
		}
	}

	// The activity of the org's hooks: 5 accepted, failures counted.
	waitFor(t, func() bool {
		r := e.do("GET", "/admin/activity", "token-a", "")
		var a struct {
			Hooks []activity.Summary `json:"hooks"`
		}
		e.decode(r, &a)
		var acc, failed uint32
		for _, s := range a.Hooks {
			for i := range s.Hour.Accepted {
				acc += s.Hour.Accepted[i]
				failed += s.Hour.Failed[i]
			}
		}
		return len(a.Hooks) == 2 && acc == 5 && failed >= 5 && a.Hooks[0].LastError != nil
	})
	if r := e.do("GET", "/admin/activity", "token-b", ""); !strings.Contains(r.body, `"hooks":[]`) {
		t.Errorf("org b sees org a's activity: %s", r.body)
	}
	if r := e.do("GET", "/admin/keys", "token-a", ""); !strings.Contains(r.body, `"known_roles":[{"name":"org.hooks"`) {
		t.Errorf("keys: got %s, want the known roles", r.body)
	}
}
