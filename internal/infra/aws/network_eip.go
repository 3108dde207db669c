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

// eipRes is the elastic IP of a NAT gateway.
type eipRes struct {
	netBase
	zone string
}

func (r *eipRes) Describe() string {
	return fmt.Sprintf("elastic IP %s for the NAT gateway in %s", r.name, r.zone)
}

func eipIDOf(a ec2types.Address) string { return sdk.ToString(a.AllocationId) }

func eipInUse(a ec2types.Address) bool {
	return sdk.ToString(a.AssociationId) != "" || sdk.ToString(a.NetworkInterfaceId) != ""
}

// look finds the environment's addresses of the key: the associated one first.
func (r *eipRes) look(ctx context.Context) (*ec2types.Address, []ec2types.Address, error) {
	out, err := r.ec2.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: r.filters()})
	if err != nil {
		return nil, nil, fmt.Errorf("describe addresses: %w", err)
	}
	var as []ec2types.Address
	for _, a := range out.Addresses {
		if r.owns(a.Tags) {
			as = append(as, a)
		}
	}
	a, extras := netPick(as, eipIDOf, func(a ec2types.Address) int {
		if eipInUse(a) {
			return 0
		}
		return 1
	})
	return a, extras, nil
}

func (r *eipRes) Observe(ctx context.Context, _ *infra.State) (infra.Observation, error) {
	a, extras, err := r.look(ctx)
	if err != nil || a == nil {
		return infra.Observation{}, err
	}
	return r.observe(a, extras), nil
}

func (r *eipRes) observe(a *ec2types.Address, extras []ec2types.Address) infra.Observation {
	id := eipIDOf(*a)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"allocationId": id, "publicIp": sdk.ToString(a.PublicIp)}}
	obs.Changes = append(obs.Changes, r.tagChanges(a.Tags, nil)...)
	if len(extras) > 0 {
		obs.Changes = append(obs.Changes, netExtras("addresses", netIDs(extras, eipIDOf)))
	}
	return obs
}

func (r *eipRes) Apply(ctx context.Context, _ *infra.State, _ infra.Observation) (infra.Observation, error) {
	a, extras, err := r.look(ctx)
	if err != nil {
		return infra.Observation{}, err
	}
	if a == nil {
		out, err := r.ec2.AllocateAddress(ctx, &ec2.AllocateAddressInput{
			Domain:            ec2types.DomainTypeVpc,
			TagSpecifications: r.tagSpec(ec2types.ResourceTypeElasticIp, nil),
		})
		if err != nil {
			return infra.Observation{}, fmt.Errorf("allocate an elastic IP: %w", err)
		}
		a = &ec2types.Address{AllocationId: out.AllocationId, PublicIp: out.PublicIp}
	} else if err := r.fixTags(ctx, eipIDOf(*a), a.Tags, nil); err != nil {
		return infra.Observation{}, err
	}
	var left []ec2types.Address
	for _, x := range extras {
		// An extra still in use belongs to an extra NAT gateway: the NAT
		// gateway's step deletes both.
		if eipInUse(x) {
			left = append(left, x)
			continue
		}
		if err := releaseAddress(ctx, r.ec2, eipIDOf(x)); err != nil {
			return infra.Observation{}, err
		}
	}
	a.Tags = ec2Tags(r.wantTags(nil))
	return r.observe(a, left), nil
}

func releaseAddress(ctx context.Context, api ec2API, id string) error {
	_, err := api.ReleaseAddress(ctx, &ec2.ReleaseAddressInput{AllocationId: sdk.String(id)})
	if err != nil && !notFound(err) {
		return fmt.Errorf("release elastic IP %s: %w", id, err)
	}
	return nil
}

// Delete releases the addresses of the key, each once no NAT gateway of
// the environment holds it any more (AWS frees the address when the gateway
// is deleted; the emulator leaves it associated until released).
func (r *eipRes) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	a, extras, err := r.look(ctx)
	if err != nil || a == nil {
		return err
	}
	for _, x := range append([]ec2types.Address{*a}, extras...) {
		id := eipIDOf(x)
		if eipInUse(x) {
			err := r.c.wait(ctx, s, r.key, "elastic IP "+id+" to be freed by its NAT gateway", func(ctx context.Context) (bool, string, error) {
				holder, err := r.holder(ctx, id)
				return holder == "", holder, err
			})
			if err != nil {
				return err
			}
		}
		if err := releaseAddress(ctx, r.ec2, id); err != nil {
			return err
		}
	}
	return nil
}

// holder returns the environment's NAT gateway (not yet deleted) that holds
// the address, with its state, or "".
func (r *eipRes) holder(ctx context.Context, alloc string) (string, error) {
	out, err := r.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{netFilter("tag:"+spec.OwnerTagKey, r.c.Env.Metadata.Name)}})
	if err != nil {
		return "", fmt.Errorf("describe NAT gateways: %w", err)
	}
	for _, n := range out.NatGateways {
		if natLive(n) || n.State == ec2types.NatGatewayStateDeleting {
			for _, a := range natAllocations(n) {
				if a == alloc {
					return natIDOf(n) + " " + string(n.State), nil
				}
			}
		}
	}
	return "", nil
}
