package render

import (
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/eksenv/eksenv/internal/placement"
	"github.com/eksenv/eksenv/internal/spec"
)

// Names of the environment's S3 volume.
const (
	S3ClaimName      = "s3-bucket"
	S3ClaimNamespace = "default"
)

// StorageManifests returns eks/general-storageclasses.yaml (the default gp3
// class and the EFS access-point class) and eks/s3-volume.yaml (the bucket
// as a statically provisioned Mountpoint volume and its claim).
func StorageManifests(e *spec.Environment, p Params) []Manifest {
	st := e.Spec.Storage
	var classes []runtime.Object
	if st.EBS.IsEnabled() {
		classes = append(classes, GP3Class(e))
	}
	if st.EFS.IsEnabled() {
		classes = append(classes, EFSClass(e, p))
	}
	var out []Manifest
	if len(classes) > 0 {
		out = append(out, Manifest{Path: "eks/general-storageclasses.yaml", Objects: classes})
	}
	if st.S3.IsEnabled() {
		pv, pvc := S3Volume(e, p, "s3-"+e.Metadata.Name, S3ClaimNamespace, S3ClaimName)
		out = append(out, Manifest{Path: "eks/s3-volume.yaml", Objects: []runtime.Object{pv, pvc}})
	}
	return out
}

func storageClassMeta(e *spec.Environment, name string) (metav1.TypeMeta, metav1.ObjectMeta) {
	return metav1.TypeMeta{APIVersion: "storage.k8s.io/v1", Kind: "StorageClass"}, metav1.ObjectMeta{Name: name, Labels: ownerLabels(e)}
}

// GP3Class is the default StorageClass: encrypted gp3 EBS volumes, bound when
// the pod is scheduled (so the volume lands in the pod's zone). EKS marks no
// class default since 1.30, so this one carries the default annotation.
func GP3Class(e *spec.Environment) *storagev1.StorageClass {
	tm, om := storageClassMeta(e, e.Spec.Storage.EBS.DefaultClass)
	om.Annotations = map[string]string{"storageclass.kubernetes.io/is-default-class": "true"}
	return &storagev1.StorageClass{
		TypeMeta: tm, ObjectMeta: om,
		Provisioner:          placement.DriverEBS,
		Parameters:           map[string]string{"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"},
		VolumeBindingMode:    ptr(storagev1.VolumeBindingWaitForFirstConsumer),
		ReclaimPolicy:        ptr(corev1.PersistentVolumeReclaimDelete),
		AllowVolumeExpansion: ptr(true),
	}
}

// EFSClass provisions an EFS access point per claim (EC2 pods only: Fargate
// mounts only statically provisioned EFS).
func EFSClass(e *spec.Environment, p Params) *storagev1.StorageClass {
	tm, om := storageClassMeta(e, e.Spec.Storage.EFS.ClassName)
	return &storagev1.StorageClass{
		TypeMeta: tm, ObjectMeta: om,
		Provisioner: placement.DriverEFS,
		Parameters: map[string]string{
			"provisioningMode": "efs-ap",
			"fileSystemId":     p.EFSFileSystemID,
			"directoryPerms":   "700",
			"basePath":         "/dynamic",
		},
		VolumeBindingMode: ptr(storagev1.VolumeBindingImmediate),
		ReclaimPolicy:     ptr(corev1.PersistentVolumeReclaimDelete),
	}
}

// S3Volume is the bucket as a Mountpoint for Amazon S3 volume: static
// provisioning only, so a PV naming the bucket and a claim bound to it by
// volumeName, both with an empty storageClassName.
func S3Volume(e *spec.Environment, p Params, pvName, ns, claim string) (*corev1.PersistentVolume, *corev1.PersistentVolumeClaim) {
	size := *resource.NewQuantity(1200<<30, resource.BinarySI) // ignored by the driver, required by Kubernetes
	empty := ""
	pv := &corev1.PersistentVolume{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolume"},
		ObjectMeta: metav1.ObjectMeta{Name: pvName, Labels: ownerLabels(e)},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: size},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              empty,
			MountOptions:                  []string{"allow-delete", "region " + e.Spec.Region},
			ClaimRef:                      &corev1.ObjectReference{Namespace: ns, Name: claim},
			PersistentVolumeSource: corev1.PersistentVolumeSource{CSI: &corev1.CSIPersistentVolumeSource{
				Driver:           placement.DriverS3,
				VolumeHandle:     pvName,
				VolumeAttributes: map[string]string{"bucketName": e.BucketName(p.AccountID)},
			}},
		},
	}
	pvc := &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: metav1.ObjectMeta{Name: claim, Namespace: ns, Labels: ownerLabels(e)},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany},
			StorageClassName: &empty,
			VolumeName:       pvName,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: size}},
		},
	}
	return pv, pvc
}
