package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store"
	"github.com/inbound-hooks/inbound/store/pgstore"
	amqptrigger "github.com/inbound-hooks/inbound/triggers/amqp"
	natstrigger "github.com/inbound-hooks/inbound/triggers/nats"
	rivertrigger "github.com/inbound-hooks/inbound/triggers/river"
)

// triggerUsage is the -trigger flag's help.
const triggerUsage = `where events go: stdout (one JSON line each), nats://host:4222[?stream=INBOUND&subject=inbound.{kind}.{hook_id}] ` +
	`(JetStream; the stream is created when missing, capturing the subject's pattern), river[?schema=river] (River jobs in the -pg database; ` +
	`its migrations run at start) or amqp://user:pass@host:5672/[?exchange=X&key=inbound.{kind}.{hook_id}] ` +
	`(RabbitMQ; without exchange, a durable queue "inbound" is declared and used)`

// Defaults of the -trigger engines' topology.
const (
	natsStream  = "INBOUND"
	riverSchema = "river"
	amqpQueue   = "inbound"
)

// openTrigger returns the Trigger the -trigger spec names and a function
// that releases it. st is the opened store: River runs on PostgreSQL's pool.
func openTrigger(ctx context.Context, cfg config, st store.Store) (hooks.Trigger, func() error, error) {
	spec := cfg.Trigger
	noop := func() error { return nil }
	switch {
	case spec == "" || spec == "stdout":
		return &lineTrigger{w: cfg.Stdout}, noop, nil
	case strings.HasPrefix(spec, "nats://"), strings.HasPrefix(spec, "tls://"):
		return openNATS(ctx, cfg, spec)
	case spec == "river" || strings.HasPrefix(spec, "river?"):
		return openRiver(ctx, cfg, spec, st)
	case strings.HasPrefix(spec, "amqp://"), strings.HasPrefix(spec, "amqps://"):
		return openAMQP(ctx, cfg, spec)
	}
	return nil, nil, fmt.Errorf("-trigger must be stdout, nats://..., river or amqp://..., not %q", redactURL(spec))
}

// splitQuery separates spec's query, which holds our options, from the
// server URL; keep names the options the engine's own URL may carry too.
func splitQuery(spec string, ours ...string) (string, url.Values, error) {
	u, err := url.Parse(spec)
	if err != nil {
		return "", nil, fmt.Errorf("-trigger: %w", err)
	}
	q := u.Query()
	opts := url.Values{}
	for _, k := range ours {
		if v, ok := q[k]; ok {
			opts[k] = v
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), opts, nil
}

func openNATS(ctx context.Context, cfg config, spec string) (hooks.Trigger, func() error, error) {
	server, opts, err := splitQuery(spec, "stream", "subject")
	if err != nil {
		return nil, nil, err
	}
	stream := opts.Get("stream")
	if stream == "" {
		stream = natsStream
	}
	// Reconnect for ever: while NATS is away, events wait in the queue.
	nc, err := nats.Connect(server, nats.MaxReconnects(-1), nats.Name("inbound example server"))
	if err != nil {
		return nil, nil, fmt.Errorf("-trigger: NATS: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("-trigger: JetStream: %w", err)
	}
	t, err := natstrigger.New(js, natstrigger.Options{Subject: opts.Get("subject"), Stream: stream, Logger: cfg.Logger})
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	if _, err := js.Stream(ctx, stream); errors.Is(err, jetstream.ErrStreamNotFound) {
		// An hour of deduplication covers the queue's retries of an event
		// whose ack was lost.
		filter := subjectFilter(opts.Get("subject"))
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{filter},
			Duplicates: time.Hour, Storage: jetstream.FileStorage})
		if err == nil {
			cfg.Logger.Info("created JetStream stream", "stream", stream, "subjects", filter)
		}
	}
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("-trigger: JetStream stream %s: %w", stream, err)
	}
	cfg.Logger.Info("events go to NATS JetStream", "server", redactURL(server), "stream", stream)
	return t, func() error { return nc.Drain() }, nil
}

// subjectFilter returns the subjects a subject template publishes to, each
// placeholder a "*" wildcard: "inbound.*.*" for the default template.
func subjectFilter(tmpl string) string {
	if tmpl == "" {
		tmpl = natstrigger.DefaultSubject
	}
	toks := strings.Split(tmpl, ".")
	for i, t := range toks {
		if strings.HasPrefix(t, "{") {
			toks[i] = "*"
		}
	}
	return strings.Join(toks, ".")
}

// schemaName is what River accepts as a schema name (river.Config.Schema),
// which also needs no escaping inside double quotes.
var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

func openRiver(ctx context.Context, cfg config, spec string, st store.Store) (hooks.Trigger, func() error, error) {
	pool, ok := pgstore.Pool(st) // River's tables live in their own schema of the same database
	if !ok {
		return nil, nil, errors.New("-trigger river needs -pg: River keeps its jobs in PostgreSQL")
	}
	_, opts, err := splitQuery(spec, "schema")
	if err != nil {
		return nil, nil, err
	}
	schema := opts.Get("schema")
	if schema == "" {
		schema = riverSchema
	}
	if !schemaName.MatchString(schema) {
		return nil, nil, fmt.Errorf("-trigger river: schema %q: want letters, digits and underscores, not starting with a digit", schema)
	}
	if _, err := pool.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS "`+schema+`"`); err != nil {
		return nil, nil, fmt.Errorf("-trigger: River schema %s: %w", schema, err)
	}
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema})
	if err != nil {
		return nil, nil, fmt.Errorf("-trigger: River migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return nil, nil, fmt.Errorf("-trigger: River migrations in schema %s: %w", schema, err)
	}
	// An insert-only client: the host's River workers process the jobs.
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: schema, Logger: cfg.Logger})
	if err != nil {
		return nil, nil, fmt.Errorf("-trigger: River client: %w", err)
	}
	t, err := rivertrigger.New(client, rivertrigger.Options{Logger: cfg.Logger})
	if err != nil {
		return nil, nil, err
	}
	cfg.Logger.Info("events go to River jobs", "schema", schema, "kind", rivertrigger.Kind)
	return t, func() error { return nil }, nil // the pool is the store's
}

func openAMQP(ctx context.Context, cfg config, spec string) (hooks.Trigger, func() error, error) {
	server, opts, err := splitQuery(spec, "exchange", "key")
	if err != nil {
		return nil, nil, err
	}
	o := amqptrigger.Options{Exchange: opts.Get("exchange"), RoutingKey: opts.Get("key"), Logger: cfg.Logger}
	if o.Exchange == "" {
		// No topology given: a durable queue of our own on the default
		// exchange, which routes by queue name.
		if o.RoutingKey == "" {
			o.RoutingKey = amqpQueue
		}
		if err := declareQueue(server, o.RoutingKey); err != nil {
			return nil, nil, fmt.Errorf("-trigger: RabbitMQ: %w", err)
		}
	}
	t, err := amqptrigger.New(server, o)
	if err != nil {
		return nil, nil, err
	}
	cfg.Logger.Info("events go to RabbitMQ", "server", redactURL(server), "exchange", o.Exchange, "routing_key", o.RoutingKey)
	return t, t.Close, nil
}

// declareQueue declares a durable queue named name.
func declareQueue(server, name string) error {
	conn, err := amqp.DialConfig(server, amqp.Config{Dial: amqp.DefaultDial(10 * time.Second)})
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	_, err = ch.QueueDeclare(name, true, false, false, false, nil)
	return err
}

// redactURL hides a URL's password for logs and errors.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
