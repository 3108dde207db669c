package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	tagging "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi"
	taggingtypes "github.com/aws/aws-sdk-go-v2/service/resourcegroupstaggingapi/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/spec"
)

// Tags the controllers put on what they create in AWS.
const (
	TagEKSClusterName  = "eks:eks-cluster-name"    // Karpenter's instances, launch templates, instance profiles
	TagKarpenterPool   = "karpenter.sh/nodepool"   // Karpenter's instances
	TagLBCCluster      = "elbv2.k8s.aws/cluster"   // the load balancer controller's load balancers, target groups, security groups
	TagEBSCSIVolumeKey = "ebs.csi.aws.com/cluster" // volumes the EBS CSI driver made
	TagKubernetesOwned = "kubernetes.io/cluster/"  // + cluster name, value owned
	TagCSIVolumeName   = "CSIVolumeName"           // volumes the EBS CSI driver made
)

type sweepEC2 interface {
	DescribeInstances(context.Context, *ec2.DescribeInstancesInput, ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	TerminateInstances(context.Context, *ec2.TerminateInstancesInput, ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	DescribeLaunchTemplates(context.Context, *ec2.DescribeLaunchTemplatesInput, ...func(*ec2.Options)) (*ec2.DescribeLaunchTemplatesOutput, error)
	DeleteLaunchTemplate(context.Context, *ec2.DeleteLaunchTemplateInput, ...func(*ec2.Options)) (*ec2.DeleteLaunchTemplateOutput, error)
	DescribeVolumes(context.Context, *ec2.DescribeVolumesInput, ...func(*ec2.Options)) (*ec2.DescribeVolumesOutput, error)
	DeleteVolume(context.Context, *ec2.DeleteVolumeInput, ...func(*ec2.Options)) (*ec2.DeleteVolumeOutput, error)
	DescribeNetworkInterfaces(context.Context, *ec2.DescribeNetworkInterfacesInput, ...func(*ec2.Options)) (*ec2.DescribeNetworkInterfacesOutput, error)
	DeleteNetworkInterface(context.Context, *ec2.DeleteNetworkInterfaceInput, ...func(*ec2.Options)) (*ec2.DeleteNetworkInterfaceOutput, error)
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
}

type sweepELB interface {
	DescribeLoadBalancers(context.Context, *elasticloadbalancingv2.DescribeLoadBalancersInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeLoadBalancersOutput, error)
	DescribeTargetGroups(context.Context, *elasticloadbalancingv2.DescribeTargetGroupsInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error)
	DescribeTags(context.Context, *elasticloadbalancingv2.DescribeTagsInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTagsOutput, error)
	DeleteLoadBalancer(context.Context, *elasticloadbalancingv2.DeleteLoadBalancerInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DeleteLoadBalancerOutput, error)
	DeleteTargetGroup(context.Context, *elasticloadbalancingv2.DeleteTargetGroupInput, ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DeleteTargetGroupOutput, error)
}

type sweepIAM interface {
	ListInstanceProfiles(context.Context, *iam.ListInstanceProfilesInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesOutput, error)
	RemoveRoleFromInstanceProfile(context.Context, *iam.RemoveRoleFromInstanceProfileInput, ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteInstanceProfile(context.Context, *iam.DeleteInstanceProfileInput, ...func(*iam.Options)) (*iam.DeleteInstanceProfileOutput, error)
}

type taggingAPI interface {
	GetResources(context.Context, *tagging.GetResourcesInput, ...func(*tagging.Options)) (*tagging.GetResourcesOutput, error)
}

// Swept is one thing the sweep removed or found left.
type Swept struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Why says how it was recognised (which tag).
	Why string `json:"why"`
}

// String is "kind id (why)".
func (s Swept) String() string { return fmt.Sprintf("%s %s (%s)", s.Kind, s.ID, s.Why) }

// Sweep removes what the controllers created in AWS for this cluster and
// eksenv's graph does not hold: Karpenter's instances (waiting until they
// are terminated), launch templates and instance profiles, the load
// balancer controller's load balancers, target groups and security groups,
// the EBS CSI driver's volumes, and network interfaces left available in the
// environment's VPC. It runs before the graph is destroyed, since these hold
// the subnets and security groups. vpcID may be empty (nothing VPC-scoped
// is swept then).
func (c *Cloud) Sweep(ctx context.Context, vpcID string, report func(string)) ([]Swept, error) {
	cluster := c.Names().Cluster
	var done []Swept
	var errs []error
	note := func(s Swept, err error) {
		if err != nil && !notFound(err) {
			errs = append(errs, fmt.Errorf("delete %s: %w", s, err))
			return
		}
		done = append(done, s)
		report("removed " + s.String())
	}
	e2 := sweepEC2(c.C.EC2)
	// Instances first: they hold ENIs, volumes and security groups.
	var ids []string
	for _, f := range [][]ec2types.Filter{
		{{Name: sdk.String("tag:" + TagEKSClusterName), Values: []string{cluster}}, {Name: sdk.String("tag-key"), Values: []string{TagKarpenterPool}}},
		{{Name: sdk.String("tag:" + TagKubernetesOwned + cluster), Values: []string{"owned"}}},
	} {
		f = append(f, ec2types.Filter{Name: sdk.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}})
		p := ec2.NewDescribeInstancesPaginator(e2, &ec2.DescribeInstancesInput{Filters: f})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return done, fmt.Errorf("list Karpenter's instances: %w", err)
			}
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					if id := sdk.ToString(i.InstanceId); !contains(ids, id) {
						ids = append(ids, id)
					}
				}
			}
		}
	}
	if len(ids) > 0 {
		sort.Strings(ids)
		_, err := e2.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: ids})
		if err != nil {
			return done, fmt.Errorf("terminate Karpenter's instances %s: %w", strings.Join(ids, ", "), err)
		}
		report(fmt.Sprintf("terminating %d instances Karpenter launched", len(ids)))
		st := infra.NewState()
		st.OnReport(func(_ infra.Key, msg string) { report(msg) })
		err = c.wait(ctx, st, "sweep", "instances to terminate", func(ctx context.Context) (bool, string, error) {
			out, err := e2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: ids})
			if err != nil {
				return false, "", err
			}
			left := 0
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					if i.State != nil && i.State.Name != ec2types.InstanceStateNameTerminated {
						left++
					}
				}
			}
			return left == 0, fmt.Sprintf("%d of %d still running", left, len(ids)), nil
		})
		if err != nil {
			return done, err
		}
		for _, id := range ids {
			done = append(done, Swept{Kind: "instance", ID: id, Why: "launched by Karpenter for " + cluster})
		}
	}
	// Launch templates.
	lt, err := e2.DescribeLaunchTemplates(ctx, &ec2.DescribeLaunchTemplatesInput{Filters: []ec2types.Filter{{Name: sdk.String("tag:" + TagEKSClusterName), Values: []string{cluster}}}})
	if err != nil {
		return done, fmt.Errorf("list Karpenter's launch templates: %w", err)
	}
	for _, t := range lt.LaunchTemplates {
		_, err := e2.DeleteLaunchTemplate(ctx, &ec2.DeleteLaunchTemplateInput{LaunchTemplateId: t.LaunchTemplateId})
		note(Swept{Kind: "launch template", ID: sdk.ToString(t.LaunchTemplateName), Why: TagEKSClusterName + "=" + cluster}, err)
	}
	// Instance profiles Karpenter made: named <cluster>_<hash>.
	ip := iam.NewListInstanceProfilesPaginator(sweepIAM(c.C.IAM), &iam.ListInstanceProfilesInput{})
	for ip.HasMorePages() {
		out, err := ip.NextPage(ctx)
		if err != nil {
			return done, fmt.Errorf("list instance profiles: %w", err)
		}
		for _, p := range out.InstanceProfiles {
			name := sdk.ToString(p.InstanceProfileName)
			if !strings.HasPrefix(name, cluster+"_") {
				continue
			}
			for _, r := range p.Roles {
				if _, err := c.C.IAM.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{InstanceProfileName: p.InstanceProfileName, RoleName: r.RoleName}); err != nil && !notFound(err) {
					errs = append(errs, fmt.Errorf("remove role from instance profile %s: %w", name, err))
				}
			}
			_, err := c.C.IAM.DeleteInstanceProfile(ctx, &iam.DeleteInstanceProfileInput{InstanceProfileName: p.InstanceProfileName})
			note(Swept{Kind: "instance profile", ID: name, Why: "made by Karpenter for " + cluster}, err)
		}
	}
	// Load balancers and target groups of the load balancer controller.
	lbs, tgs, err := c.lbcResources(ctx)
	if err != nil {
		return done, err
	}
	for _, arn := range lbs {
		_, err := c.C.ELB.DeleteLoadBalancer(ctx, &elasticloadbalancingv2.DeleteLoadBalancerInput{LoadBalancerArn: sdk.String(arn)})
		note(Swept{Kind: "load balancer", ID: arn, Why: TagLBCCluster + "=" + cluster}, err)
	}
	for _, arn := range tgs {
		_, err := c.C.ELB.DeleteTargetGroup(ctx, &elasticloadbalancingv2.DeleteTargetGroupInput{TargetGroupArn: sdk.String(arn)})
		note(Swept{Kind: "target group", ID: arn, Why: TagLBCCluster + "=" + cluster}, err)
	}
	// Volumes the EBS CSI driver made (available: their claims are gone).
	vols, err := e2.DescribeVolumes(ctx, &ec2.DescribeVolumesInput{Filters: []ec2types.Filter{
		{Name: sdk.String("tag:" + TagKubernetesOwned + cluster), Values: []string{"owned"}},
		{Name: sdk.String("status"), Values: []string{"available"}},
	}})
	if err != nil {
		return done, fmt.Errorf("list the CSI driver's volumes: %w", err)
	}
	for _, v := range vols.Volumes {
		_, err := e2.DeleteVolume(ctx, &ec2.DeleteVolumeInput{VolumeId: v.VolumeId})
		note(Swept{Kind: "EBS volume", ID: sdk.ToString(v.VolumeId), Why: TagKubernetesOwned + cluster + "=owned"}, err)
	}
	if vpcID != "" {
		// Security groups the load balancer controller made.
		sgs, err := e2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
			{Name: sdk.String("vpc-id"), Values: []string{vpcID}},
			{Name: sdk.String("tag:" + TagLBCCluster), Values: []string{cluster}},
		}})
		if err != nil {
			return done, fmt.Errorf("list the load balancer controller's security groups: %w", err)
		}
		for _, g := range sgs.SecurityGroups {
			_, err := e2.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: g.GroupId})
			note(Swept{Kind: "security group", ID: sdk.ToString(g.GroupId), Why: TagLBCCluster + "=" + cluster}, err)
		}
		// Network interfaces the VPC CNI left available when its nodes went
		// (description aws-K8S-..., or its cluster tag): they keep subnets
		// from being deleted. Others (EFS mount targets, load balancers)
		// belong to their service and go with it.
		enis, err := e2.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{Filters: []ec2types.Filter{
			{Name: sdk.String("vpc-id"), Values: []string{vpcID}},
			{Name: sdk.String("status"), Values: []string{"available"}},
		}})
		if err != nil {
			return done, fmt.Errorf("list network interfaces: %w", err)
		}
		for _, n := range enis.NetworkInterfaces {
			if sdk.ToBool(n.RequesterManaged) || !cniInterface(n, cluster) {
				continue
			}
			_, err := e2.DeleteNetworkInterface(ctx, &ec2.DeleteNetworkInterfaceInput{NetworkInterfaceId: n.NetworkInterfaceId})
			note(Swept{Kind: "network interface", ID: sdk.ToString(n.NetworkInterfaceId), Why: "left available by the VPC CNI in " + vpcID}, err)
		}
	}
	return done, errors.Join(errs...)
}

func (c *Cloud) lbcResources(ctx context.Context) (lbs, tgs []string, err error) {
	cluster := c.Names().Cluster
	tagged := func(arns []string) ([]string, error) {
		var out []string
		for i := 0; i < len(arns); i += 20 {
			chunk := arns[i:min(i+20, len(arns))]
			t, err := c.C.ELB.DescribeTags(ctx, &elasticloadbalancingv2.DescribeTagsInput{ResourceArns: chunk})
			if err != nil {
				return nil, err
			}
			for _, d := range t.TagDescriptions {
				for _, tag := range d.Tags {
					if sdk.ToString(tag.Key) == TagLBCCluster && sdk.ToString(tag.Value) == cluster {
						out = append(out, sdk.ToString(d.ResourceArn))
					}
				}
			}
		}
		return out, nil
	}
	var all []string
	lp := elasticloadbalancingv2.NewDescribeLoadBalancersPaginator(sweepELB(c.C.ELB), &elasticloadbalancingv2.DescribeLoadBalancersInput{})
	for lp.HasMorePages() {
		out, err := lp.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list load balancers: %w", err)
		}
		for _, lb := range out.LoadBalancers {
			all = append(all, sdk.ToString(lb.LoadBalancerArn))
		}
	}
	if lbs, err = tagged(all); err != nil {
		return nil, nil, fmt.Errorf("read load balancer tags: %w", err)
	}
	all = nil
	tp := elasticloadbalancingv2.NewDescribeTargetGroupsPaginator(sweepELB(c.C.ELB), &elasticloadbalancingv2.DescribeTargetGroupsInput{})
	for tp.HasMorePages() {
		out, err := tp.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("list target groups: %w", err)
		}
		for _, tg := range out.TargetGroups {
			all = append(all, sdk.ToString(tg.TargetGroupArn))
		}
	}
	if tgs, err = tagged(all); err != nil {
		return nil, nil, fmt.Errorf("read target group tags: %w", err)
	}
	return lbs, tgs, nil
}

// Leftovers lists what the tagging API still finds of the environment:
// anything tagged eksenv.dev/environment=<name>, kubernetes.io/cluster/<name>,
// eks:eks-cluster-name=<name> or elbv2.k8s.aws/cluster=<name>, less what the
// caller knows is kept on purpose (by ARN or id substring).
func (c *Cloud) Leftovers(ctx context.Context, kept []string) ([]Swept, error) {
	cluster := c.Names().Cluster
	filters := []taggingtypes.TagFilter{
		{Key: sdk.String(spec.OwnerTagKey), Values: []string{c.Env.Metadata.Name}},
		{Key: sdk.String(TagKubernetesOwned + cluster)},
		{Key: sdk.String(TagEKSClusterName), Values: []string{cluster}},
		{Key: sdk.String(TagLBCCluster), Values: []string{cluster}},
	}
	var out []Swept
	seen := map[string]bool{}
	for _, f := range filters {
		p := tagging.NewGetResourcesPaginator(taggingAPI(c.C.Tagging), &tagging.GetResourcesInput{TagFilters: []taggingtypes.TagFilter{f}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return out, fmt.Errorf("list what is left through the tagging API: %w", err)
			}
			for _, m := range page.ResourceTagMappingList {
				arn := sdk.ToString(m.ResourceARN)
				if seen[arn] || isKept(arn, kept) {
					continue
				}
				seen[arn] = true
				out = append(out, Swept{Kind: arnKind(arn), ID: arn, Why: "tagged " + sdk.ToString(f.Key)})
			}
		}
	}
	out, err := c.dropGone(ctx, out)
	if err != nil {
		return out, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// dropGone removes what the tagging API still lists but is gone: AWS keeps
// terminated instances and deleted NAT gateways visible for a while.
func (c *Cloud) dropGone(ctx context.Context, in []Swept) ([]Swept, error) {
	var instances, nats []string
	for _, s := range in {
		switch s.Kind {
		case "ec2:instance":
			instances = append(instances, arnID(s.ID))
		case "ec2:natgateway":
			nats = append(nats, arnID(s.ID))
		}
	}
	gone := map[string]bool{}
	if len(instances) > 0 {
		out, err := c.C.EC2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: instances})
		if err != nil && !notFound(err) {
			return in, fmt.Errorf("check the state of left instances: %w", err)
		}
		if out != nil {
			for _, r := range out.Reservations {
				for _, i := range r.Instances {
					if i.State != nil && i.State.Name == ec2types.InstanceStateNameTerminated {
						gone[sdk.ToString(i.InstanceId)] = true
					}
				}
			}
		}
	}
	if len(nats) > 0 {
		out, err := c.C.EC2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: nats})
		if err != nil && !notFound(err) {
			return in, fmt.Errorf("check the state of left NAT gateways: %w", err)
		}
		if out != nil {
			for _, n := range out.NatGateways {
				if n.State == ec2types.NatGatewayStateDeleted {
					gone[sdk.ToString(n.NatGatewayId)] = true
				}
			}
		}
	}
	var out []Swept
	for _, s := range in {
		if !gone[arnID(s.ID)] {
			out = append(out, s)
		}
	}
	return out, nil
}

// arnID is the last path element of an ARN (i-..., nat-...).
func arnID(arn string) string {
	if i := strings.LastIndex(arn, "/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func isKept(arn string, kept []string) bool {
	for _, k := range kept {
		if k != "" && strings.Contains(arn, k) {
			return true
		}
	}
	return false
}

// arnKind is "service:resource-type" of an ARN.
func arnKind(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "resource"
	}
	typ, _, _ := strings.Cut(parts[5], "/")
	return parts[2] + ":" + typ
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TagCNICluster is the tag the VPC CNI puts on the interfaces it creates.
const TagCNICluster = "cluster.k8s.amazonaws.com/name"

func cniInterface(n ec2types.NetworkInterface, cluster string) bool {
	if strings.HasPrefix(sdk.ToString(n.Description), "aws-K8S-") {
		return true
	}
	for _, t := range n.TagSet {
		if sdk.ToString(t.Key) == TagCNICluster && sdk.ToString(t.Value) == cluster {
			return true
		}
	}
	return false
}
