package env

import (
	"context"
	"errors"
	"fmt"
	"sort"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	awsinfra "github.com/eksenv/eksenv/internal/infra/aws"
	"github.com/eksenv/eksenv/internal/spec"
)

// Access levels of eksenv access grant, and the EKS access policies behind
// them (cluster-wide; namespaced with --namespace).
const (
	AccessAdmin = "admin"
	AccessEdit  = "edit"
	AccessView  = "view"
)

// accessPolicy maps a level to the EKS access policy.
func accessPolicy(level string, namespaced bool) (string, error) {
	switch level {
	case AccessAdmin:
		if namespaced {
			return awsinfra.AdminPolicy, nil
		}
		return awsinfra.ClusterAdminPolicy, nil
	case AccessEdit:
		return awsinfra.EditPolicy, nil
	case AccessView:
		return awsinfra.ViewPolicy, nil
	}
	return "", fmt.Errorf("--policy %q is not one of admin, edit, view", level)
}

// ErrConfigMapOnly says the cluster's authentication mode does not allow
// access entries; the switch is one way, so the caller must ask first.
var ErrConfigMapOnly = errors.New("the cluster's authentication mode is CONFIG_MAP, which does not allow access entries")

// AccessEntry is one principal's access to the cluster.
type AccessEntry struct {
	Principal string         `json:"principal"`
	Type      string         `json:"type"`
	Policies  []AccessPolicy `json:"policies"`
	// Managed is true when eksenv made the entry (it carries the owner tag).
	Managed bool `json:"managed"`
}

// AccessPolicy is an associated access policy and its scope.
type AccessPolicy struct {
	Policy     string   `json:"policy"`
	Scope      string   `json:"scope"`
	Namespaces []string `json:"namespaces,omitempty"`
}

type accessAPI interface {
	DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	UpdateClusterConfig(context.Context, *eks.UpdateClusterConfigInput, ...func(*eks.Options)) (*eks.UpdateClusterConfigOutput, error)
	CreateAccessEntry(context.Context, *eks.CreateAccessEntryInput, ...func(*eks.Options)) (*eks.CreateAccessEntryOutput, error)
	DescribeAccessEntry(context.Context, *eks.DescribeAccessEntryInput, ...func(*eks.Options)) (*eks.DescribeAccessEntryOutput, error)
	ListAccessEntries(context.Context, *eks.ListAccessEntriesInput, ...func(*eks.Options)) (*eks.ListAccessEntriesOutput, error)
	DeleteAccessEntry(context.Context, *eks.DeleteAccessEntryInput, ...func(*eks.Options)) (*eks.DeleteAccessEntryOutput, error)
	AssociateAccessPolicy(context.Context, *eks.AssociateAccessPolicyInput, ...func(*eks.Options)) (*eks.AssociateAccessPolicyOutput, error)
	ListAssociatedAccessPolicies(context.Context, *eks.ListAssociatedAccessPoliciesInput, ...func(*eks.Options)) (*eks.ListAssociatedAccessPoliciesOutput, error)
}

func (s *Session) eks() accessAPI { return s.Cloud.C.EKS }

// AuthenticationMode reads the cluster's mode; it fails clearly when the
// cluster does not exist yet.
func (s *Session) AuthenticationMode(ctx context.Context) (string, error) {
	name := s.Cloud.Names().Cluster
	out, err := s.eks().DescribeCluster(ctx, &eks.DescribeClusterInput{Name: sdk.String(name)})
	if awsinfra.ErrorCode(err) == "ResourceNotFoundException" {
		return "", fmt.Errorf("cluster %s does not exist yet: run eksenv up first", name)
	}
	if err != nil {
		return "", fmt.Errorf("read cluster %s: %w", name, err)
	}
	if out.Cluster.AccessConfig == nil {
		return "CONFIG_MAP", nil
	}
	return string(out.Cluster.AccessConfig.AuthenticationMode), nil
}

// EnableAccessEntries switches a CONFIG_MAP cluster to API_AND_CONFIG_MAP
// (the aws-auth ConfigMap keeps working). EKS cannot switch back.
func (s *Session) EnableAccessEntries(ctx context.Context) error {
	_, err := s.eks().UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: sdk.String(s.Cloud.Names().Cluster),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap}})
	if err != nil {
		return fmt.Errorf("switch the authentication mode to API_AND_CONFIG_MAP: %w", err)
	}
	return nil
}

// Grant gives principal the access level, cluster-wide or in namespaces:
// an access entry of type STANDARD (made when missing, tagged as eksenv's)
// and the access policy associated with its scope. ErrConfigMapOnly when
// the cluster does not allow access entries.
func (s *Session) Grant(ctx context.Context, principal, level string, namespaces []string) error {
	if msg := spec.CheckPrincipal(principal); msg != "" {
		return errors.New(msg)
	}
	policy, err := accessPolicy(level, len(namespaces) > 0)
	if err != nil {
		return err
	}
	mode, err := s.AuthenticationMode(ctx)
	if err != nil {
		return err
	}
	if mode == "CONFIG_MAP" {
		return ErrConfigMapOnly
	}
	cluster := sdk.String(s.Cloud.Names().Cluster)
	_, err = s.eks().CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: cluster, PrincipalArn: sdk.String(principal),
		Type: sdk.String("STANDARD"), Tags: s.Cloud.Tags(nil)})
	if err != nil && awsinfra.ErrorCode(err) != "ResourceInUseException" {
		return fmt.Errorf("create the access entry of %s: %w", principal, err)
	}
	scope := &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster}
	if len(namespaces) > 0 {
		scope = &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: namespaces}
	}
	_, err = s.eks().AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{ClusterName: cluster, PrincipalArn: sdk.String(principal),
		PolicyArn: sdk.String(awsinfra.AccessPolicyARN(s.Doc.Env.Partition(), policy)), AccessScope: scope})
	if err != nil {
		return fmt.Errorf("associate %s with %s: %w", policy, principal, err)
	}
	return nil
}

// AccessEntries returns every access entry of the cluster with its policies.
func (s *Session) AccessEntries(ctx context.Context) ([]AccessEntry, error) {
	cluster := sdk.String(s.Cloud.Names().Cluster)
	if _, err := s.AuthenticationMode(ctx); err != nil {
		return nil, err
	}
	var out []AccessEntry
	p := eks.NewListAccessEntriesPaginator(s.eks(), &eks.ListAccessEntriesInput{ClusterName: cluster})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list access entries: %w", err)
		}
		for _, arn := range page.AccessEntries {
			d, err := s.eks().DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: cluster, PrincipalArn: sdk.String(arn)})
			if err != nil {
				return nil, fmt.Errorf("read the access entry of %s: %w", arn, err)
			}
			e := AccessEntry{Principal: arn, Type: sdk.ToString(d.AccessEntry.Type), Managed: s.Cloud.Owned(d.AccessEntry.Tags)}
			pols, err := s.eks().ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: cluster, PrincipalArn: sdk.String(arn)})
			if err != nil {
				return nil, fmt.Errorf("read the policies of %s: %w", arn, err)
			}
			for _, ap := range pols.AssociatedAccessPolicies {
				pol := AccessPolicy{Policy: lastSegment(sdk.ToString(ap.PolicyArn))}
				if ap.AccessScope != nil {
					pol.Scope, pol.Namespaces = string(ap.AccessScope.Type), ap.AccessScope.Namespaces
				}
				e.Policies = append(e.Policies, pol)
			}
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out, nil
}

// Revoke deletes principal's access entry (and with it its policies). The
// Karpenter node role's entry is refused: nodes could no longer join.
func (s *Session) Revoke(ctx context.Context, principal string) error {
	if principal == s.Cloud.RoleARN(s.Cloud.Names().KarpenterNodeRole) {
		return fmt.Errorf("%s is the Karpenter node role: without its access entry new nodes cannot join; it is managed by up and down", principal)
	}
	if _, err := s.AuthenticationMode(ctx); err != nil {
		return err
	}
	_, err := s.eks().DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: sdk.String(s.Cloud.Names().Cluster), PrincipalArn: sdk.String(principal)})
	if awsinfra.ErrorCode(err) == "ResourceNotFoundException" {
		return fmt.Errorf("%s has no access entry on cluster %s", principal, s.Cloud.Names().Cluster)
	}
	if err != nil {
		return fmt.Errorf("delete the access entry of %s: %w", principal, err)
	}
	return nil
}

func lastSegment(arn string) string {
	for i := len(arn) - 1; i >= 0; i-- {
		if arn[i] == '/' {
			return arn[i+1:]
		}
	}
	return arn
}
