package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

// ForTest starts a sandbox for t and stops it in t.Cleanup. It skips t under
// -short, and when
// moto_server is not on PATH (saying how to install it) and fails t on any
// other start error. The sandbox's diagnostics go to t.Logf.
func ForTest(t testing.TB, opts Options) *Sandbox {
	t.Helper()
	if testing.Short() {
		t.Skip("sandbox: integration test, starts moto server (run without -short)")
	}
	if _, err := lookMoto(); err != nil {
		t.Skipf("sandbox: %v", err)
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	// The sandbox lives as long as ctx: until the cleanup has stopped it.
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, opts)
	if err != nil {
		cancel()
	}
	if errors.Is(err, ErrMotoNotFound) {
		t.Skipf("sandbox: %v", err)
	}
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() {
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Stop() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sandbox: stop: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("sandbox: stop did not return within 30s")
		}
	})
	return s
}
