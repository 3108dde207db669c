package spec

import (
	"fmt"
	"math/bits"
	"net/netip"
)

// Subnet limits: a private subnet holds nodes and Fargate pods (one address
// each) so it must not be smaller than /24; AWS's smallest subnet is /28.
const (
	MaxPrivatePrefix = 24
	MaxPublicPrefix  = 28
	MinVPCPrefix     = 16
)

// SubnetPlan is the address layout of a new VPC: a private and a public
// subnet in each zone.
type SubnetPlan struct {
	Private []netip.Prefix
	Public  []netip.Prefix
}

// PlanSubnets splits the VPC range for n zones: the range is cut into the
// smallest power of two of equal blocks that holds n+1; the first n are the
// private subnets, the next one is cut again into n public subnets. For a /16
// and three zones that is three /18 private and three /20 public subnets.
func PlanSubnets(cidr string, zones int) (SubnetPlan, error) {
	vpc, err := netip.ParsePrefix(cidr)
	if err != nil {
		return SubnetPlan{}, fmt.Errorf("%q is not a CIDR block such as 10.0.0.0/16", cidr)
	}
	if !vpc.Addr().Is4() {
		return SubnetPlan{}, fmt.Errorf("%q is not an IPv4 CIDR block", cidr)
	}
	if vpc.Masked() != vpc {
		return SubnetPlan{}, fmt.Errorf("%q has host bits set; the network is %s", cidr, vpc.Masked())
	}
	if zones < 1 {
		return SubnetPlan{}, fmt.Errorf("no zones to plan subnets for")
	}
	privBits := bits.Len(uint(zones)) // 2^privBits >= zones+1
	pubBits := bits.Len(uint(zones - 1))
	privPrefix := vpc.Bits() + privBits
	pubPrefix := privPrefix + pubBits
	if privPrefix > MaxPrivatePrefix || pubPrefix > MaxPublicPrefix {
		return SubnetPlan{}, fmt.Errorf("%s is too small for %d zones: private subnets would be /%d (at most /%d) and public /%d (at most /%d); use a /%d or larger",
			cidr, zones, privPrefix, MaxPrivatePrefix, pubPrefix, MaxPublicPrefix, max(MinVPCPrefix, min(MaxPrivatePrefix-privBits, MaxPublicPrefix-privBits-pubBits)))
	}
	plan := SubnetPlan{}
	for i := 0; i < zones; i++ {
		plan.Private = append(plan.Private, nthBlock(vpc, privPrefix, i))
	}
	pubBlock := nthBlock(vpc, privPrefix, zones)
	for i := 0; i < zones; i++ {
		plan.Public = append(plan.Public, nthBlock(pubBlock, pubPrefix, i))
	}
	return plan, nil
}

// nthBlock returns the i-th sub-block of the given prefix length inside p.
func nthBlock(p netip.Prefix, prefix, i int) netip.Prefix {
	a := p.Addr().As4()
	base := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	base += uint32(i) << (32 - prefix)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(base >> 24), byte(base >> 16), byte(base >> 8), byte(base)}), prefix)
}
