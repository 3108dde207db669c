package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/spec"
)

// storageResources returns the storage the spec enables: the EFS file
// system with its security group, a mount target per private subnet and
// Portainer's access point; the S3 bucket.
func storageResources(c *Cloud) []infra.Resource {
	st := c.Env.Spec.Storage
	var out []infra.Resource
	if st.EFS.IsEnabled() {
		out = append(out, &efsSGResource{c: c, api: c.C.EC2}, &fileSystemResource{c: c, api: c.C.EFS})
		out = append(out, mountTargets(c)...)
		if p := c.Env.Spec.Portainer; p.IsEnabled() && p.Storage == spec.PortainerStorageEFS {
			out = append(out, &accessPointResource{c: c, api: c.C.EFS})
		}
	}
	if st.S3.IsEnabled() {
		out = append(out, &bucketResource{c: c, api: c.C.S3})
	}
	return out
}

// efsSGAPI is what the EFS security group resource calls.
type efsSGAPI interface {
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	CreateSecurityGroup(context.Context, *ec2.CreateSecurityGroupInput, ...func(*ec2.Options)) (*ec2.CreateSecurityGroupOutput, error)
	AuthorizeSecurityGroupIngress(context.Context, *ec2.AuthorizeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.AuthorizeSecurityGroupIngressOutput, error)
	RevokeSecurityGroupIngress(context.Context, *ec2.RevokeSecurityGroupIngressInput, ...func(*ec2.Options)) (*ec2.RevokeSecurityGroupIngressOutput, error)
	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteSecurityGroup(context.Context, *ec2.DeleteSecurityGroupInput, ...func(*ec2.Options)) (*ec2.DeleteSecurityGroupOutput, error)
}

// nfsPort is the port EFS mount targets serve NFS on.
const nfsPort = 2049

// efsSGResource is the security group of the mount targets: NFS from
// anywhere in the VPC.
type efsSGResource struct {
	c   *Cloud
	api efsSGAPI
}

func (r *efsSGResource) Key() infra.Key { return KeyEFSSG }

func (r *efsSGResource) Describe() string {
	return "security group " + r.name() + " (NFS to the EFS mount targets)"
}

func (r *efsSGResource) Deps() []infra.Key { return []infra.Key{KeyVPC} }

func (r *efsSGResource) name() string { return r.c.Names().EFSSecurityGroup }

// find returns the environment's group, or (foreign) a same-named group of
// the VPC without the owner tag.
func (r *efsSGResource) find(ctx context.Context, s *infra.State) (sg *ec2types.SecurityGroup, foreign bool, err error) {
	out, err := r.api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: r.c.ownedFilters(KeyEFSSG)})
	if err != nil {
		return nil, false, fmt.Errorf("find security group %s: %w", r.name(), err)
	}
	if len(out.SecurityGroups) > 0 {
		return &out.SecurityGroups[0], false, nil
	}
	vpc := s.Output(KeyVPC, "id")
	if vpc == "" {
		return nil, false, nil
	}
	out, err = r.api.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{Filters: []ec2types.Filter{
		{Name: sdk.String("vpc-id"), Values: []string{vpc}},
		{Name: sdk.String("group-name"), Values: []string{r.name()}},
	}})
	if err != nil {
		return nil, false, fmt.Errorf("find security group %s: %w", r.name(), err)
	}
	if len(out.SecurityGroups) > 0 {
		return &out.SecurityGroups[0], true, nil
	}
	return nil, false, nil
}

// nfsRule is the ingress rule the group needs.
func nfsRule(cidr string) ec2types.IpPermission {
	return ec2types.IpPermission{
		IpProtocol: sdk.String("tcp"), FromPort: sdk.Int32(nfsPort), ToPort: sdk.Int32(nfsPort),
		IpRanges: []ec2types.IpRange{{CidrIp: sdk.String(cidr), Description: sdk.String("NFS from the VPC")}},
	}
}

// ingressDiff says whether the NFS rule from cidr is present and which
// other ingress permissions the group has.
func ingressDiff(sg *ec2types.SecurityGroup, cidr string) (present bool, extra []ec2types.IpPermission) {
	for _, p := range sg.IpPermissions {
		nfs := sdk.ToString(p.IpProtocol) == "tcp" && sdk.ToInt32(p.FromPort) == nfsPort && sdk.ToInt32(p.ToPort) == nfsPort
		rest := p
		rest.IpRanges = nil
		for _, rg := range p.IpRanges {
			if nfs && sdk.ToString(rg.CidrIp) == cidr {
				present = true
				continue
			}
			rest.IpRanges = append(rest.IpRanges, rg)
		}
		if len(rest.IpRanges) > 0 || len(rest.Ipv6Ranges) > 0 || len(rest.PrefixListIds) > 0 || len(rest.UserIdGroupPairs) > 0 {
			extra = append(extra, rest)
		}
	}
	return present, extra
}

func (r *efsSGResource) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	sg, foreign, err := r.find(ctx, s)
	if err != nil || sg == nil {
		return infra.Observation{}, err
	}
	id := sdk.ToString(sg.GroupId)
	obs := infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}
	if foreign {
		obs.Foreign = r.c.notOwnedMessage("a security group", r.name()+" ("+id+")")
		return obs, nil
	}
	if cidr := s.Output(KeyVPC, "cidr"); cidr != "" {
		present, extra := ingressDiff(sg, cidr)
		if !present {
			obs.Changes = append(obs.Changes, fmt.Sprintf("no ingress rule for NFS (TCP %d) from %s", nfsPort, cidr))
		}
		if len(extra) > 0 {
			obs.Changes = append(obs.Changes, fmt.Sprintf("%d unexpected ingress rules", len(extra)))
		}
	}
	if ch := tagsChange(missingTags(r.c.Tags(nil), fromEC2Tags(sg.Tags))); ch != "" {
		obs.Changes = append(obs.Changes, ch)
	}
	return obs, nil
}

func (r *efsSGResource) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	vpc, cidr := s.Output(KeyVPC, "id"), s.Output(KeyVPC, "cidr")
	if vpc == "" || cidr == "" {
		return cur, fmt.Errorf("the VPC's id and CIDR are not known yet")
	}
	id := cur.ID
	if !cur.Exists {
		out, err := r.api.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{
			GroupName:         sdk.String(r.name()),
			Description:       sdk.String("EFS mount targets of " + r.c.Env.Metadata.Name + ": NFS from the VPC"),
			VpcId:             sdk.String(vpc),
			TagSpecifications: r.c.ec2TagSpec(ec2types.ResourceTypeSecurityGroup, KeyEFSSG, r.name(), nil),
		})
		if err != nil {
			return cur, fmt.Errorf("create security group %s: %w", r.name(), err)
		}
		id = sdk.ToString(out.GroupId)
	}
	sg, _, err := r.find(ctx, s)
	if err != nil {
		return cur, err
	}
	if sg == nil {
		// Just created and not visible yet: EC2 is eventually consistent.
		sg = &ec2types.SecurityGroup{GroupId: sdk.String(id)}
	}
	present, extra := ingressDiff(sg, cidr)
	if len(extra) > 0 {
		if _, err := r.api.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{GroupId: sdk.String(id), IpPermissions: extra}); err != nil && ErrorCode(err) != "InvalidPermission.NotFound" {
			return cur, fmt.Errorf("revoke unexpected ingress of security group %s: %w", r.name(), err)
		}
	}
	if !present {
		if _, err := r.api.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{
			GroupId: sdk.String(id), IpPermissions: []ec2types.IpPermission{nfsRule(cidr)},
		}); err != nil && ErrorCode(err) != "InvalidPermission.Duplicate" {
			return cur, fmt.Errorf("allow NFS into security group %s: %w", r.name(), err)
		}
	}
	want := r.c.Tags(map[string]string{ResourceTagKey: string(KeyEFSSG), "Name": r.name()})
	if missing := missingTags(want, fromEC2Tags(sg.Tags)); cur.Exists && len(missing) > 0 {
		if _, err := r.api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(missing)}); err != nil {
			return cur, fmt.Errorf("tag security group %s: %w", r.name(), err)
		}
	}
	return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}, nil
}

// Delete removes the group; it fails with DependencyViolation (retried)
// while the mount targets' network interfaces are being released.
func (r *efsSGResource) Delete(ctx context.Context, s *infra.State, cur infra.Observation) error {
	if _, err := r.api.DeleteSecurityGroup(ctx, &ec2.DeleteSecurityGroupInput{GroupId: sdk.String(cur.ID)}); err != nil && !notFound(err) {
		return fmt.Errorf("delete security group %s: %w", r.name(), err)
	}
	return nil
}
