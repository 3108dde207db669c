package aws

import (
	"strings"
	"testing"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
	renderiam "github.com/eksenv/eksenv/internal/render/iam"
)

func TestQueueApplyAndDrift(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	rs := queueResources(c)
	if len(rs) != 5 {
		t.Fatalf("%d queue resources, want the queue and 4 rules", len(rs))
	}
	res := iqsMust(t, infra.ModeApply, rs)
	if res.Changes() != 5 {
		t.Errorf("apply made %d changes, want 5", res.Changes())
	}

	u, err := c.C.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: sdk.String("eks-env")})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.C.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: u.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll}})
	if err != nil {
		t.Fatal(err)
	}
	policy, _ := renderiam.InterruptionQueuePolicy(c.Params().IAM(c.Env)).JSON()
	if a.Attributes["MessageRetentionPeriod"] != "300" || a.Attributes["SqsManagedSseEnabled"] != "true" || !sameDocument(a.Attributes["Policy"], policy) {
		t.Errorf("queue attributes %v", a.Attributes)
	}
	if a.Attributes["QueueArn"] != renderiam.QueueARN(c.Params().IAM(c.Env)) {
		t.Errorf("queue ARN %s differs from the one the policies name", a.Attributes["QueueArn"])
	}

	// Drift: retention changed, a rule's target removed, another's pattern changed.
	if _, err := c.C.SQS.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: u.QueueUrl, Attributes: map[string]string{"MessageRetentionPeriod": "600"}}); err != nil {
		t.Fatal(err)
	}
	rules := render.InterruptionRules(c.Env)
	if _, err := c.C.Events.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: sdk.String(rules[0].Name), Ids: []string{ruleTargetID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.C.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: sdk.String(rules[1].Name), Description: sdk.String(rules[1].Description),
		EventPattern: sdk.String(`{"source":["aws.ec2"]}`)}); err != nil {
		t.Fatal(err)
	}
	plan := iqsMust(t, infra.ModePlan, rs)
	for k, want := range map[infra.Key]string{
		KeyQueue:               "MessageRetentionPeriod is \"600\", want \"300\"",
		KeyRule(rules[0].Name): "does not target queue",
		KeyRule(rules[1].Name): "event pattern differs",
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

	iqsMust(t, infra.ModeDestroy, rs)
	if _, err := c.C.SQS.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: sdk.String("eks-env")}); !notFound(err) {
		t.Errorf("queue left: %v", err)
	}
	left, err := c.C.Events.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: sdk.String("eks-env-")})
	if err != nil || len(left.Rules) > 0 {
		t.Errorf("rules left: %v %v", left, err)
	}
}

// TestQueueNotOwned: a queue and a rule of the environment's names made by
// someone else are refused and survive destroy; the other rules are made
// and removed as usual.
func TestQueueNotOwned(t *testing.T) {
	c, _ := iqsCloud(t)
	ctx := t.Context()
	q, err := c.C.SQS.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdk.String("eks-env"), Tags: map[string]string{"team": "other"}})
	if err != nil {
		t.Fatal(err)
	}
	rule := render.InterruptionRules(c.Env)[2]
	if _, err := c.C.Events.PutRule(ctx, &eventbridge.PutRuleInput{Name: sdk.String(rule.Name), EventPattern: sdk.String(`{"source":["aws.ec2"]}`)}); err != nil {
		t.Fatal(err)
	}
	rs := queueResources(c)
	res, err := iqsRun(t, infra.ModeApply, rs)
	if err == nil {
		t.Fatal("apply succeeded over a queue eksenv does not own")
	}
	s := iqsStep(t, res, KeyQueue)
	if s.Action != infra.ActionRefused || !strings.Contains(s.Error, "an SQS queue named eks-env exists and is not tagged eksenv.dev/environment=eks-env") {
		t.Errorf("queue step: %s %q", s.Action, s.Error)
	}
	// The rules wait for the queue, so they are skipped, not refused.
	if s := iqsStep(t, res, KeyRule(rule.Name)); s.Outcome != infra.OutcomeSkipped {
		t.Errorf("rule step: %s %s", s.Action, s.Outcome)
	}
	iqsMust(t, infra.ModeDestroy, rs)
	if _, err := c.C.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl}); err != nil {
		t.Errorf("the foreign queue is gone: %v", err)
	}
	if _, err := c.C.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: sdk.String(rule.Name)}); err != nil {
		t.Errorf("the foreign rule is gone: %v", err)
	}
	// Observed alone, the rule is refused too.
	plan, _ := iqsRun(t, infra.ModePlan, []infra.Resource{&ruleResource{c: c, api: c.C.Events, rule: rule}, iqsFix(KeyQueue, map[string]string{"arn": "arn:aws:sqs:us-west-2:123456789012:eks-env"})})
	if s := iqsStep(t, plan, KeyRule(rule.Name)); s.Action != infra.ActionRefused {
		t.Errorf("foreign rule: %s %v", s.Action, s.Reasons)
	}
}
