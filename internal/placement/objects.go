package placement

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/eksenv/eksenv/internal/spec"
)

// CSI drivers by name.
const (
	DriverEBS = "ebs.csi.aws.com"
	DriverEFS = "efs.csi.aws.com"
	DriverS3  = "s3.csi.aws.com"
)

// Catalog tells what backs a claim: the environment's StorageClasses plus
// the claims, volumes and classes of the manifests being explained.
type Catalog struct {
	// Classes maps StorageClass names to provisioners.
	Classes map[string]string
	// DefaultClass is the class of claims that name none.
	DefaultClass string
	// Claims maps namespace/name to the claim.
	Claims map[string]*corev1.PersistentVolumeClaim
	// Volumes maps PV names to the volume.
	Volumes map[string]*corev1.PersistentVolume
}

// NewCatalog starts a catalog from the environment's StorageClasses.
func NewCatalog(e *spec.Environment) *Catalog {
	c := &Catalog{Classes: map[string]string{}, Claims: map[string]*corev1.PersistentVolumeClaim{}, Volumes: map[string]*corev1.PersistentVolume{}}
	if e.Spec.Storage.EBS.IsEnabled() {
		c.Classes[e.Spec.Storage.EBS.DefaultClass] = DriverEBS
		c.DefaultClass = e.Spec.Storage.EBS.DefaultClass
	}
	if e.Spec.Storage.EFS.IsEnabled() {
		c.Classes[e.Spec.Storage.EFS.ClassName] = DriverEFS
	}
	return c
}

// Add records the storage objects among objs.
func (c *Catalog) Add(objs ...runtime.Object) {
	for _, o := range objs {
		switch v := o.(type) {
		case *storagev1.StorageClass:
			c.Classes[v.Name] = v.Provisioner
			if v.Annotations["storageclass.kubernetes.io/is-default-class"] == "true" {
				c.DefaultClass = v.Name
			}
		case *corev1.PersistentVolumeClaim:
			c.Claims[namespaced(v.Namespace, v.Name)] = v
		case *corev1.PersistentVolume:
			c.Volumes[v.Name] = v
		}
	}
}

func namespaced(ns, name string) string {
	if ns == "" {
		ns = "default"
	}
	return ns + "/" + name
}

// FromObject describes the pods of a Pod, Deployment, StatefulSet,
// DaemonSet, ReplicaSet, Job or CronJob. ok is false for other kinds.
func FromObject(o runtime.Object, c *Catalog) (w Workload, ok bool) {
	var meta podMeta
	var tmpl *corev1.PodTemplateSpec
	switch v := o.(type) {
	case *corev1.Pod:
		meta = podMeta{"Pod", v.Name, v.Namespace}
		tmpl = &corev1.PodTemplateSpec{ObjectMeta: v.ObjectMeta, Spec: v.Spec}
	case *appsv1.Deployment:
		meta, tmpl = podMeta{"Deployment", v.Name, v.Namespace}, &v.Spec.Template
	case *appsv1.StatefulSet:
		meta, tmpl = podMeta{"StatefulSet", v.Name, v.Namespace}, &v.Spec.Template
		w.Volumes = append(w.Volumes, claimTemplates(v.Spec.VolumeClaimTemplates, c)...)
	case *appsv1.DaemonSet:
		meta, tmpl = podMeta{"DaemonSet", v.Name, v.Namespace}, &v.Spec.Template
	case *appsv1.ReplicaSet:
		meta, tmpl = podMeta{"ReplicaSet", v.Name, v.Namespace}, &v.Spec.Template
	case *batchv1.Job:
		meta, tmpl = podMeta{"Job", v.Name, v.Namespace}, &v.Spec.Template
	case *batchv1.CronJob:
		meta, tmpl = podMeta{"CronJob", v.Name, v.Namespace}, &v.Spec.JobTemplate.Spec.Template
	default:
		return Workload{}, false
	}
	ns := meta.namespace
	if ns == "" {
		ns = "default"
	}
	w.Name = meta.kind + "/" + meta.name
	w.Kind = meta.kind
	w.Namespace = ns
	w.Labels = tmpl.Labels
	ps := tmpl.Spec
	w.ServiceAccount = ps.ServiceAccountName
	w.HostNetwork = ps.HostNetwork
	for k, v := range ps.NodeSelector {
		w.Requirements = append(w.Requirements, Requirement{Key: k, Operator: "In", Values: []string{v}})
	}
	sortRequirements(w.Requirements)
	if a := ps.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		// Terms are ORed; eksenv reads the first term, which is what nearly
		// every manifest has, and says so in the reasons.
		terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		if len(terms) > 0 {
			for _, ex := range terms[0].MatchExpressions {
				w.Requirements = append(w.Requirements, Requirement{Key: ex.Key, Operator: string(ex.Operator), Values: ex.Values})
			}
		}
	}
	cpu, mem := effectiveRequests(ps)
	w.CPUMilli, w.MemoryMiB = cpu, mem
	for _, ctr := range append(append([]corev1.Container{}, ps.InitContainers...), ps.Containers...) {
		if sc := ctr.SecurityContext; sc != nil && sc.Privileged != nil && *sc.Privileged {
			w.Privileged = true
		}
		for _, p := range ctr.Ports {
			if p.HostPort != 0 {
				w.HostNetwork = true
			}
		}
	}
	for _, v := range ps.Volumes {
		if vol, ok := classify(v, ns, c); ok {
			w.Volumes = append(w.Volumes, vol)
		}
	}
	return w, true
}

type podMeta struct{ kind, name, namespace string }

func sortRequirements(rs []Requirement) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].Key < rs[j-1].Key; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// effectiveRequests is what Fargate and the scheduler size a pod by: the
// larger of the largest init container and the sum of the containers.
func effectiveRequests(ps corev1.PodSpec) (cpuMilli, memMiB int64) {
	sum := func(ctrs []corev1.Container) (int64, int64, int64, int64) {
		var c, m, maxC, maxM int64
		for _, ctr := range ctrs {
			cc, mm := requestOf(ctr)
			c += cc
			m += mm
			maxC, maxM = max(maxC, cc), max(maxM, mm)
		}
		return c, m, maxC, maxM
	}
	c, m, _, _ := sum(ps.Containers)
	_, _, ic, im := sum(ps.InitContainers)
	return max(c, ic), max(m, im)
}

func requestOf(c corev1.Container) (int64, int64) {
	cpu, mem := c.Resources.Requests.Cpu(), c.Resources.Requests.Memory()
	if cpu.IsZero() {
		cpu = c.Resources.Limits.Cpu()
	}
	if mem.IsZero() {
		mem = c.Resources.Limits.Memory()
	}
	return cpu.MilliValue(), (mem.Value() + (1<<20 - 1)) >> 20
}

func claimTemplates(ts []corev1.PersistentVolumeClaim, c *Catalog) []Volume {
	var out []Volume
	for _, t := range ts {
		out = append(out, claimVolume(t.Name, &t, c))
	}
	return out
}

func classify(v corev1.Volume, ns string, c *Catalog) (Volume, bool) {
	switch {
	case v.HostPath != nil:
		return Volume{Name: v.Name, Kind: VolHostPath}, true
	case v.AWSElasticBlockStore != nil:
		return Volume{Name: v.Name, Kind: VolEBS, Source: "awsElasticBlockStore"}, true
	case v.CSI != nil:
		return Volume{Name: v.Name, Kind: driverKind(v.CSI.Driver, true), Source: "inline CSI " + v.CSI.Driver}, true
	case v.Ephemeral != nil && v.Ephemeral.VolumeClaimTemplate != nil:
		t := v.Ephemeral.VolumeClaimTemplate
		return claimVolume(v.Name, &corev1.PersistentVolumeClaim{Spec: t.Spec}, c), true
	case v.PersistentVolumeClaim != nil:
		name := v.PersistentVolumeClaim.ClaimName
		claim, ok := c.Claims[namespaced(ns, name)]
		if !ok {
			return Volume{Name: v.Name, Kind: VolOther, Source: fmt.Sprintf("claim %s (not in the given manifests)", name)}, true
		}
		return claimVolume(v.Name, claim, c), true
	}
	return Volume{}, false
}

// claimVolume resolves a claim to the kind of storage behind it: a bound PV
// by its CSI driver (static), otherwise its StorageClass (dynamic).
func claimVolume(name string, claim *corev1.PersistentVolumeClaim, c *Catalog) Volume {
	if pvName := claim.Spec.VolumeName; pvName != "" {
		if pv, ok := c.Volumes[pvName]; ok && pv.Spec.CSI != nil {
			return Volume{Name: name, Kind: driverKind(pv.Spec.CSI.Driver, true), Source: "volume " + pvName}
		}
		return Volume{Name: name, Kind: VolOther, Source: "volume " + pvName}
	}
	class := c.DefaultClass
	if claim.Spec.StorageClassName != nil {
		class = *claim.Spec.StorageClassName
	}
	prov, ok := c.Classes[class]
	if !ok {
		return Volume{Name: name, Kind: VolOther, Source: fmt.Sprintf("class %q", class)}
	}
	return Volume{Name: name, Kind: driverKind(prov, false), Source: fmt.Sprintf("class %s", class)}
}

func driverKind(driver string, static bool) string {
	switch driver {
	case DriverEBS, "kubernetes.io/aws-ebs":
		return VolEBS
	case DriverEFS:
		if static {
			return VolEFSStatic
		}
		return VolEFSDyn
	case DriverS3:
		return VolS3
	}
	return VolOther
}

// milli parses a CPU quantity into millicores (0 when invalid; validation
// reports that).
func milli(q string) int64 {
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return v.MilliValue()
}

// mebi parses a memory quantity into MiB, rounded up.
func mebi(q string) int64 {
	v, err := resource.ParseQuantity(q)
	if err != nil {
		return 0
	}
	return (v.Value() + (1<<20 - 1)) >> 20
}
