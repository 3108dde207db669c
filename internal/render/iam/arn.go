package iam

import "strings"

// Params are the values the documents are built from. The functions insert
// them as given; offline callers may pass placeholders such as
// "${AWS_ACCOUNT_ID}".
type Params struct {
	Partition    string // "aws", "aws-cn", "aws-us-gov"
	Region       string
	AccountID    string
	ClusterName  string
	QueueName    string // the Karpenter interruption queue
	NodeRoleName string // the Karpenter node role, e.g. KarpenterNodeRole-<cluster>
	OIDCIssuer   string // host/path of the cluster's OIDC issuer, without https://
	BucketName   string
}

// ManagedPolicyARN returns the ARN of the AWS managed policy name
// (which may carry a path, as in "service-role/AmazonEBSCSIDriverPolicy").
func ManagedPolicyARN(partition, name string) string {
	return "arn:" + partition + ":iam::aws:policy/" + name
}

// RoleARN returns the ARN of the role name (path "/") in p's account.
func RoleARN(p Params, name string) string {
	return "arn:" + p.Partition + ":iam::" + p.AccountID + ":role/" + name
}

// NodeRoleARN returns the ARN of the Karpenter node role p.NodeRoleName.
func NodeRoleARN(p Params) string { return RoleARN(p, p.NodeRoleName) }

// QueueARN returns the ARN of the interruption queue p.QueueName.
func QueueARN(p Params) string {
	return "arn:" + p.Partition + ":sqs:" + p.Region + ":" + p.AccountID + ":" + p.QueueName
}

// ClusterARN returns the ARN of the EKS cluster p.ClusterName.
func ClusterARN(p Params) string {
	return "arn:" + p.Partition + ":eks:" + p.Region + ":" + p.AccountID + ":cluster/" + p.ClusterName
}

// BucketARN returns the ARN of the S3 bucket p.BucketName.
func BucketARN(p Params) string {
	return "arn:" + p.Partition + ":s3:::" + p.BucketName
}

// OIDCProviderARN returns the ARN of the IAM OIDC provider of p.OIDCIssuer.
func OIDCProviderARN(p Params) string {
	return "arn:" + p.Partition + ":iam::" + p.AccountID + ":oidc-provider/" + issuer(p)
}

// issuer returns p.OIDCIssuer without a leading "https://" (the form IAM
// uses in provider ARNs and condition keys), in case a caller passed the
// issuer URL as EKS reports it.
func issuer(p Params) string { return strings.TrimPrefix(p.OIDCIssuer, "https://") }
