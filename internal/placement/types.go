package placement

// Where a pod runs.
const (
	OnFargate = "fargate"
	OnEC2     = "ec2"
	Nowhere   = "none"
)

// How a pod gets AWS credentials.
const (
	CredPodIdentity = "pod-identity"
	CredIRSA        = "irsa"
	CredNone        = "none"
)

// Volume kinds a workload may mount.
const (
	VolEBS       = "ebs"
	VolEFSDyn    = "efs-dynamic"
	VolEFSStatic = "efs-static"
	VolS3        = "s3"
	VolHostPath  = "hostPath"
	VolOther     = "other"
)

// Requirement is one node requirement of a pod: a nodeSelector entry (In
// with one value) or a required node-affinity expression.
type Requirement struct {
	Key      string   `json:"key"`
	Operator string   `json:"operator"`
	Values   []string `json:"values,omitempty"`
}

// Volume is one volume of a workload and what backs it.
type Volume struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Source names the claim or class it came from, for messages.
	Source string `json:"source,omitempty"`
}

// Workload is what placement needs to know of a pod template.
type Workload struct {
	// Name is Kind/name, e.g. Deployment/karpenter.
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
	// ServiceAccount the pods run as.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// NeedsAWS is true when the pods call AWS APIs with their own role.
	NeedsAWS     bool          `json:"needsAWS,omitempty"`
	Requirements []Requirement `json:"requirements,omitempty"`
	Volumes      []Volume      `json:"volumes,omitempty"`
	Privileged   bool          `json:"privileged,omitempty"`
	HostNetwork  bool          `json:"hostNetwork,omitempty"`
	// CPU and Memory are the pod's effective requests (max of init and sum of
	// containers), in millicores and MiB; zero when none are set.
	CPUMilli  int64 `json:"cpuMilli,omitempty"`
	MemoryMiB int64 `json:"memoryMiB,omitempty"`
}

// FargateMatch names the profile and selector that take a pod.
type FargateMatch struct {
	Profile       string `json:"profile"`
	ProfileIndex  int    `json:"profileIndex"`
	SelectorIndex int    `json:"selectorIndex"`
	// Selector describes it, e.g. "namespace karpenter" or
	// "namespace kube-system, labels fargate=enabled".
	Selector string `json:"selector"`
	// Path is the field path of the selector in the spec.
	Path string `json:"path"`
}

// PoolMatch says whether a NodePool admits a pod and why.
type PoolMatch struct {
	NodePool string `json:"nodePool"`
	Admits   bool   `json:"admits"`
	// Architectures and CapacityTypes the pod may get from this pool.
	Architectures []string `json:"architectures,omitempty"`
	CapacityTypes []string `json:"capacityTypes,omitempty"`
	Reason        string   `json:"reason"`
}

// FargateSize is the rounded Fargate capacity a pod is billed for.
type FargateSize struct {
	VCPU      float64 `json:"vcpu"`
	MemoryGiB float64 `json:"memoryGiB"`
}

// Decision is where a workload runs, how it gets credentials and why.
type Decision struct {
	Workload Workload      `json:"workload"`
	Where    string        `json:"where"`
	Fargate  *FargateMatch `json:"fargate,omitempty"`
	// FargateSize is set when Where is fargate.
	FargateSize *FargateSize `json:"fargateSize,omitempty"`
	// NodePools lists every pool with its verdict when Where is ec2.
	NodePools   []PoolMatch `json:"nodePools,omitempty"`
	Credentials string      `json:"credentials"`
	// Reasons explain the decision, in the order it was made.
	Reasons []string `json:"reasons"`
	// Blockers say why the workload cannot run where it is placed.
	Blockers []string `json:"blockers,omitempty"`
}

// NodePoolNames returns the pools that admit the workload.
func (d Decision) NodePoolNames() []string {
	var out []string
	for _, p := range d.NodePools {
		if p.Admits {
			out = append(out, p.NodePool)
		}
	}
	return out
}
