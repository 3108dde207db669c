package aws

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/eksenv/eksenv/internal/infra"
	renderiam "github.com/eksenv/eksenv/internal/render/iam"
)

// bucketAPI is what the bucket resource calls.
type bucketAPI interface {
	HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
	PutBucketTagging(context.Context, *s3.PutBucketTaggingInput, ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	GetBucketPolicy(context.Context, *s3.GetBucketPolicyInput, ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(context.Context, *s3.PutBucketPolicyInput, ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(context.Context, *s3.DeleteObjectsInput, ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
	DeleteBucket(context.Context, *s3.DeleteBucketInput, ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
}

// bucketCountLimit bounds how many objects Observe counts before it says
// "more than".
const bucketCountLimit = 10000

// bucketResource is the S3 bucket mounted through Mountpoint: public access
// blocked, SSE-S3 by default, TLS only.
type bucketResource struct {
	c   *Cloud
	api bucketAPI
}

func (r *bucketResource) Key() infra.Key { return KeyBucket }

func (r *bucketResource) Describe() string { return "S3 bucket " + r.name() }

func (r *bucketResource) Deps() []infra.Key { return nil }

func (r *bucketResource) name() string { return r.c.Env.BucketName(r.c.AccountID) }

func (r *bucketResource) arn() string { return renderiam.BucketARN(r.c.Params().IAM(r.c.Env)) }

func (r *bucketResource) outputs() infra.Observation {
	return infra.Observation{Exists: true, ID: r.name(), Outputs: map[string]string{"name": r.name(), "arn": r.arn()}}
}

func (r *bucketResource) policy() ([]byte, error) {
	doc, err := renderiam.S3BucketPolicy(r.c.Params().IAM(r.c.Env)).JSON()
	if err != nil {
		return nil, fmt.Errorf("render the policy of bucket %s: %w", r.name(), err)
	}
	return doc, nil
}

func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// tags reads the bucket's tags (none when it has no tag set).
func (r *bucketResource) tags(ctx context.Context) (map[string]string, error) {
	out, err := r.api.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: sdk.String(r.name())})
	if ErrorCode(err) == "NoSuchTagSet" {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tags of bucket %s: %w", r.name(), err)
	}
	m := map[string]string{}
	for _, t := range out.TagSet {
		m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return m, nil
}

// bucketDrift says how the bucket's protection differs from the wanted one:
// public access blocked, SSE-S3, the TLS-only policy.
type bucketDrift struct {
	publicAccess, encryption, policy bool
}

func (r *bucketResource) drift(ctx context.Context) (bucketDrift, error) {
	var d bucketDrift
	name := sdk.String(r.name())
	pab, err := r.api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: name})
	switch {
	case ErrorCode(err) == "NoSuchPublicAccessBlockConfiguration":
		d.publicAccess = true
	case err != nil:
		return d, fmt.Errorf("read the public access block of bucket %s: %w", r.name(), err)
	default:
		c := pab.PublicAccessBlockConfiguration
		d.publicAccess = c == nil || !sdk.ToBool(c.BlockPublicAcls) || !sdk.ToBool(c.BlockPublicPolicy) ||
			!sdk.ToBool(c.IgnorePublicAcls) || !sdk.ToBool(c.RestrictPublicBuckets)
	}
	enc, err := r.api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: name})
	switch {
	case ErrorCode(err) == "ServerSideEncryptionConfigurationNotFoundError":
		d.encryption = true
	case err != nil:
		return d, fmt.Errorf("read the default encryption of bucket %s: %w", r.name(), err)
	default:
		d.encryption = true
		if c := enc.ServerSideEncryptionConfiguration; c != nil && len(c.Rules) > 0 {
			if def := c.Rules[0].ApplyServerSideEncryptionByDefault; def != nil && def.SSEAlgorithm == s3types.ServerSideEncryptionAes256 {
				d.encryption = false
			}
		}
	}
	want, err := r.policy()
	if err != nil {
		return d, err
	}
	pol, err := r.api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: name})
	switch {
	case ErrorCode(err) == "NoSuchBucketPolicy":
		d.policy = true
	case err != nil:
		return d, fmt.Errorf("read the policy of bucket %s: %w", r.name(), err)
	default:
		d.policy = !sameDocument(sdk.ToString(pol.Policy), want)
	}
	return d, nil
}

// contents counts the bucket's current objects and, beside them, old
// versions and delete markers, up to bucketCountLimit.
func (r *bucketResource) contents(ctx context.Context) (objects, others int, err error) {
	pg := s3.NewListObjectVersionsPaginator(r.api, &s3.ListObjectVersionsInput{Bucket: sdk.String(r.name())})
	for pg.HasMorePages() && objects+others <= bucketCountLimit {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return 0, 0, fmt.Errorf("list objects of bucket %s: %w", r.name(), err)
		}
		for _, v := range page.Versions {
			if sdk.ToBool(v.IsLatest) {
				objects++
			} else {
				others++
			}
		}
		others += len(page.DeleteMarkers)
	}
	return objects, others, nil
}

func (r *bucketResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	_, err := r.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: sdk.String(r.name())})
	switch {
	case notFound(err) || httpStatus(err) == http.StatusNotFound:
		return infra.Observation{}, nil
	case httpStatus(err) == http.StatusForbidden:
		obs := r.outputs()
		obs.Foreign = "an S3 bucket named " + r.name() + " exists and belongs to another account"
		return obs, nil
	case err != nil:
		return infra.Observation{}, fmt.Errorf("look for bucket %s: %w", r.name(), err)
	}
	obs := r.outputs()
	tags, err := r.tags(ctx)
	if err != nil {
		return obs, err
	}
	if !r.c.Owned(tags) {
		// S3 cannot tag a bucket as it creates it: an up interrupted between
		// CreateBucket and PutBucketTagging leaves the derived name, in this
		// account, with no tags and nothing in it. That is ours to finish;
		// anything else of that name is not.
		objects, others, err := r.contents(ctx)
		if err != nil {
			return obs, err
		}
		if len(tags) > 0 || objects+others > 0 {
			obs.Foreign = r.c.notOwnedMessage("an S3 bucket", r.name())
			return obs, nil
		}
		obs.Changes = append(obs.Changes, "untagged and empty: an interrupted create, finished now")
		return obs, nil
	}
	d, err := r.drift(ctx)
	if err != nil {
		return obs, err
	}
	if d.publicAccess {
		obs.Changes = append(obs.Changes, "public access not fully blocked")
	}
	if d.encryption {
		obs.Changes = append(obs.Changes, "default encryption is not SSE-S3")
	}
	if d.policy {
		obs.Changes = append(obs.Changes, "bucket policy differs (TLS only)")
	}
	if ch := tagsChange(missingTags(r.c.Tags(nil), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	if !r.c.DeleteData {
		objects, others, err := r.contents(ctx)
		if err != nil {
			return obs, err
		}
		if objects+others > 0 {
			obs.Retain = bucketRetain(objects, others)
		}
	}
	return obs, nil
}

func (r *bucketResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	name := sdk.String(r.name())
	want := r.c.Tags(nil)
	if !cur.Exists {
		cfg := &s3types.CreateBucketConfiguration{Tags: s3Tags(want)}
		if region := r.c.Env.Spec.Region; region != "us-east-1" {
			cfg.LocationConstraint = s3types.BucketLocationConstraint(region)
		}
		_, err := r.api.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: name, CreateBucketConfiguration: cfg})
		switch code := ErrorCode(err); {
		case code == "BucketAlreadyOwnedByYou":
		case code == "BucketAlreadyExists":
			return cur, fmt.Errorf("create bucket %s: the name is taken by another account: set spec.storage.s3.bucketName", r.name())
		case err != nil:
			return cur, fmt.Errorf("create bucket %s: %w", r.name(), err)
		}
	}
	// Tags at creation are new in S3 and not honoured everywhere: make sure.
	have, err := r.tags(ctx)
	if err != nil {
		return cur, err
	}
	if missing := missingTags(want, have); len(missing) > 0 {
		for k, v := range missing {
			have[k] = v
		}
		if _, err := r.api.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: name, Tagging: &s3types.Tagging{TagSet: s3Tags(have)}}); err != nil {
			return cur, fmt.Errorf("tag bucket %s: %w", r.name(), err)
		}
	}
	d, err := r.drift(ctx)
	if err != nil {
		return cur, err
	}
	if d.publicAccess {
		if _, err := r.api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: name, PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: sdk.Bool(true), BlockPublicPolicy: sdk.Bool(true), IgnorePublicAcls: sdk.Bool(true), RestrictPublicBuckets: sdk.Bool(true),
		}}); err != nil {
			return cur, fmt.Errorf("block public access to bucket %s: %w", r.name(), err)
		}
	}
	if d.encryption {
		if _, err := r.api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: name, ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256}}},
		}}); err != nil {
			return cur, fmt.Errorf("set default encryption of bucket %s: %w", r.name(), err)
		}
	}
	if d.policy {
		pol, err := r.policy()
		if err != nil {
			return cur, err
		}
		if _, err := r.api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: name, Policy: sdk.String(string(pol))}); err != nil {
			return cur, fmt.Errorf("set the policy of bucket %s: %w", r.name(), err)
		}
	}
	return r.outputs(), nil
}

// Delete empties the bucket (every version and delete marker) when
// DeleteData allows it, then deletes it. Without DeleteData Observe keeps a
// non-empty bucket, and Delete refuses one that filled up meanwhile.
func (r *bucketResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	if cur.Retain != "" {
		return fmt.Errorf("bucket %s kept: %s", r.name(), cur.Retain)
	}
	name := sdk.String(r.name())
	// Each round lists from the start: markers of deleted keys are not
	// something every S3 implementation pages past.
	for {
		page, err := r.api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: name})
		if notFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list objects of bucket %s: %w", r.name(), err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range page.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range page.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) == 0 {
			break
		}
		if !r.c.DeleteData {
			return fmt.Errorf("bucket %s is no longer empty; run down with --delete-data to delete its objects", r.name())
		}
		s.Report(KeyBucket, fmt.Sprintf("deleting %d objects of bucket %s", len(ids), r.name()))
		out, err := r.api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: name, Delete: &s3types.Delete{Objects: ids, Quiet: sdk.Bool(true)}})
		if err != nil {
			return fmt.Errorf("delete objects of bucket %s: %w", r.name(), err)
		}
		if len(out.Errors) > 0 {
			e := out.Errors[0]
			return fmt.Errorf("delete objects of bucket %s: %d failed, the first (%s): %s: %s", r.name(), len(out.Errors), sdk.ToString(e.Key), sdk.ToString(e.Code), sdk.ToString(e.Message))
		}
	}
	if _, err := r.api.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: name}); err != nil && !notFound(err) {
		return fmt.Errorf("delete bucket %s: %w", r.name(), err)
	}
	return nil
}

// bucketRetain says why destroy keeps a bucket with objects (current
// ones) and others (older versions, delete markers).
func bucketRetain(objects, others int) string {
	plural := func(n int, one, many string) string {
		if n > bucketCountLimit {
			return fmt.Sprintf("more than %d %s", bucketCountLimit, many)
		}
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	var what string
	switch {
	case objects == 0:
		what = plural(others, "old object version or delete marker", "old object versions or delete markers")
	case others == 0:
		what = plural(objects, "object", "objects")
	default:
		what = plural(objects, "object", "objects") + " and " + plural(others, "old version or delete marker", "old versions or delete markers")
	}
	return "bucket holds " + what + "; run down with --delete-data to delete them"
}

func s3Tags(m map[string]string) []s3types.Tag {
	out := make([]s3types.Tag, 0, len(m))
	for _, k := range sortedTagKeys(m) {
		out = append(out, s3types.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}
