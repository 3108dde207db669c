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
)

// s3EndpointRes is the S3 gateway endpoint on every route table: free, and
// it keeps S3 and image-layer traffic off the NAT gateway.
type s3EndpointRes struct {
	netBase
	routeTables []infra.Key
	service     string
}

func (r *s3EndpointRes) Describe() string {
	return fmt.Sprintf("S3 gateway endpoint %s (%s)", r.name, r.service)
}

func vpceIDOf(e ec2types.VpcEndpoint) string { return sdk.ToString(e.VpcEndpointId) }

func vpceState(e ec2types.VpcEndpoint, states ...string) bool {
	for _, st := range states {
		if strings.EqualFold(string(e.State), st) {
			return true
		}
	}
	return false
}

// vpceGone reports whether an endpoint no longer counts.
func vpceGone(e ec2types.VpcEndpoint) bool {
	return vpceState(e, "deleted", "failed", "rejected", "expired")
}

func (r *s3EndpointRes) wantRouteTables(s *infra.State) []string {
	var out []string
	for _, k := range r.routeTables {
		if id := s.Output(k, "id"); id != "" {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// look finds the key's endpoints in the VPC: one of the right service, not
// being deleted, first.
func (r *s3EndpointRes) look(ctx context.Context, vpc string) (*ec2types.VpcEndpoint, []ec2types.VpcEndpoint, error) {
	if vpc == "" {
		return nil, nil, nil
	}
	out, err := r.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: r.filters(netFilter("vpc-id", vpc))})
	if err != nil {
		return nil, nil, fmt.Errorf("describe VPC endpoints: %w", err)
	}
	var es []ec2types.VpcEndpoint
	for _, e := range out.VpcEndpoints {
		if r.owns(e.Tags) && sdk.ToString(e.VpcId) == vpc && !vpceGone(e) {
			es = append(es, e)
		}
	}
	e, extras := netPick(es, vpceIDOf, func(e ec2types.VpcEndpoint) int {
		rank := 0
		if !r.usable(e) {
			rank += 2
		}
		if !vpceState(e, "available") {
			rank++
		}
		return rank
	})
	return e, extras, nil
}

// usable reports whether e can be kept: the right service and kind, not
// being deleted.
func (r *s3EndpointRes) usable(e ec2types.VpcEndpoint) bool {
	return sdk.ToString(e.ServiceName) == r.service && e.VpcEndpointType == ec2types.VpcEndpointTypeGateway && !vpceState(e, "deleting")
}

func (r *s3EndpointRes) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	e, extras, err := r.look(ctx, netVPCID(s))
	if err != nil || e == nil {
		return infra.Observation{}, err
	}
	return r.observe(s, e, extras), nil
}

func (r *s3EndpointRes) observe(s *infra.State, e *ec2types.VpcEndpoint, extras []ec2types.VpcEndpoint) infra.Observation {
	id := vpceIDOf(*e)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}
	if !r.usable(*e) {
		obs.Changes = append(obs.Changes, fmt.Sprintf("%s endpoint of %s, %s: to be replaced", e.VpcEndpointType, sdk.ToString(e.ServiceName), e.State))
	} else if !vpceState(*e, "available") {
		obs.Changes = append(obs.Changes, fmt.Sprintf("%s, not yet available", e.State))
	}
	add, remove := r.routeDiff(s, *e)
	if len(add) > 0 {
		obs.Changes = append(obs.Changes, "not on route tables "+strings.Join(add, ", "))
	}
	if len(remove) > 0 {
		obs.Changes = append(obs.Changes, "on other route tables "+strings.Join(remove, ", "))
	}
	obs.Changes = append(obs.Changes, r.tagChanges(e.Tags, nil)...)
	if len(extras) > 0 {
		obs.Changes = append(obs.Changes, netExtras("VPC endpoints", netIDs(extras, vpceIDOf)))
	}
	return obs
}

// routeDiff lists the route tables to add to e and to remove from it (none
// removed while the wanted ones are not all known).
func (r *s3EndpointRes) routeDiff(s *infra.State, e ec2types.VpcEndpoint) (add, remove []string) {
	want := r.wantRouteTables(s)
	have := map[string]bool{}
	for _, id := range e.RouteTableIds {
		have[id] = true
	}
	wanted := map[string]bool{}
	for _, id := range want {
		wanted[id] = true
		if !have[id] {
			add = append(add, id)
		}
	}
	if len(want) == len(r.routeTables) {
		for _, id := range netSortedKeys(have) {
			if !wanted[id] {
				remove = append(remove, id)
			}
		}
	}
	return add, remove
}

func (r *s3EndpointRes) get(ctx context.Context, id string) (*ec2types.VpcEndpoint, bool, error) {
	out, err := r.ec2.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{id}})
	if notFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("describe VPC endpoint %s: %w", id, err)
	}
	if len(out.VpcEndpoints) == 0 || vpceGone(out.VpcEndpoints[0]) {
		return nil, false, nil
	}
	return &out.VpcEndpoints[0], true, nil
}

func (r *s3EndpointRes) Apply(ctx context.Context, s *infra.State, _ infra.Observation) (infra.Observation, error) {
	vpc := netVPCID(s)
	want := r.wantRouteTables(s)
	if vpc == "" || len(want) != len(r.routeTables) {
		return infra.Observation{}, fmt.Errorf("the VPC or its route tables are not known yet")
	}
	e, extras, err := r.look(ctx, vpc)
	if err != nil {
		return infra.Observation{}, err
	}
	if e != nil && !r.usable(*e) {
		extras = append(extras, *e)
		e = nil
	}
	if e == nil {
		out, err := r.ec2.CreateVpcEndpoint(ctx, &ec2.CreateVpcEndpointInput{
			VpcId:             sdk.String(vpc),
			ServiceName:       sdk.String(r.service),
			VpcEndpointType:   ec2types.VpcEndpointTypeGateway,
			RouteTableIds:     want,
			TagSpecifications: r.tagSpec(ec2types.ResourceTypeVpcEndpoint, nil),
		})
		if err != nil {
			return infra.Observation{}, fmt.Errorf("create the S3 gateway endpoint in %s: %w", vpc, err)
		}
		e = out.VpcEndpoint
	}
	id := vpceIDOf(*e)
	err = r.c.wait(ctx, s, r.key, "S3 endpoint "+id, func(ctx context.Context) (bool, string, error) {
		got, found, err := r.get(ctx, id)
		if err != nil || !found {
			return false, "not visible yet", err
		}
		e = got
		if vpceState(*e, "available") {
			return true, "available", nil
		}
		if vpceState(*e, "pending", "pendingacceptance") {
			return false, string(e.State), nil
		}
		return false, "", fmt.Errorf("S3 endpoint %s is %s", id, e.State)
	})
	if err != nil {
		return infra.Observation{}, err
	}
	if add, remove := r.routeDiff(s, *e); len(add) > 0 || len(remove) > 0 {
		_, err := r.ec2.ModifyVpcEndpoint(ctx, &ec2.ModifyVpcEndpointInput{VpcEndpointId: sdk.String(id), AddRouteTableIds: add, RemoveRouteTableIds: remove})
		if err != nil {
			return infra.Observation{}, fmt.Errorf("set the route tables of %s: %w", id, err)
		}
	}
	if err := r.fixTags(ctx, id, e.Tags, nil); err != nil {
		return infra.Observation{}, err
	}
	if err := deleteEndpoints(ctx, r.c, r.ec2, s, r.key, netIDs(extras, vpceIDOf)); err != nil {
		return infra.Observation{}, err
	}
	e, found, err := r.get(ctx, id)
	if err != nil {
		return infra.Observation{}, err
	}
	if !found {
		return infra.Observation{}, fmt.Errorf("S3 endpoint %s vanished while being set up", id)
	}
	return r.observe(s, e, nil), nil
}

func (r *s3EndpointRes) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	e, extras, err := r.look(ctx, netVPCID(s))
	if err != nil || e == nil {
		return err
	}
	return deleteEndpoints(ctx, r.c, r.ec2, s, r.key, netIDs(append([]ec2types.VpcEndpoint{*e}, extras...), vpceIDOf))
}

// deleteEndpoints deletes VPC endpoints and waits until they are gone.
func deleteEndpoints(ctx context.Context, c *Cloud, api ec2API, s *infra.State, k infra.Key, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	out, err := api.DeleteVpcEndpoints(ctx, &ec2.DeleteVpcEndpointsInput{VpcEndpointIds: ids})
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete VPC endpoints %v: %w", ids, err)
	}
	if out != nil {
		for _, u := range out.Unsuccessful {
			if u.Error != nil && !strings.HasSuffix(sdk.ToString(u.Error.Code), ".NotFound") {
				return fmt.Errorf("delete VPC endpoint %s: %s: %s", sdk.ToString(u.ResourceId), sdk.ToString(u.Error.Code), sdk.ToString(u.Error.Message))
			}
		}
	}
	return c.wait(ctx, s, k, fmt.Sprintf("VPC endpoints %v to be deleted", ids), func(ctx context.Context) (bool, string, error) {
		out, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{VpcEndpointIds: ids})
		if notFound(err) {
			return true, "deleted", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe VPC endpoints %v: %w", ids, err)
		}
		for _, e := range out.VpcEndpoints {
			if !vpceGone(e) {
				return false, vpceIDOf(e) + " " + string(e.State), nil
			}
		}
		return true, "deleted", nil
	})
}
