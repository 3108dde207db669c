package aws

import (
	"context"
	"fmt"
	"strconv"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
	renderiam "github.com/eksenv/eksenv/internal/render/iam"
)

// queueResources returns Karpenter's interruption queue and the four
// EventBridge rules that feed it.
func queueResources(c *Cloud) []infra.Resource {
	out := []infra.Resource{&queueResource{c: c, api: c.C.SQS}}
	for _, r := range render.InterruptionRules(c.Env) {
		out = append(out, &ruleResource{c: c, api: c.C.Events, rule: r})
	}
	return out
}

// queueAPI is what the interruption queue resource calls.
type queueAPI interface {
	GetQueueUrl(context.Context, *sqs.GetQueueUrlInput, ...func(*sqs.Options)) (*sqs.GetQueueUrlOutput, error)
	GetQueueAttributes(context.Context, *sqs.GetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ListQueueTags(context.Context, *sqs.ListQueueTagsInput, ...func(*sqs.Options)) (*sqs.ListQueueTagsOutput, error)
	CreateQueue(context.Context, *sqs.CreateQueueInput, ...func(*sqs.Options)) (*sqs.CreateQueueOutput, error)
	SetQueueAttributes(context.Context, *sqs.SetQueueAttributesInput, ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
	TagQueue(context.Context, *sqs.TagQueueInput, ...func(*sqs.Options)) (*sqs.TagQueueOutput, error)
	DeleteQueue(context.Context, *sqs.DeleteQueueInput, ...func(*sqs.Options)) (*sqs.DeleteQueueOutput, error)
}

// queueRetentionSeconds is how long the queue keeps a message: an
// interruption notice older than five minutes is of no use (Karpenter's
// getting-started template).
const queueRetentionSeconds = 300

// queueRecreateWait bounds how long Apply waits when SQS refuses to
// recreate a queue deleted less than 60 seconds ago.
const queueRecreateWait = 90 * time.Second

// queueResource is the SQS queue Karpenter reads interruption events from.
type queueResource struct {
	c   *Cloud
	api queueAPI
}

func (q *queueResource) Key() infra.Key { return KeyQueue }

func (q *queueResource) Describe() string {
	return "SQS queue " + q.name() + " (Karpenter interruptions)"
}

func (q *queueResource) Deps() []infra.Key { return nil }

func (q *queueResource) name() string { return q.c.Names().InterruptionQueue }

// attributes are the queue's desired attributes.
func (q *queueResource) attributes() (map[string]string, error) {
	policy, err := renderiam.InterruptionQueuePolicy(q.c.Params().IAM(q.c.Env)).JSON()
	if err != nil {
		return nil, fmt.Errorf("render the policy of queue %s: %w", q.name(), err)
	}
	return map[string]string{
		string(sqstypes.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(queueRetentionSeconds),
		string(sqstypes.QueueAttributeNameSqsManagedSseEnabled):   "true",
		string(sqstypes.QueueAttributeNamePolicy):                 string(policy),
	}, nil
}

// differing returns the desired attributes whose live value differs.
func (q *queueResource) differing(want, live map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		switch k {
		case string(sqstypes.QueueAttributeNamePolicy):
			if !sameDocument(live[k], []byte(v)) {
				out[k] = v
			}
		default:
			if live[k] != v {
				out[k] = v
			}
		}
	}
	return out
}

// look finds the queue's URL, attributes and tags (url "" when absent).
func (q *queueResource) look(ctx context.Context) (url string, attrs, tags map[string]string, err error) {
	u, err := q.api.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: sdk.String(q.name())})
	if notFound(err) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("find queue %s: %w", q.name(), err)
	}
	url = sdk.ToString(u.QueueUrl)
	a, err := q.api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: sdk.String(url), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameAll},
	})
	if notFound(err) {
		return "", nil, nil, nil
	}
	if err != nil {
		return "", nil, nil, fmt.Errorf("read attributes of queue %s: %w", q.name(), err)
	}
	t, err := q.api.ListQueueTags(ctx, &sqs.ListQueueTagsInput{QueueUrl: sdk.String(url)})
	if err != nil {
		return "", nil, nil, fmt.Errorf("read tags of queue %s: %w", q.name(), err)
	}
	return url, a.Attributes, t.Tags, nil
}

func (q *queueResource) outputs(url string, attrs map[string]string) infra.Observation {
	arn := attrs[string(sqstypes.QueueAttributeNameQueueArn)]
	if arn == "" {
		arn = renderiam.QueueARN(q.c.Params().IAM(q.c.Env))
	}
	return infra.Observation{Exists: true, ID: url, Outputs: map[string]string{"url": url, "arn": arn, "name": q.name()}}
}

func (q *queueResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	url, attrs, tags, err := q.look(ctx)
	if err != nil || url == "" {
		return infra.Observation{}, err
	}
	obs := q.outputs(url, attrs)
	if !q.c.Owned(tags) {
		obs.Foreign = q.c.notOwnedMessage("an SQS queue", q.name())
		return obs, nil
	}
	want, err := q.attributes()
	if err != nil {
		return obs, err
	}
	for _, k := range sortedTagKeys(q.differing(want, attrs)) {
		if k == string(sqstypes.QueueAttributeNamePolicy) {
			obs.Changes = append(obs.Changes, "queue policy differs")
			continue
		}
		obs.Changes = append(obs.Changes, fmt.Sprintf("%s is %q, want %q", k, attrs[k], want[k]))
	}
	if ch := tagsChange(missingTags(q.c.Tags(nil), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

func (q *queueResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	want, err := q.attributes()
	if err != nil {
		return cur, err
	}
	if !cur.Exists {
		var out *sqs.CreateQueueOutput
		ctx, cancel := context.WithTimeout(ctx, queueRecreateWait)
		defer cancel()
		err := q.c.wait(ctx, s, KeyQueue, "SQS to allow recreating queue "+q.name(), func(ctx context.Context) (bool, string, error) {
			var err error
			out, err = q.api.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: sdk.String(q.name()), Attributes: want, Tags: q.c.Tags(nil)})
			if ErrorCode(err) == "QueueDeletedRecently" || ErrorCode(err) == "AWS.SimpleQueueService.QueueDeletedRecently" {
				return false, "deleted less than 60 seconds ago", nil
			}
			return err == nil, "", err
		})
		if err != nil {
			return cur, fmt.Errorf("create queue %s: %w", q.name(), err)
		}
		url := sdk.ToString(out.QueueUrl)
		return q.outputs(url, nil), nil
	}
	url, attrs, tags, err := q.look(ctx)
	if err != nil {
		return cur, err
	}
	if url == "" {
		return cur, fmt.Errorf("queue %s disappeared while being updated", q.name())
	}
	if diff := q.differing(want, attrs); len(diff) > 0 {
		if _, err := q.api.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: sdk.String(url), Attributes: diff}); err != nil {
			return cur, fmt.Errorf("update attributes of queue %s: %w", q.name(), err)
		}
	}
	if missing := missingTags(q.c.Tags(nil), tags); len(missing) > 0 {
		if _, err := q.api.TagQueue(ctx, &sqs.TagQueueInput{QueueUrl: sdk.String(url), Tags: missing}); err != nil {
			return cur, fmt.Errorf("tag queue %s: %w", q.name(), err)
		}
	}
	return q.outputs(url, attrs), nil
}

// Delete removes the queue; the rules that target it are gone by then.
func (q *queueResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	if _, err := q.api.DeleteQueue(ctx, &sqs.DeleteQueueInput{QueueUrl: sdk.String(cur.ID)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete queue %s: %w", q.name(), err)
	}
	return nil
}
