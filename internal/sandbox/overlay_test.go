package sandbox

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	efstypes "github.com/aws/aws-sdk-go-v2/service/efs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

func TestIAMOIDCClientIDs(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := iam.NewFromConfig(awsConfig(s))
	out, err := c.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url:            aws.String("https://oidc.eks.us-east-1.amazonaws.com/id/OVERLAY"),
		ClientIDList:   []string{"sts.amazonaws.com"},
		ThumbprintList: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"},
	})
	must(t, err)
	arn := out.OpenIDConnectProviderArn
	ids := func() []string {
		g, err := c.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
		must(t, err)
		return g.ClientIDList
	}
	if got := ids(); !slices.Equal(got, []string{"sts.amazonaws.com"}) {
		t.Fatalf("client ids after create = %v", got)
	}
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String("pods.eks.amazonaws.com")})
	must(t, err)
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String("pods.eks.amazonaws.com")})
	must(t, err) // adding an id twice is a no-op, as in IAM
	if got := ids(); !slices.Equal(got, []string{"sts.amazonaws.com", "pods.eks.amazonaws.com"}) {
		t.Fatalf("client ids after add = %v", got)
	}
	_, err = c.RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String("sts.amazonaws.com")})
	must(t, err)
	if got := ids(); !slices.Equal(got, []string{"pods.eks.amazonaws.com"}) {
		t.Fatalf("client ids after remove = %v", got)
	}
	_, err = c.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String("arn:aws:iam::123456789012:oidc-provider/oidc.example.com/none"), ClientID: aws.String("x")})
	wantCode(t, err, "NoSuchEntity")
	_, err = c.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn})
	must(t, err)
	s.proxy.stateMu.Lock()
	n := len(s.proxy.oidc)
	s.proxy.stateMu.Unlock()
	if n != 0 {
		t.Fatalf("overlay kept after delete: %v", s.proxy.oidc)
	}
}

func TestEFSUpdateFileSystem(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := efs.NewFromConfig(awsConfig(s))
	fs, err := c.CreateFileSystem(ctx, &efs.CreateFileSystemInput{CreationToken: aws.String("overlay"), ThroughputMode: efstypes.ThroughputModeBursting,
		Tags: []efstypes.Tag{{Key: aws.String("eksenv.dev/environment"), Value: aws.String("overlay")}}})
	must(t, err)
	id := fs.FileSystemId
	describe := func() efstypes.FileSystemDescription {
		out, err := c.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{FileSystemId: id})
		must(t, err)
		if len(out.FileSystems) != 1 {
			t.Fatalf("DescribeFileSystems: %d", len(out.FileSystems))
		}
		return out.FileSystems[0]
	}
	up, err := c.UpdateFileSystem(ctx, &efs.UpdateFileSystemInput{FileSystemId: id, ThroughputMode: efstypes.ThroughputModeElastic})
	must(t, err)
	if up.ThroughputMode != efstypes.ThroughputModeElastic || aws.ToString(up.FileSystemId) != aws.ToString(id) {
		t.Fatalf("UpdateFileSystem = %+v", up)
	}
	if d := describe(); d.ThroughputMode != efstypes.ThroughputModeElastic || len(d.Tags) != 1 {
		t.Fatalf("after update: mode %s tags %v", d.ThroughputMode, d.Tags)
	}
	_, err = c.UpdateFileSystem(ctx, &efs.UpdateFileSystemInput{FileSystemId: id, ThroughputMode: efstypes.ThroughputModeProvisioned})
	wantCode(t, err, "BadRequest")
	_, err = c.UpdateFileSystem(ctx, &efs.UpdateFileSystemInput{FileSystemId: id, ThroughputMode: efstypes.ThroughputModeProvisioned,
		ProvisionedThroughputInMibps: aws.Float64(64)})
	must(t, err)
	if d := describe(); d.ThroughputMode != efstypes.ThroughputModeProvisioned || aws.ToFloat64(d.ProvisionedThroughputInMibps) != 64 {
		t.Fatalf("after provisioned: %s %v", d.ThroughputMode, d.ProvisionedThroughputInMibps)
	}
	_, err = c.UpdateFileSystem(ctx, &efs.UpdateFileSystemInput{FileSystemId: aws.String("fs-00000000"), ThroughputMode: efstypes.ThroughputModeElastic})
	wantCode(t, err, "FileSystemNotFound")
	_, err = c.DeleteFileSystem(ctx, &efs.DeleteFileSystemInput{FileSystemId: id})
	must(t, err)
	s.proxy.stateMu.Lock()
	n := len(s.proxy.efs)
	s.proxy.stateMu.Unlock()
	if n != 0 {
		t.Fatalf("overlay kept after delete: %v", s.proxy.efs)
	}
}
