package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/spec"
)

// The tests of network*.go run against the sandbox (moto behind the proxy).
// Helpers here are prefixed net to stay clear of the other files' tests.

// netCloud starts a sandbox and returns a Cloud pointed at it for the
// default environment (eks-env in us-west-2), changed by edit.
func netCloud(t *testing.T, opts sandbox.Options, edit func(*spec.Environment)) (*Cloud, *sandbox.Sandbox) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the sandbox (moto)")
	}
	opts.Region = "us-west-2"
	sb := sandbox.ForTest(t, opts)
	for _, kv := range sb.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := LoadConfig(t.Context(), "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = sdk.String(sb.Endpoint())
	env := spec.Default()
	if edit != nil {
		edit(env)
	}
	return &Cloud{C: NewClients(cfg), Env: env, AccountID: "123456789012", Poll: 20 * time.Millisecond}, sb
}

// netRun runs the network graph in a mode with a fresh state and returns
// the result and the state.
func netRun(ctx context.Context, t *testing.T, c *Cloud, mode infra.Mode, events func(infra.Event)) (*infra.Result, *infra.State, error) {
	t.Helper()
	g, err := infra.NewGraph(networkResources(c))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	st := infra.NewState()
	res, err := infra.Run(ctx, g, mode, st, infra.Options{
		Classify:    Classify,
		Backoff:     10 * time.Millisecond,
		MaxBackoff:  200 * time.Millisecond,
		Timeout:     func(infra.Key) time.Duration { return 2 * time.Minute },
		Parallelism: 4,
		Events:      events,
	})
	return res, st, err
}

// netMust runs a mode and fails the test on any failed step.
func netMust(t *testing.T, c *Cloud, mode infra.Mode) (*infra.Result, *infra.State) {
	t.Helper()
	res, st, err := netRun(t.Context(), t, c, mode, nil)
	if err != nil {
		for _, s := range res.Steps {
			if s.Outcome == infra.OutcomeFailed || s.Outcome == infra.OutcomeSkipped {
				t.Logf("%s: %s %s", s.Key, s.Outcome, s.Error)
			}
		}
		t.Fatalf("run %v: %v", mode, err)
	}
	return res, st
}

// netPending lists the steps of a plan that would change something.
func netPending(res *infra.Result) []string {
	var out []string
	for _, s := range res.Steps {
		if s.Action != infra.ActionNone {
			out = append(out, fmt.Sprintf("%s: %s %v", s.Key, s.Action, s.Reasons))
		}
	}
	return out
}

// netInventory counts what the environment owns in the emulator, by kind
// (deleted NAT gateways and endpoints are not counted).
func netInventory(t *testing.T, c *Cloud) map[string][]string {
	t.Helper()
	ctx := t.Context()
	api := c.C.EC2
	owner := []ec2types.Filter{netFilter("tag:"+spec.OwnerTagKey, c.Env.Metadata.Name)}
	inv := map[string][]string{}
	vpcs, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: owner})
	netNoErr(t, err)
	for _, v := range vpcs.Vpcs {
		inv["vpc"] = append(inv["vpc"], sdk.ToString(v.VpcId))
	}
	subs, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: owner})
	netNoErr(t, err)
	for _, s := range subs.Subnets {
		inv["subnet"] = append(inv["subnet"], sdk.ToString(s.SubnetId))
	}
	igws, err := api.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: owner})
	netNoErr(t, err)
	for _, g := range igws.InternetGateways {
		inv["igw"] = append(inv["igw"], sdk.ToString(g.InternetGatewayId))
	}
	eips, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: owner})
	netNoErr(t, err)
	for _, a := range eips.Addresses {
		inv["eip"] = append(inv["eip"], sdk.ToString(a.AllocationId))
	}
	nats, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: owner})
	netNoErr(t, err)
	for _, n := range nats.NatGateways {
		if n.State != ec2types.NatGatewayStateDeleted {
			inv["nat"] = append(inv["nat"], sdk.ToString(n.NatGatewayId))
		}
	}
	rts, err := api.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: owner})
	netNoErr(t, err)
	for _, r := range rts.RouteTables {
		inv["rt"] = append(inv["rt"], sdk.ToString(r.RouteTableId))
	}
	eps, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: owner})
	netNoErr(t, err)
	for _, e := range eps.VpcEndpoints {
		if !vpceGone(e) {
			inv["endpoint"] = append(inv["endpoint"], sdk.ToString(e.VpcEndpointId))
		}
	}
	return inv
}

func netNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// netWantCounts checks the inventory holds exactly n of each kind.
func netWantCounts(t *testing.T, inv map[string][]string, want map[string]int) {
	t.Helper()
	for _, kind := range []string{"vpc", "subnet", "igw", "eip", "nat", "rt", "endpoint"} {
		if got := len(inv[kind]); got != want[kind] {
			t.Errorf("%s: %d owned (%v), want %d", kind, got, inv[kind], want[kind])
		}
	}
}

// netApplyPlanDestroy applies, checks that a plan is empty and that a
// second apply calls nothing that mutates, then destroys and checks nothing
// owned is left.
func netApplyPlanDestroy(t *testing.T, c *Cloud, sb *sandbox.Sandbox, want map[string]int, check func(*infra.State)) {
	t.Helper()
	_, st := netMust(t, c, infra.ModeApply)
	netWantCounts(t, netInventory(t, c), want)
	if check != nil {
		check(st)
	}
	plan, _ := netMust(t, c, infra.ModePlan)
	if p := netPending(plan); len(p) > 0 || plan.Changes() != 0 {
		t.Errorf("plan after apply: %d changes:\n%s", plan.Changes(), strings.Join(p, "\n"))
	}
	before := sb.MutatingCalls()
	netMust(t, c, infra.ModeApply)
	if n := sb.MutatingCalls() - before; n != 0 {
		t.Errorf("a second apply made %d mutating calls, want 0", n)
	}
	netMust(t, c, infra.ModeDestroy)
	netWantCounts(t, netInventory(t, c), nil)
	plan, _ = netMust(t, c, infra.ModePlan)
	if got, wantN := plan.Changes(), len(plan.Steps); got != wantN {
		t.Errorf("plan after destroy: %d changes, want every one of the %d steps to create", got, wantN)
	}
}

func TestNetworkSingleNAT(t *testing.T) {
	c, sb := netCloud(t, sandbox.Options{}, nil)
	ctx := t.Context()
	netApplyPlanDestroy(t, c, sb, map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 1, "nat": 1, "rt": 4, "endpoint": 1}, func(st *infra.State) {
		api := c.C.EC2
		vpc := st.Output(KeyVPC, "id")
		if st.Output(KeyVPC, "cidr") != "10.0.0.0/16" {
			t.Errorf("VPC cidr output %q", st.Output(KeyVPC, "cidr"))
		}
		for _, a := range []ec2types.VpcAttributeName{ec2types.VpcAttributeNameEnableDnsSupport, ec2types.VpcAttributeNameEnableDnsHostnames} {
			out, err := api.DescribeVpcAttribute(ctx, &ec2.DescribeVpcAttributeInput{VpcId: &vpc, Attribute: a})
			netNoErr(t, err)
			v := out.EnableDnsSupport
			if a == ec2types.VpcAttributeNameEnableDnsHostnames {
				v = out.EnableDnsHostnames
			}
			if v == nil || !sdk.ToBool(v.Value) {
				t.Errorf("VPC %s: %s not enabled", vpc, a)
			}
		}

		// Subnets: the planned ranges, the zones, the tags.
		plan, err := spec.PlanSubnets("10.0.0.0/16", 3)
		netNoErr(t, err)
		for i, z := range c.Env.Spec.AvailabilityZones {
			for _, role := range []string{SubnetPrivate, SubnetPublic} {
				k := KeySubnet(role, z)
				sn, found, err := getSubnet(ctx, api, st.Output(k, "id"))
				netNoErr(t, err)
				if !found {
					t.Fatalf("%s: subnet %q not found", k, st.Output(k, "id"))
				}
				want := plan.Private[i].String()
				if role == SubnetPublic {
					want = plan.Public[i].String()
				}
				if sdk.ToString(sn.CidrBlock) != want || sdk.ToString(sn.AvailabilityZone) != z || st.Output(k, "zone") != z {
					t.Errorf("%s: %s in %s, want %s in %s", k, sdk.ToString(sn.CidrBlock), sdk.ToString(sn.AvailabilityZone), want, z)
				}
				if sdk.ToBool(sn.MapPublicIpOnLaunch) != (role == SubnetPublic) {
					t.Errorf("%s: MapPublicIpOnLaunch %t", k, sdk.ToBool(sn.MapPublicIpOnLaunch))
				}
				tags := fromEC2Tags(sn.Tags)
				wantTags := map[string]string{
					"Name": "eks-env-" + role + "-" + z, spec.OwnerTagKey: "eks-env", ResourceTagKey: string(k),
					"kubernetes.io/cluster/eks-env": "shared",
				}
				if role == SubnetPublic {
					wantTags["kubernetes.io/role/elb"] = "1"
				} else {
					wantTags["kubernetes.io/role/internal-elb"] = "1"
					wantTags["karpenter.sh/discovery"] = "eks-env"
				}
				if m := missingTags(wantTags, tags); len(m) > 0 {
					t.Errorf("%s: tags missing %v (has %v)", k, m, tags)
				}
				if role == SubnetPublic && tags["karpenter.sh/discovery"] != "" {
					t.Errorf("%s: a public subnet must not be found by Karpenter", k)
				}
			}
		}

		// The exported helpers: sorted by zone.
		priv := PrivateSubnetIDs(st, c)
		if len(priv) != 3 {
			t.Fatalf("PrivateSubnetIDs = %v", priv)
		}
		for i, z := range c.Env.Spec.AvailabilityZones {
			if priv[i] != st.Output(KeySubnet(SubnetPrivate, z), "id") {
				t.Errorf("PrivateSubnetIDs[%d] = %s, want the subnet of %s", i, priv[i], z)
			}
		}
		if pub := PublicSubnetIDs(st, c); len(pub) != 3 || slices.ContainsFunc(pub, func(id string) bool { return slices.Contains(priv, id) }) {
			t.Errorf("PublicSubnetIDs = %v", pub)
		}

		// The internet gateway is attached; the NAT gateway is in the
		// first zone's public subnet with the address.
		igw := st.Output(KeyIGW, "id")
		gs, err := api.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{igw}})
		netNoErr(t, err)
		if len(gs.InternetGateways) != 1 || !igwAttached(gs.InternetGateways[0], vpc) {
			t.Errorf("internet gateway %s not attached to %s", igw, vpc)
		}
		z0 := c.Env.Spec.AvailabilityZones[0]
		nat := st.Output(KeyNAT(z0), "id")
		ns, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{nat}})
		netNoErr(t, err)
		if len(ns.NatGateways) != 1 {
			t.Fatalf("NAT gateway %q not found", nat)
		}
		n := ns.NatGateways[0]
		if sdk.ToString(n.SubnetId) != st.Output(KeySubnet(SubnetPublic, z0), "id") || !slices.Contains(natAllocations(n), st.Output(KeyEIP(z0), "allocationId")) {
			t.Errorf("NAT gateway %s in %s with %v; want the public subnet of %s and %s", nat, sdk.ToString(n.SubnetId), natAllocations(n), z0, st.Output(KeyEIP(z0), "allocationId"))
		}

		// Routes: public to the internet gateway, every private one to the
		// single NAT gateway; the endpoint on all four tables.
		netCheckRoute(t, c, st, KeyPublicRT, igw, PublicSubnetIDs(st, c))
		for _, z := range c.Env.Spec.AvailabilityZones {
			netCheckRoute(t, c, st, KeyPrivateRT(z), nat, []string{st.Output(KeySubnet(SubnetPrivate, z), "id")})
		}
		netCheckEndpoint(t, c, st)
	})
}

// netCheckRoute checks a route table's default route and subnets.
func netCheckRoute(t *testing.T, c *Cloud, st *infra.State, k infra.Key, target string, subnets []string) {
	t.Helper()
	out, err := c.C.EC2.DescribeRouteTables(t.Context(), &ec2.DescribeRouteTablesInput{RouteTableIds: []string{st.Output(k, "id")}})
	netNoErr(t, err)
	if len(out.RouteTables) != 1 {
		t.Fatalf("%s: route table %q not found", k, st.Output(k, "id"))
	}
	rt := out.RouteTables[0]
	got := ""
	if r := defaultRouteOf(rt); r != nil {
		got = routeTargetID(*r)
	}
	if got != target {
		t.Errorf("%s: default route to %q, want %q", k, got, target)
	}
	have := netSortedKeys(subnetAssociations(rt))
	want := slices.Clone(subnets)
	sort.Strings(want)
	if !slices.Equal(have, want) {
		t.Errorf("%s: associated with %v, want %v", k, have, want)
	}
}

// netCheckEndpoint checks the S3 endpoint is a gateway on every route table.
func netCheckEndpoint(t *testing.T, c *Cloud, st *infra.State) {
	t.Helper()
	out, err := c.C.EC2.DescribeVpcEndpoints(t.Context(), &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{st.Output(KeyS3Endpoint, "id")}})
	netNoErr(t, err)
	if len(out.VpcEndpoints) != 1 {
		t.Fatalf("endpoint %q not found", st.Output(KeyS3Endpoint, "id"))
	}
	e := out.VpcEndpoints[0]
	want := []string{st.Output(KeyPublicRT, "id")}
	for _, z := range c.Env.Spec.AvailabilityZones {
		want = append(want, st.Output(KeyPrivateRT(z), "id"))
	}
	sort.Strings(want)
	have := slices.Clone(e.RouteTableIds)
	sort.Strings(have)
	if sdk.ToString(e.ServiceName) != "com.amazonaws.us-west-2.s3" || e.VpcEndpointType != ec2types.VpcEndpointTypeGateway || !slices.Equal(have, want) {
		t.Errorf("endpoint %s: %s %s on %v, want a Gateway for com.amazonaws.us-west-2.s3 on %v", sdk.ToString(e.VpcEndpointId), e.VpcEndpointType, sdk.ToString(e.ServiceName), have, want)
	}
}

func TestNetworkPerZoneNAT(t *testing.T) {
	// NAT gateways take a moment here, as on AWS: apply waits and says so.
	c, sb := netCloud(t, sandbox.Options{Latency: sandbox.Latency{NATCreate: 300 * time.Millisecond, NATDelete: 300 * time.Millisecond}}, func(e *spec.Environment) {
		e.Spec.Network.NATGateways = spec.NATPerZone
	})
	var mu sync.Mutex
	var waits []string
	_, st, err := netRun(t.Context(), t, c, infra.ModeApply, func(ev infra.Event) {
		if ev.Phase == infra.PhaseWaiting && strings.Contains(ev.Message, "NAT gateway") {
			mu.Lock()
			waits = append(waits, ev.Message)
			mu.Unlock()
		}
	})
	netNoErr(t, err)
	if len(waits) == 0 {
		t.Error("no progress reported while the NAT gateways were pending")
	}
	nats := map[string]bool{}
	for _, z := range c.Env.Spec.AvailabilityZones {
		nat := st.Output(KeyNAT(z), "id")
		nats[nat] = true
		netCheckRoute(t, c, st, KeyPrivateRT(z), nat, []string{st.Output(KeySubnet(SubnetPrivate, z), "id")})
	}
	if len(nats) != 3 {
		t.Errorf("NAT gateways %v, want one per zone", nats)
	}
	netApplyPlanDestroy(t, c, sb, map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 3, "nat": 3, "rt": 4, "endpoint": 1}, nil)
}

func TestNetworkNoNAT(t *testing.T) {
	c, sb := netCloud(t, sandbox.Options{}, func(e *spec.Environment) { e.Spec.Network.NATGateways = spec.NATNone })
	netApplyPlanDestroy(t, c, sb, map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "rt": 4, "endpoint": 1}, func(st *infra.State) {
		for _, z := range c.Env.Spec.AvailabilityZones {
			netCheckRoute(t, c, st, KeyPrivateRT(z), "", []string{st.Output(KeySubnet(SubnetPrivate, z), "id")})
		}
		netCheckEndpoint(t, c, st)
	})
}

// TestNetworkResume interrupts an apply, then checks that the next one
// converges with exactly one of each resource.
func TestNetworkResume(t *testing.T) {
	c, _ := netCloud(t, sandbox.Options{}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res, _, err := netRun(ctx, t, c, infra.ModeApply, func(ev infra.Event) {
		if ev.Phase == infra.PhaseDone && strings.HasPrefix(string(ev.Key), "ec2/subnet/") {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted apply: %v, want a cancellation", err)
	}
	done := 0
	for _, s := range res.Steps {
		if s.Outcome == infra.OutcomeDone {
			done++
		}
	}
	if done == len(res.Steps) {
		t.Fatal("the interrupted apply finished everything; the test interrupts nothing")
	}
	netMust(t, c, infra.ModeApply)
	netWantCounts(t, netInventory(t, c), map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 1, "nat": 1, "rt": 4, "endpoint": 1})
	plan, _ := netMust(t, c, infra.ModePlan)
	if p := netPending(plan); len(p) > 0 {
		t.Errorf("plan after the resumed apply:\n%s", strings.Join(p, "\n"))
	}
	netMust(t, c, infra.ModeDestroy)
	netWantCounts(t, netInventory(t, c), nil)
}

// TestNetworkDuplicates plants what a crash between a create and its
// answer leaves (a second VPC, gateway, address and route table with the
// same keys), checks that the plan reports them, and that apply removes
// them and keeps the ones in use.
func TestNetworkDuplicates(t *testing.T) {
	c, _ := netCloud(t, sandbox.Options{}, nil)
	ctx := t.Context()
	api := c.C.EC2
	_, st := netMust(t, c, infra.ModeApply)
	z0 := c.Env.Spec.AvailabilityZones[0]
	spec1 := func(rt ec2types.ResourceType, k infra.Key) []ec2types.TagSpecification {
		return c.ec2TagSpec(rt, k, "dup", nil)
	}
	dupVPC, err := api.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdk.String("10.1.0.0/16"), TagSpecifications: spec1(ec2types.ResourceTypeVpc, KeyVPC)})
	netNoErr(t, err)
	// The duplicate VPC has a subnet and a route table of the environment
	// in it, as if a run had gone on in it for a while.
	_, err = api.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: dupVPC.Vpc.VpcId, CidrBlock: sdk.String("10.1.0.0/18"), AvailabilityZone: sdk.String(z0),
		TagSpecifications: spec1(ec2types.ResourceTypeSubnet, KeySubnet(SubnetPrivate, z0))})
	netNoErr(t, err)
	_, err = api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: dupVPC.Vpc.VpcId, TagSpecifications: spec1(ec2types.ResourceTypeRouteTable, KeyPrivateRT(z0))})
	netNoErr(t, err)
	_, err = api.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: spec1(ec2types.ResourceTypeInternetGateway, KeyIGW)})
	netNoErr(t, err)
	_, err = api.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc, TagSpecifications: spec1(ec2types.ResourceTypeElasticIp, KeyEIP(z0))})
	netNoErr(t, err)
	_, err = api.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: sdk.String(st.Output(KeyVPC, "id")), TagSpecifications: spec1(ec2types.ResourceTypeRouteTable, KeyPublicRT)})
	netNoErr(t, err)

	plan, _ := netMust(t, c, infra.ModePlan)
	for _, k := range []infra.Key{KeyVPC, KeyIGW, KeyEIP(z0), KeyPublicRT} {
		s, _ := plan.Step(k)
		if s.Action != infra.ActionUpdate || !strings.Contains(strings.Join(s.Reasons, " "), "interrupted run") {
			t.Errorf("%s: plan %s %v, want an update removing the duplicate", k, s.Action, s.Reasons)
		}
	}
	_, st2 := netMust(t, c, infra.ModeApply)
	for _, k := range []infra.Key{KeyVPC, KeyIGW, KeyEIP(z0), KeyPublicRT, KeySubnet(SubnetPrivate, z0), KeyNAT(z0)} {
		if st2.Output(k, "id")+st2.Output(k, "allocationId") != st.Output(k, "id")+st.Output(k, "allocationId") {
			t.Errorf("%s: apply switched from %s to %s; it must keep the one in use", k, st.Output(k, "id")+st.Output(k, "allocationId"), st2.Output(k, "id")+st2.Output(k, "allocationId"))
		}
	}
	netWantCounts(t, netInventory(t, c), map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 1, "nat": 1, "rt": 4, "endpoint": 1})
	plan, _ = netMust(t, c, infra.ModePlan)
	if p := netPending(plan); len(p) > 0 {
		t.Errorf("plan after removing the duplicates:\n%s", strings.Join(p, "\n"))
	}
	netMust(t, c, infra.ModeDestroy)
	netWantCounts(t, netInventory(t, c), nil)
}

// TestNetworkDrift checks that tags and settings changed behind eksenv's
// back show in the plan and are put back by apply.
func TestNetworkDrift(t *testing.T) {
	c, _ := netCloud(t, sandbox.Options{}, nil)
	ctx := t.Context()
	api := c.C.EC2
	_, st := netMust(t, c, infra.ModeApply)
	z0 := c.Env.Spec.AvailabilityZones[0]
	pub := st.Output(KeySubnet(SubnetPublic, z0), "id")
	priv := st.Output(KeySubnet(SubnetPrivate, z0), "id")
	_, err := api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{priv}, Tags: []ec2types.Tag{{Key: sdk.String("karpenter.sh/discovery")}}})
	netNoErr(t, err)
	_, err = api.ModifySubnetAttribute(ctx, &ec2.ModifySubnetAttributeInput{SubnetId: &pub, MapPublicIpOnLaunch: &ec2types.AttributeBooleanValue{Value: sdk.Bool(false)}})
	netNoErr(t, err)
	vpc := st.Output(KeyVPC, "id")
	_, err = api.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: &vpc, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: sdk.Bool(false)}})
	netNoErr(t, err)
	rt := st.Output(KeyPrivateRT(z0), "id")
	_, err = api.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: &rt, DestinationCidrBlock: sdk.String("0.0.0.0/0")})
	netNoErr(t, err)
	c.Env.Spec.Tags = map[string]string{"team": "platform"}

	plan, _ := netMust(t, c, infra.ModePlan)
	for k, want := range map[infra.Key]string{
		KeySubnet(SubnetPrivate, z0): "karpenter.sh/discovery",
		KeySubnet(SubnetPublic, z0):  "MapPublicIpOnLaunch",
		KeyVPC:                       "DNS hostnames",
		KeyPrivateRT(z0):             "no default route",
		KeyS3Endpoint:                "team",
	} {
		s, _ := plan.Step(k)
		if s.Action != infra.ActionUpdate || !strings.Contains(strings.Join(s.Reasons, "; "), want) {
			t.Errorf("%s: plan %s %v, want an update mentioning %q", k, s.Action, s.Reasons, want)
		}
	}
	netMust(t, c, infra.ModeApply)
	plan, _ = netMust(t, c, infra.ModePlan)
	if p := netPending(plan); len(p) > 0 {
		t.Errorf("plan after fixing the drift:\n%s", strings.Join(p, "\n"))
	}
	netMust(t, c, infra.ModeDestroy)
	netWantCounts(t, netInventory(t, c), nil)
}

// TestNetworkNATModeChange changes natGateways under a live network: the
// NAT gateways the new setting no longer has go once no route uses them, and
// a destroy right after the change still removes everything.
func TestNetworkNATModeChange(t *testing.T) {
	c, _ := netCloud(t, sandbox.Options{}, func(e *spec.Environment) { e.Spec.Network.NATGateways = spec.NATPerZone })
	full := map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 3, "nat": 3, "rt": 4, "endpoint": 1}

	// Destroy right after the change: the NAT gateways of zones b and c
	// are no longer in the graph, and must not keep their subnets alive.
	netMust(t, c, infra.ModeApply)
	netWantCounts(t, netInventory(t, c), full)
	c.Env.Spec.Network.NATGateways = spec.NATSingle
	netMust(t, c, infra.ModeDestroy)
	netWantCounts(t, netInventory(t, c), nil)

	// Apply after the change: the private route tables move to the single
	// NAT gateway and the two others go.
	c.Env.Spec.Network.NATGateways = spec.NATPerZone
	netMust(t, c, infra.ModeApply)
	c.Env.Spec.Network.NATGateways = spec.NATSingle
	plan, _ := netMust(t, c, infra.ModePlan)
	for _, z := range c.Env.Spec.AvailabilityZones[1:] {
		if s, _ := plan.Step(KeyPrivateRT(z)); s.Action != infra.ActionUpdate {
			t.Errorf("%s: plan %s %v, want an update of the default route", KeyPrivateRT(z), s.Action, s.Reasons)
		}
	}
	_, st := netMust(t, c, infra.ModeApply)
	netWantCounts(t, netInventory(t, c), map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 1, "nat": 1, "rt": 4, "endpoint": 1})
	nat := st.Output(KeyNAT(c.Env.Spec.AvailabilityZones[0]), "id")
	for _, z := range c.Env.Spec.AvailabilityZones {
		netCheckRoute(t, c, st, KeyPrivateRT(z), nat, []string{st.Output(KeySubnet(SubnetPrivate, z), "id")})
	}

	c.Env.Spec.Network.NATGateways = spec.NATNone
	_, st = netMust(t, c, infra.ModeApply)
	netWantCounts(t, netInventory(t, c), map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "rt": 4, "endpoint": 1})
	for _, z := range c.Env.Spec.AvailabilityZones {
		netCheckRoute(t, c, st, KeyPrivateRT(z), "", []string{st.Output(KeySubnet(SubnetPrivate, z), "id")})
	}
	plan, _ = netMust(t, c, infra.ModePlan)
	if p := netPending(plan); len(p) > 0 {
		t.Errorf("plan after natGateways none:\n%s", strings.Join(p, "\n"))
	}
	netMust(t, c, infra.ModeDestroy)
	netWantCounts(t, netInventory(t, c), nil)
}

// TestNetworkResumePendingNAT interrupts an apply while the NAT gateway is
// still pending: the next apply waits for that one instead of making a
// second.
func TestNetworkResumePendingNAT(t *testing.T) {
	c, sb := netCloud(t, sandbox.Options{Latency: sandbox.Latency{NATCreate: 2 * time.Second}}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, _, err := netRun(ctx, t, c, infra.ModeApply, func(ev infra.Event) {
		if ev.Phase == infra.PhaseWaiting && strings.Contains(ev.Message, "NAT gateway") && strings.Contains(ev.Message, "pending") {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted apply: %v, want a cancellation", err)
	}
	if n := len(netInventory(t, c)["nat"]); n != 1 {
		t.Fatalf("%d NAT gateways after the interruption, want the pending one", n)
	}
	before := sb.Calls()["ec2:CreateNatGateway"]
	netMust(t, c, infra.ModeApply)
	if n := sb.Calls()["ec2:CreateNatGateway"] - before; n != 0 {
		t.Errorf("the resumed apply created %d NAT gateways, want 0", n)
	}
	netWantCounts(t, netInventory(t, c), map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 1, "nat": 1, "rt": 4, "endpoint": 1})
	netMust(t, c, infra.ModeDestroy)
	netWantCounts(t, netInventory(t, c), nil)
}

// TestNetworkFaults applies and destroys while the sandbox throttles and
// fails a share of the calls: the retries converge on exactly one of each.
func TestNetworkFaults(t *testing.T) {
	c, sb := netCloud(t, sandbox.Options{Seed: 7}, nil)
	sb.SetFaults(0.15)
	netMust(t, c, infra.ModeApply)
	sb.SetFaults(0)
	netWantCounts(t, netInventory(t, c), map[string]int{"vpc": 1, "subnet": 6, "igw": 1, "eip": 1, "nat": 1, "rt": 4, "endpoint": 1})
	plan, _ := netMust(t, c, infra.ModePlan)
	if p := netPending(plan); len(p) > 0 {
		t.Errorf("plan after the faulty apply:\n%s", strings.Join(p, "\n"))
	}
	sb.SetFaults(0.15)
	netMust(t, c, infra.ModeDestroy)
	sb.SetFaults(0)
	netWantCounts(t, netInventory(t, c), nil)
}
