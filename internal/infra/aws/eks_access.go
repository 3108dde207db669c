package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

type accessAPI interface {
	CreatePodIdentityAssociation(context.Context, *eks.CreatePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.CreatePodIdentityAssociationOutput, error)
	ListPodIdentityAssociations(context.Context, *eks.ListPodIdentityAssociationsInput, ...func(*eks.Options)) (*eks.ListPodIdentityAssociationsOutput, error)
	DescribePodIdentityAssociation(context.Context, *eks.DescribePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.DescribePodIdentityAssociationOutput, error)
	UpdatePodIdentityAssociation(context.Context, *eks.UpdatePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.UpdatePodIdentityAssociationOutput, error)
	DeletePodIdentityAssociation(context.Context, *eks.DeletePodIdentityAssociationInput, ...func(*eks.Options)) (*eks.DeletePodIdentityAssociationOutput, error)
	CreateAccessEntry(context.Context, *eks.CreateAccessEntryInput, ...func(*eks.Options)) (*eks.CreateAccessEntryOutput, error)
	DescribeAccessEntry(context.Context, *eks.DescribeAccessEntryInput, ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
	DeleteAccessEntry(context.Context, *eks.DeleteAccessEntryInput, ...func(*eks.Options)) (*eks.DeleteAccessEntryOutput, error)
	AssociateAccessPolicy(context.Context, *eks.AssociateAccessPolicyInput, ...func(*eks.Options)) (*eks.AssociateAccessPolicyOutput, error)
	ListAssociatedAccessPolicies(context.Context, *eks.ListAssociatedAccessPoliciesInput, ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error)
}

// podIdentityResources are the associations of the chart-installed
// components that run on EC2 (the add-ons carry their own in CreateAddon).
func podIdentityResources(c *Cloud) []infra.Resource {
	var out []infra.Resource
	for _, id := range []string{"karpenter", "aws-load-balancer-controller"} {
		role, placed, ok := componentRole(c, id)
		if !ok || placed.Decision.Credentials != placement.CredPodIdentity {
			continue
		}
		out = append(out, &podIdentity{c: c, id: id, ns: placed.Workload.Namespace, sa: placed.Workload.ServiceAccount, roleName: role.Name})
	}
	return out
}

type podIdentity struct {
	c                    *Cloud
	id, ns, sa, roleName string
}

func (r *podIdentity) Key() infra.Key { return KeyPodIdentity(r.ns, r.sa) }
func (r *podIdentity) Describe() string {
	return fmt.Sprintf("Pod Identity association %s/%s -> %s", r.ns, r.sa, r.roleName)
}
func (r *podIdentity) Deps() []infra.Key { return []infra.Key{KeyCluster, KeyRole(r.id)} }
func (r *podIdentity) api() accessAPI    { return r.c.C.EKS }

func (r *podIdentity) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	if o, ok := s.Get(KeyCluster); ok && !o.Exists {
		return infra.Observation{}, nil
	}
	out, err := r.api().ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{
		ClusterName: sdk.String(r.c.Names().Cluster), Namespace: sdk.String(r.ns), ServiceAccount: sdk.String(r.sa)})
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, err
	}
	if len(out.Associations) == 0 {
		return infra.Observation{}, nil
	}
	id := sdk.ToString(out.Associations[0].AssociationId)
	d, err := r.api().DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: sdk.String(r.c.Names().Cluster), AssociationId: sdk.String(id)})
	if err != nil {
		return infra.Observation{}, err
	}
	o := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}
	a := d.Association
	if !r.c.Owned(a.Tags) {
		o.Foreign = fmt.Sprintf("a Pod Identity association for %s/%s exists and is not tagged %s=%s", r.ns, r.sa, spec.OwnerTagKey, r.c.Env.Metadata.Name)
		return o, nil
	}
	if want := roleARN(r.c, r.roleName); sdk.ToString(a.RoleArn) != want {
		o.Changes = append(o.Changes, fmt.Sprintf("role %s, want %s", sdk.ToString(a.RoleArn), want))
	}
	return o, nil
}

func (r *podIdentity) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	want := roleARN(r.c, r.roleName)
	if cur.Exists {
		_, err := r.api().UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{
			ClusterName: sdk.String(r.c.Names().Cluster), AssociationId: sdk.String(cur.ID), RoleArn: sdk.String(want)})
		return cur, err
	}
	out, err := r.api().CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{
		ClusterName: sdk.String(r.c.Names().Cluster), Namespace: sdk.String(r.ns), ServiceAccount: sdk.String(r.sa),
		RoleArn: sdk.String(want), Tags: r.c.Tags(nil), ClientRequestToken: sdk.String(r.c.Names().Cluster + "-" + r.ns + "-" + r.sa)})
	if err != nil {
		return cur, err
	}
	id := sdk.ToString(out.Association.AssociationId)
	return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}, nil
}

func (r *podIdentity) Delete(ctx context.Context, _ *infra.State, cur infra.Observation) error {
	_, err := r.api().DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: sdk.String(r.c.Names().Cluster), AssociationId: sdk.String(cur.ID)})
	if notFound(err) {
		return nil
	}
	return err
}

// Access policies.
const (
	ClusterAdminPolicy = "AmazonEKSClusterAdminPolicy"
	AdminPolicy        = "AmazonEKSAdminPolicy"
	EditPolicy         = "AmazonEKSEditPolicy"
	ViewPolicy         = "AmazonEKSViewPolicy"
)

// AccessPolicyARN is the ARN of an EKS access policy.
func AccessPolicyARN(partition, name string) string {
	return "arn:" + partition + ":eks::aws:cluster-access-policy/" + name
}

// accessEntryResources are the node role's EC2_LINUX entry (Karpenter's
// nodes join with it) and an admin entry per spec.access.admins (what makes
// the EKS console show the cluster's resources).
func accessEntryResources(c *Cloud) []infra.Resource {
	node := roleARN(c, c.Names().KarpenterNodeRole)
	out := []infra.Resource{&accessEntry{c: c, principal: node, typ: "EC2_LINUX", dep: KeyRole("karpenter-node")}}
	for _, a := range c.Env.Spec.Access.Admins {
		out = append(out, &accessEntry{c: c, principal: a, typ: "STANDARD", policy: ClusterAdminPolicy})
	}
	return out
}

type accessEntry struct {
	c         *Cloud
	principal string
	typ       string
	policy    string // "" for none (EC2_LINUX takes none)
	dep       infra.Key
}

func (r *accessEntry) Key() infra.Key { return KeyAccessEntry(r.principal) }
func (r *accessEntry) Describe() string {
	if r.policy == "" {
		return fmt.Sprintf("access entry %s (%s)", r.principal, r.typ)
	}
	return fmt.Sprintf("access entry %s (%s, %s)", r.principal, r.typ, r.policy)
}
func (r *accessEntry) Deps() []infra.Key {
	if r.dep != "" {
		return []infra.Key{KeyCluster, r.dep}
	}
	return []infra.Key{KeyCluster}
}
func (r *accessEntry) api() accessAPI { return r.c.C.EKS }

func (r *accessEntry) hasPolicy(ctx context.Context) (bool, error) {
	if r.policy == "" {
		return true, nil
	}
	out, err := r.api().ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: sdk.String(r.c.Names().Cluster), PrincipalArn: sdk.String(r.principal)})
	if err != nil {
		return false, err
	}
	want := AccessPolicyARN(r.c.Env.Partition(), r.policy)
	for _, p := range out.AssociatedAccessPolicies {
		if sdk.ToString(p.PolicyArn) == want && p.AccessScope != nil && p.AccessScope.Type == ekstypes.AccessScopeTypeCluster {
			return true, nil
		}
	}
	return false, nil
}

func (r *accessEntry) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	if o, ok := s.Get(KeyCluster); ok && !o.Exists {
		return infra.Observation{}, nil
	}
	out, err := r.api().DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: sdk.String(r.c.Names().Cluster), PrincipalArn: sdk.String(r.principal)})
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, err
	}
	o := infra.Observation{Exists: true, ID: sdk.ToString(out.AccessEntry.AccessEntryArn), Outputs: map[string]string{"arn": sdk.ToString(out.AccessEntry.AccessEntryArn)}}
	ok, err := r.hasPolicy(ctx)
	if err != nil {
		return o, err
	}
	if !r.c.Owned(out.AccessEntry.Tags) {
		// The cluster creator's own entry, made by EKS: kept as it is,
		// and enough when it already has the policy.
		if !ok {
			o.Foreign = fmt.Sprintf("an access entry for %s exists, was not made by eksenv and lacks %s", r.principal, r.policy)
		}
		o.Retain = "access entry not made by eksenv"
		return o, nil
	}
	if got := sdk.ToString(out.AccessEntry.Type); got != r.typ {
		o.Changes = append(o.Changes, fmt.Sprintf("type %s, want %s", got, r.typ))
	}
	if !ok {
		o.Changes = append(o.Changes, r.policy+" not associated")
	}
	return o, nil
}

func (r *accessEntry) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	cluster := sdk.String(r.c.Names().Cluster)
	if !cur.Exists {
		out, err := r.api().CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: sdk.String(r.principal),
			Type: sdk.String(r.typ), Tags: r.c.Tags(nil), ClientRequestToken: sdk.String(r.c.Names().Cluster + "-" + r.principal)})
		if err != nil && ErrorCode(err) != "ResourceInUseException" {
			return cur, err
		}
		if out != nil && out.AccessEntry != nil {
			cur = infra.Observation{Exists: true, ID: sdk.ToString(out.AccessEntry.AccessEntryArn), Outputs: map[string]string{"arn": sdk.ToString(out.AccessEntry.AccessEntryArn)}}
		}
	}
	if r.policy != "" {
		if _, err := r.api().AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: sdk.String(r.principal),
			PolicyArn: sdk.String(AccessPolicyARN(r.c.Env.Partition(), r.policy)), AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}}); err != nil {
			return cur, err
		}
	}
	cur.Exists = true
	return cur, nil
}

func (r *accessEntry) Delete(ctx context.Context, _ *infra.State, _ infra.Observation) error {
	_, err := r.api().DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: sdk.String(r.c.Names().Cluster), PrincipalArn: sdk.String(r.principal)})
	if notFound(err) {
		return nil
	}
	return err
}
