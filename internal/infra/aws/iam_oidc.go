package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/eksenv/eksenv/internal/infra"
	renderiam "github.com/eksenv/eksenv/internal/render/iam"
)

// oidcAPI is what the OIDC provider resource calls.
type oidcAPI interface {
	GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
	ListOpenIDConnectProviders(context.Context, *iam.ListOpenIDConnectProvidersInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error)
	CreateOpenIDConnectProvider(context.Context, *iam.CreateOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error)
	AddClientIDToOpenIDConnectProvider(context.Context, *iam.AddClientIDToOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error)
	TagOpenIDConnectProvider(context.Context, *iam.TagOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.TagOpenIDConnectProviderOutput, error)
	DeleteOpenIDConnectProvider(context.Context, *iam.DeleteOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error)
}

// oidcClientID is the audience of the tokens EKS projects for IRSA.
const oidcClientID = "sts.amazonaws.com"

// eksIssuerThumbprint is the SHA-1 thumbprint of the root CA behind the EKS
// OIDC issuers (Amazon's Starfield root). IAM no longer validates
// thumbprints for these issuers, relying on its library of trusted root
// CAs, but the API still takes one; sending a fixed value keeps up offline.
const eksIssuerThumbprint = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"

// oidcResource is the IAM OIDC identity provider of the cluster's issuer,
// which the IRSA roles trust.
type oidcResource struct {
	c   *Cloud
	api oidcAPI
}

func (o *oidcResource) Key() infra.Key { return KeyOIDC }

func (o *oidcResource) Describe() string {
	return "IAM OIDC provider of cluster " + o.c.Names().Cluster
}

func (o *oidcResource) Deps() []infra.Key { return []infra.Key{KeyCluster} }

// arnOf returns the provider ARN of an issuer URL.
func (o *oidcResource) arnOf(issuer string) string {
	p := o.c.Params()
	p.OIDCIssuer = issuer
	return renderiam.OIDCProviderARN(p.IAM(o.c.Env))
}

func (o *oidcResource) wantTags() map[string]string {
	t := o.c.Tags(nil)
	t[ResourceTagKey] = string(KeyOIDC)
	return t
}

// find returns the provider's ARN and tags: by the cluster's issuer when
// it is known, otherwise (the cluster is already gone) by its tags.
func (o *oidcResource) find(ctx context.Context, s *infra.State) (arn string, out *iam.GetOpenIDConnectProviderOutput, err error) {
	if issuer := s.Output(KeyCluster, "oidcIssuer"); issuer != "" {
		arn = o.arnOf(issuer)
		out, err := o.api.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: sdk.String(arn)})
		if notFound(err) {
			return "", nil, nil
		}
		if err != nil {
			return "", nil, fmt.Errorf("get OIDC provider %s: %w", arn, err)
		}
		return arn, out, nil
	}
	list, err := o.api.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		return "", nil, fmt.Errorf("list OIDC providers: %w", err)
	}
	for _, e := range list.OpenIDConnectProviderList {
		out, err := o.api.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: e.Arn})
		if notFound(err) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("get OIDC provider %s: %w", sdk.ToString(e.Arn), err)
		}
		tags := fromIAMTags(out.Tags)
		if o.c.Owned(tags) && tags[ResourceTagKey] == string(KeyOIDC) {
			return sdk.ToString(e.Arn), out, nil
		}
	}
	return "", nil, nil
}

func (o *oidcResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	arn, out, err := o.find(ctx, s)
	if err != nil || out == nil {
		return infra.Observation{}, err
	}
	obs := infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn}}
	tags := fromIAMTags(out.Tags)
	if !o.c.Owned(tags) {
		obs.Foreign = o.c.notTaggedMessage("an IAM OIDC provider for " + sdk.ToString(out.Url))
		return obs, nil
	}
	if !slices.Contains(out.ClientIDList, oidcClientID) {
		obs.Changes = append(obs.Changes, "client id "+oidcClientID+" missing")
	}
	if ch := tagsChange(missingTags(o.wantTags(), tags)); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

func (o *oidcResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	issuer := s.Output(KeyCluster, "oidcIssuer")
	if issuer == "" {
		return cur, fmt.Errorf("the cluster's OIDC issuer is not known yet")
	}
	if !strings.HasPrefix(issuer, "https://") {
		issuer = "https://" + issuer
	}
	if !cur.Exists {
		out, err := o.api.CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
			Url:            sdk.String(issuer),
			ClientIDList:   []string{oidcClientID},
			ThumbprintList: []string{eksIssuerThumbprint},
			Tags:           iamTags(o.wantTags()),
		})
		if err != nil {
			return cur, fmt.Errorf("create OIDC provider for %s: %w", issuer, err)
		}
		arn := sdk.ToString(out.OpenIDConnectProviderArn)
		return infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn}}, nil
	}
	arn, out, err := o.find(ctx, s)
	if err != nil {
		return cur, err
	}
	if out == nil {
		return cur, fmt.Errorf("OIDC provider for %s disappeared while being updated", issuer)
	}
	if !slices.Contains(out.ClientIDList, oidcClientID) {
		if _, err := o.api.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: sdk.String(arn), ClientID: sdk.String(oidcClientID),
		}); err != nil {
			return cur, fmt.Errorf("add client id to OIDC provider %s: %w", arn, err)
		}
	}
	if missing := missingTags(o.wantTags(), fromIAMTags(out.Tags)); len(missing) > 0 {
		if _, err := o.api.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{
			OpenIDConnectProviderArn: sdk.String(arn), Tags: iamTags(missing),
		}); err != nil {
			return cur, fmt.Errorf("tag OIDC provider %s: %w", arn, err)
		}
	}
	return infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"arn": arn}}, nil
}

func (o *oidcResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	if _, err := o.api.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: sdk.String(cur.ID),
	}); err != nil && !notFound(err) {
		return fmt.Errorf("delete OIDC provider %s: %w", cur.ID, err)
	}
	return nil
}
