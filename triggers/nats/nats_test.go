package natstrigger_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/triggers/internal/brokertest"
	"github.com/inbound-hooks/inbound/triggers/internal/topic"
	natstrigger "github.com/inbound-hooks/inbound/triggers/nats"
)

// addrVar names the variable that holds the test server's host:port.
const addrVar = "INBOUND_TEST_NATS_ADDR"

// recorder is a Publisher that keeps what it is given.
type recorder struct {
	msg  *nats.Msg
	opts []jetstream.PublishOpt
	ack  *jetstream.PubAck
	err  error
}

func (r *recorder) PublishMsg(_ context.Context, m *nats.Msg, opts ...jetstream.PublishOpt) (*jetstream.PubAck, error) {
	r.msg, r.opts = m, opts
	if r.err != nil {
		return nil, r.err
	}
	return r.ack, nil
}

func testEvent() *hooks.Event {
	return &hooks.Event{ID: "01JEVENT", Org: "acme", HookID: "h1", HookKind: "form", HookName: "Contact us",
		ReceivedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Data: map[string]any{"n": json.Number("12345678901234567890")},
		Raw: []byte("n=12345678901234567890"), ContentType: "application/x-www-form-urlencoded"}
}

func TestMsg(t *testing.T) {
	for _, tc := range []struct {
		name, subject, want string
	}{
		{"default", "", "inbound.form.h1"},
		{"org and name", "in.{org}.{hook_name}", "in.acme.Contact_us"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := natstrigger.New(&recorder{}, natstrigger.Options{Subject: tc.subject})
			if err != nil {
				t.Fatal(err)
			}
			e := testEvent()
			m, err := tr.Msg(e)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tc.want {
				t.Errorf("subject: got %q, want %q", m.Subject, tc.want)
			}
			want, _ := json.Marshal(e)
			if string(m.Data) != string(want) {
				t.Errorf("data: got %s, want %s", m.Data, want)
			}
			for k, v := range map[string]string{
				"Content-Type": "application/json", natstrigger.HeaderEventID: e.ID, natstrigger.HeaderHookID: "h1",
				natstrigger.HeaderHookKind: "form", natstrigger.HeaderOrg: "acme",
				natstrigger.HeaderContentType: "application/x-www-form-urlencoded",
			} {
				if got := m.Header.Get(k); got != v {
					t.Errorf("header %s: got %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := natstrigger.New(nil, natstrigger.Options{}); !errors.Is(err, natstrigger.ErrNilPublisher) {
		t.Errorf("nil publisher: got %v, want ErrNilPublisher", err)
	}
	if _, err := natstrigger.New(&recorder{}, natstrigger.Options{Subject: "a.*"}); !errors.Is(err, topic.ErrTemplate) {
		t.Errorf("bad subject: got %v, want topic.ErrTemplate", err)
	}
	tr, _ := natstrigger.New(&recorder{}, natstrigger.Options{})
	if err := tr.Fire(context.Background(), &hooks.Event{}); !errors.Is(err, natstrigger.ErrNilEvent) {
		t.Errorf("event without ID: got %v, want ErrNilEvent", err)
	}
}

func TestFireError(t *testing.T) {
	rec := &recorder{err: jetstream.ErrNoStreamResponse}
	tr, _ := natstrigger.New(rec, natstrigger.Options{Stream: "S"})
	err := tr.Fire(context.Background(), testEvent())
	if !errors.Is(err, jetstream.ErrNoStreamResponse) {
		t.Fatalf("got %v, want ErrNoStreamResponse", err)
	}
	if len(rec.opts) != 2 { // the message ID and the expected stream
		t.Errorf("got %d publish options, want 2", len(rec.opts))
	}
}

// server connects to the test NATS server through a proxy the test can
// cut, and creates a stream of its own, deleted at the end.
type server struct {
	js      jetstream.JetStream // through the proxy
	admin   jetstream.JetStream // direct
	stream  jetstream.Stream
	prefix  string
	proxy   *brokertest.Proxy
	subject string // the trigger's subject template
}

func newServer(t *testing.T) *server {
	t.Helper()
	addr := brokertest.Env(addrVar, "127.0.0.1:4222")
	brokertest.Reachable(t, "NATS", addr)
	ctx := context.Background()
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		brokertest.Need(t, "NATS on %s: %v", addr, err)
	}
	t.Cleanup(nc.Close)
	admin, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.AccountInfo(ctx); err != nil {
		brokertest.Need(t, "NATS on %s has no JetStream (start it with -js): %v", addr, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "inbound_test_" + hex.EncodeToString(b)
	stream, err := admin.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{name + ".>"},
		Duplicates: 2 * time.Minute, Storage: jetstream.MemoryStorage})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.DeleteStream(context.Background(), name) })

	proxy := brokertest.NewProxy(t, addr)
	pc, err := nats.Connect("nats://"+proxy.Addr(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond),
		nats.ReconnectJitter(0, 0), nats.Timeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pc.Close)
	js, err := jetstream.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	return &server{js: js, admin: admin, stream: stream, prefix: name, proxy: proxy,
		subject: name + ".{kind}.{hook_id}"}
}

// ids returns the Nats-Msg-Id of every message in the stream, checking
// that each payload is the event it names.
func (s *server) ids(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	info, err := s.stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		brokertest.ValidEvent(t, m.Data)
		id := m.Header.Get(jetstream.MsgIDHeader)
		var e hooks.Event
		if err := json.Unmarshal(m.Data, &e); err != nil || e.ID != id {
			t.Errorf("message %d (id %s): payload %.80s: %v", seq, id, m.Data, err)
		}
		if !strings.HasPrefix(m.Subject, s.prefix+".web.") || m.Header.Get(natstrigger.HeaderHookKind) != "web" {
			t.Errorf("message %d: subject %s, kind header %q", seq, m.Subject, m.Header.Get(natstrigger.HeaderHookKind))
		}
		ids = append(ids, id)
	}
	return ids
}

// TestRedeliveryExactlyOnce makes the first attempts of several events time
// out after the stream acked them: the queue publishes them again, and the
// stream's duplicate window keeps one copy of each.
func TestRedeliveryExactlyOnce(t *testing.T) {
	s := newServer(t)
	tr, err := natstrigger.New(s.js, natstrigger.Options{Subject: s.subject, Stream: s.prefix})
	if err != nil {
		t.Fatal(err)
	}
	const n, slow = 20, 5
	wrapped := &brokertest.AcceptedThenSlow{Trigger: tr, N: slow}
	opts := brokertest.QueueOptions()
	opts.AttemptTimeout = 300 * time.Millisecond
	host := brokertest.NewHost(t, wrapped, &opts)
	ids := host.PostN(t, n)
	host.WaitDelivered(t, ids, 30*time.Second)
	if wrapped.Slowed() != slow || wrapped.Fired() < n+slow {
		t.Fatalf("slowed %d attempts and fired %d, want %d slowed and at least %d fired", wrapped.Slowed(), wrapped.Fired(), slow, n+slow)
	}
	brokertest.ExactlyOnce(t, s.ids(t), ids)
}

// TestOutage cuts the connection to NATS: events wait and are retried, and
// all arrive, once each, when it is back.
func TestOutage(t *testing.T) {
	s := newServer(t)
	tr, err := natstrigger.New(s.js, natstrigger.Options{Subject: s.subject, Stream: s.prefix})
	if err != nil {
		t.Fatal(err)
	}
	brokertest.Outage(t, tr, s.proxy, func() []string { return s.ids(t) })
}
