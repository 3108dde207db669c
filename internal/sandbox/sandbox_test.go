package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func TestFaultInjection(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	cfg := awsConfig(s)
	ekc, ec2c, iamc, stsc, sqsc := eks.NewFromConfig(cfg), ec2.NewFromConfig(cfg), iam.NewFromConfig(cfg), sts.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	calls := map[string]func() error{
		"eks": func() error { _, err := ekc.ListClusters(ctx, &eks.ListClustersInput{}); return err },
		"ec2": func() error { _, err := ec2c.DescribeVpcs(ctx, &ec2.DescribeVpcsInput{}); return err },
		"iam": func() error { _, err := iamc.ListRoles(ctx, &iam.ListRolesInput{}); return err },
		"sts": func() error { _, err := stsc.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); return err },
		"sqs": func() error { _, err := sqsc.ListQueues(ctx, &sqs.ListQueuesInput{}); return err },
	}
	throttleCode := map[string]string{"eks": "ThrottlingException", "ec2": "RequestLimitExceeded", "iam": "Throttling",
		"sts": "Throttling", "sqs": "ThrottlingException"}
	serverCode := map[string]string{"eks": "InternalFailure", "ec2": "InternalError", "iam": "InternalFailure",
		"sts": "InternalFailure", "sqs": "InternalFailure"}
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	retryables := retry.IsErrorRetryables(retry.DefaultRetryables)

	for svc, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("%s without faults: %v", svc, err)
		}
	}
	s.SetFaults(1, Throttle)
	for svc, call := range calls {
		err := call()
		wantCode(t, err, throttleCode[svc])
		if throttles.IsErrorThrottle(err) != aws.TrueTernary || retryables.IsErrorRetryable(err) != aws.TrueTernary {
			t.Errorf("%s: %v is not a retryable throttle to the SDK", svc, err)
		}
	}
	s.SetFaults(1, ServerError)
	for svc, call := range calls {
		err := call()
		wantCode(t, err, serverCode[svc])
		if retryables.IsErrorRetryable(err) != aws.TrueTernary {
			t.Errorf("%s: %v is not retryable to the SDK", svc, err)
		}
	}
	// The sandbox's own endpoints are never faulted.
	resp, err := http.Get(s.Endpoint() + "/_sandbox/healthz")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz under faults: %s", resp.Status)
	}

	// Mutating calls only; a faulted call changes nothing.
	s.SetFaults(1, Throttle, MutatingOnly)
	_, err = ekc.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("faulted"), Version: aws.String("1.33"), RoleArn: aws.String(testRole),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}}})
	wantCode(t, err, "ThrottlingException")
	_, err = ekc.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("faulted")})
	wantCode(t, err, "ResourceNotFoundException") // the read went through; the create never reached moto

	s.SetFaults(0)
	for svc, call := range calls {
		if err := call(); err != nil {
			t.Fatalf("%s after SetFaults(0): %v", svc, err)
		}
	}

	// The same seed gives the same faults for the same calls.
	pattern := func() []string {
		s.SetFaults(0.5)
		var out []string
		for range 24 {
			out = append(out, errCode(calls["eks"]()))
		}
		return out
	}
	a, b := pattern(), pattern()
	if !slices.Equal(a, b) || !slices.Contains(a, "") || !slices.Contains(a, "ThrottlingException") || !slices.Contains(a, "InternalFailure") {
		t.Fatalf("rate 0.5 patterns differ or lack a kind:\n%v\n%v", a, b)
	}
}

func TestCallCounting(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	cfg := awsConfig(s)
	s.ResetCalls()
	_, err := eks.NewFromConfig(cfg).ListClusters(ctx, &eks.ListClustersInput{})
	must(t, err)
	_, err = eks.NewFromConfig(cfg).ListClusters(ctx, &eks.ListClustersInput{})
	must(t, err)
	_, err = eks.NewFromConfig(cfg).DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{AddonName: aws.String("vpc-cni")})
	must(t, err)
	_, err = ec2.NewFromConfig(cfg).DescribeVpcs(ctx, &ec2.DescribeVpcsInput{})
	must(t, err)
	_, err = iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("counted"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
	must(t, err)
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	q, err := sqs.NewFromConfig(cfg).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("counted")})
	must(t, err)
	// moto builds the queue URL from the Host the client sent: the proxy's.
	if u, _ := url.Parse(aws.ToString(q.QueueUrl)); u == nil || "http://"+u.Host != s.Endpoint() {
		t.Errorf("queue URL %s does not point at the proxy %s", aws.ToString(q.QueueUrl), s.Endpoint())
	}
	want := map[string]int{
		"eks:ListClusters": 2, "eks:DescribeAddonVersions": 1, "ec2:DescribeVpcs": 1,
		"iam:CreateRole": 1, "sts:GetCallerIdentity": 1, "sqs:CreateQueue": 1,
	}
	got := s.Calls()
	if len(got) != len(want) {
		t.Errorf("Calls() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Calls()[%s] = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	if m := s.MutatingCalls(); m != 2 {
		t.Errorf("MutatingCalls() = %d, want 2 (CreateRole, CreateQueue)", m)
	}

	// The control endpoint says the same, and is not counted itself.
	resp, err := http.Get(s.Endpoint() + "/_sandbox/calls")
	must(t, err)
	var body struct {
		Calls    map[string]int `json:"calls"`
		Mutating int            `json:"mutating"`
	}
	must(t, json.NewDecoder(resp.Body).Decode(&body))
	resp.Body.Close()
	if body.Mutating != 2 || body.Calls["eks:ListClusters"] != 2 {
		t.Errorf("/_sandbox/calls = %+v", body)
	}
	s.ResetCalls()
	if len(s.Calls()) != 0 || s.MutatingCalls() != 0 {
		t.Errorf("after ResetCalls: %v, %d", s.Calls(), s.MutatingCalls())
	}
}

// Env points a default SDK configuration (as eksenv loads it) at the sandbox.
func TestEnv(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	must(t, err)
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(out.Account) != s.AccountID() || cfg.Region != s.Region() {
		t.Fatalf("through Env: account %s region %s", aws.ToString(out.Account), cfg.Region)
	}
	if s.Calls()["sts:GetCallerIdentity"] != 1 {
		t.Fatalf("the call did not go through the proxy: %v", s.Calls())
	}
}

func TestStopLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own moto")
	}
	s := ForTest(t, Options{AccountID: "210987654321", Region: "eu-west-1"})
	ctx := testCtx(t)
	out, err := sts.NewFromConfig(awsConfig(s)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	must(t, err)
	if aws.ToString(out.Account) != "210987654321" {
		t.Fatalf("account %s, want the one configured", aws.ToString(out.Account))
	}
	pid, motoAddr := s.MotoPID(), s.moto.url()
	proxyAddr := strings.TrimPrefix(s.Endpoint(), "http://")

	must(t, s.Stop())
	must(t, s.Stop()) // idempotent
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("moto_server pid %d still exists after Stop (kill 0: %v)", pid, err)
	}
	if err := syscall.Kill(-pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("moto_server's process group %d still exists after Stop (kill 0: %v)", pid, err)
	}
	for _, addr := range []string{proxyAddr, strings.TrimPrefix(motoAddr, "http://")} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
}

func TestStartStopsWithContext(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own moto")
	}
	if _, err := lookMoto(); err != nil {
		t.Skipf("sandbox: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop() })
	pid := s.MotoPID()
	cancel()
	eventually(t, 15*time.Second, "moto gone after the context ended", func() bool {
		return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
	})
}

func TestStartWithoutMoto(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Start(context.Background(), Options{})
	if !errors.Is(err, ErrMotoNotFound) || !strings.Contains(err.Error(), "pip install") {
		t.Fatalf("Start without moto_server: %v", err)
	}
}
