package iam

// LoadBalancerControllerPolicy returns the IAM policy of the AWS Load
// Balancer Controller v2.13.4 for the "aws" partition: docs/install/iam_policy.json
// in kubernetes-sigs/aws-load-balancer-controller at tag v2.13.4
// (commit aefed36aa30528e35a73281a5dc131ed26caa0f4), statement by statement,
// with the same actions, resources and conditions. Only the order of the
// condition operators differs from the file (ours are sorted).
func LoadBalancerControllerPolicy() Document {
	return LoadBalancerControllerPolicyFor("aws")
}

// LoadBalancerControllerPolicyFor returns [LoadBalancerControllerPolicy]
// with its ARNs in the given partition. Upstream's iam_policy_cn.json and
// iam_policy_us-gov.json at v2.13.4 hold the same statements with the
// partition replaced (one statement sits at another position).
func LoadBalancerControllerPolicyFor(partition string) Document {
	ec2 := func(res string) string { return "arn:" + partition + ":ec2:*:*:" + res }
	elb := func(res string) string { return "arn:" + partition + ":elasticloadbalancing:*:*:" + res }
	// Conditions are built afresh for each statement so that no two
	// statements share a map.
	clusterTagged := func() Condition {
		return Condition{"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": String("false")}}
	}
	requestTagged := func() Condition {
		return Condition{"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": String("false")}}
	}
	untaggedRequestOnTagged := func() Condition {
		return Condition{"Null": {
			"aws:RequestTag/elbv2.k8s.aws/cluster":  String("true"),
			"aws:ResourceTag/elbv2.k8s.aws/cluster": String("false"),
		}}
	}
	lbResources := List(
		elb("targetgroup/*/*"),
		elb("loadbalancer/net/*/*"),
		elb("loadbalancer/app/*/*"),
	)
	return Document{
		Version: Version2012,
		Statement: []Statement{
			{
				Effect:   Allow,
				Action:   List("iam:CreateServiceLinkedRole"),
				Resource: String("*"),
				Condition: Condition{"StringEquals": {
					"iam:AWSServiceName": String("elasticloadbalancing.amazonaws.com"),
				}},
			},
			{
				Effect: Allow,
				Action: List(
					"ec2:DescribeAccountAttributes",
					"ec2:DescribeAddresses",
					"ec2:DescribeAvailabilityZones",
					"ec2:DescribeInternetGateways",
					"ec2:DescribeVpcs",
					"ec2:DescribeVpcPeeringConnections",
					"ec2:DescribeSubnets",
					"ec2:DescribeSecurityGroups",
					"ec2:DescribeInstances",
					"ec2:DescribeNetworkInterfaces",
					"ec2:DescribeTags",
					"ec2:GetCoipPoolUsage",
					"ec2:DescribeCoipPools",
					"ec2:GetSecurityGroupsForVpc",
					"ec2:DescribeIpamPools",
					"ec2:DescribeRouteTables",
					"elasticloadbalancing:DescribeLoadBalancers",
					"elasticloadbalancing:DescribeLoadBalancerAttributes",
					"elasticloadbalancing:DescribeListeners",
					"elasticloadbalancing:DescribeListenerCertificates",
					"elasticloadbalancing:DescribeSSLPolicies",
					"elasticloadbalancing:DescribeRules",
					"elasticloadbalancing:DescribeTargetGroups",
					"elasticloadbalancing:DescribeTargetGroupAttributes",
					"elasticloadbalancing:DescribeTargetHealth",
					"elasticloadbalancing:DescribeTags",
					"elasticloadbalancing:DescribeTrustStores",
					"elasticloadbalancing:DescribeListenerAttributes",
					"elasticloadbalancing:DescribeCapacityReservation",
				),
				Resource: String("*"),
			},
			{
				Effect: Allow,
				Action: List(
					"cognito-idp:DescribeUserPoolClient",
					"acm:ListCertificates",
					"acm:DescribeCertificate",
					"iam:ListServerCertificates",
					"iam:GetServerCertificate",
					"waf-regional:GetWebACL",
					"waf-regional:GetWebACLForResource",
					"waf-regional:AssociateWebACL",
					"waf-regional:DisassociateWebACL",
					"wafv2:GetWebACL",
					"wafv2:GetWebACLForResource",
					"wafv2:AssociateWebACL",
					"wafv2:DisassociateWebACL",
					"shield:GetSubscriptionState",
					"shield:DescribeProtection",
					"shield:CreateProtection",
					"shield:DeleteProtection",
				),
				Resource: String("*"),
			},
			{
				Effect: Allow,
				Action: List(
					"ec2:AuthorizeSecurityGroupIngress",
					"ec2:RevokeSecurityGroupIngress",
				),
				Resource: String("*"),
			},
			{
				Effect:   Allow,
				Action:   List("ec2:CreateSecurityGroup"),
				Resource: String("*"),
			},
			{
				Effect:   Allow,
				Action:   List("ec2:CreateTags"),
				Resource: String(ec2("security-group/*")),
				Condition: Condition{
					"StringEquals": {"ec2:CreateAction": String("CreateSecurityGroup")},
					"Null":         {"aws:RequestTag/elbv2.k8s.aws/cluster": String("false")},
				},
			},
			{
				Effect:    Allow,
				Action:    List("ec2:CreateTags", "ec2:DeleteTags"),
				Resource:  String(ec2("security-group/*")),
				Condition: untaggedRequestOnTagged(),
			},
			{
				Effect: Allow,
				Action: List(
					"ec2:AuthorizeSecurityGroupIngress",
					"ec2:RevokeSecurityGroupIngress",
					"ec2:DeleteSecurityGroup",
				),
				Resource:  String("*"),
				Condition: clusterTagged(),
			},
			{
				Effect: Allow,
				Action: List(
					"elasticloadbalancing:CreateLoadBalancer",
					"elasticloadbalancing:CreateTargetGroup",
				),
				Resource:  String("*"),
				Condition: requestTagged(),
			},
			{
				Effect: Allow,
				Action: List(
					"elasticloadbalancing:CreateListener",
					"elasticloadbalancing:DeleteListener",
					"elasticloadbalancing:CreateRule",
					"elasticloadbalancing:DeleteRule",
				),
				Resource: String("*"),
			},
			{
				Effect: Allow,
				Action: List(
					"elasticloadbalancing:AddTags",
					"elasticloadbalancing:RemoveTags",
				),
				Resource:  lbResources,
				Condition: untaggedRequestOnTagged(),
			},
			{
				Effect: Allow,
				Action: List(
					"elasticloadbalancing:AddTags",
					"elasticloadbalancing:RemoveTags",
				),
				Resource: List(
					elb("listener/net/*/*/*"),
					elb("listener/app/*/*/*"),
					elb("listener-rule/net/*/*/*"),
					elb("listener-rule/app/*/*/*"),
				),
			},
			{
				Effect: Allow,
				Action: List(
					"elasticloadbalancing:ModifyLoadBalancerAttributes",
					"elasticloadbalancing:SetIpAddressType",
					"elasticloadbalancing:SetSecurityGroups",
					"elasticloadbalancing:SetSubnets",
					"elasticloadbalancing:DeleteLoadBalancer",
					"elasticloadbalancing:ModifyTargetGroup",
					"elasticloadbalancing:ModifyTargetGroupAttributes",
					"elasticloadbalancing:DeleteTargetGroup",
					"elasticloadbalancing:ModifyListenerAttributes",
					"elasticloadbalancing:ModifyCapacityReservation",
					"elasticloadbalancing:ModifyIpPools",
				),
				Resource:  String("*"),
				Condition: clusterTagged(),
			},
			{
				Effect:   Allow,
				Action:   List("elasticloadbalancing:AddTags"),
				Resource: lbResources,
				Condition: Condition{
					"StringEquals": {"elasticloadbalancing:CreateAction": List("CreateTargetGroup", "CreateLoadBalancer")},
					"Null":         {"aws:RequestTag/elbv2.k8s.aws/cluster": String("false")},
				},
			},
			{
				Effect: Allow,
				Action: List(
					"elasticloadbalancing:RegisterTargets",
					"elasticloadbalancing:DeregisterTargets",
				),
				Resource: String(elb("targetgroup/*/*")),
			},
			{
				Effect: Allow,
				Action: List(
					"elasticloadbalancing:SetWebAcl",
					"elasticloadbalancing:ModifyListener",
					"elasticloadbalancing:AddListenerCertificates",
					"elasticloadbalancing:RemoveListenerCertificates",
					"elasticloadbalancing:ModifyRule",
					"elasticloadbalancing:SetRulePriorities",
				),
				Resource: String("*"),
			},
		},
	}
}
