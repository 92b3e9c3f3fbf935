// Command server is the crash-test server: a form hook in queue mode on a
// bbolt file, whose Trigger appends each delivered event ID to a file (one
// per line, O_APPEND, fsync before Fire returns).
//
// On start it reuses the first hook in the store (creating one if there is
// none) and prints one JSON line on stdout: {"addr":"host:port","token":"..."}.
// SIGTERM or SIGINT shut it down gracefully; SIGKILL is what the test uses.
// With -hold the Trigger never returns, so that a kill lands between the
// commit of accepted events and their delivery.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/inbound-hooks/inbound/formhook"
	"github.com/inbound-hooks/inbound/hooks"
	"github.com/inbound-hooks/inbound/store/boltstore"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "crashtest server:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	data := flag.String("data", "", "bbolt data file (required)")
	delivered := flag.String("delivered", "", "file the Trigger appends delivered event IDs to (required)")
	lease := flag.Duration("lease", 2*time.Second, "queue lease: how soon events claimed by a killed run are delivered again")
	hold := flag.Bool("hold", false, "the Trigger never returns: accepted events stay committed (and handed off) but undelivered until the process is killed")
	flag.Parse()
	if *data == "" || *delivered == "" {
		return errors.New("-data and -delivered are required")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	s, err := boltstore.Open(*data, &boltstore.Options{Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	defer s.Close()
	reg, err := hooks.NewRegistry(s, hooks.RegistryOptions{})
	if err != nil {
		return err
	}
	hs, err := reg.List(ctx, "")
	if err != nil {
		return err
	}
	var h *hooks.Hook
	if len(hs) > 0 {
		h = hs[0]
	} else if h, err = reg.Create(ctx, "", hooks.HookSpec{Name: "crash", Kind: hooks.KindForm}); err != nil {
		return err
	}

	out, err := os.OpenFile(*delivered, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	var mu sync.Mutex
	trigger := hooks.TriggerFunc(func(_ context.Context, e *hooks.Event) error {
		if *hold {
			select {} // until SIGKILL
		}
		mu.Lock()
		_, err := out.Write([]byte(e.ID + "\n")) // one write: a whole line or nothing
		mu.Unlock()
		if err != nil {
			return err
		}
		return out.Sync()
	})
	q, err := hooks.NewQueue(s, trigger, hooks.QueueOptions{Logger: log, PollInterval: 50 * time.Millisecond,
		Lease: *lease, AttemptTimeout: *lease / 2})
	if err != nil {
		return err
	}
	p, err := hooks.NewPipeline(reg, hooks.PipelineOptions{Delivery: q, Logger: log})
	if err != nil {
		return err
	}
	fh, err := formhook.New(p, formhook.Options{})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/hooks/form/", fh)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if err := q.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	line, _ := json.Marshal(map[string]string{"addr": ln.Addr().String(), "token": h.Token})
	fmt.Println(string(line))

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return errors.Join(srv.Shutdown(sctx), q.Shutdown(sctx))
}
