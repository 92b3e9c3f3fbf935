package main

import (
	"context"
	"errors"
	"flag"
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
	os.Exit(exitStatus(err, os.Stderr))
}

// exitStatus is the process status for run's error: 0 for none and for
// -h (asking for help is not an error; the usage is printed already), 1
// otherwise, after printing the error.
func exitStatus(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "server:", err)
	return 1
}

// run parses the command line and serves until ctx is done, or runs the
// compact command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "compact" {
		return cmdCompact(args[1:], stderr)
	}
	return cmdServe(ctx, args, stdout, stderr, getenv)
}
