package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"

	"github.com/eksenv/eksenv/internal/spec"
)

const (
	eksctlModule     = "github.com/weaveworks/eksctl@v0.215.0"
	eksctlSchemaPath = "pkg/apis/eksctl.io/v1alpha5/assets/schema.json"
)

func TestClusterConfigGolden(t *testing.T) {
	got, err := ClusterConfig(spec.Default(), Placeholders())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "eksctl", "default.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/render/ -run ClusterConfig -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("ClusterConfig differs from %s (rerun with -update if intended):\n%s", golden, got)
	}
}

func TestClusterConfigDeterministic(t *testing.T) {
	for _, e := range eksctlVariants() {
		a, err := ClusterConfig(e.env, Placeholders())
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			b, err := ClusterConfig(e.env, Placeholders())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("%s: two renders differ", e.name)
			}
		}
	}
}

// TestClusterConfigContent checks the values eksctl would act on, by field.
func TestClusterConfigContent(t *testing.T) {
	doc := func(t *testing.T, e *spec.Environment) map[string]any {
		t.Helper()
		data, err := ClusterConfig(e, Placeholders())
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	get := func(m any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				mm, _ := m.(map[string]any)
				m = mm[k]
			case int:
				l, _ := m.([]any)
				if k >= len(l) {
					return nil
				}
				m = l[k]
			}
		}
		return m
	}

	t.Run("default", func(t *testing.T) {
		e := spec.Default()
		m := doc(t, e)
		for _, c := range []struct {
			path []any
			want any
		}{
			{[]any{"apiVersion"}, "eksctl.io/v1alpha5"},
			{[]any{"kind"}, "ClusterConfig"},
			{[]any{"metadata", "name"}, "eks-env"},
			{[]any{"metadata", "region"}, "us-west-2"},
			{[]any{"metadata", "version"}, "1.33"},
			{[]any{"metadata", "tags", spec.OwnerTagKey}, "eks-env"},
			{[]any{"metadata", "tags", "karpenter.sh/discovery"}, "eks-env"},
			{[]any{"vpc", "cidr"}, "10.0.0.0/16"},
			{[]any{"vpc", "nat", "gateway"}, "Single"},
			{[]any{"iam", "withOIDC"}, true},
			{[]any{"accessConfig", "authenticationMode"}, "API_AND_CONFIG_MAP"},
			{[]any{"accessConfig", "accessEntries", 0, "principalARN"}, "arn:aws:iam::${AWS_ACCOUNT_ID}:role/KarpenterNodeRole-eks-env"},
			{[]any{"accessConfig", "accessEntries", 0, "type"}, "EC2_LINUX"},
			{[]any{"fargateProfiles", 0, "name"}, "system"},
			{[]any{"fargateProfiles", 0, "selectors", 1, "labels", "k8s-app"}, "kube-dns"},
		} {
			if got := get(m, c.path...); got != c.want {
				t.Errorf("%v = %v, want %v", c.path, got, c.want)
			}
		}
		if got := len(get(m, "availabilityZones").([]any)); got != 3 {
			t.Errorf("%d availabilityZones, want 3", got)
		}

		// Add-ons, in order, with CoreDNS configured for Fargate.
		var names []string
		for _, a := range get(m, "addons").([]any) {
			names = append(names, get(a, "name").(string)+"@"+get(a, "version").(string))
		}
		want := "vpc-cni@latest kube-proxy@latest coredns@latest eks-pod-identity-agent@latest aws-ebs-csi-driver@latest aws-efs-csi-driver@latest aws-mountpoint-s3-csi-driver@latest"
		if got := strings.Join(names, " "); got != want {
			t.Errorf("addons %s, want %s", got, want)
		}
		if got := get(m, "addons", 2, "configurationValues"); got != `{"computeType":"Fargate"}` {
			t.Errorf("coredns configurationValues %v", got)
		}

		// Fargate (Karpenter, load balancer controller): IRSA.
		sas := map[string]any{}
		for _, sa := range get(m, "iam", "serviceAccounts").([]any) {
			sas[get(sa, "metadata", "namespace").(string)+"/"+get(sa, "metadata", "name").(string)] = sa
		}
		if len(sas) != 2 {
			t.Errorf("service accounts %v, want karpenter and aws-load-balancer-controller", sas)
		}
		if got := get(sas["karpenter/karpenter"], "attachPolicyARNs", 0); got != "arn:aws:iam::${AWS_ACCOUNT_ID}:policy/KarpenterControllerPolicy-eks-env" {
			t.Errorf("karpenter policy %v", got)
		}
		if got := get(sas["karpenter/karpenter"], "roleName"); got != "eks-env-karpenter" {
			t.Errorf("karpenter roleName %v", got)
		}
		if got := get(sas["kube-system/aws-load-balancer-controller"], "wellKnownPolicies", "awsLoadBalancerController"); got != true {
			t.Errorf("load balancer controller wellKnownPolicies %v", got)
		}
		// EC2 (S3 node driver): Pod Identity in iam; the EBS and EFS
		// controllers on their add-ons.
		if got := get(m, "iam", "podIdentityAssociations", 0, "serviceAccountName"); got != "s3-csi-driver-sa" {
			t.Errorf("iam.podIdentityAssociations[0] %v", got)
		}
		if got := get(m, "addons", 4, "podIdentityAssociations", 0, "serviceAccountName"); got != "ebs-csi-controller-sa" {
			t.Errorf("aws-ebs-csi-driver podIdentityAssociations %v", got)
		}
		if got := get(m, "addons", 5, "podIdentityAssociations", 0, "permissionPolicyARNs", 0); got != "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy" {
			t.Errorf("aws-efs-csi-driver policy %v", got)
		}
	})

	t.Run("existing VPC", func(t *testing.T) {
		m := doc(t, existingVPCEnv())
		if got := get(m, "vpc", "id"); got != "vpc-0123456789abcdef0" {
			t.Errorf("vpc.id %v", got)
		}
		if got := get(m, "vpc", "subnets", "private", "subnet-0a1", "id"); got != "subnet-0a1" {
			t.Errorf("private subnet %v", got)
		}
		for _, k := range []string{"cidr", "nat"} {
			if v := get(m, "vpc", k); v != nil {
				t.Errorf("vpc.%s = %v with an existing VPC", k, v)
			}
		}
		// eksctl: "vpc.subnets and availabilityZones cannot be set at the same time".
		if v := get(m, "availabilityZones"); v != nil {
			t.Errorf("availabilityZones %v with vpc.subnets", v)
		}
	})

	t.Run("admins, pins, no storage, perZone", func(t *testing.T) {
		m := doc(t, adminsEnv())
		if got := get(m, "accessConfig", "authenticationMode"); got != "API" {
			t.Errorf("authenticationMode %v", got)
		}
		if got := get(m, "accessConfig", "accessEntries", 0, "principalARN"); got != "arn:aws:iam::111122223333:role/Admin" {
			t.Errorf("accessEntries[0] %v", got)
		}
		if got := get(m, "accessConfig", "accessEntries", 0, "accessPolicies", 0, "policyARN"); got != "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy" {
			t.Errorf("admin policy %v", got)
		}
		if got := get(m, "accessConfig", "accessEntries", 0, "accessPolicies", 0, "accessScope", "type"); got != "cluster" {
			t.Errorf("admin scope %v", got)
		}
		if got := get(m, "vpc", "nat", "gateway"); got != "HighlyAvailable" {
			t.Errorf("nat %v", got)
		}
		if got := get(m, "addons", 0, "version"); got != "v1.19.5-eksbuild.1" {
			t.Errorf("pinned vpc-cni %v", got)
		}
		if got := len(get(m, "addons").([]any)); got != 4 {
			t.Errorf("%d addons with storage off, want 4", got)
		}
		if got := get(m, "addons", 2, "configurationValues"); got != nil {
			t.Errorf("coredns on EC2 has configurationValues %v", got)
		}
	})

	t.Run("EBS controller on Fargate", func(t *testing.T) {
		m := doc(t, ebsOnFargateEnv())
		ebs := get(m, "addons", 4)
		if get(ebs, "name") != "aws-ebs-csi-driver" {
			t.Fatalf("addons[4] %v", ebs)
		}
		if got := get(ebs, "serviceAccountRoleARN"); got != "arn:aws:iam::${AWS_ACCOUNT_ID}:role/ebs-fargate-ebs-csi-driver" {
			t.Errorf("aws-ebs-csi-driver serviceAccountRoleARN %v", got)
		}
		if got := get(ebs, "podIdentityAssociations"); got != nil {
			t.Errorf("aws-ebs-csi-driver podIdentityAssociations %v with IRSA", got)
		}
		found := false
		for _, sa := range get(m, "iam", "serviceAccounts").([]any) {
			if get(sa, "metadata", "name") == "ebs-csi-controller-sa" {
				found = true
				if get(sa, "roleName") != "ebs-fargate-ebs-csi-driver" || get(sa, "attachPolicyARNs", 0) != "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" {
					t.Errorf("ebs-csi-controller-sa %v", sa)
				}
			}
		}
		if !found {
			t.Error("no iam.serviceAccounts entry for ebs-csi-controller-sa")
		}
	})
}

// TestClusterConfigFollowsEksctlRules checks the rules eksctl v0.215.0
// enforces in Go (pkg/apis/eksctl.io/v1alpha5/validation.go, addon.go,
// access_entry.go and pkg/ctl/cmdutils/configfile.go) that its JSON schema
// does not express.
func TestClusterConfigFollowsEksctlRules(t *testing.T) {
	for _, v := range eksctlVariants() {
		t.Run(v.name, func(t *testing.T) {
			data, err := ClusterConfig(v.env, Placeholders())
			if err != nil {
				t.Fatal(err)
			}
			var c eksctlClusterConfig
			if err := yaml.UnmarshalStrict(data, &c); err != nil {
				t.Fatal(err)
			}
			for _, p := range eksctlRuleViolations(c) {
				t.Error(p)
			}
		})
	}
	t.Run("rules can fail", func(t *testing.T) {
		c := eksctlClusterConfig{
			AvailabilityZones: []string{"us-west-2a"},
			VPC:               eksctlVPC{Subnets: &eksctlSubnets{Private: map[string]eksctlSubnet{"a": {ID: "subnet-a"}}}},
			AccessConfig: eksctlAccessConfig{AuthenticationMode: "CONFIG_MAP", AccessEntries: []eksctlAccessEntry{{
				PrincipalARN: "arn:aws:iam::1:role/n", Type: "EC2_LINUX",
				AccessPolicies: []eksctlAccessPolicy{{PolicyARN: "arn:aws:iam::aws:policy/x", AccessScope: eksctlAccessScope{Type: "all"}}},
			}}},
			IAM:             eksctlIAM{ServiceAccounts: []eksctlServiceAccount{{}}, PodIdentityAssociations: []eksctlPodIdentityAssociation{{}}},
			FargateProfiles: []eksctlFargateProfile{{Name: "eks-system"}},
			AddonsConfig:    eksctlAddonsConfig{DisableDefaultAddons: true},
			Addons: []eksctlAddon{{Name: "aws-ebs-csi-driver", ServiceAccountRoleARN: "arn:aws:iam::1:role/r",
				PodIdentityAssociations: []eksctlPodIdentityAssociation{{WellKnownPolicies: &eksctlWellKnown{AWSLoadBalancerController: true}}}}},
		}
		for _, v := range eksctlRuleViolations(c) {
			t.Logf("found: %s", v)
		}
		if got := len(eksctlRuleViolations(c)); got < 12 {
			t.Errorf("%d violations found in a config that breaks at least 12 rules: %v", got, eksctlRuleViolations(c))
		}
	})
}

func eksctlRuleViolations(c eksctlClusterConfig) []string {
	var out []string
	bad := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	hasSubnets := c.VPC.Subnets != nil && (len(c.VPC.Subnets.Private) > 0 || len(c.VPC.Subnets.Public) > 0)
	if hasSubnets && len(c.AvailabilityZones) > 0 {
		bad("vpc.subnets and availabilityZones cannot be set at the same time")
	}
	if n := len(c.AvailabilityZones); n > 0 && n < 2 {
		bad("only %d zone(s) specified, 2 are required", n)
	}
	switch c.AccessConfig.AuthenticationMode {
	case "", "CONFIG_MAP", "API", "API_AND_CONFIG_MAP":
	default:
		bad("accessConfig.authenticationMode %q is not an EKS authentication mode", c.AccessConfig.AuthenticationMode)
	}
	if len(c.AccessConfig.AccessEntries) > 0 && c.AccessConfig.AuthenticationMode != "API" && c.AccessConfig.AuthenticationMode != "API_AND_CONFIG_MAP" {
		bad("accessConfig.authenticationMode %q with access entries", c.AccessConfig.AuthenticationMode)
	}
	seen := map[string]bool{}
	for i, ae := range c.AccessConfig.AccessEntries {
		if !strings.HasPrefix(ae.PrincipalARN, "arn:") || strings.Count(ae.PrincipalARN, ":") < 5 {
			bad("accessEntries[%d].principalARN %q is not an ARN", i, ae.PrincipalARN)
		}
		if seen[ae.PrincipalARN] {
			bad("duplicate access entry %s", ae.PrincipalARN)
		}
		seen[ae.PrincipalARN] = true
		switch ae.Type {
		case "", "STANDARD", "EC2":
		case "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "HYBRID_LINUX":
			if len(ae.AccessPolicies) > 0 {
				bad("accessEntries[%d]: no accessPolicies allowed with type %s", i, ae.Type)
			}
		default:
			bad("accessEntries[%d]: invalid type %q", i, ae.Type)
		}
		for _, ap := range ae.AccessPolicies {
			if !strings.Contains(ap.PolicyARN, ":cluster-access-policy/") {
				bad("accessEntries[%d].policyARN %q is not a cluster-access-policy", i, ap.PolicyARN)
			}
			if ap.AccessScope.Type != "cluster" && ap.AccessScope.Type != "namespace" {
				bad("accessEntries[%d].accessScope.type %q", i, ap.AccessScope.Type)
			}
		}
	}
	if len(c.IAM.ServiceAccounts) > 0 && !c.IAM.WithOIDC {
		bad("iam.withOIDC must be enabled for iam.serviceAccounts")
	}
	for i, sa := range c.IAM.ServiceAccounts {
		if sa.Metadata.Name == "" || sa.Metadata.Namespace == "" {
			bad("iam.serviceAccounts[%d] without name or namespace", i)
		}
		if len(sa.AttachPolicyARNs) == 0 && sa.WellKnownPolicies == nil {
			bad("iam.serviceAccounts[%d] without policies", i)
		}
	}
	checkPIA := func(path string, pia eksctlPodIdentityAssociation) {
		if pia.Namespace == "" || pia.ServiceAccountName == "" {
			bad("%s: namespace and serviceAccountName must be set", path)
		}
		if len(pia.PermissionPolicyARNs) == 0 && pia.WellKnownPolicies == nil {
			bad("%s: no permissionPolicyARNs or wellKnownPolicies", path)
		}
	}
	pias := len(c.IAM.PodIdentityAssociations)
	for i, pia := range c.IAM.PodIdentityAssociations {
		checkPIA(fmt.Sprintf("iam.podIdentityAssociations[%d]", i), pia)
	}
	addons := map[string]bool{}
	for _, a := range c.Addons {
		addons[a.Name] = true
		pias += len(a.PodIdentityAssociations)
		for i, pia := range a.PodIdentityAssociations {
			path := fmt.Sprintf("addon %s podIdentityAssociations[%d]", a.Name, i)
			checkPIA(path, pia)
			if pia.WellKnownPolicies != nil {
				bad("%s: wellKnownPolicies is not supported for addon.podIdentityAssociations", path)
			}
		}
		if len(a.PodIdentityAssociations) > 0 && a.ServiceAccountRoleARN != "" {
			bad("addon %s: IRSA and pod identity associations at the same time", a.Name)
		}
		if len(a.PodIdentityAssociations) > 0 && a.Name == "eks-pod-identity-agent" {
			bad("no pod identity associations on eks-pod-identity-agent")
		}
	}
	if pias > 0 && !addons["eks-pod-identity-agent"] {
		bad("pod identity associations need the eks-pod-identity-agent addon")
	}
	if c.AddonsConfig.DisableDefaultAddons && !addons["vpc-cni"] && (len(c.FargateProfiles) > 0 || len(c.IAM.ServiceAccounts) > 0 || len(c.IAM.PodIdentityAssociations) > 0) {
		bad("fargateProfiles and iam need vpc-cni when disableDefaultAddons is set")
	}
	for _, fp := range c.FargateProfiles {
		if fp.Name == "" || strings.HasPrefix(fp.Name, "eks-") {
			bad("Fargate profile name %q: empty or starting with eks-", fp.Name)
		}
		if len(fp.Selectors) == 0 || len(fp.Selectors) > 5 {
			bad("Fargate profile %q: %d selectors", fp.Name, len(fp.Selectors))
		}
		for _, s := range fp.Selectors {
			if s.Namespace == "" {
				bad("Fargate profile %q: selector without namespace", fp.Name)
			}
		}
	}
	return out
}

func TestClusterConfigRejectsUnknownNAT(t *testing.T) {
	e := spec.Default()
	e.Spec.Network.NATGateways = "two"
	if _, err := ClusterConfig(e, Placeholders()); err == nil {
		t.Fatal("no error for natGateways two")
	}
}

// TestClusterConfigMatchesEksctlSchema validates the rendered files against
// the JSON schema eksctl v0.215.0 ships for eksctl.io/v1alpha5.
func TestClusterConfigMatchesEksctlSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("needs eksctl's schema.json from the Go module proxy or a warm module cache (go mod download " + eksctlModule + ")")
	}
	sch := eksctlSchema(t)
	for _, v := range eksctlVariants() {
		t.Run(v.name, func(t *testing.T) {
			data, err := ClusterConfig(v.env, Placeholders())
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(yamlInstance(t, data)); err != nil {
				t.Errorf("eksctl schema rejects the ClusterConfig: %v\n%s", err, data)
			}
		})
	}

	// The check can fail: wrong field names and values must be rejected.
	base, err := ClusterConfig(spec.Default(), Placeholders())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		mutate func(m map[string]any)
	}{
		{"misspelt top-level field", func(m map[string]any) { m["fargateProfile"] = m["fargateProfiles"] }},
		{"misspelt nested field", func(m map[string]any) {
			m["iam"].(map[string]any)["withOidc"] = true
		}},
		{"wrong NAT mode", func(m map[string]any) {
			m["vpc"].(map[string]any)["nat"] = map[string]any{"gateway": "PerZone"}
		}},
		{"misspelt field in a list", func(m map[string]any) {
			pia := m["addons"].([]any)[4].(map[string]any)["podIdentityAssociations"].([]any)[0].(map[string]any)
			pia["serviceAccount"] = pia["serviceAccountName"]
		}},
		{"string for a boolean", func(m map[string]any) {
			m["iam"].(map[string]any)["withOIDC"] = "true"
		}},
		{"field of eksenv's spec", func(m map[string]any) {
			m["metadata"].(map[string]any)["kubernetesVersion"] = "1.33"
		}},
	} {
		t.Run("rejects "+c.name, func(t *testing.T) {
			var m map[string]any
			if err := yaml.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			c.mutate(m)
			data, err := yaml.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(yamlInstance(t, data)); err == nil {
				t.Errorf("eksctl schema accepted a ClusterConfig with a %s:\n%s", c.name, data)
			} else {
				t.Logf("rejected as expected: %v", err)
			}
		})
	}
}

type eksctlVariant struct {
	name string
	env  *spec.Environment
}

func eksctlVariants() []eksctlVariant {
	return []eksctlVariant{
		{"default", spec.Default()},
		{"existing VPC", existingVPCEnv()},
		{"admins", adminsEnv()},
		{"EBS controller on Fargate", ebsOnFargateEnv()},
	}
}

// ebsOnFargateEnv puts the EBS CSI controller on Fargate, so that an
// add-on's service account gets IRSA.
func ebsOnFargateEnv() *spec.Environment {
	e := spec.Default()
	e.Metadata.Name = "ebs-fargate"
	p := &e.Spec.Fargate.Profiles[0]
	p.Selectors = append(p.Selectors, spec.FargateSelector{Namespace: "kube-system", Labels: map[string]string{"app": "ebs-csi-controller"}})
	return e
}

func existingVPCEnv() *spec.Environment {
	e := &spec.Environment{APIVersion: spec.APIVersion, Kind: spec.Kind, Metadata: spec.Metadata{Name: "shared"}}
	e.Spec.Network.ExistingVPC = &spec.ExistingVPC{
		VPCID:            "vpc-0123456789abcdef0",
		PrivateSubnetIDs: []string{"subnet-0a1", "subnet-0b1", "subnet-0c1"},
		PublicSubnetIDs:  []string{"subnet-0a2", "subnet-0b2"},
	}
	e.Spec.Tags = map[string]string{"team": "platform"}
	spec.SetDefaults(e)
	return e
}

func adminsEnv() *spec.Environment {
	off := false
	e := &spec.Environment{APIVersion: spec.APIVersion, Kind: spec.Kind, Metadata: spec.Metadata{Name: "admins"}}
	e.Spec.Region = "eu-central-1"
	e.Spec.Network.NATGateways = spec.NATPerZone
	e.Spec.Access = spec.Access{AuthenticationMode: spec.AuthAPI, Admins: []string{
		"arn:aws:iam::111122223333:role/Admin",
		"arn:aws:iam::111122223333:user/alice",
	}}
	e.Spec.Addons = []spec.Addon{{Name: "vpc-cni", Version: "v1.19.5-eksbuild.1"}}
	e.Spec.Storage.EBS.Enabled = &off
	e.Spec.Storage.EFS.Enabled = &off
	e.Spec.Storage.S3.Enabled = &off
	// CoreDNS on EC2: a profile without the kube-dns selector.
	e.Spec.Fargate.Profiles = []spec.FargateProfile{{Name: "karpenter", Selectors: []spec.FargateSelector{{Namespace: "karpenter"}}}}
	spec.SetDefaults(e)
	return e
}

func yamlInstance(t *testing.T, data []byte) any {
	t.Helper()
	j, err := yaml.YAMLToJSON(data)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// eksctlSchema compiles eksctl's schema.json, taken from the eksctl module
// in the module cache (downloaded through the Go module proxy if needed).
// eksctl is not a dependency of eksenv: go mod download runs in an empty
// directory, so go.mod is left alone.
func eksctlSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", eksctlModule)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil && err == nil {
		err = jerr
	}
	if err != nil || info.Error != "" || info.Dir == "" {
		t.Fatalf("go mod download %s: %v %s %s (needs the Go module proxy or a warm module cache; -short skips this test)",
			eksctlModule, err, info.Error, strings.TrimSpace(stderr.String()))
	}
	path := filepath.Join(info.Dir, filepath.FromSlash(eksctlSchemaPath))
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	const url = "https://eksctl.io/schema/v1alpha5/schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}
