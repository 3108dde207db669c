package aws

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
)

// roleAPI is what a role resource calls.
type roleAPI interface {
	GetRole(context.Context, *iam.GetRoleInput, ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	CreateRole(context.Context, *iam.CreateRoleInput, ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	UpdateAssumeRolePolicy(context.Context, *iam.UpdateAssumeRolePolicyInput, ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	TagRole(context.Context, *iam.TagRoleInput, ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	AttachRolePolicy(context.Context, *iam.AttachRolePolicyInput, ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(context.Context, *iam.DetachRolePolicyInput, ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
	DeleteRolePolicy(context.Context, *iam.DeleteRolePolicyInput, ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
	ListInstanceProfilesForRole(context.Context, *iam.ListInstanceProfilesForRoleInput, ...func(*iam.Options)) (*iam.ListInstanceProfilesForRoleOutput, error)
	RemoveRoleFromInstanceProfile(context.Context, *iam.RemoveRoleFromInstanceProfileInput, ...func(*iam.Options)) (*iam.RemoveRoleFromInstanceProfileOutput, error)
	DeleteRole(context.Context, *iam.DeleteRoleInput, ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
}

// roleResource is one IAM role of render.Roles: its trust policy, the AWS
// managed policies and the environment's own policies attached to it.
type roleResource struct {
	c        *Cloud
	api      roleAPI
	key      string   // render.Role.Key
	name     string   // render.Role.Name
	policies []string // customer-managed policy names
	irsa     bool     // the trust names the cluster's OIDC provider
}

func (r *roleResource) Key() infra.Key { return KeyRole(r.key) }

func (r *roleResource) Describe() string { return "IAM role " + r.name }

func (r *roleResource) Deps() []infra.Key {
	var deps []infra.Key
	for _, p := range r.policies {
		deps = append(deps, KeyPolicy(p))
	}
	if r.irsa {
		deps = append(deps, KeyOIDC)
	}
	return deps
}

// desired renders the role for this account; an IRSA role needs the
// cluster's OIDC issuer, and ok is false while it is unknown.
func (r *roleResource) desired(s *infra.State) (role render.Role, ok bool, err error) {
	p := r.c.Params()
	if r.irsa {
		p.OIDCIssuer = s.Output(KeyCluster, "oidcIssuer")
	}
	for _, x := range render.Roles(r.c.Env, p) {
		if x.Key == r.key {
			return x, !r.irsa || p.OIDCIssuer != "", nil
		}
	}
	return render.Role{}, false, fmt.Errorf("role %s is no longer rendered for this environment", r.key)
}

// managedARNs are the ARNs of every policy the role should have attached.
func (r *roleResource) managedARNs(s *infra.State, role render.Role) []string {
	arns := append([]string(nil), role.ManagedPolicies...)
	for _, p := range r.policies {
		arn := s.Output(KeyPolicy(p), "arn")
		if arn == "" {
			arn = r.c.policyARN(p)
		}
		arns = append(arns, arn)
	}
	return arns
}

func (r *roleResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	out, err := r.api.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(r.name)})
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, fmt.Errorf("get role %s: %w", r.name, err)
	}
	live := out.Role
	arn := sdk.ToString(live.Arn)
	obs := infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn, "name": r.name}}
	tags := fromIAMTags(live.Tags)
	if !r.c.Owned(tags) {
		obs.Foreign = r.c.notOwnedMessage("an IAM role", r.name)
		return obs, nil
	}
	want, known, err := r.desired(s)
	if err != nil {
		return obs, err
	}
	if known {
		doc, err := want.Trust.JSON()
		if err != nil {
			return obs, fmt.Errorf("render trust policy of %s: %w", r.name, err)
		}
		if !sameDocument(sdk.ToString(live.AssumeRolePolicyDocument), doc) {
			obs.Changes = append(obs.Changes, "trust policy differs")
		}
	}
	attached, err := r.attached(ctx)
	if err != nil {
		return obs, err
	}
	missing, extra := stringSetDiff(r.managedARNs(s, want), attached)
	for _, a := range missing {
		obs.Changes = append(obs.Changes, "policy "+a+" not attached")
	}
	for _, a := range extra {
		obs.Changes = append(obs.Changes, "policy "+a+" attached but not wanted")
	}
	if ch := tagsChange(missingTags(r.c.Tags(nil), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

// attached lists the ARNs of the policies attached to the role.
func (r *roleResource) attached(ctx context.Context) ([]string, error) {
	var arns []string
	pg := iam.NewListAttachedRolePoliciesPaginator(r.api, &iam.ListAttachedRolePoliciesInput{RoleName: sdk.String(r.name)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list policies attached to role %s: %w", r.name, err)
		}
		for _, p := range page.AttachedPolicies {
			arns = append(arns, sdk.ToString(p.PolicyArn))
		}
	}
	return arns, nil
}

func (r *roleResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	want, known, err := r.desired(s)
	if err != nil {
		return cur, err
	}
	if !known {
		return cur, fmt.Errorf("role %s trusts the cluster's OIDC provider, and the cluster's OIDC issuer is not known yet", r.name)
	}
	doc, err := want.Trust.JSON()
	if err != nil {
		return cur, fmt.Errorf("render trust policy of %s: %w", r.name, err)
	}
	tags := r.c.Tags(nil)
	arn := cur.ID
	if !cur.Exists {
		var out *iam.CreateRoleOutput
		err := r.settle(ctx, s, "the OIDC provider to be usable in a trust policy", func() (err error) {
			out, err = r.api.CreateRole(ctx, &iam.CreateRoleInput{
				RoleName:                 sdk.String(r.name),
				AssumeRolePolicyDocument: sdk.String(string(doc)),
				Description:              sdk.String(fmt.Sprintf("eksenv %s: %s", r.c.Env.Metadata.Name, r.key)),
				Tags:                     iamTags(tags),
			})
			return err
		})
		if err != nil {
			return cur, fmt.Errorf("create role %s: %w", r.name, err)
		}
		arn = sdk.ToString(out.Role.Arn)
	} else {
		live, err := r.api.GetRole(ctx, &iam.GetRoleInput{RoleName: sdk.String(r.name)})
		if err != nil {
			return cur, fmt.Errorf("get role %s: %w", r.name, err)
		}
		if !sameDocument(sdk.ToString(live.Role.AssumeRolePolicyDocument), doc) {
			if _, err := r.api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
				RoleName: sdk.String(r.name), PolicyDocument: sdk.String(string(doc)),
			}); err != nil {
				return cur, fmt.Errorf("update trust policy of role %s: %w", r.name, err)
			}
		}
		if missing := missingTags(tags, fromIAMTags(live.Role.Tags)); len(missing) > 0 {
			if _, err := r.api.TagRole(ctx, &iam.TagRoleInput{RoleName: sdk.String(r.name), Tags: iamTags(missing)}); err != nil {
				return cur, fmt.Errorf("tag role %s: %w", r.name, err)
			}
		}
	}
	attached, err := r.attached(ctx)
	if err != nil {
		return cur, err
	}
	missing, extra := stringSetDiff(r.managedARNs(s, want), attached)
	for _, a := range missing {
		if err := r.settle(ctx, s, "policy "+a+" to be attachable", func() error {
			_, err := r.api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: sdk.String(r.name), PolicyArn: sdk.String(a)})
			return err
		}); err != nil {
			return cur, fmt.Errorf("attach policy %s to role %s: %w", a, r.name, err)
		}
	}
	for _, a := range extra {
		if _, err := r.api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: sdk.String(r.name), PolicyArn: sdk.String(a)}); err != nil && !notFound(err) {
			return cur, fmt.Errorf("detach policy %s from role %s: %w", a, r.name, err)
		}
	}
	return infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn, "name": r.name}}, nil
}

// iamSettleTime bounds how long a role waits for IAM's eventual
// consistency: a policy or OIDC provider made a moment ago may not be
// attachable or usable as a principal yet.
const iamSettleTime = time.Minute

// settle calls fn until IAM stops reporting what it has just made as
// missing (NoSuchEntity, or a trust policy's "Invalid principal"), for at
// most iamSettleTime.
func (r *roleResource) settle(ctx context.Context, s *infra.State, what string, fn func() error) error {
	ctx, cancel := context.WithTimeout(ctx, iamSettleTime)
	defer cancel()
	var last error
	err := r.c.wait(ctx, s, r.Key(), what, func(context.Context) (bool, string, error) {
		last = fn()
		pending := ErrorCode(last) == "NoSuchEntity" ||
			(ErrorCode(last) == "MalformedPolicyDocument" && strings.Contains(last.Error(), "Invalid principal"))
		if pending {
			return false, ErrorCode(last), nil
		}
		return true, "", last
	})
	if err != nil && last != nil && ctx.Err() != nil {
		return last
	}
	return err
}

// Delete takes the role out of instance profiles (Karpenter's), detaches
// and deletes its policies, then deletes it.
func (r *roleResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	name := sdk.String(r.name)
	ips := iam.NewListInstanceProfilesForRolePaginator(r.api, &iam.ListInstanceProfilesForRoleInput{RoleName: name})
	for ips.HasMorePages() {
		page, err := ips.NextPage(ctx)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list instance profiles of role %s: %w", r.name, err)
		}
		for _, ip := range page.InstanceProfiles {
			if _, err := r.api.RemoveRoleFromInstanceProfile(ctx, &iam.RemoveRoleFromInstanceProfileInput{
				InstanceProfileName: ip.InstanceProfileName, RoleName: name,
			}); err != nil && !notFound(err) {
				return fmt.Errorf("remove role %s from instance profile %s: %w", r.name, sdk.ToString(ip.InstanceProfileName), err)
			}
		}
	}
	attached, err := r.attached(ctx)
	if err != nil && !notFound(err) {
		return err
	}
	for _, a := range attached {
		if _, err := r.api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: name, PolicyArn: sdk.String(a)}); err != nil && !notFound(err) {
			return fmt.Errorf("detach policy %s from role %s: %w", a, r.name, err)
		}
	}
	inline := iam.NewListRolePoliciesPaginator(r.api, &iam.ListRolePoliciesInput{RoleName: name})
	for inline.HasMorePages() {
		page, err := inline.NextPage(ctx)
		if notFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list inline policies of role %s: %w", r.name, err)
		}
		for _, p := range page.PolicyNames {
			if _, err := r.api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: name, PolicyName: sdk.String(p)}); err != nil && !notFound(err) {
				return fmt.Errorf("delete inline policy %s of role %s: %w", p, r.name, err)
			}
		}
	}
	if _, err := r.api.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: name}); err != nil && !notFound(err) {
		return fmt.Errorf("delete role %s: %w", r.name, err)
	}
	return nil
}

// policyARN is the ARN of a customer-managed policy of this account.
func (c *Cloud) policyARN(name string) string {
	return "arn:" + c.Env.Partition() + ":iam::" + c.AccountID + ":policy/" + name
}

// stringSetDiff returns the items of want absent from have and those of have
// absent from want, each sorted.
func stringSetDiff(want, have []string) (missing, extra []string) {
	w, h := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range have {
		h[x] = true
	}
	for x := range w {
		if !h[x] {
			missing = append(missing, x)
		}
	}
	for x := range h {
		if !w[x] {
			extra = append(extra, x)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	return missing, extra
}
