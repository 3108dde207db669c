package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

// goldenManifests compares each manifest, as MarshalObjects writes it, with
// testdata/<dir>/<file name>, or rewrites the files under -update. A golden
// file that no manifest produces any more is an error too.
func goldenManifests(t *testing.T, dir string, ms []Manifest) {
	t.Helper()
	gdir := filepath.Join("testdata", dir)
	want := map[string]bool{}
	for _, m := range ms {
		if got := filepath.Dir(m.Path); got != dir {
			t.Errorf("%s is not under %s/", m.Path, dir)
			continue
		}
		name := filepath.Base(m.Path)
		want[name] = true
		data, err := MarshalObjects(m.Objects...)
		if err != nil {
			t.Fatalf("marshal %s: %v", m.Path, err)
		}
		path := filepath.Join(gdir, name)
		if *update {
			if err := os.MkdirAll(gdir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		golden, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/render -update)", err)
		}
		if !bytes.Equal(data, golden) {
			t.Errorf("%s differs from %s (run go test ./internal/render -update and review the diff):\n%s", m.Path, path, data)
		}
	}
	entries, err := os.ReadDir(gdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, en := range entries {
		if !want[en.Name()] {
			if *update {
				if err := os.Remove(filepath.Join(gdir, en.Name())); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("%s/%s is produced by no manifest any more", gdir, en.Name())
		}
	}
}

// envWith returns the default environment changed by edit, with defaults
// applied again.
func envWith(edit func(e *spec.Environment)) *spec.Environment {
	e := spec.Default()
	edit(e)
	spec.SetDefaults(e)
	return e
}

func manifestPaths(ms []Manifest) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Path)
	}
	return out
}

func findManifest(t *testing.T, ms []Manifest, path string) Manifest {
	t.Helper()
	for _, m := range ms {
		if m.Path == path {
			return m
		}
	}
	t.Fatalf("no %s among %v", path, manifestPaths(ms))
	return Manifest{}
}

func allObjects(ms []Manifest) []runtime.Object {
	var out []runtime.Object
	for _, m := range ms {
		out = append(out, m.Objects...)
	}
	return out
}

func objectsOf[T runtime.Object](objs []runtime.Object) []T {
	var out []T
	for _, o := range objs {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// checkOwnerLabels fails for an object without TypeMeta or the owner labels.
func checkOwnerLabels(t *testing.T, e *spec.Environment, objs []runtime.Object) {
	t.Helper()
	for _, o := range objs {
		gvk := o.GetObjectKind().GroupVersionKind()
		if gvk.Kind == "" || gvk.Version == "" {
			t.Errorf("%T has no apiVersion/kind", o)
		}
		acc, ok := o.(interface{ GetLabels() map[string]string })
		if !ok {
			t.Fatalf("%T has no labels", o)
		}
		l := acc.GetLabels()
		if l["app.kubernetes.io/managed-by"] != "eksenv" || l[spec.OwnerTagKey] != e.Metadata.Name {
			t.Errorf("%s lacks the owner labels: %v", describe(o), l)
		}
	}
}

// catalogFor is the environment's classes plus the storage objects of the
// rendered manifests.
func catalogFor(e *spec.Environment, p Params, ms []Manifest) *placement.Catalog {
	c := placement.NewCatalog(e)
	c.Add(allObjects(StorageManifests(e, p))...)
	c.Add(allObjects(ms)...)
	return c
}

func TestPortainerGolden(t *testing.T) {
	goldenManifests(t, "portainer", PortainerManifests(spec.Default(), Placeholders()))
}

func TestPortainerManifestsOrder(t *testing.T) {
	e := spec.Default()
	ms := PortainerManifests(e, Placeholders())
	got := strings.Join(manifestPaths(ms), " ")
	want := "portainer/portainer-efs-storageclass.yaml portainer/portainer-efs-pvc.yaml portainer/portainer-deployment.yaml"
	if got != want {
		t.Fatalf("paths = %s, want %s", got, want)
	}
	checkOwnerLabels(t, e, allObjects(ms))
	// Every file that holds namespaced objects brings its Namespace first.
	for _, m := range ms[1:] {
		if ns, ok := m.Objects[0].(*corev1.Namespace); !ok || ns.Name != PortainerNamespace {
			t.Errorf("%s does not start with Namespace %s", m.Path, PortainerNamespace)
		}
	}
}

func TestPortainerDisabled(t *testing.T) {
	e := envWith(func(e *spec.Environment) { e.Spec.Portainer.Enabled = ptr(false) })
	if ms := PortainerManifests(e, Placeholders()); ms != nil {
		t.Fatalf("disabled Portainer renders %v", manifestPaths(ms))
	}
}

// TestPortainerOnFargate: with the default profiles Portainer runs on
// Fargate with a statically provisioned EFS volume and nothing blocking it.
func TestPortainerOnFargate(t *testing.T) {
	e := spec.Default()
	p := Placeholders()
	ms := PortainerManifests(e, p)
	deps := objectsOf[*appsv1.Deployment](allObjects(ms))
	if len(deps) != 1 {
		t.Fatalf("%d Deployments, want 1", len(deps))
	}
	w, ok := placement.FromObject(deps[0], catalogFor(e, p, ms))
	if !ok {
		t.Fatal("FromObject does not read the Deployment")
	}
	d := placement.Decide(e, w)
	if d.Where != placement.OnFargate {
		t.Fatalf("Portainer runs on %s, want fargate: %v", d.Where, d.Reasons)
	}
	if len(d.Blockers) > 0 {
		t.Fatalf("blockers on Fargate: %v", d.Blockers)
	}
	if len(w.Volumes) != 1 || w.Volumes[0].Kind != placement.VolEFSStatic {
		t.Fatalf("volumes = %+v, want one %s", w.Volumes, placement.VolEFSStatic)
	}
	if d.FargateSize == nil || d.FargateSize.VCPU != 0.25 || d.FargateSize.MemoryGiB != 1 {
		t.Errorf("Fargate size = %+v, want 0.25 vCPU 1 GB", d.FargateSize)
	}

	pvs := objectsOf[*corev1.PersistentVolume](allObjects(ms))
	if len(pvs) != 1 {
		t.Fatalf("%d PVs, want 1", len(pvs))
	}
	csi := pvs[0].Spec.CSI
	if csi == nil || csi.Driver != placement.DriverEFS || csi.VolumeHandle != "${EFS_FILE_SYSTEM_ID}::${PORTAINER_ACCESS_POINT_ID}" {
		t.Errorf("PV source = %+v", pvs[0].Spec.PersistentVolumeSource)
	}
	claims := objectsOf[*corev1.PersistentVolumeClaim](allObjects(ms))
	if len(claims) != 1 || claims[0].Spec.VolumeName != pvs[0].Name || *claims[0].Spec.StorageClassName != PortainerClass {
		t.Errorf("claim not bound to %s by volumeName and class %s: %+v", pvs[0].Name, PortainerClass, claims)
	}
	classes := objectsOf[*storagev1.StorageClass](allObjects(ms))
	if len(classes) != 1 || len(classes[0].Parameters) != 0 {
		t.Errorf("on Fargate the class only names the binding, got %+v", classes)
	}
}

// TestPortainerOnEC2: without a profile selecting it, Portainer gets a
// dynamically provisioned EFS claim and runs on EC2.
func TestPortainerOnEC2(t *testing.T) {
	e := envWith(func(e *spec.Environment) {
		e.Spec.Fargate.Profiles = []spec.FargateProfile{{Name: "karpenter", Selectors: []spec.FargateSelector{{Namespace: "karpenter"}}}}
	})
	p := Placeholders()
	ms := PortainerManifests(e, p)
	objs := allObjects(ms)
	if pvs := objectsOf[*corev1.PersistentVolume](objs); len(pvs) != 0 {
		t.Errorf("static PV on EC2: %v", pvs)
	}
	classes := objectsOf[*storagev1.StorageClass](objs)
	if len(classes) != 1 || classes[0].Parameters["provisioningMode"] != "efs-ap" ||
		classes[0].Parameters["fileSystemId"] != p.EFSFileSystemID || classes[0].Parameters["directoryPerms"] != "700" {
		t.Fatalf("class = %+v, want a dynamic efs-ap class", classes)
	}
	w, _ := placement.FromObject(objectsOf[*appsv1.Deployment](objs)[0], catalogFor(e, p, ms))
	d := placement.Decide(e, w)
	if d.Where != placement.OnEC2 || len(w.Volumes) != 1 || w.Volumes[0].Kind != placement.VolEFSDyn {
		t.Fatalf("where %s, volumes %+v; want ec2 with %s", d.Where, w.Volumes, placement.VolEFSDyn)
	}
}

// TestPortainerEBS: EBS storage writes no EFS class, claims the gp3 class
// ReadWriteOnce, and keeps the pod off Fargate (which cannot attach EBS).
func TestPortainerEBS(t *testing.T) {
	e := envWith(func(e *spec.Environment) { e.Spec.Portainer.Storage = spec.PortainerStorageEBS })
	p := Placeholders()
	ms := PortainerManifests(e, p)
	if got := strings.Join(manifestPaths(ms), " "); got != "portainer/portainer-efs-pvc.yaml portainer/portainer-deployment.yaml" {
		t.Fatalf("paths = %s", got)
	}
	objs := allObjects(ms)
	claims := objectsOf[*corev1.PersistentVolumeClaim](objs)
	if len(claims) != 1 || *claims[0].Spec.StorageClassName != e.Spec.Storage.EBS.DefaultClass ||
		claims[0].Spec.AccessModes[0] != corev1.ReadWriteOnce || claims[0].Spec.VolumeName != "" {
		t.Fatalf("claim = %+v, want a ReadWriteOnce claim on %s", claims, e.Spec.Storage.EBS.DefaultClass)
	}
	w, _ := placement.FromObject(objectsOf[*appsv1.Deployment](objs)[0], catalogFor(e, p, ms))
	d := placement.Decide(e, w)
	if d.Where != placement.OnEC2 || len(d.Blockers) > 0 || w.Volumes[0].Kind != placement.VolEBS {
		t.Fatalf("where %s, blockers %v, volumes %+v; want ec2 with ebs", d.Where, d.Blockers, w.Volumes)
	}
}

func TestPortainerExpose(t *testing.T) {
	for _, tc := range []struct {
		expose  string
		svcType corev1.ServiceType
		scheme  string // of the Ingress; "" for none
	}{
		{spec.ExposePortForward, corev1.ServiceTypeClusterIP, ""},
		{spec.ExposeLoadBalancer, corev1.ServiceTypeLoadBalancer, ""},
		{spec.ExposeInternalALB, corev1.ServiceTypeClusterIP, SchemeInternal},
		{spec.ExposeInternetALB, corev1.ServiceTypeClusterIP, SchemeInternetFacing},
	} {
		t.Run(tc.expose, func(t *testing.T) {
			e := envWith(func(e *spec.Environment) { e.Spec.Portainer.Expose = tc.expose })
			objs := allObjects(PortainerManifests(e, Placeholders()))
			checkOwnerLabels(t, e, objs)
			svcs := objectsOf[*corev1.Service](objs)
			if len(svcs) != 1 || svcs[0].Spec.Type != tc.svcType {
				t.Fatalf("services = %+v, want one %s", svcs, tc.svcType)
			}
			svc := svcs[0]
			if tc.svcType == corev1.ServiceTypeLoadBalancer {
				a := svc.Annotations
				if a["service.beta.kubernetes.io/aws-load-balancer-type"] != "external" ||
					a["service.beta.kubernetes.io/aws-load-balancer-nlb-target-type"] != "ip" ||
					a["service.beta.kubernetes.io/aws-load-balancer-scheme"] != "internal" {
					t.Errorf("NLB annotations = %v, want an internal NLB with IP targets", a)
				}
			}
			for _, o := range objs {
				if acc, ok := o.(interface{ GetAnnotations() map[string]string }); ok {
					for k, v := range acc.GetAnnotations() {
						if v == SchemeInternetFacing && tc.expose != spec.ExposeInternetALB {
							t.Errorf("%s is internet-facing (%s) with expose %s", describe(o), k, tc.expose)
						}
					}
				}
			}
			ings := objectsOf[*networkingv1.Ingress](objs)
			if tc.scheme == "" {
				if len(ings) != 0 {
					t.Fatalf("expose %s renders an Ingress", tc.expose)
				}
				return
			}
			if len(ings) != 1 {
				t.Fatalf("%d Ingresses, want 1", len(ings))
			}
			ing := ings[0]
			a := ing.Annotations
			if *ing.Spec.IngressClassName != "alb" || a["alb.ingress.kubernetes.io/scheme"] != tc.scheme ||
				a["alb.ingress.kubernetes.io/target-type"] != "ip" || a["alb.ingress.kubernetes.io/backend-protocol"] != "HTTPS" ||
				a["alb.ingress.kubernetes.io/healthcheck-path"] != "/" {
				t.Errorf("Ingress = class %v, annotations %v", *ing.Spec.IngressClassName, a)
			}
			b := ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service
			if b.Name != svc.Name || b.Port.Name != "https" {
				t.Errorf("backend = %+v, want %s port https", b, svc.Name)
			}
			var https *corev1.ServicePort
			for i := range svc.Spec.Ports {
				if svc.Spec.Ports[i].Name == "https" {
					https = &svc.Spec.Ports[i]
				}
			}
			if https == nil || https.Port != PortainerHTTPSPort {
				t.Errorf("service ports = %+v, want https on %d", svc.Spec.Ports, PortainerHTTPSPort)
			}
		})
	}
}

func TestPortainerDeploymentSpec(t *testing.T) {
	e := spec.Default()
	d := PortainerDeployment(e)
	ps := d.Spec.Template.Spec
	c := ps.Containers[0]
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("replicas %d strategy %s, want 1 Recreate", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	if c.Image != spec.DefaultPortainerImage || ps.ServiceAccountName != PortainerServiceAccount {
		t.Errorf("image %s sa %s", c.Image, ps.ServiceAccountName)
	}
	l := d.Spec.Template.Labels
	if l["app.kubernetes.io/name"] != "portainer" || l[spec.FargateLabelKey] != spec.FargateLabelValue {
		t.Errorf("pod labels = %v", l)
	}
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if c.Resources.Requests[r] != c.Resources.Limits[r] {
			t.Errorf("%s request %v != limit %v", r, c.Resources.Requests[r], c.Resources.Limits[r])
		}
	}
	for _, pr := range []*corev1.Probe{c.ReadinessProbe, c.LivenessProbe} {
		if pr == nil || pr.HTTPGet == nil || pr.HTTPGet.Port.IntValue() != PortainerHTTPSPort || pr.HTTPGet.Scheme != corev1.URISchemeHTTPS {
			t.Errorf("probe = %+v, want HTTPS on %d", pr, PortainerHTTPSPort)
		}
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/data" || ps.Volumes[0].PersistentVolumeClaim.ClaimName != PortainerClaim {
		t.Errorf("data volume = %+v %+v", c.VolumeMounts, ps.Volumes)
	}
}
