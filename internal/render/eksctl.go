package render

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/render/iam"
	"github.com/eksenv/eksenv/internal/spec"
)

// The eksctl ClusterConfig written to eks/cluster-config.yaml is an
// alternative for people who prefer eksctl; eksenv does not use it. It is
// built from the small structs below, not from eksctl's own API types (the
// eksctl module is not a dependency); field names follow eksctl.io/v1alpha5
// as described by eksctl's JSON schema (pkg/apis/eksctl.io/v1alpha5/assets/
// schema.json), which the tests validate the output against.

const (
	eksctlAPIVersion = "eksctl.io/v1alpha5"
	eksctlKind       = "ClusterConfig"
	// eksctlLatest makes eksctl pick the newest add-on version for the
	// cluster's Kubernetes version.
	eksctlLatest = "latest"
	// discoveryTagKey is the tag the EC2NodeClasses select subnets and
	// security groups by (FACTS: karpenter.sh/discovery=<cluster>).
	discoveryTagKey = "karpenter.sh/discovery"
)

type eksctlClusterConfig struct {
	APIVersion        string                 `json:"apiVersion"`
	Kind              string                 `json:"kind"`
	Metadata          eksctlMetadata         `json:"metadata"`
	AvailabilityZones []string               `json:"availabilityZones,omitempty"`
	VPC               eksctlVPC              `json:"vpc"`
	IAM               eksctlIAM              `json:"iam"`
	AccessConfig      eksctlAccessConfig     `json:"accessConfig"`
	FargateProfiles   []eksctlFargateProfile `json:"fargateProfiles,omitempty"`
	AddonsConfig      eksctlAddonsConfig     `json:"addonsConfig"`
	Addons            []eksctlAddon          `json:"addons"`
}

type eksctlMetadata struct {
	Name    string            `json:"name"`
	Region  string            `json:"region"`
	Version string            `json:"version"`
	Tags    map[string]string `json:"tags,omitempty"`
}

type eksctlVPC struct {
	ID      string         `json:"id,omitempty"`
	CIDR    string         `json:"cidr,omitempty"`
	NAT     *eksctlNAT     `json:"nat,omitempty"`
	Subnets *eksctlSubnets `json:"subnets,omitempty"`
}

type eksctlNAT struct {
	Gateway string `json:"gateway"`
}

// eksctlSubnets maps a subnet's key (any name; here its id) to the subnet.
type eksctlSubnets struct {
	Private map[string]eksctlSubnet `json:"private,omitempty"`
	Public  map[string]eksctlSubnet `json:"public,omitempty"`
}

type eksctlSubnet struct {
	ID string `json:"id"`
}

type eksctlIAM struct {
	WithOIDC                bool                           `json:"withOIDC"`
	ServiceAccounts         []eksctlServiceAccount         `json:"serviceAccounts,omitempty"`
	PodIdentityAssociations []eksctlPodIdentityAssociation `json:"podIdentityAssociations,omitempty"`
}

type eksctlServiceAccount struct {
	Metadata          eksctlSAMeta     `json:"metadata"`
	RoleName          string           `json:"roleName"`
	RoleOnly          bool             `json:"roleOnly"`
	AttachPolicyARNs  []string         `json:"attachPolicyARNs,omitempty"`
	WellKnownPolicies *eksctlWellKnown `json:"wellKnownPolicies,omitempty"`
}

type eksctlSAMeta struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

type eksctlPodIdentityAssociation struct {
	Namespace            string           `json:"namespace"`
	ServiceAccountName   string           `json:"serviceAccountName"`
	RoleName             string           `json:"roleName"`
	PermissionPolicyARNs []string         `json:"permissionPolicyARNs,omitempty"`
	WellKnownPolicies    *eksctlWellKnown `json:"wellKnownPolicies,omitempty"`
}

type eksctlWellKnown struct {
	AWSLoadBalancerController bool `json:"awsLoadBalancerController,omitempty"`
}

type eksctlAccessConfig struct {
	AuthenticationMode string              `json:"authenticationMode"`
	AccessEntries      []eksctlAccessEntry `json:"accessEntries,omitempty"`
}

type eksctlAccessEntry struct {
	PrincipalARN   string               `json:"principalARN"`
	Type           string               `json:"type"`
	AccessPolicies []eksctlAccessPolicy `json:"accessPolicies,omitempty"`
}

type eksctlAccessPolicy struct {
	PolicyARN   string            `json:"policyARN"`
	AccessScope eksctlAccessScope `json:"accessScope"`
}

type eksctlAccessScope struct {
	Type string `json:"type"`
}

type eksctlFargateProfile struct {
	Name      string                  `json:"name"`
	Selectors []eksctlFargateSelector `json:"selectors"`
}

type eksctlFargateSelector struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
}

type eksctlAddonsConfig struct {
	// DisableDefaultAddons stops eksctl from adding its default add-ons
	// (metrics-server among them) beside the ones listed.
	DisableDefaultAddons bool `json:"disableDefaultAddons"`
}

type eksctlAddon struct {
	Name                    string                         `json:"name"`
	Version                 string                         `json:"version"`
	ConfigurationValues     string                         `json:"configurationValues,omitempty"`
	ServiceAccountRoleARN   string                         `json:"serviceAccountRoleARN,omitempty"`
	PodIdentityAssociations []eksctlPodIdentityAssociation `json:"podIdentityAssociations,omitempty"`
}

// componentIAM is how eksctl gives one component its AWS permissions.
type componentIAM struct {
	roleName   string
	policyARNs []string
	wellKnown  *eksctlWellKnown
	// addon is the EKS add-on that owns the service account when eksctl
	// would otherwise create an IRSA role for that add-on by itself
	// (eksctl does so for aws-ebs-csi-driver and aws-efs-csi-driver when
	// withOIDC is on and the add-on carries no credentials); the
	// credentials are then set on the add-on entry.
	addon string
}

// eksctlComponentIAM maps a placed component that needs AWS to its role.
func eksctlComponentIAM(e *spec.Environment, p Params, id string) (componentIAM, error) {
	n := e.Names()
	part := e.Partition()
	policy := func(name string) string { return "arn:" + part + ":iam::" + p.AccountID + ":policy/" + name }
	switch id {
	case "karpenter":
		return componentIAM{roleName: n.KarpenterControllerRole, policyARNs: []string{policy(n.KarpenterPolicy)}}, nil
	case "aws-load-balancer-controller":
		return componentIAM{roleName: n.LoadBalancerRole, wellKnown: &eksctlWellKnown{AWSLoadBalancerController: true}}, nil
	case "ebs-csi-controller":
		return componentIAM{roleName: n.EBSCSIRole, policyARNs: iam.EBSCSIManagedPolicies(part), addon: "aws-ebs-csi-driver"}, nil
	case "efs-csi-controller":
		return componentIAM{roleName: n.EFSCSIRole, policyARNs: iam.EFSCSIManagedPolicies(part), addon: "aws-efs-csi-driver"}, nil
	case "s3-csi-node":
		return componentIAM{roleName: n.S3CSIRole, policyARNs: []string{policy(n.S3CSIPolicy)}}, nil
	}
	return componentIAM{}, fmt.Errorf("eksctl: no IAM role is known for component %q", id)
}

// ClusterConfig returns the eksctl ClusterConfig (eksctl.io/v1alpha5)
// equivalent to the environment's cluster: VPC, control plane, OIDC,
// access entries, Fargate profiles, EKS add-ons and the IAM roles of the
// system components (EKS Pod Identity for those on EC2, IRSA for those on
// Fargate, as placement decides). What eksctl cannot do — install
// Karpenter (spec.karpenter.version), its NodePools and the rest of the
// system components — the header comment says. Keys are sorted; the output
// is deterministic.
func ClusterConfig(e *spec.Environment, p Params) ([]byte, error) {
	n := e.Names()
	s := e.Spec
	part := e.Partition()
	ip := p.IAM(e)

	tags := map[string]string{}
	for k, v := range s.Tags {
		tags[k] = v
	}
	tags[spec.OwnerTagKey] = e.Metadata.Name
	tags[discoveryTagKey] = n.Cluster

	cfg := eksctlClusterConfig{
		APIVersion: eksctlAPIVersion,
		Kind:       eksctlKind,
		Metadata:   eksctlMetadata{Name: n.Cluster, Region: s.Region, Version: s.KubernetesVersion, Tags: tags},
		IAM:        eksctlIAM{WithOIDC: true},
		AccessConfig: eksctlAccessConfig{
			AuthenticationMode: s.Access.AuthenticationMode,
		},
		AddonsConfig: eksctlAddonsConfig{DisableDefaultAddons: true},
	}

	if ev := s.Network.ExistingVPC; ev != nil {
		// eksctl refuses availabilityZones together with vpc.subnets; the
		// zones follow from the subnets.
		cfg.VPC = eksctlVPC{ID: ev.VPCID, Subnets: &eksctlSubnets{
			Private: subnetsByID(ev.PrivateSubnetIDs),
			Public:  subnetsByID(ev.PublicSubnetIDs),
		}}
	} else {
		gw, err := eksctlNATGateway(s.Network.NATGateways)
		if err != nil {
			return nil, err
		}
		cfg.AvailabilityZones = append([]string(nil), s.AvailabilityZones...)
		cfg.VPC = eksctlVPC{CIDR: s.Network.VPCCIDR, NAT: &eksctlNAT{Gateway: gw}}
	}

	// Access entries: the admins (the console fix), then the Karpenter node
	// role so that its nodes can join.
	for _, admin := range s.Access.Admins {
		cfg.AccessConfig.AccessEntries = append(cfg.AccessConfig.AccessEntries, eksctlAccessEntry{
			PrincipalARN: admin,
			Type:         "STANDARD",
			AccessPolicies: []eksctlAccessPolicy{{
				PolicyARN:   "arn:" + part + ":eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
				AccessScope: eksctlAccessScope{Type: "cluster"},
			}},
		})
	}
	cfg.AccessConfig.AccessEntries = append(cfg.AccessConfig.AccessEntries, eksctlAccessEntry{
		PrincipalARN: iam.NodeRoleARN(ip),
		Type:         "EC2_LINUX",
	})

	for _, fp := range s.Fargate.Profiles {
		prof := eksctlFargateProfile{Name: fp.Name}
		for _, sel := range fp.Selectors {
			prof.Selectors = append(prof.Selectors, eksctlFargateSelector{Namespace: sel.Namespace, Labels: copyLabels(sel.Labels)})
		}
		cfg.FargateProfiles = append(cfg.FargateProfiles, prof)
	}

	placed := placement.PlaceComponents(e)
	addonCreds := map[string]*eksctlAddon{}
	for _, pc := range placed {
		cred := pc.Decision.Credentials
		if cred == placement.CredNone || cred == "" {
			continue
		}
		ci, err := eksctlComponentIAM(e, p, pc.ID)
		if err != nil {
			return nil, err
		}
		ns, sa := pc.Workload.Namespace, pc.Workload.ServiceAccount
		switch cred {
		case placement.CredPodIdentity:
			pia := eksctlPodIdentityAssociation{Namespace: ns, ServiceAccountName: sa, RoleName: ci.roleName,
				PermissionPolicyARNs: ci.policyARNs, WellKnownPolicies: ci.wellKnown}
			if ci.addon != "" {
				if ci.wellKnown != nil {
					return nil, fmt.Errorf("eksctl: component %s: addon.podIdentityAssociations take no wellKnownPolicies", pc.ID)
				}
				a := addonCreds[ci.addon]
				if a == nil {
					a = &eksctlAddon{}
					addonCreds[ci.addon] = a
				}
				a.PodIdentityAssociations = append(a.PodIdentityAssociations, pia)
				continue
			}
			cfg.IAM.PodIdentityAssociations = append(cfg.IAM.PodIdentityAssociations, pia)
		case placement.CredIRSA:
			// roleOnly: the Helm chart or add-on creates the service
			// account; the chart values carry the role-arn annotation.
			cfg.IAM.ServiceAccounts = append(cfg.IAM.ServiceAccounts, eksctlServiceAccount{
				Metadata: eksctlSAMeta{Name: sa, Namespace: ns}, RoleName: ci.roleName, RoleOnly: true,
				AttachPolicyARNs: ci.policyARNs, WellKnownPolicies: ci.wellKnown,
			})
			if ci.addon != "" {
				a := addonCreds[ci.addon]
				if a == nil {
					a = &eksctlAddon{}
					addonCreds[ci.addon] = a
				}
				a.ServiceAccountRoleARN = iam.RoleARN(ip, ci.roleName)
			}
		default:
			return nil, fmt.Errorf("eksctl: component %s: unknown credentials %q", pc.ID, cred)
		}
	}

	pinned := map[string]string{}
	for _, a := range s.Addons {
		if a.Version != "" {
			pinned[a.Name] = a.Version
		}
	}
	corednsOnFargate := false
	if c, ok := placement.Find(placed, "coredns"); ok && c.Decision.Where == placement.OnFargate {
		corednsOnFargate = true
	}
	names := []string{"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent"}
	if s.Storage.EBS.IsEnabled() {
		names = append(names, "aws-ebs-csi-driver")
	}
	if s.Storage.EFS.IsEnabled() {
		names = append(names, "aws-efs-csi-driver")
	}
	if s.Storage.S3.IsEnabled() {
		names = append(names, "aws-mountpoint-s3-csi-driver")
	}
	for _, name := range names {
		a := eksctlAddon{Name: name, Version: eksctlLatest}
		if v, ok := pinned[name]; ok {
			a.Version = v
		}
		if name == "coredns" && corednsOnFargate {
			a.ConfigurationValues = `{"computeType":"Fargate"}`
		}
		if c := addonCreds[name]; c != nil {
			a.ServiceAccountRoleARN = c.ServiceAccountRoleARN
			a.PodIdentityAssociations = c.PodIdentityAssociations
			delete(addonCreds, name)
		}
		cfg.Addons = append(cfg.Addons, a)
	}
	if len(addonCreds) > 0 {
		var left []string
		for name := range addonCreds {
			left = append(left, name)
		}
		sort.Strings(left)
		return nil, fmt.Errorf("eksctl: credentials for add-on(s) %s, which the environment does not install", strings.Join(left, ", "))
	}

	body, err := MarshalYAML(cfg)
	if err != nil {
		return nil, fmt.Errorf("eksctl ClusterConfig: %w", err)
	}
	var b bytes.Buffer
	b.WriteString(eksctlHeader(e, body))
	b.Write(body)
	return b.Bytes(), nil
}

// eksctlNATGateway maps spec.network.natGateways to eksctl's vpc.nat.gateway.
func eksctlNATGateway(mode string) (string, error) {
	switch mode {
	case spec.NATSingle, "":
		return "Single", nil
	case spec.NATPerZone:
		return "HighlyAvailable", nil
	case spec.NATNone:
		return "Disable", nil
	}
	return "", fmt.Errorf("eksctl: spec.network.natGateways %q is not one of %s, %s, %s", mode, spec.NATSingle, spec.NATPerZone, spec.NATNone)
}

func subnetsByID(ids []string) map[string]eksctlSubnet {
	if len(ids) == 0 {
		return nil
	}
	out := make(map[string]eksctlSubnet, len(ids))
	for _, id := range ids {
		out[id] = eksctlSubnet{ID: id}
	}
	return out
}

func copyLabels(in map[string]string) map[string]string {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// eksctlHeader is the YAML comment that opens the file: where it comes from
// and what eksctl leaves to the user.
func eksctlHeader(e *spec.Environment, body []byte) string {
	n := e.Names()
	s := e.Spec
	k := s.Karpenter
	intro := []string{
		fmt.Sprintf("eksctl ClusterConfig for the eksenv environment %s, generated by eksenv.", e.Metadata.Name),
		"For people who prefer eksctl: eksctl create cluster -f cluster-config.yaml",
		"eksenv itself does not read this file; regenerate it rather than edit it.",
	}
	bullets := []string{
		fmt.Sprintf("Karpenter %s is installed separately (Helm chart oci://public.ecr.aws/karpenter/karpenter, version %s, namespace %s), and this file does not create NodePools or EC2NodeClasses: apply karpenter/ of the eksenv export once Karpenter runs. There are no node groups, so until then the only compute is Fargate.",
			k.Version, k.Version, k.Namespace),
	}
	if s.Network.ExistingVPC == nil {
		bullets = append(bullets, fmt.Sprintf("metadata.tags carries %s=%s, which eksctl puts on every subnet and security group it creates (public subnets included) and the EC2NodeClasses select by.",
			discoveryTagKey, n.Cluster))
	}
	policies := n.KarpenterPolicy
	if s.Storage.S3.IsEnabled() {
		policies += " and " + n.S3CSIPolicy
	}
	if ev := s.Network.ExistingVPC; ev != nil {
		bullets = append(bullets, fmt.Sprintf("The VPC %s is used as it is: eksctl does not tag subnets it did not create, so tag the private subnets %s=%s for the EC2NodeClasses (and kubernetes.io/role/internal-elb=1, public ones kubernetes.io/role/elb=1, for load balancers).",
			ev.VPCID, discoveryTagKey, n.Cluster))
	}
	bullets = append(bullets, fmt.Sprintf("It does not create the Karpenter node role %s, the policies %s or the interruption queue %s: create them first, the access entry and the IAM roles below refer to them.",
		n.KarpenterNodeRole, policies, n.InterruptionQueue))
	var separate []string
	if s.LoadBalancerController.IsEnabled() {
		separate = append(separate, "the AWS Load Balancer Controller")
	}
	if s.Portainer.IsEnabled() {
		separate = append(separate, "Portainer")
	}
	if s.Storage.EBS.IsEnabled() || s.Storage.EFS.IsEnabled() {
		separate = append(separate, "the StorageClasses")
	}
	if s.Storage.EFS.IsEnabled() {
		separate = append(separate, "the EFS file system")
	}
	if s.Storage.S3.IsEnabled() {
		separate = append(separate, "the S3 bucket")
	}
	if len(separate) > 0 {
		bullets = append(bullets, upperFirst(joinAnd(separate))+" are made separately.")
	}
	bullets = append(bullets, "IRSA roles here are roleOnly: the Helm charts and add-ons create the service accounts.")
	if ph := placeholders(body); len(ph) > 0 {
		bullets = append(bullets, fmt.Sprintf("Replace %s with real values first (for example with envsubst).", joinAnd(ph)))
	}

	var b strings.Builder
	for _, l := range intro {
		b.WriteString("# " + l + "\n")
	}
	b.WriteString("#\n# What eksctl cannot do from this file:\n")
	for _, l := range bullets {
		for i, line := range wrapWords(l, 86) {
			if i == 0 {
				b.WriteString("# - " + line + "\n")
			} else {
				b.WriteString("#   " + line + "\n")
			}
		}
	}
	return b.String()
}

// wrapWords breaks text into lines of at most width characters (longer
// words stand alone).
func wrapWords(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// placeholders returns the distinct ${NAME} references in data, sorted.
func placeholders(data []byte) []string {
	seen := map[string]bool{}
	var out []string
	for rest := string(data); ; {
		i := strings.Index(rest, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			break
		}
		ph := rest[i : i+j+1]
		if !seen[ph] {
			seen[ph] = true
			out = append(out, ph)
		}
		rest = rest[i+j+1:]
	}
	sort.Strings(out)
	return out
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
