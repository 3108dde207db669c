package render

import (
	"fmt"
	"strconv"

	karpawsv1 "github.com/aws/karpenter-provider-aws/pkg/apis/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	karpv1 "sigs.k8s.io/karpenter/pkg/apis/v1"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

// API groups of the Karpenter objects.
const (
	NodePoolGroup  = "karpenter.sh"
	NodeClassGroup = "karpenter.k8s.aws"
)

// DiscoveryTagKey tags the subnets and security groups Karpenter launches into.
const DiscoveryTagKey = "karpenter.sh/discovery"

// NodePoolManifests returns karpenter/nodepool-<pool>.yaml for each pool:
// the EC2NodeClass and the NodePool, built from the Karpenter API types.
func NodePoolManifests(e *spec.Environment) ([]Manifest, error) {
	var out []Manifest
	for _, p := range e.Spec.Karpenter.NodePools {
		np, err := NodePool(e, p)
		if err != nil {
			return nil, err
		}
		out = append(out, Manifest{
			Path:    "karpenter/nodepool-" + p.Name + ".yaml",
			Objects: []runtime.Object{EC2NodeClass(e, p), np},
		})
	}
	return out, nil
}

// ownerLabels are the labels on every object eksenv renders.
func ownerLabels(e *spec.Environment) map[string]string {
	return map[string]string{"app.kubernetes.io/managed-by": "eksenv", spec.OwnerTagKey: e.Metadata.Name}
}

// EC2NodeClass is the node class of one pool: the environment's node role,
// AMI alias, the discovery-tagged subnets and security group, IMDSv2 only
// and an encrypted gp3 root volume.
func EC2NodeClass(e *spec.Environment, p spec.NodePool) *karpawsv1.EC2NodeClass {
	name := e.Metadata.Name
	tags := map[string]string{spec.OwnerTagKey: name}
	for k, v := range e.Spec.Tags {
		tags[k] = v
	}
	discovery := map[string]string{DiscoveryTagKey: name}
	return &karpawsv1.EC2NodeClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: NodeClassGroup + "/v1", Kind: "EC2NodeClass"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: ownerLabels(e)},
		Spec: karpawsv1.EC2NodeClassSpec{
			Role:                       e.Names().KarpenterNodeRole,
			AMISelectorTerms:           []karpawsv1.AMISelectorTerm{{Alias: e.Spec.Karpenter.AMIAlias}},
			SubnetSelectorTerms:        []karpawsv1.SubnetSelectorTerm{{Tags: discovery}},
			SecurityGroupSelectorTerms: []karpawsv1.SecurityGroupSelectorTerm{{Tags: discovery}},
			Tags:                       tags,
			MetadataOptions: &karpawsv1.MetadataOptions{
				HTTPEndpoint:            ptr("enabled"),
				HTTPProtocolIPv6:        ptr("disabled"),
				HTTPPutResponseHopLimit: ptr(int64(1)),
				HTTPTokens:              ptr("required"),
			},
			BlockDeviceMappings: []*karpawsv1.BlockDeviceMapping{{
				DeviceName: ptr("/dev/xvda"),
				RootVolume: true,
				EBS: &karpawsv1.BlockDevice{
					VolumeSize:          resource.NewQuantity(20<<30, resource.BinarySI),
					VolumeType:          ptr("gp3"),
					Encrypted:           ptr(true),
					DeleteOnTermination: ptr(true),
				},
			}},
		},
	}
}

// NodePool is one Karpenter NodePool: architectures, capacity types,
// instance categories and generations, zones, limits and disruption.
func NodePool(e *spec.Environment, p spec.NodePool) (*karpv1.NodePool, error) {
	zones := p.Zones
	if len(zones) == 0 {
		zones = e.Spec.AvailabilityZones
	}
	req := func(key string, op corev1.NodeSelectorOperator, values ...string) karpv1.NodeSelectorRequirementWithMinValues {
		return karpv1.NodeSelectorRequirementWithMinValues{NodeSelectorRequirement: corev1.NodeSelectorRequirement{Key: key, Operator: op, Values: values}}
	}
	reqs := []karpv1.NodeSelectorRequirementWithMinValues{
		req(placement.LabelArch, corev1.NodeSelectorOpIn, p.Architectures...),
		req(placement.LabelOS, corev1.NodeSelectorOpIn, "linux"),
		req(placement.LabelCapacityType, corev1.NodeSelectorOpIn, p.CapacityTypes...),
		req(placement.LabelCategory, corev1.NodeSelectorOpIn, p.InstanceCategories...),
		req(placement.LabelGeneration, corev1.NodeSelectorOpGt, strconv.Itoa(p.MinInstanceGeneration-1)),
		req(placement.LabelZone, corev1.NodeSelectorOpIn, zones...),
	}
	expire, err := duration(p.Disruption.ExpireAfter)
	if err != nil {
		return nil, fmt.Errorf("nodePool %s: expireAfter: %w", p.Name, err)
	}
	consolidate, err := duration(p.Disruption.ConsolidateAfter)
	if err != nil {
		return nil, fmt.Errorf("nodePool %s: consolidateAfter: %w", p.Name, err)
	}
	cpu, err := resource.ParseQuantity(p.Limits.CPU)
	if err != nil {
		return nil, fmt.Errorf("nodePool %s: limits.cpu: %w", p.Name, err)
	}
	mem, err := resource.ParseQuantity(p.Limits.Memory)
	if err != nil {
		return nil, fmt.Errorf("nodePool %s: limits.memory: %w", p.Name, err)
	}
	labels := map[string]string{spec.OwnerTagKey: e.Metadata.Name}
	for k, v := range p.Labels {
		labels[k] = v
	}
	np := &karpv1.NodePool{
		TypeMeta:   metav1.TypeMeta{APIVersion: NodePoolGroup + "/v1", Kind: "NodePool"},
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Labels: ownerLabels(e)},
		Spec: karpv1.NodePoolSpec{
			Template: karpv1.NodeClaimTemplate{
				ObjectMeta: karpv1.ObjectMeta{Labels: labels},
				Spec: karpv1.NodeClaimTemplateSpec{
					Requirements: reqs,
					NodeClassRef: &karpv1.NodeClassReference{Group: NodeClassGroup, Kind: "EC2NodeClass", Name: p.Name},
					ExpireAfter:  expire,
				},
			},
			Disruption: karpv1.Disruption{
				ConsolidationPolicy: karpv1.ConsolidationPolicy(p.Disruption.ConsolidationPolicy),
				ConsolidateAfter:    consolidate,
				Budgets:             []karpv1.Budget{{Nodes: p.Disruption.Budget}},
			},
			Limits: karpv1.Limits{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem},
		},
	}
	if p.Weight > 0 {
		np.Spec.Weight = ptr(int32(p.Weight))
	}
	return np, nil
}

// duration parses a Karpenter duration ("720h", "1m", "Never").
func duration(s string) (karpv1.NillableDuration, error) {
	var d karpv1.NillableDuration
	if err := d.UnmarshalJSON([]byte(strconv.Quote(s))); err != nil {
		return d, fmt.Errorf("%q: %w", s, err)
	}
	return d, nil
}

func ptr[T any](v T) *T { return &v }
