package cli

import (
	"context"
	"os"
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksenv/eksenv/internal/sandbox"
)

func TestAccessGrantListRevoke(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto server (run without -short)")
	}
	t.Chdir(t.TempDir())
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2"})
	opts := sandboxIO(t, sb)
	api := eks.NewFromConfig(*opts.Config)
	ctx := context.Background()

	code, _, errOut := runAWS(t, opts, "access", "list")
	if code != ExitFailure || !strings.Contains(errOut, "cluster eks-env does not exist yet: run eksenv up first") {
		t.Fatalf("list before up: %d %q", code, errOut)
	}
	if code, out, errOut := runAWS(t, opts, "up", "--yes"); code != ExitOK {
		t.Fatalf("up: %d\n%s\n%s", code, out, errOut)
	}
	const console = "arn:aws:iam::123456789012:role/Console"
	code, out, errOut := runAWS(t, opts, "access", "grant", console, "--policy", "view", "--namespace", "team-a,team-b")
	if code != ExitOK || !strings.Contains(out, "granted "+console+" view access to eks-env in namespaces team-a, team-b") {
		t.Fatalf("grant: %d %q %q", code, out, errOut)
	}
	// Checked through the EKS API itself.
	entry, err := api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: sdk.String("eks-env"), PrincipalArn: sdk.String(console)})
	if err != nil || sdk.ToString(entry.AccessEntry.Type) != "STANDARD" {
		t.Fatalf("entry: %v", err)
	}
	pols, err := api.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: sdk.String("eks-env"), PrincipalArn: sdk.String(console)})
	if err != nil || len(pols.AssociatedAccessPolicies) != 1 {
		t.Fatalf("policies: %v %+v", err, pols)
	}
	p := pols.AssociatedAccessPolicies[0]
	if !strings.HasSuffix(sdk.ToString(p.PolicyArn), "/AmazonEKSViewPolicy") || p.AccessScope.Type != ekstypes.AccessScopeTypeNamespace || strings.Join(p.AccessScope.Namespaces, ",") != "team-a,team-b" {
		t.Fatalf("policy %s scope %+v", sdk.ToString(p.PolicyArn), p.AccessScope)
	}

	code, out, _ = runAWS(t, opts, "access", "list")
	if code != ExitOK || !strings.Contains(out, console) || !strings.Contains(out, "KarpenterNodeRole-eks-env  EC2_LINUX") || !strings.Contains(out, "AmazonEKSViewPolicy (namespace: team-a,team-b)") {
		t.Fatalf("list: %d\n%s", code, out)
	}
	golden(t, "access-list", out)

	code, _, errOut = runAWS(t, opts, "access", "grant", "arn:aws:sts::123456789012:assumed-role/Console/alice")
	if code != ExitFailure || !strings.Contains(errOut, "access entries take the role itself: arn:aws:iam::123456789012:role/Console") {
		t.Fatalf("assumed-role grant: %d %q", code, errOut)
	}
	code, _, errOut = runAWS(t, opts, "access", "revoke", "arn:aws:iam::123456789012:role/KarpenterNodeRole-eks-env")
	if code != ExitFailure || !strings.Contains(errOut, "new nodes cannot join") {
		t.Fatalf("revoke of the node role: %d %q", code, errOut)
	}
	if code, _, errOut := runAWS(t, opts, "access", "revoke", console); code != ExitOK {
		t.Fatalf("revoke: %d %q", code, errOut)
	}
	if _, err := api.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: sdk.String("eks-env"), PrincipalArn: sdk.String(console)}); err == nil {
		t.Fatal("entry still there after revoke")
	}
	code, _, errOut = runAWS(t, opts, "access", "revoke", console)
	if code != ExitFailure || !strings.Contains(errOut, "has no access entry") {
		t.Fatalf("second revoke: %d %q", code, errOut)
	}
}

func TestAccessGrantOnConfigMapCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto server (run without -short)")
	}
	t.Chdir(t.TempDir())
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2"})
	opts := sandboxIO(t, sb)
	api := eks.NewFromConfig(*opts.Config)
	ctx := context.Background()
	if err := os.WriteFile("eksenv.yaml", []byte("apiVersion: eksenv.dev/v1alpha1\nkind: Environment\nmetadata: {name: legacy}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A cluster made elsewhere with the API's default mode, CONFIG_MAP.
	if _, err := api.CreateCluster(ctx, &eks.CreateClusterInput{Name: sdk.String("legacy"), RoleArn: sdk.String("arn:aws:iam::123456789012:role/legacy"),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}}}); err != nil {
		t.Fatal(err)
	}
	const admin = "arn:aws:iam::123456789012:role/Admin"
	code, _, errOut := runAWS(t, opts, "access", "grant", admin)
	if code != ExitFailure || !strings.Contains(errOut, "EKS cannot switch back") || !strings.Contains(errOut, "run again with --yes") {
		t.Fatalf("grant on CONFIG_MAP without --yes: %d %q", code, errOut)
	}
	code, out, errOut := runAWS(t, opts, "access", "grant", admin, "--yes")
	if code != ExitOK || !strings.Contains(out, "admin access to legacy cluster-wide") {
		t.Fatalf("grant --yes: %d %q %q", code, out, errOut)
	}
	cl, err := api.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: sdk.String("legacy")})
	if err != nil || cl.Cluster.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApiAndConfigMap {
		t.Fatalf("mode not switched: %v", err)
	}
	pols, err := api.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: sdk.String("legacy"), PrincipalArn: sdk.String(admin)})
	if err != nil || len(pols.AssociatedAccessPolicies) != 1 || !strings.HasSuffix(sdk.ToString(pols.AssociatedAccessPolicies[0].PolicyArn), "/AmazonEKSClusterAdminPolicy") {
		t.Fatalf("policies: %v %+v", err, pols)
	}
}
