package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/internal/testenv"
	"github.com/inbound-hooks/inbound/store/pgstore"
	rivertrigger "github.com/inbound-hooks/inbound/triggers/river"
	"github.com/inbound-hooks/inbound/webhook"
)

func TestOpenTriggerErrors(t *testing.T) {
	for _, spec := range []string{"kafka://x", "river", "river?schema=a;b", "nats", "amqp://guest:secret@127.0.0.1:1/?exchange=x&key=a.%2A"} {
		cfg := config{Trigger: spec, Data: filepath.Join(t.TempDir(), "inbound.db"), Logger: slog.New(slog.DiscardHandler)}
		s, err := newServer(context.Background(), cfg)
		if err == nil {
			_ = s.Close()
			t.Errorf("-trigger %q: no error", spec)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("-trigger %q: error %q shows the password", spec, err)
		}
	}
}

func TestSubjectFilter(t *testing.T) {
	for in, want := range map[string]string{"": "inbound.*.*", "a.{org}.b.{hook_name}": "a.*.b.*", "x": "x"} {
		if got := subjectFilter(in); got != want {
			t.Errorf("subjectFilter(%q): got %q, want %q", in, got, want)
		}
	}
}

// engine is a -trigger target the tests and benchmarks run against, each
// with its own stream, schema or queue.
type engine struct {
	name  string
	pg    bool                               // the store must be PostgreSQL (River)
	setup func(testing.TB) (string, counter) // the -trigger spec, and a count of what the engine holds
}

// counter counts the events an engine holds; s is the server feeding it.
type counter func(t testing.TB, s *server) int

var engines = []engine{
	{"nats", false, natsEngine},
	{"river", true, riverEngine},
	{"amqp", false, amqpEngine},
}

func uniqueName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func natsEngine(t testing.TB) (string, counter) {
	addr := envOr("INBOUND_TEST_NATS_ADDR", "127.0.0.1:4222")
	reachable(t, "NATS", addr)
	nc, err := nats.Connect("nats://" + addr)
	if err != nil {
		testenv.Need(t, "NATS on %s: %v", addr, err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	name := uniqueName("inbound_server_")
	t.Cleanup(func() { _ = js.DeleteStream(context.Background(), name) })
	spec := "nats://" + addr + "?stream=" + name + "&subject=" + name + ".{kind}.{hook_id}"
	return spec, func(t testing.TB, _ *server) int {
		s, err := js.Stream(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return int(info.State.Msgs)
	}
}

func riverEngine(t testing.TB) (string, counter) {
	dsn := testenv.PostgresDSN(t)
	schema := testenv.PostgresSchema(t, dsn, "river_server_")
	return "river?schema=" + schema, func(t testing.TB, s *server) int {
		var n int // River shares the store's database
		pool, ok := pgstore.Pool(s.store)
		if !ok {
			t.Fatalf("pgstore.Pool: %T is not a pgstore store", s.store)
		}
		if err := pool.QueryRow(context.Background(),
			`SELECT count(*) FROM `+schema+`.river_job WHERE kind = $1`, rivertrigger.Kind).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func amqpEngine(t testing.TB) (string, counter) {
	url := envOr("INBOUND_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
	reachable(t, "RabbitMQ", strings.TrimSuffix(url[strings.LastIndexByte(url, '@')+1:], "/"))
	conn, err := amqp.Dial(url)
	if err != nil {
		testenv.Need(t, "RabbitMQ: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	queue := uniqueName("inbound_server_")
	t.Cleanup(func() { _, _ = ch.QueueDelete(queue, false, false, false) })
	return url + "?key=" + queue, func(t testing.TB, _ *server) int {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return q.Messages
	}
}

// triggerServer is examples/server with a -trigger, in queue mode, served
// on a loopback listener, with a webhook and an API key.
type triggerServer struct {
	s   *server
	url string // the webhook's address
	key string
}

func startTriggerServer(t testing.TB, trigger string, pg bool, stdout *syncBuffer) *triggerServer {
	t.Helper()
	cfg := config{Delivery: "queue", Trigger: trigger, Data: filepath.Join(t.TempDir(), "inbound.db"),
		EmailDomain: "in.localhost", AdminToken: "admin-secret", Logger: slog.New(slog.DiscardHandler)}
	if stdout != nil {
		cfg.Stdout = stdout
	}
	if pg {
		cfg.PG = testenv.PostgresDSN(t)
		cfg.PGSchema = testenv.PostgresSchema(t, cfg.PG, "server_trigger_")
	}
	ctx := context.Background()
	s, err := newServer(ctx, cfg)
	if err != nil {
		t.Fatalf("-trigger %s: %v", trigger, err)
	}
	srv := httptest.NewServer(s.Handler())
	if err := s.queue.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := s.queue.Shutdown(sctx); err != nil {
			t.Errorf("queue shutdown: %v", err)
		}
		_ = s.Close()
	})
	hook, err := s.reg.Create(ctx, "", hooks.HookSpec{Name: "Orders", Kind: webhook.KindName})
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := s.keys.Create(ctx, "", "test", []string{hooks.RoleHooks})
	if err != nil {
		t.Fatal(err)
	}
	addr := s.reg.Address(hook)
	return &triggerServer{s: s, url: srv.URL + addr[strings.Index(addr, "/hooks/"):], key: key}
}

// waitDrained waits until the queue has no pending event.
func (ts *triggerServer) waitDrained(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		n, err := ts.s.queue.Depth(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events still pending after %v", n, timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestTriggerEngines runs examples/server with each -trigger engine and
// checks that every event posted over HTTP reaches the engine once.
func TestTriggerEngines(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			spec, count := e.setup(t)
			ts := startTriggerServer(t, spec, e.pg, nil)
			const n = 10
			for i := range n {
				req, _ := http.NewRequest(http.MethodPost, ts.url, strings.NewReader(fmt.Sprintf(`{"order":%d}`, i)))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+ts.key)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_ = res.Body.Close()
				if res.StatusCode != http.StatusAccepted {
					t.Fatalf("post: status %d", res.StatusCode)
				}
			}
			ts.waitDrained(t, 30*time.Second)
			if got := count(t, ts.s); got != n {
				t.Errorf("%s holds %d events, want %d", e.name, got, n)
			}
		})
	}
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// reachable dials addr and skips (fails in CI) when nothing answers.
func reachable(t testing.TB, service, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		testenv.Need(t, "%s is not reachable on %s: %v", service, addr, err)
		return
	}
	_ = c.Close()
}

func TestWhereEventsGo(t *testing.T) {
	for _, tc := range []struct{ trigger, want string }{
		{"", "Each event is printed on stdout as one JSON line."},
		{"stdout", "Each event is printed on stdout as one JSON line."},
		{"river", "Each event goes to river."},
		{"amqp://guest:secret@127.0.0.1:5672/", "Each event goes to amqp://guest:xxxxx@127.0.0.1:5672/."},
	} {
		if got := whereEventsGo(tc.trigger); got != tc.want {
			t.Errorf("whereEventsGo(%q) = %q, want %q", tc.trigger, got, tc.want)
		}
	}
}
