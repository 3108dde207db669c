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
	"github.com/eksenv/eksenv/internal/spec"
)

// The network: a new VPC (subnets, internet gateway, NAT gateways and their
// addresses, route tables, the S3 gateway endpoint) or an existing one whose
// subnets only get the discovery tags. Files: network_vpc.go (new and
// existing VPC), network_subnet.go (new and existing subnets),
// network_igw.go, network_eip.go, network_nat.go, network_routes.go (route
// tables), network_endpoint.go (the S3 gateway endpoint), network_purge.go
// (what a VPC's deletion takes along).
//
// EC2 resources have no unique names: each is found again by its owner tag
// and its eksenv.dev/resource key. When an interrupted run left two with the
// same key, Observe picks one deterministically (the one in use, then the
// lowest id), reports the others as a change and Apply and Delete remove them.

// ec2API lists the EC2 calls the network resources make.
type ec2API interface {
	CreateVpc(context.Context, *ec2.CreateVpcInput, ...func(*ec2.Options)) (*ec2.CreateVpcOutput, error)
	DescribeVpcs(context.Context, *ec2.DescribeVpcsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error)
	DescribeVpcAttribute(context.Context, *ec2.DescribeVpcAttributeInput, ...func(*ec2.Options)) (*ec2.DescribeVpcAttributeOutput, error)
	ModifyVpcAttribute(context.Context, *ec2.ModifyVpcAttributeInput, ...func(*ec2.Options)) (*ec2.ModifyVpcAttributeOutput, error)
	DeleteVpc(context.Context, *ec2.DeleteVpcInput, ...func(*ec2.Options)) (*ec2.DeleteVpcOutput, error)

	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(context.Context, *ec2.DeleteTagsInput, ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)

	CreateSubnet(context.Context, *ec2.CreateSubnetInput, ...func(*ec2.Options)) (*ec2.CreateSubnetOutput, error)
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
	ModifySubnetAttribute(context.Context, *ec2.ModifySubnetAttributeInput, ...func(*ec2.Options)) (*ec2.ModifySubnetAttributeOutput, error)
	DeleteSubnet(context.Context, *ec2.DeleteSubnetInput, ...func(*ec2.Options)) (*ec2.DeleteSubnetOutput, error)

	CreateInternetGateway(context.Context, *ec2.CreateInternetGatewayInput, ...func(*ec2.Options)) (*ec2.CreateInternetGatewayOutput, error)
	DescribeInternetGateways(context.Context, *ec2.DescribeInternetGatewaysInput, ...func(*ec2.Options)) (*ec2.DescribeInternetGatewaysOutput, error)
	AttachInternetGateway(context.Context, *ec2.AttachInternetGatewayInput, ...func(*ec2.Options)) (*ec2.AttachInternetGatewayOutput, error)
	DetachInternetGateway(context.Context, *ec2.DetachInternetGatewayInput, ...func(*ec2.Options)) (*ec2.DetachInternetGatewayOutput, error)
	DeleteInternetGateway(context.Context, *ec2.DeleteInternetGatewayInput, ...func(*ec2.Options)) (*ec2.DeleteInternetGatewayOutput, error)

	AllocateAddress(context.Context, *ec2.AllocateAddressInput, ...func(*ec2.Options)) (*ec2.AllocateAddressOutput, error)
	DescribeAddresses(context.Context, *ec2.DescribeAddressesInput, ...func(*ec2.Options)) (*ec2.DescribeAddressesOutput, error)
	ReleaseAddress(context.Context, *ec2.ReleaseAddressInput, ...func(*ec2.Options)) (*ec2.ReleaseAddressOutput, error)

	CreateNatGateway(context.Context, *ec2.CreateNatGatewayInput, ...func(*ec2.Options)) (*ec2.CreateNatGatewayOutput, error)
	DescribeNatGateways(context.Context, *ec2.DescribeNatGatewaysInput, ...func(*ec2.Options)) (*ec2.DescribeNatGatewaysOutput, error)
	DeleteNatGateway(context.Context, *ec2.DeleteNatGatewayInput, ...func(*ec2.Options)) (*ec2.DeleteNatGatewayOutput, error)

	CreateRouteTable(context.Context, *ec2.CreateRouteTableInput, ...func(*ec2.Options)) (*ec2.CreateRouteTableOutput, error)
	DescribeRouteTables(context.Context, *ec2.DescribeRouteTablesInput, ...func(*ec2.Options)) (*ec2.DescribeRouteTablesOutput, error)
	DeleteRouteTable(context.Context, *ec2.DeleteRouteTableInput, ...func(*ec2.Options)) (*ec2.DeleteRouteTableOutput, error)
	CreateRoute(context.Context, *ec2.CreateRouteInput, ...func(*ec2.Options)) (*ec2.CreateRouteOutput, error)
	ReplaceRoute(context.Context, *ec2.ReplaceRouteInput, ...func(*ec2.Options)) (*ec2.ReplaceRouteOutput, error)
	DeleteRoute(context.Context, *ec2.DeleteRouteInput, ...func(*ec2.Options)) (*ec2.DeleteRouteOutput, error)
	AssociateRouteTable(context.Context, *ec2.AssociateRouteTableInput, ...func(*ec2.Options)) (*ec2.AssociateRouteTableOutput, error)
	ReplaceRouteTableAssociation(context.Context, *ec2.ReplaceRouteTableAssociationInput, ...func(*ec2.Options)) (*ec2.ReplaceRouteTableAssociationOutput, error)
	DisassociateRouteTable(context.Context, *ec2.DisassociateRouteTableInput, ...func(*ec2.Options)) (*ec2.DisassociateRouteTableOutput, error)

	CreateVpcEndpoint(context.Context, *ec2.CreateVpcEndpointInput, ...func(*ec2.Options)) (*ec2.CreateVpcEndpointOutput, error)
	DescribeVpcEndpoints(context.Context, *ec2.DescribeVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DescribeVpcEndpointsOutput, error)
	ModifyVpcEndpoint(context.Context, *ec2.ModifyVpcEndpointInput, ...func(*ec2.Options)) (*ec2.ModifyVpcEndpointOutput, error)
	DeleteVpcEndpoints(context.Context, *ec2.DeleteVpcEndpointsInput, ...func(*ec2.Options)) (*ec2.DeleteVpcEndpointsOutput, error)
}

// Subnet roles, for SubnetKeys and KeySubnet.
const (
	SubnetPrivate = "private"
	SubnetPublic  = "public"
)

// netDefaultRoute is the destination of the internet route.
const netDefaultRoute = "0.0.0.0/0"

// networkResources returns the network of the environment: a new VPC and
// everything in it, or an existing VPC and the discovery tags on its subnets.
func networkResources(c *Cloud) []infra.Resource {
	var api ec2API
	if c.C != nil {
		api = c.C.EC2
	}
	if x := c.Env.Spec.Network.ExistingVPC; x != nil {
		return existingNetwork(c, api, x)
	}
	return newNetwork(c, api)
}

// newNetwork is the network of a new VPC.
func newNetwork(c *Cloud, api ec2API) []infra.Resource {
	name := c.Env.Metadata.Name
	zones := c.Env.Spec.AvailabilityZones
	n := c.Env.Spec.Network
	plan, planErr := spec.PlanSubnets(n.VPCCIDR, len(zones))
	base := func(k infra.Key, tagName string, deps ...infra.Key) netBase {
		return netBase{c: c, ec2: api, key: k, name: tagName, deps: deps}
	}

	out := []infra.Resource{
		&vpcRes{netBase: base(KeyVPC, c.Names().VPC), cidr: n.VPCCIDR},
		&igwRes{netBase: base(KeyIGW, name+"-igw", KeyVPC)},
	}
	for i, z := range zones {
		for _, role := range []string{SubnetPrivate, SubnetPublic} {
			sr := &subnetRes{netBase: base(KeySubnet(role, z), name+"-"+role+"-"+z, KeyVPC), role: role, zone: z, planErr: planErr}
			if planErr == nil {
				sr.cidr = plan.Private[i].String()
				if role == SubnetPublic {
					sr.cidr = plan.Public[i].String()
				}
			}
			out = append(out, sr)
		}
	}
	for _, z := range natZones(c) {
		out = append(out,
			// After the VPC: its step removes a duplicate VPC and the
			// addresses of the NAT gateways in it first.
			&eipRes{netBase: base(KeyEIP(z), name+"-nat-"+z, KeyVPC), zone: z},
			&natRes{netBase: base(KeyNAT(z), name+"-nat-"+z, KeyEIP(z), KeySubnet(SubnetPublic, z), KeyIGW), zone: z},
		)
	}
	public := SubnetKeys(c, SubnetPublic)
	out = append(out, &routeTableRes{
		netBase: base(KeyPublicRT, name+"-public", append([]infra.Key{KeyVPC, KeyIGW}, public...)...),
		what:    "public route table",
		subnets: public,
		target:  func(s *infra.State) routeTarget { return routeTarget{gateway: s.Output(KeyIGW, "id")} },
	})
	rts := []infra.Key{KeyPublicRT}
	for _, z := range zones {
		deps := []infra.Key{KeyVPC, KeySubnet(SubnetPrivate, z)}
		target := func(*infra.State) routeTarget { return routeTarget{none: true} }
		if nz := natZoneFor(c, z); nz != "" {
			deps = append(deps, KeyNAT(nz))
			target = func(s *infra.State) routeTarget { return routeTarget{nat: s.Output(KeyNAT(nz), "id")} }
		}
		out = append(out, &routeTableRes{
			netBase: base(KeyPrivateRT(z), name+"-private-"+z, deps...),
			what:    "private route table",
			subnets: []infra.Key{KeySubnet(SubnetPrivate, z)},
			target:  target,
		})
		rts = append(rts, KeyPrivateRT(z))
	}
	out = append(out, &s3EndpointRes{
		netBase:     base(KeyS3Endpoint, name+"-s3", append([]infra.Key{KeyVPC}, rts...)...),
		routeTables: rts,
		service:     "com.amazonaws." + c.Env.Spec.Region + ".s3",
	})
	return out
}

// existingNetwork is the network of an existing VPC.
func existingNetwork(c *Cloud, api ec2API, x *spec.ExistingVPC) []infra.Resource {
	out := []infra.Resource{&existingVPCRes{netBase: netBase{c: c, ec2: api, key: KeyVPC, name: x.VPCID}, x: x}}
	for _, role := range []string{SubnetPrivate, SubnetPublic} {
		for _, id := range existingSubnetIDs(x, role) {
			out = append(out, &existingSubnetRes{
				netBase: netBase{c: c, ec2: api, key: KeySubnet(role, id), name: id, deps: []infra.Key{KeyVPC}},
				role:    role,
				id:      id,
			})
		}
	}
	return out
}

func existingSubnetIDs(x *spec.ExistingVPC, role string) []string {
	if role == SubnetPublic {
		return x.PublicSubnetIDs
	}
	return x.PrivateSubnetIDs
}

// natZones are the zones that get a NAT gateway.
func natZones(c *Cloud) []string {
	zones := c.Env.Spec.AvailabilityZones
	switch c.Env.Spec.Network.NATGateways {
	case spec.NATPerZone:
		return zones
	case spec.NATNone:
		return nil
	}
	if len(zones) == 0 {
		return nil
	}
	return zones[:1]
}

// natZoneFor is the zone of the NAT gateway the private subnets of zone z
// route through ("" without NAT gateways).
func natZoneFor(c *Cloud, z string) string {
	switch c.Env.Spec.Network.NATGateways {
	case spec.NATPerZone:
		return z
	case spec.NATNone:
		return ""
	}
	if zs := natZones(c); len(zs) > 0 {
		return zs[0]
	}
	return ""
}

// SubnetKeys are the keys of the subnets of a role ("private" or "public"),
// the ones to depend on: per zone for a new VPC, per subnet id for an
// existing one.
func SubnetKeys(c *Cloud, role string) []infra.Key {
	var out []infra.Key
	if x := c.Env.Spec.Network.ExistingVPC; x != nil {
		for _, id := range existingSubnetIDs(x, role) {
			out = append(out, KeySubnet(role, id))
		}
		return out
	}
	for _, z := range c.Env.Spec.AvailabilityZones {
		out = append(out, KeySubnet(role, z))
	}
	return out
}

// PrivateSubnetIDs are the ids of the private subnets known to s, sorted by
// zone (then id); subnets not yet created are left out.
func PrivateSubnetIDs(s *infra.State, c *Cloud) []string { return subnetIDs(s, c, SubnetPrivate) }

// PublicSubnetIDs are the ids of the public subnets known to s, sorted by
// zone (then id); subnets not yet created are left out.
func PublicSubnetIDs(s *infra.State, c *Cloud) []string { return subnetIDs(s, c, SubnetPublic) }

func subnetIDs(s *infra.State, c *Cloud, role string) []string {
	type sub struct{ id, zone string }
	var subs []sub
	for _, k := range SubnetKeys(c, role) {
		if id := s.Output(k, "id"); id != "" {
			subs = append(subs, sub{id, s.Output(k, "zone")})
		}
	}
	sort.Slice(subs, func(i, j int) bool {
		if subs[i].zone != subs[j].zone {
			return subs[i].zone < subs[j].zone
		}
		return subs[i].id < subs[j].id
	})
	out := make([]string, 0, len(subs))
	for _, x := range subs {
		out = append(out, x.id)
	}
	return out
}

// subnetDiscoveryTags are the tags of a subnet of a role that the load balancer
// controller and Karpenter find it by.
func subnetDiscoveryTags(c *Cloud, role string) map[string]string {
	cluster := c.Names().Cluster
	m := map[string]string{"kubernetes.io/cluster/" + cluster: "shared"}
	if role == SubnetPublic {
		m["kubernetes.io/role/elb"] = "1"
	} else {
		m["kubernetes.io/role/internal-elb"] = "1"
		m[render.DiscoveryTagKey] = cluster
	}
	return m
}

// netBase is what every network resource has: the cloud, the EC2 client,
// its key, its Name tag and its dependencies.
type netBase struct {
	c    *Cloud
	ec2  ec2API
	key  infra.Key
	name string
	deps []infra.Key
}

func (b *netBase) Key() infra.Key    { return b.key }
func (b *netBase) Deps() []infra.Key { return b.deps }

// wantTags are the tags the resource must carry (as ec2TagSpec sets them).
func (b *netBase) wantTags(extra map[string]string) map[string]string {
	t := b.c.Tags(extra)
	t[ResourceTagKey] = string(b.key)
	t["Name"] = b.name
	return t
}

func (b *netBase) tagSpec(rt ec2types.ResourceType, extra map[string]string) []ec2types.TagSpecification {
	return b.c.ec2TagSpec(rt, b.key, b.name, extra)
}

// owns reports whether tags mark a resource of this environment with this
// key (the emulator, unlike AWS, may ignore a filter: check again).
func (b *netBase) owns(tags []ec2types.Tag) bool {
	m := fromEC2Tags(tags)
	return b.c.Owned(m) && m[ResourceTagKey] == string(b.key)
}

// filters are the owned filters of the key, plus more.
func (b *netBase) filters(more ...ec2types.Filter) []ec2types.Filter {
	return append(b.c.ownedFilters(b.key), more...)
}

// tagChanges describes the desired tags missing from have.
func (b *netBase) tagChanges(have []ec2types.Tag, extra map[string]string) []string {
	miss := missingTags(b.wantTags(extra), fromEC2Tags(have))
	if len(miss) == 0 {
		return nil
	}
	return []string{"tags differ: " + strings.Join(netSortedKeys(miss), ", ")}
}

// fixTags adds the desired tags missing from have.
func (b *netBase) fixTags(ctx context.Context, id string, have []ec2types.Tag, extra map[string]string) error {
	miss := missingTags(b.wantTags(extra), fromEC2Tags(have))
	if len(miss) == 0 {
		return nil
	}
	if _, err := b.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(miss)}); err != nil {
		return fmt.Errorf("tag %s: %w", id, err)
	}
	return nil
}

// netVPCID is the VPC of the environment as observed in this run.
func netVPCID(s *infra.State) string { return s.Output(KeyVPC, "id") }

// netFilter is one EC2 filter.
func netFilter(name string, values ...string) ec2types.Filter {
	return ec2types.Filter{Name: sdk.String(name), Values: values}
}

// netExtras describes duplicates that Apply deletes.
func netExtras(what string, ids []string) string {
	return fmt.Sprintf("%d more %s with the same key (%s), left by an interrupted run: to be deleted", len(ids), what, strings.Join(ids, ", "))
}

func netSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// netPick orders items by rank (lower first: the one in use), then by id,
// and returns the first and the rest. It is how a resource chooses among
// duplicates, the same way on every run.
func netPick[T any](items []T, id func(T) string, rank func(T) int) (*T, []T) {
	if len(items) == 0 {
		return nil, nil
	}
	sorted := append([]T(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool {
		ri, rj := rank(sorted[i]), rank(sorted[j])
		if ri != rj {
			return ri < rj
		}
		return id(sorted[i]) < id(sorted[j])
	})
	return &sorted[0], sorted[1:]
}

// netIDs maps items to their ids.
func netIDs[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, x := range items {
		out = append(out, id(x))
	}
	return out
}
