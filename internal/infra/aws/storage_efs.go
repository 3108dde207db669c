package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"

	"github.com/eksenv/eksenv/internal/infra"
)

// fileSystemAPI is what the EFS file system resource calls.
type fileSystemAPI interface {
	DescribeFileSystems(context.Context, *efs.DescribeFileSystemsInput, ...func(*efs.Options)) (*efs.DescribeFileSystemsOutput, error)
	CreateFileSystem(context.Context, *efs.CreateFileSystemInput, ...func(*efs.Options)) (*efs.CreateFileSystemOutput, error)
	UpdateFileSystem(context.Context, *efs.UpdateFileSystemInput, ...func(*efs.Options)) (*efs.UpdateFileSystemOutput, error)
	TagResource(context.Context, *efs.TagResourceInput, ...func(*efs.Options)) (*efs.TagResourceOutput, error)
	DeleteFileSystem(context.Context, *efs.DeleteFileSystemInput, ...func(*efs.Options)) (*efs.DeleteFileSystemOutput, error)
}

// emptyFileSystemBytes is the metered size of an EFS file system that holds
// nothing but its root directory. EFS meters SizeInBytes lazily (it can lag
// by an hour), so a file system written to just now may still look empty.
const emptyFileSystemBytes = 6 * 1024

// fileSystemResource is the environment's EFS file system: encrypted, with
// the spec's throughput mode. Its creation token makes CreateFileSystem
// idempotent and finds it again.
type fileSystemResource struct {
	c   *Cloud
	api fileSystemAPI
}

func (r *fileSystemResource) Key() infra.Key { return KeyEFS }

func (r *fileSystemResource) Describe() string {
	return fmt.Sprintf("EFS file system %s (encrypted, %s throughput)", r.token(), r.c.Env.Spec.Storage.EFS.ThroughputMode)
}

func (r *fileSystemResource) Deps() []infra.Key { return nil }

func (r *fileSystemResource) token() string { return r.c.Env.Metadata.Name + "-efs" }

func (r *fileSystemResource) wantTags() map[string]string {
	return r.c.Tags(map[string]string{"Name": r.token(), ResourceTagKey: string(KeyEFS)})
}

// find returns the file system of the creation token (nil when there is
// none, or it is deleted).
func (r *fileSystemResource) find(ctx context.Context) (*efstypes.FileSystemDescription, error) {
	out, err := r.api.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{CreationToken: sdk.String(r.token())})
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("find file system %s: %w", r.token(), err)
	}
	for i := range out.FileSystems {
		if fs := &out.FileSystems[i]; fs.LifeCycleState != efstypes.LifeCycleStateDeleted {
			return fs, nil
		}
	}
	return nil, nil
}

func fsOutputs(fs *efstypes.FileSystemDescription) infra.Observation {
	id := sdk.ToString(fs.FileSystemId)
	return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id, "arn": sdk.ToString(fs.FileSystemArn)}}
}

func (r *fileSystemResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	fs, err := r.find(ctx)
	if err != nil || fs == nil || fs.LifeCycleState == efstypes.LifeCycleStateDeleting {
		return infra.Observation{}, err
	}
	obs := fsOutputs(fs)
	tags := fromEFSTags(fs.Tags)
	if !r.c.Owned(tags) {
		obs.Foreign = r.c.notTaggedMessage("an EFS file system with creation token " + r.token() + " (" + obs.ID + ")")
		return obs, nil
	}
	if fs.SizeInBytes != nil && fs.SizeInBytes.Value > emptyFileSystemBytes && !r.c.DeleteData {
		obs.Retain = fmt.Sprintf("file system holds %d bytes of data; run down with --delete-data to delete it", fs.SizeInBytes.Value)
	}
	if !sdk.ToBool(fs.Encrypted) {
		obs.Changes = append(obs.Changes, "not encrypted")
	}
	if want := r.c.Env.Spec.Storage.EFS.ThroughputMode; string(fs.ThroughputMode) != want {
		obs.Changes = append(obs.Changes, fmt.Sprintf("throughput mode is %s, want %s", fs.ThroughputMode, want))
	}
	if ch := tagsChange(missingTags(r.wantTags(), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

func (r *fileSystemResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	mode := r.c.Env.Spec.Storage.EFS.ThroughputMode
	if mode == string(efstypes.ThroughputModeProvisioned) {
		return cur, fmt.Errorf("throughput mode provisioned needs a provisioned throughput, which the spec cannot give yet: use elastic or bursting")
	}
	fs, err := r.find(ctx)
	if err != nil {
		return cur, err
	}
	if fs != nil && fs.LifeCycleState == efstypes.LifeCycleStateDeleting {
		if err := r.waitGone(ctx, s, sdk.ToString(fs.FileSystemId)); err != nil {
			return cur, err
		}
		fs = nil
	}
	if fs == nil {
		out, err := r.api.CreateFileSystem(ctx, &efs.CreateFileSystemInput{
			CreationToken:   sdk.String(r.token()),
			Encrypted:       sdk.Bool(true),
			PerformanceMode: efstypes.PerformanceModeGeneralPurpose,
			ThroughputMode:  efstypes.ThroughputMode(mode),
			Tags:            efsTags(r.wantTags()),
		})
		if err != nil && ErrorCode(err) != "FileSystemAlreadyExists" {
			return cur, fmt.Errorf("create file system %s: %w", r.token(), err)
		}
		if err == nil {
			s.Report(KeyEFS, "created "+sdk.ToString(out.FileSystemId))
		}
	} else {
		if !sdk.ToBool(fs.Encrypted) {
			return cur, fmt.Errorf("file system %s is not encrypted, and EFS cannot encrypt an existing file system: copy its data away, delete it and run up again", sdk.ToString(fs.FileSystemId))
		}
		if string(fs.ThroughputMode) != mode {
			if _, err := r.api.UpdateFileSystem(ctx, &efs.UpdateFileSystemInput{
				FileSystemId: fs.FileSystemId, ThroughputMode: efstypes.ThroughputMode(mode),
			}); err != nil {
				return cur, fmt.Errorf("change throughput mode of file system %s: %w", sdk.ToString(fs.FileSystemId), err)
			}
		}
		if missing := missingTags(r.wantTags(), fromEFSTags(fs.Tags)); len(missing) > 0 {
			if _, err := r.api.TagResource(ctx, &efs.TagResourceInput{ResourceId: fs.FileSystemId, Tags: efsTags(missing)}); err != nil {
				return cur, fmt.Errorf("tag file system %s: %w", sdk.ToString(fs.FileSystemId), err)
			}
		}
	}
	var ready *efstypes.FileSystemDescription
	err = r.c.wait(ctx, s, KeyEFS, "file system "+r.token()+" to be available", func(ctx context.Context) (bool, string, error) {
		fs, err := r.find(ctx)
		if err != nil {
			return false, "", err
		}
		if fs == nil {
			return false, "not visible yet", nil
		}
		ready = fs
		if fs.LifeCycleState == efstypes.LifeCycleStateError {
			return false, "", fmt.Errorf("file system %s is in state error", sdk.ToString(fs.FileSystemId))
		}
		return fs.LifeCycleState == efstypes.LifeCycleStateAvailable, string(fs.LifeCycleState), nil
	})
	if err != nil {
		return cur, err
	}
	return fsOutputs(ready), nil
}

// Delete removes the file system (its mount targets and access points are
// gone by then) and waits until it is gone. It refuses one that holds data
// unless DeleteData is set.
func (r *fileSystemResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	if cur.Retain != "" {
		return fmt.Errorf("file system %s kept: %s", cur.ID, cur.Retain)
	}
	if _, err := r.api.DeleteFileSystem(ctx, &efs.DeleteFileSystemInput{FileSystemId: sdk.String(cur.ID)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete file system %s: %w", cur.ID, err)
	}
	return r.waitGone(ctx, s, cur.ID)
}

func (r *fileSystemResource) waitGone(ctx context.Context, s *infra.State, id string) error {
	return r.c.wait(ctx, s, KeyEFS, "file system "+id+" to be deleted", func(ctx context.Context) (bool, string, error) {
		out, err := r.api.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{FileSystemId: sdk.String(id)})
		if notFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", fmt.Errorf("describe file system %s: %w", id, err)
		}
		if len(out.FileSystems) == 0 || out.FileSystems[0].LifeCycleState == efstypes.LifeCycleStateDeleted {
			return true, "", nil
		}
		return false, string(out.FileSystems[0].LifeCycleState), nil
	})
}

func efsTags(m map[string]string) []efstypes.Tag {
	out := make([]efstypes.Tag, 0, len(m))
	for _, k := range sortedTagKeys(m) {
		out = append(out, efstypes.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}

func fromEFSTags(ts []efstypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return m
}
