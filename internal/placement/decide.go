package placement

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/eksenv/eksenv/internal/spec"
)

// Well-known node labels.
const (
	LabelArch         = "kubernetes.io/arch"
	LabelOS           = "kubernetes.io/os"
	LabelZone         = "topology.kubernetes.io/zone"
	LabelCapacityType = "karpenter.sh/capacity-type"
	LabelNodePool     = "karpenter.sh/nodepool"
	LabelCategory     = "karpenter.k8s.aws/instance-category"
	LabelGeneration   = "karpenter.k8s.aws/instance-generation"
	LabelComputeType  = "eks.amazonaws.com/compute-type"
	// LabelFargateProfile on a pod picks one profile when several match.
	LabelFargateProfile = "eks.amazonaws.com/fargate-profile"
)

// Decide places one workload, following the seed's decision flow: a pod that
// a Fargate profile selects runs on Fargate; every other pod is scheduled by
// Karpenter onto EC2 nodes of the NodePools whose requirements admit it.
func Decide(e *spec.Environment, w Workload) Decision {
	d := Decision{Workload: w, Credentials: CredNone}
	if w.Kind == "DaemonSet" {
		d.Reasons = append(d.Reasons, "a DaemonSet runs one pod on every EC2 node; Fargate never runs DaemonSet pods")
	} else if m, more := MatchFargate(e.Spec.Fargate.Profiles, w.Namespace, w.Labels); m != nil {
		d.Where = OnFargate
		d.Fargate = m
		d.Reasons = append(d.Reasons, fmt.Sprintf("Fargate profile %q selects it (%s)", m.Profile, m.Selector))
		if len(more) > 0 {
			d.Reasons = append(d.Reasons, fmt.Sprintf("profiles %s also match; EKS may use any of them unless the pod carries the label %s", strings.Join(more, ", "), LabelFargateProfile))
		}
		d.Blockers = fargateBlockers(w)
		size := RoundFargate(w.CPUMilli, w.MemoryMiB)
		d.FargateSize = &size
		if w.NeedsAWS {
			d.Credentials = CredIRSA
			d.Reasons = append(d.Reasons, "credentials through IRSA: EKS Pod Identity does not work on Fargate")
		}
		return d
	} else {
		d.Reasons = append(d.Reasons, "no Fargate profile selects it, so Karpenter places it on EC2")
	}
	d.Where = OnEC2
	for _, p := range e.Spec.Karpenter.NodePools {
		d.NodePools = append(d.NodePools, admit(e, p, w))
	}
	if len(d.NodePoolNames()) == 0 {
		d.Where = Nowhere
		d.Blockers = append(d.Blockers, "no NodePool admits its node requirements, so its pods would stay Pending")
	}
	for _, v := range w.Volumes {
		if v.Kind == VolEFSStatic || v.Kind == VolOther {
			continue
		}
		d.Reasons = append(d.Reasons, fmt.Sprintf("volume %s (%s) mounts on EC2 nodes", v.Name, v.Kind))
	}
	if w.NeedsAWS {
		d.Credentials = CredPodIdentity
		d.Reasons = append(d.Reasons, "credentials through EKS Pod Identity (the agent runs on every EC2 node)")
	}
	return d
}

// MatchFargate returns the profile selector that takes a pod in namespace ns
// with labels: the first matching profile in spec order, or the one the pod
// names with eks.amazonaws.com/fargate-profile. The other matching
// profiles are returned by name.
func MatchFargate(profiles []spec.FargateProfile, ns string, labels map[string]string) (*FargateMatch, []string) {
	var matches []*FargateMatch
	for i, p := range profiles {
		for j, s := range p.Selectors {
			if selects(s, ns, labels) {
				matches = append(matches, &FargateMatch{Profile: p.Name, ProfileIndex: i, SelectorIndex: j, Selector: describeSelector(s),
					Path: fmt.Sprintf("spec.fargate.profiles[%d].selectors[%d]", i, j)})
				break
			}
		}
	}
	if len(matches) == 0 {
		return nil, nil
	}
	if want := labels[LabelFargateProfile]; want != "" {
		for _, m := range matches {
			if m.Profile == want {
				return m, nil
			}
		}
	}
	var others []string
	for _, m := range matches[1:] {
		others = append(others, m.Profile)
	}
	return matches[0], others
}

func selects(s spec.FargateSelector, ns string, labels map[string]string) bool {
	if ok, _ := path.Match(s.Namespace, ns); !ok {
		return false
	}
	for k, v := range s.Labels {
		got, present := labels[k]
		if !present {
			return false
		}
		if ok, _ := path.Match(v, got); !ok {
			return false
		}
	}
	return true
}

func describeSelector(s spec.FargateSelector) string {
	out := "namespace " + s.Namespace
	if len(s.Labels) > 0 {
		keys := make([]string, 0, len(s.Labels))
		for k := range s.Labels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + s.Labels[k]
		}
		out += ", labels " + strings.Join(parts, ",")
	}
	return out
}

// fargateBlockers lists what Fargate refuses in a workload.
func fargateBlockers(w Workload) []string {
	var out []string
	if w.Privileged {
		out = append(out, "Fargate does not run privileged containers")
	}
	if w.HostNetwork {
		out = append(out, "Fargate does not allow hostNetwork or hostPort")
	}
	for _, r := range w.Requirements {
		if r.Key == LabelArch && r.Operator == "In" && !slices.Contains(r.Values, spec.ArchAMD64) {
			out = append(out, fmt.Sprintf("it requires %s %s, but Fargate on EKS runs only x86-64 (amd64)", LabelArch, strings.Join(r.Values, ",")))
		}
		if r.Key == LabelCapacityType && r.Operator == "In" && !slices.Contains(r.Values, spec.CapacityOnDemand) {
			out = append(out, "it requires Spot capacity, but EKS has no Fargate Spot")
		}
		if r.Key == LabelComputeType && r.Operator == "In" && !slices.Contains(r.Values, OnFargate) {
			out = append(out, fmt.Sprintf("it requires %s %s, which Fargate nodes do not have", LabelComputeType, strings.Join(r.Values, ",")))
		}
	}
	for _, v := range w.Volumes {
		switch v.Kind {
		case VolEBS:
			out = append(out, fmt.Sprintf("volume %s is EBS (%s); Fargate cannot attach EBS volumes", v.Name, v.Source))
		case VolS3:
			out = append(out, fmt.Sprintf("volume %s is a Mountpoint S3 volume (%s); Fargate cannot mount it", v.Name, v.Source))
		case VolEFSDyn:
			out = append(out, fmt.Sprintf("volume %s is a dynamically provisioned EFS volume (%s); Fargate mounts only statically provisioned EFS (an access point and a PV with volumeHandle <fs-id>::<fsap-id>)", v.Name, v.Source))
		case VolHostPath:
			out = append(out, fmt.Sprintf("volume %s is a hostPath; Fargate has no host to share", v.Name))
		}
	}
	return out
}

// admit decides whether NodePool p admits workload w.
func admit(e *spec.Environment, p spec.NodePool, w Workload) PoolMatch {
	m := PoolMatch{NodePool: p.Name, Architectures: slices.Clone(p.Architectures), CapacityTypes: slices.Clone(p.CapacityTypes)}
	zones := p.Zones
	if len(zones) == 0 {
		zones = e.Spec.AvailabilityZones
	}
	offered := map[string][]string{
		LabelArch:         p.Architectures,
		LabelCapacityType: p.CapacityTypes,
		LabelZone:         zones,
		LabelNodePool:     {p.Name},
		LabelOS:           {"linux"},
		LabelCategory:     p.InstanceCategories,
		LabelComputeType:  {OnEC2},
	}
	for k, v := range p.Labels {
		offered[k] = []string{v}
	}
	for _, r := range w.Requirements {
		values, known := offered[r.Key]
		if !known {
			if isInstanceLabel(r.Key) {
				continue
			}
			if r.Operator == "NotIn" || r.Operator == "DoesNotExist" {
				continue
			}
			m.Reason = fmt.Sprintf("it requires the node label %s, which nodes of this pool do not carry", r.Key)
			return m
		}
		left := filter(values, r)
		if len(left) == 0 {
			m.Reason = fmt.Sprintf("it requires %s %s %s; the pool offers %s", r.Key, r.Operator, strings.Join(r.Values, ","), strings.Join(values, ","))
			return m
		}
		switch r.Key {
		case LabelArch:
			m.Architectures = left
		case LabelCapacityType:
			m.CapacityTypes = left
		}
	}
	m.Admits = true
	m.Reason = fmt.Sprintf("admits it: %s, %s", strings.Join(m.Architectures, "/"), strings.Join(m.CapacityTypes, "/"))
	return m
}

// isInstanceLabel reports whether Karpenter derives the node label from the
// instance type, so that any pool may satisfy it depending on the type chosen.
func isInstanceLabel(key string) bool {
	for _, p := range []string{"karpenter.k8s.aws/instance-", "node.kubernetes.io/instance-type", "topology.k8s.aws/"} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// filter keeps the offered values that satisfy the requirement.
func filter(values []string, r Requirement) []string {
	var out []string
	for _, v := range values {
		ok := false
		switch r.Operator {
		case "In":
			ok = slices.Contains(r.Values, v)
		case "NotIn":
			ok = !slices.Contains(r.Values, v)
		case "Exists":
			ok = true
		case "DoesNotExist":
			ok = false
		default: // Gt and Lt make sense only on instance labels.
			ok = true
		}
		if ok {
			out = append(out, v)
		}
	}
	return out
}
