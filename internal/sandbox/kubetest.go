package sandbox

import (
	"context"
	"errors"
	"testing"
	"time"
)

// ForTestControlPlane starts a control plane for t (StartControlPlane with
// opts, BinDir from FindBinaries when empty, ClusterName "sandbox" when
// empty) and stops it in t.Cleanup. It skips t, with the reason, when the
// binaries are not built (hack/build-kube.sh builds them) and fails t on any
// other start error. Diagnostics go to t.Logf.
func ForTestControlPlane(t testing.TB, opts ControlPlaneOptions) *ControlPlane {
	t.Helper()
	skipWithoutKube(t, &opts)
	if opts.ClusterName == "" {
		opts.ClusterName = "sandbox"
	}
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	ctx, cancel := context.WithCancel(context.Background())
	cp, err := StartControlPlane(ctx, opts)
	if err != nil {
		cancel()
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() { defer cancel(); stopForTest(t, "control plane", cp.Stop) })
	return cp
}

// ForTestWithControlPlane is ForTest with a control plane for the cluster
// kube.ClusterName (StartWithControlPlane); it skips t when moto_server or
// the control plane's binaries are missing.
func ForTestWithControlPlane(t testing.TB, opts Options, kube ControlPlaneOptions) (*Sandbox, *ControlPlane) {
	t.Helper()
	if _, err := lookMoto(); err != nil {
		t.Skipf("sandbox: %v", err)
	}
	skipWithoutKube(t, &kube)
	if opts.Logf == nil {
		opts.Logf = t.Logf
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, cp, err := StartWithControlPlane(ctx, opts, kube)
	if err != nil {
		cancel()
		if errors.Is(err, ErrMotoNotFound) {
			t.Skipf("sandbox: %v", err)
		}
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() {
		defer cancel()
		stopForTest(t, "control plane", cp.Stop)
		stopForTest(t, "sandbox", s.Stop)
	})
	return s, cp
}

func skipWithoutKube(t testing.TB, opts *ControlPlaneOptions) {
	t.Helper()
	if opts.BinDir != "" {
		return
	}
	dir, err := FindBinaries()
	if err != nil {
		t.Skipf("sandbox: %v", err)
	}
	opts.BinDir = dir
}

func stopForTest(t testing.TB, what string, stop func() error) {
	done := make(chan error, 1)
	go func() { done <- stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("sandbox: stop the %s: %v", what, err)
		}
	case <-time.After(30 * time.Second):
		t.Errorf("sandbox: stopping the %s did not return within 30s", what)
	}
}
