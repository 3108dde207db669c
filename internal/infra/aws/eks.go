package aws

import (
	"context"
	"fmt"
	"slices"
	"strings"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/render"
	"github.com/eksenv/eksenv/internal/render/iam"
	"github.com/eksenv/eksenv/internal/spec"
)

// eksAPI lists the EKS calls of this file.
type eksAPI interface {
	CreateCluster(context.Context, *eks.CreateClusterInput, ...func(*eks.Options)) (*eks.CreateClusterOutput, error)
	DescribeCluster(context.Context, *eks.DescribeClusterInput, ...func(*eks.Options)) (*eks.DescribeClusterOutput, error)
	UpdateClusterConfig(context.Context, *eks.UpdateClusterConfigInput, ...func(*eks.Options)) (*eks.UpdateClusterConfigOutput, error)
	DeleteCluster(context.Context, *eks.DeleteClusterInput, ...func(*eks.Options)) (*eks.DeleteClusterOutput, error)
	TagResource(context.Context, *eks.TagResourceInput, ...func(*eks.Options)) (*eks.TagResourceOutput, error)
	CreateFargateProfile(context.Context, *eks.CreateFargateProfileInput, ...func(*eks.Options)) (*eks.CreateFargateProfileOutput, error)
	DescribeFargateProfile(context.Context, *eks.DescribeFargateProfileInput, ...func(*eks.Options)) (*eks.DescribeFargateProfileOutput, error)
	DeleteFargateProfile(context.Context, *eks.DeleteFargateProfileInput, ...func(*eks.Options)) (*eks.DeleteFargateProfileOutput, error)
}

// ClusterOutputs are the outputs of KeyCluster.
const (
	OutClusterName     = "name"
	OutClusterARN      = "arn"
	OutClusterEndpoint = "endpoint"
	OutClusterCA       = "ca"
	OutOIDCIssuer      = "oidcIssuer"
	OutClusterSG       = "securityGroupId"
)

func eksResources(c *Cloud) []infra.Resource {
	out := []infra.Resource{&cluster{c: c}, &clusterSGTags{c: c}}
	var prev infra.Key
	for i := range c.Env.Spec.Fargate.Profiles {
		p := &fargateProfile{c: c, profile: c.Env.Spec.Fargate.Profiles[i], prev: prev}
		out = append(out, p)
		prev = p.Key()
	}
	out = append(out, addonResources(c)...)
	out = append(out, podIdentityResources(c)...)
	out = append(out, accessEntryResources(c)...)
	return out
}

// cluster is the EKS control plane: authentication mode set explicitly (the
// API's default, CONFIG_MAP, does not allow access entries), both endpoints,
// the private and public subnets, and no self-managed add-ons (eksenv
// installs vpc-cni, kube-proxy and CoreDNS as managed add-ons).
type cluster struct{ c *Cloud }

func (r *cluster) Key() infra.Key { return KeyCluster }
func (r *cluster) Describe() string {
	return fmt.Sprintf("EKS cluster %s (Kubernetes %s)", r.c.Names().Cluster, r.c.Env.Spec.KubernetesVersion)
}
func (r *cluster) Deps() []infra.Key {
	deps := []infra.Key{KeyRole("cluster")}
	deps = append(deps, SubnetKeys(r.c, "private")...)
	return append(deps, SubnetKeys(r.c, "public")...)
}

func (r *cluster) api() eksAPI { return r.c.C.EKS }

func (r *cluster) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	out, err := r.api().DescribeCluster(ctx, &eks.DescribeClusterInput{Name: sdk.String(r.c.Names().Cluster)})
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, err
	}
	cl := out.Cluster
	o := infra.Observation{Exists: true, ID: sdk.ToString(cl.Arn), Outputs: clusterOutputs(cl)}
	if !r.c.Owned(cl.Tags) {
		o.Foreign = fmt.Sprintf("an EKS cluster named %s exists and is not tagged %s=%s", r.c.Names().Cluster, spec.OwnerTagKey, r.c.Env.Metadata.Name)
		return o, nil
	}
	switch cl.Status {
	case ekstypes.ClusterStatusCreating:
		o.Changes = append(o.Changes, "still CREATING (an earlier run started it)")
	case ekstypes.ClusterStatusDeleting:
		o.Changes = append(o.Changes, "DELETING: wait for it to go, then run up again")
	case ekstypes.ClusterStatusFailed:
		o.Changes = append(o.Changes, "FAILED: run eksenv down, then up")
	}
	if v := sdk.ToString(cl.Version); v != r.c.Env.Spec.KubernetesVersion {
		o.Changes = append(o.Changes, fmt.Sprintf("Kubernetes %s, want %s (eksenv does not upgrade clusters yet)", v, r.c.Env.Spec.KubernetesVersion))
	}
	if cl.AccessConfig == nil || string(cl.AccessConfig.AuthenticationMode) != r.c.Env.Spec.Access.AuthenticationMode {
		mode := "CONFIG_MAP"
		if cl.AccessConfig != nil {
			mode = string(cl.AccessConfig.AuthenticationMode)
		}
		o.Changes = append(o.Changes, fmt.Sprintf("authentication mode %s, want %s", mode, r.c.Env.Spec.Access.AuthenticationMode))
	}
	if m := missingTags(r.c.Tags(nil), cl.Tags); len(m) > 0 {
		o.Changes = append(o.Changes, fmt.Sprintf("%d tags missing or different", len(m)))
	}
	return o, nil
}

func clusterOutputs(cl *ekstypes.Cluster) map[string]string {
	m := map[string]string{OutClusterName: sdk.ToString(cl.Name), OutClusterARN: sdk.ToString(cl.Arn), OutClusterEndpoint: sdk.ToString(cl.Endpoint)}
	if cl.CertificateAuthority != nil {
		m[OutClusterCA] = sdk.ToString(cl.CertificateAuthority.Data)
	}
	if cl.Identity != nil && cl.Identity.Oidc != nil {
		m[OutOIDCIssuer] = sdk.ToString(cl.Identity.Oidc.Issuer)
	}
	if cl.ResourcesVpcConfig != nil {
		m[OutClusterSG] = sdk.ToString(cl.ResourcesVpcConfig.ClusterSecurityGroupId)
	}
	return m
}

func (r *cluster) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	name := r.c.Names().Cluster
	if !cur.Exists {
		subnets := append(PrivateSubnetIDs(s, r.c), PublicSubnetIDs(s, r.c)...)
		_, err := r.api().CreateCluster(ctx, &eks.CreateClusterInput{
			Name:               sdk.String(name),
			Version:            sdk.String(r.c.Env.Spec.KubernetesVersion),
			RoleArn:            sdk.String(s.Output(KeyRole("cluster"), "arn")),
			ClientRequestToken: sdk.String(name + "-create"),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{
				SubnetIds:             subnets,
				EndpointPublicAccess:  sdk.Bool(true),
				EndpointPrivateAccess: sdk.Bool(true),
			},
			AccessConfig: &ekstypes.CreateAccessConfigRequest{
				AuthenticationMode:                      ekstypes.AuthenticationMode(r.c.Env.Spec.Access.AuthenticationMode),
				BootstrapClusterCreatorAdminPermissions: sdk.Bool(true),
			},
			BootstrapSelfManagedAddons: sdk.Bool(false),
			Tags:                       r.c.Tags(nil),
		})
		if err != nil && ErrorCode(err) != "ResourceInUseException" {
			return cur, err
		}
	} else if _, err := r.api().TagResource(ctx, &eks.TagResourceInput{ResourceArn: sdk.String(cur.ID), Tags: r.c.Tags(nil)}); err != nil {
		// Apply runs only when Observe reported a change; tagging is idempotent.
		return cur, err
	}
	var last *ekstypes.Cluster
	err := r.c.wait(ctx, s, KeyCluster, "the control plane", func(ctx context.Context) (bool, string, error) {
		out, err := r.api().DescribeCluster(ctx, &eks.DescribeClusterInput{Name: sdk.String(name)})
		if err != nil {
			return false, "", err
		}
		last = out.Cluster
		switch last.Status {
		case ekstypes.ClusterStatusActive:
			return true, "ACTIVE", nil
		case ekstypes.ClusterStatusFailed:
			return false, "", fmt.Errorf("cluster %s FAILED; run eksenv down, then up", name)
		case ekstypes.ClusterStatusDeleting:
			return false, "", fmt.Errorf("cluster %s is DELETING; wait until it is gone, then run eksenv up again", name)
		}
		return false, string(last.Status), nil
	})
	if err != nil {
		return cur, err
	}
	want := ekstypes.AuthenticationMode(r.c.Env.Spec.Access.AuthenticationMode)
	if last.AccessConfig == nil || last.AccessConfig.AuthenticationMode != want {
		if _, err := r.api().UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: sdk.String(name),
			AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: want}}); err != nil {
			return cur, fmt.Errorf("switch the authentication mode to %s: %w", want, err)
		}
	}
	return infra.Observation{Exists: true, ID: sdk.ToString(last.Arn), Outputs: clusterOutputs(last)}, nil
}

func (r *cluster) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	name := r.c.Names().Cluster
	if _, err := r.api().DeleteCluster(ctx, &eks.DeleteClusterInput{Name: sdk.String(name)}); err != nil && !notFound(err) {
		return err
	}
	return r.c.wait(ctx, s, KeyCluster, "the control plane to be deleted", func(ctx context.Context) (bool, string, error) {
		out, err := r.api().DescribeCluster(ctx, &eks.DescribeClusterInput{Name: sdk.String(name)})
		if notFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		return false, string(out.Cluster.Status), nil
	})
}

// fargateProfile is one Fargate profile. Profiles are immutable and EKS
// allows one creating or deleting at a time per cluster, so each depends on
// the previous one: creates run in order, deletes in reverse, never two at
// once.
type fargateProfile struct {
	c       *Cloud
	profile spec.FargateProfile
	prev    infra.Key
}

func (r *fargateProfile) Key() infra.Key { return KeyFargateProfile(r.profile.Name) }
func (r *fargateProfile) Describe() string {
	return fmt.Sprintf("Fargate profile %s (%d selectors)", r.profile.Name, len(r.profile.Selectors))
}
func (r *fargateProfile) Deps() []infra.Key {
	deps := []infra.Key{KeyCluster, KeyRole("fargate-pod-execution")}
	deps = append(deps, SubnetKeys(r.c, "private")...)
	if r.prev != "" {
		deps = append(deps, r.prev)
	}
	return deps
}

func (r *fargateProfile) api() eksAPI { return r.c.C.EKS }

func (r *fargateProfile) describe(ctx context.Context) (*ekstypes.FargateProfile, error) {
	out, err := r.api().DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{
		ClusterName: sdk.String(r.c.Names().Cluster), FargateProfileName: sdk.String(r.profile.Name)})
	if err != nil {
		return nil, err
	}
	return out.FargateProfile, nil
}

func (r *fargateProfile) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	if o, ok := s.Get(KeyCluster); ok && !o.Exists {
		return infra.Observation{}, nil
	}
	fp, err := r.describe(ctx)
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, err
	}
	o := infra.Observation{Exists: true, ID: sdk.ToString(fp.FargateProfileArn), Outputs: map[string]string{"name": r.profile.Name}}
	if !r.c.Owned(fp.Tags) {
		o.Foreign = fmt.Sprintf("a Fargate profile named %s exists and is not tagged %s=%s", r.profile.Name, spec.OwnerTagKey, r.c.Env.Metadata.Name)
		return o, nil
	}
	if fp.Status == ekstypes.FargateProfileStatusCreating {
		o.Changes = append(o.Changes, "still CREATING")
	}
	if got, want := selectorsKey(fp.Selectors), specSelectorsKey(r.profile.Selectors); got != want {
		o.Changes = append(o.Changes, fmt.Sprintf("selectors %s, want %s (profiles are immutable: it is replaced)", got, want))
	}
	if want := s.Output(KeyRole("fargate-pod-execution"), "arn"); want != "" && sdk.ToString(fp.PodExecutionRoleArn) != want {
		o.Changes = append(o.Changes, "pod execution role differs (it is replaced)")
	}
	return o, nil
}

func selectorsKey(sel []ekstypes.FargateProfileSelector) string {
	var parts []string
	for _, s := range sel {
		parts = append(parts, selectorString(sdk.ToString(s.Namespace), s.Labels))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func specSelectorsKey(sel []spec.FargateSelector) string {
	var parts []string
	for _, s := range sel {
		parts = append(parts, selectorString(s.Namespace, s.Labels))
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func selectorString(ns string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := ns
	for _, k := range keys {
		out += " " + k + "=" + labels[k]
	}
	return out
}

func (r *fargateProfile) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	if cur.Exists {
		fp, err := r.describe(ctx)
		if err != nil {
			return cur, err
		}
		if fp.Status != ekstypes.FargateProfileStatusCreating {
			// Immutable: replace it.
			if err := r.Delete(ctx, s, cur); err != nil {
				return cur, err
			}
			cur = infra.Observation{}
		}
	}
	if !cur.Exists {
		var sel []ekstypes.FargateProfileSelector
		for _, x := range r.profile.Selectors {
			sel = append(sel, ekstypes.FargateProfileSelector{Namespace: sdk.String(x.Namespace), Labels: x.Labels})
		}
		_, err := r.api().CreateFargateProfile(ctx, &eks.CreateFargateProfileInput{
			ClusterName:         sdk.String(r.c.Names().Cluster),
			FargateProfileName:  sdk.String(r.profile.Name),
			PodExecutionRoleArn: sdk.String(s.Output(KeyRole("fargate-pod-execution"), "arn")),
			Subnets:             PrivateSubnetIDs(s, r.c),
			Selectors:           sel,
			Tags:                r.c.Tags(nil),
			ClientRequestToken:  sdk.String(r.c.Names().Cluster + "-" + r.profile.Name),
		})
		if err != nil {
			return cur, err
		}
	}
	var arn string
	err := r.c.wait(ctx, s, r.Key(), "Fargate profile "+r.profile.Name, func(ctx context.Context) (bool, string, error) {
		fp, err := r.describe(ctx)
		if err != nil {
			return false, "", err
		}
		arn = sdk.ToString(fp.FargateProfileArn)
		switch fp.Status {
		case ekstypes.FargateProfileStatusActive:
			return true, "", nil
		case ekstypes.FargateProfileStatusCreateFailed:
			return false, "", fmt.Errorf("Fargate profile %s CREATE_FAILED: %s", r.profile.Name, healthOf(fp))
		}
		return false, string(fp.Status), nil
	})
	if err != nil {
		return cur, err
	}
	return infra.Observation{Exists: true, ID: arn, Outputs: map[string]string{"name": r.profile.Name}}, nil
}

func healthOf(fp *ekstypes.FargateProfile) string {
	if fp.Health == nil || len(fp.Health.Issues) == 0 {
		return "no detail given"
	}
	var parts []string
	for _, i := range fp.Health.Issues {
		parts = append(parts, string(i.Code)+": "+sdk.ToString(i.Message))
	}
	return strings.Join(parts, "; ")
}

func (r *fargateProfile) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	_, err := r.api().DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{
		ClusterName: sdk.String(r.c.Names().Cluster), FargateProfileName: sdk.String(r.profile.Name)})
	if err != nil && !notFound(err) {
		return err
	}
	return r.c.wait(ctx, s, r.Key(), "Fargate profile "+r.profile.Name+" to be deleted", func(ctx context.Context) (bool, string, error) {
		fp, err := r.describe(ctx)
		if notFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		return false, string(fp.Status), nil
	})
}

// componentRole finds the IAM role and placement of a component.
func componentRole(c *Cloud, id string) (render.Role, placement.Placed, bool) {
	placed, ok := placement.Find(placement.PlaceComponents(c.Env), id)
	if !ok {
		return render.Role{}, placement.Placed{}, false
	}
	for _, r := range render.Roles(c.Env, c.Params()) {
		if r.Key == id {
			return r, placed, true
		}
	}
	return render.Role{}, placed, false
}

func roleARN(c *Cloud, name string) string {
	return iam.RoleARN(c.Params().IAM(c.Env), name)
}
