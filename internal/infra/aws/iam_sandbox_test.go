package aws

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/sandbox"
	"github.com/eksenv/eksenv/internal/spec"
)

// The tests of iam*.go, queue*.go and storage*.go run against the sandbox
// (moto behind the proxy). Helpers here are prefixed iqs (IAM, queue,
// storage) to stay clear of the other files' tests in this package.

const iqsIssuer = "https://oidc.eks.us-west-2.amazonaws.com/id/ABC"

// iqsCloud starts a sandbox and returns a Cloud pointed at it, for the
// default environment (eks-env in us-west-2).
func iqsCloud(t *testing.T) (*Cloud, *sandbox.Sandbox) {
	t.Helper()
	if testing.Short() {
		t.Skip("needs the sandbox (moto)")
	}
	sb := sandbox.ForTest(t, sandbox.Options{Region: "us-west-2"})
	for _, kv := range sb.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := LoadConfig(t.Context(), "us-west-2")
	if err != nil {
		t.Fatal(err)
	}
	cfg.BaseEndpoint = sdk.String(sb.Endpoint())
	return &Cloud{C: NewClients(cfg), Env: spec.Default(), AccountID: "123456789012", Poll: 20 * time.Millisecond}, sb
}

// iqsFixed is a resource of another file (the cluster, the VPC, a subnet)
// that the tests stand in for with a fixed observation.
type iqsFixed struct {
	key infra.Key
	obs infra.Observation
}

func (f *iqsFixed) Key() infra.Key    { return f.key }
func (f *iqsFixed) Describe() string  { return "fixed " + string(f.key) }
func (f *iqsFixed) Deps() []infra.Key { return nil }
func (f *iqsFixed) Observe(context.Context, *infra.State) (infra.Observation, error) {
	return f.obs, nil
}
func (f *iqsFixed) Apply(context.Context, *infra.State, infra.Observation) (infra.Observation, error) {
	return f.obs, nil
}
func (f *iqsFixed) Delete(context.Context, *infra.State, infra.Observation) error { return nil }

func iqsFix(k infra.Key, outputs map[string]string) *iqsFixed {
	return &iqsFixed{key: k, obs: infra.Observation{Exists: true, ID: outputs["id"], Outputs: outputs}}
}

// iqsCluster stands in for the EKS cluster and its OIDC issuer.
func iqsCluster() *iqsFixed {
	return iqsFix(KeyCluster, map[string]string{"name": "eks-env", "oidcIssuer": iqsIssuer})
}

// iqsNetwork creates a VPC and a private subnet per zone in the emulator
// and returns stand-ins for their resources.
func iqsNetwork(t *testing.T, c *Cloud) []infra.Resource {
	t.Helper()
	ctx := t.Context()
	vpc, err := c.C.EC2.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: sdk.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	vpcID := sdk.ToString(vpc.Vpc.VpcId)
	out := []infra.Resource{iqsFix(KeyVPC, map[string]string{"id": vpcID, "cidr": "10.0.0.0/16"})}
	for i, z := range c.Env.Spec.AvailabilityZones {
		sn, err := c.C.EC2.CreateSubnet(ctx, &ec2.CreateSubnetInput{
			VpcId: sdk.String(vpcID), AvailabilityZone: sdk.String(z), CidrBlock: sdk.String(fmt.Sprintf("10.0.%d.0/24", 100+i)),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, iqsFix(KeySubnet("private", z), map[string]string{"id": sdk.ToString(sn.Subnet.SubnetId), "zone": z}))
	}
	return out
}

// iqsRun runs the graph of resources in mode and returns the result.
func iqsRun(t *testing.T, mode infra.Mode, rs []infra.Resource) (*infra.Result, error) {
	t.Helper()
	g, err := infra.NewGraph(rs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	return infra.Run(ctx, g, mode, infra.NewState(), infra.Options{
		Classify:    Classify,
		Backoff:     10 * time.Millisecond,
		MaxBackoff:  200 * time.Millisecond,
		Timeout:     func(infra.Key) time.Duration { return 2 * time.Minute },
		Parallelism: 4,
	})
}

// iqsMust runs and fails the test on any failed step.
func iqsMust(t *testing.T, mode infra.Mode, rs []infra.Resource) *infra.Result {
	t.Helper()
	res, err := iqsRun(t, mode, rs)
	if err != nil {
		for _, s := range res.Failed() {
			t.Errorf("%s: %s", s.Key, s.Error)
		}
		t.Fatalf("run: %v", err)
	}
	return res
}

// iqsPending lists the steps that would act, with their reasons.
func iqsPending(res *infra.Result) []string {
	var out []string
	for _, s := range res.Steps {
		if s.Action == infra.ActionCreate || s.Action == infra.ActionUpdate || s.Action == infra.ActionDelete {
			out = append(out, fmt.Sprintf("%s %s: %s", s.Action, s.Key, strings.Join(s.Reasons, "; ")))
		}
	}
	return out
}

// iqsStep returns the step of k.
func iqsStep(t *testing.T, res *infra.Result, k infra.Key) infra.Step {
	t.Helper()
	s, ok := res.Step(k)
	if !ok {
		t.Fatalf("no step %s", k)
	}
	return s
}
