package aws

import (
	"slices"
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/efs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/spec"
)

func TestSameDocument(t *testing.T) {
	for _, tc := range []struct {
		live, want string
		same       bool
	}{
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
			`{"Statement":[{"Resource":["*"],"Action":["s3:GetObject"],"Effect":"Allow"}],"Version":"2012-10-17"}`, true},
		{`%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22b%22%2C%22a%22%5D%7D%7D`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["a","b"]}]}`, true},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"a"}]}`,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"a"}]}`, false},
		{`{"Statement":[{"Effect":"Allow","Action":"a"},{"Effect":"Deny","Action":"b"}]}`,
			`{"Statement":[{"Effect":"Deny","Action":"b"},{"Effect":"Allow","Action":"a"}]}`, false},
		{`not json`, `{}`, false},
	} {
		if got := sameDocument(tc.live, []byte(tc.want)); got != tc.same {
			t.Errorf("sameDocument(%s, %s) = %v, want %v", tc.live, tc.want, got, tc.same)
		}
	}
}

func TestIAMGraphShape(t *testing.T) {
	c := &Cloud{C: &Clients{}, Env: spec.Default(), AccountID: "123456789012"}
	byKey := map[infra.Key]infra.Resource{}
	for _, r := range iamResources(c) {
		byKey[r.Key()] = r
	}
	for _, r := range render.Roles(c.Env, c.Params()) {
		res, ok := byKey[KeyRole(r.Key)]
		if !ok {
			t.Fatalf("no resource for role %s", r.Key)
		}
		deps := res.Deps()
		for _, p := range r.Policies {
			if !slices.Contains(deps, KeyPolicy(p.Name)) {
				t.Errorf("role %s does not depend on its policy %s", r.Key, p.Name)
			}
		}
		irsa := r.ServiceAccount != nil && r.ServiceAccount.Credentials == "irsa"
		if slices.Contains(deps, KeyOIDC) != irsa {
			t.Errorf("role %s: depends on the OIDC provider = %v, uses IRSA = %v", r.Key, !irsa, irsa)
		}
		if len(r.Policies) == 0 && !irsa && len(deps) != 0 {
			t.Errorf("role %s has deps %v, want none", r.Key, deps)
		}
	}
	if o, ok := byKey[KeyOIDC]; !ok || !slices.Equal(o.Deps(), []infra.Key{KeyCluster}) {
		t.Errorf("OIDC provider missing or with deps other than the cluster")
	}
	if _, ok := byKey[KeySpotSLR]; !ok {
		t.Errorf("no Spot service-linked role")
	}
}

// TestIAMQueueStorageLifecycle applies the IAM, queue and storage resources to the
// emulator, plans again (nothing to do), destroys them and checks that
// nothing of the environment is left but the Spot service-linked role.
func TestIAMQueueStorageLifecycle(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	rs := append([]infra.Resource{iqsCluster()}, iqsNetwork(t, c)...)
	rs = append(rs, iamResources(c)...)
	rs = append(rs, queueResources(c)...)
	rs = append(rs, storageResources(c)...)

	res := iqsMust(t, infra.ModeApply, rs)
	if got := res.Changes(); got < 20 {
		t.Errorf("first apply made %d changes, want every resource created", got)
	}
	plan := iqsMust(t, infra.ModePlan, rs)
	if p := iqsPending(plan); len(p) > 0 {
		t.Errorf("plan after apply is not empty:\n%s", strings.Join(p, "\n"))
	}
	again := iqsMust(t, infra.ModeApply, rs)
	if again.Changes() != 0 {
		t.Errorf("second apply made %d changes", again.Changes())
	}

	// What was made is what the renderer says.
	roles := render.Roles(c.Env, func() render.Params { p := c.Params(); p.OIDCIssuer = iqsIssuer; return p }())
	for _, r := range roles {
		got, err := c.C.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(r.Name)})
		if err != nil {
			t.Fatalf("role %s: %v", r.Name, err)
		}
		doc, _ := r.Trust.JSON()
		if !sameDocument(sdk.ToString(got.Role.AssumeRolePolicyDocument), doc) {
			t.Errorf("role %s: trust %s, want %s", r.Name, sdk.ToString(got.Role.AssumeRolePolicyDocument), doc)
		}
		if !c.Owned(fromIAMTags(got.Role.Tags)) {
			t.Errorf("role %s is not tagged", r.Name)
		}
		att, err := c.C.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: sdk.String(r.Name)})
		if err != nil {
			t.Fatal(err)
		}
		if n := len(r.ManagedPolicies) + len(r.Policies); len(att.AttachedPolicies) != n {
			t.Errorf("role %s has %d policies attached, want %d", r.Name, len(att.AttachedPolicies), n)
		}
	}
	rules, err := c.C.Events.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: sdk.String("eks-env-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) != 4 {
		t.Errorf("%d rules, want 4", len(rules.Rules))
	}
	qARN := iqsQueueARN(t, c)
	for _, r := range rules.Rules {
		ts, err := c.C.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: r.Name})
		if err != nil {
			t.Fatal(err)
		}
		if len(ts.Targets) != 1 || sdk.ToString(ts.Targets[0].Arn) != qARN || sdk.ToString(ts.Targets[0].Id) != ruleTargetID {
			t.Errorf("rule %s targets %+v, want the queue %s", sdk.ToString(r.Name), ts.Targets, qARN)
		}
	}
	mts, err := c.C.EFS.DescribeMountTargets(ctx, &efs.DescribeMountTargetsInput{FileSystemId: sdk.String(iqsFSID(t, c))})
	if err != nil {
		t.Fatal(err)
	}
	if len(mts.MountTargets) != len(c.Env.Spec.AvailabilityZones) {
		t.Errorf("%d mount targets, want one per zone", len(mts.MountTargets))
	}

	down := iqsMust(t, infra.ModeDestroy, rs)
	if s := iqsStep(t, down, KeySpotSLR); s.Action != infra.ActionKeep || !strings.Contains(strings.Join(s.Reasons, " "), "service-linked") {
		t.Errorf("Spot SLR on destroy: %s %v, want keep", s.Action, s.Reasons)
	}
	iqsNothingLeft(t, c)
	slr, err := c.C.IAM.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: sdk.String(spotSLRPath)})
	if err != nil || len(slr.Roles) != 1 {
		t.Errorf("the Spot service-linked role is gone: %v", err)
	}
	plan = iqsMust(t, infra.ModePlan, rs)
	if n := len(iqsPending(plan)); n < 20 {
		t.Errorf("plan after destroy creates %d resources, want all", n)
	}
}

// iqsQueueARN is the queue's ARN as the account reports it.
func iqsQueueARN(t *testing.T, c *Cloud) string {
	t.Helper()
	u, err := c.C.SQS.GetQueueUrl(t.Context(), &sqs.GetQueueUrlInput{QueueName: sdk.String(c.Names().InterruptionQueue)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.C.SQS.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	return a.Attributes["QueueArn"]
}

func iqsFSID(t *testing.T, c *Cloud) string {
	t.Helper()
	out, err := c.C.EFS.DescribeFileSystems(t.Context(), &efs.DescribeFileSystemsInput{CreationToken: sdk.String("eks-env-efs")})
	if err != nil || len(out.FileSystems) != 1 {
		t.Fatalf("file system: %v (%d found)", err, len(out.FileSystems))
	}
	return sdk.ToString(out.FileSystems[0].FileSystemId)
}

// iqsNothingLeft checks that no role, policy, OIDC provider, queue, rule,
// file system or bucket of the environment remains.
func iqsNothingLeft(t *testing.T, c *Cloud) {
	t.Helper()
	ctx := t.Context()
	for _, r := range render.Roles(c.Env, c.Params()) {
		if _, err := c.C.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(r.Name)}); !notFound(err) {
			t.Errorf("role %s left (%v)", r.Name, err)
		}
		for _, p := range r.Policies {
			if _, err := c.C.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: sdk.String(c.policyARN(p.Name))}); !notFound(err) {
				t.Errorf("policy %s left (%v)", p.Name, err)
			}
		}
	}
	ps, err := c.C.IAM.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.OpenIDConnectProviderList) > 0 {
		t.Errorf("OIDC providers left: %d", len(ps.OpenIDConnectProviderList))
	}
	if _, err := c.C.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: sdk.String(c.Names().InterruptionQueue)}); !notFound(err) {
		t.Errorf("queue left (%v)", err)
	}
	rules, err := c.C.Events.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: sdk.String(c.Env.Metadata.Name + "-")})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Rules) > 0 {
		t.Errorf("%d rules left", len(rules.Rules))
	}
	fss, err := c.C.EFS.DescribeFileSystems(ctx, &efs.DescribeFileSystemsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(fss.FileSystems) > 0 {
		t.Errorf("%d file systems left", len(fss.FileSystems))
	}
	if _, err := c.C.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: sdk.String(c.Env.BucketName(c.AccountID))}); err == nil {
		t.Errorf("bucket left")
	}
}

// TestRoleNotOwned: a role of the environment's name that eksenv did not
// make is refused on apply and left untouched on destroy.
func TestRoleNotOwned(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	name := c.Names().ClusterRole
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.C.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: sdk.String(name), AssumeRolePolicyDocument: sdk.String(trust),
		Tags: iamTags(map[string]string{"team": "other"})}); err != nil {
		t.Fatal(err)
	}
	rs := iamResources(c)
	rs = append(rs, iqsCluster())
	res, err := iqsRun(t, infra.ModeApply, rs)
	if err == nil {
		t.Fatal("apply succeeded over a role eksenv does not own")
	}
	s := iqsStep(t, res, KeyRole("cluster"))
	want := "an IAM role named " + name + " exists and is not tagged eksenv.dev/environment=eks-env"
	if s.Action != infra.ActionRefused || s.Outcome != infra.OutcomeFailed || !strings.Contains(s.Error, want) {
		t.Errorf("step: %s %s %q, want refused with %q", s.Action, s.Outcome, s.Error, want)
	}
	if f := res.Failed(); len(f) != 1 {
		t.Errorf("%d failed steps, want only the foreign role: %v", len(f), f)
	}
	iqsMust(t, infra.ModeDestroy, rs)
	got, err := c.C.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(name)})
	if err != nil {
		t.Fatalf("the foreign role was deleted: %v", err)
	}
	if !sameDocument(sdk.ToString(got.Role.AssumeRolePolicyDocument), []byte(trust)) {
		t.Errorf("the foreign role's trust policy was changed")
	}
	if tags := fromIAMTags(got.Role.Tags); len(tags) != 1 || tags["team"] != "other" {
		t.Errorf("the foreign role's tags were changed: %v", tags)
	}
	att, err := c.C.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: sdk.String(name)})
	if err != nil || len(att.AttachedPolicies) != 0 {
		t.Errorf("policies were attached to the foreign role: %v %v", att, err)
	}
}

// TestIAMDrift: a trust policy, an attached policy and a policy document
// changed by hand show up as changes and apply puts them back, making room
// for a new policy version when five exist.
func TestIAMDrift(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	rs := append(iamResources(c), iqsCluster())
	iqsMust(t, infra.ModeApply, rs)

	n := c.Names()
	other := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.C.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: sdk.String(n.KarpenterControllerRole), PolicyDocument: sdk.String(other)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.C.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: sdk.String(n.ClusterRole),
		PolicyArn: sdk.String("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")}); err != nil {
		t.Fatal(err)
	}
	arn := sdk.String(c.policyARN(n.KarpenterPolicy))
	small := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}`
	for i := 0; i < 4; i++ { // with the first, five versions
		if _, err := c.C.IAM.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: sdk.String(small), SetAsDefault: true}); err != nil {
			t.Fatal(err)
		}
	}

	plan := iqsMust(t, infra.ModePlan, rs)
	for k, want := range map[infra.Key]string{
		KeyRole("karpenter"):         "trust policy differs",
		KeyRole("cluster"):           "AmazonEKSClusterPolicy not attached",
		KeyPolicy(n.KarpenterPolicy): "policy document differs",
	} {
		s := iqsStep(t, plan, k)
		if s.Action != infra.ActionUpdate || !strings.Contains(strings.Join(s.Reasons, "; "), want) {
			t.Errorf("%s: %s %v, want update because %q", k, s.Action, s.Reasons, want)
		}
	}
	if p := iqsPending(plan); len(p) != 3 {
		t.Errorf("plan: %d changes, want 3:\n%s", len(p), strings.Join(p, "\n"))
	}
	iqsMust(t, infra.ModeApply, rs)
	if p := iqsPending(iqsMust(t, infra.ModePlan, rs)); len(p) > 0 {
		t.Errorf("plan after fixing drift:\n%s", strings.Join(p, "\n"))
	}
	vs, err := c.C.IAM.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs.Versions) != maxPolicyVersions {
		t.Errorf("%d policy versions, want %d", len(vs.Versions), maxPolicyVersions)
	}
	for _, v := range vs.Versions {
		if sdk.ToString(v.VersionId) == "v1" {
			t.Errorf("the oldest version v1 was kept")
		}
	}
	iqsMust(t, infra.ModeDestroy, rs)
	iqsNothingLeft(t, c)
}

// TestOIDCProviderNotOwned: an OIDC provider for the cluster's issuer that
// eksenv did not make is refused, and the IRSA roles that trust it wait.
func TestOIDCProviderNotOwned(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	out, err := c.C.IAM.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: sdk.String(iqsIssuer), ClientIDList: []string{"sts.amazonaws.com"}, ThumbprintList: []string{eksIssuerThumbprint},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := append(iamResources(c), iqsCluster())
	res, _ := iqsRun(t, infra.ModeApply, rs)
	s := iqsStep(t, res, KeyOIDC)
	if s.Action != infra.ActionRefused || !strings.Contains(s.Error, "an IAM OIDC provider for oidc.eks.us-west-2.amazonaws.com/id/ABC exists and is not tagged") {
		t.Errorf("OIDC step: %s %q", s.Action, s.Error)
	}
	if s := iqsStep(t, res, KeyRole("karpenter")); s.Outcome != infra.OutcomeSkipped {
		t.Errorf("IRSA role: %s %s", s.Action, s.Outcome)
	}
	if s := iqsStep(t, res, KeyRole("cluster")); s.Outcome != infra.OutcomeDone {
		t.Errorf("cluster role: %s %s %s", s.Action, s.Outcome, s.Error)
	}
	iqsMust(t, infra.ModeDestroy, rs)
	if _, err := c.C.IAM.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: out.OpenIDConnectProviderArn}); err != nil {
		t.Errorf("the foreign OIDC provider is gone: %v", err)
	}
}
