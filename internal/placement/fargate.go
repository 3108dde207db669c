package placement

import "math"

// fargateStep is one Fargate vCPU size and the memory it may have, in GiB.
type fargateStep struct {
	vcpu             float64
	minMem, maxMem   float64
	memStep          float64
	explicitMemories []float64
}

// fargateSizes are the vCPU and memory pairs Fargate supports (EKS user
// guide, fargate-pod-configuration).
func fargateSizes() []fargateStep {
	return []fargateStep{
		{vcpu: 0.25, explicitMemories: []float64{0.5, 1, 2}},
		{vcpu: 0.5, minMem: 1, maxMem: 4, memStep: 1},
		{vcpu: 1, minMem: 2, maxMem: 8, memStep: 1},
		{vcpu: 2, minMem: 4, maxMem: 16, memStep: 1},
		{vcpu: 4, minMem: 8, maxMem: 30, memStep: 1},
		{vcpu: 8, minMem: 16, maxMem: 60, memStep: 4},
		{vcpu: 16, minMem: 32, maxMem: 120, memStep: 8},
	}
}

// FargateOverheadMiB is what Fargate adds to a pod's memory for Kubernetes
// components (kubelet, kube-proxy, containerd).
const FargateOverheadMiB = 256

// RoundFargate returns the Fargate size a pod with these effective requests
// gets: memory plus 256 MiB, rounded up to the smallest supported pair with
// at least the vCPU and memory needed. A pod larger than the largest size
// gets the largest (Fargate refuses it; Decide does not hide that, the size
// merely says so by its maximum).
func RoundFargate(cpuMilli, memMiB int64) FargateSize {
	needCPU := float64(cpuMilli) / 1000
	needMem := float64(memMiB+FargateOverheadMiB) / 1024
	sizes := fargateSizes()
	for _, s := range sizes {
		if s.vcpu+1e-9 < needCPU {
			continue
		}
		if s.explicitMemories != nil {
			for _, m := range s.explicitMemories {
				if m+1e-9 >= needMem {
					return FargateSize{VCPU: s.vcpu, MemoryGiB: m}
				}
			}
			continue
		}
		mem := math.Max(s.minMem, math.Ceil((needMem-1e-9)/s.memStep)*s.memStep)
		if mem <= s.maxMem {
			return FargateSize{VCPU: s.vcpu, MemoryGiB: mem}
		}
	}
	last := sizes[len(sizes)-1]
	return FargateSize{VCPU: last.vcpu, MemoryGiB: last.maxMem}
}

// FitsFargate reports whether the requests fit the largest Fargate size.
func FitsFargate(cpuMilli, memMiB int64) bool {
	return float64(cpuMilli)/1000 <= 16 && float64(memMiB+FargateOverheadMiB)/1024 <= 120
}
