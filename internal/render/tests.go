package render

import (
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

// TestNamespace holds every smoke test.
const TestNamespace = "eksenv-test"

// Images of the smoke tests.
const (
	PauseImage   = "public.ecr.aws/eks-distro/kubernetes/pause:3.10"
	BusyboxImage = "public.ecr.aws/docker/library/busybox:1.37"
	NginxImage   = "public.ecr.aws/nginx/nginx:1.27"
)

// TestManifests returns the seed's smoke tests, each file in namespace
// eksenv-test with its own Namespace object so that it applies alone:
//
//   - tests/test-karpenter-simple.yaml: inflate Deployments of 1-CPU pause
//     pods per architecture some NodePool offers, and one on Spot;
//   - tests/test-gp3-storage-karpenter.yaml (EBS): a Pod writing and reading
//     back a file on a gp3 claim;
//   - tests/test-efs-storage.yaml (EFS): two replicas in different zones
//     sharing one file; they become ready once each sees the other's line;
//   - tests/test-s3-storage.yaml (S3): a Pod writing, reading and deleting an
//     object through a Mountpoint volume on the environment's bucket
//     (e.BucketName(p.AccountID));
//   - tests/test-alb-ingress.yaml (load balancer controller): nginx behind an
//     internet-facing ALB.
//
// No test pod carries the fargate label: they all run on Karpenter's EC2
// nodes. The Pods end Succeeded when their check passed; the Deployments
// become Available.
func TestManifests(e *spec.Environment, p Params) []Manifest {
	st := e.Spec.Storage
	var out []Manifest
	add := func(path string, objs ...runtime.Object) {
		out = append(out, Manifest{Path: path, Objects: append([]runtime.Object{namespaceObject(e, TestNamespace)}, objs...)})
	}
	if objs := karpenterTest(e); len(objs) > 0 {
		add("tests/test-karpenter-simple.yaml", objs...)
	}
	if st.EBS.IsEnabled() {
		add("tests/test-gp3-storage-karpenter.yaml", gp3Test(e)...)
	}
	if st.EFS.IsEnabled() {
		add("tests/test-efs-storage.yaml", efsTest(e)...)
	}
	if st.S3.IsEnabled() {
		add("tests/test-s3-storage.yaml", s3Test(e, p)...)
	}
	if e.Spec.LoadBalancerController.IsEnabled() {
		add("tests/test-alb-ingress.yaml", albTest(e)...)
	}
	return out
}

func testMeta(e *spec.Environment, name string) metav1.ObjectMeta {
	l := ownerLabels(e)
	l["app.kubernetes.io/name"] = name
	l["app.kubernetes.io/part-of"] = TestNamespace
	return metav1.ObjectMeta{Name: name, Namespace: TestNamespace, Labels: l}
}

func testResources(cpu, mem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)},
	}
}

func zoneSpread(name string) []corev1.TopologySpreadConstraint {
	return []corev1.TopologySpreadConstraint{{
		MaxSkew:           1,
		TopologyKey:       placement.LabelZone,
		WhenUnsatisfiable: corev1.DoNotSchedule,
		LabelSelector:     &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": name}},
	}}
}

func testDeployment(e *spec.Environment, name string, replicas int32, ps corev1.PodSpec) *appsv1.Deployment {
	om := testMeta(e, name)
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: om,
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": name}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: om.Labels}, Spec: ps},
		},
	}
}

func testPod(e *spec.Environment, name string, ps corev1.PodSpec) *corev1.Pod {
	ps.RestartPolicy = corev1.RestartPolicyNever
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: testMeta(e, name),
		Spec:       ps,
	}
}

func testClaim(e *spec.Environment, name, class string, mode corev1.PersistentVolumeAccessMode, size string) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: testMeta(e, name),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{mode},
			StorageClassName: ptr(class),
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
	}
}

func testClaimVolume(claim string) []corev1.Volume {
	return []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim},
	}}}
}

func testBusybox(script string, mounts ...corev1.VolumeMount) corev1.Container {
	return corev1.Container{
		Name:         "test",
		Image:        BusyboxImage,
		Command:      []string{"sh", "-c", script},
		Resources:    testResources("10m", "32Mi"),
		VolumeMounts: mounts,
	}
}

func testDataMount() corev1.VolumeMount { return corev1.VolumeMount{Name: "data", MountPath: "/data"} }

// karpenterTest has one inflate Deployment per architecture some NodePool
// offers, pinned to the first pool (in spec order) offering it, and one
// requiring Spot when some pool offers Spot. Each pod asks for a whole CPU,
// so Karpenter must launch nodes for them.
func karpenterTest(e *spec.Environment) []runtime.Object {
	pools := e.Spec.Karpenter.NodePools
	inflate := func(name string, selector map[string]string) *appsv1.Deployment {
		return testDeployment(e, name, 2, corev1.PodSpec{
			TerminationGracePeriodSeconds: ptr(int64(0)),
			NodeSelector:                  selector,
			TopologySpreadConstraints:     zoneSpread(name),
			Containers: []corev1.Container{{
				Name:      "inflate",
				Image:     PauseImage,
				Resources: testResources("1", "64Mi"),
			}},
		})
	}
	var out []runtime.Object
	for _, arch := range []string{spec.ArchAMD64, spec.ArchARM64} {
		i := slices.IndexFunc(pools, func(p spec.NodePool) bool { return slices.Contains(p.Architectures, arch) })
		if i < 0 {
			continue
		}
		out = append(out, inflate("inflate-"+arch, map[string]string{placement.LabelArch: arch, placement.LabelNodePool: pools[i].Name}))
	}
	if slices.ContainsFunc(pools, func(p spec.NodePool) bool { return slices.Contains(p.CapacityTypes, spec.CapacitySpot) }) {
		out = append(out, inflate("inflate-spot", map[string]string{placement.LabelCapacityType: spec.CapacitySpot}))
	}
	return out
}

// gp3Test writes a file on a gp3 volume and reads it back.
func gp3Test(e *spec.Environment) []runtime.Object {
	const name = "gp3-test"
	script := `set -e
echo "eksenv gp3 test $(date -u +%FT%TZ)" > /data/test.txt
sync
grep -q "eksenv gp3 test" /data/test.txt
cat /data/test.txt`
	claim := testClaim(e, name, e.Spec.Storage.EBS.DefaultClass, corev1.ReadWriteOnce, "1Gi")
	pod := testPod(e, name, corev1.PodSpec{
		Containers: []corev1.Container{testBusybox(script, testDataMount())},
		Volumes:    testClaimVolume(name),
	})
	return []runtime.Object{claim, pod}
}

// efsTest runs two replicas in different zones on one EFS claim; each
// appends its name to a shared file and is ready once the file holds both
// names, which proves they share the file system across zones.
func efsTest(e *spec.Environment) []runtime.Object {
	const name = "efs-test"
	script := `set -e
echo "$(hostname)" >> /data/shared.txt
while true; do cat /data/shared.txt; sleep 30; done`
	ctr := testBusybox(script, testDataMount())
	ctr.ReadinessProbe = &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{
			"sh", "-c", `grep -qx "$(hostname)" /data/shared.txt && [ "$(sort -u /data/shared.txt | wc -l)" -ge 2 ]`,
		}}},
		PeriodSeconds: 5,
	}
	claim := testClaim(e, name, e.Spec.Storage.EFS.ClassName, corev1.ReadWriteMany, "1Gi")
	dep := testDeployment(e, name, 2, corev1.PodSpec{
		TerminationGracePeriodSeconds: ptr(int64(5)),
		TopologySpreadConstraints:     zoneSpread(name),
		Containers:                    []corev1.Container{ctr},
		Volumes:                       testClaimVolume(name),
	})
	return []runtime.Object{claim, dep}
}

// s3Test mounts the environment's bucket (under the prefix eksenv-test/)
// through a static Mountpoint volume and writes, reads back and deletes an
// object. Mountpoint cannot overwrite objects, so the name is unique.
func s3Test(e *spec.Environment, p Params) []runtime.Object {
	const name = "s3-test"
	bucket := e.BucketName(p.AccountID)
	size := resource.MustParse("1200Gi") // ignored by the driver, required by Kubernetes
	pvMeta := testMeta(e, name)
	pvMeta.Namespace = ""
	pv := &corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: pvMeta,
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              "", // static only
			MountOptions:                  []string{"allow-delete", "region " + e.Spec.Region, "prefix " + TestNamespace + "/"},
			ClaimRef:                      &corev1.ObjectReference{Namespace: TestNamespace, Name: name},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver:           placement.DriverS3,
				VolumeHandle:     bucket + "-volume",
				VolumeAttributes: map[string]string{"bucketName": bucket},
			}},
		},
	}
	claim := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: testMeta(e, name),
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: ptr(""),
			VolumeName:       name,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
	script := `set -e
f="/data/smoke-$(hostname)-$(date +%s).txt"
echo "eksenv s3 test" > "$f"
grep -q "eksenv s3 test" "$f"
ls -l /data
rm "$f"`
	pod := testPod(e, name, corev1.PodSpec{
		Containers: []corev1.Container{testBusybox(script, testDataMount())},
		Volumes:    testClaimVolume(name),
	})
	return []runtime.Object{pv, claim, pod}
}

// albTest is nginx behind an internet-facing ALB with IP targets.
func albTest(e *spec.Environment) []runtime.Object {
	const name = "alb-test"
	dep := testDeployment(e, name, 1, corev1.PodSpec{
		Containers: []corev1.Container{{
			Name:      "nginx",
			Image:     NginxImage,
			Ports:     []corev1.ContainerPort{{Name: "http", ContainerPort: 80, Protocol: corev1.ProtocolTCP}},
			Resources: testResources("50m", "64Mi"),
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: "/", Port: intstr.FromString("http"),
			}}},
		}},
	})
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: testMeta(e, name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{"app.kubernetes.io/name": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
	im := testMeta(e, name)
	im.Annotations = map[string]string{
		albScheme:          SchemeInternetFacing,
		albTargetType:      "ip",
		albHealthcheckPath: "/",
		albTags:            spec.OwnerTagKey + "=" + e.Metadata.Name,
	}
	ing := albIngress(im, name, "http")
	return []runtime.Object{dep, svc, ing}
}
