package env

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/eksenv/eksenv/internal/infra"
	awsinfra "github.com/eksenv/eksenv/internal/infra/aws"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/spec"
)

// sandboxConfig is an SDK configuration pointed at the sandbox.
func sandboxConfig(t *testing.T, sb *sandbox.Sandbox, region string) sdk.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithBaseEndpoint(sb.Endpoint()),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithRetryMaxAttempts(2),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func startSandbox(t *testing.T) (*sandbox.Sandbox, sdk.Config) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts moto server (run without -short)")
	}
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2"})
	return sb, sandboxConfig(t, sb, "us-west-2")
}

func connectTo(t *testing.T, ctx context.Context, doc *spec.Document, cfg sdk.Config) *Session {
	t.Helper()
	s, err := Connect(ctx, doc, AWSOptions{Config: &cfg, Poll: 20 * time.Millisecond, Backoff: 20 * time.Millisecond, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ownedEC2 counts the environment's EC2 resources by their resource key.
func ownedEC2(t *testing.T, ctx context.Context, c *ec2.Client, name string) map[string]int {
	t.Helper()
	f := []ec2types.Filter{{Name: sdk.String("tag:" + spec.OwnerTagKey), Values: []string{name}}}
	counts := map[string]int{}
	add := func(tags []ec2types.Tag) {
		for _, tg := range tags {
			if sdk.ToString(tg.Key) == awsinfra.ResourceTagKey {
				counts[sdk.ToString(tg.Value)]++
			}
		}
	}
	vpcs, err := c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{Filters: f})
	must(t, err)
	for _, v := range vpcs.Vpcs {
		add(v.Tags)
	}
	subnets, err := c.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{Filters: f})
	must(t, err)
	for _, s := range subnets.Subnets {
		add(s.Tags)
	}
	igws, err := c.DescribeInternetGateways(ctx, &ec2.DescribeInternetGatewaysInput{Filters: f})
	must(t, err)
	for _, g := range igws.InternetGateways {
		add(g.Tags)
	}
	nats, err := c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: f})
	must(t, err)
	for _, n := range nats.NatGateways {
		if n.State != ec2types.NatGatewayStateDeleted {
			add(n.Tags)
		}
	}
	rts, err := c.DescribeRouteTables(ctx, &ec2.DescribeRouteTablesInput{Filters: f})
	must(t, err)
	for _, r := range rts.RouteTables {
		add(r.Tags)
	}
	eips, err := c.DescribeAddresses(ctx, &ec2.DescribeAddressesInput{Filters: f})
	must(t, err)
	for _, a := range eips.Addresses {
		add(a.Tags)
	}
	sgs, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: f})
	must(t, err)
	for _, g := range sgs.SecurityGroups {
		add(g.Tags)
	}
	return counts
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func envRoles(t *testing.T, ctx context.Context, c *iam.Client, e *spec.Environment) []string {
	t.Helper()
	var out []string
	p := iam.NewListRolesPaginator(c, &iam.ListRolesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		must(t, err)
		for _, r := range page.Roles {
			n := sdk.ToString(r.RoleName)
			if strings.Contains(n, e.Metadata.Name) {
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// playControllers creates what Karpenter, the load balancer controller and
// the CSI driver would create in the environment's VPC.
func playControllers(t *testing.T, ctx context.Context, cfg sdk.Config, s *Session) {
	t.Helper()
	e2 := ec2.NewFromConfig(cfg)
	cluster := s.Doc.Env.Metadata.Name
	subnet := s.State.Output(awsinfra.KeySubnet("private", s.Doc.Env.Spec.AvailabilityZones[0]), "id")
	vpc := s.State.Output(awsinfra.KeyVPC, "id")
	if subnet == "" || vpc == "" {
		t.Fatalf("no subnet or VPC in state")
	}
	tags := func(rt ec2types.ResourceType, kv ...string) []ec2types.TagSpecification {
		var ts []ec2types.Tag
		for i := 0; i+1 < len(kv); i += 2 {
			ts = append(ts, ec2types.Tag{Key: sdk.String(kv[i]), Value: sdk.String(kv[i+1])})
		}
		return []ec2types.TagSpecification{{ResourceType: rt, Tags: ts}}
	}
	imgs, err := e2.DescribeImages(ctx, &ec2.DescribeImagesInput{})
	must(t, err)
	if len(imgs.Images) == 0 {
		t.Fatal("moto offers no image")
	}
	_, err = e2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: imgs.Images[0].ImageId, MinCount: sdk.Int32(2), MaxCount: sdk.Int32(2),
		InstanceType: ec2types.InstanceTypeM5Large, SubnetId: sdk.String(subnet),
		TagSpecifications: tags(ec2types.ResourceTypeInstance, "karpenter.sh/nodepool", "amd64", awsinfra.TagEKSClusterName, cluster,
			"kubernetes.io/cluster/"+cluster, "owned", "karpenter.k8s.aws/ec2nodeclass", "amd64")})
	must(t, err)
	_, err = e2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: sdk.String("karpenter.k8s.aws/1234567890"),
		LaunchTemplateData: &ec2types.RequestLaunchTemplateData{ImageId: imgs.Images[0].ImageId},
		TagSpecifications:  tags(ec2types.ResourceTypeLaunchTemplate, awsinfra.TagEKSClusterName, cluster, "karpenter.k8s.aws/cluster", cluster)})
	must(t, err)
	_, err = e2.CreateVolume(ctx, &ec2.CreateVolumeInput{AvailabilityZone: sdk.String(s.Doc.Env.Spec.AvailabilityZones[0]), Size: sdk.Int32(10), VolumeType: ec2types.VolumeTypeGp3,
		TagSpecifications: tags(ec2types.ResourceTypeVolume, "kubernetes.io/cluster/"+cluster, "owned", "ebs.csi.aws.com/cluster", "true", "CSIVolumeName", "pvc-1")})
	must(t, err)
	_, err = e2.CreateNetworkInterface(ctx, &ec2.CreateNetworkInterfaceInput{SubnetId: sdk.String(subnet), Description: sdk.String("aws-K8S-i-0123")})
	must(t, err)
	sg, err := e2.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: sdk.String("k8s-traffic-" + cluster), Description: sdk.String("lbc"), VpcId: sdk.String(vpc),
		TagSpecifications: tags(ec2types.ResourceTypeSecurityGroup, awsinfra.TagLBCCluster, cluster)})
	must(t, err)
	elb := elasticloadbalancingv2.NewFromConfig(cfg)
	var subnets []string
	for _, z := range s.Doc.Env.Spec.AvailabilityZones {
		subnets = append(subnets, s.State.Output(awsinfra.KeySubnet("public", z), "id"))
	}
	_, err = elb.CreateLoadBalancer(ctx, &elasticloadbalancingv2.CreateLoadBalancerInput{Name: sdk.String("k8s-test-alb"), Subnets: subnets,
		SecurityGroups: []string{sdk.ToString(sg.GroupId)}, Tags: []elbtypes.Tag{{Key: sdk.String(awsinfra.TagLBCCluster), Value: sdk.String(cluster)}}})
	must(t, err)
	_, err = elb.CreateTargetGroup(ctx, &elasticloadbalancingv2.CreateTargetGroupInput{Name: sdk.String("k8s-test-tg"), Protocol: elbtypes.ProtocolEnumHttp, Port: sdk.Int32(80),
		VpcId: sdk.String(vpc), TargetType: elbtypes.TargetTypeEnumIp, Tags: []elbtypes.Tag{{Key: sdk.String(awsinfra.TagLBCCluster), Value: sdk.String(cluster)}}})
	must(t, err)
	ic := iam.NewFromConfig(cfg)
	_, err = ic.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: sdk.String(cluster + "_1234567890")})
	must(t, err)
	_, err = ic.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: sdk.String(cluster + "_1234567890"), RoleName: sdk.String(s.Doc.Env.Names().KarpenterNodeRole)})
	must(t, err)
}

func TestUpPlanUpDown(t *testing.T) {
	sb, cfg := startSandbox(t)
	ctx := context.Background()
	doc := spec.DefaultDocument()
	s := connectTo(t, ctx, doc, cfg)

	plan, err := s.Plan(ctx)
	must(t, err)
	if plan.Changes() != s.Graph.Len() {
		t.Fatalf("plan on an empty account: %d changes for %d resources", plan.Changes(), s.Graph.Len())
	}
	if sb.MutatingCalls() != 0 {
		t.Fatalf("plan made %d mutating calls", sb.MutatingCalls())
	}
	res, err := s.Apply(ctx)
	if err != nil {
		for _, f := range res.Failed() {
			t.Logf("%s: %s", f.Key, f.Error)
		}
		t.Fatal(err)
	}
	for k, n := range ownedEC2(t, ctx, ec2.NewFromConfig(cfg), doc.Env.Metadata.Name) {
		if n != 1 {
			t.Errorf("%s: %d resources", k, n)
		}
	}

	sb.ResetCalls()
	again := connectTo(t, ctx, doc, cfg)
	plan, err = again.Plan(ctx)
	must(t, err)
	if plan.Changes() != 0 {
		for _, st := range plan.Steps {
			if st.Action != infra.ActionNone {
				t.Errorf("after up: %s %s: %v", st.Action, st.Key, st.Reasons)
			}
		}
		t.Fatal("plan after up is not empty")
	}
	planCalls := 0
	for _, n := range sb.Calls() {
		planCalls += n
	}
	t.Logf("plan on a converged environment: %d API calls for %d resources", planCalls, s.Graph.Len())
	if planCalls > 2*s.Graph.Len()+4 {
		t.Errorf("plan made %d calls for %d resources (target ≤ 2 per resource)", planCalls, s.Graph.Len())
	}
	sb.ResetCalls()
	if _, err := again.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sb.MutatingCalls(); n != 0 {
		t.Fatalf("second up made %d mutating calls: %v", n, sb.Calls())
	}

	playControllers(t, ctx, cfg, again)
	down := connectTo(t, ctx, doc, cfg)
	rep, err := down.Down(ctx, DownOptions{})
	if err != nil {
		if rep.Result != nil {
			for _, f := range rep.Result.Failed() {
				t.Logf("%s: %s", f.Key, f.Error)
			}
		}
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, sw := range rep.Swept {
		kinds[sw.Kind]++
	}
	for _, k := range []string{"instance", "launch template", "instance profile", "load balancer", "target group", "EBS volume", "security group", "network interface"} {
		if kinds[k] == 0 {
			t.Errorf("the sweep removed no %s (swept %v)", k, rep.Swept)
		}
	}
	if !rep.Clean() {
		t.Errorf("left after down: %v", rep.Left)
	}
	if n := ownedEC2(t, ctx, ec2.NewFromConfig(cfg), doc.Env.Metadata.Name); len(n) != 0 {
		t.Errorf("EC2 resources left: %v", n)
	}
	if roles := envRoles(t, ctx, iam.NewFromConfig(cfg), doc.Env); len(roles) != 0 {
		t.Errorf("roles left: %v", roles)
	}
	ops, err := iam.NewFromConfig(cfg).ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	must(t, err)
	if len(ops.OpenIDConnectProviderList) != 0 {
		t.Errorf("OIDC providers left: %d", len(ops.OpenIDConnectProviderList))
	}
}

func TestThrottledUpAndDownConverge(t *testing.T) {
	sb, cfg := startSandbox(t)
	ctx := context.Background()
	doc := spec.DefaultDocument()
	sb.SetFaults(0.1, sandbox.Throttle)
	s := connectTo(t, ctx, doc, cfg)
	if res, err := s.Apply(ctx); err != nil {
		for _, f := range res.Failed() {
			t.Logf("%s: %s", f.Key, f.Error)
		}
		t.Fatal(err)
	}
	rep, err := connectTo(t, ctx, doc, cfg).Down(ctx, DownOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sb.SetFaults(0)
	if !rep.Clean() {
		t.Fatalf("left: %v", rep.Left)
	}
	throttled := 0
	for op, n := range sb.Calls() {
		_ = op
		throttled += n
	}
	t.Logf("%d calls in all with 10%% throttling", throttled)
}

func TestResumeAfterCancel(t *testing.T) {
	sb, cfg := startSandbox(t)
	ctx := context.Background()
	doc := spec.DefaultDocument()
	for _, cut := range []int{1, 5, 12, 25, 45} {
		t.Run(fmt.Sprintf("after %d mutating calls", cut), func(t *testing.T) {
			sb.ResetCalls()
			cctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for cctx.Err() == nil {
					if sb.MutatingCalls() >= cut {
						cancel()
						return
					}
					time.Sleep(time.Millisecond)
				}
			}()
			s := connectTo(t, ctx, doc, cfg)
			_, err := s.Apply(cctx)
			cancel()
			<-done
			if err == nil {
				t.Logf("up finished before the cut")
			} else if !errors.Is(err, context.Canceled) {
				t.Fatalf("cut run: %v", err)
			}
			if _, err := connectTo(t, ctx, doc, cfg).Apply(ctx); err != nil {
				t.Fatalf("resume: %v", err)
			}
			for k, n := range ownedEC2(t, ctx, ec2.NewFromConfig(cfg), doc.Env.Metadata.Name) {
				if n != 1 {
					t.Errorf("%s: %d resources after resume", k, n)
				}
			}
			plan, err := connectTo(t, ctx, doc, cfg).Plan(ctx)
			must(t, err)
			for _, st := range plan.Steps {
				if st.Action != infra.ActionNone {
					t.Errorf("plan after resume: %s %s: %v", st.Action, st.Key, st.Reasons)
				}
			}
			rep, err := connectTo(t, ctx, doc, cfg).Down(ctx, DownOptions{})
			must(t, err)
			if !rep.Clean() {
				t.Errorf("left: %v", rep.Left)
			}
		})
	}
}

func TestDownKeepsData(t *testing.T) {
	_, cfg := startSandbox(t)
	ctx := context.Background()
	doc := spec.DefaultDocument()
	s := connectTo(t, ctx, doc, cfg)
	if _, err := s.Apply(ctx); err != nil {
		t.Fatal(err)
	}
	bucket := doc.Env.BucketName(s.Cloud.AccountID)
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	_, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: sdk.String(bucket), Key: sdk.String("keep/me.txt"), Body: strings.NewReader("data")})
	must(t, err)
	rep, err := connectTo(t, ctx, doc, cfg).Down(ctx, DownOptions{})
	must(t, err)
	kept := false
	for _, k := range rep.Kept {
		if k.Key == awsinfra.KeyBucket && strings.Contains(strings.Join(k.Reasons, " "), "--delete-data") {
			kept = true
		}
	}
	if !kept {
		t.Fatalf("bucket not reported kept: %+v", rep.Kept)
	}
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: sdk.String(bucket)}); err != nil {
		t.Fatalf("bucket gone: %v", err)
	}
	if !rep.Clean() {
		t.Errorf("left (besides the kept bucket): %v", rep.Left)
	}
	rep, err = connectTo(t, ctx, doc, cfg).Down(ctx, DownOptions{DeleteData: true})
	must(t, err)
	if _, err := s3c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: sdk.String(bucket)}); err == nil {
		t.Fatal("bucket kept with --delete-data")
	}
	if !rep.Clean() {
		t.Errorf("left: %v", rep.Left)
	}
}

func TestRefusesForeignRole(t *testing.T) {
	_, cfg := startSandbox(t)
	ctx := context.Background()
	doc := spec.DefaultDocument()
	ic := iam.NewFromConfig(cfg)
	name := doc.Env.Names().ClusterRole
	_, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdk.String(name),
		AssumeRolePolicyDocument: sdk.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	must(t, err)
	s := connectTo(t, ctx, doc, cfg)
	res, err := s.Apply(ctx)
	if err == nil {
		t.Fatal("up adopted a role it does not own")
	}
	st, _ := res.Step(awsinfra.KeyRole("cluster"))
	if st.Action != infra.ActionRefused || !strings.Contains(st.Error, name) {
		t.Fatalf("step %+v", st)
	}
	if cl, _ := res.Step(awsinfra.KeyCluster); cl.Outcome != infra.OutcomeSkipped {
		t.Errorf("the cluster was attempted without its role: %+v", cl)
	}
	rep, err := connectTo(t, ctx, doc, cfg).Down(ctx, DownOptions{})
	must(t, err)
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(name)}); err != nil {
		t.Fatalf("down deleted the foreign role: %v", err)
	}
	if !rep.Clean() {
		t.Errorf("left: %v", rep.Left)
	}
}

// TestBadZone: us-west-1's zone letters differ between accounts; the
// emulator's account has us-west-1a and b, so us-west-1c passes the offline
// check and must be refused live, before anything is created.
func TestBadZone(t *testing.T) {
	sb, cfg := startSandbox(t)
	doc := load(t, "apiVersion: eksenv.dev/v1alpha1\nkind: Environment\nmetadata: {name: demo}\nspec:\n  region: us-west-1\n  availabilityZones: [us-west-1b, us-west-1c]\n")
	_, err := Connect(context.Background(), doc, AWSOptions{Config: &cfg, Now: testNow})
	var pe *ProblemsError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), `eksenv.yaml:6:35: spec.availabilityZones[1]: "us-west-1c" is not a zone of us-west-1 in this account`) {
		t.Fatalf("got %v", err)
	}
	if n := sb.MutatingCalls(); n != 0 {
		t.Errorf("%d mutating calls before the zone was refused", n)
	}
}

// TestAddressLimit: the account's elastic IP limit fails the NAT gateway's
// address with AWS's code and message; what depends on it is not attempted,
// the rest is done, and an up after the limit is raised converges.
func TestAddressLimit(t *testing.T) {
	sb, cfg := startSandbox(t)
	ctx := context.Background()
	doc := spec.DefaultDocument()
	sb.FailOperation(sandbox.OperationError{Operation: "ec2:AllocateAddress", Code: "AddressLimitExceeded", Message: "The maximum number of addresses has been reached."})
	res, err := connectTo(t, ctx, doc, cfg).Apply(ctx)
	if !errors.Is(err, infra.ErrFailed) {
		t.Fatalf("up with no address left: %v", err)
	}
	eip, _ := res.Step(awsinfra.KeyEIP("us-west-2a"))
	if eip.Outcome != infra.OutcomeFailed || !strings.Contains(eip.Error, "AddressLimitExceeded") || !strings.Contains(eip.Error, "maximum number of addresses") {
		t.Fatalf("EIP step: %+v", eip)
	}
	if nat, _ := res.Step(awsinfra.KeyNAT("us-west-2a")); nat.Outcome != infra.OutcomeSkipped {
		t.Errorf("NAT gateway attempted without its address: %+v", nat)
	}
	if vpc, _ := res.Step(awsinfra.KeyVPC); vpc.Outcome != infra.OutcomeDone {
		t.Errorf("independent steps not done: %+v", vpc)
	}
	sb.ClearOperationErrors()
	if _, err := connectTo(t, ctx, doc, cfg).Apply(ctx); err != nil {
		t.Fatalf("up after the limit was raised: %v", err)
	}
	rep, err := connectTo(t, ctx, doc, cfg).Down(ctx, DownOptions{})
	must(t, err)
	if !rep.Clean() {
		t.Errorf("left: %v", rep.Left)
	}
}
