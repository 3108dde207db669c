package render

import (
	"fmt"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

// Chart is a Helm release eksenv installs.
type Chart struct {
	// Release and Namespace of the Helm release.
	Release   string
	Namespace string
	// Ref is the chart: an oci:// reference, or Repo plus Name.
	Ref     string
	Repo    string
	Name    string
	Version string
	// ValuesPath is where the values are written in the tree.
	ValuesPath string
	Values     map[string]any
}

// IRSAAnnotation is the service account annotation IRSA reads.
const IRSAAnnotation = "eks.amazonaws.com/role-arn"

// Charts returns the Helm releases of the environment with their values.
func Charts(e *spec.Environment, p Params) []Chart {
	placed := placement.PlaceComponents(e)
	out := []Chart{KarpenterChart(e, p, placed)}
	if e.Spec.LoadBalancerController.IsEnabled() {
		out = append(out, LoadBalancerChart(e, p, placed))
	}
	return out
}

// serviceAccount is the chart's serviceAccount block: the IRSA annotation
// when the component runs on Fargate; nothing extra for Pod Identity, whose
// association is made through the EKS API.
func serviceAccount(e *spec.Environment, p Params, c placement.Placed, roleKey string) map[string]any {
	sa := map[string]any{"create": true, "name": c.Workload.ServiceAccount}
	if c.Decision.Credentials == placement.CredIRSA {
		sa["annotations"] = map[string]any{IRSAAnnotation: RoleARN(e, p, roleKey)}
	}
	return sa
}

func resources(cpu, mem string) map[string]any {
	r := map[string]any{"cpu": cpu, "memory": mem}
	return map[string]any{"requests": r, "limits": r}
}

func fargateLabels() map[string]any {
	return map[string]any{spec.FargateLabelKey: spec.FargateLabelValue}
}

// KarpenterChart is the Karpenter 1.6.3 chart: the cluster name, the
// interruption queue (never empty: an empty value silently disables
// interruption handling), credentials by placement, AWS_REGION on Fargate
// (no instance metadata there), dnsPolicy Default when CoreDNS itself waits
// for Karpenter's nodes, and requests equal to limits. The CRDs are applied
// by eksenv from the embedded v1.6.3 definitions, so the chart's are skipped.
func KarpenterChart(e *spec.Environment, p Params, placed []placement.Placed) Chart {
	k := e.Spec.Karpenter
	c, _ := placement.Find(placed, "karpenter")
	dns, _ := placement.Find(placed, "coredns")
	dnsPolicy := "ClusterFirst"
	if dns.Decision.Where != placement.OnFargate {
		dnsPolicy = "Default"
	}
	controller := map[string]any{"resources": resources(k.Controller.CPU, k.Controller.Memory)}
	if c.Decision.Where == placement.OnFargate {
		controller["env"] = []any{map[string]any{"name": "AWS_REGION", "value": e.Spec.Region}}
	}
	values := map[string]any{
		"settings": map[string]any{
			"clusterName":       e.Names().Cluster,
			"interruptionQueue": e.Names().InterruptionQueue,
		},
		"serviceAccount": serviceAccount(e, p, c, "karpenter"),
		"controller":     controller,
		"dnsPolicy":      dnsPolicy,
		"podLabels":      fargateLabels(),
		"replicas":       2,
	}
	return Chart{
		Release: "karpenter", Namespace: k.Namespace,
		Ref: "oci://public.ecr.aws/karpenter/karpenter", Name: "karpenter", Version: k.Version,
		ValuesPath: "karpenter/karpenter-values.yaml", Values: values,
	}
}

// LoadBalancerChart is the AWS Load Balancer Controller chart with the
// cluster name, region and VPC id set (required on Fargate, where there is
// no instance metadata to discover them) and credentials by placement.
func LoadBalancerChart(e *spec.Environment, p Params, placed []placement.Placed) Chart {
	c, _ := placement.Find(placed, "aws-load-balancer-controller")
	values := map[string]any{
		"clusterName":    e.Names().Cluster,
		"region":         e.Spec.Region,
		"vpcId":          p.VPCID,
		"serviceAccount": serviceAccount(e, p, c, "aws-load-balancer-controller"),
		"podLabels":      fargateLabels(),
		"replicaCount":   2,
		"resources":      resources("200m", "512Mi"),
	}
	return Chart{
		Release: "aws-load-balancer-controller", Namespace: placement.SystemNamespace,
		Repo: "https://aws.github.io/eks-charts", Name: "aws-load-balancer-controller", Version: e.Spec.LoadBalancerController.Version,
		ValuesPath: "eks/aws-load-balancer-controller-values.yaml", Values: values,
	}
}

// ValuesFiles writes the values of every chart, with a comment naming the
// chart and version.
func ValuesFiles(e *spec.Environment, p Params) ([]File, error) {
	var out []File
	for _, c := range Charts(e, p) {
		data, err := MarshalYAML(c.Values)
		if err != nil {
			return nil, fmt.Errorf("render %s: %w", c.ValuesPath, err)
		}
		ref := c.Ref
		if ref == "" {
			ref = c.Repo + " " + c.Name
		}
		head := fmt.Sprintf("# Helm values for %s %s, release %s in namespace %s.\n", ref, c.Version, c.Release, c.Namespace)
		out = append(out, File{Path: c.ValuesPath, Data: append([]byte(head), data...)})
	}
	return out, nil
}
