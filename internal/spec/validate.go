package spec

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
)

// AWS and Kubernetes limits the validation enforces.
const (
	MaxIAMRoleName         = 64
	MaxIAMPolicyName       = 128
	MaxSQSQueueName        = 80
	MaxS3BucketName        = 63
	MaxFargateProfiles     = 10
	MaxFargateSelectors    = 5
	MaxFargateLabels       = 5
	MaxUserTags            = 40 // AWS allows 50 per resource; eksenv adds up to 10 of its own
	MaxTagKeyLength        = 128
	MaxTagValueLength      = 256
	AccountIDPlaceholderLn = 12
)

var (
	nameRE       = regexp.MustCompile(`^[a-z][a-z0-9-]*[a-z0-9]$`)
	profileRE    = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$`)
	tagRE        = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	principalRE  = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::\d{12}:(role|user)/[\w+=,.@/-]+$`)
	assumedRE    = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role/([\w+=,.@-]+)/`)
	categoryRE   = regexp.MustCompile(`^[a-z]$`)
	bucketRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	semverRE     = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)$`)
	karpDuration = regexp.MustCompile(`^(([0-9]+(s|m|h))+|Never)$`)
	budgetRE     = regexp.MustCompile(`^((100|[0-9]{1,2})%|[0-9]+)$`)
)

// Options are the inputs of validation that do not come from the file.
type Options struct {
	// Now decides the Kubernetes support phase; tests fix it.
	Now time.Time
}

// Validate checks the environment's meaning and returns every problem at
// once, errors and warnings, each with its field path. Defaults must have
// been applied (Load and Default do that).
func Validate(e *Environment, opts Options) Problems {
	r := &Reporter{}
	checkName(r, e)
	region, regionOK := checkRegion(r, e)
	checkZones(r, e, region, regionOK)
	checkNetwork(r, e)
	checkKubernetes(r, e, opts.Now)
	checkFargate(r, e)
	checkKarpenter(r, e)
	checkAddons(r, e)
	checkStorage(r, e)
	checkPortainer(r, e)
	checkAccess(r, e, region, regionOK)
	checkTags(r, e)
	return r.Problems()
}

func checkName(r *Reporter, e *Environment) {
	n := e.Metadata.Name
	const path = "metadata.name"
	switch {
	case n == "":
		r.Errorf(path, "missing; the name is the EKS cluster name and the base of every derived name, e.g. eks-env")
		return
	case !nameRE.MatchString(n):
		r.Errorf(path, "%q must be lower-case letters, digits and hyphens, start with a letter and not end with a hyphen", n)
		return
	}
	names := e.Names()
	longest, what := "", ""
	for w, rn := range names.RoleNames() {
		if len(rn) > len(longest) || (len(rn) == len(longest) && w < what) {
			longest, what = rn, w
		}
	}
	if len(longest) > MaxIAMRoleName {
		r.Errorf(path, "%q is too long: the %s would be %q, %d characters, over IAM's limit of %d; shorten the name by %d characters",
			n, what, longest, len(longest), MaxIAMRoleName, len(longest)-MaxIAMRoleName)
		return
	}
	if len(names.KarpenterPolicy) > MaxIAMPolicyName || len(names.InterruptionQueue) > MaxSQSQueueName {
		r.Errorf(path, "%q is too long for the Karpenter policy or the interruption queue name", n)
	}
	if e.Spec.Storage.S3.IsEnabled() && e.Spec.Storage.S3.BucketName == "" {
		bucket := e.BucketName(strings.Repeat("0", AccountIDPlaceholderLn))
		if len(bucket) > MaxS3BucketName {
			r.Errorf(path, "%q is too long for the derived S3 bucket name %q (%d characters, S3 allows %d); shorten the name or set spec.storage.s3.bucketName",
				n, e.BucketName("<account-id>"), len(bucket), MaxS3BucketName)
		}
	}
}

func checkRegion(r *Reporter, e *Environment) (Region, bool) {
	reg, ok := LookupRegion(e.Spec.Region)
	if !ok {
		r.Errorf("spec.region", "%q is not a region where EKS, Fargate and Karpenter are all available; known regions: %s", e.Spec.Region, strings.Join(RegionNames(), ", "))
	}
	return reg, ok
}

func checkZones(r *Reporter, e *Environment, region Region, regionOK bool) {
	zones := e.Spec.AvailabilityZones
	const path = "spec.availabilityZones"
	if e.Spec.Network.ExistingVPC != nil && len(zones) == 0 {
		return
	}
	if len(zones) < 2 {
		r.Errorf(path, "%d zone(s) given; EKS needs subnets in at least two availability zones", len(zones))
	}
	seen := map[string]int{}
	for i, z := range zones {
		zp := fmt.Sprintf("%s[%d]", path, i)
		if j, dup := seen[z]; dup {
			r.Errorf(zp, "%q is listed twice (also at index %d)", z, j)
			continue
		}
		seen[z] = i
		if regionOK && !region.HasZone(z) {
			letters := make([]string, 0, len(region.ZoneLetters))
			for _, l := range region.ZoneLetters {
				letters = append(letters, region.Name+string(l))
			}
			r.Errorf(zp, "%q is not a zone of %s; its zones are %s", z, region.Name, strings.Join(letters, ", "))
		}
	}
}

func checkNetwork(r *Reporter, e *Environment) {
	n := e.Spec.Network
	switch n.NATGateways {
	case NATSingle, NATPerZone:
	case NATNone:
		r.Warnf("spec.network.natGateways", "none: private subnets get no internet access; nodes and Fargate pods can pull images only through VPC endpoints you provide")
	default:
		r.Errorf("spec.network.natGateways", "%q is not one of single, perZone, none", n.NATGateways)
	}
	if x := n.ExistingVPC; x != nil {
		const p = "spec.network.existingVPC"
		if !strings.HasPrefix(x.VPCID, "vpc-") {
			r.Errorf(p+".vpcID", "%q is not a VPC id (vpc-...)", x.VPCID)
		}
		if len(x.PrivateSubnetIDs) < 2 {
			r.Errorf(p+".privateSubnetIDs", "%d subnet(s) given; give private subnets in at least two zones (eksenv checks their zones against the account before creating anything)", len(x.PrivateSubnetIDs))
		}
		for field, ids := range map[string][]string{"privateSubnetIDs": x.PrivateSubnetIDs, "publicSubnetIDs": x.PublicSubnetIDs} {
			seen := map[string]bool{}
			for i, id := range ids {
				ip := fmt.Sprintf("%s.%s[%d]", p, field, i)
				if !strings.HasPrefix(id, "subnet-") {
					r.Errorf(ip, "%q is not a subnet id (subnet-...)", id)
				}
				if seen[id] {
					r.Errorf(ip, "%q is listed twice", id)
				}
				seen[id] = true
			}
		}
		if n.VPCCIDR != "" {
			r.Warnf("spec.network.vpcCIDR", "ignored: the existing VPC's range is used")
		}
		return
	}
	if _, err := PlanSubnets(n.VPCCIDR, len(e.Spec.AvailabilityZones)); err != nil {
		r.Errorf("spec.network.vpcCIDR", "%v", err)
		return
	}
	if bitsOf(n.VPCCIDR) < MinVPCPrefix {
		r.Errorf("spec.network.vpcCIDR", "%q is larger than AWS allows for a VPC (/%d at most)", n.VPCCIDR, MinVPCPrefix)
	}
}

func bitsOf(cidr string) int {
	_, b, _ := strings.Cut(cidr, "/")
	n, _ := strconv.Atoi(b)
	return n
}

func checkKubernetes(r *Reporter, e *Environment, now time.Time) {
	const path = "spec.kubernetesVersion"
	rel, ok := LookupKubernetes(e.Spec.KubernetesVersion)
	if !ok {
		r.Errorf(path, "%q is not a Kubernetes version eksenv supports on EKS; use one of %s", e.Spec.KubernetesVersion, strings.Join(KubernetesVersions(), ", "))
		return
	}
	if !now.IsZero() {
		switch rel.SupportPhase(now) {
		case "extended":
			r.Warnf(path, "%s left EKS standard support on %s and is in extended support (a higher control plane price) until %s; plan an upgrade",
				rel.Version, rel.StandardEnd.Format(time.DateOnly), rel.ExtendedEnd.Format(time.DateOnly))
		case "ended":
			r.Errorf(path, "%s is no longer supported by EKS (extended support ended %s)", rel.Version, rel.ExtendedEnd.Format(time.DateOnly))
		}
	}
	kv := e.Spec.Karpenter.Version
	if semverRE.MatchString(kv) && compareSemver(kv, rel.MinKarpenter) < 0 {
		r.Errorf("spec.karpenter.version", "Karpenter %s does not support Kubernetes %s; it needs Karpenter %s or later", kv, rel.Version, rel.MinKarpenter)
	}
}

// compareSemver compares two x.y.z versions.
func compareSemver(a, b string) int {
	pa, pb := semverRE.FindStringSubmatch(a), semverRE.FindStringSubmatch(b)
	for i := 1; i <= 3; i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x - y
		}
	}
	return 0
}

func checkFargate(r *Reporter, e *Environment) {
	profiles := e.Spec.Fargate.Profiles
	if len(profiles) > MaxFargateProfiles {
		r.Errorf("spec.fargate.profiles", "%d profiles; EKS allows %d per cluster", len(profiles), MaxFargateProfiles)
	}
	seen := map[string]int{}
	for i, p := range profiles {
		pp := fmt.Sprintf("spec.fargate.profiles[%d]", i)
		switch {
		case p.Name == "":
			r.Errorf(pp+".name", "missing; every profile needs a name")
		case !profileRE.MatchString(p.Name):
			r.Errorf(pp+".name", "%q must be letters, digits, hyphens and underscores, at most 100 characters", p.Name)
		case strings.HasPrefix(p.Name, "eks-"):
			r.Errorf(pp+".name", "%q starts with eks-, which EKS reserves for its own profiles", p.Name)
		}
		if j, dup := seen[p.Name]; dup && p.Name != "" {
			r.Errorf(pp+".name", "%q is also the name of profile %d; profile names must be unique", p.Name, j)
		}
		seen[p.Name] = i
		if len(p.Selectors) == 0 {
			r.Errorf(pp+".selectors", "a profile needs at least one selector")
		}
		if len(p.Selectors) > MaxFargateSelectors {
			r.Errorf(pp+".selectors", "%d selectors; a Fargate profile takes at most %d (add another profile)", len(p.Selectors), MaxFargateSelectors)
		}
		for j, s := range p.Selectors {
			sp := fmt.Sprintf("%s.selectors[%d]", pp, j)
			if s.Namespace == "" {
				r.Errorf(sp+".namespace", "missing; every selector needs a namespace")
			}
			if len(s.Labels) > MaxFargateLabels {
				r.Errorf(sp+".labels", "%d labels; a selector takes at most %d", len(s.Labels), MaxFargateLabels)
			}
			for k, v := range s.Labels {
				checkLabel(r, sp+".labels["+k+"]", k, v)
			}
		}
	}
}

func checkLabel(r *Reporter, path, k, v string) {
	if errs := validation.IsQualifiedName(k); len(errs) > 0 {
		r.Errorf(path, "label key %q is invalid: %s", k, strings.Join(errs, "; "))
	}
	if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
		r.Errorf(path, "label value %q is invalid: %s", v, strings.Join(errs, "; "))
	}
}

func checkKarpenter(r *Reporter, e *Environment) {
	k := e.Spec.Karpenter
	if !semverRE.MatchString(k.Version) {
		r.Errorf("spec.karpenter.version", "%q is not a version such as %s (no leading v)", k.Version, DefaultKarpenterVersion)
	} else if k.Version != DefaultKarpenterVersion {
		r.Warnf("spec.karpenter.version", "eksenv validates Karpenter objects against the %s CRDs it embeds; %s may differ", DefaultKarpenterVersion, k.Version)
	}
	if errs := validation.IsDNS1123Label(k.Namespace); len(errs) > 0 {
		r.Errorf("spec.karpenter.namespace", "%q is not a valid namespace: %s", k.Namespace, strings.Join(errs, "; "))
	}
	if !strings.Contains(k.AMIAlias, "@") {
		r.Errorf("spec.karpenter.amiAlias", "%q is not an AMI alias such as al2023@latest", k.AMIAlias)
	}
	checkQuantity(r, "spec.karpenter.controller.cpu", k.Controller.CPU)
	checkQuantity(r, "spec.karpenter.controller.memory", k.Controller.Memory)
	if len(k.NodePools) == 0 {
		r.Errorf("spec.karpenter.nodePools", "no NodePools: nothing could launch EC2 capacity, and the storage drivers and workloads need it")
	}
	seen := map[string]int{}
	for i, p := range k.NodePools {
		pp := fmt.Sprintf("spec.karpenter.nodePools[%d]", i)
		if errs := validation.IsDNS1123Label(p.Name); len(errs) > 0 {
			r.Errorf(pp+".name", "%q is not a valid NodePool name: %s", p.Name, strings.Join(errs, "; "))
		}
		if j, dup := seen[p.Name]; dup {
			r.Errorf(pp+".name", "%q is also the name of nodePools[%d]; names must be unique", p.Name, j)
		}
		seen[p.Name] = i
		checkEnum(r, pp+".architectures", p.Architectures, []string{ArchARM64, ArchAMD64})
		checkEnum(r, pp+".capacityTypes", p.CapacityTypes, []string{CapacitySpot, CapacityOnDemand})
		for j, c := range p.InstanceCategories {
			if !categoryRE.MatchString(c) {
				r.Errorf(fmt.Sprintf("%s.instanceCategories[%d]", pp, j), "%q is not an instance category (one lower-case letter such as c, m, r)", c)
			}
		}
		if p.MinInstanceGeneration < 1 {
			r.Errorf(pp+".minInstanceGeneration", "%d must be 1 or more", p.MinInstanceGeneration)
		}
		for j, z := range p.Zones {
			if !slices.Contains(e.Spec.AvailabilityZones, z) {
				r.Errorf(fmt.Sprintf("%s.zones[%d]", pp, j), "%q is not one of the environment's zones (%s)", z, strings.Join(e.Spec.AvailabilityZones, ", "))
			}
		}
		checkQuantity(r, pp+".limits.cpu", p.Limits.CPU)
		checkQuantity(r, pp+".limits.memory", p.Limits.Memory)
		if p.Weight < 0 || p.Weight > 100 {
			r.Errorf(pp+".weight", "%d must be between 0 and 100", p.Weight)
		}
		for key, v := range p.Labels {
			checkLabel(r, pp+".labels["+key+"]", key, v)
		}
		d := p.Disruption
		if d.ConsolidationPolicy != "WhenEmptyOrUnderutilized" && d.ConsolidationPolicy != "WhenEmpty" {
			r.Errorf(pp+".disruption.consolidationPolicy", "%q is not one of WhenEmptyOrUnderutilized, WhenEmpty", d.ConsolidationPolicy)
		}
		if !karpDuration.MatchString(d.ConsolidateAfter) {
			r.Errorf(pp+".disruption.consolidateAfter", "%q is not a duration such as 30s, 1m or 1h30m, or Never", d.ConsolidateAfter)
		}
		if !karpDuration.MatchString(d.ExpireAfter) {
			r.Errorf(pp+".disruption.expireAfter", "%q is not a duration such as 720h, or Never", d.ExpireAfter)
		}
		if !budgetRE.MatchString(d.Budget) {
			r.Errorf(pp+".disruption.budget", "%q is not a node count or a percentage such as 10%%", d.Budget)
		}
	}
}

func checkEnum(r *Reporter, path string, values, allowed []string) {
	if len(values) == 0 {
		r.Errorf(path, "empty; give at least one of %s", strings.Join(allowed, ", "))
	}
	seen := map[string]bool{}
	for i, v := range values {
		vp := fmt.Sprintf("%s[%d]", path, i)
		if !slices.Contains(allowed, v) {
			r.Errorf(vp, "%q is not one of %s", v, strings.Join(allowed, ", "))
		} else if seen[v] {
			r.Errorf(vp, "%q is listed twice", v)
		}
		seen[v] = true
	}
}

func checkQuantity(r *Reporter, path, q string) {
	if _, err := resource.ParseQuantity(q); err != nil {
		r.Errorf(path, "%q is not a Kubernetes quantity such as 1, 500m or 4Gi", q)
	}
}

// KnownAddons are the EKS add-ons eksenv installs.
func KnownAddons() []string {
	return []string{"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver", "aws-efs-csi-driver", "aws-mountpoint-s3-csi-driver"}
}

func checkAddons(r *Reporter, e *Environment) {
	seen := map[string]bool{}
	for i, a := range e.Spec.Addons {
		ap := fmt.Sprintf("spec.addons[%d]", i)
		if !slices.Contains(KnownAddons(), a.Name) {
			r.Errorf(ap+".name", "%q is not an add-on eksenv manages; one of %s", a.Name, strings.Join(KnownAddons(), ", "))
		}
		if seen[a.Name] {
			r.Errorf(ap+".name", "%q is pinned twice", a.Name)
		}
		seen[a.Name] = true
		if a.Version != "" && !strings.HasPrefix(a.Version, "v") {
			r.Errorf(ap+".version", "%q is not an add-on version such as v1.19.5-eksbuild.1", a.Version)
		}
	}
}

func checkStorage(r *Reporter, e *Environment) {
	st := e.Spec.Storage
	if st.EBS.IsEnabled() {
		if errs := validation.IsDNS1123Subdomain(st.EBS.DefaultClass); len(errs) > 0 {
			r.Errorf("spec.storage.ebs.defaultClass", "%q is not a valid StorageClass name", st.EBS.DefaultClass)
		}
	}
	if st.EFS.IsEnabled() {
		if errs := validation.IsDNS1123Subdomain(st.EFS.ClassName); len(errs) > 0 {
			r.Errorf("spec.storage.efs.className", "%q is not a valid StorageClass name", st.EFS.ClassName)
		}
		if st.EBS.IsEnabled() && st.EFS.ClassName == st.EBS.DefaultClass {
			r.Errorf("spec.storage.efs.className", "%q is also the EBS class name", st.EFS.ClassName)
		}
		switch st.EFS.ThroughputMode {
		case "elastic", "bursting", "provisioned":
		default:
			r.Errorf("spec.storage.efs.throughputMode", "%q is not one of elastic, bursting, provisioned", st.EFS.ThroughputMode)
		}
	}
	if b := st.S3.BucketName; st.S3.IsEnabled() && b != "" {
		if !bucketRE.MatchString(b) || strings.Contains(b, "..") {
			r.Errorf("spec.storage.s3.bucketName", "%q is not a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)", b)
		}
	}
}

func checkPortainer(r *Reporter, e *Environment) {
	p := e.Spec.Portainer
	if !p.IsEnabled() {
		return
	}
	switch p.Expose {
	case ExposePortForward, ExposeLoadBalancer, ExposeInternalALB:
	case ExposeInternetALB:
		r.Warnf("spec.portainer.expose", "internet-alb makes Portainer's login page reachable from the internet; prefer port-forward or internal-alb")
		if !e.Spec.LoadBalancerController.IsEnabled() {
			r.Errorf("spec.portainer.expose", "internet-alb needs spec.loadBalancerController.enabled: true")
		}
	default:
		r.Errorf("spec.portainer.expose", "%q is not one of %s, %s, %s, %s", p.Expose, ExposePortForward, ExposeInternalALB, ExposeInternetALB, ExposeLoadBalancer)
	}
	if (p.Expose == ExposeInternalALB || p.Expose == ExposeLoadBalancer) && !e.Spec.LoadBalancerController.IsEnabled() {
		r.Errorf("spec.portainer.expose", "%s needs spec.loadBalancerController.enabled: true", p.Expose)
	}
	switch p.Storage {
	case PortainerStorageEFS:
		if !e.Spec.Storage.EFS.IsEnabled() {
			r.Errorf("spec.portainer.storage", "efs needs spec.storage.efs.enabled: true")
		}
	case PortainerStorageEBS:
		if !e.Spec.Storage.EBS.IsEnabled() {
			r.Errorf("spec.portainer.storage", "ebs needs spec.storage.ebs.enabled: true")
		}
	default:
		r.Errorf("spec.portainer.storage", "%q is not one of efs, ebs", p.Storage)
	}
	checkQuantity(r, "spec.portainer.size", p.Size)
}

func checkAccess(r *Reporter, e *Environment, region Region, regionOK bool) {
	a := e.Spec.Access
	if a.AuthenticationMode != AuthAPI && a.AuthenticationMode != AuthAPIAndConfigMap {
		r.Errorf("spec.access.authenticationMode", "%q is not one of API, API_AND_CONFIG_MAP (access entries, which eksenv uses, need one of them)", a.AuthenticationMode)
	}
	seen := map[string]bool{}
	for i, arn := range a.Admins {
		ap := fmt.Sprintf("spec.access.admins[%d]", i)
		if msg := CheckPrincipal(arn); msg != "" {
			r.Errorf(ap, "%s", msg)
			continue
		}
		if regionOK && !strings.HasPrefix(arn, "arn:"+region.Partition+":") {
			r.Errorf(ap, "%q is in another partition than %s (%s)", arn, region.Name, region.Partition)
		}
		if seen[arn] {
			r.Errorf(ap, "%q is listed twice", arn)
		}
		seen[arn] = true
	}
}

func checkTags(r *Reporter, e *Environment) {
	tags := e.Spec.Tags
	if len(tags) > MaxUserTags {
		r.Errorf("spec.tags", "%d tags; at most %d (AWS allows 50 per resource and eksenv adds its own)", len(tags), MaxUserTags)
	}
	for k, v := range tags {
		tp := "spec.tags[" + k + "]"
		switch {
		case k == "":
			r.Errorf(tp, "empty tag key")
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			r.Errorf(tp, "tag keys starting with aws: are reserved by AWS")
		case k == OwnerTagKey || strings.HasPrefix(k, "kubernetes.io/") || strings.HasPrefix(k, "karpenter."):
			r.Errorf(tp, "%q is set by eksenv or Kubernetes itself; choose another key", k)
		case len(k) > MaxTagKeyLength:
			r.Errorf(tp, "tag key is %d characters; at most %d", len(k), MaxTagKeyLength)
		case !tagRE.MatchString(k):
			r.Errorf(tp, "tag key %q may hold only letters, digits, spaces and _ . : / = + - @", k)
		}
		if len(v) > MaxTagValueLength {
			r.Errorf(tp, "tag value is %d characters; at most %d", len(v), MaxTagValueLength)
		} else if !tagRE.MatchString(v) {
			r.Errorf(tp, "tag value %q may hold only letters, digits, spaces and _ . : / = + - @", v)
		}
	}
}

// CheckPrincipal says what is wrong with an IAM principal ARN for an access
// entry, or "" when it is a role or user ARN.
func CheckPrincipal(arn string) string {
	if m := assumedRE.FindStringSubmatch(arn); m != nil {
		return fmt.Sprintf("%q is an assumed-role session; access entries take the role itself: arn:%s:iam::%s:role/%s", arn, m[1], m[2], m[3])
	}
	if !principalRE.MatchString(arn) {
		return fmt.Sprintf("%q is not an IAM role or user ARN such as arn:aws:iam::123456789012:role/Admin", arn)
	}
	return ""
}
