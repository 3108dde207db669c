package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
)

// subnetRes is a private or public subnet of a new VPC in one zone.
type subnetRes struct {
	netBase
	role, zone, cidr string
	planErr          error // the VPC range cannot hold the zones' subnets
}

func (r *subnetRes) Describe() string { return fmt.Sprintf("%s subnet %s %s", r.role, r.name, r.cidr) }

func subnetIDOf(sn ec2types.Subnet) string { return sdk.ToString(sn.SubnetId) }

// look finds the key's subnets in the VPC, the one with the planned range
// first. (Two subnets of a VPC cannot share a range, so a duplicate has
// another one: left by a run with other zones.)
func (r *subnetRes) look(ctx context.Context, vpc string) (*ec2types.Subnet, []ec2types.Subnet, error) {
	if vpc == "" {
		return nil, nil, nil
	}
	out, err := r.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: r.filters(netFilter("vpc-id", vpc))})
	if err != nil {
		return nil, nil, fmt.Errorf("describe subnets: %w", err)
	}
	var subs []ec2types.Subnet
	for _, sn := range out.Subnets {
		if r.owns(sn.Tags) && sdk.ToString(sn.VpcId) == vpc {
			subs = append(subs, sn)
		}
	}
	sn, extras := netPick(subs, subnetIDOf, func(sn ec2types.Subnet) int {
		if sdk.ToString(sn.CidrBlock) == r.cidr {
			return 0
		}
		return 1
	})
	return sn, extras, nil
}

func (r *subnetRes) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	sn, extras, err := r.look(ctx, netVPCID(s))
	if err != nil || sn == nil {
		return infra.Observation{}, err
	}
	return r.observe(sn, extras), nil
}

func (r *subnetRes) observe(sn *ec2types.Subnet, extras []ec2types.Subnet) infra.Observation {
	id, cidr, zone := subnetIDOf(*sn), sdk.ToString(sn.CidrBlock), sdk.ToString(sn.AvailabilityZone)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id, "zone": zone, "cidr": cidr}}
	if cidr != r.cidr {
		obs.Changes = append(obs.Changes, fmt.Sprintf("range is %s, the plan gives %s (a subnet's range cannot change)", cidr, r.cidr))
	}
	if zone != r.zone {
		obs.Changes = append(obs.Changes, fmt.Sprintf("in zone %s, not %s (a subnet cannot move)", zone, r.zone))
	}
	if want := r.role == SubnetPublic; sdk.ToBool(sn.MapPublicIpOnLaunch) != want {
		obs.Changes = append(obs.Changes, fmt.Sprintf("MapPublicIpOnLaunch is %t, want %t", !want, want))
	}
	if sn.State != ec2types.SubnetStateAvailable {
		obs.Changes = append(obs.Changes, fmt.Sprintf("state %s, not yet available", sn.State))
	}
	obs.Changes = append(obs.Changes, r.tagChanges(sn.Tags, subnetDiscoveryTags(r.c, r.role))...)
	if len(extras) > 0 {
		obs.Changes = append(obs.Changes, netExtras("subnets", netIDs(extras, subnetIDOf)))
	}
	return obs
}

// get describes one subnet by id; found is false while it is not visible.
func getSubnet(ctx context.Context, api ec2API, id string) (*ec2types.Subnet, bool, error) {
	out, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{id}})
	if notFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("describe subnet %s: %w", id, err)
	}
	if len(out.Subnets) == 0 {
		return nil, false, nil
	}
	return &out.Subnets[0], true, nil
}

func (r *subnetRes) Apply(ctx context.Context, s *infra.State, _ infra.Observation) (infra.Observation, error) {
	if r.planErr != nil {
		return infra.Observation{}, fmt.Errorf("spec.network.vpcCIDR: %w", r.planErr)
	}
	vpc := netVPCID(s)
	if vpc == "" {
		return infra.Observation{}, fmt.Errorf("the VPC is not known yet")
	}
	sn, extras, err := r.look(ctx, vpc)
	if err != nil {
		return infra.Observation{}, err
	}
	if sn == nil {
		if sn, err = r.create(ctx, vpc); err != nil {
			return infra.Observation{}, err
		}
	}
	id := subnetIDOf(*sn)
	if cidr, zone := sdk.ToString(sn.CidrBlock), sdk.ToString(sn.AvailabilityZone); cidr != r.cidr || zone != r.zone {
		return infra.Observation{}, fmt.Errorf("subnet %s has the range %s in %s, but the spec plans %s in %s: a subnet cannot change; restore spec.network.vpcCIDR and spec.availabilityZones, or run eksenv down first to replace the network",
			id, cidr, zone, r.cidr, r.zone)
	}
	err = r.c.wait(ctx, s, r.key, "subnet "+id, func(ctx context.Context) (bool, string, error) {
		got, found, err := getSubnet(ctx, r.ec2, id)
		if err != nil || !found {
			return false, "not visible yet", err
		}
		sn = got
		return sn.State == ec2types.SubnetStateAvailable, string(sn.State), nil
	})
	if err != nil {
		return infra.Observation{}, err
	}
	if want := r.role == SubnetPublic; sdk.ToBool(sn.MapPublicIpOnLaunch) != want {
		_, err := r.ec2.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: sdk.String(id), MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: sdk.Bool(want)}})
		if err != nil {
			return infra.Observation{}, fmt.Errorf("set MapPublicIpOnLaunch of %s: %w", id, err)
		}
	}
	if err := r.fixTags(ctx, id, sn.Tags, subnetDiscoveryTags(r.c, r.role)); err != nil {
		return infra.Observation{}, err
	}
	for _, x := range extras {
		if err := deleteSubnet(ctx, r.c, r.ec2, s, r.key, subnetIDOf(x)); err != nil {
			return infra.Observation{}, err
		}
	}
	sn, found, err := getSubnet(ctx, r.ec2, id)
	if err != nil {
		return infra.Observation{}, err
	}
	if !found {
		return infra.Observation{}, fmt.Errorf("subnet %s vanished while being set up", id)
	}
	return r.observe(sn, nil), nil
}

// create creates the subnet. A conflict on the range means an earlier
// attempt created it and the tag filter does not show it yet: it is taken if
// it is this key's, reported otherwise.
func (r *subnetRes) create(ctx context.Context, vpc string) (*ec2types.Subnet, error) {
	out, err := r.ec2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
		VpcId:             sdk.String(vpc),
		AvailabilityZone:  sdk.String(r.zone),
		CidrBlock:         sdk.String(r.cidr),
		TagSpecifications: r.tagSpec(ec2types.ResourceTypeSubnet, subnetDiscoveryTags(r.c, r.role)),
	})
	if err == nil {
		return out.Subnet, nil
	}
	if ErrorCode(err) != "InvalidSubnet.Conflict" {
		return nil, fmt.Errorf("create subnet %s in %s: %w", r.cidr, r.zone, err)
	}
	found, ferr := r.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{netFilter("vpc-id", vpc), netFilter("cidr-block", r.cidr)}})
	if ferr != nil {
		return nil, fmt.Errorf("create subnet %s in %s: %w (and finding the subnet in the way: %v)", r.cidr, r.zone, err, ferr)
	}
	for _, sn := range found.Subnets {
		if r.owns(sn.Tags) {
			return &sn, nil
		}
	}
	return nil, fmt.Errorf("create subnet %s in %s: the range overlaps a subnet of %s that is not this environment's %s subnet (%w): remove it or choose another spec.network.vpcCIDR",
		r.cidr, r.zone, vpc, r.role, err)
}

func (r *subnetRes) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	sn, extras, err := r.look(ctx, netVPCID(s))
	if err != nil || sn == nil {
		return err
	}
	for _, x := range append([]ec2types.Subnet{*sn}, extras...) {
		if r.role == SubnetPublic {
			if err := deleteNATsInSubnet(ctx, r.c, r.ec2, s, r.key, subnetIDOf(x)); err != nil {
				return err
			}
		}
		if err := deleteSubnet(ctx, r.c, r.ec2, s, r.key, subnetIDOf(x)); err != nil {
			return err
		}
	}
	return nil
}

// deleteSubnet deletes a subnet and waits until it is gone. What still uses
// it (network interfaces) makes AWS answer DependencyViolation, which the
// executor retries.
func deleteSubnet(ctx context.Context, c *Cloud, api ec2API, s *infra.State, k infra.Key, id string) error {
	if _, err := api.DeleteSubnet(ctx, &ec2.DeleteSubnetInput{SubnetId: sdk.String(id)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete subnet %s: %w", id, err)
	}
	return c.wait(ctx, s, k, "subnet "+id+" to be deleted", func(ctx context.Context) (bool, string, error) {
		_, found, err := getSubnet(ctx, api, id)
		return !found && err == nil, "still listed", err
	})
}

// existingSubnetRes is a subnet of an existing VPC: eksenv adds the
// discovery tags it lacks, records which in a marker tag, and on destroy
// removes those and nothing else.
type existingSubnetRes struct {
	netBase
	role, id string
}

// addedTagsKey is the marker tag listing, space-separated, the tags this
// environment added to a subnet it does not own.
func (r *existingSubnetRes) addedTagsKey() string {
	return "eksenv.dev/added-tags/" + r.c.Env.Metadata.Name
}

func (r *existingSubnetRes) Describe() string {
	return fmt.Sprintf("discovery tags on the existing %s subnet %s", r.role, r.id)
}

func (r *existingSubnetRes) get(ctx context.Context) (*ec2types.Subnet, error) {
	out, err := r.ec2.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{netFilter("subnet-id", r.id)}})
	if err != nil {
		return nil, fmt.Errorf("describe subnet %s: %w", r.id, err)
	}
	for _, sn := range out.Subnets {
		if subnetIDOf(sn) == r.id {
			return &sn, nil
		}
	}
	return nil, nil
}

func (r *existingSubnetRes) Observe(ctx context.Context, _ *infra.State) (infra.Observation, error) {
	sn, err := r.get(ctx)
	if err != nil || sn == nil {
		return infra.Observation{}, err
	}
	have := fromEC2Tags(sn.Tags)
	obs := infra.Observation{
		Exists:  true,
		ID:      r.id,
		Outputs: map[string]string{"id": r.id, "zone": sdk.ToString(sn.AvailabilityZone), "cidr": sdk.ToString(sn.CidrBlock)},
	}
	if miss := missingTags(subnetDiscoveryTags(r.c, r.role), have); len(miss) > 0 {
		obs.Changes = append(obs.Changes, "discovery tags missing: "+strings.Join(netSortedKeys(miss), ", "))
	}
	if _, ok := have[r.addedTagsKey()]; !ok {
		obs.Retain = "existing subnet, not owned by eksenv; it carries no tags of eksenv's"
	}
	return obs, nil
}

func (r *existingSubnetRes) Apply(ctx context.Context, s *infra.State, _ infra.Observation) (infra.Observation, error) {
	sn, err := r.get(ctx)
	if err != nil {
		return infra.Observation{}, err
	}
	if sn == nil {
		return infra.Observation{}, fmt.Errorf("subnet %s (spec.network.existingVPC.%sSubnetIDs) does not exist in %s: check the id and the region", r.id, r.role, r.c.Env.Spec.Region)
	}
	have := fromEC2Tags(sn.Tags)
	miss := missingTags(subnetDiscoveryTags(r.c, r.role), have)
	if v, ok := have[render.DiscoveryTagKey]; ok && miss[render.DiscoveryTagKey] != "" {
		return infra.Observation{}, fmt.Errorf("subnet %s is tagged %s=%s, presumably for another cluster; Karpenter of %s finds its subnets by %s=%s, and retagging would take the subnet from the other: remove the tag or list other subnets",
			r.id, render.DiscoveryTagKey, v, r.c.Names().Cluster, render.DiscoveryTagKey, r.c.Names().Cluster)
	}
	if len(miss) > 0 {
		added := map[string]bool{}
		for _, k := range strings.Fields(have[r.addedTagsKey()]) {
			added[k] = true
		}
		for k := range miss {
			added[k] = true
		}
		keys := netSortedKeys(added)
		tags := map[string]string{r.addedTagsKey(): strings.Join(keys, " ")}
		for k, v := range miss {
			tags[k] = v
		}
		// One call: the tags and the record of them land together.
		if _, err := r.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{r.id}, Tags: ec2Tags(tags)}); err != nil {
			return infra.Observation{}, fmt.Errorf("tag subnet %s: %w", r.id, err)
		}
	}
	return r.Observe(ctx, s)
}

// Delete removes the tags this environment added (only where they still
// have the value it set) and the marker; the subnet stays.
func (r *existingSubnetRes) Delete(ctx context.Context, _ *infra.State, _ infra.Observation) error {
	sn, err := r.get(ctx)
	if err != nil || sn == nil {
		return err
	}
	have := fromEC2Tags(sn.Tags)
	marker, ok := have[r.addedTagsKey()]
	if !ok {
		return nil
	}
	want := subnetDiscoveryTags(r.c, r.role)
	keys := strings.Fields(marker)
	sort.Strings(keys)
	tags := []ec2types.Tag{{Key: sdk.String(r.addedTagsKey())}}
	for _, k := range keys {
		if v, ok := want[k]; ok && have[k] == v {
			tags = append(tags, ec2types.Tag{Key: sdk.String(k), Value: sdk.String(v)})
		}
	}
	if _, err := r.ec2.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{r.id}, Tags: tags}); err != nil {
		return fmt.Errorf("remove eksenv's tags from subnet %s: %w", r.id, err)
	}
	return nil
}
