package sandbox

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

const testRole = "arn:aws:iam::123456789012:role/eks-cluster"

// createCluster creates an EKS cluster through the sandbox.
func createCluster(ctx context.Context, t *testing.T, c *eks.Client, name string, mode ekstypes.AuthenticationMode) *ekstypes.Cluster {
	t.Helper()
	in := &eks.CreateClusterInput{
		Name:               aws.String(name),
		Version:            aws.String("1.33"),
		RoleArn:            aws.String(testRole),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
		Tags:               map[string]string{"eksenv.dev/environment": name},
	}
	if mode != "" {
		in.AccessConfig = &ekstypes.CreateAccessConfigRequest{AuthenticationMode: mode}
	}
	out, err := c.CreateCluster(ctx, in)
	must(t, err)
	return out.Cluster
}

func TestEKSAccessEntries(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := eks.NewFromConfig(awsConfig(s))

	created := createCluster(ctx, t, c, "access", ekstypes.AuthenticationModeApiAndConfigMap)
	if created.AccessConfig == nil || created.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApiAndConfigMap {
		t.Fatalf("CreateCluster accessConfig = %+v", created.AccessConfig)
	}
	d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("access")})
	must(t, err)
	if d.Cluster.AccessConfig == nil || d.Cluster.AccessConfig.AuthenticationMode != ekstypes.AuthenticationModeApiAndConfigMap ||
		!aws.ToBool(d.Cluster.AccessConfig.BootstrapClusterCreatorAdminPermissions) || d.Cluster.Status != ekstypes.ClusterStatusActive {
		t.Fatalf("DescribeCluster = status %s accessConfig %+v", d.Cluster.Status, d.Cluster.AccessConfig)
	}

	// The creator got an entry with the cluster-admin policy.
	list, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("access")})
	must(t, err)
	if len(list.AccessEntries) != 1 {
		t.Fatalf("entries after create = %v, want the creator's", list.AccessEntries)
	}
	creator := list.AccessEntries[0]
	pol, err := c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(creator)})
	must(t, err)
	if len(pol.AssociatedAccessPolicies) != 1 || !strings.HasSuffix(aws.ToString(pol.AssociatedAccessPolicies[0].PolicyArn), "/AmazonEKSClusterAdminPolicy") {
		t.Fatalf("creator's policies = %+v", pol.AssociatedAccessPolicies)
	}

	admin := "arn:aws:iam::123456789012:role/team/admin"
	e, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{
		ClusterName: aws.String("access"), PrincipalArn: aws.String(admin),
		Tags: map[string]string{"eksenv.dev/environment": "access"},
	})
	must(t, err)
	if e.AccessEntry.Type == nil || *e.AccessEntry.Type != "STANDARD" ||
		aws.ToString(e.AccessEntry.Username) != "arn:aws:sts::123456789012:assumed-role/admin/{{SessionName}}" ||
		e.AccessEntry.CreatedAt == nil || e.AccessEntry.Tags["eksenv.dev/environment"] != "access" {
		t.Fatalf("CreateAccessEntry = %+v", e.AccessEntry)
	}
	_, err = c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin)})
	wantCode(t, err, "ResourceInUseException")

	a, err := c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String("access"), PrincipalArn: aws.String(admin),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster},
	})
	must(t, err)
	if aws.ToString(a.PrincipalArn) != admin || a.AssociatedAccessPolicy.AccessScope.Type != ekstypes.AccessScopeTypeCluster || a.AssociatedAccessPolicy.AssociatedAt == nil {
		t.Fatalf("AssociateAccessPolicy = %+v", a)
	}
	_, err = c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String("access"), PrincipalArn: aws.String(admin),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace, Namespaces: []string{"portainer"}},
	})
	must(t, err)
	pol, err = c.ListAssociatedAccessPolicies(ctx, &eks.ListAssociatedAccessPoliciesInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin)})
	must(t, err)
	if len(pol.AssociatedAccessPolicies) != 2 || !slices.Equal(pol.AssociatedAccessPolicies[1].AccessScope.Namespaces, []string{"portainer"}) {
		t.Fatalf("ListAssociatedAccessPolicies = %+v", pol.AssociatedAccessPolicies)
	}
	byPolicy, err := c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("access"),
		AssociatedPolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")})
	must(t, err)
	if !slices.Equal(byPolicy.AccessEntries, []string{admin}) {
		t.Fatalf("entries with the view policy = %v", byPolicy.AccessEntries)
	}
	_, err = c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String("access"), PrincipalArn: aws.String(admin),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeNamespace},
	})
	wantCode(t, err, "InvalidParameterException")
	_, err = c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin),
		PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")})
	must(t, err)
	_, err = c.DisassociateAccessPolicy(ctx, &eks.DisassociateAccessPolicyInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin),
		PolicyArn: aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")})
	wantCode(t, err, "ResourceNotFoundException")

	// The Karpenter node role: EC2_LINUX, no groups, no policies.
	node := "arn:aws:iam::123456789012:role/KarpenterNodeRole-access"
	_, err = c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(node),
		Type: aws.String("EC2_LINUX"), KubernetesGroups: []string{"nodes"}})
	wantCode(t, err, "InvalidParameterException")
	ne, err := c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(node), Type: aws.String("EC2_LINUX")})
	must(t, err)
	if aws.ToString(ne.AccessEntry.Username) != "system:node:{{EC2PrivateDNSName}}" || aws.ToString(ne.AccessEntry.Type) != "EC2_LINUX" {
		t.Fatalf("EC2_LINUX entry = %+v", ne.AccessEntry)
	}
	_, err = c.AssociateAccessPolicy(ctx, &eks.AssociateAccessPolicyInput{
		ClusterName: aws.String("access"), PrincipalArn: aws.String(node),
		PolicyArn:   aws.String("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"),
		AccessScope: &ekstypes.AccessScope{Type: ekstypes.AccessScopeTypeCluster},
	})
	wantCode(t, err, "InvalidRequestException")

	// Tags of the entry, through the tagging API.
	_, err = c.TagResource(ctx, &eks.TagResourceInput{ResourceArn: e.AccessEntry.AccessEntryArn, Tags: map[string]string{"team": "platform"}})
	must(t, err)
	tags, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: e.AccessEntry.AccessEntryArn})
	must(t, err)
	if tags.Tags["team"] != "platform" || tags.Tags["eksenv.dev/environment"] != "access" {
		t.Fatalf("entry tags = %v", tags.Tags)
	}
	// Cluster tags stay moto's.
	ctags, err := c.ListTagsForResource(ctx, &eks.ListTagsForResourceInput{ResourceArn: d.Cluster.Arn})
	must(t, err)
	if ctags.Tags["eksenv.dev/environment"] != "access" {
		t.Fatalf("cluster tags = %v", ctags.Tags)
	}

	u, err := c.UpdateAccessEntry(ctx, &eks.UpdateAccessEntryInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin), KubernetesGroups: []string{"viewers"}})
	must(t, err)
	if !slices.Equal(u.AccessEntry.KubernetesGroups, []string{"viewers"}) {
		t.Fatalf("UpdateAccessEntry = %+v", u.AccessEntry)
	}
	_, err = c.DeleteAccessEntry(ctx, &eks.DeleteAccessEntryInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin)})
	must(t, err)
	_, err = c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin)})
	wantCode(t, err, "ResourceNotFoundException")

	// A CONFIG_MAP cluster (the API's default) refuses entries until its
	// mode is changed.
	createCluster(ctx, t, c, "configmap", "")
	_, err = c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("configmap"), PrincipalArn: aws.String(admin)})
	wantCode(t, err, "InvalidRequestException")
	_, err = c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("configmap"),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApi}})
	wantCode(t, err, "InvalidParameterException") // CONFIG_MAP → API skips a step
	up, err := c.UpdateClusterConfig(ctx, &eks.UpdateClusterConfigInput{Name: aws.String("configmap"),
		AccessConfig: &ekstypes.UpdateAccessConfigRequest{AuthenticationMode: ekstypes.AuthenticationModeApiAndConfigMap}})
	must(t, err)
	if up.Update == nil || up.Update.Type != ekstypes.UpdateTypeAccessConfigUpdate || up.Update.Status != ekstypes.UpdateStatusInProgress {
		t.Fatalf("UpdateClusterConfig = %+v", up.Update)
	}
	du, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("configmap"), UpdateId: up.Update.Id})
	must(t, err)
	if du.Update.Status != ekstypes.UpdateStatusSuccessful || du.Update.Params[0].Type != ekstypes.UpdateParamTypeAuthenticationMode {
		t.Fatalf("DescribeUpdate = %+v", du.Update)
	}
	_, err = c.CreateAccessEntry(ctx, &eks.CreateAccessEntryInput{ClusterName: aws.String("configmap"), PrincipalArn: aws.String(admin)})
	must(t, err)

	// Deleting the cluster deletes its entries.
	_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("access")})
	must(t, err)
	_, err = c.ListAccessEntries(ctx, &eks.ListAccessEntriesInput{ClusterName: aws.String("access")})
	wantCode(t, err, "ResourceNotFoundException")
	createCluster(ctx, t, c, "access", ekstypes.AuthenticationModeApi)
	_, err = c.DescribeAccessEntry(ctx, &eks.DescribeAccessEntryInput{ClusterName: aws.String("access"), PrincipalArn: aws.String(admin)})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestEKSPodIdentityAssociations(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := eks.NewFromConfig(awsConfig(s))
	createCluster(ctx, t, c, "pods", ekstypes.AuthenticationModeApi)
	role := "arn:aws:iam::123456789012:role/karpenter-controller"

	_, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("nope"),
		Namespace: aws.String("karpenter"), ServiceAccount: aws.String("karpenter"), RoleArn: aws.String(role)})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("pods"),
		Namespace: aws.String("karpenter"), ServiceAccount: aws.String("karpenter"), RoleArn: aws.String("not-an-arn")})
	wantCode(t, err, "InvalidParameterException")

	out, err := c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("pods"),
		Namespace: aws.String("karpenter"), ServiceAccount: aws.String("karpenter"), RoleArn: aws.String(role),
		Tags: map[string]string{"eksenv.dev/environment": "pods"}})
	must(t, err)
	a := out.Association
	if !strings.HasPrefix(aws.ToString(a.AssociationId), "a-") || len(aws.ToString(a.AssociationId)) != 19 ||
		!strings.HasPrefix(aws.ToString(a.AssociationArn), "arn:aws:eks:us-east-1:123456789012:podidentityassociation/pods/a-") ||
		a.CreatedAt == nil || a.Tags["eksenv.dev/environment"] != "pods" || aws.ToString(a.ClusterName) != "pods" {
		t.Fatalf("CreatePodIdentityAssociation = %+v", a)
	}
	_, err = c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("pods"),
		Namespace: aws.String("karpenter"), ServiceAccount: aws.String("karpenter"), RoleArn: aws.String(role)})
	wantCode(t, err, "ResourceInUseException")
	_, err = c.CreatePodIdentityAssociation(ctx, &eks.CreatePodIdentityAssociationInput{ClusterName: aws.String("pods"),
		Namespace: aws.String("kube-system"), ServiceAccount: aws.String("aws-load-balancer-controller"), RoleArn: aws.String(role)})
	must(t, err)

	l, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("pods"), Namespace: aws.String("karpenter")})
	must(t, err)
	if len(l.Associations) != 1 || aws.ToString(l.Associations[0].AssociationId) != aws.ToString(a.AssociationId) {
		t.Fatalf("ListPodIdentityAssociations(karpenter) = %+v", l.Associations)
	}
	all, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("pods")})
	must(t, err)
	if len(all.Associations) != 2 {
		t.Fatalf("ListPodIdentityAssociations = %+v", all.Associations)
	}
	paged, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("pods"), MaxResults: aws.Int32(1)})
	must(t, err)
	if len(paged.Associations) != 1 || paged.NextToken == nil {
		t.Fatalf("page 1 = %+v next %v", paged.Associations, paged.NextToken)
	}

	newRole := "arn:aws:iam::123456789012:role/karpenter-controller-2"
	u, err := c.UpdatePodIdentityAssociation(ctx, &eks.UpdatePodIdentityAssociationInput{ClusterName: aws.String("pods"),
		AssociationId: a.AssociationId, RoleArn: aws.String(newRole)})
	must(t, err)
	if aws.ToString(u.Association.RoleArn) != newRole {
		t.Fatalf("UpdatePodIdentityAssociation = %+v", u.Association)
	}
	d, err := c.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("pods"), AssociationId: a.AssociationId})
	must(t, err)
	if aws.ToString(d.Association.RoleArn) != newRole || aws.ToString(d.Association.ServiceAccount) != "karpenter" {
		t.Fatalf("DescribePodIdentityAssociation = %+v", d.Association)
	}
	_, err = c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String("pods"), AssociationId: a.AssociationId})
	must(t, err)
	_, err = c.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{ClusterName: aws.String("pods"), AssociationId: a.AssociationId})
	wantCode(t, err, "ResourceNotFoundException")

	_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("pods")})
	must(t, err)
	_, err = c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("pods")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestEKSAddons(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := eks.NewFromConfig(awsConfig(s))

	want := []string{"aws-ebs-csi-driver", "aws-efs-csi-driver", "aws-mountpoint-s3-csi-driver", "coredns", "eks-pod-identity-agent", "kube-proxy", "vpc-cni"}
	for _, k8s := range []string{"1.32", "1.33", "1.34"} {
		var names []string
		p := eks.NewDescribeAddonVersionsPaginator(c, &eks.DescribeAddonVersionsInput{KubernetesVersion: aws.String(k8s), MaxResults: aws.Int32(3)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			must(t, err)
			for _, a := range out.Addons {
				names = append(names, aws.ToString(a.AddonName))
				defaults := 0
				for _, v := range a.AddonVersions {
					for _, cp := range v.Compatibilities {
						if aws.ToString(cp.ClusterVersion) != k8s {
							t.Errorf("%s %s: compatibility %s listed for %s", *a.AddonName, *v.AddonVersion, *cp.ClusterVersion, k8s)
						}
						if cp.DefaultVersion {
							defaults++
						}
					}
				}
				if defaults != 1 {
					t.Errorf("%s on %s: %d default versions", *a.AddonName, k8s, defaults)
				}
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("add-ons for %s = %v", k8s, names)
		}
	}
	one, err := c.DescribeAddonVersions(ctx, &eks.DescribeAddonVersionsInput{AddonName: aws.String("aws-ebs-csi-driver"), KubernetesVersion: aws.String("1.33")})
	must(t, err)
	if len(one.Addons) != 1 || aws.ToString(one.Addons[0].Type) != "storage" || !one.Addons[0].AddonVersions[0].RequiresIamPermissions {
		t.Fatalf("DescribeAddonVersions(ebs) = %+v", one.Addons)
	}
	conf, err := c.DescribeAddonConfiguration(ctx, &eks.DescribeAddonConfigurationInput{AddonName: aws.String("aws-ebs-csi-driver"),
		AddonVersion: one.Addons[0].AddonVersions[0].AddonVersion})
	must(t, err)
	if len(conf.PodIdentityConfiguration) != 1 || aws.ToString(conf.PodIdentityConfiguration[0].ServiceAccount) != "ebs-csi-controller-sa" {
		t.Fatalf("DescribeAddonConfiguration = %+v", conf.PodIdentityConfiguration)
	}

	createCluster(ctx, t, c, "addons", ekstypes.AuthenticationModeApiAndConfigMap)
	role := "arn:aws:iam::123456789012:role/ebs-csi"
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("aws-ebs-csi-driver"),
		PodIdentityAssociations: []ekstypes.AddonPodIdentityAssociations{{ServiceAccount: aws.String("wrong-sa"), RoleArn: aws.String(role)}}})
	wantCode(t, err, "InvalidParameterException")
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("aws-ebs-csi-driver"),
		AddonVersion: aws.String("v0.0.1-eksbuild.1")})
	wantCode(t, err, "InvalidParameterException")
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("coredns"),
		ConfigurationValues: aws.String("[not, a, mapping]")})
	wantCode(t, err, "InvalidParameterException")
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("no-such-addon")})
	wantCode(t, err, "InvalidParameterException")

	out, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("aws-ebs-csi-driver"),
		ConfigurationValues:     aws.String(`{"controller":{"replicaCount":1}}`),
		PodIdentityAssociations: []ekstypes.AddonPodIdentityAssociations{{ServiceAccount: aws.String("ebs-csi-controller-sa"), RoleArn: aws.String(role)}},
		Tags:                    map[string]string{"eksenv.dev/environment": "addons"}})
	must(t, err)
	a := out.Addon
	if a.Status != ekstypes.AddonStatusActive || aws.ToString(a.AddonVersion) != "v1.48.0-eksbuild.2" || len(a.PodIdentityAssociations) != 1 ||
		a.Tags["eksenv.dev/environment"] != "addons" || aws.ToString(a.ConfigurationValues) != `{"controller":{"replicaCount":1}}` ||
		!strings.HasPrefix(aws.ToString(a.AddonArn), "arn:aws:eks:us-east-1:123456789012:addon/addons/aws-ebs-csi-driver/") {
		t.Fatalf("CreateAddon = %+v", a)
	}
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("aws-ebs-csi-driver")})
	wantCode(t, err, "ResourceInUseException")

	assocs, err := c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("addons")})
	must(t, err)
	if len(assocs.Associations) != 1 || aws.ToString(assocs.Associations[0].OwnerArn) != aws.ToString(a.AddonArn) ||
		aws.ToString(assocs.Associations[0].Namespace) != "kube-system" || aws.ToString(assocs.Associations[0].AssociationArn) != a.PodIdentityAssociations[0] {
		t.Fatalf("add-on associations = %+v", assocs.Associations)
	}
	_, err = c.DeletePodIdentityAssociation(ctx, &eks.DeletePodIdentityAssociationInput{ClusterName: aws.String("addons"), AssociationId: assocs.Associations[0].AssociationId})
	wantCode(t, err, "InvalidRequestException")

	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("vpc-cni"), AddonVersion: aws.String("v1.20.1-eksbuild.3")})
	must(t, err)
	up, err := c.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("vpc-cni"), AddonVersion: aws.String("v1.20.4-eksbuild.2"),
		ConfigurationValues: aws.String("env:\n  ENABLE_PREFIX_DELEGATION: \"true\"\n")})
	must(t, err)
	if up.Update.Type != ekstypes.UpdateTypeAddonUpdate {
		t.Fatalf("UpdateAddon = %+v", up.Update)
	}
	du, err := c.DescribeUpdate(ctx, &eks.DescribeUpdateInput{Name: aws.String("addons"), UpdateId: up.Update.Id, AddonName: aws.String("vpc-cni")})
	must(t, err)
	if du.Update.Status != ekstypes.UpdateStatusSuccessful {
		t.Fatalf("DescribeUpdate = %+v", du.Update)
	}
	_, err = c.UpdateAddon(ctx, &eks.UpdateAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("vpc-cni"), AddonVersion: aws.String("v1.19.6-eksbuild.7")})
	wantCode(t, err, "InvalidParameterException") // no downgrades
	d, err := c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("vpc-cni")})
	must(t, err)
	if aws.ToString(d.Addon.AddonVersion) != "v1.20.4-eksbuild.2" || !strings.Contains(aws.ToString(d.Addon.ConfigurationValues), "ENABLE_PREFIX_DELEGATION") {
		t.Fatalf("DescribeAddon = %+v", d.Addon)
	}
	l, err := c.ListAddons(ctx, &eks.ListAddonsInput{ClusterName: aws.String("addons")})
	must(t, err)
	if !slices.Equal(l.Addons, []string{"aws-ebs-csi-driver", "vpc-cni"}) {
		t.Fatalf("ListAddons = %v", l.Addons)
	}

	del, err := c.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("aws-ebs-csi-driver")})
	must(t, err)
	if del.Addon.Status != ekstypes.AddonStatusDeleting {
		t.Fatalf("DeleteAddon status = %s", del.Addon.Status)
	}
	_, err = c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("aws-ebs-csi-driver")})
	wantCode(t, err, "ResourceNotFoundException")
	assocs, err = c.ListPodIdentityAssociations(ctx, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String("addons")})
	must(t, err)
	if len(assocs.Associations) != 0 {
		t.Fatalf("associations after DeleteAddon = %+v", assocs.Associations)
	}

	_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("addons")})
	must(t, err)
	_, err = c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("addons"), AddonName: aws.String("vpc-cni")})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestEKSClusterEndpointHook(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := eks.NewFromConfig(awsConfig(s))
	createCluster(ctx, t, c, hookedPrefix+"one", ekstypes.AuthenticationModeApi)
	createCluster(ctx, t, c, "plain", ekstypes.AuthenticationModeApi)
	d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(hookedPrefix + "one")})
	must(t, err)
	if aws.ToString(d.Cluster.Endpoint) != "https://127.0.0.1:6443" || aws.ToString(d.Cluster.CertificateAuthority.Data) != "Q0EtREFUQQ==" {
		t.Fatalf("hooked cluster endpoint %q CA %+v", aws.ToString(d.Cluster.Endpoint), d.Cluster.CertificateAuthority)
	}
	p, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("plain")})
	must(t, err)
	if !strings.Contains(aws.ToString(p.Cluster.Endpoint), ".eks.amazonaws.com") {
		t.Fatalf("plain cluster endpoint %q", aws.ToString(p.Cluster.Endpoint))
	}
	_, err = c.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{})
	wantCode(t, err, "SandboxNotImplemented")
}
