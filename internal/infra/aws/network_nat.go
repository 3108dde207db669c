package aws

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/spec"
)

// natRes is a public NAT gateway in a zone's public subnet.
type natRes struct {
	netBase
	zone string
}

func (r *natRes) Describe() string { return fmt.Sprintf("NAT gateway %s in %s", r.name, r.zone) }

func natIDOf(n ec2types.NatGateway) string { return sdk.ToString(n.NatGatewayId) }

func natLive(n ec2types.NatGateway) bool {
	return n.State == ec2types.NatGatewayStatePending || n.State == ec2types.NatGatewayStateAvailable
}

func natAllocations(n ec2types.NatGateway) []string {
	var out []string
	for _, a := range n.NatGatewayAddresses {
		if id := sdk.ToString(a.AllocationId); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// natFound is what look found of a key's NAT gateways.
type natFound struct {
	chosen   *ec2types.NatGateway
	extras   []ec2types.NatGateway // other live ones
	deleting []ec2types.NatGateway
	dead     int // failed or deleted, still listed
}

// want are the subnet and address the NAT gateway should use ("" unknown).
func (r *natRes) want(s *infra.State) (subnet, alloc string) {
	return s.Output(KeySubnet(SubnetPublic, r.zone), "id"), s.Output(KeyEIP(r.zone), "allocationId")
}

func (r *natRes) matches(s *infra.State, n ec2types.NatGateway) bool {
	subnet, alloc := r.want(s)
	if subnet != "" && sdk.ToString(n.SubnetId) != subnet {
		return false
	}
	if alloc != "" {
		for _, a := range natAllocations(n) {
			if a == alloc {
				return true
			}
		}
		return false
	}
	return true
}

// look finds the key's NAT gateways in the VPC: the live one that uses the
// right subnet and address first, then an available one.
func (r *natRes) look(ctx context.Context, s *infra.State) (natFound, error) {
	vpc := netVPCID(s)
	if vpc == "" {
		return natFound{}, nil
	}
	out, err := r.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: r.filters(netFilter("vpc-id", vpc))})
	if err != nil {
		return natFound{}, fmt.Errorf("describe NAT gateways: %w", err)
	}
	var f natFound
	var live []ec2types.NatGateway
	for _, n := range out.NatGateways {
		if !r.owns(n.Tags) || sdk.ToString(n.VpcId) != vpc {
			continue
		}
		switch {
		case natLive(n):
			live = append(live, n)
		case n.State == ec2types.NatGatewayStateDeleting:
			f.deleting = append(f.deleting, n)
		default:
			f.dead++
		}
	}
	f.chosen, f.extras = netPick(live, natIDOf, func(n ec2types.NatGateway) int {
		rank := 0
		if !r.matches(s, n) {
			rank += 2
		}
		if n.State != ec2types.NatGatewayStateAvailable {
			rank++
		}
		return rank
	})
	return f, nil
}

func (r *natRes) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	f, err := r.look(ctx, s)
	if err != nil {
		return infra.Observation{}, err
	}
	return r.observe(s, f), nil
}

func (r *natRes) observe(s *infra.State, f natFound) infra.Observation {
	if f.chosen == nil {
		if len(f.deleting) > 0 {
			// Still there: destroy waits for it, apply replaces it.
			return infra.Observation{Exists: true, ID: natIDOf(f.deleting[0]), Changes: []string{"being deleted: a new one is created once it is gone"}}
		}
		return infra.Observation{}
	}
	n := *f.chosen
	id := natIDOf(n)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}
	if !r.matches(s, n) {
		subnet, alloc := r.want(s)
		obs.Changes = append(obs.Changes, fmt.Sprintf("uses subnet %s and address %v, want %s and %s: to be replaced", sdk.ToString(n.SubnetId), natAllocations(n), subnet, alloc))
	}
	if n.State != ec2types.NatGatewayStateAvailable {
		obs.Changes = append(obs.Changes, fmt.Sprintf("%s, not yet available", n.State))
	}
	obs.Changes = append(obs.Changes, r.tagChanges(n.Tags, nil)...)
	if len(f.extras) > 0 {
		obs.Changes = append(obs.Changes, netExtras("NAT gateways", netIDs(f.extras, natIDOf)))
	}
	return obs
}

// token is the idempotency token of a creation: the same for a retry of the
// same request, new once the earlier gateway failed or was deleted.
func (r *natRes) token(subnet, alloc string, dead int, salt string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%s|%s|%d|%s", r.c.Env.Metadata.Name, r.key, subnet, alloc, dead, salt)))
	return "eksenv-" + hex.EncodeToString(h[:16])
}

func (r *natRes) Apply(ctx context.Context, s *infra.State, _ infra.Observation) (infra.Observation, error) {
	subnet, alloc := r.want(s)
	if subnet == "" || alloc == "" {
		return infra.Observation{}, fmt.Errorf("the public subnet or the elastic IP of %s is not known yet", r.zone)
	}
	f, err := r.look(ctx, s)
	if err != nil {
		return infra.Observation{}, err
	}
	// A gateway being deleted may still hold the address.
	if err := r.waitGone(ctx, s, netIDs(f.deleting, natIDOf)); err != nil {
		return infra.Observation{}, err
	}
	if f.chosen == nil || !r.matches(s, *f.chosen) {
		if f.chosen != nil {
			f.extras = append(f.extras, *f.chosen)
		}
		n, err := r.create(ctx, subnet, alloc, f.dead+len(f.deleting))
		if err != nil {
			return infra.Observation{}, err
		}
		f.chosen = n
	}
	id := natIDOf(*f.chosen)
	var last ec2types.NatGateway
	err = r.c.wait(ctx, s, r.key, "NAT gateway "+id, func(ctx context.Context) (bool, string, error) {
		n, found, err := r.get(ctx, id)
		if err != nil || !found {
			return false, "not visible yet", err
		}
		last = n
		switch n.State {
		case ec2types.NatGatewayStateAvailable:
			return true, "available", nil
		case ec2types.NatGatewayStatePending:
			return false, "pending", nil
		}
		return false, "", fmt.Errorf("NAT gateway %s is %s (%s: %s); run again to create a new one", id, n.State, sdk.ToString(n.FailureCode), sdk.ToString(n.FailureMessage))
	})
	if err != nil {
		return infra.Observation{}, err
	}
	if err := r.fixTags(ctx, id, last.Tags, nil); err != nil {
		return infra.Observation{}, err
	}
	if err := r.removeExtras(ctx, s, f.extras, alloc); err != nil {
		return infra.Observation{}, err
	}
	last.Tags = ec2Tags(r.wantTags(nil))
	return r.observe(s, natFound{chosen: &last}), nil
}

// create creates the gateway. When the token brings back an earlier gateway
// that has since failed or gone, it tries once more with a token salted by
// that gateway's id.
func (r *natRes) create(ctx context.Context, subnet, alloc string, dead int) (*ec2types.NatGateway, error) {
	salt := ""
	for range 2 {
		out, err := r.ec2.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{
			SubnetId:          sdk.String(subnet),
			AllocationId:      sdk.String(alloc),
			ConnectivityType:  ec2types.ConnectivityTypePublic,
			ClientToken:       sdk.String(r.token(subnet, alloc, dead, salt)),
			TagSpecifications: r.tagSpec(ec2types.ResourceTypeNatgateway, nil),
		})
		if err != nil {
			return nil, fmt.Errorf("create NAT gateway in %s with %s: %w", subnet, alloc, err)
		}
		n := out.NatGateway
		if n == nil {
			return nil, fmt.Errorf("create NAT gateway in %s: no gateway in the answer", subnet)
		}
		if n.State == "" || natLive(*n) {
			return n, nil
		}
		salt = natIDOf(*n)
	}
	return nil, fmt.Errorf("create NAT gateway in %s: the idempotency token keeps bringing back a gateway that is gone; run again", subnet)
}

// get describes one gateway by id; found is false while it is not visible.
func (r *natRes) get(ctx context.Context, id string) (ec2types.NatGateway, bool, error) {
	out, err := r.ec2.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
	if notFound(err) {
		return ec2types.NatGateway{}, false, nil
	}
	if err != nil {
		return ec2types.NatGateway{}, false, fmt.Errorf("describe NAT gateway %s: %w", id, err)
	}
	if len(out.NatGateways) == 0 {
		return ec2types.NatGateway{}, false, nil
	}
	return out.NatGateways[0], true, nil
}

// removeExtras deletes duplicate gateways and then releases the addresses
// they held, if they are the environment's and not the one in use.
func (r *natRes) removeExtras(ctx context.Context, s *infra.State, extras []ec2types.NatGateway, keep string) error {
	if len(extras) == 0 {
		return nil
	}
	var allocs []string
	for _, n := range extras {
		allocs = append(allocs, natAllocations(n)...)
	}
	if err := deleteNATs(ctx, r.c, r.ec2, s, r.key, extras); err != nil {
		return err
	}
	return releaseOwnedAddresses(ctx, r.c, r.ec2, allocs, keep)
}

func (r *natRes) waitGone(ctx context.Context, s *infra.State, ids []string) error {
	return waitNATsGone(ctx, r.c, r.ec2, s, r.key, ids)
}

func (r *natRes) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	f, err := r.look(ctx, s)
	if err != nil {
		return err
	}
	all := append(append([]ec2types.NatGateway(nil), f.extras...), f.deleting...)
	if f.chosen != nil {
		all = append(all, *f.chosen)
	}
	return deleteNATs(ctx, r.c, r.ec2, s, r.key, all)
}

// deleteNATs deletes gateways and waits until they are gone.
func deleteNATs(ctx context.Context, c *Cloud, api ec2API, s *infra.State, k infra.Key, ns []ec2types.NatGateway) error {
	for _, n := range ns {
		if !natLive(n) {
			continue
		}
		if _, err := api.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: n.NatGatewayId}); err != nil && !notFound(err) {
			return fmt.Errorf("delete NAT gateway %s: %w", natIDOf(n), err)
		}
	}
	return waitNATsGone(ctx, c, api, s, k, netIDs(ns, natIDOf))
}

// waitNATsGone waits until the gateways are deleted (or no longer listed).
func waitNATsGone(ctx context.Context, c *Cloud, api ec2API, s *infra.State, k infra.Key, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	return c.wait(ctx, s, k, fmt.Sprintf("NAT gateways %v to be deleted", ids), func(ctx context.Context) (bool, string, error) {
		out, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: ids})
		if notFound(err) {
			return true, "deleted", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe NAT gateways %v: %w", ids, err)
		}
		for _, n := range out.NatGateways {
			if n.State != ec2types.NatGatewayStateDeleted && n.State != ec2types.NatGatewayStateFailed {
				return false, natIDOf(n) + " " + string(n.State), nil
			}
		}
		return true, "deleted", nil
	})
}

// releaseOwnedAddresses releases the environment's addresses among ids,
// except keep.
func releaseOwnedAddresses(ctx context.Context, c *Cloud, api ec2API, ids []string, keep string) error {
	var todo []string
	for _, id := range ids {
		if id != keep {
			todo = append(todo, id)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	out, err := api.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{AllocationIds: todo})
	if notFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe elastic IPs %v: %w", todo, err)
	}
	for _, a := range out.Addresses {
		if c.Owned(fromEC2Tags(a.Tags)) {
			if err := releaseAddress(ctx, api, eipIDOf(a)); err != nil {
				return err
			}
		}
	}
	return nil
}

// pruneOrphanNAT deletes a NAT gateway of the environment that the current
// spec no longer has (natGateways changed from perZone to single or none),
// once no route of ours goes to it, and releases its address. It is called
// by a route table that just moved its default route away from the gateway.
func pruneOrphanNAT(ctx context.Context, c *Cloud, api ec2API, s *infra.State, k infra.Key, id string) error {
	out, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{id}})
	if notFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe NAT gateway %s: %w", id, err)
	}
	wanted := map[string]bool{}
	for _, z := range natZones(c) {
		wanted[string(KeyNAT(z))] = true
	}
	for _, n := range out.NatGateways {
		tags := fromEC2Tags(n.Tags)
		key := tags[ResourceTagKey]
		if !c.Owned(tags) || !strings.HasPrefix(key, string(KeyNAT(""))) || wanted[key] || !(natLive(n) || n.State == ec2types.NatGatewayStateDeleting) {
			continue
		}
		s.Report(k, fmt.Sprintf("deleting %s (%s), which natGateways %s no longer has", id, key, c.Env.Spec.Network.NATGateways))
		if err := deleteNATs(ctx, c, api, s, k, []ec2types.NatGateway{n}); err != nil {
			return err
		}
		if err := releaseOwnedAddresses(ctx, c, api, natAllocations(n), ""); err != nil {
			return err
		}
	}
	return nil
}

// deleteNATsInSubnet deletes the environment's NAT gateways in a subnet
// (one an earlier natGateways setting left) and releases their addresses,
// so that the subnet can go.
func deleteNATsInSubnet(ctx context.Context, c *Cloud, api ec2API, s *infra.State, k infra.Key, subnet string) error {
	out, err := api.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{
		netFilter("subnet-id", subnet), netFilter("tag:"+spec.OwnerTagKey, c.Env.Metadata.Name),
	}})
	if err != nil {
		return fmt.Errorf("describe the NAT gateways of %s: %w", subnet, err)
	}
	var ns []ec2types.NatGateway
	var allocs []string
	for _, n := range out.NatGateways {
		if c.Owned(fromEC2Tags(n.Tags)) && sdk.ToString(n.SubnetId) == subnet && (natLive(n) || n.State == ec2types.NatGatewayStateDeleting) {
			ns = append(ns, n)
			allocs = append(allocs, natAllocations(n)...)
		}
	}
	if len(ns) == 0 {
		return nil
	}
	if err := deleteNATs(ctx, c, api, s, k, ns); err != nil {
		return err
	}
	return releaseOwnedAddresses(ctx, c, api, allocs, "")
}
