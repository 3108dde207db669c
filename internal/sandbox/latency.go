package sandbox

import "time"

// Latency says how long the sandbox makes slow AWS operations take. moto
// finishes everything at once; with a non-zero duration the proxy reports the
// transitional state AWS reports (CREATING, DELETING, pending, deleting) until
// that much time has passed since it saw the request. The zero value is
// instant. Durations are read when a state is reported, so SetLatency also
// shortens or lengthens operations already under way.
type Latency struct {
	ClusterCreate time.Duration // EKS cluster CREATING → ACTIVE
	ClusterDelete time.Duration // EKS cluster DELETING → gone
	FargateCreate time.Duration // Fargate profile CREATING → ACTIVE
	FargateDelete time.Duration // Fargate profile DELETING → gone
	NATCreate     time.Duration // NAT gateway pending → available
	NATDelete     time.Duration // NAT gateway deleting → deleted
	AddonCreate   time.Duration // EKS add-on CREATING (or UPDATING) → ACTIVE
	AddonDelete   time.Duration // EKS add-on DELETING → gone
}

// Realistic returns the durations seen on real AWS (FACTS.md, "Durations
// seen in the field"): a control plane takes about 12 minutes to create and 5
// to delete, a Fargate profile about 2 to create and 3 to delete, a NAT
// gateway about 2, an add-on about 1.
func Realistic() Latency {
	return Latency{
		ClusterCreate: 12 * time.Minute,
		ClusterDelete: 5 * time.Minute,
		FargateCreate: 2 * time.Minute,
		FargateDelete: 3 * time.Minute,
		NATCreate:     2 * time.Minute,
		NATDelete:     2 * time.Minute,
		AddonCreate:   time.Minute,
		AddonDelete:   time.Minute,
	}
}

// Scale returns l with every duration multiplied by f (Realistic().Scale(0.01)
// turns 12 minutes into 7.2 seconds). A negative f counts as 0.
func (l Latency) Scale(f float64) Latency {
	if f < 0 {
		f = 0
	}
	s := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	return Latency{
		ClusterCreate: s(l.ClusterCreate),
		ClusterDelete: s(l.ClusterDelete),
		FargateCreate: s(l.FargateCreate),
		FargateDelete: s(l.FargateDelete),
		NATCreate:     s(l.NATCreate),
		NATDelete:     s(l.NATDelete),
		AddonCreate:   s(l.AddonCreate),
		AddonDelete:   s(l.AddonDelete),
	}
}

// elapsed reports whether d has passed since start.
func elapsed(now, start time.Time, d time.Duration) bool { return now.Sub(start) >= d }
