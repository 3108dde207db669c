package spec

import "fmt"

// OwnerTagKey is the tag every resource eksenv creates carries; its value is
// the environment name. The live account is the state: this tag and the
// derived names below are how eksenv finds its own resources.
const OwnerTagKey = "eksenv.dev/environment"

// Names are the deterministic names of the environment's AWS resources, all
// derived from metadata.name.
type Names struct {
	Cluster                 string
	ClusterRole             string
	FargatePodExecutionRole string
	KarpenterNodeRole       string
	KarpenterControllerRole string
	KarpenterPolicy         string
	LoadBalancerRole        string
	LoadBalancerPolicy      string
	EBSCSIRole              string
	EFSCSIRole              string
	S3CSIRole               string
	S3CSIPolicy             string
	InterruptionQueue       string
	VPC                     string
	EFSSecurityGroup        string
	NodeSecurityGroup       string
}

// Names derives every name from metadata.name.
func (e *Environment) Names() Names {
	n := e.Metadata.Name
	return Names{
		Cluster:                 n,
		ClusterRole:             n + "-cluster",
		FargatePodExecutionRole: n + "-fargate-pod-execution",
		KarpenterNodeRole:       "KarpenterNodeRole-" + n,
		KarpenterControllerRole: n + "-karpenter",
		KarpenterPolicy:         "KarpenterControllerPolicy-" + n,
		LoadBalancerRole:        n + "-aws-load-balancer-controller",
		LoadBalancerPolicy:      "AWSLoadBalancerControllerIAMPolicy-" + n,
		EBSCSIRole:              n + "-ebs-csi-driver",
		EFSCSIRole:              n + "-efs-csi-driver",
		S3CSIRole:               n + "-s3-csi-driver",
		S3CSIPolicy:             "MountpointS3CSIPolicy-" + n,
		InterruptionQueue:       n,
		VPC:                     n + "-vpc",
		EFSSecurityGroup:        n + "-efs",
		NodeSecurityGroup:       n + "-node",
	}
}

// RoleNames lists the IAM role names with the field that holds them, for
// length checks.
func (n Names) RoleNames() map[string]string {
	return map[string]string{
		"cluster role":                  n.ClusterRole,
		"Fargate pod execution role":    n.FargatePodExecutionRole,
		"Karpenter node role":           n.KarpenterNodeRole,
		"Karpenter controller role":     n.KarpenterControllerRole,
		"load balancer controller role": n.LoadBalancerRole,
		"EBS CSI driver role":           n.EBSCSIRole,
		"EFS CSI driver role":           n.EFSCSIRole,
		"S3 CSI driver role":            n.S3CSIRole,
	}
}

// BucketName is the S3 bucket: the one the spec names, or
// <name>-<account>-<region>, unique across AWS.
func (e *Environment) BucketName(accountID string) string {
	if e.Spec.Storage.S3.BucketName != "" {
		return e.Spec.Storage.S3.BucketName
	}
	return fmt.Sprintf("%s-%s-%s", e.Metadata.Name, accountID, e.Spec.Region)
}
