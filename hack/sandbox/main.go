// Command sandbox runs the local AWS stand-in (moto behind eksenv's
// gap-filling proxy, see internal/sandbox) until SIGINT or SIGTERM:
//
//	go run ./hack/sandbox [--latency realistic|instant|scaled=0.1] [--faults 0.1] [--seed N] [--kube [--kube-cluster NAME]]
//
// With --kube it also runs a Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager 1.33, built by hack/build-kube.sh) that EKS
// DescribeCluster reports for the cluster --kube-cluster, and prints
// `export KUBECONFIG=...`, an admin kubeconfig in a temporary file removed on
// exit.
//
// It prints the environment that points AWS SDKs and eksenv at it, as
// `export NAME=value` lines a shell can eval, then a line `ready`:
//
//	eval "$(go run ./hack/sandbox | sed '/^ready$/q')"
//
// The proxy also answers GET /_sandbox/calls (call counts) and DELETE
// /_sandbox/calls (reset). moto_server must be on PATH
// (pip install "moto[server]==5.2.1").
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/eksenv/eksenv/internal/sandbox"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stderr)
	latency := fs.String("latency", "instant", "how long slow operations take: instant, realistic, or scaled=F (realistic times F)")
	faults := fs.Float64("faults", 0, "fraction of calls (0 to 1) answered with a throttling or internal error")
	seed := fs.Int64("seed", 1, "seed of the fault decisions")
	verbose := fs.Bool("v", false, "log the sandbox's diagnostics to stderr")
	kube := fs.Bool("kube", false, "also run a Kubernetes control plane (hack/build-kube.sh builds it) for the cluster --kube-cluster")
	kubeCluster := fs.String("kube-cluster", "eksenv", "the EKS cluster whose DescribeCluster reports the control plane (with --kube)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	lat, err := parseLatency(*latency)
	if err != nil {
		return err
	}
	if *faults < 0 || *faults > 1 {
		return fmt.Errorf("--faults %v: want a fraction between 0 and 1", *faults)
	}
	opts := sandbox.Options{Latency: lat, Seed: *seed}
	if *verbose {
		opts.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !*kube {
		s, err := sandbox.Start(ctx, opts)
		if err != nil {
			return err
		}
		s.SetFaults(*faults)
		for _, kv := range s.Env() {
			fmt.Fprintln(stdout, "export "+kv)
		}
		fmt.Fprintln(stdout, "ready")
		<-ctx.Done()
		fmt.Fprintln(stderr, "sandbox: stopping")
		return s.Stop()
	}

	s, cp, err := sandbox.StartWithControlPlane(ctx, opts, sandbox.ControlPlaneOptions{ClusterName: *kubeCluster, Logf: opts.Logf})
	if err != nil {
		return err
	}
	stopAll := func() error { return errors.Join(cp.Stop(), s.Stop()) }
	f, err := os.CreateTemp("", "eksenv-sandbox-kubeconfig-*")
	if err != nil {
		return errors.Join(err, stopAll())
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(cp.AdminKubeconfig()); err != nil {
		f.Close()
		return errors.Join(err, stopAll())
	}
	if err := f.Close(); err != nil {
		return errors.Join(err, stopAll())
	}
	s.SetFaults(*faults)
	for _, kv := range s.Env() {
		fmt.Fprintln(stdout, "export "+kv)
	}
	fmt.Fprintln(stdout, "export KUBECONFIG="+f.Name())
	fmt.Fprintln(stdout, "ready")
	<-ctx.Done()
	fmt.Fprintln(stderr, "sandbox: stopping")
	return stopAll()
}

// parseLatency reads the --latency flag.
func parseLatency(v string) (sandbox.Latency, error) {
	switch {
	case v == "instant":
		return sandbox.Latency{}, nil
	case v == "realistic":
		return sandbox.Realistic(), nil
	case strings.HasPrefix(v, "scaled="):
		f, err := strconv.ParseFloat(strings.TrimPrefix(v, "scaled="), 64)
		if err != nil || f < 0 {
			return sandbox.Latency{}, fmt.Errorf("--latency %s: want scaled=F with F a non-negative number", v)
		}
		return sandbox.Realistic().Scale(f), nil
	}
	return sandbox.Latency{}, errors.New("--latency " + v + ": want instant, realistic or scaled=F")
}
