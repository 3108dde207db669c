package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/env"
	"github.com/eksenv/eksenv/internal/infra"
	awsinfra "github.com/eksenv/eksenv/internal/infra/aws"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/spec"
)

func sandboxIO(t *testing.T, sb *sandbox.Sandbox) env.AWSOptions {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-west-2"), config.WithBaseEndpoint(sb.Endpoint()),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")), config.WithRetryMaxAttempts(2))
	if err != nil {
		t.Fatal(err)
	}
	return env.AWSOptions{Config: &cfg, Poll: 20 * time.Millisecond, Backoff: 20 * time.Millisecond}
}

func runAWS(t *testing.T, opts env.AWSOptions, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, IO{In: strings.NewReader(""), Out: &out, Err: &errb, Now: func() time.Time { return testNow }, Version: "test", AWS: opts})
	return code, out.String(), errb.String()
}

func TestPlanUpStatusDownCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto server (run without -short)")
	}
	t.Chdir(t.TempDir())
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2"})
	opts := sandboxIO(t, sb)

	code, out, errOut := runAWS(t, opts, "plan", "--detailed-exitcode")
	if code != ExitChanges || !strings.Contains(out, "+ eks/cluster") || !strings.Contains(out, "Plan: 51 to create, 0 to update, 0 to delete, 0 unchanged.") {
		t.Fatalf("plan on empty: exit %d\n%s\n%s", code, out, errOut)
	}
	golden(t, "plan-empty", out)

	code, _, errOut = runAWS(t, opts, "up")
	if code != ExitFailure || !strings.Contains(errOut, "no terminal to confirm on: run again with --yes") {
		t.Fatalf("up without --yes and without a terminal: %d %q", code, errOut)
	}
	if sb.MutatingCalls() != 0 {
		t.Fatalf("refused up changed things: %d calls", sb.MutatingCalls())
	}
	code, out, errOut = runAWS(t, opts, "up", "--yes", "-o", "json")
	if code != ExitOK {
		t.Fatalf("up: %d\n%s\n%s", code, out, errOut)
	}
	// -o json is an event stream: one JSON event per line.
	clusterDone := false
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev infra.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Phase == "" {
			t.Fatalf("not an event: %q (%v)", line, err)
		}
		if ev.Key == awsinfra.KeyCluster && ev.Phase == infra.PhaseDone && ev.Message == "create" {
			clusterDone = true
		}
	}
	if !clusterDone {
		t.Fatalf("no done event for the cluster:\n%s", out)
	}
	code, out, _ = runAWS(t, opts, "plan", "--detailed-exitcode")
	if code != ExitOK || !strings.Contains(out, "No changes: 51 resources are as the spec says.") {
		t.Fatalf("plan after up: %d\n%s", code, out)
	}
	code, out, _ = runAWS(t, opts, "status")
	if code != ExitOK || !strings.Contains(out, "51 ok, 0 missing, 0 drifted, 0 foreign, 0 unknown") {
		t.Fatalf("status: %d\n%s", code, out)
	}
	golden(t, "status-up", out)

	// Drift: remove a tag by hand.
	e2 := ec2.NewFromConfig(*opts.Config)
	vpcs, err := e2.DescribeVpcs(context.Background(), &ec2.DescribeVpcsInput{Filters: []ec2types.Filter{{Name: sdk.String("tag:" + spec.OwnerTagKey), Values: []string{"eks-env"}}}})
	if err != nil || len(vpcs.Vpcs) != 1 {
		t.Fatalf("vpc: %v", err)
	}
	if _, err := e2.DeleteTags(context.Background(), &ec2.DeleteTagsInput{Resources: []string{sdk.ToString(vpcs.Vpcs[0].VpcId)}, Tags: []ec2types.Tag{{Key: sdk.String("Name")}}}); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runAWS(t, opts, "status", "-o", "json")
	if code != ExitOK || !strings.Contains(out, `"state": "drifted"`) {
		t.Fatalf("status after drift: %d\n%s", code, out)
	}

	code, out, errOut = runAWS(t, opts, "down", "--yes")
	if code != ExitOK || !strings.Contains(out, "Nothing is left of the environment.") || !strings.Contains(out, "kept  IAM service-linked role AWSServiceRoleForEC2Spot") {
		t.Fatalf("down: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runAWS(t, opts, "status")
	if code != ExitOK || !strings.Contains(out, "1 ok, 50 missing") {
		t.Fatalf("status after down: %d\n%s", code, out)
	}
}

func TestMissingCredentials(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts moto server (run without -short)")
	}
	t.Chdir(t.TempDir())
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2"})
	home := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", sb.Endpoint())
	code, _, errOut := runAWS(t, env.AWSOptions{Poll: time.Millisecond}, "plan")
	if code != ExitFailure || !strings.Contains(errOut, "find the AWS account (sts:GetCallerIdentity)") || !strings.Contains(errOut, "check your credentials") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if sb.MutatingCalls() != 0 {
		t.Fatal("calls made without credentials")
	}
}

// TestKilledUpResumes kills a real eksenv up process part-way (the cluster
// takes a second to create) and checks that a second up converges with
// exactly one of each resource.
func TestKilledUpResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: builds eksenv and starts moto server (run without -short)")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "eksenv")
	build := exec.Command("go", "build", "-o", bin, "github.com/eksenv/eksenv/cmd/eksenv")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2", Latency: sandbox.Latency{ClusterCreate: 2 * time.Second, NATCreate: 500 * time.Millisecond}})
	cmdEnv := append(os.Environ(), sb.Env()...)
	cmdEnv = append(cmdEnv, "AWS_REGION=us-west-2", "EKSENV_POLL=50ms")
	up := exec.Command(bin, "up", "--yes")
	up.Dir, up.Env = dir, cmdEnv
	var out bytes.Buffer
	up.Stdout, up.Stderr = &out, &out
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for sb.MutatingCalls() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := up.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = up.Wait()
	if strings.Contains(out.String(), "is up") {
		t.Fatalf("up finished before it was killed:\n%s", out.String())
	}
	again := exec.Command(bin, "up", "--yes")
	again.Dir, again.Env = dir, cmdEnv
	b, err := again.CombinedOutput()
	if err != nil {
		t.Fatalf("resumed up: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "✓ create EKS cluster eks-env (Kubernetes 1.33)") || !strings.Contains(string(b), "Environment eks-env is up") {
		t.Errorf("resumed up's progress lines:\n%s", b)
	}
	cfg := sandboxIO(t, sb).Config
	counts := map[string]int{}
	f := []ec2types.Filter{{Name: sdk.String("tag:" + spec.OwnerTagKey), Values: []string{"eks-env"}}}
	e2 := ec2.NewFromConfig(*cfg)
	subnets, err := e2.DescribeSubnets(context.Background(), &ec2.DescribeSubnetsInput{Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subnets.Subnets {
		for _, tg := range s.Tags {
			if sdk.ToString(tg.Key) == awsinfra.ResourceTagKey {
				counts[sdk.ToString(tg.Value)]++
			}
		}
	}
	nats, err := e2.DescribeNatGateways(context.Background(), &ec2.DescribeNatGatewaysInput{Filter: f})
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, n := range nats.NatGateways {
		if n.State != ec2types.NatGatewayStateDeleted {
			live++
		}
	}
	if len(counts) != 6 || live != 1 {
		t.Fatalf("after resume: subnets %v, NAT gateways %d", counts, live)
	}
	for k, n := range counts {
		if n != 1 {
			t.Errorf("%s: %d", k, n)
		}
	}
	plan := exec.Command(bin, "plan", "--detailed-exitcode")
	plan.Dir, plan.Env = dir, cmdEnv
	if b, err := plan.CombinedOutput(); err != nil {
		t.Fatalf("plan after resume: %v\n%s", err, b)
	}
}
