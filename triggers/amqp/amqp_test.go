package amqptrigger_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/inbound-hooks/inbound/hooks"
	amqptrigger "github.com/inbound-hooks/inbound/triggers/amqp"
	"github.com/inbound-hooks/inbound/triggers/internal/brokertest"
	"github.com/inbound-hooks/inbound/triggers/internal/topic"
)

// urlVar names the variable that holds the test broker's URL.
const urlVar = "INBOUND_TEST_AMQP_URL"

// ids makes real event IDs, which the event schema requires.
var ids hooks.IDGenerator

func testEvent() *hooks.Event {
	return &hooks.Event{ID: ids.New(time.Now()), Org: "acme", HookID: "h1", HookKind: "form", HookName: "Contact us",
		ReceivedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Data: map[string]any{"n": json.Number("1")},
		ContentType: "application/x-www-form-urlencoded"}
}

func TestPublishing(t *testing.T) {
	tr, err := amqptrigger.New("amqp://guest:guest@127.0.0.1:5672/", amqptrigger.Options{RoutingKey: "in.{org}.{hook_name}"})
	if err != nil {
		t.Fatal(err)
	}
	e := testEvent()
	key, m, err := tr.Publishing(e)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(e)
	if key != "in.acme.Contact_us" || string(m.Body) != string(want) || m.MessageId != e.ID ||
		m.DeliveryMode != amqp.Persistent || m.ContentType != "application/json" || !m.Timestamp.Equal(e.ReceivedAt) {
		t.Errorf("got key %q and %+v", key, m)
	}
	for k, v := range map[string]string{amqptrigger.HeaderHookID: "h1", amqptrigger.HeaderHookKind: "form",
		amqptrigger.HeaderOrg: "acme", amqptrigger.HeaderContentType: "application/x-www-form-urlencoded"} {
		if m.Headers[k] != v {
			t.Errorf("header %s: got %v, want %q", k, m.Headers[k], v)
		}
	}
	if _, _, err := tr.Publishing(&hooks.Event{}); !errors.Is(err, amqptrigger.ErrNilEvent) {
		t.Errorf("event without ID: got %v", err)
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		url  string
		opts amqptrigger.Options
		is   error
	}{
		{"http://x", amqptrigger.Options{}, nil},
		{"amqp://x", amqptrigger.Options{RoutingKey: "a.#"}, topic.ErrTemplate},
		{"amqp://x", amqptrigger.Options{DialTimeout: -1}, nil},
	} {
		_, err := amqptrigger.New(tc.url, tc.opts)
		if err == nil || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("New(%q, %+v): got %v", tc.url, tc.opts, err)
		}
	}
}

func TestFireUnreachable(t *testing.T) {
	p := brokertest.NewProxy(t, "127.0.0.1:1") // cut: every connection closes at once
	p.Cut()
	tr, err := amqptrigger.New("amqp://guest:guest@"+p.Addr()+"/", amqptrigger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := tr.Fire(ctx, testEvent()); err == nil {
		t.Fatal("Fire succeeded without a broker")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tr.Fire(ctx, testEvent()); !errors.Is(err, amqptrigger.ErrClosed) {
		t.Fatalf("after Close: got %v, want ErrClosed", err)
	}
}

// broker is the test RabbitMQ, reached directly (admin) and through a proxy
// the test can cut, with a queue of the test's own, deleted at the end.
type broker struct {
	url   string // through the proxy
	admin *amqp.Channel
	queue string
	proxy *brokertest.Proxy
}

func newBroker(t *testing.T) *broker {
	t.Helper()
	raw := brokertest.Env(urlVar, "amqp://guest:guest@127.0.0.1:5672/")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", urlVar, err)
	}
	brokertest.Reachable(t, "RabbitMQ", u.Host)
	conn, err := amqp.Dial(raw)
	if err != nil {
		brokertest.Need(t, "RabbitMQ at %s: %v", u.Host, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	admin, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	queue := "inbound_test_" + hex.EncodeToString(b)
	if _, err := admin.QueueDeclare(queue, true, false, false, false, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.QueueDelete(queue, false, false, false) })
	proxy := brokertest.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	return &broker{url: u.String(), admin: admin, queue: queue, proxy: proxy}
}

// trigger returns a Trigger publishing to the test queue through the proxy.
func (b *broker) trigger(t *testing.T) *amqptrigger.Trigger {
	t.Helper()
	tr, err := amqptrigger.New(b.url, amqptrigger.Options{RoutingKey: b.queue, DialTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return tr
}

// ids takes every message off the queue and returns their message IDs,
// checking that each body is the event it names.
func (b *broker) ids(t *testing.T) []string {
	t.Helper()
	var ids []string
	for {
		d, ok, err := b.admin.Get(b.queue, true)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return ids
		}
		brokertest.ValidEvent(t, d.Body)
		var e hooks.Event
		if err := json.Unmarshal(d.Body, &e); err != nil || e.ID != d.MessageId || d.DeliveryMode != amqp.Persistent ||
			d.Headers[amqptrigger.HeaderHookKind] != string(e.HookKind) {
			t.Errorf("message %s: %.80s %v: %v", d.MessageId, d.Body, d.Headers, err)
		}
		ids = append(ids, d.MessageId)
	}
}

// TestRedeliveryExactlyOnce makes the first attempts of several events time
// out after the broker confirmed them: the queue fires them again, and the
// trigger remembers the confirms, so the queue holds one message per event.
func TestRedeliveryExactlyOnce(t *testing.T) {
	b := newBroker(t)
	const n, slow = 20, 5
	wrapped := &brokertest.AcceptedThenSlow{Trigger: b.trigger(t), N: slow}
	opts := brokertest.QueueOptions()
	opts.AttemptTimeout = 300 * time.Millisecond
	host := brokertest.NewHost(t, wrapped, &opts)
	ids := host.PostN(t, n)
	host.WaitDelivered(t, ids, 30*time.Second)
	if wrapped.Slowed() != slow || wrapped.Fired() < n+slow {
		t.Fatalf("slowed %d attempts and fired %d, want %d slowed and at least %d fired", wrapped.Slowed(), wrapped.Fired(), slow, n+slow)
	}
	brokertest.ExactlyOnce(t, b.ids(t), ids)
}

// TestOutage cuts the connection to RabbitMQ: events wait and are retried,
// and all arrive, once each, when it is back.
func TestOutage(t *testing.T) {
	b := newBroker(t)
	brokertest.Outage(t, b.trigger(t), b.proxy, func() []string { return b.ids(t) })
}

// TestUnroutableAndClosedChannel: a message no queue takes is an error
// (ErrReturned), so is one to a missing exchange (the broker closes the
// channel), and the next Fire opens a new channel and succeeds.
func TestUnroutableAndClosedChannel(t *testing.T) {
	b := newBroker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nowhere, err := amqptrigger.New(b.url, amqptrigger.Options{RoutingKey: b.queue + "_missing"})
	if err != nil {
		t.Fatal(err)
	}
	defer nowhere.Close()
	e := testEvent()
	if err := nowhere.Fire(ctx, e); !errors.Is(err, amqptrigger.ErrReturned) {
		t.Errorf("unroutable: got %v, want ErrReturned", err)
	}
	if err := nowhere.Fire(ctx, e); !errors.Is(err, amqptrigger.ErrReturned) {
		t.Errorf("unroutable again: got %v, want ErrReturned (a return is not remembered as a confirm)", err)
	}

	missing, err := amqptrigger.New(b.url, amqptrigger.Options{Exchange: b.queue + "_no_exchange", RoutingKey: b.queue})
	if err != nil {
		t.Fatal(err)
	}
	defer missing.Close()
	if err := missing.Fire(ctx, e); err == nil {
		t.Error("publish to a missing exchange succeeded")
	}

	tr := b.trigger(t)
	if err := tr.Fire(ctx, e); err != nil {
		t.Fatal(err)
	}
	// The first publish over the proxy is cut; the next Fire reconnects.
	b.proxy.Cut()
	e2 := testEvent()
	e2.ID = ids.New(time.Now())
	if err := tr.Fire(ctx, e2); err == nil {
		t.Error("Fire succeeded while the broker was cut off")
	}
	b.proxy.Restore()
	if err := tr.Fire(ctx, e2); err != nil {
		t.Fatalf("after the broker came back: %v", err)
	}
	brokertest.ExactlyOnce(t, b.ids(t), []string{e.ID, e2.ID})
}

// TestConfirmAfterTimeout holds the broker's answers so that an attempt
// times out after the broker took the message but before its confirm
// arrived: the retry waits for that confirm instead of publishing again.
func TestConfirmAfterTimeout(t *testing.T) {
	b := newBroker(t)
	tr := b.trigger(t)
	ctx := context.Background()
	warm := testEvent()
	if err := tr.Fire(ctx, warm); err != nil { // connects
		t.Fatal(err)
	}
	e := testEvent()
	b.proxy.Hold()
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	err := tr.Fire(short, e)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		b.proxy.Release()
		t.Fatalf("held confirm: got %v, want a deadline error", err)
	}
	// The broker has the message though its confirm is held.
	deadline := time.Now().Add(10 * time.Second)
	for {
		q, err := b.admin.QueueDeclarePassive(b.queue, true, false, false, false, nil)
		if err != nil {
			b.proxy.Release()
			t.Fatal(err)
		}
		if q.Messages == 2 {
			break
		}
		if time.Now().After(deadline) {
			b.proxy.Release()
			t.Fatalf("the queue holds %d messages, want 2", q.Messages)
		}
		time.Sleep(20 * time.Millisecond)
	}
	b.proxy.Release()
	retry, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := tr.Fire(retry, e); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if err := tr.Fire(retry, e); err != nil { // remembered
		t.Fatalf("second retry: %v", err)
	}
	brokertest.ExactlyOnce(t, b.ids(t), []string{warm.ID, e.ID})
}
