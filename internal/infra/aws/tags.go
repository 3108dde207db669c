package aws

import (
	"sort"

	sdk "github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/eksenv/eksenv/internal/infra"
	"github.com/eksenv/eksenv/internal/spec"
)

// ResourceTagKey names the graph key of an EC2 resource, which has no unique
// name of its own: with the owner tag it finds the resource again.
const ResourceTagKey = "eksenv.dev/resource"

// Tags returns the tags of a resource: the user's, the owner tag, and extra.
func (c *Cloud) Tags(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range c.Env.Spec.Tags {
		out[k] = v
	}
	out[spec.OwnerTagKey] = c.Env.Metadata.Name
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// Owned reports whether tags carry this environment's owner tag.
func (c *Cloud) Owned(tags map[string]string) bool {
	return tags[spec.OwnerTagKey] == c.Env.Metadata.Name
}

// ec2Tags converts tags for EC2, sorted by key.
func ec2Tags(m map[string]string) []ec2types.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]ec2types.Tag, 0, len(m))
	for _, k := range keys {
		out = append(out, ec2types.Tag{Key: sdk.String(k), Value: sdk.String(m[k])})
	}
	return out
}

// fromEC2Tags converts EC2 tags to a map.
func fromEC2Tags(ts []ec2types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[sdk.ToString(t.Key)] = sdk.ToString(t.Value)
	}
	return m
}

// ec2TagSpec tags an EC2 resource at creation with the owner tag, its key
// and Name.
func (c *Cloud) ec2TagSpec(rt ec2types.ResourceType, k infra.Key, name string, extra map[string]string) []ec2types.TagSpecification {
	tags := c.Tags(extra)
	tags[ResourceTagKey] = string(k)
	tags["Name"] = name
	return []ec2types.TagSpecification{{ResourceType: rt, Tags: ec2Tags(tags)}}
}

// ownedFilters find EC2 resources of this environment with the given key.
func (c *Cloud) ownedFilters(k infra.Key) []ec2types.Filter {
	return []ec2types.Filter{
		{Name: sdk.String("tag:" + spec.OwnerTagKey), Values: []string{c.Env.Metadata.Name}},
		{Name: sdk.String("tag:" + ResourceTagKey), Values: []string{string(k)}},
	}
}

// missingTags lists the desired tags absent or different in have.
func missingTags(want, have map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range want {
		if have[k] != v {
			out[k] = v
		}
	}
	return out
}
