package render

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

var allTestFiles = []string{
	"tests/test-karpenter-simple.yaml",
	"tests/test-gp3-storage-karpenter.yaml",
	"tests/test-efs-storage.yaml",
	"tests/test-s3-storage.yaml",
	"tests/test-alb-ingress.yaml",
}

func TestTestsGolden(t *testing.T) {
	goldenManifests(t, "tests", TestManifests(spec.Default(), Placeholders()))
}

func TestTestManifestsFiles(t *testing.T) {
	e := spec.Default()
	ms := TestManifests(e, Placeholders())
	if got := manifestPaths(ms); !slices.Equal(got, allTestFiles) {
		t.Fatalf("paths = %v, want %v", got, allTestFiles)
	}
	checkOwnerLabels(t, e, allObjects(ms))
	for _, m := range ms {
		if ns, ok := m.Objects[0].(*corev1.Namespace); !ok || ns.Name != TestNamespace {
			t.Errorf("%s does not start with Namespace %s, so it does not apply alone", m.Path, TestNamespace)
		}
		for _, o := range m.Objects[1:] {
			acc := o.(interface{ GetNamespace() string })
			if _, cluster := o.(*corev1.PersistentVolume); !cluster && acc.GetNamespace() != TestNamespace {
				t.Errorf("%s: %s is in namespace %q", m.Path, describe(o), acc.GetNamespace())
			}
		}
	}
}

// testWorkloads decides every pod-bearing object of the smoke tests.
func testWorkloads(t *testing.T, e *spec.Environment) map[string]placement.Decision {
	t.Helper()
	p := Placeholders()
	ms := TestManifests(e, p)
	c := catalogFor(e, p, ms)
	out := map[string]placement.Decision{}
	for _, o := range allObjects(ms) {
		w, ok := placement.FromObject(o, c)
		if !ok {
			continue
		}
		if _, has := w.Labels[spec.FargateLabelKey]; has {
			t.Errorf("%s carries the %s label", w.Name, spec.FargateLabelKey)
		}
		out[w.Name] = placement.Decide(e, w)
	}
	return out
}

// TestTestWorkloadsOnEC2: every smoke-test pod runs on Karpenter's EC2 nodes.
func TestTestWorkloadsOnEC2(t *testing.T) {
	e := spec.Default()
	ds := testWorkloads(t, e)
	want := []string{
		"Deployment/inflate-amd64", "Deployment/inflate-arm64", "Deployment/inflate-spot",
		"Pod/gp3-test", "Deployment/efs-test", "Pod/s3-test", "Deployment/alb-test",
	}
	for _, name := range want {
		d, ok := ds[name]
		if !ok {
			t.Errorf("no workload %s", name)
			continue
		}
		if d.Where != placement.OnEC2 || len(d.Blockers) > 0 {
			t.Errorf("%s: where %s, blockers %v; want ec2: %v", name, d.Where, d.Blockers, d.Reasons)
		}
	}
	if len(ds) != len(want) {
		t.Errorf("%d workloads, want %d", len(ds), len(want))
	}
	for name, pool := range map[string]string{"Deployment/inflate-amd64": "amd64", "Deployment/inflate-arm64": "arm64"} {
		if got := ds[name].NodePoolNames(); !slices.Equal(got, []string{pool}) {
			t.Errorf("%s admitted by %v, want [%s]", name, got, pool)
		}
	}
	for _, pm := range ds["Deployment/inflate-spot"].NodePools {
		if pm.Admits && !slices.Equal(pm.CapacityTypes, []string{spec.CapacitySpot}) {
			t.Errorf("inflate-spot may get %v from %s", pm.CapacityTypes, pm.NodePool)
		}
	}
	kinds := map[string]string{"Pod/gp3-test": placement.VolEBS, "Deployment/efs-test": placement.VolEFSDyn, "Pod/s3-test": placement.VolS3}
	for name, kind := range kinds {
		if v := ds[name].Workload.Volumes; len(v) != 1 || v[0].Kind != kind {
			t.Errorf("%s volumes = %+v, want one %s", name, v, kind)
		}
	}
}

func TestKarpenterTestFollowsPools(t *testing.T) {
	e := envWith(func(e *spec.Environment) {
		e.Spec.Karpenter.NodePools = []spec.NodePool{{Name: "general", Architectures: []string{spec.ArchARM64}, CapacityTypes: []string{spec.CapacityOnDemand}}}
	})
	m := findManifest(t, TestManifests(e, Placeholders()), "tests/test-karpenter-simple.yaml")
	deps := objectsOf[*appsv1.Deployment](m.Objects)
	if len(deps) != 1 || deps[0].Name != "inflate-arm64" {
		t.Fatalf("deployments = %v, want only inflate-arm64", deploymentNames(deps))
	}
	if got := deps[0].Spec.Template.Spec.NodeSelector[placement.LabelNodePool]; got != "general" {
		t.Errorf("nodepool selector = %q, want general", got)
	}
	for name, d := range testWorkloads(t, e) {
		if d.Where != placement.OnEC2 {
			t.Errorf("%s: where %s: %v", name, d.Where, d.Blockers)
		}
	}
}

func deploymentNames(ds []*appsv1.Deployment) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}

func TestInflateSpec(t *testing.T) {
	m := findManifest(t, TestManifests(spec.Default(), Placeholders()), "tests/test-karpenter-simple.yaml")
	for _, d := range objectsOf[*appsv1.Deployment](m.Objects) {
		ps := d.Spec.Template.Spec
		if *d.Spec.Replicas != 2 || ps.Containers[0].Image != PauseImage {
			t.Errorf("%s: replicas %d image %s", d.Name, *d.Spec.Replicas, ps.Containers[0].Image)
		}
		if cpu := ps.Containers[0].Resources.Requests.Cpu(); cpu.MilliValue() != 1000 {
			t.Errorf("%s requests %v CPU, want 1", d.Name, cpu)
		}
		if len(ps.TopologySpreadConstraints) != 1 || ps.TopologySpreadConstraints[0].TopologyKey != placement.LabelZone {
			t.Errorf("%s spread = %+v", d.Name, ps.TopologySpreadConstraints)
		}
	}
}

func TestEFSTestSpreads(t *testing.T) {
	m := findManifest(t, TestManifests(spec.Default(), Placeholders()), "tests/test-efs-storage.yaml")
	claims := objectsOf[*corev1.PersistentVolumeClaim](m.Objects)
	if len(claims) != 1 || claims[0].Spec.AccessModes[0] != corev1.ReadWriteMany || *claims[0].Spec.StorageClassName != "efs" {
		t.Fatalf("claims = %+v, want ReadWriteMany on efs", claims)
	}
	d := objectsOf[*appsv1.Deployment](m.Objects)[0]
	tsc := d.Spec.Template.Spec.TopologySpreadConstraints
	if *d.Spec.Replicas != 2 || len(tsc) != 1 || tsc[0].MaxSkew != 1 || tsc[0].WhenUnsatisfiable != corev1.DoNotSchedule {
		t.Errorf("replicas %d spread %+v, want 2 spread over zones, DoNotSchedule", *d.Spec.Replicas, tsc)
	}
}

func TestS3Test(t *testing.T) {
	e := spec.Default()
	p := Placeholders()
	p.AccountID = "123456789012"
	m := findManifest(t, TestManifests(e, p), "tests/test-s3-storage.yaml")
	pvs := objectsOf[*corev1.PersistentVolume](m.Objects)
	if len(pvs) != 1 {
		t.Fatalf("%d PVs, want 1", len(pvs))
	}
	pv := pvs[0]
	bucket := "eks-env-123456789012-us-west-2"
	if csi := pv.Spec.CSI; csi.Driver != "s3.csi.aws.com" || csi.VolumeHandle != bucket+"-volume" || csi.VolumeAttributes["bucketName"] != bucket {
		t.Errorf("PV source = %+v", csi)
	}
	if pv.Spec.StorageClassName != "" || !slices.Contains(pv.Spec.MountOptions, "allow-delete") || !slices.Contains(pv.Spec.MountOptions, "region us-west-2") {
		t.Errorf("PV class %q mount options %v", pv.Spec.StorageClassName, pv.Spec.MountOptions)
	}
	claim := objectsOf[*corev1.PersistentVolumeClaim](m.Objects)[0]
	if claim.Spec.VolumeName != pv.Name || claim.Spec.StorageClassName == nil || *claim.Spec.StorageClassName != "" {
		t.Errorf("claim not bound by volumeName with an empty class: %+v", claim.Spec)
	}
	data, err := MarshalObjects(claim)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `storageClassName: ""`) {
		t.Errorf("the claim's empty storageClassName is not written:\n%s", data)
	}
}

func TestALBTest(t *testing.T) {
	m := findManifest(t, TestManifests(spec.Default(), Placeholders()), "tests/test-alb-ingress.yaml")
	ings := objectsOf[*networkingv1.Ingress](m.Objects)
	if len(ings) != 1 {
		t.Fatalf("%d Ingresses", len(ings))
	}
	a := ings[0].Annotations
	if *ings[0].Spec.IngressClassName != "alb" || a["alb.ingress.kubernetes.io/scheme"] != "internet-facing" ||
		a["alb.ingress.kubernetes.io/target-type"] != "ip" || a["alb.ingress.kubernetes.io/healthcheck-path"] != "/" {
		t.Errorf("Ingress class %s annotations %v", *ings[0].Spec.IngressClassName, a)
	}
	if img := objectsOf[*appsv1.Deployment](m.Objects)[0].Spec.Template.Spec.Containers[0].Image; img != NginxImage {
		t.Errorf("image %s", img)
	}
}

func TestTestManifestsFollowSpec(t *testing.T) {
	off := ptr(false)
	for _, tc := range []struct {
		name    string
		edit    func(e *spec.Environment)
		dropped string
	}{
		{"no S3", func(e *spec.Environment) { e.Spec.Storage.S3.Enabled = off }, "tests/test-s3-storage.yaml"},
		{"no EFS", func(e *spec.Environment) { e.Spec.Storage.EFS.Enabled = off }, "tests/test-efs-storage.yaml"},
		{"no EBS", func(e *spec.Environment) { e.Spec.Storage.EBS.Enabled = off }, "tests/test-gp3-storage-karpenter.yaml"},
		{"no load balancer controller", func(e *spec.Environment) { e.Spec.LoadBalancerController.Enabled = off }, "tests/test-alb-ingress.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := manifestPaths(TestManifests(envWith(tc.edit), Placeholders()))
			want := slices.DeleteFunc(slices.Clone(allTestFiles), func(s string) bool { return s == tc.dropped })
			if !slices.Equal(got, want) {
				t.Errorf("paths = %v, want %v", got, want)
			}
		})
	}
}

// TestTestsDropS3Objects: with S3 off no object of the tests uses the S3 driver.
func TestTestsDropS3Objects(t *testing.T) {
	e := envWith(func(e *spec.Environment) { e.Spec.Storage.S3.Enabled = ptr(false) })
	for _, pv := range objectsOf[*corev1.PersistentVolume](allObjects(TestManifests(e, Placeholders()))) {
		t.Errorf("PV %s rendered with S3 disabled", pv.Name)
	}
}
