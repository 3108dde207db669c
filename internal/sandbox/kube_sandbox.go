package sandbox

import (
	"context"
	"errors"
	"sync/atomic"
)

// StartWithControlPlane starts a sandbox (Start with opts) and a Kubernetes
// control plane for the EKS cluster kube.ClusterName (StartControlPlane with
// kube) side by side, and wires them together: DescribeCluster of that
// cluster reports the control plane's endpoint and CA (for other clusters
// opts.ClusterEndpoint, if set, still answers), and the control plane's token
// webhook accepts EKS tokens presigned for the sandbox's STS endpoint as the
// account's user moto. ctx bounds both lives as in Start; callers must stop
// both (the control plane first is fine, so is either order).
func StartWithControlPlane(ctx context.Context, opts Options, kube ControlPlaneOptions) (*Sandbox, *ControlPlane, error) {
	if kube.ClusterName == "" {
		return nil, nil, errors.New("sandbox: a control plane needs ControlPlaneOptions.ClusterName")
	}
	if kube.AccountID == "" {
		kube.AccountID = opts.AccountID
	}
	if kube.Logf == nil {
		kube.Logf = opts.Logf
	}
	var cpRef atomic.Pointer[ControlPlane]
	user := opts.ClusterEndpoint
	opts.ClusterEndpoint = func(name string) (string, string, bool) {
		if cp := cpRef.Load(); cp != nil && name == cp.ClusterName() {
			return cp.Endpoint(), cp.CAData(), true
		}
		if user != nil {
			return user(name)
		}
		return "", "", false
	}

	type cpResult struct {
		cp  *ControlPlane
		err error
	}
	ch := make(chan cpResult, 1)
	go func() {
		cp, err := StartControlPlane(ctx, kube)
		ch <- cpResult{cp, err}
	}()
	s, err := Start(ctx, opts)
	r := <-ch
	if err != nil || r.err != nil {
		if s != nil {
			_ = s.Stop()
		}
		if r.cp != nil {
			_ = r.cp.Stop()
		}
		return nil, nil, errors.Join(err, r.err)
	}
	if kube.STSEndpoint == "" {
		r.cp.webhook.setSTSEndpoint(s.Endpoint())
		r.cp.opts.STSEndpoint = s.Endpoint()
	}
	cpRef.Store(r.cp)
	return s, r.cp, nil
}

// STSEndpoint is the endpoint whose presigned GetCallerIdentity URLs the
// token webhook accepts.
func (c *ControlPlane) STSEndpoint() string {
	c.webhook.mu.Lock()
	defer c.webhook.mu.Unlock()
	return c.webhook.opts.STSEndpoint
}

// TokenReviews returns how many EKS-token reviews the webhook accepted and
// refused (reviews of other tokens count as refused).
func (c *ControlPlane) TokenReviews() (accepted, refused int) {
	c.webhook.mu.Lock()
	defer c.webhook.mu.Unlock()
	return c.webhook.accepted, c.webhook.refused
}
