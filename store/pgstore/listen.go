package pgstore

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/inbound-hooks/inbound/store/internal/lookupcache"
)

// listenAppName is the application_name of the listening connection, so
// that an operator (or a test) can tell it apart in pg_stat_activity.
const listenAppName = "inbound-pgstore-listen"

// Notification payloads on the schema's channel. Migration 3's triggers
// send hookPrefix or keyPrefix and the ID, or flushAll; Enqueue and
// Replay send eventsReady.
const (
	hookPrefix  = 'h'
	keyPrefix   = 'k'
	flushAll    = "*"
	eventsReady = "q"
)

// Listener timing.
const (
	// defaultHeartbeat is how long the listener waits for a notification
	// before it checks its connection with a round trip: a connection
	// that died silently is noticed within two heartbeats.
	defaultHeartbeat = time.Second
	// listenDialTimeout bounds a (re)connection of the listener.
	listenDialTimeout = 10 * time.Second
	// Reconnection delays, doubling from the first to the last.
	minRedial = 50 * time.Millisecond
	maxRedial = 5 * time.Second
)

// channelName returns the channel that migration 3's triggers notify for
// schema: 'inbound_' and the first 16 hex digits of the MD5 of its name
// (a channel name is an identifier, at most 63 bytes; a schema name may
// be that long itself).
func channelName(schema string) string {
	sum := md5.Sum([]byte(schema))
	return "inbound_" + hex.EncodeToString(sum[:])[:16]
}

// listener holds a connection of its own that LISTENs on the schema's
// channel: it drops what the cache holds of a hook or key another process
// changed, and wakes the queue's dispatchers when events were enqueued
// anywhere. While it is not listening, the cache is off (every lookup is
// a query), since changes would go unnoticed; once it listens again it
// turns the cache back on, empty, and wakes the dispatchers (events may
// have been enqueued meanwhile).
type listener struct {
	cfg       *pgx.ConnConfig
	channel   string
	cache     *lookupcache.Cache // nil without a cache
	log       *slog.Logger
	heartbeat time.Duration

	mu     sync.Mutex
	wakers map[chan struct{}]struct{}
	pid    uint32 // the listening backend's PID; 0 while not listening

	cancel context.CancelFunc
	done   chan struct{}
}

func newListener(cfg *pgx.ConnConfig, schema string, cache *lookupcache.Cache, log *slog.Logger) *listener {
	cfg = cfg.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = listenAppName
	return &listener{cfg: cfg, channel: channelName(schema), cache: cache, log: log,
		heartbeat: defaultHeartbeat, wakers: map[chan struct{}]struct{}{}}
}

// start runs the listener until stop.
func (l *listener) start() {
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	go l.run(ctx)
}

// stop ends the listener and waits for it.
func (l *listener) stop() {
	l.cancel()
	<-l.done
}

func (l *listener) run(ctx context.Context) {
	defer close(l.done)
	delay := minRedial
	for {
		began := time.Now()
		err := l.session(ctx)
		l.setListening(false, 0)
		if ctx.Err() != nil {
			return
		}
		l.log.Warn("pgstore: listener lost its connection; lookups go to the database until it is back",
			"channel", l.channel, "err", err)
		if time.Since(began) > maxRedial {
			delay = minRedial // it had been up for a while: retry soon
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxRedial)
	}
}

// session connects, listens and handles notifications until the
// connection fails or ctx ends.
func (l *listener) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, listenDialTimeout)
	conn, err := pgx.ConnectConfig(dctx, l.cfg)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize()); err != nil {
		return err
	}
	// From here on every change committed is notified to us: what the
	// cache will hold from now is kept fresh.
	l.setListening(true, conn.PgConn().PID())
	l.wake()
	for {
		l.mu.Lock()
		hb := l.heartbeat
		l.mu.Unlock()
		wctx, cancel := context.WithTimeout(ctx, hb)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if !pgconn.Timeout(err) && !errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			// Quiet for a heartbeat: check that the connection still works.
			pctx, cancel := context.WithTimeout(ctx, hb)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return err
			}
			continue
		}
		if n != nil {
			l.handle(n.Payload)
		}
	}
}

// setListening turns the cache on (empty) or off, and records the
// listening backend's PID (0: none).
func (l *listener) setListening(on bool, pid uint32) {
	if l.cache != nil {
		l.cache.SetEnabled(on)
	}
	l.mu.Lock()
	l.pid = pid
	l.mu.Unlock()
}

func (l *listener) handle(payload string) {
	switch {
	case payload == eventsReady:
		l.wake()
	case l.cache == nil:
	case payload == flushAll:
		l.cache.Flush()
	case len(payload) > 1 && payload[0] == hookPrefix:
		l.cache.InvalidateHook(payload[1:])
	case len(payload) > 1 && payload[0] == keyPrefix:
		l.cache.InvalidateKey(payload[1:])
	default:
		// Unknown: a newer version's message. Forget everything, to be safe.
		l.cache.Flush()
	}
}

// subscribe returns a channel that receives a value after events became
// ready, and a function that stops it.
func (l *listener) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	l.mu.Lock()
	l.wakers[ch] = struct{}{}
	l.mu.Unlock()
	return ch, func() {
		l.mu.Lock()
		delete(l.wakers, ch)
		l.mu.Unlock()
	}
}

// wake nudges every subscriber without blocking.
func (l *listener) wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.wakers {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
