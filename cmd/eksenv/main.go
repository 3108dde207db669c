// Command eksenv turns one declarative file into a complete, verified Amazon
// EKS environment and removes it again. All the work is in internal/cli and
// the library beneath it; main only wires signals, streams and the exit code.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/eksenv/eksenv/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	st := cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Version: version}
	// EKSENV_POLL shortens the polling of asynchronous AWS states (against
	// the local sandbox, whose latencies are scaled down).
	if d, err := time.ParseDuration(os.Getenv("EKSENV_POLL")); err == nil && d > 0 {
		st.AWS.Poll = d
	}
	code := cli.Run(ctx, os.Args[1:], st)
	stop()
	os.Exit(code)
}
