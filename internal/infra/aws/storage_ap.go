package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/eksenv/eksenv/internal/infra"
)

// accessPointAPI is what the access point resource calls.
type accessPointAPI interface {
	DescribeAccessPoints(context.Context, *efs.DescribeAccessPointsInput, ...func(*efs.Options)) (*efs.DescribeAccessPointsOutput, error)
	CreateAccessPoint(context.Context, *efs.CreateAccessPointInput, ...func(*efs.Options)) (*efs.CreateAccessPointOutput, error)
	TagResource(context.Context, *efs.TagResourceInput, ...func(*efs.Options)) (*efs.TagResourceOutput, error)
	DeleteAccessPoint(context.Context, *efs.DeleteAccessPointInput, ...func(*efs.Options)) (*efs.DeleteAccessPointOutput, error)
}

// Portainer's access point: Fargate mounts only statically provisioned EFS,
// so eksenv makes the access point the PV names. The access point makes
// every NFS operation through it run as uid/gid 1000 (whatever user the
// container runs as, Portainer CE's is root) and creates its root directory
// /portainer owned by that identity with mode 0755 on first use, so the
// data directory is never root-owned on the shared file system.
const (
	accessPointPath  = "/portainer"
	accessPointUID   = 1000
	accessPointGID   = 1000
	accessPointPerms = "0755"
)

// accessPointResource is the EFS access point of Portainer's data volume.
type accessPointResource struct {
	c   *Cloud
	api accessPointAPI
}

func (r *accessPointResource) Key() infra.Key { return KeyAccessPoint }

func (r *accessPointResource) Describe() string {
	return "EFS access point " + accessPointPath + " (Portainer data)"
}

func (r *accessPointResource) Deps() []infra.Key { return []infra.Key{KeyEFS} }

// token is the client token that makes CreateAccessPoint idempotent.
func (r *accessPointResource) token() string { return r.c.Env.Metadata.Name + "-portainer" }

func (r *accessPointResource) wantTags() map[string]string {
	return r.c.Tags(map[string]string{"Name": r.token(), ResourceTagKey: string(KeyAccessPoint)})
}

// find returns the access point on the file system that carries the
// resource tag or the client token (nil when none).
func (r *accessPointResource) find(ctx context.Context, fsID string) (*efstypes.AccessPointDescription, error) {
	pg := efs.NewDescribeAccessPointsPaginator(r.api, &efs.DescribeAccessPointsInput{FileSystemId: sdk.String(fsID)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if notFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list access points of %s: %w", fsID, err)
		}
		for i := range page.AccessPoints {
			ap := &page.AccessPoints[i]
			if ap.LifeCycleState == efstypes.LifeCycleStateDeleted || ap.LifeCycleState == efstypes.LifeCycleStateDeleting {
				continue
			}
			tags := fromEFSTags(ap.Tags)
			if (r.c.Owned(tags) && tags[ResourceTagKey] == string(KeyAccessPoint)) || sdk.ToString(ap.ClientToken) == r.token() {
				return ap, nil
			}
		}
	}
	return nil, nil
}

// mismatch lists how ap differs from the wanted path and identity, which
// an access point cannot change.
func mismatch(ap *efstypes.AccessPointDescription) []string {
	var out []string
	if ap.RootDirectory == nil || sdk.ToString(ap.RootDirectory.Path) != accessPointPath {
		out = append(out, "root directory is not "+accessPointPath)
	}
	if u := ap.PosixUser; u == nil || sdk.ToInt64(u.Uid) != accessPointUID || sdk.ToInt64(u.Gid) != accessPointGID {
		out = append(out, fmt.Sprintf("POSIX user is not %d:%d", accessPointUID, accessPointGID))
	}
	return out
}

func apOutputs(ap *efstypes.AccessPointDescription) infra.Observation {
	id := sdk.ToString(ap.AccessPointId)
	return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id, "arn": sdk.ToString(ap.AccessPointArn)}}
}

func (r *accessPointResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	fsID := s.Output(KeyEFS, "id")
	if fsID == "" {
		return infra.Observation{}, nil
	}
	ap, err := r.find(ctx, fsID)
	if err != nil || ap == nil {
		return infra.Observation{}, err
	}
	obs := apOutputs(ap)
	tags := fromEFSTags(ap.Tags)
	if !r.c.Owned(tags) {
		obs.Foreign = r.c.notTaggedMessage("an EFS access point with client token " + r.token() + " (" + obs.ID + ")")
		return obs, nil
	}
	obs.Changes = append(obs.Changes, mismatch(ap)...)
	if ch := tagsChange(missingTags(r.wantTags(), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

func (r *accessPointResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	fsID := s.Output(KeyEFS, "id")
	if fsID == "" {
		return cur, fmt.Errorf("the file system's id is not known yet")
	}
	ap, err := r.find(ctx, fsID)
	if err != nil {
		return cur, err
	}
	if ap != nil {
		if m := mismatch(ap); len(m) > 0 {
			return cur, fmt.Errorf("access point %s: %s, and access points cannot be changed: delete it (aws efs delete-access-point --access-point-id %s) and run up again", sdk.ToString(ap.AccessPointId), m[0], sdk.ToString(ap.AccessPointId))
		}
		if missing := missingTags(r.wantTags(), fromEFSTags(ap.Tags)); len(missing) > 0 {
			if _, err := r.api.TagResource(ctx, &efs.TagResourceInput{ResourceId: ap.AccessPointId, Tags: efsTags(missing)}); err != nil {
				return cur, fmt.Errorf("tag access point %s: %w", sdk.ToString(ap.AccessPointId), err)
			}
		}
	} else {
		out, err := r.api.CreateAccessPoint(ctx, &efs.CreateAccessPointInput{
			ClientToken:  sdk.String(r.token()),
			FileSystemId: sdk.String(fsID),
			PosixUser:    &efstypes.PosixUser{Uid: sdk.Int64(accessPointUID), Gid: sdk.Int64(accessPointGID)},
			RootDirectory: &efstypes.RootDirectory{
				Path: sdk.String(accessPointPath),
				CreationInfo: &efstypes.CreationInfo{
					OwnerUid: sdk.Int64(accessPointUID), OwnerGid: sdk.Int64(accessPointGID), Permissions: sdk.String(accessPointPerms),
				},
			},
			Tags: efsTags(r.wantTags()),
		})
		if err != nil {
			return cur, fmt.Errorf("create access point %s on %s: %w", accessPointPath, fsID, err)
		}
		ap = &efstypes.AccessPointDescription{AccessPointId: out.AccessPointId, AccessPointArn: out.AccessPointArn, LifeCycleState: out.LifeCycleState}
	}
	id := sdk.ToString(ap.AccessPointId)
	var ready *efstypes.AccessPointDescription
	err = r.c.wait(ctx, s, KeyAccessPoint, "access point "+id+" to be available", func(ctx context.Context) (bool, string, error) {
		out, err := r.api.DescribeAccessPoints(ctx, &efs.DescribeAccessPointsInput{AccessPointId: sdk.String(id)})
		if notFound(err) {
			return false, "not visible yet", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe access point %s: %w", id, err)
		}
		if len(out.AccessPoints) == 0 {
			return false, "not visible yet", nil
		}
		ready = &out.AccessPoints[0]
		if ready.LifeCycleState == efstypes.LifeCycleStateError {
			return false, "", fmt.Errorf("access point %s is in state error", id)
		}
		return ready.LifeCycleState == efstypes.LifeCycleStateAvailable, string(ready.LifeCycleState), nil
	})
	if err != nil {
		return cur, err
	}
	return apOutputs(ready), nil
}

func (r *accessPointResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	if _, err := r.api.DeleteAccessPoint(ctx, &efs.DeleteAccessPointInput{AccessPointId: sdk.String(cur.ID)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete access point %s: %w", cur.ID, err)
	}
	return r.c.wait(ctx, s, KeyAccessPoint, "access point "+cur.ID+" to be deleted", func(ctx context.Context) (bool, string, error) {
		out, err := r.api.DescribeAccessPoints(ctx, &efs.DescribeAccessPointsInput{AccessPointId: sdk.String(cur.ID)})
		if notFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe access point %s: %w", cur.ID, err)
		}
		if len(out.AccessPoints) == 0 || out.AccessPoints[0].LifeCycleState == efstypes.LifeCycleStateDeleted {
			return true, "", nil
		}
		return false, string(out.AccessPoints[0].LifeCycleState), nil
	})
}
