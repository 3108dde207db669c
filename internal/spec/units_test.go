package spec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestPlanSubnets(t *testing.T) {
	cases := []struct {
		cidr    string
		zones   int
		private string
		public  string
		err     string
	}{
		{"10.0.0.0/16", 3, "10.0.0.0/18 10.0.64.0/18 10.0.128.0/18", "10.0.192.0/20 10.0.208.0/20 10.0.224.0/20", ""},
		{"10.0.0.0/16", 2, "10.0.0.0/18 10.0.64.0/18", "10.0.128.0/19 10.0.160.0/19", ""},
		{"172.16.0.0/20", 4, "172.16.0.0/23 172.16.2.0/23 172.16.4.0/23 172.16.6.0/23", "172.16.8.0/25 172.16.8.128/25 172.16.9.0/25 172.16.9.128/25", ""},
		{"10.0.0.0/22", 3, "10.0.0.0/24 10.0.1.0/24 10.0.2.0/24", "10.0.3.0/26 10.0.3.64/26 10.0.3.128/26", ""},
		{"10.0.0.0/23", 3, "", "", "too small for 3 zones"},
		{"10.0.0.1/16", 3, "", "", "host bits set"},
		{"fd00::/56", 3, "", "", "not an IPv4"},
		{"banana", 3, "", "", "not a CIDR block"},
	}
	for _, c := range cases {
		plan, err := PlanSubnets(c.cidr, c.zones)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s/%d: error %v, want %q", c.cidr, c.zones, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s/%d: %v", c.cidr, c.zones, err)
			continue
		}
		if got := join2(plan.Private); got != c.private {
			t.Errorf("%s/%d private: %s, want %s", c.cidr, c.zones, got, c.private)
		}
		if got := join2(plan.Public); got != c.public {
			t.Errorf("%s/%d public: %s, want %s", c.cidr, c.zones, got, c.public)
		}
	}
}

func join2[T fmt.Stringer](xs []T) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = x.String()
	}
	return strings.Join(parts, " ")
}

func TestDefaultIsTheSeed(t *testing.T) {
	e := Default()
	if e.Metadata.Name != "eks-env" || e.Spec.Region != "us-west-2" || e.Spec.KubernetesVersion != "1.33" || e.Spec.Karpenter.Version != "1.6.3" {
		t.Fatalf("default identity: %+v", e.Metadata)
	}
	if got := strings.Join(e.Spec.AvailabilityZones, ","); got != "us-west-2a,us-west-2b,us-west-2c" {
		t.Errorf("zones %s", got)
	}
	pools := map[string]NodePool{}
	for _, p := range e.Spec.Karpenter.NodePools {
		pools[p.Name] = p
	}
	for _, arch := range []string{ArchARM64, ArchAMD64} {
		p, ok := pools[arch]
		if !ok || strings.Join(p.Architectures, ",") != arch || strings.Join(p.CapacityTypes, ",") != "spot,on-demand" {
			t.Errorf("pool %s: %+v", arch, p)
		}
	}
	ps := Validate(e, Options{Now: testNow})
	if ps.HasErrors() {
		t.Fatalf("default has errors:\n%s", ps.Error())
	}
	if w := ps.Warnings(); len(w) != 1 || !strings.Contains(w[0].Message, "extended support") {
		t.Errorf("want exactly the extended-support warning on %s, got:\n%s", testNow.Format(time.DateOnly), w.Error())
	}
	if ps := Validate(e, Options{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); len(ps) != 0 {
		t.Errorf("in standard support there should be no problem:\n%s", ps.Error())
	}
	if ps := Validate(e, Options{Now: time.Date(2027, 8, 1, 0, 0, 0, 0, time.UTC)}); !ps.HasErrors() {
		t.Errorf("after extended support ends 1.33 must be an error")
	}
}

func TestShortestFileEqualsDefaultButName(t *testing.T) {
	doc, ps := Load("eksenv.yaml", []byte("apiVersion: eksenv.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: eks-env\n"))
	if ps != nil {
		t.Fatal(ps.Error())
	}
	if !reflect.DeepEqual(doc.Env, Default()) {
		t.Errorf("shortest file differs from the default:\n%+v\n%+v", doc.Env.Spec, Default().Spec)
	}
}

func TestRoleNameOverflowNamesTheRole(t *testing.T) {
	e := Default()
	e.Metadata.Name = strings.Repeat("a", 36)
	ps := Validate(e, Options{})
	if len(ps) != 1 || !strings.Contains(ps[0].Message, `load balancer controller role would be "`+e.Metadata.Name+`-aws-load-balancer-controller", 65 characters`) || !strings.Contains(ps[0].Message, "by 1 characters") {
		t.Fatalf("got %v", ps)
	}
	e.Metadata.Name = strings.Repeat("a", 35)
	if ps := Validate(e, Options{}); len(ps) != 0 {
		t.Fatalf("35 characters must fit: %v", ps)
	}
}

func TestPlaceFallsBackToParent(t *testing.T) {
	doc, ps := Load("f.yaml", []byte("apiVersion: eksenv.dev/v1alpha1\nkind: Environment\nmetadata:\n  name: x\nspec:\n  karpenter:\n    version: 1.6.3\n"))
	if ps != nil {
		t.Fatal(ps)
	}
	if got := doc.Locate("spec.karpenter.namespace"); got != (Pos{Line: 7, Column: 5}) {
		t.Errorf("missing field should point at its parent spec.karpenter (7:5), got %v", got)
	}
	if got := doc.Locate("spec.karpenter.version"); got != (Pos{Line: 7, Column: 14}) {
		t.Errorf("version at %v", got)
	}
}

func TestFargateProfileReservedPrefix(t *testing.T) {
	e := Default()
	e.Spec.Fargate.Profiles[0].Name = "eks-system"
	ps := Validate(e, Options{})
	if len(ps) != 1 || ps[0].Path != "spec.fargate.profiles[0].name" || !strings.Contains(ps[0].Message, "reserves") {
		t.Fatalf("got %v", ps)
	}
}
