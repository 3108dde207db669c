package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"
)

// DefaultAccountID is the account moto pretends to be when Options.AccountID
// is empty.
const DefaultAccountID = "123456789012"

// DefaultRegion is the region of Env and of unsigned requests when
// Options.Region is empty.
const DefaultRegion = "us-east-1"

// Options configure Start. The zero value is a sandbox with instant
// operations, no faults, account 123456789012 in us-east-1.
type Options struct {
	// AccountID is the 12-digit account moto reports; empty means
	// DefaultAccountID.
	AccountID string
	// Region is the region Env exports and the proxy assumes for requests
	// without a SigV4 credential scope; empty means DefaultRegion.
	Region string
	// Latency makes slow operations report their transitional states for
	// this long; the zero value is instant.
	Latency Latency
	// Seed seeds the fault-injection decisions; the same seed and the same
	// sequence of calls inject the same faults.
	Seed int64
	// ClusterEndpoint, when set, lets DescribeCluster report a real
	// Kubernetes API server instead of moto's made-up endpoint and CA: it is
	// called with the cluster name and returns the endpoint URL and the
	// base64 PEM CA bundle to report, or ok false to keep moto's.
	ClusterEndpoint func(name string) (endpoint, caData string, ok bool)
	// Logf, when set, receives the sandbox's diagnostics (moto's start and
	// stop, injected faults).
	Logf func(format string, args ...any)
}

// Sandbox is a running moto server behind the gap-filling proxy. Its methods
// are safe for concurrent use.
type Sandbox struct {
	opts     Options
	moto     *motoProcess
	proxy    *proxy
	server   *http.Server
	listener net.Listener
	endpoint string
	served   chan struct{}

	stopOnce sync.Once
	stopErr  error
	done     chan struct{} // closed by Stop
}

var accountIDPattern = regexp.MustCompile(`^\d{12}$`)

// Start starts moto_server (found on PATH) on a free loopback port and the
// proxy on another, and returns when both answer. ctx bounds the start (90 s
// when it has no deadline) and the sandbox's life: when ctx ends, the sandbox
// stops as if Stop were called. Callers must call Stop.
func Start(ctx context.Context, opts Options) (*Sandbox, error) {
	if opts.AccountID == "" {
		opts.AccountID = DefaultAccountID
	}
	if !accountIDPattern.MatchString(opts.AccountID) {
		return nil, fmt.Errorf("sandbox: account id %q is not 12 digits", opts.AccountID)
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sandbox: start: %w", err)
	}
	m, err := startMoto(ctx, opts.AccountID, opts.Logf)
	if err != nil {
		return nil, err
	}
	target, err := url.Parse(m.url())
	if err != nil {
		_ = m.stop()
		return nil, fmt.Errorf("sandbox: moto url: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = m.stop()
		return nil, fmt.Errorf("sandbox: listen for the proxy: %w", err)
	}
	p := newProxy(target, opts)
	s := &Sandbox{
		opts:     opts,
		moto:     m,
		proxy:    p,
		listener: ln,
		endpoint: "http://" + ln.Addr().String(),
		server:   &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second},
		served:   make(chan struct{}),
		done:     make(chan struct{}),
	}
	go func() {
		defer close(s.served)
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			opts.Logf("sandbox: proxy stopped: %v", err)
		}
	}()
	go func() {
		select {
		case <-ctx.Done():
			opts.Logf("sandbox: context ended (%v): stopping", ctx.Err())
			_ = s.Stop()
		case <-s.done:
		}
	}()
	opts.Logf("sandbox: proxy on %s in front of moto on %s", s.endpoint, m.url())
	return s, nil
}

// Endpoint is the proxy's URL (http://127.0.0.1:PORT): the endpoint every
// AWS client must use (BaseEndpoint, or AWS_ENDPOINT_URL from Env).
func (s *Sandbox) Endpoint() string { return s.endpoint }

// Region is the sandbox's default region.
func (s *Sandbox) Region() string { return s.opts.Region }

// AccountID is the account moto reports.
func (s *Sandbox) AccountID() string { return s.opts.AccountID }

// Env returns the environment (NAME=value) that points an AWS SDK or CLI at
// the sandbox: the endpoint, the region, dummy credentials, and no instance
// metadata lookups.
func (s *Sandbox) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + s.endpoint,
		"AWS_REGION=" + s.opts.Region,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=testing",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// MotoPID is the process id of moto_server, which is also its process
// group id (for tests that check Stop leaves nothing behind).
func (s *Sandbox) MotoPID() int { return s.moto.pid() }

// MotoOutput returns the last 64 KiB moto wrote to stdout and stderr.
func (s *Sandbox) MotoOutput() string { return s.moto.stderr.String() }

// Stop stops the proxy and moto's whole process group. It is idempotent and
// returns the same result every time.
func (s *Sandbox) Stop() error {
	s.stopOnce.Do(func() {
		close(s.done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errProxy := s.server.Shutdown(ctx)
		if errProxy != nil {
			errProxy = errors.Join(fmt.Errorf("sandbox: stop the proxy: %w", errProxy), s.server.Close())
		}
		<-s.served
		errMoto := s.moto.stop()
		s.stopErr = errors.Join(errProxy, errMoto)
		s.opts.Logf("sandbox: stopped")
	})
	return s.stopErr
}

// Calls returns how many calls the proxy has received per "service:Operation"
// (service as in the SigV4 credential scope: eks:CreateCluster,
// ec2:DescribeNatGateways, iam:CreateRole) since the start or the last
// ResetCalls. Calls answered with an injected fault count too.
func (s *Sandbox) Calls() map[string]int {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	return cloneCounts(s.proxy.calls)
}

// ResetCalls sets every count to zero.
func (s *Sandbox) ResetCalls() { s.proxy.resetCalls() }

// MutatingCalls returns how many of the counted calls were mutating: every
// operation not named Describe*, List*, Get* or Head*.
func (s *Sandbox) MutatingCalls() int {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	return s.proxy.mutating
}

// SetFaults makes the proxy fail the given fraction (0 to 1) of calls before
// forwarding them, so a failed call changes nothing. kinds chooses among
// Throttle and ServerError (both when none is given); MutatingOnly limits
// injection to mutating calls. Each call re-seeds the generator with
// Options.Seed, so a sequence of calls after SetFaults meets the same faults
// every run. SetFaults(0) turns injection off. The sandbox's own endpoints
// (/_sandbox/, /moto-api/) are never faulted.
func (s *Sandbox) SetFaults(rate float64, kinds ...Fault) {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	s.proxy.faults = parseFaults(rate, kinds)
	s.proxy.rng = newFaultRand(s.proxy.seed)
}

// SetLatency replaces the latency profile. Operations under way are judged
// by the new durations from their start, so SetLatency(Latency{}) finishes
// them all at once.
func (s *Sandbox) SetLatency(l Latency) {
	s.proxy.mu.Lock()
	defer s.proxy.mu.Unlock()
	s.proxy.latency = l
}
