package spec

import (
	"strings"
	"time"
)

// Region is what eksenv knows of an AWS region offline.
type Region struct {
	// Name, e.g. us-west-2.
	Name string
	// Partition, e.g. aws, aws-cn, aws-us-gov.
	Partition string
	// ZoneLetters are the zone suffixes the region has, in order.
	ZoneLetters string
}

// regionTable lists the regions where EKS, Fargate and Karpenter are
// available, with the zone letters AWS publishes for them.
func regionTable() []Region {
	std := func(name, letters string) Region { return Region{Name: name, Partition: "aws", ZoneLetters: letters} }
	return []Region{
		std("us-east-1", "abcdef"), std("us-east-2", "abc"), std("us-west-1", "bc"), std("us-west-2", "abcd"),
		std("af-south-1", "abc"), std("ap-east-1", "abc"), std("ap-south-1", "abc"), std("ap-south-2", "abc"),
		std("ap-northeast-1", "acd"), std("ap-northeast-2", "abcd"), std("ap-northeast-3", "abc"),
		std("ap-southeast-1", "abc"), std("ap-southeast-2", "abc"), std("ap-southeast-3", "abc"),
		std("ap-southeast-4", "abc"), std("ap-southeast-5", "abc"), std("ap-southeast-7", "abc"),
		std("ca-central-1", "abd"), std("ca-west-1", "abc"),
		std("eu-central-1", "abc"), std("eu-central-2", "abc"), std("eu-north-1", "abc"),
		std("eu-south-1", "abc"), std("eu-south-2", "abc"),
		std("eu-west-1", "abc"), std("eu-west-2", "abc"), std("eu-west-3", "abc"),
		std("il-central-1", "abc"), std("me-central-1", "abc"), std("me-south-1", "abc"),
		std("mx-central-1", "abc"), std("sa-east-1", "abc"),
		{Name: "cn-north-1", Partition: "aws-cn", ZoneLetters: "abd"},
		{Name: "cn-northwest-1", Partition: "aws-cn", ZoneLetters: "abc"},
		{Name: "us-gov-east-1", Partition: "aws-us-gov", ZoneLetters: "abc"},
		{Name: "us-gov-west-1", Partition: "aws-us-gov", ZoneLetters: "abc"},
	}
}

// LookupRegion returns the region of that name.
func LookupRegion(name string) (Region, bool) {
	for _, r := range regionTable() {
		if r.Name == name {
			return r, true
		}
	}
	return Region{}, false
}

// RegionNames lists the known regions.
func RegionNames() []string {
	t := regionTable()
	names := make([]string, len(t))
	for i, r := range t {
		names[i] = r.Name
	}
	return names
}

// Partition returns the AWS partition of the environment's region ("aws"
// when the region is unknown).
func (e *Environment) Partition() string {
	if r, ok := LookupRegion(e.Spec.Region); ok {
		return r.Partition
	}
	return "aws"
}

// HasZone reports whether zone belongs to the region.
func (r Region) HasZone(zone string) bool {
	letter, ok := strings.CutPrefix(zone, r.Name)
	return ok && len(letter) == 1 && strings.Contains(r.ZoneLetters, letter)
}

// KubernetesRelease is an EKS Kubernetes version and its support window.
type KubernetesRelease struct {
	// Version, e.g. "1.33".
	Version string
	// StandardEnd is the last day of standard support.
	StandardEnd time.Time
	// ExtendedEnd is the last day of extended support.
	ExtendedEnd time.Time
	// MinKarpenter is the oldest Karpenter version that supports it.
	MinKarpenter string
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// kubernetesReleases is the EKS version calendar (EKS user guide,
// kubernetes-versions) and Karpenter's compatibility matrix. The 1.33 dates
// are verified; 1.34's Karpenter minimum is unverified (FACTS.md).
func kubernetesReleases() []KubernetesRelease {
	return []KubernetesRelease{
		{Version: "1.32", StandardEnd: day("2026-03-23"), ExtendedEnd: day("2027-03-23"), MinKarpenter: "1.2.0"},
		{Version: "1.33", StandardEnd: day("2026-07-29"), ExtendedEnd: day("2027-07-29"), MinKarpenter: "1.5.0"},
		{Version: "1.34", StandardEnd: day("2026-12-02"), ExtendedEnd: day("2027-12-02"), MinKarpenter: "1.6.6"},
	}
}

// LookupKubernetes returns the EKS release of that minor version.
func LookupKubernetes(version string) (KubernetesRelease, bool) {
	for _, r := range kubernetesReleases() {
		if r.Version == version {
			return r, true
		}
	}
	return KubernetesRelease{}, false
}

// KubernetesVersions lists the versions eksenv knows.
func KubernetesVersions() []string {
	rs := kubernetesReleases()
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Version
	}
	return out
}

// SupportPhase is standard, extended or ended.
func (r KubernetesRelease) SupportPhase(now time.Time) string {
	switch {
	case !now.After(r.StandardEnd.Add(24*time.Hour - time.Nanosecond)):
		return "standard"
	case !now.After(r.ExtendedEnd.Add(24*time.Hour - time.Nanosecond)):
		return "extended"
	default:
		return "ended"
	}
}
