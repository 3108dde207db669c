package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
)

// igwRes is the internet gateway, attached to the VPC.
type igwRes struct{ netBase }

func (r *igwRes) Describe() string { return "internet gateway " + r.name }

func igwIDOf(g ec2types.InternetGateway) string { return sdk.ToString(g.InternetGatewayId) }

func igwAttached(g ec2types.InternetGateway, vpc string) bool {
	for _, a := range g.Attachments {
		if sdk.ToString(a.VpcId) == vpc && a.State != ec2types.AttachmentStatusDetached && a.State != ec2types.AttachmentStatusDetaching {
			return true
		}
	}
	return false
}

// look finds the environment's internet gateways: the one attached to the
// VPC first.
func (r *igwRes) look(ctx context.Context, vpc string) (*ec2types.InternetGateway, []ec2types.InternetGateway, error) {
	out, err := r.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: r.filters()})
	if err != nil {
		return nil, nil, fmt.Errorf("describe internet gateways: %w", err)
	}
	var gs []ec2types.InternetGateway
	for _, g := range out.InternetGateways {
		if r.owns(g.Tags) {
			gs = append(gs, g)
		}
	}
	g, extras := netPick(gs, igwIDOf, func(g ec2types.InternetGateway) int {
		if vpc != "" && igwAttached(g, vpc) {
			return 0
		}
		return 1
	})
	return g, extras, nil
}

func (r *igwRes) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	vpc := netVPCID(s)
	g, extras, err := r.look(ctx, vpc)
	if err != nil || g == nil {
		return infra.Observation{}, err
	}
	return r.observe(vpc, g, extras), nil
}

func (r *igwRes) observe(vpc string, g *ec2types.InternetGateway, extras []ec2types.InternetGateway) infra.Observation {
	id := igwIDOf(*g)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}
	if vpc != "" && !igwAttached(*g, vpc) {
		obs.Changes = append(obs.Changes, "not attached to "+vpc)
	}
	obs.Changes = append(obs.Changes, r.tagChanges(g.Tags, nil)...)
	if len(extras) > 0 {
		obs.Changes = append(obs.Changes, netExtras("internet gateways", netIDs(extras, igwIDOf)))
	}
	return obs
}

func (r *igwRes) Apply(ctx context.Context, s *infra.State, _ infra.Observation) (infra.Observation, error) {
	vpc := netVPCID(s)
	if vpc == "" {
		return infra.Observation{}, fmt.Errorf("the VPC is not known yet")
	}
	g, extras, err := r.look(ctx, vpc)
	if err != nil {
		return infra.Observation{}, err
	}
	if g == nil {
		out, err := r.ec2.CreateInternetGateway(ctx, &ec2.CreateInternetGatewayInput{TagSpecifications: r.tagSpec(ec2types.ResourceTypeInternetGateway, nil)})
		if err != nil {
			return infra.Observation{}, fmt.Errorf("create internet gateway: %w", err)
		}
		g = out.InternetGateway
	}
	id := igwIDOf(*g)
	if !igwAttached(*g, vpc) {
		// A gateway has one VPC: leave any other (a duplicate VPC's) first.
		if err := r.detachAll(ctx, *g); err != nil {
			return infra.Observation{}, err
		}
		if _, err := r.ec2.AttachInternetGateway(ctx, &ec2.AttachInternetGatewayInput{InternetGatewayId: sdk.String(id), VpcId: sdk.String(vpc)}); err != nil {
			return infra.Observation{}, fmt.Errorf("attach internet gateway %s to %s: %w", id, vpc, err)
		}
	}
	if err := r.fixTags(ctx, id, g.Tags, nil); err != nil {
		return infra.Observation{}, err
	}
	for _, x := range extras {
		if err := r.remove(ctx, x); err != nil {
			return infra.Observation{}, err
		}
	}
	out, err := r.ec2.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{InternetGatewayIds: []string{id}})
	if err != nil {
		return infra.Observation{}, fmt.Errorf("describe internet gateway %s: %w", id, err)
	}
	if len(out.InternetGateways) == 0 {
		return infra.Observation{}, fmt.Errorf("internet gateway %s vanished while being set up", id)
	}
	return r.observe(vpc, &out.InternetGateways[0], nil), nil
}

func (r *igwRes) detachAll(ctx context.Context, g ec2types.InternetGateway) error {
	for _, a := range g.Attachments {
		if a.State == ec2types.AttachmentStatusDetached {
			continue
		}
		_, err := r.ec2.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: g.InternetGatewayId, VpcId: a.VpcId})
		if err != nil && !notFound(err) && ErrorCode(err) != "Gateway.NotAttached" {
			return fmt.Errorf("detach internet gateway %s from %s: %w", igwIDOf(g), sdk.ToString(a.VpcId), err)
		}
	}
	return nil
}

// remove detaches and deletes a gateway.
func (r *igwRes) remove(ctx context.Context, g ec2types.InternetGateway) error {
	if err := r.detachAll(ctx, g); err != nil {
		return err
	}
	_, err := r.ec2.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: g.InternetGatewayId})
	if err != nil && !notFound(err) {
		return fmt.Errorf("delete internet gateway %s: %w", igwIDOf(g), err)
	}
	return nil
}

func (r *igwRes) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	g, extras, err := r.look(ctx, netVPCID(s))
	if err != nil || g == nil {
		return err
	}
	for _, x := range append([]ec2types.InternetGateway{*g}, extras...) {
		if err := r.remove(ctx, x); err != nil {
			return err
		}
	}
	return nil
}
