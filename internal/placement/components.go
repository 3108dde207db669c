package placement

import (
	"fmt"

	"github.com/eksenv/eksenv/internal/spec"
)

// Component is one of eksenv's own system components: the pods a chart or
// add-on runs, as eksenv configures them (namespace, pod labels, service
// account). Render uses the same table, so what placement decides is what
// gets deployed.
type Component struct {
	// ID is a stable short name, e.g. karpenter.
	ID string
	// Title is what a person reads.
	Title    string
	Workload Workload
	// Enabled reports whether the spec installs it.
	Enabled bool
	// MustBeOnFargate marks components that cannot wait for EC2 capacity.
	MustBeOnFargate bool
}

// Service accounts and namespaces of the components.
const (
	KarpenterSA     = "karpenter"
	LoadBalancerSA  = "aws-load-balancer-controller"
	EBSControllerSA = "ebs-csi-controller-sa"
	EFSControllerSA = "efs-csi-controller-sa"
	S3NodeSA        = "s3-csi-driver-sa"
	SystemNamespace = "kube-system"
)

// Components lists eksenv's system components for the environment, in the
// order they are installed.
func Components(e *spec.Environment) []Component {
	st := e.Spec.Storage
	fargate := map[string]string{spec.FargateLabelKey: spec.FargateLabelValue}
	with := func(base map[string]string, extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	return []Component{
		{ID: "coredns", Title: "CoreDNS", Enabled: true, Workload: Workload{
			Name: "Deployment/coredns", Kind: "Deployment", Namespace: SystemNamespace,
			Labels:   map[string]string{"k8s-app": "kube-dns", "eks.amazonaws.com/component": "coredns"},
			CPUMilli: 100, MemoryMiB: 170}},
		{ID: "karpenter", Title: "Karpenter controller", Enabled: true, MustBeOnFargate: true, Workload: Workload{
			Name: "Deployment/karpenter", Kind: "Deployment", Namespace: e.Spec.Karpenter.Namespace,
			Labels:         with(map[string]string{"app.kubernetes.io/name": "karpenter", "app.kubernetes.io/instance": "karpenter"}, fargate),
			ServiceAccount: KarpenterSA, NeedsAWS: true,
			CPUMilli: milli(e.Spec.Karpenter.Controller.CPU), MemoryMiB: mebi(e.Spec.Karpenter.Controller.Memory)}},
		{ID: "aws-load-balancer-controller", Title: "AWS Load Balancer Controller", Enabled: e.Spec.LoadBalancerController.IsEnabled(), Workload: Workload{
			Name: "Deployment/aws-load-balancer-controller", Kind: "Deployment", Namespace: SystemNamespace,
			Labels:         with(map[string]string{"app.kubernetes.io/name": "aws-load-balancer-controller", "app.kubernetes.io/instance": "aws-load-balancer-controller"}, fargate),
			ServiceAccount: LoadBalancerSA, NeedsAWS: true, CPUMilli: 200, MemoryMiB: 512}},
		{ID: "ebs-csi-controller", Title: "EBS CSI controller", Enabled: st.EBS.IsEnabled(), Workload: Workload{
			Name: "Deployment/ebs-csi-controller", Kind: "Deployment", Namespace: SystemNamespace,
			Labels:         map[string]string{"app": "ebs-csi-controller", "app.kubernetes.io/name": "aws-ebs-csi-driver"},
			ServiceAccount: EBSControllerSA, NeedsAWS: true}},
		{ID: "ebs-csi-node", Title: "EBS CSI node driver", Enabled: st.EBS.IsEnabled(), Workload: Workload{
			Name: "DaemonSet/ebs-csi-node", Kind: "DaemonSet", Namespace: SystemNamespace, Privileged: true,
			Labels: map[string]string{"app": "ebs-csi-node", "app.kubernetes.io/name": "aws-ebs-csi-driver"}}},
		{ID: "efs-csi-controller", Title: "EFS CSI controller", Enabled: st.EFS.IsEnabled(), Workload: Workload{
			Name: "Deployment/efs-csi-controller", Kind: "Deployment", Namespace: SystemNamespace,
			Labels:         map[string]string{"app": "efs-csi-controller", "app.kubernetes.io/name": "aws-efs-csi-driver"},
			ServiceAccount: EFSControllerSA, NeedsAWS: true}},
		{ID: "efs-csi-node", Title: "EFS CSI node driver", Enabled: st.EFS.IsEnabled(), Workload: Workload{
			Name: "DaemonSet/efs-csi-node", Kind: "DaemonSet", Namespace: SystemNamespace, Privileged: true,
			Labels: map[string]string{"app": "efs-csi-node", "app.kubernetes.io/name": "aws-efs-csi-driver"}}},
		{ID: "s3-csi-node", Title: "Mountpoint S3 CSI node driver", Enabled: st.S3.IsEnabled(), Workload: Workload{
			Name: "DaemonSet/s3-csi-node", Kind: "DaemonSet", Namespace: SystemNamespace, Privileged: true,
			Labels:         map[string]string{"app": "s3-csi-node", "app.kubernetes.io/name": "aws-mountpoint-s3-csi-driver"},
			ServiceAccount: S3NodeSA, NeedsAWS: true}},
		{ID: "eks-pod-identity-agent", Title: "EKS Pod Identity agent", Enabled: true, Workload: Workload{
			Name: "DaemonSet/eks-pod-identity-agent", Kind: "DaemonSet", Namespace: SystemNamespace, HostNetwork: true,
			Labels: map[string]string{"app.kubernetes.io/name": "eks-pod-identity-agent"}}},
	}
}

// Placed is a component with its decision.
type Placed struct {
	Component
	Decision Decision
}

// PlaceComponents decides every enabled component.
func PlaceComponents(e *spec.Environment) []Placed {
	var out []Placed
	for _, c := range Components(e) {
		if c.Enabled {
			out = append(out, Placed{Component: c, Decision: Decide(e, c.Workload)})
		}
	}
	return out
}

// Find returns the placed component with that ID.
func Find(placed []Placed, id string) (Placed, bool) {
	for _, p := range placed {
		if p.ID == id {
			return p, true
		}
	}
	return Placed{}, false
}

// Check reports placement problems of the environment's components: what
// cannot run where the Fargate profiles put it, Karpenter without Fargate,
// selectors aimed at DaemonSets, and CoreDNS waiting for EC2 capacity.
func Check(e *spec.Environment) spec.Problems {
	r := &spec.Reporter{}
	for _, p := range PlaceComponents(e) {
		d := p.Decision
		w := p.Workload
		switch {
		case p.MustBeOnFargate && d.Where != OnFargate:
			r.Errorf("spec.fargate.profiles", "no Fargate profile selects the %s (namespace %s); it cannot run on the EC2 nodes it would launch itself. Add a selector {namespace: %s}",
				p.Title, w.Namespace, w.Namespace)
		case d.Where == OnFargate && len(d.Blockers) > 0:
			for _, b := range d.Blockers {
				r.Errorf(d.Fargate.Path, "selects %s (%s), which cannot run on Fargate: %s; narrow the selector with labels", w.Name, p.Title, b)
			}
		case d.Where == Nowhere:
			r.Errorf("spec.karpenter.nodePools", "no NodePool can run %s (%s)", w.Name, p.Title)
		}
		if p.ID == "coredns" && d.Where == OnEC2 {
			r.Warnf("spec.fargate.profiles", "CoreDNS runs on Karpenter's EC2 nodes: cluster DNS is down until the first node joins, and Karpenter is given dnsPolicy Default. Add a selector {namespace: kube-system, labels: {k8s-app: kube-dns}} to run it on Fargate")
		}
		if w.Kind == "DaemonSet" {
			checkDaemonSetSelectors(r, e, p)
		}
	}
	return r.Problems()
}

// checkDaemonSetSelectors flags selectors whose labels aim at a DaemonSet's
// pods: Fargate never runs DaemonSets, so such a selector does nothing.
func checkDaemonSetSelectors(r *spec.Reporter, e *spec.Environment, p Placed) {
	for i, prof := range e.Spec.Fargate.Profiles {
		for j, s := range prof.Selectors {
			if len(s.Labels) == 0 || !selects(s, p.Workload.Namespace, p.Workload.Labels) {
				continue
			}
			r.Errorf(fmt.Sprintf("spec.fargate.profiles[%d].selectors[%d]", i, j),
				"selects the pods of %s (%s), a DaemonSet; Fargate does not run DaemonSets, it runs on EC2 nodes only. Remove the selector", p.Workload.Name, p.Title)
		}
	}
}
