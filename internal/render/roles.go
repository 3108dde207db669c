package render

import (
	"fmt"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/render/iam"
	"github.com/eksenv/eksenv/internal/spec"
)

// Policy is a customer-managed IAM policy eksenv creates.
type Policy struct {
	Name     string
	Document iam.Document
}

// ServiceAccountRef ties a role to the Kubernetes service account that uses
// it, and says how: Pod Identity association or IRSA annotation.
type ServiceAccountRef struct {
	Namespace   string
	Name        string
	Credentials string
}

// Role is one IAM role of the environment: its trust policy, the AWS
// managed policies attached to it and the policies eksenv creates for it.
type Role struct {
	// Key names the role's purpose, e.g. cluster, karpenter.
	Key             string
	Name            string
	Trust           iam.Document
	ManagedPolicies []string
	Policies        []Policy
	// ServiceAccount is set for roles that pods assume.
	ServiceAccount *ServiceAccountRef
}

// Roles lists every IAM role of the environment. A pod's role trusts
// pods.eks.amazonaws.com when the pod runs on EC2 (Pod Identity) and the
// cluster's OIDC provider when it runs on Fargate (IRSA), as placement
// decides.
func Roles(e *spec.Environment, p Params) []Role {
	ip := p.IAM(e)
	part := ip.Partition
	n := e.Names()
	roles := []Role{
		{Key: "cluster", Name: n.ClusterRole, Trust: iam.ClusterRoleTrustPolicy(), ManagedPolicies: iam.ClusterManagedPolicies(part)},
		{Key: "fargate-pod-execution", Name: n.FargatePodExecutionRole, Trust: iam.FargatePodExecutionTrustPolicy(ip), ManagedPolicies: iam.FargatePodExecutionManagedPolicies(part)},
		{Key: "karpenter-node", Name: n.KarpenterNodeRole, Trust: iam.KarpenterNodeTrustPolicy(), ManagedPolicies: iam.KarpenterNodeManagedPolicies(part)},
	}
	placed := placement.PlaceComponents(e)
	podRole := func(id, name string, managed []string, policies ...Policy) {
		c, ok := placement.Find(placed, id)
		if !ok {
			return
		}
		ref := &ServiceAccountRef{Namespace: c.Workload.Namespace, Name: c.Workload.ServiceAccount, Credentials: c.Decision.Credentials}
		trust := iam.PodIdentityTrustPolicy()
		if ref.Credentials == placement.CredIRSA {
			trust = iam.IRSATrustPolicy(ip, ref.Namespace, ref.Name)
		}
		roles = append(roles, Role{Key: id, Name: name, Trust: trust, ManagedPolicies: managed, Policies: policies, ServiceAccount: ref})
	}
	podRole("karpenter", n.KarpenterControllerRole, nil, Policy{Name: n.KarpenterPolicy, Document: iam.KarpenterControllerPolicy(ip)})
	podRole("aws-load-balancer-controller", n.LoadBalancerRole, nil, Policy{Name: n.LoadBalancerPolicy, Document: iam.LoadBalancerControllerPolicyFor(part)})
	podRole("ebs-csi-controller", n.EBSCSIRole, iam.EBSCSIManagedPolicies(part))
	podRole("efs-csi-controller", n.EFSCSIRole, iam.EFSCSIManagedPolicies(part))
	podRole("s3-csi-node", n.S3CSIRole, nil, Policy{Name: n.S3CSIPolicy, Document: iam.MountpointS3Policy(ip)})
	return roles
}

// RoleARN returns the ARN of the role with that key ("" when absent).
func RoleARN(e *spec.Environment, p Params, key string) string {
	for _, r := range Roles(e, p) {
		if r.Key == key {
			return iam.RoleARN(p.IAM(e), r.Name)
		}
	}
	return ""
}

// IAMFiles writes every IAM document. The seed's three keep their paths
// (eks/iam_policy.json, karpenter/karpenter-policy.json,
// karpenter/karpenter-node-role-trust-policy.json); the others go under iam/.
func IAMFiles(e *spec.Environment, p Params) ([]File, error) {
	seedPaths := map[string]string{
		e.Names().LoadBalancerPolicy:           "eks/iam_policy.json",
		e.Names().KarpenterPolicy:              "karpenter/karpenter-policy.json",
		"trust:" + e.Names().KarpenterNodeRole: "karpenter/karpenter-node-role-trust-policy.json",
	}
	var out []File
	add := func(path string, d iam.Document) error {
		data, err := d.JSON()
		if err != nil {
			return fmt.Errorf("render %s: %w", path, err)
		}
		out = append(out, File{Path: path, Data: data})
		return nil
	}
	for _, r := range Roles(e, p) {
		path, ok := seedPaths["trust:"+r.Name]
		if !ok {
			path = "iam/" + r.Key + "-trust-policy.json"
		}
		if err := add(path, r.Trust); err != nil {
			return nil, err
		}
		for _, pol := range r.Policies {
			path, ok := seedPaths[pol.Name]
			if !ok {
				path = "iam/" + r.Key + "-policy.json"
			}
			if err := add(path, pol.Document); err != nil {
				return nil, err
			}
		}
	}
	ip := p.IAM(e)
	if err := add("karpenter/interruption-queue-policy.json", iam.InterruptionQueuePolicy(ip)); err != nil {
		return nil, err
	}
	if e.Spec.Storage.S3.IsEnabled() {
		if err := add("iam/s3-bucket-policy.json", iam.S3BucketPolicy(ip)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
