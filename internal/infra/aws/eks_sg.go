package aws

import (
	"context"
	"fmt"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/render"
)

type sgTagAPI interface {
	DescribeSecurityGroups(context.Context, *ec2.DescribeSecurityGroupsInput, ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
	CreateTags(context.Context, *ec2.CreateTagsInput, ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(context.Context, *ec2.DeleteTagsInput, ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
}

// clusterSGTags puts Karpenter's discovery tag on the security group EKS
// made for the cluster, so the EC2NodeClasses find it. The group belongs
// to EKS (it goes with the cluster); eksenv only adds and removes its tag.
type clusterSGTags struct{ c *Cloud }

func (r *clusterSGTags) Key() infra.Key    { return KeyClusterSG }
func (r *clusterSGTags) Deps() []infra.Key { return []infra.Key{KeyCluster} }
func (r *clusterSGTags) Describe() string {
	return fmt.Sprintf("tag %s=%s on the cluster security group", render.DiscoveryTagKey, r.c.Env.Metadata.Name)
}
func (r *clusterSGTags) api() sgTagAPI { return r.c.C.EC2 }

func (r *clusterSGTags) Observe(ctx context.Context, s *infra.State) (infra.Observation, error) {
	id := s.Output(KeyCluster, OutClusterSG)
	if id == "" {
		return infra.Observation{}, nil
	}
	out, err := r.api().DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if notFound(err) {
		return infra.Observation{}, nil
	}
	if err != nil {
		return infra.Observation{}, err
	}
	if len(out.SecurityGroups) == 0 || fromEC2Tags(out.SecurityGroups[0].Tags)[render.DiscoveryTagKey] != r.c.Env.Metadata.Name {
		return infra.Observation{}, nil
	}
	return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}, nil
}

func (r *clusterSGTags) Apply(ctx context.Context, s *infra.State, cur infra.Observation) (infra.Observation, error) {
	id := s.Output(KeyCluster, OutClusterSG)
	if id == "" {
		return cur, fmt.Errorf("the cluster reports no security group yet")
	}
	_, err := r.api().CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{id}, Tags: ec2Tags(map[string]string{render.DiscoveryTagKey: r.c.Env.Metadata.Name})})
	if err != nil {
		return cur, err
	}
	return infra.Observation{Exists: true, ID: id, Outputs: map[string]string{"id": id}}, nil
}

func (r *clusterSGTags) Delete(ctx context.Context, _ *infra.State, cur infra.Observation) error {
	_, err := r.api().DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: []string{cur.ID}, Tags: []ec2types.Tag{{Key: sdk.String(render.DiscoveryTagKey)}}})
	if notFound(err) {
		return nil
	}
	return err
}
