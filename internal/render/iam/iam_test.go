package iam

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

var testParams = Params{
	Partition:    "aws",
	Region:       "us-west-2",
	AccountID:    "111122223333",
	ClusterName:  "demo",
	QueueName:    "demo",
	NodeRoleName: "KarpenterNodeRole-demo",
	OIDCIssuer:   "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
	BucketName:   "demo-data",
}

var placeholderParams = Params{
	Partition:    "aws",
	Region:       "${AWS_REGION}",
	AccountID:    "${AWS_ACCOUNT_ID}",
	ClusterName:  "demo",
	QueueName:    "demo",
	NodeRoleName: "KarpenterNodeRole-demo",
	OIDCIssuer:   "${OIDC_ISSUER}",
	BucketName:   "demo-data",
}

// documents lists every document of the package, built from testParams,
// with the name of its golden file.
func documents() []struct {
	name string
	doc  func() Document
} {
	p := testParams
	return []struct {
		name string
		doc  func() Document
	}{
		{"load-balancer-controller", LoadBalancerControllerPolicy},
		{"load-balancer-controller-aws-cn", func() Document { return LoadBalancerControllerPolicyFor("aws-cn") }},
		{"karpenter-controller", func() Document { return KarpenterControllerPolicy(p) }},
		{"karpenter-controller-placeholders", func() Document { return KarpenterControllerPolicy(placeholderParams) }},
		{"karpenter-node-trust", KarpenterNodeTrustPolicy},
		{"interruption-queue", func() Document { return InterruptionQueuePolicy(p) }},
		{"cluster-role-trust", ClusterRoleTrustPolicy},
		{"fargate-pod-execution-trust", func() Document { return FargatePodExecutionTrustPolicy(p) }},
		{"pod-identity-trust", PodIdentityTrustPolicy},
		{"irsa-trust", func() Document { return IRSATrustPolicy(p, "kube-system", "karpenter") }},
		{"mountpoint-s3", func() Document { return MountpointS3Policy(p) }},
		{"s3-bucket", func() Document { return S3BucketPolicy(p) }},
	}
}

func mustJSON(t *testing.T, d Document) []byte {
	t.Helper()
	b, err := d.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, tc := range documents() {
		t.Run(tc.name, func(t *testing.T) {
			got := mustJSON(t, tc.doc())
			path := filepath.Join("testdata", tc.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the output; run go test -update if the change is intended\n--- got\n%s", path, got)
			}
		})
	}
}

func TestJSONIsDeterministicAndValid(t *testing.T) {
	for _, tc := range documents() {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.doc()
			a, b, c := mustJSON(t, d), mustJSON(t, d), mustJSON(t, tc.doc())
			if !bytes.Equal(a, b) || !bytes.Equal(a, c) {
				t.Fatal("JSON differs between calls")
			}
			if !bytes.HasSuffix(a, []byte("}\n")) || bytes.HasSuffix(a, []byte("\n\n")) {
				t.Error("JSON should end in exactly one newline")
			}
			if !json.Valid(a) {
				t.Fatal("invalid JSON")
			}
			// Round trip: parsing and marshalling again gives the same bytes,
			// so string-or-list shapes survive.
			var back Document
			if err := json.Unmarshal(a, &back); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if again := mustJSON(t, back); !bytes.Equal(a, again) {
				t.Errorf("round trip changed the JSON:\n%s", again)
			}
			for i, s := range d.Statement {
				if s.Effect != Allow && s.Effect != Deny {
					t.Errorf("statement %d: effect %q", i, s.Effect)
				}
				if s.Action.IsZero() && s.NotAction.IsZero() {
					t.Errorf("statement %d: no action", i)
				}
			}
			if d.Version != Version2012 {
				t.Errorf("version %q", d.Version)
			}
		})
	}
}

func TestKarpenterControllerPolicySids(t *testing.T) {
	want := []string{
		"AllowScopedEC2InstanceAccessActions",
		"AllowScopedEC2LaunchTemplateAccessActions",
		"AllowScopedEC2InstanceActionsWithTags",
		"AllowScopedResourceCreationTagging",
		"AllowScopedResourceTagging",
		"AllowScopedDeletion",
		"AllowRegionalReadActions",
		"AllowSSMReadActions",
		"AllowPricingReadActions",
		"AllowInterruptionQueueActions",
		"AllowPassingInstanceRole",
		"AllowScopedInstanceProfileCreationActions",
		"AllowScopedInstanceProfileTagActions",
		"AllowScopedInstanceProfileActions",
		"AllowInstanceProfileReadActions",
		"AllowAPIServerEndpointDiscovery",
	}
	d := KarpenterControllerPolicy(testParams)
	var got []string
	seen := map[string]bool{}
	for _, s := range d.Statement {
		if s.Sid == "" {
			t.Error("statement without Sid")
		}
		if seen[s.Sid] {
			t.Errorf("duplicate Sid %q", s.Sid)
		}
		seen[s.Sid] = true
		got = append(got, s.Sid)
		if s.Effect != Allow {
			t.Errorf("%s: effect %s", s.Sid, s.Effect)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Sids:\n got %q\nwant %q", got, want)
	}
}

func statementBySid(t *testing.T, d Document, sid string) Statement {
	t.Helper()
	for _, s := range d.Statement {
		if s.Sid == sid {
			return s
		}
	}
	t.Fatalf("no statement %q", sid)
	return Statement{}
}

func TestKarpenterControllerPolicySubstitutions(t *testing.T) {
	d := KarpenterControllerPolicy(testParams)
	out := string(mustJSON(t, d))
	for _, leftover := range []string{"${AWS::", "${ClusterName}", "${Karpenter", "AWS::"} {
		if strings.Contains(out, leftover) {
			t.Errorf("unsubstituted %q in output", leftover)
		}
	}
	q := statementBySid(t, d, "AllowInterruptionQueueActions")
	if got := q.Resource.Items(); !slices.Equal(got, []string{"arn:aws:sqs:us-west-2:111122223333:demo"}) {
		t.Errorf("queue resource %q", got)
	}
	pr := statementBySid(t, d, "AllowPassingInstanceRole")
	if got := pr.Resource.Items(); !slices.Equal(got, []string{"arn:aws:iam::111122223333:role/KarpenterNodeRole-demo"}) {
		t.Errorf("pass role resource %q", got)
	}
	if !pr.Action.Contains("iam:PassRole") || !pr.Condition["StringEquals"]["iam:PassedToService"].Contains("ec2.amazonaws.com") {
		t.Error("iam:PassRole must be limited to ec2.amazonaws.com")
	}
	tags := statementBySid(t, d, "AllowScopedEC2InstanceActionsWithTags").Condition
	if !tags["StringEquals"]["aws:RequestTag/kubernetes.io/cluster/demo"].Contains("owned") ||
		!tags["StringEquals"]["aws:RequestTag/eks:eks-cluster-name"].Contains("demo") ||
		!tags["StringLike"]["aws:RequestTag/karpenter.sh/nodepool"].Contains("*") {
		t.Errorf("launch conditions not scoped to the cluster: %v", tags)
	}
	region := statementBySid(t, d, "AllowRegionalReadActions").Condition["StringEquals"]["aws:RequestedRegion"]
	if !region.Contains("us-west-2") {
		t.Errorf("regional read condition %v", region.Items())
	}
	eks := statementBySid(t, d, "AllowAPIServerEndpointDiscovery")
	if !eks.Resource.Contains("arn:aws:eks:us-west-2:111122223333:cluster/demo") {
		t.Errorf("eks resource %v", eks.Resource.Items())
	}
	ssm := statementBySid(t, d, "AllowSSMReadActions")
	if !ssm.Resource.Contains("arn:aws:ssm:us-west-2::parameter/aws/service/*") {
		t.Errorf("ssm resource %v", ssm.Resource.Items())
	}
	// Placeholders go through untouched (no JSON escaping of $, { or }).
	ph := string(mustJSON(t, KarpenterControllerPolicy(placeholderParams)))
	for _, s := range []string{
		`"arn:aws:iam::${AWS_ACCOUNT_ID}:instance-profile/*"`,
		`"arn:aws:sqs:${AWS_REGION}:${AWS_ACCOUNT_ID}:demo"`,
	} {
		if !strings.Contains(ph, s) {
			t.Errorf("placeholder output lacks %s", s)
		}
	}
}

func TestLoadBalancerControllerPolicy(t *testing.T) {
	d := LoadBalancerControllerPolicy()
	if n := len(d.Statement); n != 16 {
		t.Errorf("%d statements, upstream v2.13.4 has 16", n)
	}
	var actions []string
	for _, s := range d.Statement {
		if s.Sid != "" || s.Effect != Allow {
			t.Errorf("statement %v: upstream has no Sid and only Allow", s.Action.Items())
		}
		actions = append(actions, s.Action.Items()...)
	}
	if len(actions) != 86 {
		t.Errorf("%d actions in all, upstream v2.13.4 has 86", len(actions))
	}
	// Present since: ec2:DescribeRouteTables v2.13.0; ec2:DescribeIpamPools and
	// elasticloadbalancing:ModifyIpPools v2.12.0;
	// elasticloadbalancing:DescribeCapacityReservation and
	// ModifyCapacityReservation v2.11.0; ec2:GetSecurityGroupsForVpc v2.10.0;
	// elasticloadbalancing:DescribeListenerAttributes v2.9.0.
	for _, a := range []string{
		"ec2:DescribeRouteTables",
		"ec2:DescribeIpamPools",
		"elasticloadbalancing:ModifyIpPools",
		"elasticloadbalancing:DescribeCapacityReservation",
		"elasticloadbalancing:ModifyCapacityReservation",
		"ec2:GetSecurityGroupsForVpc",
		"elasticloadbalancing:DescribeListenerAttributes",
		"elasticloadbalancing:ModifyListenerAttributes",
		"elasticloadbalancing:DescribeTrustStores",
	} {
		if !slices.Contains(actions, a) {
			t.Errorf("missing %s", a)
		}
	}
	first := d.Statement[0]
	if !first.Action.Contains("iam:CreateServiceLinkedRole") ||
		!first.Condition["StringEquals"]["iam:AWSServiceName"].Contains("elasticloadbalancing.amazonaws.com") {
		t.Errorf("first statement %+v", first)
	}

	aws := string(mustJSON(t, d))
	cn := string(mustJSON(t, LoadBalancerControllerPolicyFor("aws-cn")))
	if strings.Count(aws, `"arn:aws:`) != 13 {
		t.Errorf("%d ARNs, upstream has 13", strings.Count(aws, `"arn:aws:`))
	}
	if want := strings.ReplaceAll(aws, `"arn:aws:`, `"arn:aws-cn:`); cn != want {
		t.Error("aws-cn policy is not the aws policy with the partition replaced")
	}
}

func TestTrustPolicies(t *testing.T) {
	cases := []struct {
		name      string
		doc       Document
		service   string
		federated string
		actions   []string
	}{
		{"karpenter node", KarpenterNodeTrustPolicy(), "ec2.amazonaws.com", "", []string{"sts:AssumeRole"}},
		{"cluster", ClusterRoleTrustPolicy(), "eks.amazonaws.com", "", []string{"sts:AssumeRole", "sts:TagSession"}},
		{"fargate", FargatePodExecutionTrustPolicy(testParams), "eks-fargate-pods.amazonaws.com", "", []string{"sts:AssumeRole"}},
		{"pod identity", PodIdentityTrustPolicy(), "pods.eks.amazonaws.com", "", []string{"sts:AssumeRole", "sts:TagSession"}},
		{"irsa", IRSATrustPolicy(testParams, "kube-system", "aws-load-balancer-controller"), "",
			"arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
			[]string{"sts:AssumeRoleWithWebIdentity"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.doc.Statement) != 1 {
				t.Fatalf("%d statements", len(tc.doc.Statement))
			}
			s := tc.doc.Statement[0]
			if s.Effect != Allow || !s.Resource.IsZero() || s.Principal.Any || !s.Principal.AWS.IsZero() {
				t.Errorf("statement %+v", s)
			}
			if got := s.Principal.Service.Items(); tc.service != "" && !slices.Equal(got, []string{tc.service}) || tc.service == "" && got != nil {
				t.Errorf("service principal %q, want %q", got, tc.service)
			}
			if got := s.Principal.Federated.Items(); tc.federated != "" && !slices.Equal(got, []string{tc.federated}) || tc.federated == "" && got != nil {
				t.Errorf("federated principal %q, want %q", got, tc.federated)
			}
			if got := s.Action.Items(); !slices.Equal(got, tc.actions) {
				t.Errorf("actions %q, want %q", got, tc.actions)
			}
		})
	}
}

func TestFargateSourceArn(t *testing.T) {
	s := FargatePodExecutionTrustPolicy(testParams).Statement[0]
	got := s.Condition["ArnLike"]["aws:SourceArn"].Items()
	if want := []string{"arn:aws:eks:us-west-2:111122223333:fargateprofile/demo/*"}; !slices.Equal(got, want) {
		t.Errorf("aws:SourceArn %q, want %q", got, want)
	}
}

func TestIRSAConditions(t *testing.T) {
	for _, iss := range []string{testParams.OIDCIssuer, "https://" + testParams.OIDCIssuer} {
		p := testParams
		p.OIDCIssuer = iss
		s := IRSATrustPolicy(p, "team-a", "app").Statement[0]
		eq := s.Condition["StringEquals"]
		const host = "oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
		if len(eq) != 2 || len(s.Condition) != 1 {
			t.Fatalf("conditions %v", s.Condition)
		}
		if got := eq[host+":aud"].Items(); !slices.Equal(got, []string{"sts.amazonaws.com"}) {
			t.Errorf("aud %q", got)
		}
		if got := eq[host+":sub"].Items(); !slices.Equal(got, []string{"system:serviceaccount:team-a:app"}) {
			t.Errorf("sub %q", got)
		}
		if got := s.Principal.Federated.Items()[0]; got != "arn:aws:iam::111122223333:oidc-provider/"+host {
			t.Errorf("provider %q", got)
		}
	}
}

func TestInterruptionQueuePolicy(t *testing.T) {
	d := InterruptionQueuePolicy(testParams)
	const queue = "arn:aws:sqs:us-west-2:111122223333:demo"
	if len(d.Statement) != 2 || d.Id != "EC2InterruptionPolicy" {
		t.Fatalf("%+v", d)
	}
	send, deny := d.Statement[0], d.Statement[1]
	if got := send.Principal.Service.Items(); !slices.Equal(got, []string{"events.amazonaws.com", "sqs.amazonaws.com"}) {
		t.Errorf("senders %q", got)
	}
	if send.Effect != Allow || !slices.Equal(send.Action.Items(), []string{"sqs:SendMessage"}) || !send.Resource.Contains(queue) {
		t.Errorf("send statement %+v", send)
	}
	if deny.Sid != "DenyHTTP" || deny.Effect != Deny || !deny.Principal.Any || !deny.Action.Contains("sqs:*") ||
		!deny.Resource.Contains(queue) || !deny.Condition["Bool"]["aws:SecureTransport"].Contains("false") {
		t.Errorf("deny statement %+v", deny)
	}
}

func TestS3Policies(t *testing.T) {
	m := MountpointS3Policy(testParams)
	if len(m.Statement) != 2 {
		t.Fatalf("%d statements", len(m.Statement))
	}
	if got := m.Statement[0]; !slices.Equal(got.Action.Items(), []string{"s3:ListBucket"}) ||
		!slices.Equal(got.Resource.Items(), []string{"arn:aws:s3:::demo-data"}) {
		t.Errorf("bucket statement %+v", got)
	}
	if got := m.Statement[1]; !slices.Equal(got.Action.Items(), []string{"s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:DeleteObject"}) ||
		!slices.Equal(got.Resource.Items(), []string{"arn:aws:s3:::demo-data/*"}) {
		t.Errorf("object statement %+v", got)
	}

	b := S3BucketPolicy(testParams).Statement
	if len(b) != 1 || b[0].Effect != Deny || !b[0].Principal.Any ||
		!slices.Equal(b[0].Resource.Items(), []string{"arn:aws:s3:::demo-data", "arn:aws:s3:::demo-data/*"}) ||
		!b[0].Condition["Bool"]["aws:SecureTransport"].Contains("false") {
		t.Errorf("bucket policy %+v", b)
	}
}

func TestManagedPolicies(t *testing.T) {
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"karpenter node", KarpenterNodeManagedPolicies("aws"), []string{
			"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
			"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
			"arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
			"arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
		}},
		{"cluster", ClusterManagedPolicies("aws"), []string{"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}},
		{"fargate", FargatePodExecutionManagedPolicies("aws-us-gov"), []string{"arn:aws-us-gov:iam::aws:policy/AmazonEKSFargatePodExecutionRolePolicy"}},
		{"ebs", EBSCSIManagedPolicies("aws"), []string{"arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"}},
		{"efs", EFSCSIManagedPolicies("aws-cn"), []string{"arn:aws-cn:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"}},
		{"vpc cni", VPCCNIManagedPolicies("aws"), []string{"arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"}},
	}
	for _, tc := range cases {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
}

func TestARNs(t *testing.T) {
	p := testParams
	for got, want := range map[string]string{
		RoleARN(p, "r"):    "arn:aws:iam::111122223333:role/r",
		NodeRoleARN(p):     "arn:aws:iam::111122223333:role/KarpenterNodeRole-demo",
		QueueARN(p):        "arn:aws:sqs:us-west-2:111122223333:demo",
		ClusterARN(p):      "arn:aws:eks:us-west-2:111122223333:cluster/demo",
		BucketARN(p):       "arn:aws:s3:::demo-data",
		OIDCProviderARN(p): "arn:aws:iam::111122223333:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestValueAndPrincipalShapes(t *testing.T) {
	cases := []struct {
		v    any
		want string
	}{
		{String("a"), `"a"`},
		{List("a"), `["a"]`},
		{List("a", "b"), `["a","b"]`},
		{Value{}, `[]`},
		{String("a<b>&"), `"a<b>&"`},
		{Principal{Any: true}, `"*"`},
		{Principal{Service: List("b", "a"), AWS: String("x")}, `{"AWS":"x","Service":["b","a"]}`},
		{Statement{Effect: Allow, Action: String("s3:*")}, `{"Effect":"Allow","Action":"s3:*"}`},
		{Statement{Sid: "S", Effect: Deny, Principal: Principal{Any: true}, NotAction: List("a"), Resource: String("*"),
			Condition: Condition{"StringLike": {"k": String("v")}, "Bool": {"z": String("false"), "a": String("true")}}},
			`{"Sid":"S","Effect":"Deny","Principal":"*","NotAction":["a"],"Resource":"*","Condition":{"Bool":{"a":"true","z":"false"},"StringLike":{"k":"v"}}}`},
	}
	for _, tc := range cases {
		b, err := marshal(tc.v)
		if err != nil {
			t.Fatalf("%#v: %v", tc.v, err)
		}
		if string(b) != tc.want {
			t.Errorf("got %s, want %s", b, tc.want)
		}
	}
	if _, err := marshal(Principal{Any: true, Service: String("x")}); err == nil {
		t.Error(`principal "*" with a service should not marshal`)
	}
	var p Principal
	if err := json.Unmarshal([]byte(`"nobody"`), &p); err == nil {
		t.Error(`principal string other than "*" should not unmarshal`)
	}
	if err := json.Unmarshal([]byte(`{"Bogus":"x"}`), &p); err == nil {
		t.Error("unknown principal type should not unmarshal")
	}
	// Items returns a copy.
	v := List("a")
	v.Items()[0] = "changed"
	if v.Items()[0] != "a" {
		t.Error("Items exposes the backing array")
	}
}
