package iam

// serviceTrust returns a trust policy letting the AWS service principal
// perform actions.
func serviceTrust(service string, actions Value) Document {
	return Document{
		Version: Version2012,
		Statement: []Statement{{
			Effect:    Allow,
			Principal: Principal{Service: String(service)},
			Action:    actions,
		}},
	}
}

// ClusterRoleTrustPolicy returns the trust policy of the EKS cluster role:
// eks.amazonaws.com may sts:AssumeRole and sts:TagSession. Source: the EKS
// user guide, "Amazon EKS cluster IAM role" (cluster-iam-role, which lists
// sts:AssumeRole) and "Amazon EKS Auto Mode cluster IAM role"
// (auto-cluster-iam-role, which adds sts:TagSession).
func ClusterRoleTrustPolicy() Document {
	return serviceTrust("eks.amazonaws.com", List("sts:AssumeRole", "sts:TagSession"))
}

// ClusterManagedPolicies returns the managed policies of the EKS cluster
// role (EKS user guide, cluster-iam-role): AmazonEKSClusterPolicy.
func ClusterManagedPolicies(partition string) []string {
	return []string{ManagedPolicyARN(partition, "AmazonEKSClusterPolicy")}
}

// FargatePodExecutionTrustPolicy returns the trust policy of the Fargate pod
// execution role (EKS user guide, pod-execution-role):
// eks-fargate-pods.amazonaws.com may sts:AssumeRole for the Fargate
// profiles of p.ClusterName only (aws:SourceArn
// arn:<partition>:eks:<region>:<account>:fargateprofile/<cluster>/*).
func FargatePodExecutionTrustPolicy(p Params) Document {
	d := serviceTrust("eks-fargate-pods.amazonaws.com", String("sts:AssumeRole"))
	d.Statement[0].Condition = Condition{"ArnLike": {
		"aws:SourceArn": String("arn:" + p.Partition + ":eks:" + p.Region + ":" + p.AccountID +
			":fargateprofile/" + p.ClusterName + "/*"),
	}}
	return d
}

// FargatePodExecutionManagedPolicies returns the managed policies of the
// Fargate pod execution role (EKS user guide, pod-execution-role):
// AmazonEKSFargatePodExecutionRolePolicy.
func FargatePodExecutionManagedPolicies(partition string) []string {
	return []string{ManagedPolicyARN(partition, "AmazonEKSFargatePodExecutionRolePolicy")}
}

// PodIdentityTrustPolicy returns the trust policy of a role used through EKS
// Pod Identity (EKS user guide, pod-id-role): pods.eks.amazonaws.com may
// sts:AssumeRole and sts:TagSession. Pod Identity works on EC2 nodes only.
func PodIdentityTrustPolicy() Document {
	return serviceTrust("pods.eks.amazonaws.com", List("sts:AssumeRole", "sts:TagSession"))
}

// IRSATrustPolicy returns the trust policy of a role for the Kubernetes
// service account namespace/serviceAccount through IAM roles for service
// accounts (EKS user guide, associate-service-account-role): the cluster's
// OIDC provider ([OIDCProviderARN]) may sts:AssumeRoleWithWebIdentity when
// <issuer>:aud is sts.amazonaws.com and <issuer>:sub is
// system:serviceaccount:<namespace>:<serviceAccount>.
func IRSATrustPolicy(p Params, namespace, serviceAccount string) Document {
	iss := issuer(p)
	return Document{
		Version: Version2012,
		Statement: []Statement{{
			Effect:    Allow,
			Principal: Principal{Federated: String(OIDCProviderARN(p))},
			Action:    String("sts:AssumeRoleWithWebIdentity"),
			Condition: Condition{"StringEquals": {
				iss + ":aud": String("sts.amazonaws.com"),
				iss + ":sub": String("system:serviceaccount:" + namespace + ":" + serviceAccount),
			}},
		}},
	}
}

// VPCCNIManagedPolicies returns the managed policies of the Amazon VPC CNI
// role for IPv4 clusters (EKS user guide, cni-iam-role): AmazonEKS_CNI_Policy.
func VPCCNIManagedPolicies(partition string) []string {
	return []string{ManagedPolicyARN(partition, "AmazonEKS_CNI_Policy")}
}

// EBSCSIManagedPolicies returns the managed policies of the Amazon EBS CSI
// driver role (EKS user guide, ebs-csi): service-role/AmazonEBSCSIDriverPolicy.
func EBSCSIManagedPolicies(partition string) []string {
	return []string{ManagedPolicyARN(partition, "service-role/AmazonEBSCSIDriverPolicy")}
}

// EFSCSIManagedPolicies returns the managed policies of the Amazon EFS CSI
// driver role (EKS user guide, efs-csi): service-role/AmazonEFSCSIDriverPolicy.
func EFSCSIManagedPolicies(partition string) []string {
	return []string{ManagedPolicyARN(partition, "service-role/AmazonEFSCSIDriverPolicy")}
}
