package aws

import (
	"context"
	"fmt"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/spec"
)

// vpcRes is a new VPC, with DNS support and hostnames (EKS needs both).
type vpcRes struct {
	netBase
	cidr string
}

func (r *vpcRes) Describe() string { return fmt.Sprintf("VPC %s %s", r.name, r.cidr) }

func vpcIDOf(v ec2types.Vpc) string { return sdk.ToString(v.VpcId) }

// look finds the environment's VPCs: the one in use (with the most subnets
// of the environment), else the lowest id, and the duplicates.
func (r *vpcRes) look(ctx context.Context) (*ec2types.Vpc, []ec2types.Vpc, error) {
	out, err := r.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: r.filters()})
	if err != nil {
		return nil, nil, fmt.Errorf("describe VPCs: %w", err)
	}
	var vpcs []ec2types.Vpc
	for _, v := range out.Vpcs {
		if r.owns(v.Tags) {
			vpcs = append(vpcs, v)
		}
	}
	used := map[string]int{}
	if len(vpcs) > 1 {
		subs, err := r.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{
			netFilter("vpc-id", netIDs(vpcs, vpcIDOf)...),
			netFilter("tag:"+spec.OwnerTagKey, r.c.Env.Metadata.Name),
		}})
		if err != nil {
			return nil, nil, fmt.Errorf("describe subnets: %w", err)
		}
		for _, sn := range subs.Subnets {
			if r.c.Owned(fromEC2Tags(sn.Tags)) {
				used[sdk.ToString(sn.VpcId)]++
			}
		}
	}
	v, extras := netPick(vpcs, vpcIDOf, func(v ec2types.Vpc) int { return -used[vpcIDOf(v)] })
	return v, extras, nil
}

func (r *vpcRes) Observe(ctx context.Context, _ *infra.State) (infra.Observation, error) {
	v, extras, err := r.look(ctx)
	if err != nil || v == nil {
		return infra.Observation{}, err
	}
	return r.observe(ctx, v, extras)
}

func (r *vpcRes) observe(ctx context.Context, v *ec2types.Vpc, extras []ec2types.Vpc) (infra.Observation, error) {
	id, cidr := vpcIDOf(*v), sdk.ToString(v.CidrBlock)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id, "cidr": cidr}}
	if cidr != r.cidr {
		obs.Changes = append(obs.Changes, fmt.Sprintf("range is %s, the spec asks for %s (a VPC's range cannot change)", cidr, r.cidr))
	}
	if v.State != ec2types.VpcStateAvailable {
		obs.Changes = append(obs.Changes, fmt.Sprintf("state %s, not yet available", v.State))
	}
	support, hostnames, err := r.dns(ctx, id)
	if err != nil {
		return obs, err
	}
	if !support {
		obs.Changes = append(obs.Changes, "DNS support disabled")
	}
	if !hostnames {
		obs.Changes = append(obs.Changes, "DNS hostnames disabled")
	}
	obs.Changes = append(obs.Changes, r.tagChanges(v.Tags, nil)...)
	if len(extras) > 0 {
		obs.Changes = append(obs.Changes, netExtras("VPCs", netIDs(extras, vpcIDOf)))
	}
	return obs, nil
}

// dns reads the VPC's DNS support and DNS hostnames attributes.
func (r *vpcRes) dns(ctx context.Context, id string) (support, hostnames bool, err error) {
	for _, a := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
		out, err := r.ec2.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: sdk.String(id), Attribute: a})
		if err != nil {
			return false, false, fmt.Errorf("describe %s of %s: %w", a, id, err)
		}
		switch a {
		case ec2types.VpcAttributeNameEnableDnsSupport:
			support = out.EnableDnsSupport != nil && sdk.ToBool(out.EnableDnsSupport.Value)
		default:
			hostnames = out.EnableDnsHostnames != nil && sdk.ToBool(out.EnableDnsHostnames.Value)
		}
	}
	return support, hostnames, nil
}

// get describes one VPC by id; found is false while it is not visible yet.
func (r *vpcRes) get(ctx context.Context, id string) (*ec2types.Vpc, bool, error) {
	out, err := r.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	if notFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("describe VPC %s: %w", id, err)
	}
	if len(out.Vpcs) == 0 {
		return nil, false, nil
	}
	return &out.Vpcs[0], true, nil
}

func (r *vpcRes) Apply(ctx context.Context, s *infra.State, _ infra.Observation) (infra.Observation, error) {
	v, extras, err := r.look(ctx)
	if err != nil {
		return infra.Observation{}, err
	}
	if v == nil {
		out, err := r.ec2.CreateVpc(ctx, &ec2.CreateVpcInput{
			CidrBlock:         sdk.String(r.cidr),
			TagSpecifications: r.tagSpec(ec2types.ResourceTypeVpc, nil),
		})
		if err != nil {
			return infra.Observation{}, fmt.Errorf("create VPC %s: %w", r.cidr, err)
		}
		v = out.Vpc
	}
	id := vpcIDOf(*v)
	if cidr := sdk.ToString(v.CidrBlock); cidr != r.cidr {
		return infra.Observation{}, fmt.Errorf("VPC %s has the range %s but spec.network.vpcCIDR is %s: a VPC's range cannot change; restore vpcCIDR, or run eksenv down first to replace the network", id, cidr, r.cidr)
	}
	err = r.c.wait(ctx, s, r.key, "VPC "+id, func(ctx context.Context) (bool, string, error) {
		got, found, err := r.get(ctx, id)
		if err != nil || !found {
			return false, "not visible yet", err
		}
		v = got
		return v.State == ec2types.VpcStateAvailable, string(v.State), nil
	})
	if err != nil {
		return infra.Observation{}, err
	}
	support, hostnames, err := r.dns(ctx, id)
	if err != nil {
		return infra.Observation{}, err
	}
	// DNS hostnames need DNS support: set support first, one attribute per call.
	if !support {
		if _, err := r.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: sdk.String(id), EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: sdk.Bool(true)}}); err != nil {
			return infra.Observation{}, fmt.Errorf("enable DNS support of %s: %w", id, err)
		}
	}
	if !hostnames {
		if _, err := r.ec2.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: sdk.String(id), EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: sdk.Bool(true)}}); err != nil {
			return infra.Observation{}, fmt.Errorf("enable DNS hostnames of %s: %w", id, err)
		}
	}
	if err := r.fixTags(ctx, id, v.Tags, nil); err != nil {
		return infra.Observation{}, err
	}
	for _, x := range extras {
		if err := purgeVPC(ctx, r.c, r.ec2, s, r.key, vpcIDOf(x)); err != nil {
			return infra.Observation{}, fmt.Errorf("delete duplicate VPC %s: %w", vpcIDOf(x), err)
		}
	}
	v, found, err := r.get(ctx, id)
	if err != nil {
		return infra.Observation{}, err
	}
	if !found {
		return infra.Observation{}, fmt.Errorf("VPC %s vanished while being set up", id)
	}
	return r.observe(ctx, v, nil)
}

// Delete deletes the VPC and any duplicate, each after what the environment
// left inside it.
func (r *vpcRes) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	v, extras, err := r.look(ctx)
	if err != nil || v == nil {
		return err
	}
	for _, x := range append([]ec2types.Vpc{*v}, extras...) {
		if err := purgeVPC(ctx, r.c, r.ec2, s, r.key, vpcIDOf(x)); err != nil {
			return err
		}
	}
	return nil
}

// existingVPCRes is a VPC eksenv uses but does not own: it is observed,
// checked, and never changed or deleted.
type existingVPCRes struct {
	netBase
	x *spec.ExistingVPC
}

func (r *existingVPCRes) Describe() string {
	return fmt.Sprintf("existing VPC %s (not owned by eksenv)", r.x.VPCID)
}

func (r *existingVPCRes) Observe(ctx context.Context, _ *infra.State) (infra.Observation, error) {
	id := r.x.VPCID
	out, err := r.ec2.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
	if notFound(err) || (err == nil && len(out.Vpcs) == 0) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, fmt.Errorf("describe VPC %s: %w", id, err)
	}
	v := out.Vpcs[0]
	obs := infra.Observation{
		Exists:  true,
		ID:      id,
		Outputs: map[string]string{"id": id, "cidr": sdk.ToString(v.CidrBlock)},
		Retain:  "existing VPC, not owned by eksenv",
	}
	missing, err := r.checkSubnets(ctx)
	obs.Changes = missing
	return obs, err
}

// checkSubnets checks the subnets of the spec against the account: each must
// be in the VPC, none both private and public, and the private ones in at
// least two zones. A missing subnet is returned as a change (Apply fails on
// it) rather than an error, so that destroy still removes the tags from the
// others.
func (r *existingVPCRes) checkSubnets(ctx context.Context) (missing []string, err error) {
	const p = "spec.network.existingVPC."
	ids := append(append([]string(nil), r.x.PrivateSubnetIDs...), r.x.PublicSubnetIDs...)
	if len(ids) == 0 {
		return nil, fmt.Errorf("%sprivateSubnetIDs is empty: EKS needs private subnets in at least two zones", p)
	}
	out, err := r.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{netFilter("subnet-id", ids...)}})
	if err != nil {
		return nil, fmt.Errorf("describe the subnets of %s: %w", r.x.VPCID, err)
	}
	byID := map[string]ec2types.Subnet{}
	for _, sn := range out.Subnets {
		byID[sdk.ToString(sn.SubnetId)] = sn
	}
	public := map[string]bool{}
	for _, id := range r.x.PublicSubnetIDs {
		public[id] = true
	}
	zones := map[string]bool{}
	var wrong []string
	for _, role := range []string{SubnetPrivate, SubnetPublic} {
		for _, id := range existingSubnetIDs(r.x, role) {
			if role == SubnetPrivate && public[id] {
				return nil, fmt.Errorf("subnet %s is listed in both %sprivateSubnetIDs and publicSubnetIDs: a subnet is either private or public", id, p)
			}
			sn, ok := byID[id]
			if !ok {
				missing = append(missing, fmt.Sprintf("subnet %s of %s%sSubnetIDs does not exist", id, p, role))
				continue
			}
			if vpc := sdk.ToString(sn.VpcId); vpc != r.x.VPCID {
				wrong = append(wrong, fmt.Sprintf("%s (in %s)", id, vpc))
			}
			if role == SubnetPrivate {
				zones[sdk.ToString(sn.AvailabilityZone)] = true
			}
		}
	}
	if len(wrong) > 0 {
		return nil, fmt.Errorf("subnets %s are not in the VPC %s (%svpcID): list subnets of that VPC, or set vpcID to theirs", strings.Join(wrong, ", "), r.x.VPCID, p)
	}
	if len(missing) == 0 && len(zones) < 2 {
		zs := netSortedKeys(zones)
		return nil, fmt.Errorf("the private subnets %s are all in %s; EKS needs subnets in at least two availability zones: add a private subnet of another zone to %sprivateSubnetIDs",
			strings.Join(r.x.PrivateSubnetIDs, ", "), strings.Join(zs, ", "), p)
	}
	return missing, nil
}

func (r *existingVPCRes) Apply(_ context.Context, _ *infra.State, cur infra.Observation) (infra.Observation, error) {
	if !cur.Exists {
		return cur, fmt.Errorf("VPC %s (spec.network.existingVPC.vpcID) does not exist in %s, or these credentials cannot see it: check the id and the region; eksenv never creates an existing VPC",
			r.x.VPCID, r.c.Env.Spec.Region)
	}
	if len(cur.Changes) > 0 {
		return cur, fmt.Errorf("existing VPC %s: %s; fix spec.network.existingVPC", r.x.VPCID, strings.Join(cur.Changes, "; "))
	}
	return cur, nil
}

// Delete is never reached (Observe sets Retain); it deletes nothing.
func (r *existingVPCRes) Delete(context.Context, *infra.State, infra.Observation) error { return nil }
