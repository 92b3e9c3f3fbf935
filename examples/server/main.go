package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// run executes one command line: serve (the default), create-hook,
// create-key or list-hooks.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return cmdServe(ctx, args, stdout, stderr, getenv)
	case "create-hook":
		return cmdCreateHook(ctx, args, stdout, stderr)
	case "create-key":
		return cmdCreateKey(ctx, args, stdout, stderr)
	case "list-hooks":
		return cmdListHooks(ctx, args, stdout, stderr)
	}
	return fmt.Errorf("unknown command %q (serve, create-hook, create-key, list-hooks)", cmd)
}
