package spec

// APIVersion and Kind identify an eksenv environment file.
const (
	APIVersion = "eksenv.dev/v1alpha1"
	Kind       = "Environment"
)

// Environment is the whole declarative description of one EKS environment.
// It is the only source of truth: every AWS resource, Kubernetes object, Helm
// value and exported file is derived from it.
type Environment struct {
	// APIVersion must be eksenv.dev/v1alpha1.
	APIVersion string `json:"apiVersion"`
	// Kind must be Environment.
	Kind string `json:"kind"`
	// Metadata names the environment.
	Metadata Metadata `json:"metadata"`
	// Spec describes the environment.
	Spec Spec `json:"spec"`
}

// Metadata names the environment.
type Metadata struct {
	// Name is the EKS cluster name and the base of every derived name (IAM
	// roles, queue, bucket, security groups). Lower-case letters, digits and
	// hyphens, starting with a letter and not ending with a hyphen; at most
	// 35 characters, so that every derived IAM role name fits.
	Name string `json:"name"`
}

// Spec is the desired state of the environment.
type Spec struct {
	// Region is the AWS region, for example us-west-2.
	Region string `json:"region"`
	// KubernetesVersion is the EKS minor version, for example "1.33".
	KubernetesVersion string `json:"kubernetesVersion"`
	// AvailabilityZones lists the zones to spread subnets and nodes over.
	// Empty means the first three zones of the region.
	AvailabilityZones []string `json:"availabilityZones"`
	// Network describes the VPC: a new one, or an existing one.
	Network Network `json:"network"`
	// Fargate lists the Fargate profiles that host the system components.
	Fargate Fargate `json:"fargate"`
	// Karpenter configures the EC2 data plane.
	Karpenter Karpenter `json:"karpenter"`
	// Addons pins EKS add-on versions; an add-on not listed uses the default
	// version for the Kubernetes version.
	Addons []Addon `json:"addons"`
	// Storage configures EBS, EFS and S3 storage.
	Storage Storage `json:"storage"`
	// LoadBalancerController configures the AWS Load Balancer Controller.
	LoadBalancerController LoadBalancerController `json:"loadBalancerController"`
	// Portainer configures the Portainer CE web UI.
	Portainer Portainer `json:"portainer"`
	// Access gives IAM principals access to the cluster, so that the EKS
	// console shows cluster resources to them.
	Access Access `json:"access"`
	// Tags are added to every AWS resource eksenv creates, beside
	// eksenv.dev/environment.
	Tags map[string]string `json:"tags"`
}

// NAT gateway modes.
const (
	NATSingle  = "single"
	NATPerZone = "perZone"
	NATNone    = "none"
)

// Network describes the VPC.
type Network struct {
	// VPCCIDR is the address range of a new VPC. Ignored with existingVPC.
	VPCCIDR string `json:"vpcCIDR"`
	// NATGateways is single (one NAT gateway, cheapest), perZone (one per
	// zone, survives a zone outage) or none (private subnets without
	// internet access; images must come through VPC endpoints).
	NATGateways string `json:"natGateways"`
	// ExistingVPC uses a VPC and subnets that already exist; eksenv then only
	// adds the discovery tags to the subnets and never deletes them.
	ExistingVPC *ExistingVPC `json:"existingVPC,omitempty"`
}

// ExistingVPC names a VPC and subnets that eksenv uses but does not own.
type ExistingVPC struct {
	// VPCID is the id of the VPC, for example vpc-0123abcd.
	VPCID string `json:"vpcID"`
	// PrivateSubnetIDs host the nodes and Fargate pods; at least two zones.
	PrivateSubnetIDs []string `json:"privateSubnetIDs"`
	// PublicSubnetIDs host internet-facing load balancers.
	PublicSubnetIDs []string `json:"publicSubnetIDs"`
}

// Fargate lists the Fargate profiles.
type Fargate struct {
	// Profiles are created one at a time, in this order. A pod runs on
	// Fargate when a selector of a profile matches it. Left out, the default
	// system profile is used; an empty list means no Fargate at all.
	Profiles []FargateProfile `json:"profiles"`
}

// FargateProfile is one EKS Fargate profile.
type FargateProfile struct {
	// Name of the profile, unique in the environment.
	Name string `json:"name"`
	// Selectors, at most five; a pod matches when its namespace matches and
	// it carries every label of one selector.
	Selectors []FargateSelector `json:"selectors"`
}

// FargateSelector selects pods by namespace and labels.
type FargateSelector struct {
	// Namespace of the pods; * and ? are wildcards.
	Namespace string `json:"namespace"`
	// Labels the pod must all carry.
	Labels map[string]string `json:"labels"`
}

// Architectures and capacity types of Karpenter nodes.
const (
	ArchARM64        = "arm64"
	ArchAMD64        = "amd64"
	CapacitySpot     = "spot"
	CapacityOnDemand = "on-demand"
)

// Karpenter configures the Karpenter controller and its node pools.
type Karpenter struct {
	// Version of Karpenter, for example 1.6.3 (no leading v).
	Version string `json:"version"`
	// Namespace the controller runs in.
	Namespace string `json:"namespace"`
	// AMIAlias selects the node image, for example al2023@latest.
	AMIAlias string `json:"amiAlias"`
	// Controller sizes the controller pod (requests equal limits).
	Controller Resources `json:"controller"`
	// NodePools are the Karpenter NodePools, each with its own EC2NodeClass.
	// Left out, the default amd64 and arm64 pools are used; an empty list
	// means none (and nothing could run on EC2).
	NodePools []NodePool `json:"nodePools"`
}

// Resources is a CPU and memory amount in Kubernetes quantity notation.
type Resources struct {
	// CPU, for example "1" or "500m".
	CPU string `json:"cpu"`
	// Memory, for example "1Gi".
	Memory string `json:"memory"`
}

// NodePool is one Karpenter NodePool and its EC2NodeClass.
type NodePool struct {
	// Name of the NodePool and its EC2NodeClass, unique.
	Name string `json:"name"`
	// Architectures the pool may launch: arm64, amd64. Defaults to the
	// pool's name when that is arm64 or amd64; otherwise it must be set.
	Architectures []string `json:"architectures"`
	// CapacityTypes the pool may launch: spot, on-demand. With both,
	// Karpenter prefers Spot and falls back to On-Demand.
	CapacityTypes []string `json:"capacityTypes"`
	// InstanceCategories are EC2 instance families by letter, such as c, m, r.
	InstanceCategories []string `json:"instanceCategories"`
	// MinInstanceGeneration excludes older generations: only generations
	// greater than or equal to this number are used.
	MinInstanceGeneration int `json:"minInstanceGeneration"`
	// Zones limit the pool to some of the environment's zones; empty means all.
	Zones []string `json:"zones"`
	// Limits cap the total resources of the pool's nodes.
	Limits Resources `json:"limits"`
	// Weight orders pools; the higher weight is tried first. The default
	// amd64 pool has 10, so pods that do not ask for arm64 land on amd64.
	Weight int `json:"weight"`
	// Labels are added to the pool's nodes.
	Labels map[string]string `json:"labels"`
	// Disruption configures consolidation and node expiry.
	Disruption Disruption `json:"disruption"`
}

// Disruption configures how Karpenter replaces nodes.
type Disruption struct {
	// ConsolidationPolicy is WhenEmptyOrUnderutilized or WhenEmpty.
	ConsolidationPolicy string `json:"consolidationPolicy"`
	// ConsolidateAfter is how long a node must be consolidatable first, e.g. 1m.
	ConsolidateAfter string `json:"consolidateAfter"`
	// ExpireAfter replaces nodes older than this, e.g. 720h, or Never.
	ExpireAfter string `json:"expireAfter"`
	// Budget is the share of nodes that may be disrupted at once, e.g. 10%.
	Budget string `json:"budget"`
}

// Addon pins one EKS add-on.
type Addon struct {
	// Name of the EKS add-on, e.g. vpc-cni.
	Name string `json:"name"`
	// Version, e.g. v1.19.5-eksbuild.1; empty means the default for the
	// Kubernetes version.
	Version string `json:"version"`
}

// Storage configures the storage kinds of the environment.
type Storage struct {
	// EBS configures the EBS CSI driver and the default gp3 class.
	EBS EBS `json:"ebs"`
	// EFS configures the EFS file system and CSI driver.
	EFS EFS `json:"efs"`
	// S3 configures the S3 bucket and the Mountpoint CSI driver.
	S3 S3 `json:"s3"`
}

// EBS configures block storage.
type EBS struct {
	// Enabled installs the EBS CSI driver and the StorageClass.
	Enabled *bool `json:"enabled"`
	// DefaultClass is the name of the default StorageClass (gp3, encrypted).
	DefaultClass string `json:"defaultClass"`
}

// EFS configures the shared file system.
type EFS struct {
	// Enabled creates the file system, its mount targets and the CSI driver.
	Enabled *bool `json:"enabled"`
	// ClassName is the name of the dynamic (access point) StorageClass.
	ClassName string `json:"className"`
	// ThroughputMode is elastic, bursting or provisioned.
	ThroughputMode string `json:"throughputMode"`
}

// S3 configures the bucket mounted through Mountpoint for Amazon S3.
type S3 struct {
	// Enabled creates the bucket and installs the Mountpoint CSI driver.
	Enabled *bool `json:"enabled"`
	// BucketName is the bucket's name; empty derives
	// <name>-<account id>-<region>, unique across AWS.
	BucketName string `json:"bucketName"`
}

// LoadBalancerController configures the AWS Load Balancer Controller.
type LoadBalancerController struct {
	// Enabled installs the controller.
	Enabled *bool `json:"enabled"`
	// Version is the Helm chart version (1.13.4 is app v2.13.4).
	Version string `json:"version"`
}

// Portainer expose modes.
const (
	ExposePortForward   = "port-forward"
	ExposeLoadBalancer  = "loadBalancer"
	ExposeInternalALB   = "internal-alb"
	ExposeInternetALB   = "internet-alb"
	PortainerStorageEFS = "efs"
	PortainerStorageEBS = "ebs"
)

// Portainer configures the Portainer CE web UI.
type Portainer struct {
	// Enabled installs Portainer.
	Enabled *bool `json:"enabled"`
	// Image is the Portainer CE image.
	Image string `json:"image"`
	// Expose is port-forward (reachable only through the Kubernetes API),
	// internal-alb (an ALB inside the VPC), internet-alb (reachable from the
	// internet) or loadBalancer (an internal NLB).
	Expose string `json:"expose"`
	// Storage is efs (works on Fargate) or ebs (EC2 only). Defaults to efs,
	// or ebs when EFS is disabled.
	Storage string `json:"storage"`
	// Size of the data volume, e.g. 10Gi.
	Size string `json:"size"`
}

// Access authentication modes.
const (
	AuthAPI             = "API"
	AuthAPIAndConfigMap = "API_AND_CONFIG_MAP"
)

// Access gives IAM principals access to the cluster.
type Access struct {
	// AuthenticationMode of the cluster: API_AND_CONFIG_MAP or API.
	AuthenticationMode string `json:"authenticationMode"`
	// Admins are IAM role or user ARNs given cluster-admin through access
	// entries; this is what makes the EKS console show cluster resources.
	Admins []string `json:"admins"`
}
