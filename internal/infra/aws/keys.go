package aws

import (
	"strings"

	"github.com/eksenv/eksenv/internal/infra"
)

// Graph keys. Every resource of the environment has one; dependencies name
// them. Outputs (the names in the comments) are what dependents read with
// State.Output.
const (
	KeyVPC         infra.Key = "ec2/vpc"                         // id, cidr
	KeyIGW         infra.Key = "ec2/internet-gateway"            // id
	KeyPublicRT    infra.Key = "ec2/route-table/public"          // id
	KeyS3Endpoint  infra.Key = "ec2/vpc-endpoint/s3"             // id
	KeyEFSSG       infra.Key = "ec2/security-group/efs"          // id
	KeyClusterSG   infra.Key = "ec2/cluster-security-group-tags" // id
	KeyCluster     infra.Key = "eks/cluster"                     // name, arn, endpoint, ca, oidcIssuer, securityGroupId
	KeyOIDC        infra.Key = "iam/oidc-provider"               // arn
	KeySpotSLR     infra.Key = "iam/service-linked-role/spot"    // arn
	KeyQueue       infra.Key = "sqs/queue"                       // url, arn
	KeyEFS         infra.Key = "efs/file-system"                 // id
	KeyBucket      infra.Key = "s3/bucket"                       // name, arn
	KeyAccessPoint infra.Key = "efs/access-point/portainer"      // id
)

// KeySubnet is the subnet of a role ("private" or "public") in a zone; id, zone.
func KeySubnet(role, zone string) infra.Key { return infra.Key("ec2/subnet/" + role + "/" + zone) }

// KeyEIP is the elastic IP of the NAT gateway in a zone; allocationId.
func KeyEIP(zone string) infra.Key { return infra.Key("ec2/eip/" + zone) }

// KeyNAT is the NAT gateway in a zone; id.
func KeyNAT(zone string) infra.Key { return infra.Key("ec2/nat-gateway/" + zone) }

// KeyPrivateRT is the private route table of a zone; id.
func KeyPrivateRT(zone string) infra.Key { return infra.Key("ec2/route-table/private/" + zone) }

// KeyMountTarget is the EFS mount target in a zone; id.
func KeyMountTarget(zone string) infra.Key { return infra.Key("efs/mount-target/" + zone) }

// KeyRole is the IAM role of a render.Role key; arn, name.
func KeyRole(roleKey string) infra.Key { return infra.Key("iam/role/" + roleKey) }

// KeyPolicy is a customer-managed IAM policy by name; arn.
func KeyPolicy(name string) infra.Key { return infra.Key("iam/policy/" + name) }

// KeyRule is an EventBridge rule by name; arn.
func KeyRule(name string) infra.Key { return infra.Key("events/rule/" + name) }

// KeyFargateProfile is a Fargate profile by name; name.
func KeyFargateProfile(name string) infra.Key { return infra.Key("eks/fargate-profile/" + name) }

// KeyAddon is an EKS add-on by name; version.
func KeyAddon(name string) infra.Key { return infra.Key("eks/addon/" + name) }

// KeyPodIdentity is a Pod Identity association of a namespace and service account; id.
func KeyPodIdentity(ns, sa string) infra.Key { return infra.Key("eks/pod-identity/" + ns + "/" + sa) }

// KeyAccessEntry is an access entry of a principal ARN; arn.
func KeyAccessEntry(principal string) infra.Key {
	return infra.Key("eks/access-entry/" + strings.ReplaceAll(principal, ":", "_"))
}
