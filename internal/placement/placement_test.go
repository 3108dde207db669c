package placement

import (
	"slices"
	"strings"
	"testing"

	"github.com/eksenv/eksenv/internal/spec"
)

func TestRoundFargate(t *testing.T) {
	cases := []struct {
		cpu, mem  int64
		vcpu, gib float64
	}{
		{0, 0, 0.25, 0.5},        // no requests: the smallest size
		{250, 512, 0.25, 1},      // 768 MiB with the overhead
		{1000, 1024, 1, 2},       // 1.25 GiB, but 1 vCPU starts at 2 GB
		{500, 4096, 1, 5},        // 4.25 GiB does not fit 0.5 vCPU (4 GB max)
		{2000, 15 * 1024, 2, 16}, // 15.25 GiB rounds to 16
		{4000, 30 * 1024, 8, 32}, // 30.25 GiB is over 4 vCPU's 30: 8 vCPU in 4 GB steps
		{100, 1800, 0.5, 3},      // 2.01 GiB is over 0.25 vCPU's 2 GB
		{16000, 119 * 1024, 16, 120},
	}
	for _, c := range cases {
		got := RoundFargate(c.cpu, c.mem)
		if got.VCPU != c.vcpu || got.MemoryGiB != c.gib {
			t.Errorf("RoundFargate(%dm, %dMi) = %g vCPU %g GB, want %g vCPU %g GB", c.cpu, c.mem, got.VCPU, got.MemoryGiB, c.vcpu, c.gib)
		}
	}
	if FitsFargate(17000, 1024) || !FitsFargate(16000, 1024) {
		t.Error("FitsFargate bounds wrong")
	}
}

func TestMatchFargateOrderAndProfileLabel(t *testing.T) {
	profiles := []spec.FargateProfile{
		{Name: "a", Selectors: []spec.FargateSelector{{Namespace: "apps-*"}}},
		{Name: "b", Selectors: []spec.FargateSelector{{Namespace: "apps-web", Labels: map[string]string{"tier": "front?nd"}}}},
	}
	m, others := MatchFargate(profiles, "apps-web", map[string]string{"tier": "frontend"})
	if m == nil || m.Profile != "a" || m.Path != "spec.fargate.profiles[0].selectors[0]" || !slices.Equal(others, []string{"b"}) {
		t.Fatalf("got %+v, others %v", m, others)
	}
	m, others = MatchFargate(profiles, "apps-web", map[string]string{"tier": "frontend", LabelFargateProfile: "b"})
	if m == nil || m.Profile != "b" || others != nil {
		t.Fatalf("profile label not honoured: %+v %v", m, others)
	}
	if m, _ := MatchFargate(profiles, "other", nil); m != nil {
		t.Fatalf("unexpected match %+v", m)
	}
	if m, _ := MatchFargate(profiles[1:], "apps-web", map[string]string{"tier": "backend"}); m != nil {
		t.Fatalf("label value wildcard matched wrongly: %+v", m)
	}
}

func TestDecideDefaultComponents(t *testing.T) {
	e := spec.Default()
	want := map[string]struct{ where, cred string }{
		"coredns":                      {OnFargate, CredNone},
		"karpenter":                    {OnFargate, CredIRSA},
		"aws-load-balancer-controller": {OnFargate, CredIRSA},
		"ebs-csi-controller":           {OnEC2, CredPodIdentity},
		"efs-csi-controller":           {OnEC2, CredPodIdentity},
		"s3-csi-node":                  {OnEC2, CredPodIdentity},
		"eks-pod-identity-agent":       {OnEC2, CredNone},
	}
	placed := PlaceComponents(e)
	for id, w := range want {
		p, ok := Find(placed, id)
		if !ok {
			t.Errorf("%s not placed", id)
			continue
		}
		if p.Decision.Where != w.where || p.Decision.Credentials != w.cred {
			t.Errorf("%s: %s/%s, want %s/%s (reasons %v)", id, p.Decision.Where, p.Decision.Credentials, w.where, w.cred, p.Decision.Reasons)
		}
	}
	if ps := Check(e); len(ps) > 0 {
		t.Errorf("default environment has placement problems:\n%s", ps.Error())
	}
}

func TestDecideEC2Requirements(t *testing.T) {
	e := spec.Default()
	arm := Workload{Name: "Deployment/x", Kind: "Deployment", Namespace: "default",
		Requirements: []Requirement{{Key: LabelArch, Operator: "In", Values: []string{"arm64"}}, {Key: LabelCapacityType, Operator: "In", Values: []string{"spot"}}}}
	d := Decide(e, arm)
	if d.Where != OnEC2 || !slices.Equal(d.NodePoolNames(), []string{"arm64"}) {
		t.Fatalf("arm64 spot pod: %s %v", d.Where, d.NodePools)
	}
	for _, p := range d.NodePools {
		if p.NodePool == "arm64" && !slices.Equal(p.CapacityTypes, []string{"spot"}) {
			t.Errorf("capacity types not narrowed: %v", p.CapacityTypes)
		}
		if p.NodePool == "amd64" && !strings.Contains(p.Reason, "kubernetes.io/arch In arm64") {
			t.Errorf("amd64 pool reason: %q", p.Reason)
		}
	}
	gpu := Workload{Name: "Pod/gpu", Kind: "Pod", Namespace: "default", Requirements: []Requirement{{Key: "nvidia.com/gpu.present", Operator: "In", Values: []string{"true"}}}}
	if d := Decide(e, gpu); d.Where != Nowhere || len(d.Blockers) == 0 {
		t.Fatalf("unsatisfiable label: %s %v", d.Where, d.Blockers)
	}
	inst := Workload{Name: "Pod/big", Kind: "Pod", Namespace: "default", Requirements: []Requirement{{Key: "node.kubernetes.io/instance-type", Operator: "In", Values: []string{"m7g.large"}}}}
	if d := Decide(e, inst); d.Where != OnEC2 {
		t.Fatalf("instance-type requirement should be left to Karpenter: %s", d.Where)
	}
}

func TestFargateBlockers(t *testing.T) {
	e := spec.Default()
	w := Workload{Name: "Deployment/bad", Kind: "Deployment", Namespace: "portainer",
		Labels: map[string]string{spec.FargateLabelKey: spec.FargateLabelValue}, Privileged: true, NeedsAWS: true,
		Requirements: []Requirement{{Key: LabelArch, Operator: "In", Values: []string{"arm64"}}},
		Volumes:      []Volume{{Name: "data", Kind: VolEBS, Source: "class gp3"}, {Name: "s3", Kind: VolS3}, {Name: "efs", Kind: VolEFSDyn}, {Name: "ok", Kind: VolEFSStatic}}}
	d := Decide(e, w)
	if d.Where != OnFargate || d.Credentials != CredIRSA {
		t.Fatalf("got %s %s", d.Where, d.Credentials)
	}
	for _, s := range []string{"privileged", "x86-64", "EBS", "Mountpoint S3", "statically provisioned"} {
		if !slices.ContainsFunc(d.Blockers, func(b string) bool { return strings.Contains(b, s) }) {
			t.Errorf("no blocker mentioning %q in %v", s, d.Blockers)
		}
	}
	if len(d.Blockers) != 5 {
		t.Errorf("want 5 blockers (static EFS is fine), got %d: %v", len(d.Blockers), d.Blockers)
	}
}

func TestCheckProblems(t *testing.T) {
	t.Run("karpenter without fargate", func(t *testing.T) {
		e := spec.Default()
		e.Spec.Fargate.Profiles = []spec.FargateProfile{{Name: "apps", Selectors: []spec.FargateSelector{{Namespace: "apps"}}}}
		ps := Check(e)
		if !hasProblem(ps, spec.SeverityError, "spec.fargate.profiles", "Karpenter controller") {
			t.Errorf("missing Karpenter error:\n%s", ps.Error())
		}
		if !hasProblem(ps, spec.SeverityWarning, "spec.fargate.profiles", "CoreDNS runs on Karpenter's EC2 nodes") {
			t.Errorf("missing CoreDNS warning:\n%s", ps.Error())
		}
	})
	t.Run("selector aimed at a DaemonSet", func(t *testing.T) {
		e := spec.Default()
		e.Spec.Fargate.Profiles[0].Selectors = append(e.Spec.Fargate.Profiles[0].Selectors[:3],
			spec.FargateSelector{Namespace: "kube-system", Labels: map[string]string{"app": "ebs-csi-node"}})
		ps := Check(e)
		if !hasProblem(ps, spec.SeverityError, "spec.fargate.profiles[0].selectors[3]", "a DaemonSet") {
			t.Errorf("missing DaemonSet error:\n%s", ps.Error())
		}
	})
	t.Run("no node pools", func(t *testing.T) {
		e := spec.Default()
		e.Spec.Karpenter.NodePools = []spec.NodePool{}
		ps := Check(e)
		if !hasProblem(ps, spec.SeverityError, "spec.karpenter.nodePools", "no NodePool can run Deployment/ebs-csi-controller") {
			t.Errorf("missing node pool error:\n%s", ps.Error())
		}
	})
}

func hasProblem(ps spec.Problems, sev spec.Severity, path, text string) bool {
	for _, p := range ps {
		if p.Severity == sev && p.Path == path && strings.Contains(p.Message, text) {
			return true
		}
	}
	return false
}
