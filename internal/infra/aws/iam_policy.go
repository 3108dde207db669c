package aws

import (
	"context"
	"fmt"
	"sort"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
)

// policyAPI is what a customer-managed policy resource calls.
type policyAPI interface {
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(context.Context, *iam.GetPolicyVersionInput, ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	CreatePolicy(context.Context, *iam.CreatePolicyInput, ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	CreatePolicyVersion(context.Context, *iam.CreatePolicyVersionInput, ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	ListPolicyVersions(context.Context, *iam.ListPolicyVersionsInput, ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
	DeletePolicyVersion(context.Context, *iam.DeletePolicyVersionInput, ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
	TagPolicy(context.Context, *iam.TagPolicyInput, ...func(*iam.Options)) (*iam.TagPolicyOutput, error)
	ListEntitiesForPolicy(context.Context, *iam.ListEntitiesForPolicyInput, ...func(*iam.Options)) (*iam.ListEntitiesForPolicyOutput, error)
	DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	DetachUserPolicy(context.Context, *iam.DetachUserPolicyInput, ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	DetachGroupPolicy(context.Context, *iam.DetachGroupPolicyInput, ...func(*iam.Options)) (*iam.DetachGroupPolicyOutput, error)
	DeletePolicy(context.Context, *iam.DeletePolicyInput, ...func(*iam.Options)) (*iam.DeletePolicyOutput, error)
}

// maxPolicyVersions is how many versions IAM keeps of a managed policy.
const maxPolicyVersions = 5

// policyResource is a customer-managed policy of render.Roles (the
// Karpenter controller's, the load balancer controller's, Mountpoint's).
type policyResource struct {
	c       *Cloud
	api     policyAPI
	name    string
	roleKey string // the render.Role that holds it
}

func (p *policyResource) Key() infra.Key { return KeyPolicy(p.name) }

func (p *policyResource) Describe() string { return "IAM policy " + p.name }

func (p *policyResource) Deps() []infra.Key { return nil }

func (p *policyResource) arn() string { return p.c.policyARN(p.name) }

// document renders the policy's document.
func (p *policyResource) document() ([]byte, error) {
	for _, r := range render.Roles(p.c.Env, p.c.Params()) {
		if r.Key != p.roleKey {
			continue
		}
		for _, pol := range r.Policies {
			if pol.Name == p.name {
				doc, err := pol.Document.JSON()
				if err != nil {
					return nil, fmt.Errorf("render policy %s: %w", p.name, err)
				}
				return doc, nil
			}
		}
	}
	return nil, fmt.Errorf("policy %s is no longer rendered for this environment", p.name)
}

func (p *policyResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	out, err := p.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: sdk.String(p.arn())})
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, fmt.Errorf("get policy %s: %w", p.name, err)
	}
	obs := infra.Observation{Exists: true, ID: p.arn(), Outputs: map[string]string{"arn": p.arn()}}
	tags := fromIAMTags(out.Policy.Tags)
	if !p.c.Owned(tags) {
		obs.Foreign = p.c.notOwnedMessage("an IAM policy", p.name)
		return obs, nil
	}
	want, err := p.document()
	if err != nil {
		return obs, err
	}
	v, err := p.api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: sdk.String(p.arn()), VersionId: out.Policy.DefaultVersionId})
	if err != nil {
		return obs, fmt.Errorf("get default version of policy %s: %w", p.name, err)
	}
	if !sameDocument(sdk.ToString(v.PolicyVersion.Document), want) {
		obs.Changes = append(obs.Changes, "policy document differs")
	}
	if ch := tagsChange(missingTags(p.c.Tags(nil), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

func (p *policyResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	want, err := p.document()
	if err != nil {
		return cur, err
	}
	done := infra.Observation{Exists: true, ID: p.arn(), Outputs: map[string]string{"arn": p.arn()}}
	tags := p.c.Tags(nil)
	if !cur.Exists {
		out, err := p.api.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName:     sdk.String(p.name),
			PolicyDocument: sdk.String(string(want)),
			Description:    sdk.String("eksenv " + p.c.Env.Metadata.Name),
			Tags:           iamTags(tags),
		})
		if err != nil {
			return cur, fmt.Errorf("create policy %s: %w", p.name, err)
		}
		arn := sdk.ToString(out.Policy.Arn)
		done.ID, done.Outputs["arn"] = arn, arn
		return done, nil
	}
	live, err := p.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: sdk.String(p.arn())})
	if err != nil {
		return cur, fmt.Errorf("get policy %s: %w", p.name, err)
	}
	if missing := missingTags(tags, fromIAMTags(live.Policy.Tags)); len(missing) > 0 {
		if _, err := p.api.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: sdk.String(p.arn()), Tags: iamTags(missing)}); err != nil {
			return cur, fmt.Errorf("tag policy %s: %w", p.name, err)
		}
	}
	v, err := p.api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: sdk.String(p.arn()), VersionId: live.Policy.DefaultVersionId})
	if err != nil {
		return cur, fmt.Errorf("get default version of policy %s: %w", p.name, err)
	}
	if sameDocument(sdk.ToString(v.PolicyVersion.Document), want) {
		return done, nil
	}
	versions, err := p.versions(ctx)
	if err != nil {
		return cur, err
	}
	if len(versions) >= maxPolicyVersions {
		// The oldest version that is not the default makes room.
		for _, old := range versions {
			if old.IsDefaultVersion {
				continue
			}
			if _, err := p.api.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: sdk.String(p.arn()), VersionId: old.VersionId}); err != nil && !notFound(err) {
				return cur, fmt.Errorf("delete version %s of policy %s: %w", sdk.ToString(old.VersionId), p.name, err)
			}
			break
		}
	}
	if _, err := p.api.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
		PolicyArn: sdk.String(p.arn()), PolicyDocument: sdk.String(string(want)), SetAsDefault: true,
	}); err != nil {
		return cur, fmt.Errorf("create a new version of policy %s: %w", p.name, err)
	}
	return done, nil
}

// versions lists the policy's versions, oldest first.
func (p *policyResource) versions(ctx context.Context) ([]iamtypes.PolicyVersion, error) {
	var out []iamtypes.PolicyVersion
	pg := iam.NewListPolicyVersionsPaginator(p.api, &iam.ListPolicyVersionsInput{PolicyArn: sdk.String(p.arn())})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list versions of policy %s: %w", p.name, err)
		}
		out = append(out, page.Versions...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].CreateDate, out[j].CreateDate
		if a != nil && b != nil && !a.Equal(*b) {
			return a.Before(*b)
		}
		return policyVersionNumber(out[i].VersionId) < policyVersionNumber(out[j].VersionId)
	})
	return out, nil
}

// policyVersionNumber reads "v12" as 12 (0 when unreadable).
func policyVersionNumber(id *string) int {
	var n int
	_, _ = fmt.Sscanf(sdk.ToString(id), "v%d", &n)
	return n
}

// Delete detaches the policy from whatever still uses it, deletes its
// older versions, then the policy.
func (p *policyResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	arn := sdk.String(p.arn())
	pg := iam.NewListEntitiesForPolicyPaginator(p.api, &iam.ListEntitiesForPolicyInput{PolicyArn: arn})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list users of policy %s: %w", p.name, err)
		}
		for _, r := range page.PolicyRoles {
			if _, err := p.api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: r.RoleName, PolicyArn: arn}); err != nil && !notFound(err) {
				return fmt.Errorf("detach policy %s from role %s: %w", p.name, sdk.ToString(r.RoleName), err)
			}
		}
		for _, u := range page.PolicyUsers {
			if _, err := p.api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: u.UserName, PolicyArn: arn}); err != nil && !notFound(err) {
				return fmt.Errorf("detach policy %s from user %s: %w", p.name, sdk.ToString(u.UserName), err)
			}
		}
		for _, g := range page.PolicyGroups {
			if _, err := p.api.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: g.GroupName, PolicyArn: arn}); err != nil && !notFound(err) {
				return fmt.Errorf("detach policy %s from group %s: %w", p.name, sdk.ToString(g.GroupName), err)
			}
		}
	}
	versions, err := p.versions(ctx)
	if notFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.IsDefaultVersion {
			continue
		}
		if _, err := p.api.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: v.VersionId}); err != nil && !notFound(err) {
			return fmt.Errorf("delete version %s of policy %s: %w", sdk.ToString(v.VersionId), p.name, err)
		}
	}
	if _, err := p.api.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}); err != nil && !notFound(err) {
		return fmt.Errorf("delete policy %s: %w", p.name, err)
	}
	return nil
}
