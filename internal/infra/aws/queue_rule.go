package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
)

// ruleAPI is what an interruption rule resource calls.
type ruleAPI interface {
	DescribeRule(context.Context, *eventbridge.DescribeRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
	ListTagsForResource(context.Context, *eventbridge.ListTagsForResourceInput, ...func(*eventbridge.Options)) (*eventbridge.ListTagsForResourceOutput, error)
	PutRule(context.Context, *eventbridge.PutRuleInput, ...func(*eventbridge.Options)) (*eventbridge.PutRuleOutput, error)
	TagResource(context.Context, *eventbridge.TagResourceInput, ...func(*eventbridge.Options)) (*eventbridge.TagResourceOutput, error)
	ListTargetsByRule(context.Context, *eventbridge.ListTargetsByRuleInput, ...func(*eventbridge.Options)) (*eventbridge.ListTargetsByRuleOutput, error)
	PutTargets(context.Context, *eventbridge.PutTargetsInput, ...func(*eventbridge.Options)) (*eventbridge.PutTargetsOutput, error)
	RemoveTargets(context.Context, *eventbridge.RemoveTargetsInput, ...func(*eventbridge.Options)) (*eventbridge.RemoveTargetsOutput, error)
	DeleteRule(context.Context, *eventbridge.DeleteRuleInput, ...func(*eventbridge.Options)) (*eventbridge.DeleteRuleOutput, error)
}

// ruleTargetID is the id of a rule's one target, the interruption queue
// (the name Karpenter's getting-started template uses).
const ruleTargetID = "KarpenterInterruptionQueueTarget"

// ruleResource is an EventBridge rule (default bus) that sends one kind of
// EC2 or Health event to the interruption queue.
type ruleResource struct {
	c    *Cloud
	api  ruleAPI
	rule render.EventRule
}

func (r *ruleResource) Key() infra.Key { return KeyRule(r.rule.Name) }

func (r *ruleResource) Describe() string { return "EventBridge rule " + r.rule.Name }

func (r *ruleResource) Deps() []infra.Key { return []infra.Key{KeyQueue} }

func ebTags(m map[string]string) []ebtypes.Tag {
	out := make([]ebtypes.Tag, 0, len(m))
	for _, k := range sortedTagKeys(m) {
		out = append(out, ebtypes.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}

// targets lists the rule's targets.
func (r *ruleResource) targets(ctx context.Context) ([]ebtypes.Target, error) {
	var out []ebtypes.Target
	in := &eventbridge.ListTargetsByRuleInput{Rule: sdk.String(r.rule.Name)}
	for {
		page, err := r.api.ListTargetsByRule(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("list targets of rule %s: %w", r.rule.Name, err)
		}
		out = append(out, page.Targets...)
		if sdk.ToString(page.NextToken) == "" {
			return out, nil
		}
		in.NextToken = page.NextToken
	}
}

// targetChanges compares the targets with the one wanted: the queue.
func targetChanges(ts []ebtypes.Target, queueARN string) (changes []string, stale []string, ok bool) {
	for _, t := range ts {
		id := sdk.ToString(t.Id)
		if id == ruleTargetID && (queueARN == "" || sdk.ToString(t.Arn) == queueARN) {
			ok = true
			continue
		}
		stale = append(stale, id)
		changes = append(changes, fmt.Sprintf("unexpected target %s (%s)", id, sdk.ToString(t.Arn)))
	}
	if !ok {
		changes = append(changes, "does not target queue "+queueARN)
	}
	return changes, stale, ok
}

func (r *ruleResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	d, err := r.api.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: sdk.String(r.rule.Name)})
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, fmt.Errorf("describe rule %s: %w", r.rule.Name, err)
	}
	arn := sdk.ToString(d.Arn)
	obs := infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn}}
	t, err := r.api.ListTagsForResource(ctx, &eventbridge.ListTagsForResourceInput{ResourceARN: d.Arn})
	if err != nil {
		return obs, fmt.Errorf("read tags of rule %s: %w", r.rule.Name, err)
	}
	tags := map[string]string{}
	for _, x := range t.Tags {
		tags[sdk.ToString(x.Key)] = sdk.ToString(x.Value)
	}
	if !r.c.Owned(tags) {
		obs.Foreign = r.c.notOwnedMessage("an EventBridge rule", r.rule.Name)
		return obs, nil
	}
	pattern, err := r.rule.PatternJSON()
	if err != nil {
		return obs, err
	}
	if !sameDocument(sdk.ToString(d.EventPattern), []byte(pattern)) {
		obs.Changes = append(obs.Changes, "event pattern differs")
	}
	if d.State != ebtypes.RuleStateEnabled {
		obs.Changes = append(obs.Changes, fmt.Sprintf("state is %s, want ENABLED", d.State))
	}
	if sdk.ToString(d.Description) != r.rule.Description {
		obs.Changes = append(obs.Changes, "description differs")
	}
	ts, err := r.targets(ctx)
	if err != nil {
		return obs, err
	}
	ch, _, _ := targetChanges(ts, s.Output(KeyQueue, "arn"))
	obs.Changes = append(obs.Changes, ch...)
	if ch := tagsChange(missingTags(r.c.Tags(nil), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

func (r *ruleResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	queueARN := s.Output(KeyQueue, "arn")
	if queueARN == "" {
		return cur, fmt.Errorf("the interruption queue's ARN is not known yet")
	}
	pattern, err := r.rule.PatternJSON()
	if err != nil {
		return cur, err
	}
	tags := r.c.Tags(nil)
	in := &eventbridge.PutRuleInput{
		Name:         sdk.String(r.rule.Name),
		Description:  sdk.String(r.rule.Description),
		EventPattern: sdk.String(pattern),
		State:        ebtypes.RuleStateEnabled,
	}
	if !cur.Exists {
		in.Tags = ebTags(tags)
	}
	out, err := r.api.PutRule(ctx, in)
	if err != nil {
		return cur, fmt.Errorf("put rule %s: %w", r.rule.Name, err)
	}
	arn := sdk.ToString(out.RuleArn)
	if cur.Exists {
		// PutRule leaves the tags of an existing rule alone.
		if _, err := r.api.TagResource(ctx, &eventbridge.TagResourceInput{ResourceARN: out.RuleArn, Tags: ebTags(tags)}); err != nil {
			return cur, fmt.Errorf("tag rule %s: %w", r.rule.Name, err)
		}
	}
	ts, err := r.targets(ctx)
	if err != nil {
		return cur, err
	}
	_, stale, ok := targetChanges(ts, queueARN)
	if len(stale) > 0 {
		if _, err := r.api.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: sdk.String(r.rule.Name), Ids: stale}); err != nil {
			return cur, fmt.Errorf("remove stale targets of rule %s: %w", r.rule.Name, err)
		}
	}
	if !ok {
		res, err := r.api.PutTargets(ctx, &eventbridge.PutTargetsInput{
			Rule:    sdk.String(r.rule.Name),
			Targets: []ebtypes.Target{{Id: sdk.String(ruleTargetID), Arn: sdk.String(queueARN)}},
		})
		if err != nil {
			return cur, fmt.Errorf("point rule %s at queue %s: %w", r.rule.Name, queueARN, err)
		}
		if res.FailedEntryCount > 0 && len(res.FailedEntries) > 0 {
			f := res.FailedEntries[0]
			return cur, fmt.Errorf("point rule %s at queue %s: %s: %s", r.rule.Name, queueARN, sdk.ToString(f.ErrorCode), sdk.ToString(f.ErrorMessage))
		}
	}
	return infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn}}, nil
}

// Delete removes the rule's targets, then the rule.
func (r *ruleResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	ts, err := r.targets(ctx)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(ts) > 0 {
		ids := make([]string, 0, len(ts))
		for _, t := range ts {
			ids = append(ids, sdk.ToString(t.Id))
		}
		if _, err := r.api.RemoveTargets(ctx, &eventbridge.RemoveTargetsInput{Rule: sdk.String(r.rule.Name), Ids: ids}); err != nil && !notFound(err) {
			return fmt.Errorf("remove targets of rule %s: %w", r.rule.Name, err)
		}
	}
	if _, err := r.api.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: sdk.String(r.rule.Name)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete rule %s: %w", r.rule.Name, err)
	}
	return nil
}
