package aws

import (
	"context"
	"fmt"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksenv/eksenv/internal/infra"
)

// slrAPI is what the Spot service-linked role resource calls.
type slrAPI interface {
	ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	CreateServiceLinkedRole(context.Context, *iam.CreateServiceLinkedRoleInput, ...func(*iam.Options)) (*iam.CreateServiceLinkedRoleOutput, error)
}

// The Spot service-linked role: one per account, made by CreateServiceLinkedRole.
const (
	spotSLRName    = "AWSServiceRoleForEC2Spot"
	spotSLRService = "spot.amazonaws.com"
	spotSLRPath    = "/aws-service-role/" + spotSLRService + "/"
	spotSLRRetain  = "account-wide service-linked role, shared with other workloads"
)

// spotSLRResource makes sure the Spot service-linked role exists; Karpenter
// cannot launch Spot instances without it. It belongs to the account, not
// the environment: destroy always keeps it, and it carries no tags.
type spotSLRResource struct {
	c   *Cloud
	api slrAPI
}

func (r *spotSLRResource) Key() infra.Key { return KeySpotSLR }

func (r *spotSLRResource) Describe() string {
	return "IAM service-linked role " + spotSLRName + " (" + spotSLRService + ")"
}

func (r *spotSLRResource) Deps() []infra.Key { return nil }

// Observe finds the role by its path, which IAM derives from the service
// (the name is AWS's choice: AWSServiceRoleForEC2Spot).
func (r *spotSLRResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	pg := iam.NewListRolesPaginator(r.api, &iam.ListRolesInput{PathPrefix: sdk.String(spotSLRPath)})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return infra.Observation{}, fmt.Errorf("look for the service-linked role of %s: %w", spotSLRService, err)
		}
		for _, role := range page.Roles {
			arn := sdk.ToString(role.Arn)
			return infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn, "name": sdk.ToString(role.RoleName)}, Retain: spotSLRRetain}, nil
		}
	}
	return infra.Observation{Retain: spotSLRRetain}, nil
}

func (r *spotSLRResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	out, err := r.api.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: sdk.String(spotSLRService)})
	if err == nil && out.Role != nil {
		arn := sdk.ToString(out.Role.Arn)
		return infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn, "name": sdk.ToString(out.Role.RoleName)}, Retain: spotSLRRetain}, nil
	}
	// AWS says InvalidInput "... has been taken in this account"; moto says
	// EntityAlreadyExists.
	taken := (ErrorCode(err) == "InvalidInput" && strings.Contains(err.Error(), "has been taken")) || ErrorCode(err) == "EntityAlreadyExists"
	if err != nil && !taken {
		return cur, fmt.Errorf("create service-linked role for %s: %w", spotSLRService, err)
	}
	// It exists already (another tool, or an earlier attempt made it).
	return r.Observe(ctx, s)
}

// Delete never removes the role: it is shared by everything in the account
// that uses Spot. Observe always sets Retain, so destroy does not call it.
func (r *spotSLRResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	return nil
}
