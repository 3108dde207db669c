package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

type addonAPI interface {
	CreateAddon(context.Context, *eks.CreateAddonInput, ...func(*eks.Options)) (*eks.CreateAddonOutput, error)
	DescribeAddon(context.Context, *eks.DescribeAddonInput, ...func(*eks.Options)) (*eks.DescribeAddonOutput, error)
	UpdateAddon(context.Context, *eks.UpdateAddonInput, ...func(*eks.Options)) (*eks.UpdateAddonOutput, error)
	DeleteAddon(context.Context, *eks.DeleteAddonInput, ...func(*eks.Options)) (*eks.DeleteAddonOutput, error)
	DescribeAddonVersions(context.Context, *eks.DescribeAddonVersionsInput, ...func(*eks.Options)) (*eks.DescribeAddonVersionsOutput, error)
}

// addonComponent names the component whose credentials an add-on carries.
func addonComponent(name string) string {
	switch name {
	case "aws-ebs-csi-driver":
		return "ebs-csi-controller"
	case "aws-efs-csi-driver":
		return "efs-csi-controller"
	case "aws-mountpoint-s3-csi-driver":
		return "s3-csi-node"
	}
	return ""
}

// Addons lists the EKS add-ons of the environment, in install order.
func Addons(e *spec.Environment) []string {
	out := []string{"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"}
	if e.Spec.Storage.EBS.IsEnabled() {
		out = append(out, "aws-ebs-csi-driver")
	}
	if e.Spec.Storage.EFS.IsEnabled() {
		out = append(out, "aws-efs-csi-driver")
	}
	if e.Spec.Storage.S3.IsEnabled() {
		out = append(out, "aws-mountpoint-s3-csi-driver")
	}
	return out
}

func addonResources(c *Cloud) []infra.Resource {
	var out []infra.Resource
	for _, name := range Addons(c.Env) {
		out = append(out, &addon{c: c, name: name})
	}
	return out
}

// addon is one EKS add-on: its version (pinned in the spec, else the
// default for the Kubernetes version), credentials by placement (a Pod
// Identity association in CreateAddon on EC2, a service account role on
// Fargate), and CoreDNS's compute type when it runs on Fargate.
type addon struct {
	c    *Cloud
	name string
}

func (r *addon) Key() infra.Key { return KeyAddon(r.name) }
func (r *addon) Describe() string {
	v := r.pinned()
	if v == "" {
		v = "default version"
	}
	return fmt.Sprintf("EKS add-on %s (%s)", r.name, v)
}

func (r *addon) Deps() []infra.Key {
	deps := []infra.Key{KeyCluster}
	if id := addonComponent(r.name); id != "" {
		deps = append(deps, KeyRole(id))
	}
	if r.name == "coredns" || r.name == "eks-pod-identity-agent" {
		for _, p := range r.c.Env.Spec.Fargate.Profiles {
			deps = append(deps, KeyFargateProfile(p.Name))
		}
	}
	return deps
}

func (r *addon) api() addonAPI { return r.c.C.EKS }

func (r *addon) pinned() string {
	for _, a := range r.c.Env.Spec.Addons {
		if a.Name == r.name {
			return a.Version
		}
	}
	return ""
}

// configuration is the add-on's configuration values ("" for none).
func (r *addon) configuration() string {
	if r.name != "coredns" {
		return ""
	}
	if p, ok := placement.Find(placement.PlaceComponents(r.c.Env), "coredns"); ok && p.Decision.Where == placement.OnFargate {
		b, _ := json.Marshal(map[string]string{"computeType": "Fargate"})
		return string(b)
	}
	return ""
}

func (r *addon) credentials() (assoc []ekstypes.AddonPodIdentityAssociations, saRole string) {
	id := addonComponent(r.name)
	if id == "" {
		return nil, ""
	}
	role, placed, ok := componentRole(r.c, id)
	if !ok {
		return nil, ""
	}
	arn := roleARN(r.c, role.Name)
	if placed.Decision.Credentials == placement.CredIRSA {
		return nil, arn
	}
	return []ekstypes.AddonPodIdentityAssociations{{ServiceAccount: sdk.String(placed.Workload.ServiceAccount), RoleArn: sdk.String(arn)}}, ""
}

func (r *addon) describe(ctx context.Context) (*ekstypes.Addon, error) {
	out, err := r.api().DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: sdk.String(r.c.Names().Cluster), AddonName: sdk.String(r.name)})
	if err != nil {
		return nil, err
	}
	return out.Addon, nil
}

func (r *addon) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	if o, ok := s.Get(KeyCluster); ok && !o.Exists {
		return infra.Observation{}, nil
	}
	a, err := r.describe(ctx)
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, err
	}
	o := infra.Observation{Exists: true, ID: sdk.ToString(a.AddonArn), Outputs: map[string]string{"version": sdk.ToString(a.AddonVersion)}}
	if !r.c.Owned(a.Tags) {
		o.Foreign = fmt.Sprintf("the add-on %s exists and is not tagged %s=%s", r.name, spec.OwnerTagKey, r.c.Env.Metadata.Name)
		return o, nil
	}
	if v := r.pinned(); v != "" && v != sdk.ToString(a.AddonVersion) {
		o.Changes = append(o.Changes, fmt.Sprintf("version %s, want %s", sdk.ToString(a.AddonVersion), v))
	}
	if got, want := sdk.ToString(a.ConfigurationValues), r.configuration(); got != want {
		o.Changes = append(o.Changes, fmt.Sprintf("configuration %q, want %q", got, want))
	}
	_, saRole := r.credentials()
	if got := sdk.ToString(a.ServiceAccountRoleArn); got != saRole {
		o.Changes = append(o.Changes, fmt.Sprintf("service account role %q, want %q", got, saRole))
	}
	if a.Status == ekstypes.AddonStatusCreating || a.Status == ekstypes.AddonStatusUpdating {
		o.Changes = append(o.Changes, "still "+string(a.Status))
	}
	return o, nil
}

// defaultVersion asks EKS for the add-on's default version for the cluster's
// Kubernetes version.
func (r *addon) defaultVersion(ctx context.Context) (string, error) {
	out, err := r.api().DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{
		AddonName: sdk.String(r.name), KubernetesVersion: sdk.String(r.c.Env.Spec.KubernetesVersion)})
	if err != nil {
		return "", fmt.Errorf("find the versions of add-on %s: %w", r.name, err)
	}
	for _, info := range out.Addons {
		for _, v := range info.AddonVersions {
			for _, comp := range v.Compatibilities {
				if comp.DefaultVersion && sdk.ToString(comp.ClusterVersion) == r.c.Env.Spec.KubernetesVersion {
					return sdk.ToString(v.AddonVersion), nil
				}
			}
		}
	}
	return "", fmt.Errorf("EKS offers no default version of add-on %s for Kubernetes %s; pin one in spec.addons", r.name, r.c.Env.Spec.KubernetesVersion)
}

func (r *addon) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	version := r.pinned()
	assoc, saRole := r.credentials()
	var cfg *string
	if v := r.configuration(); v != "" {
		cfg = sdk.String(v)
	}
	if !cur.Exists {
		if version == "" {
			v, err := r.defaultVersion(ctx)
			if err != nil {
				return cur, err
			}
			version = v
		}
		in := &eks.CreateAddonInput{
			ClusterName:             sdk.String(r.c.Names().Cluster),
			AddonName:               sdk.String(r.name),
			AddonVersion:            sdk.String(version),
			ConfigurationValues:     cfg,
			PodIdentityAssociations: assoc,
			ResolveConflicts:        ekstypes.ResolveConflictsOverwrite,
			Tags:                    r.c.Tags(nil),
			ClientRequestToken:      sdk.String(r.c.Names().Cluster + "-" + r.name),
		}
		if saRole != "" {
			in.ServiceAccountRoleArn = sdk.String(saRole)
		}
		if _, err := r.api().CreateAddon(ctx, in); err != nil && ErrorCode(err) != "ResourceInUseException" {
			return cur, err
		}
	} else {
		a, err := r.describe(ctx)
		if err != nil {
			return cur, err
		}
		if a.Status != ekstypes.AddonStatusCreating && a.Status != ekstypes.AddonStatusUpdating {
			in := &eks.UpdateAddonInput{
				ClusterName:           sdk.String(r.c.Names().Cluster),
				AddonName:             sdk.String(r.name),
				ConfigurationValues:   sdk.String(sdk.ToString(cfg)),
				ResolveConflicts:      ekstypes.ResolveConflictsOverwrite,
				ServiceAccountRoleArn: sdk.String(saRole),
			}
			if version != "" {
				in.AddonVersion = sdk.String(version)
			}
			if _, err := r.api().UpdateAddon(ctx, in); err != nil {
				return cur, err
			}
		}
	}
	var got *ekstypes.Addon
	err := r.c.wait(ctx, s, r.Key(), "add-on "+r.name, func(ctx context.Context) (bool, string, error) {
		a, err := r.describe(ctx)
		if err != nil {
			return false, "", err
		}
		got = a
		switch a.Status {
		case ekstypes.AddonStatusActive, ekstypes.AddonStatusDegraded:
			// DEGRADED: its pods wait for capacity (EC2 nodes come with
			// Karpenter, later in up); the API side is done.
			return true, "", nil
		case ekstypes.AddonStatusCreateFailed, ekstypes.AddonStatusUpdateFailed:
			return false, "", fmt.Errorf("add-on %s %s: %s", r.name, a.Status, addonIssues(a))
		}
		return false, string(a.Status), nil
	})
	if err != nil {
		return cur, err
	}
	return infra.Observation{Exists: true, ID: sdk.ToString(got.AddonArn), Outputs: map[string]string{"version": sdk.ToString(got.AddonVersion)}}, nil
}

func addonIssues(a *ekstypes.Addon) string {
	if a.Health == nil || len(a.Health.Issues) == 0 {
		return "no detail given"
	}
	var parts []string
	for _, i := range a.Health.Issues {
		parts = append(parts, string(i.Code)+": "+sdk.ToString(i.Message))
	}
	slices.Sort(parts)
	return fmt.Sprint(parts)
}

func (r *addon) Delete(ctx context.Context, s *infra.State, _ infra.Observation) error {
	_, err := r.api().DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: sdk.String(r.c.Names().Cluster), AddonName: sdk.String(r.name)})
	if err != nil && !notFound(err) {
		return err
	}
	return r.c.wait(ctx, s, r.Key(), "add-on "+r.name+" to be deleted", func(ctx context.Context) (bool, string, error) {
		a, err := r.describe(ctx)
		if notFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		return false, string(a.Status), nil
	})
}
