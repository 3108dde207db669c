package iam

// KarpenterControllerPolicy returns the KarpenterControllerPolicy of
// Karpenter's getting-started CloudFormation template for v1.6:
// website/content/en/v1.6/getting-started/getting-started-with-karpenter/cloudformation.yaml
// in aws/karpenter-provider-aws as released with v1.6.3 (commit cea12b08,
// identical to website/content/en/docs/... at tag v1.6.3). The 16
// statements, their Sids, actions, resources and conditions are the
// template's; its substitutions are replaced by p: ${AWS::Partition} by
// Partition, ${AWS::Region} by Region, ${AWS::AccountId} by AccountID,
// ${ClusterName} by ClusterName, ${KarpenterInterruptionQueue.Arn} by
// [QueueARN] and ${KarpenterNodeRole.Arn} by [NodeRoleARN].
//
// The v1.6 template has no iam:ListInstanceProfiles (the v1.7 template adds
// it, for EC2NodeClass role changes), and Karpenter v1.6.3 does not call it.
func KarpenterControllerPolicy(p Params) Document {
	c := p.ClusterName
	ec2 := func(res string) string { return "arn:" + p.Partition + ":ec2:" + p.Region + ":*:" + res }
	instanceProfiles := "arn:" + p.Partition + ":iam::" + p.AccountID + ":instance-profile/*"
	ownedRes := "aws:ResourceTag/kubernetes.io/cluster/" + c
	ownedReq := "aws:RequestTag/kubernetes.io/cluster/" + c
	const (
		nodePoolRes  = "aws:ResourceTag/karpenter.sh/nodepool"
		nodePoolReq  = "aws:RequestTag/karpenter.sh/nodepool"
		clusterReq   = "aws:RequestTag/eks:eks-cluster-name"
		regionRes    = "aws:ResourceTag/topology.kubernetes.io/region"
		regionReq    = "aws:RequestTag/topology.kubernetes.io/region"
		nodeClassRes = "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass"
		nodeClassReq = "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass"
	)
	return Document{
		Version: Version2012,
		Statement: []Statement{
			{
				Sid:    "AllowScopedEC2InstanceAccessActions",
				Effect: Allow,
				Resource: List(
					"arn:"+p.Partition+":ec2:"+p.Region+"::image/*",
					"arn:"+p.Partition+":ec2:"+p.Region+"::snapshot/*",
					ec2("security-group/*"),
					ec2("subnet/*"),
					ec2("capacity-reservation/*"),
				),
				Action: List("ec2:RunInstances", "ec2:CreateFleet"),
			},
			{
				Sid:      "AllowScopedEC2LaunchTemplateAccessActions",
				Effect:   Allow,
				Resource: String(ec2("launch-template/*")),
				Action:   List("ec2:RunInstances", "ec2:CreateFleet"),
				Condition: Condition{
					"StringEquals": {ownedRes: String("owned")},
					"StringLike":   {nodePoolRes: String("*")},
				},
			},
			{
				Sid:    "AllowScopedEC2InstanceActionsWithTags",
				Effect: Allow,
				Resource: List(
					ec2("fleet/*"),
					ec2("instance/*"),
					ec2("volume/*"),
					ec2("network-interface/*"),
					ec2("launch-template/*"),
					ec2("spot-instances-request/*"),
					ec2("capacity-reservation/*"),
				),
				Action: List("ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"),
				Condition: Condition{
					"StringEquals": {
						ownedReq:   String("owned"),
						clusterReq: String(c),
					},
					"StringLike": {nodePoolReq: String("*")},
				},
			},
			{
				Sid:    "AllowScopedResourceCreationTagging",
				Effect: Allow,
				Resource: List(
					ec2("fleet/*"),
					ec2("instance/*"),
					ec2("volume/*"),
					ec2("network-interface/*"),
					ec2("launch-template/*"),
					ec2("spot-instances-request/*"),
				),
				Action: String("ec2:CreateTags"),
				Condition: Condition{
					"StringEquals": {
						ownedReq:           String("owned"),
						clusterReq:         String(c),
						"ec2:CreateAction": List("RunInstances", "CreateFleet", "CreateLaunchTemplate"),
					},
					"StringLike": {nodePoolReq: String("*")},
				},
			},
			{
				Sid:      "AllowScopedResourceTagging",
				Effect:   Allow,
				Resource: String(ec2("instance/*")),
				Action:   String("ec2:CreateTags"),
				Condition: Condition{
					"StringEquals":         {ownedRes: String("owned")},
					"StringLike":           {nodePoolRes: String("*")},
					"StringEqualsIfExists": {clusterReq: String(c)},
					"ForAllValues:StringEquals": {
						"aws:TagKeys": List("eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"),
					},
				},
			},
			{
				Sid:      "AllowScopedDeletion",
				Effect:   Allow,
				Resource: List(ec2("instance/*"), ec2("launch-template/*")),
				Action:   List("ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"),
				Condition: Condition{
					"StringEquals": {ownedRes: String("owned")},
					"StringLike":   {nodePoolRes: String("*")},
				},
			},
			{
				Sid:      "AllowRegionalReadActions",
				Effect:   Allow,
				Resource: String("*"),
				Action: List(
					"ec2:DescribeCapacityReservations",
					"ec2:DescribeImages",
					"ec2:DescribeInstances",
					"ec2:DescribeInstanceTypeOfferings",
					"ec2:DescribeInstanceTypes",
					"ec2:DescribeLaunchTemplates",
					"ec2:DescribeSecurityGroups",
					"ec2:DescribeSpotPriceHistory",
					"ec2:DescribeSubnets",
				),
				Condition: Condition{"StringEquals": {"aws:RequestedRegion": String(p.Region)}},
			},
			{
				Sid:      "AllowSSMReadActions",
				Effect:   Allow,
				Resource: String("arn:" + p.Partition + ":ssm:" + p.Region + "::parameter/aws/service/*"),
				Action:   String("ssm:GetParameter"),
			},
			{
				Sid:      "AllowPricingReadActions",
				Effect:   Allow,
				Resource: String("*"),
				Action:   String("pricing:GetProducts"),
			},
			{
				Sid:      "AllowInterruptionQueueActions",
				Effect:   Allow,
				Resource: String(QueueARN(p)),
				Action:   List("sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"),
			},
			{
				Sid:      "AllowPassingInstanceRole",
				Effect:   Allow,
				Resource: String(NodeRoleARN(p)),
				Action:   String("iam:PassRole"),
				Condition: Condition{"StringEquals": {
					"iam:PassedToService": List("ec2.amazonaws.com", "ec2.amazonaws.com.cn"),
				}},
			},
			{
				Sid:      "AllowScopedInstanceProfileCreationActions",
				Effect:   Allow,
				Resource: String(instanceProfiles),
				Action:   List("iam:CreateInstanceProfile"),
				Condition: Condition{
					"StringEquals": {
						ownedReq:   String("owned"),
						clusterReq: String(c),
						regionReq:  String(p.Region),
					},
					"StringLike": {nodeClassReq: String("*")},
				},
			},
			{
				Sid:      "AllowScopedInstanceProfileTagActions",
				Effect:   Allow,
				Resource: String(instanceProfiles),
				Action:   List("iam:TagInstanceProfile"),
				Condition: Condition{
					"StringEquals": {
						ownedRes:   String("owned"),
						regionRes:  String(p.Region),
						ownedReq:   String("owned"),
						clusterReq: String(c),
						regionReq:  String(p.Region),
					},
					"StringLike": {
						nodeClassRes: String("*"),
						nodeClassReq: String("*"),
					},
				},
			},
			{
				Sid:      "AllowScopedInstanceProfileActions",
				Effect:   Allow,
				Resource: String(instanceProfiles),
				Action: List(
					"iam:AddRoleToInstanceProfile",
					"iam:RemoveRoleFromInstanceProfile",
					"iam:DeleteInstanceProfile",
				),
				Condition: Condition{
					"StringEquals": {
						ownedRes:  String("owned"),
						regionRes: String(p.Region),
					},
					"StringLike": {nodeClassRes: String("*")},
				},
			},
			{
				Sid:      "AllowInstanceProfileReadActions",
				Effect:   Allow,
				Resource: String(instanceProfiles),
				Action:   String("iam:GetInstanceProfile"),
			},
			{
				Sid:      "AllowAPIServerEndpointDiscovery",
				Effect:   Allow,
				Resource: String(ClusterARN(p)),
				Action:   String("eks:DescribeCluster"),
			},
		},
	}
}

// KarpenterNodeTrustPolicy returns the trust policy of the Karpenter node
// role (KarpenterNodeRole in the same CloudFormation template as
// [KarpenterControllerPolicy]): ec2.amazonaws.com may sts:AssumeRole. The
// template writes the principal as ec2.${AWS::URLSuffix}; this is its value
// outside the China partition.
func KarpenterNodeTrustPolicy() Document {
	return serviceTrust("ec2.amazonaws.com", List("sts:AssumeRole"))
}

// KarpenterNodeManagedPolicies returns the ARNs of the managed policies the
// same template attaches to the Karpenter node role, in its order.
func KarpenterNodeManagedPolicies(partition string) []string {
	return []string{
		ManagedPolicyARN(partition, "AmazonEKS_CNI_Policy"),
		ManagedPolicyARN(partition, "AmazonEKSWorkerNodePolicy"),
		ManagedPolicyARN(partition, "AmazonEC2ContainerRegistryPullOnly"),
		ManagedPolicyARN(partition, "AmazonSSMManagedInstanceCore"),
	}
}

// InterruptionQueuePolicy returns the SQS queue policy of the Karpenter
// interruption queue (KarpenterInterruptionQueuePolicy in the same
// CloudFormation template as [KarpenterControllerPolicy]): EventBridge
// (events.amazonaws.com) and SQS (sqs.amazonaws.com) may send messages to
// the queue, and any access without TLS is denied. The queue is [QueueARN].
// The template gives the document only an Id; Version 2012-10-17 is added
// here (the document uses no policy variables, so it means the same).
func InterruptionQueuePolicy(p Params) Document {
	queue := QueueARN(p)
	return Document{
		Version: Version2012,
		Id:      "EC2InterruptionPolicy",
		Statement: []Statement{
			{
				Effect:    Allow,
				Principal: Principal{Service: List("events.amazonaws.com", "sqs.amazonaws.com")},
				Action:    String("sqs:SendMessage"),
				Resource:  String(queue),
			},
			{
				Sid:       "DenyHTTP",
				Effect:    Deny,
				Principal: Principal{Any: true},
				Action:    String("sqs:*"),
				Resource:  String(queue),
				Condition: Condition{"Bool": {"aws:SecureTransport": String("false")}},
			},
		},
	}
}
