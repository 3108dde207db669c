package sandbox

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
)

func TestLatencyClusterAndFargate(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := eks.NewFromConfig(awsConfig(s))
	s.SetLatency(Latency{ClusterCreate: 1500 * time.Millisecond, ClusterDelete: time.Second,
		FargateCreate: time.Second, FargateDelete: time.Second, AddonCreate: time.Second, AddonDelete: time.Second})

	start := time.Now()
	created := createCluster(ctx, t, c, "slow", ekstypes.AuthenticationModeApiAndConfigMap)
	if created.Status != ekstypes.ClusterStatusCreating || created.Endpoint != nil {
		t.Fatalf("CreateCluster: status %s endpoint %v, want CREATING and none", created.Status, created.Endpoint)
	}
	status := func() ekstypes.ClusterStatus {
		d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("slow")})
		if err != nil {
			if errCode(err) == "ResourceNotFoundException" {
				return "GONE"
			}
			t.Fatal(err)
		}
		return d.Cluster.Status
	}
	if st := status(); st != ekstypes.ClusterStatusCreating {
		t.Fatalf("DescribeCluster right after create: %s", st)
	}
	profile := func(name string) *eks.CreateFargateProfileInput {
		return &eks.CreateFargateProfileInput{ClusterName: aws.String("slow"), FargateProfileName: aws.String(name),
			PodExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/fargate"), Subnets: []string{"subnet-1"},
			Selectors: []ekstypes.FargateProfileSelector{{Namespace: aws.String(name)}}}
	}
	_, err := c.CreateFargateProfile(ctx, profile("karpenter"))
	wantCode(t, err, "InvalidRequestException") // not ACTIVE yet
	_, err = c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("slow"), AddonName: aws.String("coredns")})
	wantCode(t, err, "InvalidRequestException")

	eventually(t, 10*time.Second, "cluster ACTIVE", func() bool { return status() == ekstypes.ClusterStatusActive })
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Fatalf("cluster became ACTIVE after %v, before ClusterCreate", took)
	}
	d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("slow")})
	must(t, err)
	if d.Cluster.Endpoint == nil || d.Cluster.CertificateAuthority == nil || d.Cluster.CertificateAuthority.Data == nil {
		t.Fatalf("ACTIVE cluster lacks endpoint or CA: %+v", d.Cluster)
	}

	p1, err := c.CreateFargateProfile(ctx, profile("karpenter"))
	must(t, err)
	if p1.FargateProfile.Status != ekstypes.FargateProfileStatusCreating {
		t.Fatalf("CreateFargateProfile status %s", p1.FargateProfile.Status)
	}
	_, err = c.CreateFargateProfile(ctx, profile("system"))
	wantCode(t, err, "ResourceInUseException")
	if want := "Cannot create Fargate Profile system because cluster slow currently has Fargate profile karpenter in status CREATING"; !strings.Contains(err.Error(), want) {
		t.Fatalf("second create: %v, want %q", err, want)
	}
	_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("slow")})
	wantCode(t, err, "ResourceInUseException")

	fpStatus := func(name string) ekstypes.FargateProfileStatus {
		out, err := c.DescribeFargateProfile(ctx, &eks.DescribeFargateProfileInput{ClusterName: aws.String("slow"), FargateProfileName: aws.String(name)})
		if err != nil {
			if errCode(err) == "ResourceNotFoundException" {
				return "GONE"
			}
			t.Fatal(err)
		}
		return out.FargateProfile.Status
	}
	eventually(t, 10*time.Second, "profile ACTIVE", func() bool { return fpStatus("karpenter") == ekstypes.FargateProfileStatusActive })
	_, err = c.CreateFargateProfile(ctx, profile("system"))
	must(t, err)
	_, err = c.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("slow"), FargateProfileName: aws.String("karpenter")})
	wantCode(t, err, "ResourceInUseException") // system is CREATING
	eventually(t, 10*time.Second, "second profile ACTIVE", func() bool { return fpStatus("system") == ekstypes.FargateProfileStatusActive })

	// Add-ons: CREATING, then ACTIVE; DELETING, then gone.
	a, err := c.CreateAddon(ctx, &eks.CreateAddonInput{ClusterName: aws.String("slow"), AddonName: aws.String("coredns")})
	must(t, err)
	if a.Addon.Status != ekstypes.AddonStatusCreating || aws.ToString(a.Addon.AddonVersion) != "v1.12.2-eksbuild.4" {
		t.Fatalf("CreateAddon: %s %s", a.Addon.Status, aws.ToString(a.Addon.AddonVersion))
	}
	addonStatus := func() ekstypes.AddonStatus {
		out, err := c.DescribeAddon(ctx, &eks.DescribeAddonInput{ClusterName: aws.String("slow"), AddonName: aws.String("coredns")})
		if err != nil {
			if errCode(err) == "ResourceNotFoundException" {
				return "GONE"
			}
			t.Fatal(err)
		}
		return out.Addon.Status
	}
	eventually(t, 10*time.Second, "add-on ACTIVE", func() bool { return addonStatus() == ekstypes.AddonStatusActive })
	_, err = c.DeleteAddon(ctx, &eks.DeleteAddonInput{ClusterName: aws.String("slow"), AddonName: aws.String("coredns")})
	must(t, err)
	if st := addonStatus(); st != ekstypes.AddonStatusDeleting {
		t.Fatalf("add-on after delete: %s", st)
	}
	eventually(t, 10*time.Second, "add-on gone", func() bool { return addonStatus() == "GONE" })

	for _, name := range []string{"karpenter", "system"} {
		del, err := c.DeleteFargateProfile(ctx, &eks.DeleteFargateProfileInput{ClusterName: aws.String("slow"), FargateProfileName: aws.String(name)})
		must(t, err)
		if del.FargateProfile.Status != ekstypes.FargateProfileStatusDeleting || fpStatus(name) != ekstypes.FargateProfileStatusDeleting {
			t.Fatalf("profile %s after delete: %s", name, del.FargateProfile.Status)
		}
		list, err := c.ListFargateProfiles(ctx, &eks.ListFargateProfilesInput{ClusterName: aws.String("slow")})
		must(t, err)
		if !contains(list.FargateProfileNames, name) {
			t.Fatalf("ListFargateProfiles lacks DELETING %s: %v", name, list.FargateProfileNames)
		}
		_, err = c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("slow")})
		wantCode(t, err, "ResourceInUseException") // a profile is still DELETING
		eventually(t, 10*time.Second, "profile gone", func() bool { return fpStatus(name) == "GONE" })
	}

	del, err := c.DeleteCluster(ctx, &eks.DeleteClusterInput{Name: aws.String("slow")})
	must(t, err)
	if del.Cluster.Status != ekstypes.ClusterStatusDeleting || status() != ekstypes.ClusterStatusDeleting {
		t.Fatalf("DeleteCluster status %s", del.Cluster.Status)
	}
	list, err := c.ListClusters(ctx, &eks.ListClustersInput{})
	must(t, err)
	if !contains(list.Clusters, "slow") {
		t.Fatalf("ListClusters lacks the DELETING cluster: %v", list.Clusters)
	}
	_, err = c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("slow"), RoleArn: aws.String(testRole),
		ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1"}}})
	wantCode(t, err, "ResourceInUseException")
	eventually(t, 10*time.Second, "cluster gone", func() bool { return status() == "GONE" })
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestLatencyNATGateway(t *testing.T) {
	s := sharedSandbox(t)
	ctx := testCtx(t)
	c := ec2.NewFromConfig(awsConfig(s))
	s.SetLatency(Latency{NATCreate: time.Second, NATDelete: time.Second})

	vpc, err := c.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.42.0.0/16")})
	must(t, err)
	sub, err := c.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.42.0.0/24")})
	must(t, err)
	eip, err := c.AllocateAddress(ctx, &ec2.AllocateAddressInput{Domain: ec2types.DomainTypeVpc})
	must(t, err)
	nat, err := c.CreateNatGateway(ctx, &ec2.CreateNatGatewayInput{SubnetId: sub.Subnet.SubnetId, AllocationId: eip.AllocationId,
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeNatgateway,
			Tags: []ec2types.Tag{{Key: aws.String("state"), Value: aws.String("a tag named state")}}}}})
	must(t, err)
	id := nat.NatGateway.NatGatewayId
	if nat.NatGateway.State != ec2types.NatGatewayStatePending {
		t.Fatalf("CreateNatGateway state %s", nat.NatGateway.State)
	}
	state := func() ec2types.NatGatewayState {
		out, err := c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{NatGatewayIds: []string{*id}})
		must(t, err)
		if len(out.NatGateways) != 1 {
			t.Fatalf("DescribeNatGateways: %d gateways", len(out.NatGateways))
		}
		if got := out.NatGateways[0].Tags; len(got) != 1 || aws.ToString(got[0].Value) != "a tag named state" {
			t.Fatalf("tags mangled: %+v", got)
		}
		return out.NatGateways[0].State
	}
	byState := func(st string) int {
		out, err := c.DescribeNatGateways(ctx, &ec2.DescribeNatGatewaysInput{Filter: []ec2types.Filter{
			{Name: aws.String("state"), Values: []string{st}}, {Name: aws.String("vpc-id"), Values: []string{*vpc.Vpc.VpcId}}}})
		must(t, err)
		return len(out.NatGateways)
	}
	if st := state(); st != ec2types.NatGatewayStatePending {
		t.Fatalf("DescribeNatGateways right after create: %s", st)
	}
	if byState("available") != 0 || byState("pending") != 1 {
		t.Fatalf("state filter does not follow the reported state")
	}
	eventually(t, 10*time.Second, "NAT available", func() bool { return state() == ec2types.NatGatewayStateAvailable })
	if byState("available") != 1 {
		t.Fatalf("available filter misses the gateway")
	}
	_, err = c.DeleteNatGateway(ctx, &ec2.DeleteNatGatewayInput{NatGatewayId: id})
	must(t, err)
	if st := state(); st != ec2types.NatGatewayStateDeleting {
		t.Fatalf("DescribeNatGateways right after delete: %s", st)
	}
	eventually(t, 10*time.Second, "NAT deleted", func() bool { return state() == ec2types.NatGatewayStateDeleted })
}
