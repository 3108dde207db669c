package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/spec"
)

// purgeVPC deletes a VPC of the environment, first the network resources of
// the environment still inside it (NAT gateways and their addresses, VPC
// endpoints, internet gateways, route tables, subnets), and waits until it is
// gone. It removes a duplicate VPC left by an interrupted run, and what an
// earlier configuration left (a NAT gateway of a zone no longer listed).
// Anything else in the VPC (network interfaces, security groups of others)
// makes AWS answer DependencyViolation, which the executor retries.
func purgeVPC(ctx context.Context, c *Cloud, api ec2API, s *infra.State, k infra.Key, id string) error {
	owner := netFilter("tag:"+spec.OwnerTagKey, c.Env.Metadata.Name)
	inVPC := netFilter("vpc-id", id)
	owned := func(tags []ec2types.Tag) bool { return c.Owned(fromEC2Tags(tags)) }

	nats, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{inVPC, owner}})
	if err != nil {
		return fmt.Errorf("describe the NAT gateways of %s: %w", id, err)
	}
	var ns []ec2types.NatGateway
	var allocs []string
	for _, n := range nats.NatGateways {
		if owned(n.Tags) && sdk.ToString(n.VpcId) == id && (natLive(n) || n.State == ec2types.NatGatewayStateDeleting) {
			ns = append(ns, n)
			allocs = append(allocs, natAllocations(n)...)
		}
	}
	if err := deleteNATs(ctx, c, api, s, k, ns); err != nil {
		return err
	}
	if err := releaseOwnedAddresses(ctx, c, api, allocs, ""); err != nil {
		return err
	}

	eps, err := api.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{Filters: []ec2types.Filter{inVPC, owner}})
	if err != nil {
		return fmt.Errorf("describe the endpoints of %s: %w", id, err)
	}
	var epIDs []string
	for _, e := range eps.VpcEndpoints {
		if owned(e.Tags) && sdk.ToString(e.VpcId) == id && !vpceGone(e) {
			epIDs = append(epIDs, vpceIDOf(e))
		}
	}
	if err := deleteEndpoints(ctx, c, api, s, k, epIDs); err != nil {
		return err
	}

	igws, err := api.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: []ec2types.Filter{netFilter("attachment.vpc-id", id)}})
	if err != nil {
		return fmt.Errorf("describe the internet gateways of %s: %w", id, err)
	}
	for _, g := range igws.InternetGateways {
		if !igwAttached(g, id) {
			continue
		}
		_, err := api.DetachInternetGateway(ctx, &ec2.DetachInternetGatewayInput{InternetGatewayId: g.InternetGatewayId, VpcId: sdk.String(id)})
		if err != nil && !notFound(err) && ErrorCode(err) != "Gateway.NotAttached" {
			return fmt.Errorf("detach internet gateway %s from %s: %w", igwIDOf(g), id, err)
		}
		if !owned(g.Tags) {
			continue
		}
		if _, err := api.DeleteInternetGateway(ctx, &ec2.DeleteInternetGatewayInput{InternetGatewayId: g.InternetGatewayId}); err != nil && !notFound(err) {
			return fmt.Errorf("delete internet gateway %s: %w", igwIDOf(g), err)
		}
	}

	rts, err := api.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: []ec2types.Filter{inVPC, owner}})
	if err != nil {
		return fmt.Errorf("describe the route tables of %s: %w", id, err)
	}
	for _, t := range rts.RouteTables {
		if owned(t.Tags) && sdk.ToString(t.VpcId) == id {
			if err := deleteRouteTable(ctx, api, t); err != nil {
				return err
			}
		}
	}

	subs, err := api.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{inVPC, owner}})
	if err != nil {
		return fmt.Errorf("describe the subnets of %s: %w", id, err)
	}
	for _, sn := range subs.Subnets {
		if owned(sn.Tags) && sdk.ToString(sn.VpcId) == id {
			if err := deleteSubnet(ctx, c, api, s, k, subnetIDOf(sn)); err != nil {
				return err
			}
		}
	}

	if _, err := api.DeleteVpc(ctx, &ec2.DeleteVpcInput{VpcId: sdk.String(id)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete VPC %s: %w", id, err)
	}
	return c.wait(ctx, s, k, "VPC "+id+" to be deleted", func(ctx context.Context) (bool, string, error) {
		out, err := api.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{VpcIds: []string{id}})
		if notFound(err) {
			return true, "deleted", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe VPC %s: %w", id, err)
		}
		return len(out.Vpcs) == 0, "still listed", nil
	})
}
