package aws

import (
	"context"
	"fmt"
	"slices"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/eksenv/eksenv/internal/infra"
)

// mountTargetAPI is what a mount target resource calls.
type mountTargetAPI interface {
	DescribeMountTargets(context.Context, *efs.DescribeMountTargetsInput, ...func(*efs.Options)) (*efs.DescribeMountTargetsOutput, error)
	DescribeMountTargetSecurityGroups(context.Context, *efs.DescribeMountTargetSecurityGroupsInput, ...func(*efs.Options)) (*efs.DescribeMountTargetSecurityGroupsOutput, error)
	CreateMountTarget(context.Context, *efs.CreateMountTargetInput, ...func(*efs.Options)) (*efs.CreateMountTargetOutput, error)
	ModifyMountTargetSecurityGroups(context.Context, *efs.ModifyMountTargetSecurityGroupsInput, ...func(*efs.Options)) (*efs.ModifyMountTargetSecurityGroupsOutput, error)
	DeleteMountTarget(context.Context, *efs.DeleteMountTargetInput, ...func(*efs.Options)) (*efs.DeleteMountTargetOutput, error)
}

// mountTargetResource is the file system's mount target in one private
// subnet. In a VPC eksenv makes there is a private subnet per zone and the
// resource is keyed by zone; with an existing VPC it is keyed by subnet id,
// and where two of the given subnets share a zone the second one shares the
// first one's mount target (EFS allows one per zone). Mount targets carry
// no tags: they belong to the file system, which does.
type mountTargetResource struct {
	c   *Cloud
	api mountTargetAPI
	// label is the zone, or with an existing VPC the subnet id.
	label  string
	subnet infra.Key
	// siblings are the other private subnets' ids (existing VPC only).
	siblings []string
}

// mountTargets returns a mount target resource per private subnet.
func mountTargets(c *Cloud) []infra.Resource {
	var out []infra.Resource
	if x := c.Env.Spec.Network.ExistingVPC; x != nil {
		for _, id := range x.PrivateSubnetIDs {
			var siblings []string
			for _, o := range x.PrivateSubnetIDs {
				if o != id {
					siblings = append(siblings, o)
				}
			}
			out = append(out, &mountTargetResource{c: c, api: c.C.EFS, label: id, subnet: KeySubnet(SubnetPrivate, id), siblings: siblings})
		}
		return out
	}
	for _, z := range c.Env.Spec.AvailabilityZones {
		out = append(out, &mountTargetResource{c: c, api: c.C.EFS, label: z, subnet: KeySubnet(SubnetPrivate, z)})
	}
	return out
}

func (r *mountTargetResource) Key() infra.Key { return KeyMountTarget(r.label) }

func (r *mountTargetResource) Describe() string { return "EFS mount target in " + r.label }

func (r *mountTargetResource) Deps() []infra.Key { return []infra.Key{KeyEFS, KeyEFSSG, r.subnet} }

// where is the subnet's id and zone as far as s knows them.
func (r *mountTargetResource) where(s *infra.State) (subnet, zone string) {
	subnet, zone = s.Output(r.subnet, "id"), s.Output(r.subnet, "zone")
	if r.c.Env.Spec.Network.ExistingVPC != nil {
		if subnet == "" {
			subnet = r.label
		}
	} else if zone == "" {
		zone = r.label
	}
	return subnet, zone
}

// find returns the file system's mount target in the subnet, or else the
// one in the subnet's zone (nil when there is none).
func (r *mountTargetResource) find(ctx context.Context, s *infra.State, fsID string) (*efstypes.MountTargetDescription, error) {
	subnet, zone := r.where(s)
	var inZone *efstypes.MountTargetDescription
	pg := efs.NewDescribeMountTargetsPaginator(r.api, &efs.DescribeMountTargetsInput{FileSystemId: sdk.String(fsID)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if notFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list mount targets of %s: %w", fsID, err)
		}
		for i := range page.MountTargets {
			mt := &page.MountTargets[i]
			switch {
			case mt.LifeCycleState == efstypes.LifeCycleStateDeleted:
			case subnet != "" && sdk.ToString(mt.SubnetId) == subnet:
				return mt, nil
			case zone != "" && sdk.ToString(mt.AvailabilityZoneName) == zone:
				inZone = mt
			}
		}
	}
	return inZone, nil
}

// shared reports whether mt, found in the subnet's zone, is the mount
// target of another of the given private subnets.
func (r *mountTargetResource) shared(s *infra.State, mt *efstypes.MountTargetDescription) bool {
	subnet, _ := r.where(s)
	return sdk.ToString(mt.SubnetId) != subnet && slices.Contains(r.siblings, sdk.ToString(mt.SubnetId))
}

func (r *mountTargetResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	fsID := s.Output(KeyEFS, "id")
	if fsID == "" {
		return infra.Observation{}, nil
	}
	mt, err := r.find(ctx, s, fsID)
	if err != nil || mt == nil || mt.LifeCycleState == efstypes.LifeCycleStateDeleting {
		return infra.Observation{}, err
	}
	id := sdk.ToString(mt.MountTargetId)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id, "ip": sdk.ToString(mt.IpAddress)}}
	if r.shared(s, mt) {
		obs.Outputs["sharedWith"] = sdk.ToString(mt.SubnetId)
		return obs, nil
	}
	if want, _ := r.where(s); want != "" && sdk.ToString(mt.SubnetId) != want {
		obs.Changes = append(obs.Changes, fmt.Sprintf("in subnet %s, want %s", sdk.ToString(mt.SubnetId), want))
	}
	if sg := s.Output(KeyEFSSG, "id"); sg != "" {
		groups, err := r.api.DescribeMountTargetSecurityGroups(ctx, &efs.DescribeMountTargetSecurityGroupsInput{MountTargetId: mt.MountTargetId})
		if err != nil && !notFound(err) {
			return obs, fmt.Errorf("read security groups of mount target %s: %w", id, err)
		}
		if err == nil && (len(groups.SecurityGroups) != 1 || !slices.Contains(groups.SecurityGroups, sg)) {
			obs.Changes = append(obs.Changes, fmt.Sprintf("security groups are %v, want [%s]", groups.SecurityGroups, sg))
		}
	}
	return obs, nil
}

func (r *mountTargetResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	fsID, sg := s.Output(KeyEFS, "id"), s.Output(KeyEFSSG, "id")
	subnet := s.Output(r.subnet, "id")
	if fsID == "" || sg == "" || subnet == "" {
		return cur, fmt.Errorf("the file system, its security group or the private subnet %s is not known yet", r.label)
	}
	mt, err := r.find(ctx, s, fsID)
	if err != nil {
		return cur, err
	}
	if mt != nil && r.shared(s, mt) {
		// The sibling subnet's resource makes and keeps it.
		id := sdk.ToString(mt.MountTargetId)
		return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id, "ip": sdk.ToString(mt.IpAddress), "sharedWith": sdk.ToString(mt.SubnetId)}}, nil
	}
	if mt != nil && (mt.LifeCycleState == efstypes.LifeCycleStateDeleting || sdk.ToString(mt.SubnetId) != subnet) {
		// In the wrong subnet (one per zone): replace it.
		if mt.LifeCycleState != efstypes.LifeCycleStateDeleting {
			if _, err := r.api.DeleteMountTarget(ctx, &efs.DeleteMountTargetInput{MountTargetId: mt.MountTargetId}); err != nil && !notFound(err) {
				return cur, fmt.Errorf("delete mount target %s: %w", sdk.ToString(mt.MountTargetId), err)
			}
		}
		if err := r.waitGone(ctx, s, sdk.ToString(mt.MountTargetId)); err != nil {
			return cur, err
		}
		mt = nil
	}
	if mt == nil {
		out, err := r.api.CreateMountTarget(ctx, &efs.CreateMountTargetInput{
			FileSystemId: sdk.String(fsID), SubnetId: sdk.String(subnet), SecurityGroups: []string{sg},
		})
		if err != nil {
			return cur, fmt.Errorf("create mount target of %s in subnet %s: %w", fsID, subnet, err)
		}
		mt = &efstypes.MountTargetDescription{MountTargetId: out.MountTargetId, LifeCycleState: out.LifeCycleState}
	} else if _, err := r.api.ModifyMountTargetSecurityGroups(ctx, &efs.ModifyMountTargetSecurityGroupsInput{
		MountTargetId: mt.MountTargetId, SecurityGroups: []string{sg},
	}); err != nil {
		return cur, fmt.Errorf("set security group of mount target %s: %w", sdk.ToString(mt.MountTargetId), err)
	}
	id := sdk.ToString(mt.MountTargetId)
	var ip string
	err = r.c.wait(ctx, s, r.Key(), "mount target "+id+" to be available", func(ctx context.Context) (bool, string, error) {
		out, err := r.api.DescribeMountTargets(ctx, &efs.DescribeMountTargetsInput{MountTargetId: sdk.String(id)})
		if notFound(err) {
			return false, "not visible yet", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe mount target %s: %w", id, err)
		}
		if len(out.MountTargets) == 0 {
			return false, "not visible yet", nil
		}
		st := out.MountTargets[0].LifeCycleState
		if st == efstypes.LifeCycleStateError {
			return false, "", fmt.Errorf("mount target %s is in state error", id)
		}
		ip = sdk.ToString(out.MountTargets[0].IpAddress)
		return st == efstypes.LifeCycleStateAvailable, string(st), nil
	})
	if err != nil {
		return cur, err
	}
	return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id, "ip": ip}}, nil
}

func (r *mountTargetResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	if cur.Outputs["sharedWith"] != "" {
		return nil // the sibling subnet's resource deletes it
	}
	if _, err := r.api.DeleteMountTarget(ctx, &efs.DeleteMountTargetInput{MountTargetId: sdk.String(cur.ID)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete mount target %s: %w", cur.ID, err)
	}
	return r.waitGone(ctx, s, cur.ID)
}

func (r *mountTargetResource) waitGone(ctx context.Context, s *infra.State, id string) error {
	return r.c.wait(ctx, s, r.Key(), "mount target "+id+" to be deleted", func(ctx context.Context) (bool, string, error) {
		out, err := r.api.DescribeMountTargets(ctx, &efs.DescribeMountTargetsInput{MountTargetId: sdk.String(id)})
		if notFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe mount target %s: %w", id, err)
		}
		if len(out.MountTargets) == 0 || out.MountTargets[0].LifeCycleState == efstypes.LifeCycleStateDeleted {
			return true, "", nil
		}
		return false, string(out.MountTargets[0].LifeCycleState), nil
	})
}
