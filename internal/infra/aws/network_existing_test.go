package aws

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/spec"
)

// Tests of the existing-VPC mode, and of the graph offline; the helpers are
// in network_test.go.

// netExistingVPC creates a VPC and subnets with the plain client, as a user
// would have: private subnets in zones[i] for each i of privZones.
func netExistingVPC(t *testing.T, c *Cloud, privZones []int) (vpc string, priv, pub []string) {
	t.Helper()
	ctx := t.Context()
	api := c.C.EC2
	out, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdk.String("10.20.0.0/16")})
	netNoErr(t, err)
	vpc = sdk.ToString(out.Vpc.VpcId)
	zones := c.Env.Spec.AvailabilityZones
	for i, zi := range privZones {
		sn, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpc, AvailabilityZone: sdk.String(zones[zi]), CidrBlock: sdk.String(fmt.Sprintf("10.20.%d.0/24", i))})
		netNoErr(t, err)
		priv = append(priv, sdk.ToString(sn.Subnet.SubnetId))
	}
	for i := range 2 {
		sn, err := api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: &vpc, AvailabilityZone: sdk.String(zones[i]), CidrBlock: sdk.String(fmt.Sprintf("10.20.%d.0/24", 100+i)),
			// The user tagged this one already: eksenv must leave the tag.
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSubnet, Tags: []ec2types.Tag{{Key: sdk.String("kubernetes.io/role/elb"), Value: sdk.String("1")}, {Key: sdk.String("owner"), Value: sdk.String("netops")}}}}})
		netNoErr(t, err)
		pub = append(pub, sdk.ToString(sn.Subnet.SubnetId))
	}
	c.Env.Spec.Network = spec.Network{NATGateways: spec.NATSingle, ExistingVPC: &spec.ExistingVPC{VPCID: vpc, PrivateSubnetIDs: priv, PublicSubnetIDs: pub}}
	return vpc, priv, pub
}

func netSubnetTags(t *testing.T, c *Cloud, id string) map[string]string {
	t.Helper()
	sn, found, err := getSubnet(t.Context(), c.C.EC2, id)
	netNoErr(t, err)
	if !found {
		t.Fatalf("subnet %s is gone", id)
	}
	return fromEC2Tags(sn.Tags)
}

func TestNetworkExistingVPC(t *testing.T) {
	c, sb := netCloud(t, sandbox.Options{}, nil)
	vpc, priv, pub := netExistingVPC(t, c, []int{0, 1, 2})
	before := sb.Calls()
	res, st := netMust(t, c, infra.ModeApply)
	after := sb.Calls()
	for op, n := range after {
		if n > before[op] && isMutatingEC2(op) && op != "ec2:CreateTags" {
			t.Errorf("apply called %s on an existing VPC; it may only add tags", op)
		}
	}
	if s, _ := res.Step(KeyVPC); s.Action != infra.ActionNone {
		t.Errorf("existing VPC: %s %v, want nothing done", s.Action, s.Reasons)
	}
	if st.Output(KeyVPC, "id") != vpc || st.Output(KeyVPC, "cidr") != "10.20.0.0/16" {
		t.Errorf("VPC outputs %v", st.Output(KeyVPC, "id")+" "+st.Output(KeyVPC, "cidr"))
	}
	if got := PrivateSubnetIDs(st, c); !slices.Equal(got, priv) {
		t.Errorf("PrivateSubnetIDs = %v, want %v (by zone)", got, priv)
	}
	if got := PublicSubnetIDs(st, c); !slices.Equal(got, pub) {
		t.Errorf("PublicSubnetIDs = %v, want %v", got, pub)
	}
	if got := SubnetKeys(c, SubnetPrivate); len(got) != 3 || got[0] != KeySubnet(SubnetPrivate, priv[0]) {
		t.Errorf("SubnetKeys = %v", got)
	}
	for _, id := range priv {
		tags := netSubnetTags(t, c, id)
		if tags["karpenter.sh/discovery"] != "eks-env" || tags["kubernetes.io/role/internal-elb"] != "1" || tags["kubernetes.io/cluster/eks-env"] != "shared" {
			t.Errorf("private subnet %s: tags %v", id, tags)
		}
		if tags[spec.OwnerTagKey] != "" {
			t.Errorf("private subnet %s carries the owner tag: eksenv would take it for its own", id)
		}
	}
	for _, id := range pub {
		if tags := netSubnetTags(t, c, id); tags["kubernetes.io/role/elb"] != "1" || tags["kubernetes.io/cluster/eks-env"] != "shared" || tags["karpenter.sh/discovery"] != "" {
			t.Errorf("public subnet %s: tags %v", id, tags)
		}
	}
	netWantCounts(t, netInventory(t, c), nil)

	plan, _ := netMust(t, c, infra.ModePlan)
	if p := netPending(plan); len(p) > 0 {
		t.Errorf("plan after apply:\n%s", strings.Join(p, "\n"))
	}

	res, _ = netMust(t, c, infra.ModeDestroy)
	if s, _ := res.Step(KeyVPC); s.Action != infra.ActionKeep {
		t.Errorf("destroy: existing VPC %s, want kept", s.Action)
	}
	out, err := c.C.EC2.DescribeVpcs(t.Context(), &ec2.DescribeVpcsInput{VpcIds: []string{vpc}})
	if err != nil || len(out.Vpcs) != 1 {
		t.Fatalf("the existing VPC is gone after destroy: %v", err)
	}
	for _, id := range append(slices.Clone(priv), pub...) {
		tags := netSubnetTags(t, c, id)
		for k := range tags {
			if strings.HasPrefix(k, "eksenv.dev/") || k == "karpenter.sh/discovery" || k == "kubernetes.io/cluster/eks-env" || k == "kubernetes.io/role/internal-elb" {
				t.Errorf("subnet %s still has %s after destroy", id, k)
			}
		}
		if slices.Contains(pub, id) && (tags["kubernetes.io/role/elb"] != "1" || tags["owner"] != "netops") {
			t.Errorf("public subnet %s lost the user's own tags: %v", id, tags)
		}
	}
}

func isMutatingEC2(op string) bool {
	name, ok := strings.CutPrefix(op, "ec2:")
	if !ok {
		return false
	}
	for _, p := range []string{"Describe", "List", "Get"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

func TestNetworkExistingVPCProblems(t *testing.T) {
	c, _ := netCloud(t, sandbox.Options{}, nil)
	_, _, _ = netExistingVPC(t, c, []int{0, 0})
	res, _, err := netRun(t.Context(), t, c, infra.ModePlan, nil)
	s, _ := res.Step(KeyVPC)
	if err == nil || s.Outcome != infra.OutcomeFailed || !strings.Contains(s.Error, "at least two availability zones") || !strings.Contains(s.Error, "us-west-2a") {
		t.Errorf("private subnets in one zone: plan %v, step %s %q; want a failure naming the zone", err, s.Outcome, s.Error)
	}
	// Nothing was tagged.
	for _, id := range c.Env.Spec.Network.ExistingVPC.PrivateSubnetIDs {
		if tags := netSubnetTags(t, c, id); tags["karpenter.sh/discovery"] != "" {
			t.Errorf("subnet %s tagged despite the failed check", id)
		}
	}

	// A private subnet Karpenter of another cluster finds: not taken over.
	x := c.Env.Spec.Network.ExistingVPC
	other := x.PrivateSubnetIDs[1]
	zb := c.Env.Spec.AvailabilityZones[1]
	sn, err := c.C.EC2.CreateSubnet(t.Context(), &ec2.CreateSubnetInput{VpcId: &x.VPCID, AvailabilityZone: &zb, CidrBlock: sdk.String("10.20.50.0/24"),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeSubnet, Tags: []ec2types.Tag{{Key: sdk.String("karpenter.sh/discovery"), Value: sdk.String("other")}}}}})
	netNoErr(t, err)
	x.PrivateSubnetIDs[1] = sdk.ToString(sn.Subnet.SubnetId)
	res, _, err = netRun(t.Context(), t, c, infra.ModeApply, nil)
	s, _ = res.Step(KeySubnet(SubnetPrivate, x.PrivateSubnetIDs[1]))
	if err == nil || !strings.Contains(s.Error, "karpenter.sh/discovery=other") {
		t.Errorf("subnet of another cluster: apply %v, step %q; want a failure naming the tag", err, s.Error)
	}
	if tags := netSubnetTags(t, c, x.PrivateSubnetIDs[1]); tags["karpenter.sh/discovery"] != "other" {
		t.Errorf("the other cluster's discovery tag was changed: %v", tags)
	}
	netMust(t, c, infra.ModeDestroy)
	x.PrivateSubnetIDs[1] = other

	c.Env.Spec.Network.ExistingVPC.VPCID = "vpc-0123456789abcdef0"
	res, _, err = netRun(t.Context(), t, c, infra.ModeApply, nil)
	s, _ = res.Step(KeyVPC)
	if err == nil || !strings.Contains(s.Error, "vpc-0123456789abcdef0") || !strings.Contains(s.Error, "does not exist") {
		t.Errorf("missing VPC: apply %v, step %q; want a failure naming the VPC", err, s.Error)
	}
	// Destroy of an environment whose VPC is gone has nothing to do.
	netMust(t, c, infra.ModeDestroy)
}

// TestNetworkGraph checks the graph of each mode offline: the keys, the
// dependencies destroy orders by, and the helpers.
func TestNetworkGraph(t *testing.T) {
	keys := func(c *Cloud) map[infra.Key][]infra.Key {
		rs := networkResources(c)
		if _, err := infra.NewGraph(rs); err != nil {
			t.Fatal(err)
		}
		out := map[infra.Key][]infra.Key{}
		for _, r := range rs {
			out[r.Key()] = r.Deps()
			if r.Describe() == "" {
				t.Errorf("%s: no description", r.Key())
			}
		}
		return out
	}
	for _, tc := range []struct {
		mode      string
		nats, all int
	}{{spec.NATSingle, 1, 15}, {spec.NATPerZone, 3, 19}, {spec.NATNone, 0, 13}} {
		env := spec.Default()
		env.Spec.Network.NATGateways = tc.mode
		c := &Cloud{Env: env}
		g := keys(c)
		if len(g) != tc.all {
			t.Errorf("%s: %d resources, want %d", tc.mode, len(g), tc.all)
		}
		n := 0
		for _, z := range env.Spec.AvailabilityZones {
			if deps, ok := g[KeyNAT(z)]; ok {
				n++
				for _, d := range []infra.Key{KeyEIP(z), KeySubnet(SubnetPublic, z), KeyIGW} {
					if !slices.Contains(deps, d) {
						t.Errorf("%s: %s does not depend on %s", tc.mode, KeyNAT(z), d)
					}
				}
			}
			nz := natZoneFor(c, z)
			if has := nz != "" && slices.Contains(g[KeyPrivateRT(z)], KeyNAT(nz)); has != (tc.mode != spec.NATNone) {
				t.Errorf("%s: %s deps %v", tc.mode, KeyPrivateRT(z), g[KeyPrivateRT(z)])
			}
			if !slices.Contains(g[KeyS3Endpoint], KeyPrivateRT(z)) {
				t.Errorf("%s: the endpoint does not depend on %s", tc.mode, KeyPrivateRT(z))
			}
		}
		if n != tc.nats {
			t.Errorf("%s: %d NAT gateways, want %d", tc.mode, n, tc.nats)
		}
		for _, k := range SubnetKeys(c, SubnetPublic) {
			if !slices.Contains(g[KeyPublicRT], k) {
				t.Errorf("%s: the public route table does not depend on %s", tc.mode, k)
			}
		}
	}

	env := spec.Default()
	env.Spec.Network.ExistingVPC = &spec.ExistingVPC{VPCID: "vpc-1", PrivateSubnetIDs: []string{"subnet-b", "subnet-a"}, PublicSubnetIDs: []string{"subnet-c"}}
	c := &Cloud{Env: env}
	g := keys(c)
	if len(g) != 4 {
		t.Errorf("existing VPC: %d resources (%v), want the VPC and three subnets", len(g), g)
	}
	if got := SubnetKeys(c, SubnetPrivate); !slices.Equal(got, []infra.Key{KeySubnet(SubnetPrivate, "subnet-b"), KeySubnet(SubnetPrivate, "subnet-a")}) {
		t.Errorf("SubnetKeys = %v", got)
	}
	st := infra.NewState()
	st.Set(KeySubnet(SubnetPrivate, "subnet-b"), infra.Observation{Exists: true, Outputs: map[string]string{"id": "subnet-b", "zone": "us-west-2a"}})
	st.Set(KeySubnet(SubnetPrivate, "subnet-a"), infra.Observation{Exists: true, Outputs: map[string]string{"id": "subnet-a", "zone": "us-west-2b"}})
	if got := PrivateSubnetIDs(st, c); !slices.Equal(got, []string{"subnet-b", "subnet-a"}) {
		t.Errorf("PrivateSubnetIDs = %v, want by zone", got)
	}
	if got := PublicSubnetIDs(st, c); len(got) != 0 {
		t.Errorf("PublicSubnetIDs = %v, want none known", got)
	}
}
