package sandbox

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3 goes through the proxy path-style (the SDK's choice for an IP-address
// endpoint); its operations are named from method, path and sub-resource.
func TestS3ThroughProxy(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := s3.NewFromConfig(awsConfig(s))
	s.ResetCalls()
	_, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("eksenv-sandbox")})
	must(t, err)
	_, err = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("eksenv-sandbox"), Key: aws.String("dir/hello.txt"), Body: strings.NewReader("hello")})
	must(t, err)
	_, err = c.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: aws.String("eksenv-sandbox"),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{BlockPublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true)}})
	must(t, err)
	out, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("eksenv-sandbox")})
	must(t, err)
	if len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "dir/hello.txt" {
		t.Fatalf("ListObjectsV2 = %+v", out.Contents)
	}
	_, err = c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("eksenv-sandbox")})
	must(t, err)
	calls := s.Calls()
	for _, k := range []string{"s3:CreateBucket", "s3:PutObject", "s3:ListObjectsV2", "s3:HeadBucket", "s3:PutPublicAccessBlock"} {
		if calls[k] != 1 {
			t.Errorf("Calls()[%s] = %d (all: %v)", k, calls[k], calls)
		}
	}

	s.SetFaults(1, Throttle)
	_, err = c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("eksenv-sandbox")})
	wantCode(t, err, "SlowDown")
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Errorf("SlowDown is not a throttle to the SDK: %v", err)
	}
}
