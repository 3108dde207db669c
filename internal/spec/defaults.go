package spec

// Default values; together they reproduce the seed's environment.
const (
	DefaultName              = "eks-env"
	DefaultRegion            = "us-west-2"
	DefaultKubernetesVersion = "1.33"
	DefaultVPCCIDR           = "10.0.0.0/16"
	DefaultKarpenterVersion  = "1.6.3"
	DefaultKarpenterNS       = "karpenter"
	DefaultAMIAlias          = "al2023@latest"
	DefaultLBCVersion        = "1.13.4"
	DefaultPortainerImage    = "portainer/portainer-ce:2.33.1"
	DefaultSystemProfile     = "system"
	// FargateLabelKey and FargateLabelValue mark pods that belong on Fargate.
	FargateLabelKey   = "fargate"
	FargateLabelValue = "enabled"
	// DefaultZoneCount is how many zones are used when none are given.
	DefaultZoneCount = 3
)

// Default returns the embedded default environment: the seed's architecture
// in us-west-2, named eks-env.
func Default() *Environment {
	e := &Environment{
		APIVersion: APIVersion,
		Kind:       Kind,
		Metadata:   Metadata{Name: DefaultName},
	}
	SetDefaults(e)
	return e
}

// SetDefaults fills every field left empty with its default. It is the only
// place defaults live; it never overwrites a value the user gave.
func SetDefaults(e *Environment) {
	s := &e.Spec
	setString(&s.Region, DefaultRegion)
	setString(&s.KubernetesVersion, DefaultKubernetesVersion)
	if len(s.AvailabilityZones) == 0 {
		s.AvailabilityZones = DefaultZones(s.Region)
	}
	if s.Network.ExistingVPC == nil {
		setString(&s.Network.VPCCIDR, DefaultVPCCIDR)
	}
	setString(&s.Network.NATGateways, NATSingle)

	k := &s.Karpenter
	setString(&k.Version, DefaultKarpenterVersion)
	setString(&k.Namespace, DefaultKarpenterNS)
	setString(&k.AMIAlias, DefaultAMIAlias)
	setString(&k.Controller.CPU, "1")
	setString(&k.Controller.Memory, "1Gi")
	if k.NodePools == nil {
		k.NodePools = []NodePool{
			{Name: ArchAMD64, Architectures: []string{ArchAMD64}, Weight: 10},
			{Name: ArchARM64, Architectures: []string{ArchARM64}},
		}
	}
	for i := range k.NodePools {
		setNodePoolDefaults(&k.NodePools[i])
	}

	if s.Fargate.Profiles == nil {
		s.Fargate.Profiles = []FargateProfile{DefaultSystemFargateProfile(k.Namespace)}
	}

	st := &s.Storage
	setBool(&st.EBS.Enabled, true)
	setString(&st.EBS.DefaultClass, "gp3")
	setBool(&st.EFS.Enabled, true)
	setString(&st.EFS.ClassName, "efs")
	setString(&st.EFS.ThroughputMode, "elastic")
	setBool(&st.S3.Enabled, true)

	setBool(&s.LoadBalancerController.Enabled, true)
	setString(&s.LoadBalancerController.Version, DefaultLBCVersion)

	p := &s.Portainer
	setBool(&p.Enabled, true)
	setString(&p.Image, DefaultPortainerImage)
	setString(&p.Expose, ExposePortForward)
	if p.Storage == "" {
		p.Storage = PortainerStorageEFS
		if !st.EFS.IsEnabled() {
			p.Storage = PortainerStorageEBS
		}
	}
	setString(&p.Size, "10Gi")

	setString(&s.Access.AuthenticationMode, AuthAPIAndConfigMap)
	if s.Tags == nil {
		s.Tags = map[string]string{}
	}
}

// DefaultSystemFargateProfile is the seed's profile: the whole Karpenter
// namespace, CoreDNS, and pods labelled fargate: enabled in the system
// namespaces.
func DefaultSystemFargateProfile(karpenterNamespace string) FargateProfile {
	p := FargateProfile{Name: DefaultSystemProfile}
	p.Selectors = append(p.Selectors,
		FargateSelector{Namespace: karpenterNamespace},
		FargateSelector{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}},
	)
	for _, ns := range []string{"kube-system", "portainer"} {
		p.Selectors = append(p.Selectors, FargateSelector{Namespace: ns, Labels: map[string]string{FargateLabelKey: FargateLabelValue}})
	}
	return p
}

func setNodePoolDefaults(p *NodePool) {
	if len(p.Architectures) == 0 && (p.Name == ArchARM64 || p.Name == ArchAMD64) {
		p.Architectures = []string{p.Name}
	}
	if len(p.CapacityTypes) == 0 {
		p.CapacityTypes = []string{CapacitySpot, CapacityOnDemand}
	}
	if len(p.InstanceCategories) == 0 {
		p.InstanceCategories = []string{"c", "m", "r"}
	}
	if p.MinInstanceGeneration == 0 {
		p.MinInstanceGeneration = 5
	}
	setString(&p.Limits.CPU, "1000")
	setString(&p.Limits.Memory, "1000Gi")
	d := &p.Disruption
	setString(&d.ConsolidationPolicy, "WhenEmptyOrUnderutilized")
	setString(&d.ConsolidateAfter, "1m")
	setString(&d.ExpireAfter, "720h")
	setString(&d.Budget, "10%")
}

// DefaultZones returns the first DefaultZoneCount zones of a known region
// (fewer when the region has fewer), or nil for an unknown region.
func DefaultZones(region string) []string {
	r, ok := LookupRegion(region)
	if !ok {
		return nil
	}
	n := min(DefaultZoneCount, len(r.ZoneLetters))
	zones := make([]string, 0, n)
	for _, l := range r.ZoneLetters[:n] {
		zones = append(zones, region+string(l))
	}
	return zones
}

// IsEnabled reports whether EBS is enabled (defaults applied: true).
func (e EBS) IsEnabled() bool { return isTrue(e.Enabled) }

// IsEnabled reports whether EFS is enabled.
func (e EFS) IsEnabled() bool { return isTrue(e.Enabled) }

// IsEnabled reports whether S3 is enabled.
func (s S3) IsEnabled() bool { return isTrue(s.Enabled) }

// IsEnabled reports whether the load balancer controller is installed.
func (l LoadBalancerController) IsEnabled() bool { return isTrue(l.Enabled) }

// IsEnabled reports whether Portainer is installed.
func (p Portainer) IsEnabled() bool { return isTrue(p.Enabled) }

func isTrue(b *bool) bool { return b != nil && *b }

func setString(s *string, v string) {
	if *s == "" {
		*s = v
	}
}

func setBool(b **bool, v bool) {
	if *b == nil {
		*b = &v
	}
}
