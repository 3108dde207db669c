package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
)

// routeTarget is where a route table's default route goes: an internet
// gateway, a NAT gateway, or nowhere (none). An empty id is not known yet.
type routeTarget struct {
	gateway, nat string
	none         bool
}

func (t routeTarget) id() string { return t.gateway + t.nat }

// routeTableRes is a route table of the VPC: its default route and the
// subnets associated with it.
type routeTableRes struct {
	netBase
	what    string
	subnets []infra.Key
	target  func(*infra.State) routeTarget
}

func (r *routeTableRes) Describe() string { return r.what + " " + r.name }

func rtIDOf(t ec2types.RouteTable) string { return sdk.ToString(t.RouteTableId) }

// subnetAssociations maps the subnets associated with t to the association ids.
func subnetAssociations(t ec2types.RouteTable) map[string]string {
	out := map[string]string{}
	for _, a := range t.Associations {
		if sdk.ToBool(a.Main) || sdk.ToString(a.SubnetId) == "" {
			continue
		}
		if a.AssociationState != nil && (a.AssociationState.State == ec2types.RouteTableAssociationStateCodeDisassociated || a.AssociationState.State == ec2types.RouteTableAssociationStateCodeDisassociating) {
			continue
		}
		out[*a.SubnetId] = sdk.ToString(a.RouteTableAssociationId)
	}
	return out
}

func defaultRouteOf(t ec2types.RouteTable) *ec2types.Route {
	for i, rt := range t.Routes {
		if sdk.ToString(rt.DestinationCidrBlock) == netDefaultRoute {
			return &t.Routes[i]
		}
	}
	return nil
}

func routeTargetID(rt ec2types.Route) string {
	for _, p := range []*string{rt.NatGatewayId, rt.GatewayId, rt.TransitGatewayId, rt.NetworkInterfaceId, rt.InstanceId, rt.VpcPeeringConnectionId} {
		if p != nil && *p != "" {
			return *p
		}
	}
	return "?"
}

// wantSubnets are the ids of the subnets to associate (those known).
func (r *routeTableRes) wantSubnets(s *infra.State) map[string]bool {
	out := map[string]bool{}
	for _, k := range r.subnets {
		if id := s.Output(k, "id"); id != "" {
			out[id] = true
		}
	}
	return out
}

// look finds the key's route tables in the VPC: one with subnets first.
func (r *routeTableRes) look(ctx context.Context, vpc string) (*ec2types.RouteTable, []ec2types.RouteTable, error) {
	if vpc == "" {
		return nil, nil, nil
	}
	out, err := r.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: r.filters(netFilter("vpc-id", vpc))})
	if err != nil {
		return nil, nil, fmt.Errorf("describe route tables: %w", err)
	}
	var ts []ec2types.RouteTable
	for _, t := range out.RouteTables {
		if r.owns(t.Tags) && sdk.ToString(t.VpcId) == vpc {
			ts = append(ts, t)
		}
	}
	t, extras := netPick(ts, rtIDOf, func(t ec2types.RouteTable) int {
		if len(subnetAssociations(t)) > 0 {
			return 0
		}
		return 1
	})
	return t, extras, nil
}

func (r *routeTableRes) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	t, extras, err := r.look(ctx, netVPCID(s))
	if err != nil || t == nil {
		return infra.Observation{}, err
	}
	return r.observe(s, t, extras), nil
}

func (r *routeTableRes) observe(s *infra.State, t *ec2types.RouteTable, extras []ec2types.RouteTable) infra.Observation {
	id := rtIDOf(*t)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}
	want, cur := r.target(s), defaultRouteOf(*t)
	switch {
	case want.none && cur != nil:
		obs.Changes = append(obs.Changes, fmt.Sprintf("default route goes to %s; natGateways none wants no default route", routeTargetID(*cur)))
	case want.none, want.id() == "":
	case cur == nil:
		obs.Changes = append(obs.Changes, "no default route (to "+want.id()+")")
	case routeTargetID(*cur) != want.id() || cur.State == ec2types.RouteStateBlackhole:
		obs.Changes = append(obs.Changes, fmt.Sprintf("default route goes to %s (%s), want %s", routeTargetID(*cur), cur.State, want.id()))
	}
	have, wantSubs := subnetAssociations(*t), r.wantSubnets(s)
	for _, sub := range netSortedKeys(wantSubs) {
		if _, ok := have[sub]; !ok {
			obs.Changes = append(obs.Changes, "not associated with "+sub)
		}
	}
	for _, sub := range netSortedKeys(have) {
		if !wantSubs[sub] && len(wantSubs) == len(r.subnets) {
			obs.Changes = append(obs.Changes, "associated with "+sub+", which is not one of its subnets")
		}
	}
	obs.Changes = append(obs.Changes, r.tagChanges(t.Tags, nil)...)
	if len(extras) > 0 {
		obs.Changes = append(obs.Changes, netExtras("route tables", netIDs(extras, rtIDOf)))
	}
	return obs
}

func (r *routeTableRes) get(ctx context.Context, id string) (*ec2types.RouteTable, bool, error) {
	out, err := r.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{RouteTableIds: []string{id}})
	if notFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("describe route table %s: %w", id, err)
	}
	if len(out.RouteTables) == 0 {
		return nil, false, nil
	}
	return &out.RouteTables[0], true, nil
}

func (r *routeTableRes) Apply(ctx context.Context, s *infra.State, _ infra.Observation) (infra.Observation, error) {
	vpc := netVPCID(s)
	if vpc == "" {
		return infra.Observation{}, fmt.Errorf("the VPC is not known yet")
	}
	want := r.target(s)
	if !want.none && want.id() == "" {
		return infra.Observation{}, fmt.Errorf("the target of the default route is not known yet")
	}
	wantSubs := r.wantSubnets(s)
	if len(wantSubs) != len(r.subnets) {
		return infra.Observation{}, fmt.Errorf("the subnets are not known yet")
	}
	t, extras, err := r.look(ctx, vpc)
	if err != nil {
		return infra.Observation{}, err
	}
	if t == nil {
		out, err := r.ec2.CreateRouteTable(ctx, &ec2.CreateRouteTableInput{VpcId: sdk.String(vpc), TagSpecifications: r.tagSpec(ec2types.ResourceTypeRouteTable, nil)})
		if err != nil {
			return infra.Observation{}, fmt.Errorf("create route table in %s: %w", vpc, err)
		}
		t = out.RouteTable
	}
	id := rtIDOf(*t)
	err = r.c.wait(ctx, s, r.key, "route table "+id, func(ctx context.Context) (bool, string, error) {
		got, found, err := r.get(ctx, id)
		if found {
			t = got
		}
		return found, "not visible yet", err
	})
	if err != nil {
		return infra.Observation{}, err
	}
	if err := r.fixRoute(ctx, *t, want); err != nil {
		return infra.Observation{}, err
	}
	if cur := defaultRouteOf(*t); cur != nil && sdk.ToString(cur.NatGatewayId) != "" && sdk.ToString(cur.NatGatewayId) != want.nat {
		if err := pruneOrphanNAT(ctx, r.c, r.ec2, s, r.key, sdk.ToString(cur.NatGatewayId)); err != nil {
			return infra.Observation{}, err
		}
	}
	if err := r.fixAssociations(ctx, *t, wantSubs); err != nil {
		return infra.Observation{}, err
	}
	if err := r.fixTags(ctx, id, t.Tags, nil); err != nil {
		return infra.Observation{}, err
	}
	for _, x := range extras {
		if err := deleteRouteTable(ctx, r.ec2, x); err != nil {
			return infra.Observation{}, err
		}
	}
	t, found, err := r.get(ctx, id)
	if err != nil {
		return infra.Observation{}, err
	}
	if !found {
		return infra.Observation{}, fmt.Errorf("route table %s vanished while being set up", id)
	}
	return r.observe(s, t, nil), nil
}

func (r *routeTableRes) fixRoute(ctx context.Context, t ec2types.RouteTable, want routeTarget) error {
	id, cur := rtIDOf(t), defaultRouteOf(t)
	switch {
	case want.none && cur == nil:
		return nil
	case want.none:
		_, err := r.ec2.DeleteRoute(ctx, &ec2.DeleteRouteInput{RouteTableId: sdk.String(id), DestinationCidrBlock: sdk.String(netDefaultRoute)})
		if err != nil && !notFound(err) {
			return fmt.Errorf("delete the default route of %s: %w", id, err)
		}
		return nil
	case cur != nil && routeTargetID(*cur) == want.id() && cur.State != ec2types.RouteStateBlackhole:
		return nil
	case cur == nil:
		in := &ec2.CreateRouteInput{RouteTableId: sdk.String(id), DestinationCidrBlock: sdk.String(netDefaultRoute)}
		if want.nat != "" {
			in.NatGatewayId = sdk.String(want.nat)
		} else {
			in.GatewayId = sdk.String(want.gateway)
		}
		if _, err := r.ec2.CreateRoute(ctx, in); err != nil {
			return fmt.Errorf("add the default route to %s in %s: %w", want.id(), id, err)
		}
		return nil
	}
	in := &ec2.ReplaceRouteInput{RouteTableId: sdk.String(id), DestinationCidrBlock: sdk.String(netDefaultRoute)}
	if want.nat != "" {
		in.NatGatewayId = sdk.String(want.nat)
	} else {
		in.GatewayId = sdk.String(want.gateway)
	}
	if _, err := r.ec2.ReplaceRoute(ctx, in); err != nil {
		return fmt.Errorf("point the default route of %s to %s: %w", id, want.id(), err)
	}
	return nil
}

// fixAssociations associates the wanted subnets (moving them from the
// table they are on) and disassociates the others.
func (r *routeTableRes) fixAssociations(ctx context.Context, t ec2types.RouteTable, want map[string]bool) error {
	id, have := rtIDOf(t), subnetAssociations(t)
	var todo []string
	for _, sub := range netSortedKeys(want) {
		if _, ok := have[sub]; !ok {
			todo = append(todo, sub)
		}
	}
	if len(todo) > 0 {
		out, err := r.ec2.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{netFilter("association.subnet-id", todo...)}})
		if err != nil {
			return fmt.Errorf("describe the route tables of %v: %w", todo, err)
		}
		elsewhere := map[string]string{}
		for _, o := range out.RouteTables {
			for sub, assoc := range subnetAssociations(o) {
				elsewhere[sub] = assoc
			}
		}
		for _, sub := range todo {
			if assoc, ok := elsewhere[sub]; ok {
				_, err = r.ec2.ReplaceRouteTableAssociation(ctx, &ec2.ReplaceRouteTableAssociationInput{AssociationId: sdk.String(assoc), RouteTableId: sdk.String(id)})
			} else {
				_, err = r.ec2.AssociateRouteTable(ctx, &ec2.AssociateRouteTableInput{RouteTableId: sdk.String(id), SubnetId: sdk.String(sub)})
			}
			if err != nil {
				return fmt.Errorf("associate %s with %s: %w", sub, id, err)
			}
		}
	}
	for _, sub := range netSortedKeys(have) {
		if want[sub] {
			continue
		}
		if _, err := r.ec2.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: sdk.String(have[sub])}); err != nil && !notFound(err) {
			return fmt.Errorf("disassociate %s from %s: %w", sub, id, err)
		}
	}
	return nil
}

func (r *routeTableRes) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	t, extras, err := r.look(ctx, netVPCID(s))
	if err != nil || t == nil {
		return err
	}
	for _, x := range append([]ec2types.RouteTable{*t}, extras...) {
		if err := deleteRouteTable(ctx, r.ec2, x); err != nil {
			return err
		}
	}
	return nil
}

// deleteRouteTable disassociates a route table from its subnets and deletes
// it (synchronous in EC2).
func deleteRouteTable(ctx context.Context, api ec2API, t ec2types.RouteTable) error {
	id := rtIDOf(t)
	for sub, assoc := range subnetAssociations(t) {
		if _, err := api.DisassociateRouteTable(ctx, &ec2.DisassociateRouteTableInput{AssociationId: sdk.String(assoc)}); err != nil && !notFound(err) {
			return fmt.Errorf("disassociate %s from %s: %w", sub, id, err)
		}
	}
	if _, err := api.DeleteRouteTable(ctx, &ec2.DeleteRouteTableInput{RouteTableId: sdk.String(id)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete route table %s: %w", id, err)
	}
	return nil
}
