package aws

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/spec"
)

func TestStorageResourcesFollowSpec(t *testing.T) {
	keys := func(e *spec.Environment) map[infra.Key]bool {
		m := map[infra.Key]bool{}
		for _, r := range storageResources(&Cloud{C: &Clients{}, Env: e, AccountID: "123456789012"}) {
			m[r.Key()] = true
		}
		return m
	}
	e := spec.Default()
	all := keys(e)
	for _, k := range []infra.Key{KeyEFSSG, KeyEFS, KeyAccessPoint, KeyBucket, KeyMountTarget(e.Spec.AvailabilityZones[0])} {
		if !all[k] {
			t.Errorf("default spec: no %s", k)
		}
	}
	if len(all) != 4+len(e.Spec.AvailabilityZones) {
		t.Errorf("default spec: %d storage resources", len(all))
	}
	off := false
	e.Spec.Storage.EFS.Enabled = &off
	e.Spec.Storage.S3.Enabled = &off
	if got := keys(e); len(got) != 0 {
		t.Errorf("storage disabled: %v", got)
	}
	e = spec.Default()
	e.Spec.Portainer.Storage = spec.PortainerStorageEBS
	if keys(e)[KeyAccessPoint] {
		t.Errorf("Portainer on EBS still gets an access point")
	}
}

// TestBucketKeptUnlessDeleteData: destroy keeps a bucket that holds
// objects and says why; with DeleteData it empties (every version and
// delete marker, over more than one page) and deletes it.
func TestBucketKeptUnlessDeleteData(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	off := false
	c.Env.Spec.Storage.EFS.Enabled = &off
	rs := storageResources(c)
	if len(rs) != 1 {
		t.Fatalf("%d resources, want the bucket only", len(rs))
	}
	iqsMust(t, infra.ModeApply, rs)
	bucket := sdk.String(c.Env.BucketName(c.AccountID))
	if *bucket != "eks-env-123456789012-us-west-2" {
		t.Errorf("bucket name %s", *bucket)
	}
	pab, err := c.C.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: bucket})
	if err != nil || !sdk.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicPolicy) || !sdk.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Errorf("public access block: %v %v", pab, err)
	}
	if _, err := c.C.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket}); err != nil {
		t.Errorf("bucket policy: %v", err)
	}
	if p := iqsPending(iqsMust(t, infra.ModePlan, rs)); len(p) > 0 {
		t.Errorf("plan after apply:\n%s", strings.Join(p, "\n"))
	}

	// moto ignores the condition of the TLS-only Deny and refuses every
	// object write while the policy is there: fill the bucket without it,
	// then let apply put it back.
	if _, err := c.C.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	// Versions and delete markers, more than one page of them.
	if _, err := c.C.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: bucket,
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	iqsPut(t, c, *bucket, 1001)
	if _, err := c.C.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: sdk.String("obj-0"), Body: strings.NewReader("v2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.C.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: sdk.String("obj-1")}); err != nil {
		t.Fatal(err)
	}

	plan := iqsMust(t, infra.ModePlan, rs)
	if s := iqsStep(t, plan, KeyBucket); s.Action != infra.ActionUpdate || !strings.Contains(strings.Join(s.Reasons, ""), "bucket policy differs") {
		t.Errorf("bucket without its policy: %s %v", s.Action, s.Reasons)
	}
	iqsMust(t, infra.ModeApply, rs)

	down := iqsMust(t, infra.ModeDestroy, rs)
	s := iqsStep(t, down, KeyBucket)
	want := "bucket holds 1000 objects and 3 old versions or delete markers; run down with --delete-data to delete them"
	if s.Action != infra.ActionKeep || strings.Join(s.Reasons, "") != want {
		t.Errorf("destroy without DeleteData: %s %v, want keep: %s", s.Action, s.Reasons, want)
	}
	if n := iqsVersions(t, c, *bucket); n != 1003 {
		t.Errorf("%d versions and delete markers left, want all 1003", n)
	}

	// moto's DeleteObjects is refused by the same Deny: take the policy
	// away by hand (real S3 over TLS needs no such step).
	if _, err := c.C.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket}); err != nil {
		t.Fatal(err)
	}
	c.DeleteData = true
	down = iqsMust(t, infra.ModeDestroy, rs)
	if s := iqsStep(t, down, KeyBucket); s.Action != infra.ActionDelete {
		t.Errorf("destroy with DeleteData: %s %v", s.Action, s.Reasons)
	}
	if _, err := c.C.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket}); err == nil {
		t.Errorf("the bucket is still there")
	}
}

// iqsVersions counts the versions and delete markers in bucket.
func iqsVersions(t *testing.T, c *Cloud, bucket string) int {
	t.Helper()
	n := 0
	pg := s3.NewListObjectVersionsPaginator(c.C.S3, &s3.ListObjectVersionsInput{Bucket: sdk.String(bucket)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.Versions) + len(page.DeleteMarkers)
	}
	return n
}

// iqsPut puts n small objects, obj-0 ... obj-<n-1>, a few at a time.
func iqsPut(t *testing.T, c *Cloud, bucket string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if _, err := c.C.S3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: sdk.String(bucket), Key: sdk.String(fmt.Sprintf("obj-%d", i)), Body: strings.NewReader("x")}); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestBucketNotOwned: a bucket of the environment's name without the owner
// tag is refused and kept.
func TestBucketNotOwned(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	bucket := sdk.String(c.Env.BucketName(c.AccountID))
	if _, err := c.C.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket,
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	rs := []infra.Resource{&bucketResource{c: c, api: c.C.S3}}
	// Empty and untagged: what an up killed between CreateBucket and
	// PutBucketTagging leaves. That one is finished, not refused.
	plan, err := iqsRun(t, infra.ModePlan, rs)
	if err != nil || iqsStep(t, plan, KeyBucket).Action != infra.ActionUpdate {
		t.Fatalf("an empty untagged bucket should be finished: %v %+v", err, iqsStep(t, plan, KeyBucket))
	}
	// With someone's tag it is someone's bucket.
	if _, err := c.C.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: bucket, Tagging: &s3types.Tagging{TagSet: []s3types.Tag{{Key: sdk.String("team"), Value: sdk.String("other")}}}}); err != nil {
		t.Fatal(err)
	}
	res, err := iqsRun(t, infra.ModeApply, rs)
	if err == nil {
		t.Fatal("apply succeeded over a bucket eksenv does not own")
	}
	if s := iqsStep(t, res, KeyBucket); s.Action != infra.ActionRefused || !strings.Contains(s.Error, "is not tagged eksenv.dev/environment=eks-env") {
		t.Errorf("step: %s %q", s.Action, s.Error)
	}
	if _, err := c.C.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket}); ErrorCode(err) != "NoSuchBucketPolicy" {
		t.Errorf("the foreign bucket got a policy: %v", err)
	}
	c.DeleteData = true
	iqsMust(t, infra.ModeDestroy, rs)
	if _, err := c.C.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: bucket}); err != nil {
		t.Errorf("the foreign bucket is gone: %v", err)
	}
}

// s3Forbidden answers HeadBucket with 403, as S3 does for another
// account's bucket.
type s3Forbidden struct{ bucketAPI }

func (s3Forbidden) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	return nil, &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: http.StatusForbidden}}, Err: fmt.Errorf("forbidden")}
}

func TestBucketOfAnotherAccount(t *testing.T) {
	r := &bucketResource{c: &Cloud{Env: spec.Default(), AccountID: "123456789012"}, api: s3Forbidden{}}
	obs, err := r.Observe(t.Context(), infra.NewState())
	if err != nil {
		t.Fatal(err)
	}
	if !obs.Exists || !strings.Contains(obs.Foreign, "belongs to another account") {
		t.Errorf("observation %+v, want foreign", obs)
	}
}

// TestEFSLifecycleAndDrift: the file system, its security group, the mount
// targets and the access point are made, an ingress rule revoked by hand is
// put back, and destroy removes them all.
func TestEFSLifecycleAndDrift(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	off := false
	c.Env.Spec.Storage.S3.Enabled = &off
	rs := append(iqsNetwork(t, c), storageResources(c)...)
	res := iqsMust(t, infra.ModeApply, rs)
	if n := res.Changes(); n != 3+len(c.Env.Spec.AvailabilityZones) {
		t.Errorf("apply made %d changes", n)
	}
	fsID := iqsFSID(t, c)
	fs, err := c.C.EFS.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{FileSystemId: sdk.String(fsID)})
	if err != nil {
		t.Fatal(err)
	}
	if f := fs.FileSystems[0]; !sdk.ToBool(f.Encrypted) || f.ThroughputMode != efstypes.ThroughputModeElastic || fromEFSTags(f.Tags)["Name"] != "eks-env-efs" {
		t.Errorf("file system %+v", f)
	}
	aps, err := c.C.EFS.DescribeAccessPoints(ctx, &efs.DescribeAccessPointsInput{FileSystemId: sdk.String(fsID)})
	if err != nil || len(aps.AccessPoints) != 1 {
		t.Fatalf("access points: %v %v", aps, err)
	}
	if ap := aps.AccessPoints[0]; sdk.ToString(ap.RootDirectory.Path) != "/portainer" || sdk.ToInt64(ap.PosixUser.Uid) != 1000 {
		t.Errorf("access point %+v", ap)
	}

	sgs, err := c.C.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: c.ownedFilters(KeyEFSSG)})
	if err != nil || len(sgs.SecurityGroups) != 1 {
		t.Fatalf("security group: %v %v", sgs, err)
	}
	sg := sgs.SecurityGroups[0]
	if _, err := c.C.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sg.GroupId, IpPermissions: sg.IpPermissions}); err != nil {
		t.Fatal(err)
	}
	plan := iqsMust(t, infra.ModePlan, rs)
	if s := iqsStep(t, plan, KeyEFSSG); s.Action != infra.ActionUpdate || !strings.Contains(strings.Join(s.Reasons, ""), "TCP 2049") {
		t.Errorf("security group after revoking: %s %v", s.Action, s.Reasons)
	}
	iqsMust(t, infra.ModeApply, rs)
	if p := iqsPending(iqsMust(t, infra.ModePlan, rs)); len(p) > 0 {
		t.Errorf("plan after fixing drift:\n%s", strings.Join(p, "\n"))
	}

	down := iqsMust(t, infra.ModeDestroy, rs)
	if s := iqsStep(t, down, KeyEFS); s.Action != infra.ActionDelete {
		t.Errorf("file system on destroy: %s %v", s.Action, s.Reasons)
	}
	iqsNothingLeft(t, c)
	sgs, err = c.C.EC2.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: c.ownedFilters(KeyEFSSG)})
	if err != nil || len(sgs.SecurityGroups) != 0 {
		t.Errorf("security group left: %v %v", sgs, err)
	}
}

// efsWithData reports a file system that holds data.
type efsWithData struct {
	fileSystemAPI
	size    int64
	deleted bool
}

func (f *efsWithData) DescribeFileSystems(context.Context, *efs.DescribeFileSystemsInput, ...func(*efs.Options)) (*efs.DescribeFileSystemsOutput, error) {
	return &efs.DescribeFileSystemsOutput{FileSystems: []efstypes.FileSystemDescription{{
		FileSystemId: sdk.String("fs-1"), CreationToken: sdk.String("eks-env-efs"), LifeCycleState: efstypes.LifeCycleStateAvailable,
		Encrypted: sdk.Bool(true), ThroughputMode: efstypes.ThroughputModeElastic, SizeInBytes: &efstypes.FileSystemSize{Value: f.size},
		Tags: efsTags(map[string]string{spec.OwnerTagKey: "eks-env", "Name": "eks-env-efs", ResourceTagKey: string(KeyEFS)}),
	}}}, nil
}

func (f *efsWithData) DeleteFileSystem(context.Context, *efs.DeleteFileSystemInput, ...func(*efs.Options)) (*efs.DeleteFileSystemOutput, error) {
	f.deleted = true
	return &efs.DeleteFileSystemOutput{}, nil
}

func TestFileSystemWithDataIsKept(t *testing.T) {
	for _, tc := range []struct {
		size       int64
		deleteData bool
		keep       bool
	}{
		{6144, false, false},
		{1 << 20, false, true},
		{1 << 20, true, false},
	} {
		api := &efsWithData{size: tc.size}
		r := &fileSystemResource{c: &Cloud{Env: spec.Default(), DeleteData: tc.deleteData}, api: api}
		obs, err := r.Observe(t.Context(), infra.NewState())
		if err != nil {
			t.Fatal(err)
		}
		want := fmt.Sprintf("file system holds %d bytes of data; run down with --delete-data to delete it", tc.size)
		if got := obs.Retain != ""; got != tc.keep || (tc.keep && obs.Retain != want) {
			t.Errorf("size %d, DeleteData %v: Retain %q", tc.size, tc.deleteData, obs.Retain)
		}
		if len(obs.Changes) != 0 {
			t.Errorf("changes %v", obs.Changes)
		}
		if tc.keep {
			if err := r.Delete(t.Context(), infra.NewState(), obs); err == nil || api.deleted {
				t.Errorf("Delete removed a file system that holds data")
			}
		}
	}
}

// TestMountTargetsInExistingVPC: with an existing VPC the mount targets
// follow the given private subnets; two of them in one zone share its mount
// target.
func TestMountTargetsInExistingVPC(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	vpc, err := c.C.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdk.String("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	rs := []infra.Resource{iqsFix(KeyVPC, map[string]string{"id": sdk.ToString(vpc.Vpc.VpcId), "cidr": "10.1.0.0/16"})}
	x := &spec.ExistingVPC{VPCID: sdk.ToString(vpc.Vpc.VpcId)}
	for i, z := range []string{"us-west-2a", "us-west-2a", "us-west-2b"} {
		sn, err := c.C.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, AvailabilityZone: sdk.String(z), CidrBlock: sdk.String(fmt.Sprintf("10.1.%d.0/24", i))})
		if err != nil {
			t.Fatal(err)
		}
		id := sdk.ToString(sn.Subnet.SubnetId)
		x.PrivateSubnetIDs = append(x.PrivateSubnetIDs, id)
		rs = append(rs, iqsFix(KeySubnet(SubnetPrivate, id), map[string]string{"id": id, "zone": z}))
	}
	c.Env.Spec.Network.ExistingVPC = x
	off := false
	c.Env.Spec.Storage.S3.Enabled = &off
	c.Env.Spec.Portainer.Enabled = &off
	rs = append(rs, storageResources(c)...)
	res := iqsMust(t, infra.ModeApply, rs)
	for _, id := range x.PrivateSubnetIDs {
		if s := iqsStep(t, res, KeyMountTarget(id)); s.Outcome != infra.OutcomeDone {
			t.Errorf("mount target of %s: %s", id, s.Outcome)
		}
	}
	mts, err := c.C.EFS.DescribeMountTargets(ctx, &efs.DescribeMountTargetsInput{FileSystemId: sdk.String(iqsFSID(t, c))})
	if err != nil {
		t.Fatal(err)
	}
	if len(mts.MountTargets) != 2 {
		t.Errorf("%d mount targets, want one per zone (2)", len(mts.MountTargets))
	}
	if p := iqsPending(iqsMust(t, infra.ModePlan, rs)); len(p) > 0 {
		t.Errorf("plan after apply:\n%s", strings.Join(p, "\n"))
	}
	iqsMust(t, infra.ModeDestroy, rs)
	iqsNothingLeft(t, c)
}
