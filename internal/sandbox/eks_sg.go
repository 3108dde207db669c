package sandbox

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// The cluster security group. EKS makes one security group per cluster in
// the cluster's VPC, reports it as resourcesVpcConfig.clusterSecurityGroupId
// and deletes it with the cluster; moto reports none. The proxy creates it
// in moto when CreateCluster succeeds and deletes it on DeleteCluster.

var (
	xmlVpcID   = regexp.MustCompile(`<vpcId>(vpc-[0-9a-f]+)</vpcId>`)
	xmlGroupID = regexp.MustCompile(`<groupId>(sg-[0-9a-f]+)</groupId>`)
)

// ec2Query calls moto's EC2 API with the caller's credential scope turned to
// ec2 (so moto picks the same region and account) and returns the XML body.
func (p *proxy) ec2Query(q *eksReq, params url.Values) (string, error) {
	r := q.r.Clone(q.ctx)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/eks/aws4_request", "/ec2/aws4_request", 1))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Del("X-Amz-Target")
	params.Set("Version", "2016-11-15")
	m, err := p.motoDo(q.ctx, r, "POST", "/", "", "", []byte(params.Encode()))
	if err != nil {
		return "", err
	}
	if !m.ok() {
		return "", fmt.Errorf("sandbox: EC2 %s: HTTP %d: %s", params.Get("Action"), m.status, m.body)
	}
	return string(m.body), nil
}

// createClusterSG makes the cluster's security group in the VPC of its first
// subnet. Subnets moto does not know (tests of the EKS APIs alone) leave the
// cluster without one, as before.
func (p *proxy) createClusterSG(q *eksReq, c *clusterRec, subnets []string) {
	if len(subnets) == 0 {
		return
	}
	body, err := p.ec2Query(q, url.Values{"Action": {"DescribeSubnets"}, "SubnetId.1": {subnets[0]}})
	if err != nil {
		p.logf("sandbox: cluster %s: no security group (its subnet %s is unknown): %v", c.name, subnets[0], err)
		return
	}
	m := xmlVpcID.FindStringSubmatch(body)
	if m == nil {
		return
	}
	c.vpcID = m[1]
	body, err = p.ec2Query(q, url.Values{
		"Action": {"CreateSecurityGroup"}, "GroupName": {"eks-cluster-sg-" + c.name + "-" + randomID(8)},
		"GroupDescription":                {"EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads."},
		"VpcId":                           {c.vpcID},
		"TagSpecification.1.ResourceType": {"security-group"},
		"TagSpecification.1.Tag.1.Key":    {"kubernetes.io/cluster/" + c.name},
		"TagSpecification.1.Tag.1.Value":  {"owned"},
	})
	if err != nil {
		p.logf("sandbox: cluster %s: create its security group: %v", c.name, err)
		return
	}
	if g := xmlGroupID.FindStringSubmatch(body); g != nil {
		c.securityGroup = g[1]
	}
}

// deleteClusterSG removes the cluster's security group, as EKS does.
func (p *proxy) deleteClusterSG(q *eksReq, c *clusterRec) {
	if c.securityGroup == "" {
		return
	}
	if _, err := p.ec2Query(q, url.Values{"Action": {"DeleteSecurityGroup"}, "GroupId": {c.securityGroup}}); err != nil {
		p.logf("sandbox: cluster %s: delete its security group %s: %v", c.name, c.securityGroup, err)
	}
}

// decorateVPC reports the security group and VPC in resourcesVpcConfig.
func decorateVPC(obj map[string]any, c *clusterRec) {
	if c.securityGroup == "" {
		return
	}
	cfg, _ := obj["resourcesVpcConfig"].(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
		obj["resourcesVpcConfig"] = cfg
	}
	cfg["clusterSecurityGroupId"] = c.securityGroup
	cfg["vpcId"] = c.vpcID
}
